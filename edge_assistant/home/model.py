"""``home.yaml``: what is in the home and what voice may do with it.

Names and aliases are what people say; ``id`` is what the code and the wire use. Every
cross-reference (a device's area, an area's floor, a policy's device) is checked at load, so
a typo fails with the file, the key and the ids that exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from edge_assistant.config.loading import StrictModel, load_yaml_model

Domain = Literal[
    "light",
    "switch",
    "fan",
    "cover",
    "lock",
    "climate",
    "media_player",
    "vacuum",
    "sensor",
    "binary_sensor",
    "alarm_control_panel",
    "valve",
    "scene",
    "script",
    "todo",
    "weather",
    "lawn_mower",
]
Capability = Literal["brightness", "color", "color_temp", "temperature", "position", "volume"]

# Which capabilities make sense for which domain (a dimmable switch is a light).
CAPABILITIES: dict[str, set[str]] = {
    "light": {"brightness", "color", "color_temp"},
    "fan": {"position"},  # speed as a percentage
    "cover": {"position"},
    "climate": {"temperature"},
    "media_player": {"volume"},
    "valve": {"position"},
}
_ID = re.compile(r"^[a-z0-9_]+$")
_MQTT_FORBIDDEN = re.compile(r"[+#\x00]")


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not an id: use lowercase letters, digits and _")
    return value


class Named(StrictModel):
    id: str = Field(description="Stable identifier: lowercase letters, digits, _.")
    name: str = Field(min_length=1, description="What people call it; the canonical spelling.")
    aliases: tuple[str, ...] = Field((), description="Other things people call it.")

    _id = field_validator("id")(_check_id)

    def spoken_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class Floor(Named):
    level: int | None = None


class Area(Named):
    floor: str | None = Field(None, description="id of the floor this area is on.")


class Mqtt(StrictModel):
    command_topic: str = Field(description="Where commands are published (no wildcards).")
    state_topic: str | None = None

    @field_validator("command_topic", "state_topic")
    @classmethod
    def _no_wildcards(cls, value: str | None) -> str | None:
        if value is not None and (not value or _MQTT_FORBIDDEN.search(value)):
            raise ValueError(f"MQTT topic {value!r} must be non-empty with no + or # wildcard")
        return value


_ITEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9' -]{0,99}$")  # a to-do item the recognizer can hear


class Device(Named):
    domain: Domain
    area: str | None = Field(
        None, description="id of the area the device is in (none: in no area)."
    )
    device_class: str | None = Field(None, description="e.g. garage, blind, door, window.")
    capabilities: tuple[Capability, ...] = ()
    mqtt: Mqtt | None = None
    entity_id: str | None = Field(None, description="Home Assistant entity, e.g. light.kitchen.")
    items: tuple[str, ...] = Field(
        (),
        description="A to-do list's usual items (milk, eggs): what the speech recognizer can "
        "hear added to or ticked off it; by text any words work.",
    )

    @model_validator(mode="after")
    def _check_device(self) -> Device:
        allowed = CAPABILITIES.get(self.domain, set())
        extra = sorted(set(self.capabilities) - allowed)
        if extra:
            raise ValueError(
                f"device {self.id}: {self.domain} cannot have {', '.join(extra)} "
                f"(allowed: {', '.join(sorted(allowed)) or 'none'})"
            )
        if self.mqtt is None and self.entity_id is None:
            raise ValueError(f"device {self.id}: give mqtt topics or a Home Assistant entity_id")
        if self.entity_id is not None and not self.entity_id.startswith(f"{self.domain}."):
            raise ValueError(f"device {self.id}: entity_id must start with '{self.domain}.'")
        if self.items and self.domain != "todo":
            raise ValueError(f"device {self.id}: only a todo list has items")
        for item in self.items:
            if not _ITEM.fullmatch(item):
                raise ValueError(
                    f"device {self.id}: item {item[:60]!r} must be 1-100 characters of letters, "
                    "digits, spaces, ' and -"
                )
        return self


class Person(StrictModel):
    id: str
    name: str = Field(min_length=1)
    resident: bool = Field(True, description="Residents may be verified for sensitive actions.")

    _id = field_validator("id")(_check_id)


class Policies(StrictModel):
    sensitive_domains: tuple[Domain, ...] = Field(
        ("lock", "alarm_control_panel"), description="Need a verified person and confirmation."
    )
    sensitive_device_classes: tuple[str, ...] = Field(("garage",), description="e.g. garage doors.")
    sensitive_devices: tuple[str, ...] = Field((), description="Device ids that are sensitive.")
    voice_domains: tuple[Domain, ...] | None = Field(
        None, description="Allowlist of domains voice may control; null allows all."
    )


PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")  # {slot} in a home.yaml intents text
_SERVICE_NAME = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")


class IntentMqtt(StrictModel):
    topic: str = Field(description="Topic to publish on; {slot} puts a list value in.")
    payload: str = Field("", description="Payload; {slot} puts a list value in.")

    @field_validator("topic")
    @classmethod
    def _no_wildcards(cls, value: str) -> str:
        if not value or _MQTT_FORBIDDEN.search(value):
            raise ValueError(f"MQTT topic {value!r} must be non-empty with no + or # wildcard")
        return value


class IntentService(StrictModel):
    name: str = Field(description="Home Assistant service, e.g. scene.turn_on.")
    entity_id: str | None = Field(None, description="Target entity; {slot} puts a value in.")
    data: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Service data; a string may hold {slot}."
    )

    @field_validator("name")
    @classmethod
    def _service(cls, value: str) -> str:
        if not _SERVICE_NAME.match(value):
            raise ValueError(
                f"{value!r} is not a service: write domain.service, e.g. scene.turn_on"
            )
        return value


class CustomIntent(StrictModel):
    """What one intent of the custom sentences does: a response, and an MQTT publish (mqtt
    sink) and/or a Home Assistant service call (home_assistant sink)."""

    response: str = Field("Done.", description="What is said; {slot} puts a value in.")
    mqtt: IntentMqtt | None = None
    service: IntentService | None = None

    def placeholders(self) -> set[str]:
        texts = [self.response]
        if self.mqtt:
            texts += [self.mqtt.topic, self.mqtt.payload]
        if self.service:
            texts += [self.service.entity_id or "", *map(str, self.service.data.values())]
        return {name for text in texts for name in PLACEHOLDER.findall(text)}


class Home(StrictModel):
    name: str = "Home"
    floors: tuple[Floor, ...] = ()
    areas: tuple[Area, ...] = Field(min_length=1)
    devices: tuple[Device, ...] = ()
    people: tuple[Person, ...] = ()
    policies: Policies = Policies()
    custom_sentences: Path | None = Field(
        None,
        description="Folder of Home Assistant custom sentence files (custom_sentences/en), "
        "relative to home.yaml.",
    )
    intents: dict[str, CustomIntent] = Field(
        default_factory=dict, description="What each intent of the custom sentences does."
    )

    @model_validator(mode="after")
    def _check_references(self) -> Home:
        for kind, items in (
            ("floor", self.floors),
            ("area", self.areas),
            ("device", self.devices),
            ("person", self.people),
        ):
            _unique(kind + " id", (i.id for i in items))
        _unique("area name or alias", (n.casefold() for a in self.areas for n in a.spoken_names()))
        # one name may be several devices of different kinds (a phone's battery and its
        # connectivity sensor): the sentence's kind picks among them, as in Home Assistant
        _unique(
            "device name for the same domain and class",
            (f"{d.name.casefold()} ({d.domain} {d.device_class or ''})" for d in self.devices),
        )
        floors = {f.id for f in self.floors}
        areas = {a.id for a in self.areas}
        devices = {d.id for d in self.devices}
        for area in self.areas:
            if area.floor is not None and area.floor not in floors:
                raise ValueError(f"area {area.id}: unknown floor {area.floor!r} ({_ids(floors)})")
        for device in self.devices:
            if device.area is not None and device.area not in areas:
                raise ValueError(
                    f"device {device.id}: unknown area {device.area!r} ({_ids(areas)})"
                )
        for device_id in self.policies.sensitive_devices:
            if device_id not in devices:
                raise ValueError(f"policies.sensitive_devices: unknown device {device_id!r}")
        return self

    def area(self, area_id: str) -> Area:
        return next(a for a in self.areas if a.id == area_id)

    def device(self, device_id: str) -> Device:
        return next(d for d in self.devices if d.id == device_id)

    def has_lists(self) -> bool:
        """Whether the home has to-do lists (``todo`` devices); else the daemon keeps its own
        (daemon/lists.py)."""
        return any(d.domain == "todo" for d in self.devices)

    def is_sensitive(self, device: Device) -> bool:
        p = self.policies
        return (
            device.domain in p.sensitive_domains
            or (device.device_class or "") in p.sensitive_device_classes
            or device.id in p.sensitive_devices
        )


def _unique(what: str, values: Iterable[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what}: {value!r}")
        seen.add(value)


def _ids(ids: set[str]) -> str:
    return "known: " + (", ".join(sorted(ids)) or "none")


def load_home(path: Path | str) -> Home:
    """home.yaml, with ``custom_sentences`` made relative to its folder and read (a bad file
    is a ConfigError naming it)."""
    path = Path(path)
    home = load_yaml_model(path, Home)
    if home.custom_sentences is not None:
        from edge_assistant.understanding.custom import read_custom_sentences

        folder = (path.parent / home.custom_sentences).resolve()
        home = home.model_copy(update={"custom_sentences": folder})
        read_custom_sentences(home)  # every file and intent checked now, not at the first match
    return home
