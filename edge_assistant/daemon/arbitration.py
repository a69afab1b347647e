"""Several rooms, one wake word: the device that heard it best handles the command.

Every device of a home publishes each wake it hears on ``<topic>/wake`` of the shared broker
and keeps the wakes the others publish. When its transcript is ready, a device rules: if
another device heard the same wake word within ``window_ms`` of its own wake with a higher
score (or the same score and a name that sorts first), that device handles it and this one
stays quiet. Every device sees the same wakes, so they all reach the same ruling without
talking further.

Times are local: a peer's wake counts from when its message *arrived* here, so the devices'
clocks need not agree; the window absorbs the broker's delivery time (a few ms on a LAN).
The window has passed long before a spoken command ends, so ruling costs no latency.

Arbitration fails open: while the broker is unreachable every device handles what it hears
(two lights switched twice beat a command lost), and says so in its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

import aiomqtt

from edge_assistant.actions.credentials import broker_login
from edge_assistant.config.actions import MqttBrokerConfig
from edge_assistant.config.arbitration import ArbitrationConfig

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_MESSAGE_BYTES = 1024
KEEP_S = 30.0  # peers' wakes older than this are forgotten


@dataclass(frozen=True)
class Wake:
    device: str
    word: str
    score: float
    heard: float  # time.monotonic() here: when this device heard it or its message arrived


@dataclass(frozen=True)
class Ruling:
    handle: bool
    winner: str
    score: float
    reason: str


class Arbiter:
    def __init__(self, config: ArbitrationConfig, broker: MqttBrokerConfig, name: str) -> None:
        self.config, self.broker, self.name = config, broker, name
        self.topic = f"{config.topic}/wake"
        self.window_s = config.window_ms / 1000
        self.address = f"{broker.host}:{broker.port}"
        self._id = uuid.uuid4().hex  # tells our own messages from a namesake's
        self._peers: deque[Wake] = deque(maxlen=256)
        self._client: aiomqtt.Client | None = None
        self._up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_error = "not connected yet"

    async def start(self) -> None:
        """Connect in the background; wait for the first connection at most the broker's
        connect timeout (a broker that is down does not stop the device)."""
        password, tls = broker_login(self.broker)
        self._task = asyncio.create_task(self._run(password, tls), name="arbitration")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._up.wait(), self.broker.connect_timeout_s)
        if not self._up.is_set():
            log.warning(
                "arbitration broker %s unreachable (%s): this device handles every wake it "
                "hears until it is back",
                self.address,
                self._last_error,
            )

    async def _run(self, password: str | None, tls) -> None:
        delay = self.broker.reconnect_initial_s
        while True:
            client = aiomqtt.Client(
                self.broker.host,
                self.broker.port,
                username=self.broker.username,
                password=password,
                identifier=f"{self.name}-arbiter",
                keepalive=self.broker.keepalive,
                timeout=self.broker.connect_timeout_s,
                tls_context=tls,
            )
            try:
                async with client:
                    await client.subscribe(self.topic, qos=0)
                    self._client = client
                    self._up.set()
                    delay = self.broker.reconnect_initial_s
                    log.info("arbitrating wakes on %s at %s", self.topic, self.address)
                    async for message in client.messages:
                        self._on_message(message.payload)
            except aiomqtt.MqttError as exc:
                self._last_error = str(exc) or type(exc).__name__
            except Exception:  # a bug, not the network: log it and reconnect
                log.exception("arbitration: unexpected error; reconnecting")
            finally:
                if self._up.is_set():
                    log.warning("lost arbitration broker %s: %s", self.address, self._last_error)
                self._client = None
                self._up.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.broker.reconnect_max_s)

    def _on_message(self, payload: Any) -> None:
        wake = self._parse(payload)
        if wake is None:
            return
        now = time.monotonic()
        while self._peers and now - self._peers[0].heard > KEEP_S:
            self._peers.popleft()
        self._peers.append(wake)

    def _parse(self, payload: Any) -> Wake | None:
        """A peer's wake, or None for our own message and for anything malformed."""
        if not isinstance(payload, bytes | bytearray) or len(payload) > MAX_MESSAGE_BYTES:
            return None
        try:
            data = json.loads(payload)
            device, word, score = data["device"], data["word"], float(data["score"])
            sender = str(data.get("id", ""))
        except (ValueError, TypeError, KeyError):
            log.debug("arbitration: ignored a malformed message")
            return None
        if not (isinstance(device, str) and _NAME.match(device) and isinstance(word, str)):
            return None
        if not (math.isfinite(score) and 0.0 <= score <= 1.0) or len(word) > 64:
            return None
        if sender == self._id:
            return None
        if device == self.name:
            log.warning("another device is also named %r: give each its own daemon.name", device)
        return Wake(device, word, score, time.monotonic())

    async def claim(self, word: str, score: float) -> Wake:
        """This device heard ``word``: tell the others (best effort, QoS 0)."""
        wake = Wake(self.name, word, float(score), time.monotonic())
        client = self._client
        if client is not None:
            body = {
                "device": self.name,
                "word": word,
                "score": round(wake.score, 4),
                "id": self._id,
            }
            try:
                await client.publish(self.topic, json.dumps(body), qos=0)
            except aiomqtt.MqttError as exc:
                log.warning("arbitration: wake not published: %s", exc)
        return wake

    async def rule(self, wake: Wake) -> Ruling:
        """Who handles the command that followed ``wake`` (waits out the rest of the window)."""
        remaining = wake.heard + self.window_s - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)
        if not self._up.is_set():
            return Ruling(True, self.name, wake.score, "arbitration broker unreachable")
        rivals = [
            p
            for p in self._peers
            if p.word == wake.word and abs(p.heard - wake.heard) <= self.window_s
        ]
        best = min([wake, *rivals], key=lambda w: (-w.score, w.device))
        if best is wake:
            heard = f" (also heard by {', '.join(r.device for r in rivals)})" if rivals else ""
            return Ruling(True, self.name, wake.score, f"best wake score {wake.score:.2f}{heard}")
        return Ruling(
            False,
            best.device,
            best.score,
            f"{best.device} heard the wake word better ({best.score:.2f}, here {wake.score:.2f})",
        )

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The connection loop (it retries by itself; the supervisor watches it)."""
        return self._task

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
