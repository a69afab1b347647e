"""Export silero VAD from the ``silero-vad`` package for both backends.

The package's ``silero_vad_openvino_16k.onnx`` has static shapes (a 64-sample context plus a
512-sample chunk, and the recurrent state) and no If op, so it runs in ONNX Runtime and
OpenVINO alike. Each variant is checked against silero's own PyTorch (JIT) model, stepping
both through the same synthetic audio (silence, noise, a voiced harmonic sweep).
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from edge_assistant.audio.vad import CHUNK, CONTEXT, SAMPLE_RATE, SileroVad
from edge_assistant.config.device import RoleConfig
from edge_assistant.errors import ExportError
from edge_assistant.inference.bundle import Bundle, Fidelity, sha256_file
from edge_assistant.inference.registry import get_backend
from export.fidelity import MaxAbsGate

ROLE = "vad"
SOURCE_FILE = "silero_vad_openvino_16k.onnx"


@dataclass(frozen=True)
class VadSettings:
    max_abs: float = 1e-4  # speech probability; fp32 on both sides, so only rounding differs
    seconds: float = 6.0


def packaged_data_dir() -> Path:
    try:
        import silero_vad
    except ImportError as exc:
        raise ExportError("silero-vad is missing: pip install 'edge-assistant[export]'") from exc
    return Path(silero_vad.__file__).parent / "data"


def probe_audio(seconds: float, seed: int = 0) -> np.ndarray:
    """Silence, noise, a voiced harmonic sweep with syllable-rate envelope, loud noise."""
    rng = np.random.default_rng(seed)
    part = int(SAMPLE_RATE * seconds / 4)
    t = np.arange(part) / SAMPLE_RATE
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 15)) * (0.5 + 0.5 * np.sin(6 * np.pi * t))
    pieces = [
        np.zeros(part),
        0.01 * rng.standard_normal(part),
        0.3 * voiced,
        0.1 * rng.standard_normal(part),
    ]
    return np.concatenate(pieces).astype(np.float32)


class VadExporter:
    role = ROLE

    def __init__(self, settings: VadSettings) -> None:
        self.settings = settings
        self.source = packaged_data_dir() / SOURCE_FILE

    def close(self) -> None:
        pass

    @cached_property
    def _identity(self) -> str:
        return sha256_file(self.source)

    def fingerprint_parts(self, variant: RoleConfig) -> dict[str, Any]:
        return {
            "source": self._identity,
            "settings": asdict(self.settings),
            "variant": variant.variant(),
        }

    def source_info(self) -> dict[str, str]:
        return {
            "model": "snakers4/silero-vad (16 kHz)",
            "path": str(self.source),
            "identity": self._identity,
        }

    def export_settings(self, variant: RoleConfig) -> dict[str, Any]:
        return {
            **asdict(self.settings),
            "sample_rate": SAMPLE_RATE,
            "chunk": CHUNK,
            "context": CONTEXT,
        }

    def build(self, variant: RoleConfig, folder: Path) -> str:
        if variant.backend == "onnxruntime":
            shutil.copy2(self.source, folder / "model.onnx")
            return "model.onnx"
        import openvino as ov

        ov.save_model(
            ov.convert_model(str(self.source)), folder / "model.xml", compress_to_fp16=False
        )
        return "model.xml"

    def evaluate(self, variant: RoleConfig, bundle: Bundle) -> Fidelity:
        model = get_backend(variant.backend).load(bundle, "CPU", threads=1)
        audio = probe_audio(self.settings.seconds)
        got = SileroVad(model).probabilities(audio)[:, None]
        gate = MaxAbsGate(self.settings.max_abs)
        return gate.check(
            variant.variant(), "silero-vad pytorch (jit)", got, self._reference(audio)
        )

    def _reference(self, audio: np.ndarray) -> np.ndarray:
        import torch
        from silero_vad import load_silero_vad

        model = load_silero_vad(onnx=False)
        model.reset_states()
        with torch.inference_mode():
            probs = [
                float(model(torch.from_numpy(audio[i : i + CHUNK]), SAMPLE_RATE))
                for i in range(0, len(audio) - CHUNK + 1, CHUNK)
            ]
        return np.array(probs)[:, None]
