"""Audio from a WAV/FLAC file, made to look like a microphone: 16 kHz mono int16 blocks.

The whole file is read, checked and converted up front, so a bad file fails when the
source is made (naming the file and the problem), not halfway through a run. Meant for
clips, tests, the demo and benchmarks; an hour-long recording would sit in memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from edge_assistant.capture.audio import (
    DEFAULT_BLOCK_SAMPLES,
    SAMPLE_RATE,
    AudioSource,
    AudioSourceError,
    CaptureStats,
    check_block_samples,
)

log = logging.getLogger(__name__)

FULL_SCALE = 32767 / 32768  # float samples at or past this are clipped in int16


def read_audio(path: str | os.PathLike[str]) -> np.ndarray:
    """The whole file as 16 kHz mono int16: resampled, downmixed and converted as needed.

    Raises AudioSourceError naming the file for a missing, empty, truncated, corrupt or
    non-audio file and for NaN/inf samples. Clipped samples only log a warning.
    """
    path = Path(path)
    _check_file(path)
    try:
        info = sf.info(str(path))
        samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except sf.LibsndfileError as exc:
        raise AudioSourceError(
            f"{path}: cannot be read as audio ({exc.error_string}): not an audio file, or a "
            "corrupt or truncated one; give a WAV or FLAC file (convert others with ffmpeg)"
        ) from exc
    missing = _wav_missing_bytes(path) if info.format in ("WAV", "WAVEX") else 0
    if missing:
        raise AudioSourceError(
            f"{path}: truncated WAV, {missing} bytes of audio promised by its header are "
            "missing (an interrupted copy or recording?); copy or record it again"
        )
    if len(samples) == 0:
        raise AudioSourceError(f"{path}: no audio in it (0 frames); record or export it again")
    return _to_16k_mono_int16(path, samples, rate)


class FileSource(AudioSource):
    """Blocks from a file, as fast as the consumer takes them or paced like a microphone.

    ``realtime=True`` hands block i over at ``start + (i + 1) * block duration`` on the event
    loop's clock, as a microphone would once that audio has been heard; the schedule is
    absolute, so it does not drift. A consumer that falls behind gets the late blocks at once
    (a file loses nothing). The last block is padded with zeros.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        block_samples: int = DEFAULT_BLOCK_SAMPLES,
        realtime: bool = False,
    ) -> None:
        self.path = Path(path)
        self.block_samples = check_block_samples(block_samples)
        self.realtime = realtime
        self.stats = CaptureStats()
        self.audio = read_audio(self.path)
        self._closed = False
        self._next = 0  # the first sample not yet handed over

    async def blocks(self) -> AsyncIterator[np.ndarray]:
        """The blocks from where the last call stopped (a consumer restarted after a
        failure goes on, it does not hear the file again)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        block_s = self.block_samples / SAMPLE_RATE
        first = self._next
        for i, offset in enumerate(range(first, len(self.audio), self.block_samples)):
            if self._closed:
                return
            if self.realtime:
                await asyncio.sleep(max(0.0, start + (i + 1) * block_s - loop.time()))
            else:
                await asyncio.sleep(0)  # let other tasks run between blocks
            if self._closed:
                return
            block = self.audio[offset : offset + self.block_samples]
            if len(block) < self.block_samples:
                block = np.pad(block, (0, self.block_samples - len(block)))
            self.stats.blocks += 1
            self._next = offset + self.block_samples
            yield block

    def close(self) -> None:
        self._closed = True


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioSourceError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise AudioSourceError(f"{path}: not a file; give a WAV or FLAC file")
    if not os.access(path, os.R_OK):
        raise AudioSourceError(f"{path}: permission denied; make it readable (chmod)")
    if path.stat().st_size == 0:
        raise AudioSourceError(f"{path}: the file is empty (0 bytes); record or export it again")


def _wav_missing_bytes(path: Path) -> int:
    """How many bytes the WAV's data chunk claims beyond the end of the file.

    libsndfile reads a truncated WAV without complaint (it returns what is there), so the
    header is checked here. A size of 0 or 0xFFFFFFFF means a streaming writer did not know
    the length, which is not truncation.
    """
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:] != b"WAVE":
            return 0  # RF64/W64 and friends: trust libsndfile
        size = os.fstat(f.fileno()).st_size
        while len(chunk := f.read(8)) == 8:
            chunk_id, length = struct.unpack("<4sI", chunk)
            if chunk_id == b"data":
                if length in (0, 0xFFFFFFFF):
                    return 0
                return max(0, f.tell() + length - size)
            f.seek(length + (length & 1), os.SEEK_CUR)  # chunks are word-aligned
    return 0


def _to_16k_mono_int16(path: Path, samples: np.ndarray, rate: int) -> np.ndarray:
    """float32 frames x channels in [-1, 1] -> 16 kHz mono int16, saying what was changed."""
    bad = ~np.isfinite(samples)
    if bad.any():
        first = int(np.argmax(bad.any(axis=1)))
        raise AudioSourceError(
            f"{path}: {int(bad.sum())} samples are NaN or infinite (first at "
            f"{first / rate:.3f} s); the file is corrupt or was written by a broken "
            "process; export it again"
        )
    clipped = int(np.count_nonzero(np.abs(samples) >= FULL_SCALE))
    if clipped:
        log.warning(
            "%s: %d samples (%.2f%%) at or past full scale: the recording is clipped; "
            "recognition may suffer (record with less gain)",
            path,
            clipped,
            100 * clipped / samples.size,
        )
    channels = samples.shape[1]
    mono = samples.mean(axis=1, dtype=np.float32) if channels > 1 else samples[:, 0]
    if channels > 1:
        log.info("%s: mixed %d channels down to mono", path, channels)
    if rate != SAMPLE_RATE:
        log.info("%s: resampling %d Hz to %d Hz", path, rate, SAMPLE_RATE)
        mono = soxr.resample(mono, rate, SAMPLE_RATE, quality="HQ")
    return np.clip(np.round(mono * 32768.0), -32768, 32767).astype(np.int16)
