"""What the assistant says, chimes and tells the other rooms, beside the command path: sound
plays on a thread of its own, one at a time; events go out as background tasks, so neither
delays an action."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from edge_assistant.actions.base import ActionError, Sink
from edge_assistant.daemon.arbitration import Arbiter, Wake
from edge_assistant.feedback.speech import Voice

log = logging.getLogger("edge_assistant.daemon.assistant")
BROADCAST_GAP_S = 3.0  # broadcasts closer together than this are not said: no flood of speech


class Announcer:
    def __init__(self, voice: Voice, sink: Sink, arbiter: Arbiter | None) -> None:
        self.voice, self.sink, self.arbiter = voice, sink, arbiter
        self._sound_pool = ThreadPoolExecutor(1, thread_name_prefix="sound")
        self._background: set[asyncio.Task[None]] = set()
        self._last_broadcast = -BROADCAST_GAP_S
        self.broadcasts_skipped = 0

    def woken(self, wake: Wake | None) -> None:
        """The wake chime; with other rooms, only from the one that will handle the command
        (known once the arbitration window has passed)."""
        if self.voice.chime_enabled:
            self._in_background(self._chime(wake))

    def publish(self, kind: str, event: dict[str, Any]) -> None:
        """``event`` on ``<base_topic>/<name>/<kind>`` for the other rooms (best effort)."""
        self._in_background(self._publish(kind, event))

    async def say(self, text: str) -> None:
        await self._sound(self.voice.say, text)

    async def alert(self, text: str) -> None:
        """Something the user asked to be told of (a timer that ended): the chime, the words,
        and an ``alert`` event for the other rooms."""
        log.info("alert: %s", text)
        self.publish("alert", {"text": text})
        if self.voice.chime_enabled:
            await self._sound(self.voice.play_chime)
        await self.say(text)

    def broadcast(self, sender: str, message: str) -> None:
        """Another assistant's broadcast ("dinner is ready"): the chime and the message,
        said as a message of that device so nobody mistakes it for this assistant's own
        words; one within BROADCAST_GAP_S of the last is skipped (logged)."""
        now = time.monotonic()
        if now - self._last_broadcast < BROADCAST_GAP_S:
            self.broadcasts_skipped += 1
            log.warning("broadcast from %s not said: another came %.1f s before", sender,
                        now - self._last_broadcast)  # fmt: skip
            return
        self._last_broadcast = now
        log.info("broadcast from %s: %s", sender, message)
        self._in_background(self._say_broadcast(f"Message from {_spoken(sender)}: {message}"))

    async def _say_broadcast(self, text: str) -> None:
        if self.voice.chime_enabled:
            await self._sound(self.voice.play_chime)
        await self.say(text)

    async def _chime(self, wake: Wake | None) -> None:
        arbiter = self.arbiter
        if wake is not None and arbiter is not None and not (await arbiter.rule(wake)).handle:
            return
        await self._sound(self.voice.play_chime)

    async def _sound(self, play: Callable[..., None], *args: Any) -> None:
        """Speech or a chime, played on the sound thread (blocking for its length)."""
        await asyncio.get_running_loop().run_in_executor(self._sound_pool, play, *args)

    async def _publish(self, kind: str, event: dict[str, Any]) -> None:
        try:
            await self.sink.publish_event(kind, event)
        except ActionError as exc:
            log.warning("event %s not published: %s", kind, exc)

    def _in_background(self, work) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def settle(self, timeout_s: float = 1.0) -> None:
        """Give events and sounds still under way ``timeout_s``, then cut them."""
        if self._background:
            _, late = await asyncio.wait(set(self._background), timeout=timeout_s)
            for task in late:
                task.cancel()

    def close(self) -> None:
        self._sound_pool.shutdown(wait=False, cancel_futures=True)


def _spoken(client_id: str) -> str:
    """A device's client_id as it can be said: "edge-assistant-kitchen" -> "kitchen"."""
    words = client_id.replace("_", " ").replace("-", " ").split()
    while len(words) > 1 and words[0] in ("edge", "assistant"):
        words = words[1:]
    return " ".join(words)
