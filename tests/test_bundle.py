"""Damaged bundles stop loading with a message naming the file and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_assistant.config.device import RoleConfig
from edge_assistant.errors import BundleError
from edge_assistant.inference.bundle import describe_files
from edge_assistant.inference.loader import load_role

INT8 = RoleConfig(backend="onnxruntime", precision="int8")
OV = RoleConfig(backend="openvino", precision="fp32")


def test_intact_bundle_loads(bundle_copy) -> None:
    models = bundle_copy("text_encoder", "onnxruntime-int8")
    model, bundle, placement = load_role(models, "text_encoder", INT8)
    assert bundle.manifest.fidelity.values["mean"] >= 0.99
    assert placement.device == "CPU"
    assert model.input_names


def test_tampered_file_is_named(bundle_copy) -> None:
    models = bundle_copy("text_encoder", "onnxruntime-int8")
    target = models / "text_encoder" / "onnxruntime-int8" / "model.onnx"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"model\.onnx: sha256 does not match the manifest"):
        load_role(models, "text_encoder", INT8)


def test_truncated_weights_are_named(bundle_copy) -> None:
    models = bundle_copy("text_encoder", "openvino-fp32")
    target = models / "text_encoder" / "openvino-fp32" / "model.bin"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(
        BundleError, match=r"model\.bin: size 1000 bytes, manifest says \d+ \(truncated"
    ):
        load_role(models, "text_encoder", OV)


def test_missing_file_is_named(bundle_copy) -> None:
    models = bundle_copy("text_encoder", "onnxruntime-int8")
    (models / "text_encoder" / "onnxruntime-int8" / "tokenizer.json").unlink()
    with pytest.raises(
        BundleError, match=r"tokenizer\.json: file listed in the manifest is missing"
    ):
        load_role(models, "text_encoder", INT8)


def test_corrupt_manifest_is_named(bundle_copy) -> None:
    models = bundle_copy("vad", "onnxruntime-fp32")
    manifest = models / "vad" / "onnxruntime-fp32" / "manifest.json"
    manifest.write_text(manifest.read_text()[:50])
    with pytest.raises(BundleError, match=r"manifest\.json: manifest unreadable"):
        load_role(models, "vad", RoleConfig(backend="onnxruntime"))


def test_manifest_for_another_variant_is_refused(bundle_copy) -> None:
    models = bundle_copy("text_encoder", "onnxruntime-int8")
    manifest = models / "text_encoder" / "onnxruntime-int8" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["variant"] = "onnxruntime-fp32"
    manifest.write_text(json.dumps(data))
    with pytest.raises(BundleError, match="manifest says text_encoder/onnxruntime-fp32"):
        load_role(models, "text_encoder", INT8)


def test_missing_bundle_says_how_to_export(tmp_path: Path) -> None:
    with pytest.raises(
        BundleError,
        match=r"no onnxruntime-int8 bundle for text_encoder; run `edge-assistant export",
    ):
        load_role(tmp_path, "text_encoder", INT8)


def _corrupt_but_listed(models: Path, role: str, variant: str, name: str) -> None:
    """Garbage model bytes with a manifest that matches them: a broken export, not tampering."""
    folder = models / role / variant
    (folder / name).write_bytes(b"\x08\x07not a model at all" * 100)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"] = [
        f.model_dump() for f in describe_files(folder, [e["path"] for e in manifest["files"]])
    ]
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("variant", "name", "backend"),
    [("onnxruntime-fp32", "model.onnx", "onnxruntime"), ("openvino-fp32", "model.xml", "openvino")],
)
def test_corrupt_model_is_a_bundle_error_naming_the_file(
    bundle_copy, variant: str, name: str, backend: str
) -> None:
    models = bundle_copy("text_encoder", variant)
    _corrupt_but_listed(models, "text_encoder", variant, name)
    cfg = RoleConfig(backend=backend, precision="fp32", fallback=("AUTO",))
    with pytest.raises(BundleError, match=rf"{name}: {backend} cannot (load|read) this model"):
        load_role(models, "text_encoder", cfg)
