"""What every speech recognizer engine offers, and what it returns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from edge_assistant.errors import EdgeAssistantError

SAMPLE_RATE = 16000


class AsrError(EdgeAssistantError):
    """An engine cannot load (missing model, words missing from its dictionary, ...)."""


class SentenceStatus(StrEnum):
    INCOMPLETE = "incomplete"  # not a whole sentence (maybe the start of one)
    COMPLETE = "complete"  # a whole sentence that nothing can extend
    EXTENDABLE = "extendable"  # a whole sentence, and the start of longer ones


@dataclass(frozen=True)
class Alternative:
    text: str
    score: float  # engine-specific confidence, higher is better


@dataclass(frozen=True)
class Transcript:
    """One engine's reading of one utterance."""

    text: str  # normalised: lowercase words, "" when nothing was recognised
    engine: str  # "pocketsphinx" | "vosk" | "whisper"
    accepted: bool  # passed the engine's own acceptance test (in grammar, score)
    score: float  # engine-specific confidence, higher is better
    alternatives: tuple[Alternative, ...] = ()
    # milliseconds: "decode" (streaming work while audio came), "finalize" (after the end)
    timings: dict[str, float] = field(default_factory=dict)
    reason: str = ""  # why it was rejected, for logs


class Stream(ABC):
    """One utterance being decoded as its audio arrives."""

    @abstractmethod
    def feed(self, block: np.ndarray) -> None:
        """Add 16 kHz mono int16 samples. Blocking (run it off the event loop)."""

    @abstractmethod
    def finish(self) -> Transcript:
        """The final transcript once the utterance has ended."""

    def cancel(self) -> None:  # noqa: B027 - engines without per-utterance state need nothing
        """Drop the utterance without a transcript (a burst too short to be speech, an error):
        the engine must be ready for the next ``stream()`` afterwards. Idempotent, and safe
        after ``finish``."""

    def status(self) -> SentenceStatus | None:
        """Where the reading so far stands in the engine's grammar; None: not known (an
        open-vocabulary engine), the caller tries to finish at the first pause."""
        return None


class AsrEngine(ABC):
    """A loaded recognizer. ``stream()`` starts an utterance; ``transcribe`` does a whole one."""

    name: str

    @abstractmethod
    def stream(self) -> Stream: ...

    def transcribe(self, audio: np.ndarray) -> Transcript:
        stream = self.stream()
        stream.feed(audio)
        return stream.finish()

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release native resources."""
