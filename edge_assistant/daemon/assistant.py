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
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from edge_assistant.actions.base import Sink
from edge_assistant.audio.asr.two_pass import Recognition
from edge_assistant.audio.listener import Listener, TranscriptEvent, WakeEvent, listen
from edge_assistant.capture.text_source import TextSource
from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.daemon import metrics
from edge_assistant.daemon.acting import Actor
from edge_assistant.daemon.announce import Announcer
from edge_assistant.daemon.answers import custom_response, spoken_answer
from edge_assistant.daemon.arbitration import Arbiter, Ruling, Wake
from edge_assistant.daemon.later import Later
from edge_assistant.daemon.lists import LIST_INTENTS, Lists
from edge_assistant.daemon.outcome import Heard, Outcome, summary
from edge_assistant.daemon.stages import StageClock
from edge_assistant.daemon.timers import TIMER_INTENTS, Timers
from edge_assistant.daemon.watching import Watcher
from edge_assistant.feedback.speech import Voice
from edge_assistant.home.model import Home, load_home
from edge_assistant.journal.database import JournalError
from edge_assistant.journal.journal import Journal
from edge_assistant.policy.policy import Confirmation, Evidence, Policy, Verdict, is_answer
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.decide import describe
from edge_assistant.understanding.intents import Command
from edge_assistant.understanding.understand import Understander
from edge_assistant.vision.context import VisionContext

