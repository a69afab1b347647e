"""Temperature scaling of the intent confidence (export/nlu/calibrate.py): fitted on a held-out
split, written into the bundle, applied by the runtime."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge_assistant.config.device import load_device_config
from edge_assistant.errors import BundleError
from edge_assistant.inference.bundle import open_bundle
from edge_assistant.inference.loader import bundle_dir
from edge_assistant.understanding.fusion import CALIBRATION_FILE, _temperature
from export.nlu.calibrate import calibration, ece, fit_temperature, softmax


def overconfident(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Logits three times too sharp for how often their argmax is right."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 5, n)
    logits = rng.normal(0, 1, (n, 5))
    logits[np.arange(n), labels] += 1.5
    return logits * 3, labels


def test_an_overconfident_model_is_cooled_until_its_confidence_is_its_accuracy() -> None:
    logits, labels = overconfident()
    temperature = fit_temperature(logits, labels)
    assert 1.5 < temperature < 4.5  # cooled, not flattened
    report = calibration(logits, labels)
    assert report["ece_after"] < report["ece_before"] / 3
    probs = softmax(logits, temperature)
    accuracy = float((probs.argmax(-1) == labels).mean())
    assert abs(float(probs.max(-1).mean()) - accuracy) < 0.03


def test_ece_of_a_perfectly_calibrated_and_an_always_sure_wrong_model() -> None:
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.5, 1.0, 20000)
    assert ece(confidence, (rng.uniform(size=20000) < confidence).astype(float)) < 0.02
    assert ece(np.ones(10), np.zeros(10)) == 1.0


def test_the_bundle_carries_its_temperature_and_the_runtime_reads_it(
    models_dir: Path, tmp_path: Path
) -> None:
    config = load_device_config("cpu").config.roles.understanding
    bundle = open_bundle(bundle_dir(models_dir, "understanding", config))
    fitted = json.loads(bundle.file(CALIBRATION_FILE).read_text())
    assert fitted["ece_after"] <= fitted["ece_before"]
    assert _temperature(bundle) == pytest.approx(fitted["temperature"])
    copy = tmp_path / "bundle"
    shutil.copytree(bundle.path, copy)
    (copy / CALIBRATION_FILE).write_text('{"temperature": "hot"}')
    with pytest.raises(BundleError, match="manifest says"):  # caught when the bundle opens
        open_bundle(copy)
    with pytest.raises(BundleError, match=f"{CALIBRATION_FILE}: unreadable calibration"):
        _temperature(open_bundle(copy, verify=False))
