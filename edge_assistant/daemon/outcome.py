"""What the assistant hands on: a transcript waiting in the command queue (Heard) and what
became of it (Outcome: printed as a JSON line, published as a "did" event, kept for tests)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from edge_assistant.audio.listener import TranscriptEvent
from edge_assistant.daemon.arbitration import Wake


@dataclass(frozen=True)
class Heard:
    """A transcript waiting to be handled, with the wake that opened it (if any) and when
    its speech ended: its time to live counts from then, not from when it leaves the queue."""

    event: TranscriptEvent
    wake: Wake | None  # the arbiter's claim, when arbitrating
    wake_sample: int | None  # where the wake word fired
    at: float = field(default_factory=time.perf_counter)  # when it entered the queue
    ended: float = field(default_factory=time.monotonic)  # end of speech, time.monotonic()
    ended_wall: float = field(default_factory=time.time)  # the same, time.time()

    @classmethod
    def of(cls, event: TranscriptEvent, wake: Wake | None, wake_sample: int | None) -> Heard:
        """Heard now: its speech ended the listener's end-of-speech latency ago (endpointing
        wait and recognizer work, from the sample counts)."""
        ago = max(0.0, event.latency_ms(event.speech_end) / 1000)
        return cls(event, wake, wake_sample, ended=time.monotonic() - ago,
                   ended_wall=time.time() - ago)  # fmt: skip


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
    speech_s: tuple[float, float] | None = None  # where in the audio stream it was said

    def heard_in(self, event: TranscriptEvent) -> Outcome:
        """Mark where the words were in the stream (seconds from its start)."""
        self.speech_s = (round(event.start / 16000, 3), round(event.speech_end / 16000, 3))
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": self.command.get("intent"),
            **({"layer": self.command["layer"]} if self.command.get("layer") else {}),
            "targets": self.command.get("targets", []),
            "decision": self.decision,
            "reason": self.reason,
            "actions": self.actions,
            "said": self.said,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            **({"speech_s": list(self.speech_s)} if self.speech_s else {}),
        }


def summary(actions: list[dict[str, Any]]) -> str:
    if not actions:
        return ""
    failed = [a for a in actions if not a["ok"]]
    if not failed:
        return "Done."
    return f"Sorry, {len(failed)} of {len(actions)} did not work: {failed[0]['error']}"
