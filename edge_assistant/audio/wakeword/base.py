"""What every wake word engine offers: streaming blocks in, detections out.

Engines only compute scores; ``ScoringEngine`` turns them into detections the same way for
all of them: a model fires when its score rises to its threshold (a score that stays high
fires once), and after any detection every model is quiet for ``refractory_s``, counted in
samples so that replayed or buffered audio behaves exactly like live audio.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from edge_assistant.errors import EdgeAssistantError

SAMPLE_RATE = 16000


class WakeWordError(EdgeAssistantError):
    """A wake word model cannot be found or loaded (the message names the key and file)."""


@dataclass(frozen=True)
class WakeDetection:
    name: str  # the model's name in ``WakeWordEngine.names``
    score: float  # the score that crossed the threshold
    sample: int  # stream position (samples fed since construction or reset) when it fired


@dataclass(frozen=True)
class WakeScore:
    """One model's raw score, computed once the stream had been fed up to ``sample``."""

    name: str
    score: float
    sample: int


@dataclass(frozen=True)
class Score:
    """What an engine computes: a model's score once its block was fed up to ``end``."""

    model: int  # index into ``names``
    value: float
    end: int  # offset into the block passed to ``_scores`` (exclusive)


class WakeWordEngine(ABC):
    """A loaded wake word detector. ``process`` is blocking: call it off the event loop."""

    names: list[str]
    always_awake: bool = False

    @abstractmethod
    def process(self, block: np.ndarray) -> list[WakeDetection]:
        """Feed 16 kHz mono int16 samples (any length); detections that fired in them."""

    @abstractmethod
    def reset(self) -> None:
        """Forget all audio heard so far; sample positions count from zero again."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release native resources."""


def as_block(block: np.ndarray) -> np.ndarray:
    """``block`` as a 1-D int16 array; anything else is a caller bug."""
    array = np.asarray(block)
    if array.dtype != np.int16:
        raise TypeError(f"wake word audio must be int16 samples, got {array.dtype}")
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"wake word audio must be mono (1-D), got shape {array.shape}")
    return array


class ScoringEngine(WakeWordEngine):
    """Thresholds, rising edges and the refractory period over scores a subclass computes."""

    def __init__(self, names: Sequence[str], thresholds: Sequence[float], refractory_s: float):
        if len(set(names)) != len(names):
            raise WakeWordError(f"wake_word.models: two models have the same name ({names})")
        self.names = list(names)
        self.thresholds = list(thresholds)
        self.refractory_samples = round(refractory_s * SAMPLE_RATE)
        self._clear_gates()

    @abstractmethod
    def _scores(self, block: np.ndarray) -> Iterable[Score]:
        """Scores for ``block`` in stream order, with the streaming state carried over."""

    @abstractmethod
    def _reset_scores(self) -> None:
        """Forget the audio the scoring models have heard."""

    def process(self, block: np.ndarray) -> list[WakeDetection]:
        detections = []
        for index, score in self._advance(block):
            above = score.score >= self.thresholds[index]
            rising = above and not self._above[index]
            self._above[index] = above
            if rising and not self._refractory(score.sample):
                self._last_detection = score.sample
                detections.append(WakeDetection(score.name, score.score, score.sample))
        return detections

    def scores(self, block: np.ndarray) -> list[WakeScore]:
        """Like ``process`` but every raw score, ungated (to tune thresholds, to test)."""
        return [score for _, score in self._advance(block)]

    def _advance(self, block: np.ndarray) -> list[tuple[int, WakeScore]]:
        block = as_block(block)
        start = self._position
        scores = []
        for raw in self._scores(block):
            self._peaks[raw.model] = max(self._peaks[raw.model], raw.value)
            name = self.names[raw.model]
            scores.append((raw.model, WakeScore(name, raw.value, start + raw.end)))
        self._position = start + len(block)
        return scores

    def reset(self) -> None:
        self._reset_scores()
        self._clear_gates()

    def peak_scores(self) -> dict[str, float]:
        """The highest score of each model since construction or reset (to tune thresholds)."""
        return dict(zip(self.names, self._peaks, strict=True))

    def _refractory(self, sample: int) -> bool:
        last = self._last_detection
        return last is not None and sample - last < self.refractory_samples

    def _clear_gates(self) -> None:
        self._position = 0
        self._last_detection: int | None = None
        self._above = [False] * len(self.names)
        self._peaks = [0.0] * len(self.names)
