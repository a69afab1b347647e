"""Shared fixtures: real exported bundles (exported once per session unless provided)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edge_assistant.config.device import load_device_config

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "device_configs"


def _has_all_bundles(folder: Path) -> bool:
    wanted = [
        "text_encoder/onnxruntime-fp32",
        "text_encoder/onnxruntime-int8",
        "text_encoder/openvino-fp32",
        "text_encoder/openvino-int8",
        "text_encoder/openvino-int8-s32",
        "vad/onnxruntime-fp32",
        "vad/openvino-fp32",
        "understanding/onnxruntime-int8",
        "understanding/openvino-int8",
        "understanding/openvino-int8-s32",
        "face_detection/openvino-fp32",
        "palm_detection/openvino-fp32",
        "hand_landmarks/openvino-fp32",
        "pose_detection/openvino-fp32",
        "pose_landmarks/openvino-fp32",
        "speaker_embedding/onnxruntime-fp32",
        "speaker_embedding/openvino-fp32",
    ]
    return all((folder / w / "manifest.json").exists() for w in wanted)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bundles for every test: $EDGE_ASSISTANT_MODELS when CI exported there, else exported
    here (about a minute; the export skips what is up to date)."""
    env = os.environ.get("EDGE_ASSISTANT_MODELS")
    if env and _has_all_bundles(Path(env)):
        return Path(env)
    from export.pipeline import run_export

    out = Path(env) if env else tmp_path_factory.mktemp("models")
    for name in ("cpu", "intel-npu"):
        results = run_export(load_device_config(name), out, all_variants=True)
        failed = [r for r in results if r.status == "failed"]
        assert not failed, [r.error for r in failed]
    return out


@pytest.fixture
def bundle_copy(models_dir: Path, tmp_path: Path):
    """Copy one bundle into a private models dir so a test may damage it."""

    def make(role: str, variant: str) -> Path:
        target = tmp_path / "models" / role / variant
        shutil.copytree(models_dir / role / variant, target)
        return tmp_path / "models"

    return make


def run_bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a bench/ script as a user would (its own timing is not checked by tests)."""
    return subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )
