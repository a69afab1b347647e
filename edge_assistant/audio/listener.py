"""The voice path: audio blocks -> VAD -> wake word -> endpointing -> two-pass ASR -> events.

``Listener.process`` is synchronous and does all the model work for one block; ``listen``
runs it on one worker thread so the event loop only moves blocks and events. While the
room is quiet only the VAD and the wake word run; the recognizer starts at speech.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_assistant.audio.asr.two_pass import Recognition, TwoPassRecognizer, Utterance
from edge_assistant.audio.endpointing import FRAME, SAMPLE_RATE, Endpointer, VadEvent
from edge_assistant.audio.vad import SileroVad
from edge_assistant.audio.wakeword import WakeDetection, WakeWordEngine, load_wake_word
from edge_assistant.capture.audio import AudioSource
from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.config.voice import VoiceConfig
from edge_assistant.home.model import Home

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WakeEvent:
    detection: WakeDetection


@dataclass(frozen=True)
class SpeechEvent:
    kind: str  # "start" | "end" | "discard" | "timeout" (woken, nothing said)
    sample: int


@dataclass(frozen=True)
class TranscriptEvent:
    recognition: Recognition
    start: int  # utterance start (sample, with pre-roll)
    speech_end: int  # end of the last speech frame the VAD saw
    decided: int  # sample at which the end of the utterance was decided
    compute_ms: float  # work after that sample: final search, second pass
    audio: np.ndarray | None = None  # the utterance (16 kHz int16): speaker verification

    def latency_ms(self, true_end: int) -> float:
        """From ``true_end`` (a sample) until the text is ready."""
        return (self.decided - true_end) * 1000 / SAMPLE_RATE + self.compute_ms


Event = WakeEvent | SpeechEvent | TranscriptEvent


class Listener:
    """The voice path's state machine. Every path that ends an utterance (accepted, rejected,
    too short, timed out, an engine error) goes through ``_end_utterance``, which ends the
    recognizer's utterance and resets the endpointer and the wake word engine: no fault in one
    utterance may leave state behind that stops the next one."""

    def __init__(
        self,
        config: VoiceConfig,
        vad: SileroVad,
        wake: WakeWordEngine,
        recognizer: TwoPassRecognizer,
    ) -> None:
        self.config = config
        self.vad = vad
        self.wake = wake
        self.recognizer = recognizer
        self.endpointer = Endpointer(config.vad)
        pre_roll_frames = -(-config.vad.pre_roll_ms * SAMPLE_RATE // 1000 // FRAME) + 8
        self._recent: deque[tuple[int, np.ndarray]] = deque(maxlen=pre_roll_frames)
        self._pending = np.zeros(0, np.int16)
        self.samples = 0  # stream position (end of the last whole frame)
        self._utterance: Utterance | None = None
        self._utterance_start = 0
        self._awake_until = -1  # sample until which a command is listened for
        self._awake_from = 0
        self._last_end = 0  # pre-roll never reaches into the previous utterance
        # The wake word engine counts samples from its last reset and hears no audio while an
        # utterance is recorded: this is how many it has been fed, to map its detections
        # back onto the stream.
        self._wake_fed = 0
        self.errors = 0  # utterances lost to an engine error (each one logged and reported)

    @classmethod
    def from_config(
        cls, device_config: LoadedDeviceConfig, home: Home | None, models_dir: Path | None = None
    ) -> Listener:
        """Load every model the device config's voice section names."""
        voice = device_config.config.voice
        vad = SileroVad.from_config(device_config, models_dir)
        wake = load_wake_word(voice.wake_word)
        return cls(voice, vad, wake, TwoPassRecognizer.from_config(voice.asr, home))

    def close(self) -> None:
        self.wake.close()
        self.recognizer.close()

    @property
    def awake(self) -> bool:
        return self.wake.always_awake or self.samples < self._awake_until

    def reset(self) -> None:
        """Forget everything in flight (an utterance, the VAD's and wake word's state) and go
        on from the current stream position: how the daemon restarts a failed voice path."""
        self._drop_utterance()
        self._pending = np.zeros(0, np.int16)
        self._recent.clear()
        self._awake_until = -1
        self._last_end = self.samples
        self.endpointer.reset()
        self.vad.reset()
        self._reset_wake()

    def process(self, block: np.ndarray) -> list[Event]:
        """Feed 16 kHz mono int16 samples (any length). Blocking: models run here."""
        audio = np.concatenate([self._pending, block]) if len(self._pending) else block
        whole = len(audio) - len(audio) % FRAME
        self._pending = audio[whole:].copy()
        events: list[Event] = []
        for offset in range(0, whole, FRAME):
            events += self._frame(audio[offset : offset + FRAME])
        return events

    def flush(self) -> list[Event]:
        """End of input: finish an utterance in progress."""
        if self._utterance is None:
            return []
        return self._finish(VadEvent("end", self.samples, self.samples))

    def _frame(self, frame: np.ndarray) -> list[Event]:
        start = self.samples
        self.samples += FRAME
        self._recent.append((start, frame))
        events: list[Event] = []
        if not self.wake.always_awake and self._utterance is None:
            offset = start - self._wake_fed  # stream sample = engine sample + offset
            self._wake_fed += len(frame)
            for detection in self.wake.process(frame):
                at = detection.sample + offset
                events.append(WakeEvent(dataclasses.replace(detection, sample=at)))
                self._awake_from = at
                self._awake_until = at + int(self.config.command_window_s * SAMPLE_RATE)
                self.endpointer.reset()
        probability = self.vad.probability(frame.astype(np.float32) / 32768.0)
        if self._utterance is not None:
            try:
                self._utterance.feed(frame)
            except Exception as exc:
                events += self._failed(exc, self.samples)
        for vad_event in self.endpointer.push(probability, self.samples):
            events += self._on_vad(vad_event)
        if (
            not self.wake.always_awake
            and self._utterance is None
            and 0 <= self._awake_until <= self.samples
        ):
            events.append(SpeechEvent("timeout", self.samples))
            self._awake_until = -1
        return events

    def _on_vad(self, event: VadEvent) -> list[Event]:
        if event.kind == "start":
            if not self.awake:
                return []
            begin = max(event.sample, self._awake_from, self._last_end)
            self._utterance_start = begin
            try:
                self._utterance = self.recognizer.utterance()
                for frame_start, frame in self._recent:
                    if frame_start + FRAME > begin:
                        self._utterance.feed(frame[max(0, begin - frame_start) :])
            except Exception as exc:
                return self._failed(exc, event.sample)
            return [SpeechEvent("start", begin)]
        if self._utterance is None:
            return []
        if event.kind == "pause":
            begin = time.perf_counter()
            try:
                recognition = self._utterance.finish_if_complete(
                    event.silence_ms, self.config.vad.extend_silence_ms
                )
            except Exception as exc:
                return self._failed(exc, event.sample)
            if recognition is None:
                return []
            compute = (time.perf_counter() - begin) * 1000
            return self._close(recognition, event, compute)
        if event.kind == "discard":
            # a burst too short for a command (a cough, a click): the wake word's window, if
            # one is open, stays open for the command that may follow
            self._end_utterance(event.sample, keep_awake=True)
            return [SpeechEvent("discard", event.sample)]
        return self._finish(event)

    def _finish(self, event: VadEvent) -> list[Event]:
        begin = time.perf_counter()
        try:
            recognition = self._utterance.finish()
        except Exception as exc:
            return self._failed(exc, event.sample)
        return self._close(recognition, event, (time.perf_counter() - begin) * 1000)

    def _close(self, recognition: Recognition, event: VadEvent, compute: float) -> list[Event]:
        audio = self._utterance.audio if self._utterance is not None else None
        self._end_utterance(event.sample)
        end = SpeechEvent("end", event.sample)
        transcript = TranscriptEvent(
            recognition, self._utterance_start, event.speech_end, event.sample, compute, audio
        )
        return [end, transcript]

    def _failed(self, exc: Exception, sample: int) -> list[Event]:
        """An engine failed on this utterance: drop it (reported as a transcript that was
        not accepted, with the error) and go on listening."""
        self.errors += 1
        log.error("recognizer failed on the utterance at %.2f s; dropped it and listening on: "
                  "%r", self._utterance_start / SAMPLE_RATE, exc, exc_info=exc)  # fmt: skip
        # the endpointer is left in speech: the rest of this speech is ignored, not heard as
        # an utterance of its own (the tail of a command can be another command)
        self._end_utterance(sample, reset_endpointer=False)
        error = f"{type(exc).__name__}: {exc}"
        transcript = TranscriptEvent(
            Recognition.failed(error), self._utterance_start, sample, sample, 0.0, None
        )
        return [SpeechEvent("end", sample), transcript]

    def _end_utterance(
        self, sample: int, keep_awake: bool = False, reset_endpointer: bool = True
    ) -> None:
        self._drop_utterance()
        if not keep_awake:
            self._awake_until = -1
        self._last_end = sample
        if reset_endpointer:
            self.endpointer.reset()
        self._reset_wake()

    def _drop_utterance(self) -> None:
        utterance, self._utterance = self._utterance, None
        if utterance is None:
            return
        try:
            utterance.cancel()
        except Exception:  # the engine's own reset failed: its next stream() recovers
            log.exception("recognizer: ending a dropped utterance failed")

    def _reset_wake(self) -> None:
        if not self.wake.always_awake:
            self.wake.reset()
            self._wake_fed = 0


async def listen(listener: Listener, source: AudioSource) -> AsyncIterator[Event]:
    """Events from a source, with all model work on one worker thread."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="voice") as worker:
        # aclosing: a failure here releases the device at once, so a restart can reopen it
        async with contextlib.aclosing(source.blocks()) as blocks:
            async for block in blocks:
                for event in await loop.run_in_executor(worker, listener.process, block):
                    yield event
        for event in await loop.run_in_executor(worker, listener.flush):
            yield event
