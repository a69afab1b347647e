"""The assistant at work: transcripts (voice path) and what the camera sees (vision path)
become commands, pass the safety policy, go to the action sink, and are journaled.

One named asyncio task per source and stage, bounded queues between them, every model call
and every blocking call in an executor: the event loop only moves events. ``stop()`` stops
the sources and gives commands in flight ``drain_s`` to finish.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_assistant.actions.base import ActionError, Sink, actions_for
from edge_assistant.audio.listener import Listener, TranscriptEvent, WakeEvent, listen
from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.daemon import metrics
from edge_assistant.daemon.arbitration import Arbiter, Ruling, Wake
from edge_assistant.daemon.stages import StageClock
from edge_assistant.feedback.speech import Voice
from edge_assistant.home.model import Home, load_home
from edge_assistant.journal.journal import Journal
from edge_assistant.policy.policy import Confirmation, Evidence, Policy
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.intents import Command
from edge_assistant.understanding.understand import Understander
from edge_assistant.vision.context import VisionContext

log = logging.getLogger(__name__)
STATE_INTENTS = {"HassGetState"}


@dataclass(frozen=True)
class Heard:
    """A transcript waiting to be handled, with the wake that opened it (if any)."""

    event: TranscriptEvent
    wake: Wake | None  # the arbiter's claim, when arbitrating
    wake_sample: int | None  # where the wake word fired
    at: float = field(default_factory=time.perf_counter)


@dataclass
class Outcome:
    """What became of one transcript: printed as a JSON line and kept for tests."""

    text: str
    command: dict[str, Any]
    decision: str
    reason: str = ""
    actions: list[dict[str, Any]] = field(default_factory=list)
    said: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": self.command.get("intent"),
            "targets": self.command.get("targets", []),
            "decision": self.decision,
            "reason": self.reason,
            "actions": self.actions,
            "said": self.said,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


class Assistant:
    def __init__(
        self,
        device: LoadedDeviceConfig,
        home_path: Path,
        home: Home,
        *,
        listener: Listener,
        understander: Understander,
        sink: Sink,
        journal: Journal,
        vision=None,  # VisionPipeline | None
        speaker=None,  # audio.speaker.Enrollment | None
        voice: Voice | None = None,
        arbiter: Arbiter | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.device = device
        self.config = device.config
        self.home_path, self.home = home_path, home
        self.listener, self.understander = listener, understander
        self.sink, self.journal, self.vision, self.speaker = sink, journal, vision, speaker
        self.voice = voice or Voice.from_config(
            self.config.feedback, enabled=self.config.daemon.speak, base_dir=device.path.parent
        )
        self.arbiter = arbiter
        self._wake: Wake | None = None  # the last wake heard, until its transcript
        self._wake_sample: int | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.policy = Policy(home, self.config.policy)
        self.on_outcome = on_outcome or (lambda o: print(json.dumps(o.to_json()), flush=True))
        self.vision_context = VisionContext(camera=False)
        self.vision_ms: deque[float] = deque(maxlen=4096)  # per frame, newest last
        self._frame_at = -math.inf  # time.monotonic() of the newest processed frame
        self._live_video = False
        self.pending: Confirmation | None = None
        self.outcomes: list[Outcome] = []
        self._transcripts: asyncio.Queue[Heard | None] = asyncio.Queue(
            self.config.daemon.queue_size
        )
        # one thread per model family: the voice path, vision, everything else
        self._voice_pool = ThreadPoolExecutor(1, thread_name_prefix="voice")
        self._vision_pool = ThreadPoolExecutor(1, thread_name_prefix="vision")
        self._work_pool = ThreadPoolExecutor(2, thread_name_prefix="work")
        # speech and chimes: one sound at a time, never holding a work thread
        self._sound_pool = ThreadPoolExecutor(1, thread_name_prefix="sound")
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()

    # --- sources -------------------------------------------------------------------------
    async def hear(self, source) -> None:
        """Task: the voice path; transcripts go to the bounded command queue (a full queue
        drops the oldest waiting transcript and journals that)."""
        async for event in listen(self.listener, source):
            if isinstance(event, WakeEvent):
                metrics.WAKES.inc()
                self._wake_sample = event.detection.sample
                if self.arbiter is not None:
                    detection = event.detection
                    self._wake = await self.arbiter.claim(detection.name, detection.score)
                if self.voice.chime_enabled:
                    self._in_background(self._chime(self._wake))
            elif isinstance(event, TranscriptEvent) and event.recognition.accepted:
                if self._transcripts.full():
                    dropped = self._transcripts.get_nowait()
                    assert dropped is not None
                    log.warning("command queue full: dropped %r", dropped.event.recognition.text)
                    metrics.DROPPED.inc()
                await self._transcripts.put(Heard(event, self._wake, self._wake_sample))
                self._wake, self._wake_sample = None, None
                self._in_background(self._publish("heard", {
                    "text": event.recognition.text, "engine": event.recognition.engine,
                }))  # fmt: skip
            if self._stopping.is_set():
                break

    async def see(self, source) -> None:
        """Task: the vision path; keeps the newest VisionContext and answers a pending
        confirmation with a thumbs up or down. A live camera that cannot be opened (an IP
        camera still booting after a power cut) is retried with doubling waits; a file that
        cannot be read ends vision with an error in the log."""
        from edge_assistant.capture.video import VideoSourceError

        capture = self.config.vision.capture
        wait = capture.retry_initial_s
        self._live_video = bool(getattr(source, "live", False))
        while not self._stopping.is_set():
            try:
                await self._watch(source)
                return
            except VideoSourceError as exc:
                metrics.ERRORS.inc()
                if not self._live_video:
                    log.error("vision stopped: %s", exc)
                    return
                log.error("camera unavailable (retrying in %.1f s): %s", wait, exc)
                await asyncio.sleep(wait)
                wait = min(wait * 2, capture.retry_max_s)

    async def _watch(self, source) -> None:
        loop = asyncio.get_running_loop()
        async for frame in source.frames():
            now = frame.timestamp
            try:
                result = await loop.run_in_executor(
                    self._vision_pool, self.vision.process, frame.image, now
                )
            except Exception:  # one bad frame or model error: log it, keep watching
                log.exception("vision failed on frame %d", frame.index)
                metrics.ERRORS.inc()
                continue
            self.vision_context = result.context
            self._frame_at = time.monotonic()
            self.vision_ms.append(result.timings.get("total", 0.0))
            metrics.FRAMES.inc()
            if self.pending is not None and result.context.gesture in ("thumbs_up", "thumbs_down"):
                await self._answer_pending(None, result.context.gesture, time.monotonic())
            if self._stopping.is_set():
                break

    def seen(self) -> VisionContext:
        """What the camera sees now: nothing once a live camera has sent no frame for the
        tracker's ``vanish_s`` (a face seen before the camera was lost verifies nothing). A
        video file keeps its last view after it ends."""
        if self.vision is None:
            return VisionContext(camera=False)
        stale = time.monotonic() - self._frame_at > self.config.vision.tracker.vanish_s
        if self._live_video and stale:
            return VisionContext(camera=False)
        return self.vision_context

    # --- commands ------------------------------------------------------------------------
    async def handle_commands(self) -> None:
        """Task: one transcript at a time, to its outcome."""
        while True:
            heard = await self._transcripts.get()
            if heard is None:
                return
            try:
                await self.handle(heard)
            except Exception:  # a bug in one command must not stop the assistant
                log.exception("command %r failed", heard.event.recognition.text)
                metrics.ERRORS.inc()

    async def handle(self, heard: Heard) -> Outcome:
        loop = asyncio.get_running_loop()
        event, wake = heard.event, heard.wake
        clock = StageClock(event, heard.at, heard.wake_sample)
        text = event.recognition.text
        utterance = await loop.run_in_executor(
            self._work_pool, lambda: self.journal.utterance(
                source=self.config.daemon.name, text=text, engine=event.recognition.engine,
                timings=event.recognition.timings,
            ),
        )  # fmt: skip
        clock.mark("journal")
        if wake is not None and self.arbiter is not None:
            ruling = await self.arbiter.rule(wake)
            clock.mark("arbitrate")
            if not ruling.handle:
                return await self._defer(event, clock, utterance, wake, ruling)
            log.info("arbitration: handled here: %s", ruling.reason)
        now = time.monotonic()
        if self.pending is not None:
            answered = await self._answer_pending(text, None, now, utterance, clock)
            if answered is not None:
                return answered
        context = self._context()
        command = await loop.run_in_executor(
            self._work_pool, self.understander.understand, text, context
        )
        clock.mark("understand")
        evidence = await loop.run_in_executor(self._work_pool, self._evidence, event, command)
        verdict = self.policy.check(command, evidence)
        decision_id = await loop.run_in_executor(
            self._work_pool, lambda: self.journal.decision(
                utterance_id=utterance, command=command.to_json(), decision=verdict.decision,
                reason=verdict.reason,
            ),
        )  # fmt: skip
        outcome = Outcome(text, command.to_json(), verdict.decision, verdict.reason)
        clock.mark("policy")
        if verdict.decision == "allow":
            if command.intent in STATE_INTENTS:
                outcome.said = await self._answer_state(command)
            else:
                outcome.actions = await self._act(command, decision_id)
                outcome.said = _summary(outcome.actions)
        elif verdict.decision == "confirm":
            self.pending = Confirmation(command, now, self.config.policy.confirm_s, decision_id)
            outcome.said = "Are you sure? Say yes or show a thumbs up."
        else:
            outcome.said = verdict.reason
            metrics.REFUSED.inc()
        clock.mark("action")
        outcome.timings_ms = clock.timings()
        if outcome.actions:
            metrics.LATENCY.observe(outcome.timings_ms["eos_to_action"] / 1000)
        await self._finish(outcome)
        return outcome

    async def _defer(
        self,
        event: TranscriptEvent,
        clock: StageClock,
        utterance: int,
        wake: Wake,
        ruling: Ruling,
    ) -> Outcome:
        """Another device heard the wake word better: it acts, this one stays quiet."""
        await asyncio.get_running_loop().run_in_executor(
            self._work_pool, lambda: self.journal.deferral(
                utterance_id=utterance, winner=ruling.winner, winner_score=ruling.score,
                score=wake.score, reason=ruling.reason,
            ),
        )  # fmt: skip
        log.info("arbitration: left to %s: %s", ruling.winner, ruling.reason)
        outcome = Outcome(event.recognition.text, {}, "deferred", ruling.reason)
        outcome.timings_ms = clock.timings()
        await self._finish(outcome)
        return outcome

    async def _answer_pending(
        self,
        text: str | None,
        gesture: str | None,
        now: float,
        utterance: int | None = None,
        clock: StageClock | None = None,
    ):
        """A yes/no (or thumbs up/down) to the pending sensitive command, journaled as its own
        decision that answers the pending one."""
        pending = self.pending
        if pending is None:
            return None
        loop = asyncio.get_running_loop()
        command = pending.command
        answer = (
            "expired"
            if pending.expired(now)
            else pending.answer(text=text, gesture=gesture, now=now)
        )
        if answer is None:
            return None
        self.pending = None
        reason = {"expired": "no confirmation in time", "cancelled": "cancelled by the speaker",
                  "confirmed": "confirmed by " + ("gesture" if gesture else "voice")}[answer]  # fmt: skip
        decision_id = await loop.run_in_executor(
            self._work_pool, lambda: self.journal.decision(
                utterance_id=utterance, command=command.to_json(), decision=answer,
                reason=reason, answers=pending.decision_id,
            ),
        )  # fmt: skip
        outcome = Outcome(text or gesture or "", command.to_json(), answer, reason)
        if answer == "expired":
            outcome.said = "Cancelled: no confirmation in time."
            await self._finish(outcome)
            return None  # the new utterance is a command of its own
        if clock is not None:
            clock.mark("policy")
        if answer == "confirmed":
            outcome.actions = await self._act(command, decision_id)
            outcome.said = _summary(outcome.actions)
        else:
            outcome.said = "Cancelled."
        if clock is not None:
            clock.mark("action")
            outcome.timings_ms = clock.timings()
        await self._finish(outcome)
        return outcome

    async def _act(self, command: Command, decision_id: int | None) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        done = []
        deadline = time.monotonic() + self.config.actions.ttl_s
        try:
            planned = actions_for(command, self.home)
        except ActionError as exc:  # e.g. brightness for a lamp that cannot dim
            return [{"device": None, "service": None, "data": {}, "ok": False,
                     "error": str(exc), "ms": 0.0}]  # fmt: skip
        for action in planned:
            action_id = await loop.run_in_executor(
                self._work_pool, lambda a=action: self.journal.action_started(
                    decision_id=decision_id, device_id=a.device_id, service=a.service,
                    data=a.data,
                ),
            )  # fmt: skip
            result = await self.sink.execute(action, deadline)
            await loop.run_in_executor(
                self._work_pool, lambda r=result, i=action_id: self.journal.action_finished(
                    i, ok=r.ok, error=r.error, attempts=r.attempts, ms=r.ms,
                ),
            )  # fmt: skip
            (metrics.ACTIONS_OK if result.ok else metrics.ACTIONS_FAILED).inc()
            done.append({"device": action.device_id, "service": action.service,
                         "data": action.data, "ok": result.ok, "error": result.error,
                         "ms": round(result.ms, 1)})  # fmt: skip
        return done

    async def _answer_state(self, command: Command) -> str:
        parts = []
        for device_id in command.targets:
            try:
                state = await self.sink.get_state(device_id)
            except ActionError as exc:
                log.warning("state of %s unknown: %s", device_id, exc)
                state = None
            name = self.home.device(device_id).name
            value = (state or {}).get("state")
            parts.append(f"{name} is {value}" if value else f"I do not know the state of {name}")
        return ". ".join(parts) or "I do not know."

    def _evidence(self, event: TranscriptEvent, command: Command) -> Evidence:
        """Who is speaking: only worked out when the command needs it (a voice embedding
        costs tens of ms)."""
        person, score = None, 0.0
        if command.needs_verification and self.speaker is not None and event.audio is not None:
            try:
                person, score = self.speaker.verify(event.audio)
            except Exception as exc:  # no one enrolled, too short: not verified, say why
                log.info("speaker not verified: %s", exc)
        area = self.config.daemon.area
        seen = self.seen()
        face_here = seen.camera and seen.speaker_area is not None and seen.speaker_area == area
        return Evidence(speaker_person=person, speaker_score=score, face_seen_in_area=face_here,
                        area=area)  # fmt: skip

    def _context(self) -> Context:
        if self.vision is None:
            return Context(satellite_area=self.config.daemon.area)
        return self.seen().to_context(self.config.daemon.area)

    async def _finish(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        metrics.COMMANDS.labels(outcome.decision).inc()
        self.on_outcome(outcome)
        # what this device did, for the other devices of the home
        self._in_background(self._publish("did", outcome.to_json()))
        if outcome.said:
            await self._sound(self.voice.say, outcome.said)

    async def _chime(self, wake: Wake | None) -> None:
        """The wake chime; with other rooms, only from the one that will handle it (known
        once the arbitration window has passed)."""
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
        """Run ``work`` beside the command path (events must not delay an action)."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- lifecycle -----------------------------------------------------------------------
    def reload_home(self) -> bool:
        """SIGHUP: read home.yaml again; a bad file keeps the old home and logs why."""
        try:
            home = load_home(self.home_path)
        except Exception as exc:
            log.error("reload of %s failed, keeping the previous home: %s", self.home_path, exc)
            metrics.ERRORS.inc()
            return False
        self.home = home
        self.policy = Policy(home, self.config.policy)
        self.sink.home = home  # the sink only acts on devices of the current home
        # same models, the new home's names (the resolver and its gazetteer are built from it)
        self.understander = Understander(self.understander.encoder, self.understander.fusion, home)
        log.info("reloaded %s: %d devices", self.home_path, len(home.devices))
        return True

    async def stop(self) -> None:
        """Stop listening and watching; commands already queued get ``drain_s``."""
        self._stopping.set()
        await self._transcripts.put(None)

    async def settle(self, timeout_s: float = 1.0) -> None:
        """Give events still being published ``timeout_s`` to go out, then cut them."""
        if self._background:
            _, late = await asyncio.wait(set(self._background), timeout=timeout_s)
            for task in late:
                task.cancel()

    def close(self) -> None:
        for pool in (self._voice_pool, self._vision_pool, self._work_pool, self._sound_pool):
            pool.shutdown(wait=False, cancel_futures=True)


def _summary(actions: list[dict[str, Any]]) -> str:
    if not actions:
        return ""
    failed = [a for a in actions if not a["ok"]]
    if not failed:
        return "Done."
    return f"Sorry, {len(failed)} of {len(actions)} did not work: {failed[0]['error']}"
