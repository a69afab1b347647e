"""Fidelity gates: an exported variant must stay close to its reference or is not written."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge_assistant.errors import FidelityGateError
from edge_assistant.inference.bundle import Fidelity


@dataclass(frozen=True)
class CosineGate:
    """Cosine similarity of sentence embeddings against the reference model."""

    mean: float
    min: float

    def check(
        self, variant: str, reference_name: str, got: np.ndarray, ref: np.ndarray
    ) -> Fidelity:
        cosines = np.sum(_unit(got) * _unit(ref), axis=1)
        values = {"mean": float(cosines.mean()), "min": float(cosines.min())}
        fidelity = Fidelity(
            metric="cosine",
            reference=reference_name,
            samples=len(cosines),
            values=values,
            gate={"mean": self.mean, "min": self.min},
        )
        if values["mean"] < self.mean or values["min"] < self.min:
            raise FidelityGateError(
                f"{variant}: cosine vs {reference_name} mean {values['mean']:.4f} "
                f"(gate {self.mean}), min {values['min']:.4f} (gate {self.min}) on "
                f"{len(cosines)} held-out sentences; nothing was written"
            )
        return fidelity


@dataclass(frozen=True)
class MaxAbsGate:
    """Largest absolute difference of outputs against the reference model."""

    max_abs: float

    def check(
        self, variant: str, reference_name: str, got: np.ndarray, ref: np.ndarray
    ) -> Fidelity:
        diff = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64))))
        fidelity = Fidelity(
            metric="max_abs_diff",
            reference=reference_name,
            samples=int(got.shape[0]),
            values={"max_abs": diff},
            gate={"max_abs": self.max_abs},
        )
        if diff > self.max_abs:
            raise FidelityGateError(
                f"{variant}: max abs diff vs {reference_name} {diff:.2e} (gate {self.max_abs:.0e}) "
                f"over {got.shape[0]} outputs; nothing was written"
            )
        return fidelity


Gate = CosineGate | MaxAbsGate


def _unit(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)
