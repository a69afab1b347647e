"""Silero VAD stepped chunk by chunk through any backend, carrying its recurrent state.

The exported graph takes 64 samples of context from the previous chunk plus a 512-sample
chunk (32 ms at 16 kHz) and the LSTM state; this class keeps both between calls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.inference.base import LoadedModel
from edge_assistant.inference.loader import Placement, load_role

ROLE = "vad"
SAMPLE_RATE = 16000
CHUNK = 512
CONTEXT = 64


class SileroVad:
    def __init__(self, model: LoadedModel, placement: Placement | None = None) -> None:
        self.model = model
        self.placement = placement
        self.reset()

    @classmethod
    def from_config(
        cls, device_config: LoadedDeviceConfig, models_dir: Path | None = None
    ) -> SileroVad:
        cfg = device_config.config.roles.vad
        model, _, placement = load_role(device_config.models_dir(models_dir), ROLE, cfg)
        return cls(model, placement)

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)

    def probability(self, chunk: np.ndarray) -> float:
        """Speech probability of one 512-sample float32 chunk in [-1, 1]. Blocking."""
        if chunk.shape != (CHUNK,):
            raise ValueError(f"VAD chunk must have shape ({CHUNK},), got {chunk.shape}")
        frame = np.concatenate([self._context, chunk.astype(np.float32)])[None]
        out = self.model.run({"input": frame, "state": self._state})
        self._state = out["stateN"]
        self._context = frame[0, -CONTEXT:]
        return float(out["output"][0, 0])

    def probabilities(self, audio: np.ndarray) -> np.ndarray:
        """Probabilities of every whole chunk of ``audio``, continuing the current state."""
        usable = len(audio) - len(audio) % CHUNK
        return np.array([self.probability(audio[i : i + CHUNK]) for i in range(0, usable, CHUNK)])
