"""Export the fusion model: generate data, train once, write ONNX Runtime / OpenVINO
variants, and gate each on agreement with the trained PyTorch model and on accuracy."""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import asdict, dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from edge_assistant.config.device import RoleConfig
from edge_assistant.errors import ExportError, FidelityGateError
from edge_assistant.inference.bundle import Bundle, Fidelity, open_bundle, sha256_file
from edge_assistant.inference.registry import get_backend
from edge_assistant.understanding.context import CONTEXT_FEATURES
from edge_assistant.understanding.fusion import LABELS_FILE, OUTPUTS, FusionRunner, labels_payload
from edge_assistant.understanding.phrasings import OWN_TEMPLATES
from edge_assistant.understanding.understand import ROLE
from export.nlu.calibrate import CALIBRATION_FILE, calibration
from export.nlu.dataset import build
from export.nlu.model import Fusion, FusionModel
from export.nlu.train import Tensors, accuracy, featurize, train
from export.staging import fingerprint

log = logging.getLogger(__name__)
NLU_FORMAT = 3  # bump for changes outside export/nlu that change what gets learned
FEATURE_ENCODER = RoleConfig(backend="onnxruntime", precision="fp32", threads=2)


def _code_hash() -> str:
    """What the data, features and model are made by: a change retrains, no counter to bump."""
    import edge_assistant.understanding as runtime

    files = sorted(Path(__file__).parent.glob("*.py"))
    files += [
        Path(runtime.__file__).parent / f for f in ("labels.py", "gazetteer.py", "context.py")
    ]
    return fingerprint({f.name: sha256_file(f) for f in files})


@dataclass(frozen=True)
class UnderstandingSettings:
    seed: int = 0
    train_homes: int = 300
    per_template_train: int = 24
    epochs: int = 12
    fusion: Fusion = "gated"
    min_agreement: float = 0.99  # quantized vs trained model, intent and tags
    min_ingrammar_intent: float = 0.97
    min_heldout_intent: float = 0.90


@dataclass
class Trained:
    model: FusionModel
    ingrammar: Tensors
    heldout: Tensors
    reference: dict[str, dict[str, float]]
    calibration: dict[str, float]  # temperature fitted on the held-out split (calibrate.py)


