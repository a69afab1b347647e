"""What every audio source offers: blocks of 16 kHz mono int16 samples, counted.

Two sources implement it: ``FileSource`` (a WAV/FLAC file, for the demo, tests and
benchmarks; see ``file_source.py``) and ``MicrophoneSource`` (a PortAudio input device that
survives being unplugged; see ``microphone.py``). Whatever comes after (VAD, wake word, ASR)
reads ``async for block in source.blocks()`` and never learns which one it has.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from edge_assistant.errors import EdgeAssistantError

SAMPLE_RATE = 16000
MIN_BLOCK_SAMPLES = 320  # 20 ms
MAX_BLOCK_SAMPLES = 512  # 32 ms: one silero VAD frame
DEFAULT_BLOCK_SAMPLES = MAX_BLOCK_SAMPLES


class AudioSourceError(EdgeAssistantError):
    """Audio cannot be read: a bad file, or an input device that is missing or unusable."""


@dataclass
class CaptureStats:
    """What a source has delivered and lost so far (read it any time; it only grows)."""

    blocks: int = 0
    """Blocks handed to the consumer."""
    dropped: int = 0
    """Blocks thrown away because the hand-over buffer was full (the consumer was too slow)."""
    overflows: int = 0
    """Callbacks where PortAudio reported an input overflow (audio lost before we saw it)."""
    reopen_attempts: int = 0
    """Tries to reopen the input device after losing it, successful or not."""
    last_error: str | None = None
    """The most recent loss or failed reopen, for status pages and logs."""


class AudioSource(ABC):
    """A stream of ``block_samples``-long 16 kHz mono int16 blocks."""

    block_samples: int
    stats: CaptureStats

    @abstractmethod
    def blocks(self) -> AsyncIterator[np.ndarray]:
        """Yield blocks until the source ends or ``close()`` is called.

        Implementations are async generators; iterate with ``async for`` (wrap in
        ``contextlib.aclosing`` to release a device as soon as the loop is left).
        """

    @abstractmethod
    def close(self) -> None:
        """Stop: ``blocks()`` ends at its next step and any device is released."""


def check_block_samples(block_samples: int) -> int:
    """``block_samples`` when it is a supported block length (20 to 32 ms), else ValueError."""
    if not MIN_BLOCK_SAMPLES <= block_samples <= MAX_BLOCK_SAMPLES:
        raise ValueError(
            f"block_samples={block_samples}: must be {MIN_BLOCK_SAMPLES}..{MAX_BLOCK_SAMPLES} "
            f"(20-32 ms at {SAMPLE_RATE} Hz)"
        )
    return block_samples
