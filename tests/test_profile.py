"""``edge-assistant profile`` as a user runs it (real models, the real assistant end to end),
and ``--tune``'s choices on hand-made profiles where the right answer is known."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
import yaml

from edge_assistant.audio.synthesize import concatenate, silence, speak
from edge_assistant.config.device import load_device_config
from edge_assistant.errors import ConfigError
from edge_assistant.profile.schema import (
    Fidelity,
    Profile,
    SystemInfo,
    VariantResult,
    load_profile,
)
from edge_assistant.profile.tune import static_length, tune, tuned_config
from tests.conftest import REPO

CLI = [sys.executable, "-m", "edge_assistant"]
CPU = load_device_config("cpu")
SYSTEM = SystemInfo(
    hostname="box", cpu_model="Test CPU", cpu_flags={"avx2": True}, physical_cores=2,
    logical_cores=2, memory_total_mb=8000, os="Linux", python="3.11",
    backends={"onnxruntime": "1", "openvino": "1"}, devices={"openvino": ["CPU"]},
)  # fmt: skip


def variant(
    role: str, backend: str, precision: str, p50: float, p95: float | None = None, *,
    device: str = "CPU", tokens: int | None = None, passed: bool = True,
    configured: bool = False, status: str = "ok",
) -> VariantResult:  # fmt: skip
    name = f"{backend}-{precision}" + (f"-s{tokens}" if tokens else "")
    return VariantResult(
        role=role, backend=backend, device=device, precision=precision, variant=name, threads=1,
        configured=configured, status=status, p50_ms=p50, p95_ms=p95 or p50 * 1.2,
        fidelity=Fidelity(metric="cosine", values={"min": 0.99}, gate={"min": 0.98},
                          passed=passed),
    )  # fmt: skip


def profile_of(*variants: VariantResult) -> Profile:
    """A profile of the cpu config: the given variants plus the configured ones of every
    other role, so each role has its current placement."""
    given = {v.role for v in variants}
    rest = [
        variant(role, cfg.backend, cfg.precision, 1.0, configured=True)
        for role, cfg in CPU.config.roles.items()
        if role not in given
    ]
    return Profile(
        created="2026-11-24T00:00:00+00:00", config_name="cpu", config_path=str(CPU.path),
        models_dir="/models", duration_s=1.0, system=SYSTEM, variants=[*variants, *rest],
    )  # fmt: skip


def chosen(profile: Profile, device=CPU) -> dict[str, str]:
    return {c.role: c.chosen.variant for c in tune(profile, device) if c.chosen is not None}


def test_tune_takes_the_fastest_that_keeps_accuracy() -> None:
    profile = profile_of(
        variant("text_encoder", "onnxruntime", "int8", 2.3, configured=True),
        variant("text_encoder", "openvino", "int8", 1.0, passed=False),  # fast, inaccurate
        variant("text_encoder", "openvino", "fp32", 1.5),
        variant("text_encoder", "onnxruntime", "fp32", 2.2),  # within noise of the current
        variant("understanding", "onnxruntime", "int8", 0.4, configured=True),
        variant("understanding", "onnxruntime", "fp32", 0.2),
        variant("vad", "onnxruntime", "fp32", 0.1, configured=True),
        variant("vad", "openvino", "fp32", 0.05, status="failed"),
    )
    picks = chosen(profile)
    assert picks["text_encoder"] == "openvino-fp32"
    assert picks["understanding"] == "onnxruntime-fp32"
    assert picks["vad"] == "onnxruntime-fp32"  # the faster one did not run


def test_tune_keeps_to_the_budget_and_says_when_nothing_fits() -> None:
    data = CPU.config.model_dump(mode="json")
    data["roles"]["face_detection"]["budget_ms"] = 5.0
    data["roles"]["pose_landmarks"]["budget_ms"] = 1.0
    device = type(CPU)(path=CPU.path, config=type(CPU.config).model_validate(data))
    profile = profile_of(
        variant("face_detection", "openvino", "fp32", 3.0, 4.0, configured=True),
        variant("face_detection", "openvino", "fp32", 2.0, 9.0, device="GPU"),  # spiky p95
        variant("pose_landmarks", "openvino", "fp32", 14.0, 20.0, configured=True),
    )
    choices = {c.role: c for c in tune(profile, device)}
    assert choices["face_detection"].chosen.device == "CPU"
    assert "p95 <= 5 ms" in choices["face_detection"].why
    assert "none fits the budget" in choices["pose_landmarks"].why


def test_text_encoder_and_fusion_share_a_token_length() -> None:
    profile = profile_of(
        variant("text_encoder", "onnxruntime", "int8", 2.3, configured=True),
        variant("text_encoder", "openvino", "int8", 1.0, tokens=32),  # fastest alone...
        variant("understanding", "onnxruntime", "int8", 0.3, configured=True),
        variant("understanding", "openvino", "int8", 5.0, tokens=32),  # ...but not as a pair
    )
    picks = chosen(profile)
    assert static_length(picks["text_encoder"]) == static_length(picks["understanding"]) is None
    profile = profile_of(
        variant("text_encoder", "onnxruntime", "int8", 2.3, configured=True),
        variant("text_encoder", "openvino", "int8", 1.0, tokens=32),
        variant("understanding", "onnxruntime", "int8", 0.3, configured=True),
        variant("understanding", "openvino", "int8", 0.3, tokens=32),
    )
    picks = chosen(profile)
    assert picks == {**picks, "text_encoder": "openvino-int8-s32",
                     "understanding": "openvino-int8-s32"}  # fmt: skip
    text, config = tuned_config(profile, CPU, tune(profile, CPU))
    assert config.roles.text_encoder.sequence_length == 32
    assert config.name == "cpu-tuned" and "Test CPU" in config.description
    assert text.startswith("# Tuned by `edge-assistant profile --tune`")
    assert "text_encoder: openvino CPU int8-s32" in text


def test_a_profile_of_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({**profile_of().model_dump(mode="json"), "schema_version": 9}))
    with pytest.raises(ConfigError, match=r"old\.json.*schema_version 9"):
        load_profile(path)


def run(*args: str, models: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "EDGE_ASSISTANT_MODELS": str(models)}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=600,
                          cwd=REPO)  # fmt: skip


def test_full_profile_reports_tunes_and_the_tuned_config_runs(
    tmp_path: Path, models_dir: Path
) -> None:
    out = tmp_path / "report"
    proc = run("profile", "--config", "cpu", "--out", str(out), "--seconds", "0.2", "--tune",
               models=models_dir)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    profile = load_profile(out / "profile.json")
    roles = [role for role, _ in CPU.config.roles.items()]
    assert sorted({v.role for v in profile.variants}) == sorted(roles)
    assert all(profile.configured(role).status == "ok" for role in roles)
    waterfall = profile.waterfall
    assert waterfall is not None and waterfall.frames > 0
    acted = [c for c in waterfall.commands if c.eos_to_action_ms is not None]
    assert [c.text for c in acted][:2] == ["turn on the kitchen light", "close the kitchen blind"]
    for command in acted:  # the stages after the end of speech are the whole latency
        after = [s for s in command.stages if s.start_ms >= 0]
        assert after[-1].end_ms == pytest.approx(command.eos_to_action_ms, abs=0.01)
        assert [s.name for s in after][:2] == ["vad_end", "asr_final"]
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2
    assert "End of speech → action over" in (out / "profile.md").read_text()
    tuned = out / "cpu-tuned.yaml"
    assert load_device_config(tuned).config.name == "cpu-tuned"
    assert "# Tuned by" in tuned.read_text() and "tuned config:" in proc.stdout

    audio, _ = concatenate([silence(0.5), speak("turn on the kitchen light"), silence(1.0)])
    sf.write(tmp_path / "one.wav", audio, 16000)
    data = yaml.safe_load(tuned.read_text())
    data["daemon"] = {"speak": False, "health_port": 0}
    data["journal"] = {"path": str(tmp_path / "journal.db")}
    tuned.write_text(yaml.safe_dump(data))
    daemon = run("run", "--config", str(tuned), "--audio-file", str(tmp_path / "one.wav"),
                 "--wake-word", "none", models=models_dir)  # fmt: skip
    assert daemon.returncode == 0, daemon.stderr[-3000:]
    (outcome,) = [json.loads(line) for line in daemon.stdout.splitlines()]
    assert outcome["decision"] == "allow" and all(a["ok"] for a in outcome["actions"])

    # compare with a doctored earlier profile in which vad was impossibly fast
    old = profile.model_copy(update={"variants": [
        v.model_copy(update={"p50_ms": 0.001}) if v.role == "vad" else v
        for v in profile.variants
    ]})  # fmt: skip
    (tmp_path / "old.json").write_text(old.model_dump_json())
    again = run("profile", "--roles", "vad", "--out", str(tmp_path / "again"), "--seconds",
                "0.2", "--compare", str(tmp_path / "old.json"), "--fail-on-regression",
                models=models_dir)  # fmt: skip
    assert again.returncode == 1, again.stderr[-2000:]
    assert "regressed" in again.stdout and "gone" in again.stdout


def test_profile_bad_input_fails_before_profiling(tmp_path: Path, models_dir: Path) -> None:
    proc = run("profile", "--compare", str(tmp_path / "nope.json"), models=models_dir)
    assert proc.returncode == 2 and "nope.json: profile not found" in proc.stderr
    proc = run("profile", "--roles", "vad,ears", "--out", str(tmp_path), models=models_dir)
    assert proc.returncode == 2 and "ears" in proc.stderr and "text_encoder" in proc.stderr