log = logging.getLogger(__name__)
STATE_INTENTS = {"HassGetState", "HassClimateGetTemperature", "HassGetWeather"}


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
        self.policy = Policy(home, self.config.policy)
        self.on_outcome = on_outcome or (lambda o: print(json.dumps(o.to_json()), flush=True))
        self.watcher = Watcher(vision, self.config.vision)
        self.pending: Confirmation | None = None
        self.outcomes: list[Outcome] = []
        self._transcripts: asyncio.Queue[Heard | None] = asyncio.Queue(
            self.config.daemon.queue_size
        )
        # a thread per model family: the voice path (listen's), vision (the watcher's), the rest
        self._work_pool = ThreadPoolExecutor(2, thread_name_prefix="work")
        self.actor = Actor(sink, journal, self._work_pool, self.config.actions.ttl_s)
        self.announcer = Announcer(self.voice, sink, arbiter)
        sink.on_broadcast = self.announcer.broadcast
        self.later = Later(
            lambda: self.understander, self.actor, journal, self._work_pool, lambda: self.home,
            self.config.actions.ttl_s, self._finish,
        )  # fmt: skip
        self.timers = Timers(journal, self.announcer.alert, on_command=self.later.do)
        self.lists = Lists(journal)
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()

    # --- sources -------------------------------------------------------------------------
    async def hear(self, source) -> None:
        """Task: the voice path. Accepted transcripts go to the bounded command queue (a full
        queue drops the oldest waiting one); what is not a command, a recognizer error and a
        dropped command are journaled with their fate. Typed commands (a TextSource) take
        the same path from the queue on."""
        if isinstance(source, TextSource):
            return await self._read(source)
        async for event in listen(self.listener, source):
            if isinstance(event, WakeEvent):
                metrics.WAKES.inc()
                self._wake_sample = event.detection.sample
                if self.arbiter is not None:
                    detection = event.detection
                    self._wake = await self.arbiter.claim(detection.name, detection.score)
                self.announcer.woken(self._wake)
            elif isinstance(event, TranscriptEvent):
                heard = Heard.of(event, self._wake, self._wake_sample)
                self._wake, self._wake_sample = None, None
                if event.recognition.accepted:
                    await self._enqueue(heard)
                else:
                    await self._not_a_command(heard)
            if self._stopping.is_set():
                break

    async def _read(self, source: TextSource) -> None:
        """Typed commands, one a line: nothing typed is dropped, so a full queue makes the
        reader wait; a command's time to live counts from when it is queued."""
        async for text in source.lines():
            while self._transcripts.full():
                await asyncio.sleep(0.01)
            event = TranscriptEvent(Recognition(text, "text", True, ()), 0, 0, 0, 0.0)
            await self._enqueue(Heard.of(event, None, None))
            if self._stopping.is_set():
                break

    async def _enqueue(self, heard: Heard) -> None:
        if self._transcripts.full():
            dropped = self._transcripts.get_nowait()
            assert dropped is not None
            waiting = self._transcripts.qsize() + 1
            log.warning("command queue full: dropped %r", dropped.event.recognition.text)
            metrics.DROPPED.inc()
            reason = f"command queue full ({waiting} waiting): a newer one came"
            await self._journal_fate(dropped, "dropped", reason, outcome=True)
        await self._transcripts.put(heard)
        recognition = heard.event.recognition
        self.announcer.publish("heard", {"text": recognition.text, "engine": recognition.engine})

    async def _not_a_command(self, heard: Heard) -> None:
        """A transcript the recognizer did not accept, or an engine error: journaled."""
        recognition = heard.event.recognition
        fate = "error" if recognition.error else "rejected"
        log.info("heard no command (%s): %s", fate, recognition.reason)
        await self._journal_fate(heard, fate, recognition.reason, outcome=False)

    async def _journal_fate(
        self,
        heard: Heard,
        fate: str,
        reason: str,
        outcome: bool,
        utterance: int | None = None,
        said: str = "",
    ) -> Outcome:
        """Journal an utterance that gets no decision with its fate (``outcome``: a command
        that will not be done, dropped or expired, is also reported like a decision)."""
        recognition = heard.event.recognition
        passes = recognition.passes
        text = recognition.text or (passes[-1].text if passes else "")
        engine = recognition.engine or (passes[-1].engine if passes else None)

        def write() -> None:
            nonlocal utterance
            if utterance is None:
                utterance = self.journal.utterance(
                    source=self.config.daemon.name, text=text, engine=engine,
                    timings=recognition.timings, at=heard.ended_wall,
                )  # fmt: skip
            self.journal.unhandled(utterance_id=utterance, fate=fate, reason=reason)

        # a journal that cannot write raises JournalError: the task fails, and the supervisor
        # restarts it or, when it keeps failing, stops the daemon (exit 1)
        await asyncio.get_running_loop().run_in_executor(self._work_pool, write)
        metrics.UNHANDLED.labels(fate).inc()
        result = Outcome(text, {}, fate, reason, said=said).heard_in(heard.event)
        if outcome:
            await self._finish(result)
        return result

    async def see(self, source) -> None:
        """Task: the vision path (daemon/watching.py); a thumbs up or down answers a pending
        confirmation."""
        await self.watcher.run(source, self._stopping, self._on_gesture)

    async def _on_gesture(self, gesture: str) -> None:
        if self.pending is not None:
            await self._answer_pending(None, gesture, time.monotonic())

    def seen(self) -> VisionContext:
        return self.watcher.seen()

    @property
    def vision_ms(self) -> list[float]:
        """Vision time of each frame, newest last (the profiler's waterfall reads it)."""
        return list(self.watcher.frame_ms)

    # --- commands ------------------------------------------------------------------------
    async def handle_commands(self) -> None:
        """Task: one transcript at a time, to its outcome."""
        while True:
            heard = await self._transcripts.get()
            if heard is None:
                return
            try:
                await self.handle(heard)
            except JournalError:  # no fate can be recorded: a failure of the task (supervisor)
                raise
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
                timings=event.recognition.timings, at=heard.ended_wall,
            ),
        )  # fmt: skip
        clock.mark("journal")
        ttl_s = self.config.actions.ttl_s
        deadline = heard.ended + ttl_s
        waited = time.monotonic() - heard.ended
        if waited >= ttl_s:  # a command done a minute after it was asked for is a wrong one
            return await self._journal_fate(
                heard, "expired", f"waited {waited:.1f} s since it was said, past actions.ttl_s "
                f"({ttl_s:g} s); not done", outcome=True, utterance=utterance,
                said="Sorry, I could not do that in time. Please ask again.",
            )  # fmt: skip
        if wake is not None and self.arbiter is not None:
            ruling = await self.arbiter.rule(wake)
            clock.mark("arbitrate")
            if not ruling.handle:
                return await self._defer(event, clock, utterance, wake, ruling)
            log.info("arbitration: handled here: %s", ruling.reason)
        now = time.monotonic()
        if self.pending is not None:
            answered = await self._answer_pending(text, None, now, utterance, clock, deadline)
            if answered is not None:
                return answered
        context = self._context()
        commands = await loop.run_in_executor(
            self._work_pool, self.understander.understand_all, text, context
        )
        clock.mark("understand")
        outcome = None
        asked = False
        for command in commands:  # several commands said together: each decided and done
            outcome = await self._do(command, heard, context, utterance, clock, deadline, asked)
            asked = asked or outcome.decision == "confirm"
        assert outcome is not None  # understand_all reads at least one command
        return outcome

    async def _do(
        self,
        command: Command,
        heard: Heard,
        context: Context,
        utterance: int,
        clock: StageClock,
        deadline: float,
        asked: bool = False,
    ) -> Outcome:
        """One command of a transcript: checked by the policy, journaled, done (or asked, or
        refused with the reason said), its outcome handed on. ``asked``: an earlier command of
        the same sentence is waiting for its yes."""
        loop = asyncio.get_running_loop()
        event = heard.event
        evidence = await loop.run_in_executor(self._work_pool, self._evidence, event, command)
        verdict = self.policy.check(command, evidence)
        if verdict.decision == "confirm" and asked:  # one question at a time
            verdict = Verdict("refuse", f"I can ask about one thing at a time; "
                              f"ask me again to {describe(command, self._names())} after")  # fmt: skip
        decision_id = await loop.run_in_executor(
            self._work_pool, lambda: self.journal.decision(
                utterance_id=utterance, command=command.to_json(), decision=verdict.decision,
                reason=verdict.reason,
            ),
        )  # fmt: skip
        text = event.recognition.text
        outcome = Outcome(text, command.to_json(), verdict.decision, verdict.reason).heard_in(event)
        clock.mark("policy")
        if verdict.decision == "allow":
            if command.intent in STATE_INTENTS:
                outcome.said = await self.actor.answer_state(command, self.home)
            elif command.intent in TIMER_INTENTS:
                area = context.command_area()
                later = command.slots.get("conversation_command")
                problem = await self.later.check(str(later), context) if later else None
                if problem:  # found now, not when the timer ends and nobody listens
                    outcome.reason = f"not set: {problem}"
                    outcome.said = f"I cannot do that later: {problem}."
                else:
                    outcome.said = await loop.run_in_executor(
                        self._work_pool, self.timers.handle, command,
                        self.home.area(area).name if area else None, decision_id,
                    )  # fmt: skip
            elif command.intent in LIST_INTENTS and not command.targets:  # its own lists
                outcome.said = await loop.run_in_executor(
                    self._work_pool, self.lists.handle, command, decision_id
                )
            elif (answer := spoken_answer(command)) is not None:
                outcome.said = answer
            else:
                outcome.actions = await self.actor.act(command, self.home, decision_id, deadline)
                outcome.said = summary(outcome.actions)
                reply = custom_response(command, self.home)
                if reply is not None and all(a["ok"] for a in outcome.actions):
                    outcome.said = reply  # a custom intent's own response (home.yaml intents)
        elif verdict.decision == "confirm":
            now = time.monotonic()
            self.pending = Confirmation(command, now, self.config.policy.confirm_s, decision_id)
            outcome.said = verdict.question
        else:
            outcome.said = verdict.reason
            metrics.REFUSED.inc()
        clock.mark("action")
        outcome.timings_ms = clock.timings()
        if outcome.actions:
            metrics.LATENCY.observe(outcome.timings_ms["eos_to_action"] / 1000)
        await self._finish(outcome)
        return outcome

    def _names(self) -> dict[str, str]:
        return {d.id: d.name for d in self.home.devices}

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
        outcome = Outcome(event.recognition.text, {}, "deferred", ruling.reason).heard_in(event)
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
        deadline: float | None = None,
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
        if answer is None and text is not None:
            answer = "superseded"  # a new command, not a yes or no: the question is dropped
        if answer is None:
            return None
        self.pending = None
        if answer in ("expired", "superseded") and not is_answer(text) and text is not None:
            # the new utterance is a command of its own: the question ends quietly, journaled
            # (a "yes" said to a question nobody remembers would act on it)
            reason = ("no confirmation in time" if answer == "expired"
                      else "a new command came before an answer")  # fmt: skip
            await loop.run_in_executor(
                self._work_pool, lambda: self.journal.decision(
                    utterance_id=utterance, command=command.to_json(), decision="cancelled",
                    reason=reason, answers=pending.decision_id,
                ),
            )  # fmt: skip
            return None
        reason = {"expired": "no confirmation in time", "cancelled": "cancelled by the speaker",
                  "confirmed": "confirmed by " + ("gesture" if gesture else "voice")}[answer]  # fmt: skip
        decision_id = await loop.run_in_executor(
            self._work_pool, lambda: self.journal.decision(
                utterance_id=utterance, command=command.to_json(), decision=answer,
                reason=reason, answers=pending.decision_id,
            ),
        )  # fmt: skip
        outcome = Outcome(text or gesture or "", command.to_json(), answer, reason)
        if clock is not None:
            outcome.heard_in(clock.event)
        if answer == "expired":
            outcome.said = "Cancelled: no confirmation in time."
            await self._finish(outcome)
            return None  # the new utterance is a command of its own
        if clock is not None:
            clock.mark("policy")
        if answer == "confirmed":
            deadline = deadline or time.monotonic() + self.config.actions.ttl_s
            outcome.actions = await self.actor.act(command, self.home, decision_id, deadline)
            outcome.said = summary(outcome.actions)
        else:
            outcome.said = "Cancelled."
        if clock is not None:
            clock.mark("action")
            outcome.timings_ms = clock.timings()
        await self._finish(outcome)
        return outcome

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
        self.announcer.publish("did", outcome.to_json())  # for the other rooms
        if outcome.said:
            await self.announcer.say(outcome.said)

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @property
    def queued(self) -> int:
        """Commands waiting in the queue."""
        return self._transcripts.qsize()

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
        old = self.understander
        self.understander = Understander(old.encoder, old.fusion, home, old.decider.config)
        log.info("reloaded %s: %d devices", self.home_path, len(home.devices))
        return True

    async def stop(self) -> None:
        """Stop listening and watching; commands already queued get ``drain_s``."""
        self._stopping.set()
        await self._transcripts.put(None)

    async def settle(self, timeout_s: float = 1.0) -> None:
        await self.announcer.settle(timeout_s)

    def close(self) -> None:
        self._work_pool.shutdown(wait=False, cancel_futures=True)
        self.watcher.close()
        self.announcer.close()
