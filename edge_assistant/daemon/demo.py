"""The embedded default (``edge-assistant run --demo``): no microphone, camera or smart home
needed. Spoken commands (espeak-ng), each after the wake phrase, in a WAV stand in for the
microphone, a video composed
from photos that ship in packages for the camera, and the log sink for the home."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import soundfile as sf

from edge_assistant.audio.synthesize import concatenate, silence, speak

DEMO_COMMANDS = (
    "turn on the kitchen light",
    "close the kitchen blind",
    "unlock the front door",  # sensitive: a face in the kitchen verifies, then it asks
    "yes",
    "turn off the kitchen light",
)


WAKE_PHRASE = "okay nabu"  # the shipped configs' wake word (okay_nabu)


def demo_audio(
    path: Path, commands: tuple[str, ...] = DEMO_COMMANDS, wake: str | None = WAKE_PHRASE
) -> Path:
    """The commands, each after the wake phrase (as a person would say them to a device
    with the shipped config); ``wake=None``: bare commands, for ``wake_word: none``."""
    parts = []
    for index, text in enumerate(commands):
        if wake:
            parts += [speak(wake, seed=index, tail_s=0.2), silence(0.2, seed=index)]
        parts += [speak(text, seed=index), silence(1.0, seed=index)]
    audio, _ = concatenate([silence(0.5), *parts])
    sf.write(path, audio, 16000)
    return path


def demo_video(path: Path, seconds: float, fps: float = 15.0) -> Path:
    """Someone (scikit-image's astronaut photo) in the room for the whole demo."""
    from skimage import data

    room = cv2.resize(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR), (640, 480))
    person = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), (360, 360))
    frame = room.copy()
    frame[60:420, 140:500] = person
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    rng = np.random.default_rng(0)
    for _ in range(int(seconds * fps)):
        writer.write(np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8))
    writer.release()
    return path
