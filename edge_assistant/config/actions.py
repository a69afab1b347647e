"""The actions section of a device config: where understood commands go, and how long they
may take.

The sink is picked by its ``type`` key (``log``, ``mqtt``, ``home_assistant``) and validated
by that type's own model, so a misspelt option fails at load with the allowed keys. Secrets
are never written in the YAML: they come from an environment variable or a file readable
only by its owner.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from edge_assistant.config.loading import StrictModel

_TOPIC_LEVEL = re.compile(r"^[A-Za-z0-9_-]+$")
_TOPIC_FORBIDDEN = re.compile(r"[+#\x00]")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class LogSinkConfig(StrictModel):
    """Log each action as one JSON line and keep it in memory: the embedded default."""

    type: Literal["log"] = "log"


class MqttBrokerConfig(StrictModel):
    """How to reach an MQTT broker: address, TLS and login. The mqtt sink and the arbitration
    between rooms (config/arbitration.py) both connect with these keys."""

    host: str = Field(min_length=1, description="Broker host name or address.")
    port: int = Field(1883, ge=1, le=65535, description="Broker port (8883 is usual for TLS).")
    tls: bool = Field(False, description="Connect over TLS, verifying the broker's certificate.")
    ca_file: Path | None = Field(
        None, description="CA bundle that signed the broker's certificate; null = system CAs."
    )
    certfile: Path | None = Field(None, description="Client certificate (with keyfile).")
    keyfile: Path | None = Field(None, description="Client private key (with certfile).")
    username: str | None = None
    password_env: str | None = Field(
        None, description="Name of the environment variable that holds the password."
    )
    password_file: Path | None = Field(
        None, description="File holding the password; must be readable by its owner only."
    )
    keepalive: int = Field(30, ge=5, le=3600, description="Seconds between keepalive pings.")
    connect_timeout_s: float = Field(
        5.0, gt=0, le=60, description="How long one connection attempt may take."
    )
    reconnect_initial_s: float = Field(
        0.5, gt=0, description="First wait after losing the broker; doubles per failure."
    )
    reconnect_max_s: float = Field(30.0, gt=0, description="Longest wait between reconnects.")

    @field_validator("password_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError("password_env is the NAME of an environment variable")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MqttBrokerConfig:
        if self.password_env and self.password_file:
            raise ValueError("give password_env or password_file, not both")
        if (self.password_env or self.password_file) and not self.username:
            raise ValueError("a password needs a username")
        if (self.certfile is None) != (self.keyfile is None):
            raise ValueError("certfile and keyfile go together")
        if not self.tls and (self.ca_file or self.certfile):
            raise ValueError("ca_file, certfile and keyfile need tls: true")
        if self.reconnect_initial_s > self.reconnect_max_s:
            raise ValueError("reconnect_initial_s must not exceed reconnect_max_s")
        return self


class MqttSinkConfig(MqttBrokerConfig):
    """Publish to the command topics of home.yaml on an MQTT broker (Home Assistant's MQTT
    conventions, see edge_assistant/actions/mqtt_payloads.py)."""

    type: Literal["mqtt"]
    client_id: str = Field(
        "edge-assistant",
        description="MQTT client id, also this assistant's name in its event topics "
        "(letters, digits, _ and -).",
    )
    qos: Literal[1, 2] = Field(
        1, description="QoS of commands and events; an action is done when the broker acks it."
    )
    base_topic: str = Field(
        "edge-assistant",
        description="Prefix of the assistant's own events: <base_topic>/<client_id>/<kind>.",
    )

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if not _TOPIC_LEVEL.match(value):
            raise ValueError("client_id may hold only letters, digits, _ and -")
        return value

    @field_validator("base_topic")
    @classmethod
    def _base_topic(cls, value: str) -> str:
        return check_base_topic(value)


def check_base_topic(value: str) -> str:
    if not value or _TOPIC_FORBIDDEN.search(value) or value.startswith("/") or "//" in value:
        raise ValueError("must be a topic without + # NUL or empty levels")
    return value.rstrip("/")


class HomeAssistantSinkConfig(StrictModel):
    """Call Home Assistant's services for the entity_ids of home.yaml: over its WebSocket API
    while that is up (states then come from a cache it keeps fresh), else over REST."""

    type: Literal["home_assistant"]
    url: str = Field(description="Base URL, e.g. http://homeassistant.local:8123")
    token_env: str = Field(
        "HASS_TOKEN", description="Environment variable holding a long-lived access token."
    )
    token_file: Path | None = Field(
        None,
        description="File holding the token (used instead of token_env); must be readable "
        "by its owner only (chmod 600).",
    )
    timeout_s: float = Field(5.0, gt=0, le=60, description="Limit for one HTTP request.")
    verify_tls: bool = Field(True, description="Verify the server certificate over https.")
    ca_file: Path | None = Field(None, description="CA bundle for a self-signed https server.")
    websocket: bool = Field(
        True,
        description="Keep a connection to the WebSocket API (/api/websocket): services are "
        "called over it and states answered from a cache it keeps fresh; REST while it is down.",
    )
    reconnect_initial_s: float = Field(
        0.5, gt=0, description="First wait after losing the WebSocket; doubles per failure."
    )
    reconnect_max_s: float = Field(
        30.0, gt=0, description="Longest wait between WebSocket reconnects."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError("url must be http(s)://host[:port][/path] without query")
        return value.rstrip("/")

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError("token_env is the NAME of an environment variable")
        return value

    @model_validator(mode="after")
    def _reconnect(self) -> HomeAssistantSinkConfig:
        if self.reconnect_initial_s > self.reconnect_max_s:
            raise ValueError("reconnect_initial_s must not exceed reconnect_max_s")
        return self


SinkConfig = Annotated[
    LogSinkConfig | MqttSinkConfig | HomeAssistantSinkConfig, Field(discriminator="type")
]


class ActionsConfig(StrictModel):
    sink: SinkConfig = Field(
        default_factory=LogSinkConfig, description="Where actions go: log, mqtt, home_assistant."
    )
    ttl_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="A command not done this long after it was understood has failed (a "
        "light switching a minute late is worse than not at all).",
    )