class UnderstandingExporter:
    role = ROLE

    def __init__(self, settings: UnderstandingSettings, models_dir: Path) -> None:
        self.settings = settings
        self.models_dir = models_dir
        self._trained: Trained | None = None
        self._work = tempfile.TemporaryDirectory(prefix="edge-assistant-nlu-")

    def close(self) -> None:
        self._work.cleanup()

    @property
    def encoder_dir(self) -> Path:
        return self.models_dir / "text_encoder" / FEATURE_ENCODER.variant()

    @cached_property
    def _identity(self) -> dict[str, str]:
        try:
            encoder = open_bundle(self.encoder_dir, verify=False).manifest.fingerprint
        except Exception as exc:
            raise ExportError(
                f"{self.encoder_dir}: the fp32 text encoder is needed first ({exc})"
            ) from exc
        return {
            "encoder": encoder,
            "rephrasings": sha256_file(OWN_TEMPLATES),
            "home-assistant-intents": metadata.version("home-assistant-intents"),
            "hassil": metadata.version("hassil"),
            "nlu_format": str(NLU_FORMAT),
            "code": _code_hash(),
        }

    def fingerprint_parts(self, variant: RoleConfig) -> dict[str, Any]:
        return {
            "identity": self._identity,
            "settings": asdict(self.settings),
            "variant": variant.variant(),
        }

    def source_info(self) -> dict[str, str]:
        return {
            "model": f"edge-assistant fusion ({self.settings.fusion})",
            "features": str(self.encoder_dir),
            **self._identity,
        }

    def export_settings(self, variant: RoleConfig) -> dict[str, Any]:
        trained = self.trained()
        return {
            **asdict(self.settings),
            "sequence_length": variant.sequence_length,
            "pytorch_accuracy": trained.reference,
        }

    def trained(self) -> Trained:
        if self._trained is None:
            from edge_assistant.inference.loader import load_role
            from edge_assistant.understanding.encoder import TextEncoder

            s = self.settings
            data = build(
                seed=s.seed, train_homes=s.train_homes, per_template_train=s.per_template_train
            )
            model, bundle, _ = load_role(self.models_dir, "text_encoder", FEATURE_ENCODER)
            encoder = TextEncoder(model, bundle)
            ingrammar, heldout = (
                featurize(encoder, data.eval_ingrammar, data.homes),
                featurize(encoder, data.eval_heldout, data.homes),
            )
            fusion = self._cached_model()
            if fusion is None:
                fusion = train(
                    featurize(encoder, data.train, data.homes),
                    s.fusion,
                    epochs=s.epochs,
                    seed=s.seed,
                )
                self._cache_path.parent.mkdir(parents=True, exist_ok=True)
                torch.save(fusion.state_dict(), self._cache_path)
            reference = {
                "ingrammar": accuracy(fusion, ingrammar),
                "heldout": accuracy(fusion, heldout),
            }
            with torch.inference_mode():
                logits = fusion(heldout.tokens, heldout.mask, heldout.context, heldout.gazetteer)[0]
            report = calibration(logits.numpy(), heldout.intent.numpy())
            log.info("intent confidence calibrated on the held-out split: %s", report)
            self._trained = Trained(fusion, ingrammar, heldout, reference, report)
        return self._trained

    @property
    def _cache_path(self) -> Path:
        """Trained weights, keyed by everything that shapes them: another config's export
        (a static-length variant, say) reuses them instead of training again."""
        key = fingerprint({"identity": self._identity, "settings": asdict(self.settings)})
        return self.models_dir / ".cache" / f"fusion-{key[:16]}.pt"

    def _cached_model(self) -> FusionModel | None:
        if not self._cache_path.exists():
            return None
        from export.nlu.train import new_model

        model = new_model(self.settings.fusion, len(CONTEXT_FEATURES))
        try:
            model.load_state_dict(torch.load(self._cache_path, weights_only=True))
        except (RuntimeError, OSError, ValueError) as exc:
            log.warning("%s: cached weights unusable (%s); training again", self._cache_path, exc)
            return None
        return model.eval()

    # -- build -------------------------------------------------------------------------

    def build(self, variant: RoleConfig, folder: Path) -> str:
        onnx_path = self._onnx()
        (folder / LABELS_FILE).write_text(json.dumps(labels_payload(), indent=1))
        fitted = {**self.trained().calibration, "fitted_on": "held-out templates in held-out homes"}
        (folder / CALIBRATION_FILE).write_text(json.dumps(fitted, indent=1))
        if variant.backend == "onnxruntime":
            target = folder / "model.onnx"
            if variant.precision == "fp32":
                target.write_bytes(onnx_path.read_bytes())
            else:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantize_dynamic(onnx_path, target, weight_type=QuantType.QInt8, per_channel=True)
            return target.name
        import openvino as ov

        model = ov.convert_model(str(onnx_path))
        if variant.sequence_length:
            shapes = {
                "tokens": [1, variant.sequence_length, 384],
                "mask": [1, variant.sequence_length],
                "context": [1, -1],
                "gazetteer": [1, variant.sequence_length, -1],
            }
            model.reshape({p.any_name: shapes[p.any_name] for p in model.inputs})
        if variant.precision == "int8":
            import nncf

            model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
        ov.save_model(model, folder / "model.xml", compress_to_fp16=False)
        return "model.xml"

    def _onnx(self) -> Path:
        path = Path(self._work.name) / "fusion.onnx"
        if not path.exists():
            trained = self.trained()
            sample = trained.ingrammar
            args = (sample.tokens[:1], sample.mask[:1], sample.context[:1], sample.gazetteer[:1])
            torch.onnx.export(
                trained.model, args, str(path), dynamo=False, opset_version=17,
                input_names=["tokens", "mask", "context", "gazetteer"], output_names=list(OUTPUTS),
                dynamic_axes={"tokens": {1: "sequence"}, "mask": {1: "sequence"},
                              "gazetteer": {1: "sequence"}, "tags": {1: "sequence"}},
            )  # fmt: skip
        return path

    # -- evaluate ----------------------------------------------------------------------

    def evaluate(self, variant: RoleConfig, bundle: Bundle) -> Fidelity:
        trained = self.trained()
        runner = FusionRunner(get_backend(variant.backend).load(bundle, "CPU", threads=1), bundle)
        values: dict[str, float] = {}
        for name, data in (("ingrammar", trained.ingrammar), ("heldout", trained.heldout)):
            agree_intent, agree_tags, correct = self._compare(runner, trained.model, data, variant)
            values[f"{name}_intent_agreement"] = agree_intent
            values[f"{name}_tag_agreement"] = agree_tags
            values[f"{name}_intent_accuracy"] = correct
        s = self.settings
        gate = {"ingrammar_intent_agreement": s.min_agreement, "heldout_intent_agreement": s.min_agreement,
                "ingrammar_tag_agreement": s.min_agreement - 0.01,
                "ingrammar_intent_accuracy": s.min_ingrammar_intent,
                "heldout_intent_accuracy": s.min_heldout_intent}  # fmt: skip
        failed = {k: v for k, v in gate.items() if values[k] < v}
        if failed:
            detail = ", ".join(f"{k} {values[k]:.4f} < {v}" for k, v in failed.items())
            raise FidelityGateError(f"{variant.variant()}: {detail}; nothing was written")
        samples = len(trained.ingrammar) + len(trained.heldout)
        return Fidelity(
            metric="agreement",
            reference="pytorch-fp32 fusion model + labels",
            samples=samples,
            values=values,
            gate=gate,
        )

    @torch.inference_mode()
    def _compare(
        self, runner: FusionRunner, model: FusionModel, data: Tensors, variant: RoleConfig
    ) -> tuple[float, float, float]:
        ref_intent, _, _, ref_tags = model(data.tokens, data.mask, data.context, data.gazetteer)
        intents_ok = tags_ok = correct = 0
        for i in range(len(data)):
            n = int(data.mask[i].sum())
            width = variant.sequence_length or n
            tokens = np.zeros((1, width, data.tokens.shape[-1]), dtype=np.float32)
            mask = np.zeros((1, width), dtype=np.float32)
            gazetteer = np.zeros((1, width, data.gazetteer.shape[-1]), dtype=np.float32)
            tokens[0, :n], mask[0, :n] = data.tokens[i, :n].numpy(), 1
            gazetteer[0, :n] = data.gazetteer[i, :n].numpy()
            raw = runner.raw(tokens, mask, data.context[i].numpy(), gazetteer)
            intent = int(raw.intent.argmax())
            intents_ok += intent == int(ref_intent[i].argmax())
            tags_ok += bool((raw.tags[:n].argmax(-1) == ref_tags[i, :n].argmax(-1).numpy()).all())
            correct += intent == int(data.intent[i])
        return intents_ok / len(data), tags_ok / len(data), correct / len(data)
