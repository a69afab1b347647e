"""The model profiler measures real exported bundles, each in a process of its own, and reports
what it cannot measure (absent devices, missing or corrupt bundles) instead of crashing; a role
whose configured device is absent is measured where the daemon would run it, its fallback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openvino as ov
import pytest

from edge_assistant.config.device import LoadedDeviceConfig, load_device_config
from edge_assistant.errors import ConfigError
from edge_assistant.inference.bundle import read_manifest
from edge_assistant.profile.feeds import DEFAULT_TOKENS, synthesize_feeds
from edge_assistant.profile.models import Candidate, candidates, measure, profile_models
from edge_assistant.profile.report import write_reports
from edge_assistant.profile.schema import Profile
from edge_assistant.profile.system import system_info


@pytest.fixture(scope="module")
def cpu() -> LoadedDeviceConfig:
    return load_device_config("cpu")


def _find(todo: list[Candidate], variant: str, device: str = "CPU") -> Candidate:
    return next(c for c in todo if c.variant == variant and c.device == device)


def test_candidates_cover_every_role_with_one_configured_placement(
    models_dir: Path, cpu: LoadedDeviceConfig
) -> None:
    todo, decided = candidates(cpu, models_dir)
    every = [*todo, *decided]
    roles = [name for name, _ in cpu.config.roles.items()]
    assert {c.role for c in every} == set(roles)
    for role in roles:
        assert len([c for c in every if c.role == role and c.configured]) == 1, role
    encoder = next(c for c in todo if c.role == "text_encoder" and c.configured)
    assert (encoder.backend, encoder.device, encoder.variant, encoder.threads) == (
        "onnxruntime",
        "CPU",
        "onnxruntime-int8",
        1,
    )
    assert _find(todo, "openvino-int8-s32").sequence_length == 32
    assert _find(todo, "openvino-int8").sequence_length is None


def _openvino_says(device: str, model: Path) -> str:
    core = ov.Core()
    try:
        core.compile_model(core.read_model(str(model)), device)
    except RuntimeError as exc:
        return [ln for ln in str(exc).splitlines() if ln.strip()][-1].strip()
    pytest.skip(f"this machine has an OpenVINO {device}")


@pytest.mark.parametrize("device", ["GPU", "NPU"])
def test_absent_openvino_devices_quote_the_backend(
    models_dir: Path, cpu: LoadedDeviceConfig, device: str
) -> None:
    says = _openvino_says(device, models_dir / "vad" / "openvino-fp32" / "model.xml")
    todo, decided = candidates(cpu, models_dir, roles=["vad"])
    absent = [r for r in decided if r.device == device]
    assert [(r.backend, r.variant, r.status) for r in absent] == [
        ("openvino", "openvino-fp32", "absent")
    ]
    assert f"openvino lists no {device} device" in absent[0].reason
    assert says in absent[0].reason
    assert absent[0].fidelity is not None and absent[0].fidelity.passed
    assert all(c.device != device for c in todo)


def test_measure_text_encoder_int8_in_a_child_process(
    models_dir: Path, cpu: LoadedDeviceConfig
) -> None:
    todo, _ = candidates(cpu, models_dir, roles=["text_encoder"])
    result = measure(_find(todo, "onnxruntime-int8"), seconds=0.2, min_runs=10)
    assert result.status == "ok", result.reason
    assert result.configured
    assert result.p50_ms is not None and result.p95_ms is not None and result.p99_ms is not None
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms
    assert result.runs >= 10 and len(result.samples_ms) == result.runs
    assert result.load_ms and result.first_ms and result.throughput_per_s
    assert result.peak_rss_mb is not None and result.peak_rss_mb > 50
    # Python, numpy and onnxruntime before the model; the peak adds the model and its runs.
    assert result.baseline_rss_mb is not None
    assert 20 < result.baseline_rss_mb < result.peak_rss_mb
    assert result.tokens == DEFAULT_TOKENS  # a dynamic token axis gets the default length
    assert result.details["ran_on"] == "CPU"
    assert result.details["providers"] == "CPUExecutionProvider"
    assert result.cpu_percent is not None and result.cpu_percent > 0
    assert result.fidelity is not None and result.fidelity.metric == "cosine"
    assert result.fidelity.passed
    assert result.fidelity.reference == "pytorch-fp32" and result.fidelity.samples > 0


def test_a_truncated_model_fails_naming_the_file(bundle_copy, cpu: LoadedDeviceConfig) -> None:
    root = bundle_copy("vad", "onnxruntime-fp32")
    model = root / "vad" / "onnxruntime-fp32" / "model.onnx"
    model.write_bytes(model.read_bytes()[:1000])
    todo, _ = candidates(cpu, root, roles=["vad"])
    result = measure(_find(todo, "onnxruntime-fp32"), seconds=0.2)
    assert result.status == "failed"
    assert str(model) in result.reason and "truncated" in result.reason


def test_an_unreadable_manifest_is_a_failed_variant(bundle_copy, cpu: LoadedDeviceConfig) -> None:
    root = bundle_copy("vad", "onnxruntime-fp32")
    (root / "vad" / "onnxruntime-fp32" / "manifest.json").write_text("{", encoding="utf-8")
    todo, decided = candidates(cpu, root, roles=["vad"])
    assert todo == []
    assert [(r.variant, r.status, r.configured) for r in decided] == [
        ("onnxruntime-fp32", "failed", True)
    ]
    assert "manifest unreadable" in decided[0].reason


def test_a_missing_configured_bundle_says_how_to_export(
    bundle_copy, cpu: LoadedDeviceConfig
) -> None:
    root = bundle_copy("vad", "openvino-fp32")  # the cpu config runs vad on onnxruntime
    todo, decided = candidates(cpu, root, roles=["vad"])
    missing = [r for r in decided if r.status == "missing_bundle"]
    assert [(r.variant, r.configured) for r in missing] == [("onnxruntime-fp32", True)]
    assert f"edge-assistant export --config {cpu.path} --out {root}" in missing[0].reason
    assert [(c.variant, c.device, c.configured) for c in todo] == [("openvino-fp32", "CPU", False)]


def test_a_measurement_past_its_timeout_is_killed(
    models_dir: Path, cpu: LoadedDeviceConfig
) -> None:
    todo, _ = candidates(cpu, models_dir, roles=["vad"])
    result = measure(_find(todo, "onnxruntime-fp32"), timeout_s=0.05)
    assert result.status == "failed"
    assert "no result after 0.05 s" in result.reason


def test_unknown_role_lists_the_known_ones(models_dir: Path, cpu: LoadedDeviceConfig) -> None:
    with pytest.raises(ConfigError, match=r"unknown role lights \(roles of cpu: text_encoder, "):
        candidates(cpu, models_dir, roles=["lights"])


def test_feeds_fill_axes_the_static_export_left_dynamic(models_dir: Path) -> None:
    folder = models_dir / "understanding" / "openvino-int8-s32"
    feeds = synthesize_feeds(read_manifest(folder), folder, 32)
    shapes = {name: value.shape for name, value in feeds.items()}
    assert shapes == {
        "tokens": (1, 32, 384),
        "mask": (1, 32),
        "context": (1, 14),
        "gazetteer": (1, 32, 4),
    }
    folder = models_dir / "text_encoder" / "openvino-int8"
    ids = synthesize_feeds(read_manifest(folder), folder, None)["input_ids"]
    assert ids.shape == (1, DEFAULT_TOKENS) and ids[0, 0] == 101
    assert ((ids[0, 1:-1] >= 1000) & (ids[0, 1:-1] < 2000)).all()


def test_profile_models_measures_only_the_asked_roles(
    models_dir: Path, cpu: LoadedDeviceConfig
) -> None:
    labels: list[str] = []
    results = profile_models(cpu, models_dir, roles=["vad"], seconds=0.2, on_progress=labels.append)
    assert {r.role for r in results} == {"vad"}
    assert results[0].configured and results[0].status == "ok", results[0].reason
    measured = {(r.variant, r.device) for r in results if r.status == "ok"}
    assert measured == {("onnxruntime-fp32", "CPU"), ("openvino-fp32", "CPU")}
    assert len(labels) == 2 and labels[0].startswith("vad ")
    assert all(r.status in {"ok", "absent"} for r in results)
    ran = [r for r in results if r.status == "ok"]
    assert all(r.tokens is None for r in results)  # vad has no token axis
    assert all(r.details.get("ran_on") == "CPU" for r in ran)
    openvino = next(r for r in ran if r.backend == "openvino")
    assert "INFERENCE_NUM_THREADS=1" in openvino.details["ov_config"]


@pytest.fixture(scope="module")
def intel_npu() -> LoadedDeviceConfig:
    if "NPU" in ov.Core().available_devices:
        pytest.skip("this machine has an OpenVINO NPU: no fallback to see")
    return load_device_config("intel-npu")


def test_without_its_device_a_role_is_configured_on_its_fallback(
    models_dir: Path, intel_npu: LoadedDeviceConfig
) -> None:
    todo, decided = candidates(intel_npu, models_dir)
    every = [*todo, *decided]
    for role, _ in intel_npu.config.roles.items():
        assert len([c for c in every if c.role == role and c.configured]) == 1, role
    keys = [(c.role, c.variant, c.device) for c in every]
    assert len(keys) == len(set(keys))  # the stand-in is the CPU entry, not a second one
    (asked,) = [
        r
        for r in decided
        if (r.role, r.variant, r.device) == ("text_encoder", "openvino-int8-s32", "NPU")
    ]
    assert asked.status == "absent" and not asked.configured
    assert "openvino lists no NPU device" in asked.reason


def test_profile_of_a_fallback_measures_and_marks_it(
    models_dir: Path, intel_npu: LoadedDeviceConfig, tmp_path: Path
) -> None:
    results = profile_models(intel_npu, models_dir, roles=["text_encoder"], seconds=0.05)
    (configured,) = [r for r in results if r.configured]
    assert configured is results[0]
    assert (configured.variant, configured.device, configured.fallback_of) == (
        "openvino-int8-s32",
        "CPU",
        "NPU",
    )
    assert configured.status == "ok", configured.reason
    assert configured.tokens == 32
    assert configured.details["ran_on"] == "CPU"
    assert all(r.fallback_of is None for r in results if r is not configured)
    profile = Profile(
        created=datetime.now(UTC).isoformat(),
        config_name=intel_npu.config.name,
        config_path=str(intel_npu.path),
        models_dir=str(models_dir),
        duration_s=1.0,
        system=system_info(),
        variants=results,
    )
    assert profile.configured("text_encoder") == configured
    md = write_reports(profile, tmp_path)["markdown"].read_text()
    assert "**openvino-int8-s32 (32 tok) ← config (fallback from NPU)**" in md
