"""Spoken responses: espeak-ng (always available on the box) or Piper when the user has it,
and a short chime when the wake word is heard, played on the default output device; where
there is none (a server, CI) the text is logged, the audio dropped, and that said once.
Synthesis and playback block: callers run them off the event loop."""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from edge_assistant.errors import EdgeAssistantError

if TYPE_CHECKING:
    from edge_assistant.config.feedback import FeedbackConfig

log = logging.getLogger(__name__)

MAX_CHARS = 500  # a response longer than this is cut: nobody listens to more
ESPEAK_RATE = 22050


class VoiceLoadError(EdgeAssistantError):
    """The configured voice cannot be used; the message names the file or voice and the fix."""


class Engine(Protocol):
    """A speech synthesizer: text in, mono int16 audio at ``sample_rate`` out."""

    name: str
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray: ...


class EspeakEngine:
    """espeak-ng as a subprocess: the text goes through stdin, never argv."""

    name = "espeak"
    sample_rate = ESPEAK_RATE

    def __init__(self, voice: str = "en-us", speed: int = 170) -> None:
        self.voice, self.speed = voice, speed

    def check(self) -> None:
        """Raise VoiceLoadError now when espeak-ng or its voice is missing."""
        if shutil.which("espeak-ng") is None:
            raise VoiceLoadError(
                "espeak-ng is not installed: apt install espeak-ng, or set daemon.speak: false"
            )
        result = self._run("ok")
        if result.returncode != 0:
            reason = result.stderr.decode(errors="replace").strip()
            raise VoiceLoadError(
                f"espeak-ng voice {self.voice!r} cannot speak ({reason}): "
                "`espeak-ng --voices` lists the voices; set feedback.voice to one of them"
            )

    def synthesize(self, text: str) -> np.ndarray:
        result = self._run(text)
        if result.returncode != 0 or len(result.stdout) <= 44:
            log.warning("espeak-ng failed (%s): %s", result.returncode, result.stderr[:200])
            return np.zeros(0, np.int16)
        return np.frombuffer(result.stdout[44:], dtype=np.int16)  # after the WAV header

    def _run(self, text: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["espeak-ng", "-v", self.voice, "-s", str(self.speed), "--stdout"],
            input=text.encode(), capture_output=True, timeout=30, check=False,
        )  # fmt: skip


class Voice:
    """What the device says and chimes. ``enabled``: speech is on (responses are logged and
    kept in ``said`` either way); ``chime_enabled``: the wake chime is on."""

    def __init__(
        self,
        enabled: bool = True,
        voice: str = "en-us",
        speed: int = 170,
        *,
        engine: Engine | None = None,
        volume: float = 1.0,
        chime: bool = True,
    ) -> None:
        if engine is None and shutil.which("espeak-ng") is not None:
            engine = EspeakEngine(voice, speed)
        if engine is None and enabled:
            log.warning("espeak-ng is not installed: responses are logged, not spoken")
        self.engine = engine
        self.enabled = enabled and engine is not None
        self.chime_enabled = enabled and chime
        self.voice, self.speed, self.volume = voice, speed, volume
        self.sample_rate = engine.sample_rate if engine is not None else ESPEAK_RATE
        self.said: list[str] = []  # what was said, for logs and tests
        self.no_output: str | None = None  # why nothing is heard, once playback failed
        self._playing = threading.Lock()  # one sound at a time: sd.play cuts the previous

    @classmethod
    def from_config(
        cls, config: FeedbackConfig, enabled: bool = True, base_dir: Path | None = None
    ) -> Voice:
        """The configured voice, loaded now (a missing or corrupt Piper voice, an unknown
        espeak voice: VoiceLoadError). ``enabled`` False loads nothing and stays silent;
        ``base_dir``: where a relative ``piper_model`` is taken from."""
        if not enabled:
            return cls(False, config.voice, config.speed, volume=config.volume, chime=False)
        start = time.perf_counter()
        engine: Engine
        if config.engine == "piper":
            from edge_assistant.feedback.piper import PiperEngine

            model = config.model_path(base_dir)
            assert model is not None  # FeedbackConfig requires it for engine piper
            engine = PiperEngine.load(model, threads=config.piper_threads)
            what = f"piper voice {model}"
        else:
            engine = EspeakEngine(config.voice, config.speed)
            engine.check()
            what = f"espeak-ng voice {config.voice} at {config.speed} wpm"
        ms = (time.perf_counter() - start) * 1000
        log.info("speech: %s, %d Hz (ready in %.0f ms)", what, engine.sample_rate, ms)
        return cls(
            True, config.voice, config.speed,
            engine=engine, volume=config.volume, chime=config.chime,
        )  # fmt: skip

    def say(self, text: str) -> None:
        """Blocking: synthesize and play ``text`` (call it from an executor)."""
        self.said.append(text)
        log.info("say: %s", text)
        if not self.enabled:
            return
        try:
            audio = self.synthesize(text)
        except Exception:  # a response that cannot be spoken must not fail its command
            log.exception("speech synthesis failed for %r", text)
            return
        self._play(audio)

    def play_chime(self) -> None:
        """Blocking: play the wake chime, when it is on (call it from an executor)."""
        if self.chime_enabled:
            self._play(self.chime())

    def synthesize(self, text: str) -> np.ndarray:
        """Mono int16 speech for ``text`` (first MAX_CHARS characters) at ``sample_rate``,
        at the configured volume; empty when there is nothing to say or no engine."""
        text = text[:MAX_CHARS]
        if self.engine is None or not text.strip():
            return np.zeros(0, np.int16)
        return _gain(self.engine.synthesize(text), self.volume)

    def chime(self) -> np.ndarray:
        """A short two-tone chime (wake acknowledged): int16 at ``sample_rate``."""
        rate = self.sample_rate
        t = np.arange(int(0.09 * rate)) / rate
        tones = [np.sin(2 * np.pi * f * t) * np.hanning(len(t)) for f in (880.0, 1320.0)]
        return _gain((np.concatenate(tones) * 0.3 * 32767).astype(np.int16), self.volume)

    def _play(self, audio: np.ndarray) -> None:
        if len(audio) == 0:
            return
        try:
            import sounddevice as sd

            with self._playing:
                sd.play(audio, self.sample_rate, blocking=True)
        except Exception as exc:  # no output device (or no PortAudio): the text was logged
            if self.no_output is None:
                log.warning("no audio output (%s): responses are logged, not heard", exc)
            self.no_output = str(exc)


def _gain(audio: np.ndarray, volume: float) -> np.ndarray:
    if volume >= 1.0:
        return audio
    return np.round(audio.astype(np.float32) * volume).astype(np.int16)
