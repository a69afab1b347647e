"""The real console script, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CONFIGS, REPO

CLI = [sys.executable, "-m", "edge_assistant"]


def run(*args: str, models: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    if models is not None:
        env["EDGE_ASSISTANT_MODELS"] = str(models)
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=300)


def embed(models: Path, *args: str) -> dict:
    proc = run(
        "embed", "turn on the light in the kitchen", "--json", "--repeat", "2", *args, models=models
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["devices"],
        ["export"],
        ["embed"],
        ["listen"],
        ["watch"],
        ["enroll"],
        ["run"],
        ["profile"],
    ],
)
def test_help_on_every_command(command: list[str]) -> None:
    proc = run(*command, "--help")
    assert proc.returncode == 0
    assert "Usage" in proc.stdout


def test_embed_same_vector_on_both_backends(models_dir: Path) -> None:
    results = {
        (b, p): embed(models_dir, "--backend", b, "--precision", p)
        for b in ("onnxruntime", "openvino")
        for p in ("fp32", "int8")
    }
    vec = {k: np.array(v["embedding"]) for k, v in results.items()}
    assert abs(results["onnxruntime", "fp32"]["norm"] - 1.0) < 1e-5
    assert np.dot(vec["onnxruntime", "fp32"], vec["openvino", "fp32"]) > 0.99999
    assert np.dot(vec["onnxruntime", "int8"], vec["openvino", "int8"]) > 0.98
    assert results["openvino", "int8"]["backend"] == "openvino"
    assert results["onnxruntime", "int8"]["device"] == "CPU"
    assert results["onnxruntime", "int8"]["latency_ms_p50"] > 0


def test_embed_reports_fallback(models_dir: Path) -> None:
    report = embed(models_dir, "--config", "intel-igpu")
    assert report["requested_device"] == "GPU"
    assert report["device"] == "CPU"
    assert "openvino cannot use device GPU" in report["fallback_reason"]


def test_embed_human_output(models_dir: Path) -> None:
    proc = run("embed", "dim the lamp", models=models_dir)
    assert proc.returncode == 0, proc.stderr
    assert "norm 1.0000" in proc.stdout
    assert "ran on         onnxruntime CPU (onnxruntime-int8)" in proc.stdout


def test_devices_lists_backends_and_says_none_plainly(models_dir: Path) -> None:
    proc = run("devices", "--config", "intel-igpu", models=models_dir)
    assert proc.returncode == 0, proc.stderr
    assert "onnxruntime" in proc.stdout and "CPUExecutionProvider" in proc.stdout
    assert "openvino" in proc.stdout
    assert "microphones" in proc.stdout and "cameras" in proc.stdout
    assert "text_encoder: openvino openvino-fp16 asked GPU, runs on CPU (fallback:" in proc.stdout


def test_devices_fails_when_a_role_cannot_load(tmp_path: Path) -> None:
    proc = run("devices", "--config", "cpu", "--models-dir", str(tmp_path))
    assert proc.returncode == 1
    assert "not loaded" in proc.stdout


def test_bad_config_exits_with_file_and_key(tmp_path: Path, models_dir: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((CONFIGS / "cpu.yaml").read_text().replace("threads: 1", "threds: 1", 1))
    proc = run("embed", "hello", "--config", str(bad), models=models_dir)
    assert proc.returncode == 2
    assert str(bad) in proc.stderr
    assert "roles.text_encoder.threds: unknown key" in proc.stderr


def test_missing_bundle_exit_says_export(tmp_path: Path) -> None:
    proc = run("embed", "hello", "--models-dir", str(tmp_path))
    assert proc.returncode == 2
    assert "edge-assistant export" in proc.stderr


def test_overrides_are_validated_like_the_file(models_dir: Path) -> None:
    proc = run("embed", "hello", "--device", "NPU", models=models_dir)
    assert proc.returncode == 2
    assert "cpu.yaml with device=NPU" in proc.stderr
    assert "the NPU needs static shapes" in proc.stderr


def test_understand_reads_lines_and_keeps_going_after_bad_ones(models_dir: Path) -> None:
    lines = "\n".join([
        "turn on the light",
        json.dumps({"text": "turn that off", "context": {"pointing_target": "tv", "camera": True, "gesture": "pointing"}}),
        json.dumps({"text": "hi", "context": {"speaker_area": "attic"}}),
        "{not json",
        "",
        "unlock the front door",
    ])  # fmt: skip
    proc = subprocess.run(
        [*CLI, "understand", "--home", str(REPO / "examples" / "home.yaml"), "--area", "kitchen"],
        input=lines, capture_output=True, text=True, timeout=300,
        env={**os.environ, "EDGE_ASSISTANT_MODELS": str(models_dir)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 5  # the empty line is skipped, nothing else is lost
    assert out[0]["intent"] == "HassTurnOn" and out[0]["slots"] == {
        "area": "Kitchen",
        "domain": "light",
    }
    assert out[0]["ms"] > 0 and set(out[0]) >= {"text", "intent", "slots", "confidence", "ms"}
    assert out[1]["slots"] == {"name": "TV"}
    assert "unknown area id 'attic'" in out[2]["error"]
    assert "bad input line" in out[3]["error"]
    assert out[4]["needs_verification"] is True


def test_understand_rejects_unknown_area(models_dir: Path) -> None:
    proc = run(
        "understand",
        "--home",
        str(REPO / "examples" / "home.yaml"),
        "--area",
        "attic",
        models=models_dir,
    )
    assert proc.returncode == 2
    assert "--area 'attic': no such area in the home (known: kitchen" in proc.stderr


def test_run_with_typed_commands_explains_what_it_cannot_take(tmp_path: Path) -> None:
    both = run("run", "--text-file", "-", "--audio-file", str(tmp_path / "x.wav"))
    assert both.returncode == 2 and "--text-file replaces the audio" in both.stderr
    missing = run("run", "--text-file", str(tmp_path / "none.txt"))
    assert missing.returncode == 2 and f"{tmp_path / 'none.txt'}: no such file" in missing.stderr
