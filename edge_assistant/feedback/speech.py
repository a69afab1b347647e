"""Spoken responses: espeak-ng (always available on the box) or Piper when the user has it,
played on the default output device; where there is none (a server, CI) the text is logged
and the audio dropped. Synthesis and playback run off the event loop."""

from __future__ import annotations

import logging
import shutil
import subprocess

import numpy as np

log = logging.getLogger(__name__)


class Voice:
    def __init__(self, enabled: bool = True, voice: str = "en-us", speed: int = 170) -> None:
        self.enabled = enabled and shutil.which("espeak-ng") is not None
        self.voice, self.speed = voice, speed
        self.said: list[str] = []  # what was said, for logs and tests

    def say(self, text: str) -> None:
        """Blocking: synthesize and play ``text`` (call it from an executor)."""
        self.said.append(text)
        log.info("say: %s", text)
        if not self.enabled:
            return
        audio = self.synthesize(text)
        try:
            import sounddevice as sd

            sd.play(audio, 22050, blocking=True)
        except Exception as exc:  # no output device here: the text was logged
            log.debug("no audio output (%s); said %r silently", exc, text)

    def synthesize(self, text: str) -> np.ndarray:
        """espeak-ng's 22.05 kHz int16 speech for ``text`` (text only via stdin: never argv)."""
        result = subprocess.run(
            ["espeak-ng", "-v", self.voice, "-s", str(self.speed), "--stdout"],
            input=text[:500].encode(), capture_output=True, timeout=30, check=False,
        )  # fmt: skip
        if result.returncode != 0 or len(result.stdout) <= 44:
            log.warning("espeak-ng failed (%s): %s", result.returncode, result.stderr[:200])
            return np.zeros(0, np.int16)
        return np.frombuffer(result.stdout[44:], dtype=np.int16)

    def chime(self) -> np.ndarray:
        """A short two-tone chime (wake acknowledged), 22.05 kHz int16."""
        t = np.arange(int(0.09 * 22050)) / 22050
        tones = [np.sin(2 * np.pi * f * t) * np.hanning(len(t)) for f in (880.0, 1320.0)]
        return (np.concatenate(tones) * 0.3 * 32767).astype(np.int16)
