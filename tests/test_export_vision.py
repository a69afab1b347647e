"""MediaPipe's vision models export from the mediapipe wheel, match TFLite, and load as roles.

The wheel comes from the cache the export uses (downloaded with pip on first use).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from edge_assistant.config.device import RoleConfig, load_device_config
from edge_assistant.errors import ExportError
from edge_assistant.inference.loader import load_role
from export.mediapipe_source import MediaPipeWheel
from export.pipeline import VariantResult, run_export
from export.vision import VISION_MODELS, VisionSettings, probe_images, to_input

QUIET = Console(quiet=True)
FP32 = RoleConfig(backend="openvino", precision="fp32")
FACE = VISION_MODELS["face_detection"]

# From MediaPipe's graphs (output_tensor_float_range) and the .tflite files themselves.
EXPECTED = {
    "face_detection": ((-1.0, 1.0), [1, 192, 192, 3], {"Identity": [1, 2304, 16], "Identity_1": [1, 2304, 1]}),
    "palm_detection": ((0.0, 1.0), [1, 192, 192, 3], {"Identity": [1, 2016, 18], "Identity_1": [1, 2016, 1]}),
    "hand_landmarks": ((0.0, 1.0), [1, 224, 224, 3], {"Identity": [1, 63], "Identity_1": [1, 1], "Identity_2": [1, 1], "Identity_3": [1, 63]}),
    "pose_detection": ((-1.0, 1.0), [1, 224, 224, 3], {"Identity": [1, 2254, 12], "Identity_1": [1, 2254, 1]}),
    "pose_landmarks": ((0.0, 1.0), [1, 256, 256, 3], {"Identity": [1, 195], "Identity_1": [1, 1], "Identity_2": [1, 256, 256, 1], "Identity_3": [1, 64, 64, 39], "Identity_4": [1, 117]}),
}  # fmt: skip


def export(
    out: Path, roles: list[str], settings: VisionSettings | None = None
) -> list[VariantResult]:
    return run_export(
        load_device_config("cpu"),
        out,
        variants=[(role, FP32) for role in roles],
        vision_settings=settings,
        console=QUIET,
    )


@pytest.fixture(scope="module")
def vision_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vision-models")
    results = export(out, list(VISION_MODELS))
    assert [r.status for r in results] == ["exported"] * 5, [r.error for r in results]
    return out


@pytest.fixture(scope="module")
def wheel() -> Path:
    return MediaPipeWheel().path


def fake_wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("role", list(VISION_MODELS))
def test_manifest_records_source_input_outputs_and_fidelity(
    vision_models: Path, wheel: Path, role: str
) -> None:
    manifest = json.loads((vision_models / role / "openvino-fp32" / "manifest.json").read_text())
    value_range, input_shape, outputs = EXPECTED[role]
    assert manifest["inputs"][0]["shape"] == input_shape
    assert {o["name"]: o["shape"] for o in manifest["outputs"]} == outputs
    assert manifest["export"]["input"]["value_range"] == list(value_range)
    assert set(manifest["export"]["outputs"]) == set(outputs)
    with zipfile.ZipFile(wheel) as archive:
        member = archive.read(manifest["source"]["path"])
    assert manifest["source"]["identity"] == hashlib.sha256(member).hexdigest()
    assert manifest["source"]["wheel_sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()
    fidelity = manifest["fidelity"]
    assert fidelity["metric"] == "max_abs_diff"
    assert fidelity["reference"].startswith("tflite (ai-edge-litert")
    assert fidelity["samples"] == 5
    assert fidelity["gate"] == {"max_abs": 0.01}
    assert {f"max_abs_{name}" for name in outputs} <= set(fidelity["values"])
    assert fidelity["values"]["max_abs"] < 1e-2


def test_segmentation_logits_are_gated_as_probabilities(vision_models: Path) -> None:
    manifest = json.loads(
        (vision_models / "pose_landmarks" / "openvino-fp32" / "manifest.json").read_text()
    )
    values = manifest["fidelity"]["values"]
    assert manifest["export"]["compared_after_sigmoid"] == ["Identity_2"]
    assert values["max_abs_Identity_2_logits"] > 0.1  # logits near -1800: rounding is ~1
    assert values["max_abs_Identity_2"] < 1e-2


def test_bundles_load_as_roles_and_see_what_the_photos_show(vision_models: Path) -> None:
    roles = load_device_config("cpu").config.roles
    astronaut, chelsea = probe_images(("astronaut", "chelsea"))

    def run(role: str, image: np.ndarray, output: str) -> float:
        model, bundle, placement = load_role(vision_models, role, getattr(roles, role))
        assert (bundle.manifest.role, placement.device) == (role, "CPU")
        outputs = model.run({model.input_names[0]: to_input(image, VISION_MODELS[role])})
        assert set(EXPECTED[role][2]) <= set(outputs)
        return float(outputs[output].max())

    def probability(logit: float) -> float:
        return 1.0 / (1.0 + np.exp(-logit))

    assert probability(run("face_detection", astronaut, "Identity_1")) > 0.8
    assert probability(run("pose_detection", astronaut, "Identity_1")) > 0.5
    assert run("pose_landmarks", astronaut, "Identity_1") > 0.5
    assert run("pose_landmarks", chelsea, "Identity_1") < 0.1
    # No hand in view; fed [-1, 1] (the wrong range) it "finds" one off the image edge.
    assert probability(run("palm_detection", astronaut, "Identity_1")) < 0.5
    assert run("hand_landmarks", astronaut, "Identity_1") < 0.5


def test_unchanged_export_is_skipped(vision_models: Path) -> None:
    results = export(vision_models, list(VISION_MODELS))
    assert [r.status for r in results] == ["up to date"] * 5


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda real: b"not a model " * 100, "not a TFLite model"),
        (lambda real: real[: len(real) // 2], "openvino cannot convert it"),
    ],
    ids=["garbage", "truncated"],
)
def test_corrupt_tflite_is_named_and_nothing_is_written(
    tmp_path: Path, wheel: Path, damage, message: str
) -> None:
    with zipfile.ZipFile(wheel) as archive:
        real = archive.read(FACE.member)
    bad = fake_wheel(tmp_path / "mediapipe-0.10.21-bad.whl", {FACE.member: damage(real)})
    (result,) = export(tmp_path / "out", ["face_detection"], VisionSettings(wheel=bad))
    assert result.status == "failed"
    assert f"{FACE.member} in {bad}" in (result.error or "")
    assert message in (result.error or "")
    folder = tmp_path / "out" / "face_detection"  # no bundle, no staging folder left
    assert not folder.exists() or list(folder.iterdir()) == []


def test_wheel_without_the_model_says_which_file(tmp_path: Path) -> None:
    empty = fake_wheel(tmp_path / "mediapipe-1.0-py3-none-any.whl", {"README": b""})
    with pytest.raises(ExportError, match=rf"{empty} has no {FACE.member}: mediapipe 0\.10\.21"):
        MediaPipeWheel(wheel=empty).extract(FACE.member)


def test_failed_download_names_the_command_and_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pip with no index and nothing to find: what a machine without the mirror sees
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    cache = tmp_path / "sources"
    source = MediaPipeWheel(cache_dir=cache)
    with pytest.raises(ExportError) as err:
        source.extract(FACE.member)
    message = str(err.value)
    assert "-m pip download mediapipe==0.10.21 --no-deps" in message
    assert f"put mediapipe-0.10.21-*.whl into {cache} yourself" in message
    with pytest.raises(ExportError, match="pip download"):  # remembered, not retried per role
        source.extract(VISION_MODELS["pose_landmarks"].member)


def test_output_past_the_gate_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    (result,) = export(tmp_path, ["pose_landmarks"], VisionSettings(max_abs=1e-9))
    assert result.status == "failed"
    assert "openvino-fp32 output Identity" in (result.error or "")
    assert "nothing was written" in (result.error or "")
    assert list((tmp_path / "pose_landmarks").iterdir()) == []
