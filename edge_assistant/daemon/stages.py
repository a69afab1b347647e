"""Where the time of one command goes, stage by stage, from the end of speech to the action.

Audio-time stages (the endpointer's wait) come from sample counts; the recognizer's final
work from the listener; everything after from ``mark()`` calls in the assistant. The stages
after the end of speech add up to ``eos_to_action``, so the profiler's waterfall and the
daemon's latency metric are the same numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from edge_assistant.audio.listener import TranscriptEvent

SAMPLES_PER_MS = 16  # 16 kHz
# After the end of speech, in order: each one's ms add up to eos_to_action.
AFTER_SPEECH = ("endpoint", "asr", "queue", "journal", "arbitrate", "understand", "policy",
                "action")  # fmt: skip


@dataclass
class StageClock:
    event: TranscriptEvent
    queued_at: float  # time.perf_counter() when the transcript entered the command queue
    wake_sample: int | None = None  # where the wake word fired, when one did
    start: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._last = self.start

    def mark(self, stage: str) -> None:
        """``stage`` ended now: it took the time since the previous mark (or the start)."""
        now = time.perf_counter()
        self.marks[stage] = self.marks.get(stage, 0.0) + (now - self._last) * 1000
        self._last = now

    def timings(self) -> dict[str, float]:
        """ms per stage: ``speech`` (and ``wake_to_speech``) before the end of speech, the
        AFTER_SPEECH stages after it, and their sum ``eos_to_action``."""
        event = self.event
        before = {"speech": (event.speech_end - event.start) / SAMPLES_PER_MS}
        if self.wake_sample is not None:
            before["wake_to_speech"] = max(0, event.start - self.wake_sample) / SAMPLES_PER_MS
        after = {
            "endpoint": (event.decided - event.speech_end) / SAMPLES_PER_MS,
            "asr": event.compute_ms,
            "queue": max(0.0, (self.start - self.queued_at) * 1000),
            **self.marks,
        }
        return {**before, **after, "eos_to_action": sum(after.values())}
