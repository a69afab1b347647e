"""Speech start and end from per-frame VAD probabilities: a small state machine.

Two end conditions: from a short silence (``end_silence_ms``) on, every silent frame raises
``pause`` (with the silence so far), where the listener asks the grammar recognizer whether
what it heard is already a whole command; a long one (``max_silence_ms``) ends any
utterance, so a speaker may stop mid-command to think. The short one is what makes the text
ready right after the speaker stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from edge_assistant.config.voice import VadConfig

SAMPLE_RATE = 16000
FRAME = 512  # samples per VAD frame (32 ms)
FRAME_MS = FRAME * 1000 // SAMPLE_RATE

EventKind = Literal["start", "pause", "end", "discard"]


@dataclass(frozen=True)
class VadEvent:
    kind: EventKind
    sample: int  # start: first speech sample incl. pre-roll; others: end of the frame seen
    speech_end: int = 0  # pause/end/discard: end of the last speech frame
    silence_ms: int = 0  # pause: silence since the last speech frame


class Endpointer:
    def __init__(self, config: VadConfig) -> None:
        self.config = config
        self._frames = lambda ms: max(1, -(-ms // FRAME_MS))  # ceil
        self.reset()

    def reset(self) -> None:
        self.in_speech = False
        self._run = 0  # consecutive speech frames while idle
        self._silent = 0  # consecutive silent frames while in speech
        self._start = 0
        self._speech_end = 0
        self._speech_frames = 0

    def push(self, probability: float, frame_end: int) -> list[VadEvent]:
        """One frame's probability; ``frame_end`` = stream sample index after the frame."""
        cfg = self.config
        if not self.in_speech:
            self._run = self._run + 1 if probability >= cfg.start_threshold else 0
            if self._run < self._frames(cfg.start_ms):
                return []
            first = frame_end - self._run * FRAME
            self.in_speech, self._silent = True, 0
            self._start = max(0, first - cfg.pre_roll_ms * SAMPLE_RATE // 1000)
            self._speech_end, self._speech_frames = frame_end, self._run
            return [VadEvent("start", self._start)]
        if probability >= cfg.end_threshold:
            self._silent = 0
            self._speech_end = frame_end
            self._speech_frames += 1
        else:
            self._silent += 1
        too_long = frame_end - self._start >= cfg.max_utterance_s * SAMPLE_RATE
        if self._silent >= self._frames(cfg.max_silence_ms) or too_long:
            return [self._finish(frame_end)]
        long_enough = self._speech_frames * FRAME_MS >= cfg.min_speech_ms
        if self._silent >= self._frames(cfg.end_silence_ms) and long_enough:
            return [VadEvent("pause", frame_end, self._speech_end, self._silent * FRAME_MS)]
        return []

    def _finish(self, frame_end: int) -> VadEvent:
        long_enough = self._speech_frames * FRAME_MS >= self.config.min_speech_ms
        event = VadEvent("end" if long_enough else "discard", frame_end, self._speech_end)
        self.in_speech, self._run = False, 0
        return event
