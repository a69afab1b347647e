"""Run the exported fusion model: token states + context vector -> the model's Prediction."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from edge_assistant.errors import BundleError
from edge_assistant.inference.base import LoadedModel
from edge_assistant.inference.bundle import Bundle
from edge_assistant.understanding.context import CONTEXT_FEATURES
from edge_assistant.understanding.encoder import Encoded
from edge_assistant.understanding.gazetteer import GAZETTEER_FEATURES, Gazetteer
from edge_assistant.understanding.labels import (
    INTENT_LABELS,
    KIND_LABELS,
    TAG_LABELS,
    TARGET_LABELS,
    decode_spans,
)
from edge_assistant.understanding.resolver import Prediction

LABELS_FILE = "labels.json"
# The temperature the export fitted on a held-out split (export/nlu/calibrate.py): intent
# probabilities are softmax(logits / temperature), so a confidence of 0.9 is right 9 in 10.
CALIBRATION_FILE = "calibration.json"
OUTPUTS = ("intent", "kind", "target", "tags")


def labels_payload() -> dict[str, list[str]]:
    """What the runtime decodes with; written into every bundle and checked at load."""
    return {
        "intent": list(INTENT_LABELS),
        "kind": list(KIND_LABELS),
        "target": list(TARGET_LABELS),
        "tags": list(TAG_LABELS),
        "context": list(CONTEXT_FEATURES),
        "gazetteer": list(GAZETTEER_FEATURES),
    }


@dataclass
class RawOutputs:
    intent: np.ndarray  # (classes,) logits
    kind: np.ndarray
    target: np.ndarray
    tags: np.ndarray  # (tokens, tags)


class FusionRunner:
    def __init__(self, model: LoadedModel, bundle: Bundle) -> None:
        stored = json.loads(bundle.file(LABELS_FILE).read_text())
        if stored != labels_payload():
            raise BundleError(
                f"{bundle.path}: exported for other labels or context features than this "
                "version of edge-assistant uses; re-run the export"
            )
        self.model = model
        self.bundle = bundle
        self.temperature = _temperature(bundle)

    def raw(
        self, tokens: np.ndarray, mask: np.ndarray, context: np.ndarray, gazetteer: np.ndarray
    ) -> RawOutputs:
        out = self.model.run({
            "tokens": tokens.astype(np.float32),
            "mask": mask.astype(np.float32),
            "context": context[None].astype(np.float32),
            "gazetteer": gazetteer.astype(np.float32),
        })  # fmt: skip
        return RawOutputs(out["intent"][0], out["kind"][0], out["target"][0], out["tags"][0])

    def predict(
        self,
        text: str,
        tokens: np.ndarray,
        encoded: Encoded,
        context: np.ndarray,
        gazetteer: Gazetteer,
    ) -> Prediction:
        """One sentence: ``tokens``/``encoded`` from ``TextEncoder.token_states``."""
        offsets = encoded.offsets[0]
        marks = np.zeros((1, tokens.shape[1], len(GAZETTEER_FEATURES)), dtype=np.float32)
        marks[0, : len(offsets)] = gazetteer.features(text, offsets)
        raw = self.raw(tokens, encoded.attention_mask, context, marks)
        probs = _softmax(raw.intent / self.temperature)
        best = int(probs.argmax())
        n = len(offsets)
        tags = raw.tags[:n].argmax(-1).tolist()
        return Prediction(
            intent=INTENT_LABELS[best],
            confidence=float(probs[best]),
            kind=KIND_LABELS[int(raw.kind.argmax())],
            target=TARGET_LABELS[int(raw.target.argmax())],
            spans=decode_spans(text, offsets, tags),
        )


def _temperature(bundle: Bundle) -> float:
    """The bundle's fitted temperature; 1 (the raw softmax) for a bundle exported before
    calibration was."""
    if CALIBRATION_FILE not in {f.path for f in bundle.manifest.files}:
        return 1.0
    path = bundle.file(CALIBRATION_FILE)
    try:
        temperature = float(json.loads(path.read_text())["temperature"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{path}: unreadable calibration ({exc}); re-run the export") from None
    if not 0.05 <= temperature <= 20:
        raise BundleError(f"{path}: temperature {temperature} is out of range; re-run the export")
    return temperature


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()
