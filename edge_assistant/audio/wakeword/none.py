"""No wake word: the assistant is always listening for a command (push-to-talk, files)."""

from __future__ import annotations

import numpy as np

from edge_assistant.audio.wakeword.base import WakeDetection, WakeWordEngine, as_block
from edge_assistant.config.voice import NoWakeConfig


class NoWakeWord(WakeWordEngine):
    always_awake = True

    def __init__(self) -> None:
        self.names = []

    def process(self, block: np.ndarray) -> list[WakeDetection]:
        as_block(block)  # the same contract as the real engines, so misuse shows up here too
        return []

    def reset(self) -> None:
        pass


def load(config: NoWakeConfig) -> NoWakeWord:
    return NoWakeWord()
