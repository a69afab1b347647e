"""Spoken test audio made on the spot with espeak-ng: commands, wake phrases, noisy copies.

Used by the demo (a spoken command for the file source), the tests and the benchmarks, so
nothing large is checked in. espeak-ng writes long runs of exact zeros, which no microphone
does and which upsets recognizers, so every clip gets a little dither. ``with_noise`` mixes
noise at a given SNR measured over the speech itself.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from dataclasses import dataclass

import numpy as np
import soxr

from edge_assistant.errors import EdgeAssistantError

SAMPLE_RATE = 16000
# Klatt variants are the most intelligible to recognizers; the plain ones add variety.
VOICES = ("en-us+klatt2", "en-us+klatt4", "en-us+klatt6", "en-us", "en-us+m3", "en-us+f2")
SPEEDS = (150, 175)
DITHER_LSB = 30.0


class SynthesisError(EdgeAssistantError):
    """espeak-ng is missing or failed."""


@dataclass(frozen=True)
class Clip:
    """16 kHz mono int16 samples with where the speech really is (sample indices)."""

    audio: np.ndarray
    text: str
    speech_start: int
    speech_end: int

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def espeak(text: str, voice: str = VOICES[0], speed: int = 160) -> np.ndarray:
    """Raw espeak-ng speech for ``text`` as 16 kHz float32 in [-1, 1] (no dither)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SynthesisError("espeak-ng is not installed: apt-get install espeak-ng")
    run = subprocess.run(
        [exe, "-v", voice, "-s", str(speed), "--stdout", text],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if run.returncode != 0 or not run.stdout:
        raise SynthesisError(f"espeak-ng -v {voice} failed: {run.stderr.decode().strip()}")
    with wave.open(io.BytesIO(run.stdout)) as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    audio = samples.astype(np.float32) / 32768.0
    return soxr.resample(audio, rate, SAMPLE_RATE).astype(np.float32)


def speak(
    text: str,
    voice: str = VOICES[0],
    speed: int = 160,
    lead_s: float = 0.5,
    tail_s: float = 0.8,
    seed: int = 0,
) -> Clip:
    """``text`` spoken with silence around it, dithered like a real microphone."""
    speech = trim(espeak(text, voice, speed))
    lead, tail = int(lead_s * SAMPLE_RATE), int(tail_s * SAMPLE_RATE)
    audio = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(tail, np.float32)])
    return Clip(dither(audio, seed), text, lead, lead + len(speech))


def trim(audio: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    """Cut the leading and trailing near-silence espeak adds."""
    loud = np.flatnonzero(np.abs(audio) > floor)
    return audio[loud[0] : loud[-1] + 1] if len(loud) else audio[:0]


def dither(audio: np.ndarray, seed: int = 0, lsb: float = DITHER_LSB) -> np.ndarray:
    """float32 -> int16 with Gaussian noise of ``lsb`` (a real microphone is never silent)."""
    rng = np.random.default_rng(seed)
    noisy = audio * 32768.0 + rng.normal(0.0, lsb, len(audio))
    return np.clip(np.round(noisy), -32768, 32767).astype(np.int16)


def pink_noise(n: int, seed: int = 0) -> np.ndarray:
    """Unit-RMS 1/f noise (a fan, traffic, a room): white noise shaped in the spectrum."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.normal(size=n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1] if n > 1 else 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return (noise / (np.sqrt(np.mean(noise**2)) + 1e-12)).astype(np.float32)


def with_noise(clip: Clip, snr_db: float, seed: int = 0) -> Clip:
    """A copy of ``clip`` with pink noise at ``snr_db`` relative to the speech's power."""
    audio = clip.audio.astype(np.float32)
    speech = audio[clip.speech_start : clip.speech_end]
    power = float(np.mean(speech**2)) if len(speech) else 1.0
    noise = pink_noise(len(audio), seed) * np.sqrt(power / 10 ** (snr_db / 10))
    mixed = np.clip(np.round(audio + noise), -32768, 32767).astype(np.int16)
    return Clip(mixed, clip.text, clip.speech_start, clip.speech_end)


def silence(seconds: float, seed: int = 0) -> np.ndarray:
    """Dithered room silence."""
    return dither(np.zeros(int(seconds * SAMPLE_RATE), np.float32), seed)


def concatenate(parts: list[np.ndarray | Clip]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Join silences and clips; returns the audio and each clip's (start, end) in it."""
    chunks, spans, offset = [], [], 0
    for part in parts:
        if isinstance(part, Clip):
            spans.append((offset + part.speech_start, offset + part.speech_end))
            part = part.audio
        chunks.append(part)
        offset += len(part)
    return np.concatenate(chunks) if chunks else np.zeros(0, np.int16), spans
