"""The ``mqtt`` sink: commands to the command topics of home.yaml, device states from their
(retained) state topics, and the assistant's own events on ``<base_topic>/<client_id>/<kind>``.
A broadcast goes to ``<base_topic>/broadcast``; the other assistants of the home read it there
and say it (``on_broadcast``).

One background task holds the connection and reconnects with doubling waits while the sink
runs; each connection gets a fresh client, so nothing queued for a dead connection is sent
late. An action is done when the broker acknowledges it (PUBACK for QoS 1); until its
deadline it waits for the broker, and an action that is waiting cuts the reconnect wait short.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import ssl
import time
from typing import Any

import aiomqtt
from aiomqtt.exceptions import MqttConnectError

from edge_assistant.actions.base import (
    BROADCAST_DOMAIN,
    INTENT_DOMAIN,
    MAX_MESSAGE_CHARS,
    Action,
    ActionError,
    ActionRefused,
    ActionResult,
    Sink,
    check_action,
    checked_device,
    device_in,
    intent_of,
)
from edge_assistant.actions.credentials import broker_login
from edge_assistant.actions.mqtt_payloads import (
    Message,
    check_topic,
    command_message,
    intent_message,
)
from edge_assistant.config.actions import MqttSinkConfig
from edge_assistant.home.model import Home

log = logging.getLogger("edge_assistant.actions.mqtt")

_KIND = re.compile(r"^[a-z0-9_]{1,64}$")
MAX_EVENT_BYTES = 65536
MAX_STATE_BYTES = 65536
MAX_BROADCAST_BYTES = 1024
RETRY_PAUSE_S = 0.1  # after a refused publish, before the next try


class MqttSink(Sink):
    type = "mqtt"

    def __init__(self, config: MqttSinkConfig, home: Home) -> None:
        super().__init__(home)
        self.config = config
        self.address = f"{config.host}:{config.port}"
        self._state_topics = {
            d.mqtt.state_topic: d.id for d in home.devices if d.mqtt and d.mqtt.state_topic
        }
        self._states: dict[str, dict[str, Any]] = {}
        self.broadcast_topic = f"{config.base_topic}/broadcast"
        self._client: aiomqtt.Client | None = None
        self._up = asyncio.Event()
        self._lost = asyncio.Event()  # of the current connection
        self._wake = asyncio.Event()  # an action waits: reconnect now
        self._closed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_error = "not connected yet"
        self.connects = 0
        self.events_dropped = 0

    # -- connection --------------------------------------------------------------------

    async def start(self) -> None:
        password, tls = broker_login(self.config)
        unreachable = [d.id for d in self.home.devices if d.mqtt is None]
        if unreachable:
            log.info("mqtt sink: no MQTT topics for %s (not controllable here)", unreachable)
        first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(password, tls, first), name="mqtt-sink")
        try:
            await first
        except MqttConnectError as exc:
            await self.close()
            raise ActionError(
                f"MQTT broker {self.address} refused the connection: {exc} (check username, "
                f"password and client_id {self.config.client_id!r})"
            ) from None
        if not self._up.is_set():
            log.warning(
                "MQTT broker unreachable (%s): %s; retrying while running",
                self.address,
                self._last_error,
            )

    async def _run(
        self, password: str | None, tls: ssl.SSLContext | None, first: asyncio.Future[None]
    ) -> None:
        delay = self.config.reconnect_initial_s
        while True:
            client = aiomqtt.Client(
                self.config.host,
                self.config.port,
                username=self.config.username,
                password=password,
                identifier=self.config.client_id,
                keepalive=self.config.keepalive,
                timeout=self.config.connect_timeout_s,
                tls_context=tls,
            )
            try:
                async with client:
                    await self._connected(client)
                    delay = self.config.reconnect_initial_s
                    if not first.done():
                        first.set_result(None)
                    async for message in client.messages:
                        if message.topic.value == self.broadcast_topic:
                            self._on_broadcast(message)
                        else:
                            self._on_state(message)
            except aiomqtt.MqttError as exc:
                self._last_error = str(exc) or type(exc).__name__
                if not first.done():
                    if isinstance(exc, MqttConnectError):
                        first.set_exception(exc)
                        return
                    first.set_result(None)
            except Exception as exc:  # a bug, not the network: start() fails, later ones log
                self._last_error = f"{type(exc).__name__}: {exc}"
                if not first.done():
                    first.set_exception(exc)
                    return
                log.exception("mqtt sink: unexpected error; reconnecting")
            finally:
                was_up = self._up.is_set()
                self._client = None
                self._up.clear()
                self._lost.set()
            if was_up:
                log.warning("lost MQTT broker %s: %s; reconnecting", self.address, self._last_error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()
            delay = min(delay * 2, self.config.reconnect_max_s)

    async def _connected(self, client: aiomqtt.Client) -> None:
        topics = [*self._state_topics, self.broadcast_topic]
        await client.subscribe([(t, self.config.qos) for t in topics])
        self._client = client
        self._lost = asyncio.Event()
        self._up.set()
        self.connects += 1
        log.info("connected to MQTT broker %s (connection %d)", self.address, self.connects)

    def background(self) -> dict[str, asyncio.Task[Any] | None]:
        return {"mqtt-sink": self._task}

    async def close(self) -> None:
        self._closed.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _connection(self, deadline: float) -> tuple[aiomqtt.Client, asyncio.Event] | None:
        """The live client (and the event set when it is lost), or None at the deadline."""
        if not self._up.is_set():
            self._wake.set()
            waits = [asyncio.ensure_future(e.wait()) for e in (self._up, self._closed)]
            await asyncio.wait(
                waits, timeout=deadline - time.monotonic(), return_when=asyncio.FIRST_COMPLETED
            )
            for wait in waits:
                wait.cancel()
        if self._closed.is_set() or self._client is None:
            return None
        return self._client, self._lost

    async def _publish(self, topic: str, payload: str, deadline: float) -> tuple[int, str | None]:
        """(publishes tried, None when acknowledged else why not), retrying to the deadline."""
        attempts, error = 0, None
        while time.monotonic() < deadline:
            connection = await self._connection(deadline)
            if connection is None:
                break
            client, lost = connection
            attempts += 1
            publish = asyncio.ensure_future(
                client.publish(topic, payload, qos=self.config.qos, timeout=float("inf"))
            )
            gone = asyncio.ensure_future(lost.wait())
            done, _ = await asyncio.wait(
                {publish, gone},
                timeout=deadline - time.monotonic(),
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in (publish, gone):
                task.cancel()
            await asyncio.gather(publish, gone, return_exceptions=True)
            if publish in done and publish.exception() is None:
                return attempts, None
            if publish in done:
                error = f"publish refused: {publish.exception()}"
                await asyncio.sleep(min(RETRY_PAUSE_S, max(0.0, deadline - time.monotonic())))
            elif gone in done:
                error = "connection lost before the broker acknowledged"
            else:
                error = "no acknowledgement from the broker"
        if self._closed.is_set():
            return attempts, "the mqtt sink is closed"
        if not self._up.is_set():
            return attempts, f"broker unreachable ({self.address}): {self._last_error}"
        return attempts, f"broker {self.address} did not acknowledge in time: {error}"

    # -- the Sink contract -------------------------------------------------------------

    async def execute(self, action: Action, deadline: float) -> ActionResult:
        start = time.monotonic()
        try:
            if action.domain == INTENT_DOMAIN:
                message = intent_message(intent_of(self.home, action), action)
            elif action.domain == BROADCAST_DOMAIN:
                check_action(self.home, action)
                body = {"from": self.config.client_id, "message": action.data["message"]}
                message = Message(self.broadcast_topic, json.dumps(body))
            else:
                message = command_message(checked_device(self.home, action), action)
        except ActionRefused as exc:
            return ActionResult(action, ok=False, error=str(exc))
        attempts, error = await self._publish(message.topic, message.payload, deadline)
        ms = (time.monotonic() - start) * 1000
        detail = {"topic": message.topic, "payload": message.payload, "qos": self.config.qos}
        if error is None:
            log.info("did %s: %s %s", action.device_id, message.topic, message.payload)
        return ActionResult(action, error is None, error, attempts, ms, detail)

    async def get_state(self, device_id: str) -> dict[str, Any] | None:
        device_in(self.home, device_id)
        state = self._states.get(device_id)
        return None if state is None else {**state, "attributes": dict(state["attributes"])}

    async def publish_event(self, kind: str, payload: dict[str, Any]) -> None:
        """Best effort: an event the broker cannot take now is dropped, counted and logged,
        since a late "heard" is of no use to another room."""
        if not _KIND.match(kind):
            raise ActionRefused("event kind must be 1-64 of a-z, 0-9 and _")
        try:
            body = json.dumps(payload, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise ActionRefused(f"event {kind} is not JSON: {exc}") from None
        if len(body) > MAX_EVENT_BYTES:
            raise ActionRefused(f"event {kind} is {len(body)} bytes (limit {MAX_EVENT_BYTES})")
        topic = check_topic(f"{self.config.base_topic}/{self.config.client_id}/{kind}")
        error = f"broker unreachable ({self.address}): {self._last_error}"
        if self._up.is_set():
            deadline = time.monotonic() + self.config.connect_timeout_s
            _, error = await self._publish(topic, body, deadline)
        if error is not None:
            self.events_dropped += 1
            log.warning("event %s dropped (%d so far): %s", kind, self.events_dropped, error)

    def _on_broadcast(self, message: aiomqtt.Message) -> None:
        """Another assistant's broadcast, handed to ``on_broadcast``; our own, a retained
        one (old news) and anything malformed are ignored (malformed: logged)."""
        heard = parse_broadcast(message.payload)
        if heard is None:
            log.warning("ignored a malformed broadcast on %s", self.broadcast_topic)
        elif heard[0] != self.config.client_id and not message.retain and self.on_broadcast:
            self.on_broadcast(*heard)

    def _on_state(self, message: aiomqtt.Message) -> None:
        device_id = self._state_topics.get(message.topic.value)
        raw = message.payload
        if device_id is None or not isinstance(raw, bytes | bytearray):
            return
        if not raw:  # an empty retained message clears the state
            self._states.pop(device_id, None)
            return
        if len(raw) > MAX_STATE_BYTES:
            log.warning("state of %s ignored: %d bytes", device_id, len(raw))
            return
        self._states[device_id] = _parse_state(bytes(raw))


_SENDER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def parse_broadcast(raw: Any) -> tuple[str, str] | None:
    """(sender, message) of a broadcast: a JSON object with a client_id-like "from" and a
    printable "message" of at most MAX_MESSAGE_CHARS; None for anything else."""
    if not isinstance(raw, bytes | bytearray) or len(raw) > MAX_BROADCAST_BYTES:
        return None
    try:
        body = json.loads(bytes(raw).decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    sender, text = body.get("from"), body.get("message")
    if not isinstance(sender, str) or not _SENDER.match(sender) or not isinstance(text, str):
        return None
    text = " ".join(text.split())
    if not text or len(text) > MAX_MESSAGE_CHARS or not text.isprintable():
        return None
    return sender, text


def _parse_state(raw: bytes) -> dict[str, Any]:
    """``{"state", "attributes"}`` from a JSON object (its "state" key and the rest), a JSON
    scalar or plain text; string states lowercase, as Home Assistant reports them."""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    attributes: dict[str, Any] = {}
    if isinstance(value, dict):
        attributes = value
        value = attributes.pop("state", None)
    if isinstance(value, str):
        value = value.lower()
    return {"state": value, "attributes": attributes}


def load(config: MqttSinkConfig, home: Home) -> MqttSink:
    return MqttSink(config, home)
