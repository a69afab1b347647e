"""Export Resemblyzer's voice encoder (a 3-layer LSTM, 40 mels -> 256-d) for both backends.

The graph is the per-partial forward: ``mels`` (batch x 160 frames x 40 mel power) to
``embedding`` (batch x 256, ReLU then L2-normalised). Framing, mel and averaging stay in
numpy (edge_assistant/audio/speaker.py), whose parameters every bundle records.

Only the package's ``pretrained.pt`` is used: importing ``resemblyzer`` itself pulls in
webrtcvad, which imports ``pkg_resources`` (gone from setuptools 81 on), and librosa. Its
network is restated below and loaded strictly, so a checkpoint of another shape fails here.
The gate runs both backends and the PyTorch network on the partials of real espeak-ng speech.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from dataclasses import asdict, dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from edge_assistant.audio.speaker import EMBEDDING_SIZE, FEATURES, SpeakerEncoder, partial_mels
from edge_assistant.audio.speaker import preprocess as preprocess_speech
from edge_assistant.audio.synthesize import speak
from edge_assistant.config.device import RoleConfig
from edge_assistant.errors import ExportError
from edge_assistant.inference.bundle import Bundle, Fidelity, sha256_file
from edge_assistant.inference.registry import get_backend
from export.fidelity import MaxAbsGate

ROLE = "speaker_embedding"
HIDDEN, LAYERS = 256, 3


@dataclass(frozen=True)
class SpeakerSettings:
    max_abs: float = 1e-4  # on unit-vector components; fp32 on both sides
    opset: int = 17
    voices: tuple[str, ...] = ("en-us+m3", "en-us+f2", "en-us+klatt4")
    sentences: tuple[str, ...] = (
        "Please unlock the front door, I am home.",
        "Disarm the alarm and open the garage.",
        "What is the temperature in the living room right now?",
    )


def packaged_weights() -> Path:
    """``pretrained.pt`` inside the installed package, found without importing it."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ExportError("resemblyzer is missing: pip install 'edge-assistant[export]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.exists():
        raise ExportError(f"{path}: resemblyzer's voice encoder weights are missing; reinstall it")
    return path


def reference_network(weights: Path) -> Any:
    """Resemblyzer's ``VoiceEncoder`` network and forward, in eval mode on the CPU."""
    import torch
    from torch import nn

    class VoiceEncoderNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(FEATURES["n_mels"], HIDDEN, LAYERS, batch_first=True)
            self.linear = nn.Linear(HIDDEN, EMBEDDING_SIZE)
            self.relu = nn.ReLU()

        def forward(self, mels: torch.Tensor) -> torch.Tensor:
            _, (hidden, _) = self.lstm(mels)
            embeds = self.relu(self.linear(hidden[-1]))
            return embeds / torch.norm(embeds, dim=1, keepdim=True)

    state = torch.load(weights, map_location="cpu", weights_only=True)["model_state"]
    net = VoiceEncoderNet()
    # The checkpoint also holds GE2E's training-only similarity scale and bias.
    net.load_state_dict({k: v for k, v in state.items() if not k.startswith("similarity_")})
    return net.eval()


def probe_mels(settings: SpeakerSettings) -> np.ndarray:
    """Partials of every sentence in every voice, preprocessed as at run time."""
    clips = [speak(s, v).audio for v in settings.voices for s in settings.sentences]
    return np.concatenate([partial_mels(preprocess_speech(c)) for c in clips])


class SpeakerExporter:
    role = ROLE

    def __init__(self, settings: SpeakerSettings) -> None:
        self.settings = settings
        self._work: tempfile.TemporaryDirectory[str] | None = None
        self._onnx: Path | None = None
        self._reference: tuple[np.ndarray, np.ndarray] | None = None

    def close(self) -> None:
        if self._work is not None:
            self._work.cleanup()

    @cached_property
    def weights(self) -> Path:
        return packaged_weights()

    @cached_property
    def _identity(self) -> str:
        return sha256_file(self.weights)

    def fingerprint_parts(self, variant: RoleConfig) -> dict[str, Any]:
        return {
            "source": self._identity,
            "settings": asdict(self.settings),
            "features": FEATURES,
            "variant": variant.variant(),
        }

    def source_info(self) -> dict[str, str]:
        return {
            "model": f"resemblyzer {metadata.version('resemblyzer')} VoiceEncoder",
            "path": str(self.weights),
            "identity": self._identity,
        }

    def export_settings(self, variant: RoleConfig) -> dict[str, Any]:
        return {**asdict(self.settings), **FEATURES, "embedding_size": EMBEDDING_SIZE}

    def build(self, variant: RoleConfig, folder: Path) -> str:
        source = self._base_onnx()
        if variant.backend == "onnxruntime":
            shutil.copy2(source, folder / "model.onnx")
            return "model.onnx"
        import openvino as ov

        ov.save_model(ov.convert_model(str(source)), folder / "model.xml", compress_to_fp16=False)
        return "model.xml"

    def _base_onnx(self) -> Path:
        if self._onnx is None:
            import torch

            self._work = tempfile.TemporaryDirectory(prefix="edge-assistant-speaker-")
            path = Path(self._work.name) / "model.onnx"
            example = torch.zeros(2, FEATURES["partial_frames"], FEATURES["n_mels"])
            # The legacy exporter writes one ONNX LSTM op, which ORT and OpenVINO both fuse.
            torch.onnx.export(
                reference_network(self.weights), (example,), str(path), dynamo=False,
                opset_version=self.settings.opset, input_names=["mels"],
                output_names=["embedding"],
                dynamic_axes={"mels": {0: "partials"}, "embedding": {0: "partials"}},
            )  # fmt: skip
            self._onnx = path
        return self._onnx

    def evaluate(self, variant: RoleConfig, bundle: Bundle) -> Fidelity:
        model = get_backend(variant.backend).load(bundle, "CPU", threads=1)
        mels, reference = self._probe()
        got = SpeakerEncoder(model).embed_partials(mels)
        gate = MaxAbsGate(self.settings.max_abs)
        return gate.check(variant.variant(), "resemblyzer pytorch", got, reference)

    def _probe(self) -> tuple[np.ndarray, np.ndarray]:
        if self._reference is None:
            import torch

            mels = probe_mels(self.settings)
            with torch.inference_mode():
                reference = reference_network(self.weights)(torch.from_numpy(mels)).numpy()
            self._reference = (mels, reference)
        return self._reference
