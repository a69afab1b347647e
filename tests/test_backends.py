"""ONNX Runtime and OpenVINO run the same exported models to the same answers, and devices
that are absent are reported with the backend's own reason (or replaced by a fallback)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime as ort
import openvino as ov
import pytest

from edge_assistant.audio.vad import SileroVad
from edge_assistant.config.device import RoleConfig
from edge_assistant.errors import BackendUnavailableError, DeviceUnavailableError
from edge_assistant.inference.loader import load_role, placements
from edge_assistant.inference.onnxruntime_backend import verify_providers
from edge_assistant.inference.registry import get_backend
from edge_assistant.understanding.encoder import TextEncoder
from export.sentences import held_out_sentences
from export.vad import probe_audio

SENTENCES = held_out_sentences(48)


def encoder(models: Path, **role: object) -> TextEncoder:
    model, bundle, placement = load_role(models, "text_encoder", RoleConfig(**role))
    return TextEncoder(model, bundle, placement)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def test_ort_and_openvino_fp32_agree(models_dir: Path) -> None:
    ort_vecs = encoder(models_dir, backend="onnxruntime", precision="fp32").encode(SENTENCES)
    ov_vecs = encoder(models_dir, backend="openvino", precision="fp32").encode(SENTENCES)
    assert ort_vecs.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(ort_vecs, axis=1), 1.0, atol=1e-5)
    assert np.max(np.abs(ort_vecs - ov_vecs)) < 1e-4


def test_int8_variants_stay_close_to_fp32(models_dir: Path) -> None:
    reference = encoder(models_dir, backend="onnxruntime", precision="fp32").encode(SENTENCES)
    for backend in ("onnxruntime", "openvino"):
        got = encoder(models_dir, backend=backend, precision="int8").encode(SENTENCES)
        c = cosines(got, reference)
        assert c.mean() >= 0.99, backend
        assert c.min() >= 0.97, backend


def test_static_npu_variant_pads_and_truncates(models_dir: Path) -> None:
    static = encoder(models_dir, backend="openvino", precision="int8", sequence_length=32)
    dynamic = encoder(models_dir, backend="openvino", precision="int8")
    short = ["turn on the kitchen light"]
    assert static.tokenize(short).input_ids.shape == (1, 32)
    assert cosines(static.encode(short), dynamic.encode(short))[0] > 0.9999
    long_text = [" ".join(["please"] * 100)]
    assert static.encode(long_text).shape == (1, 384)  # truncated to 32 tokens, no shape error


def test_padding_in_a_batch_does_not_change_embeddings(models_dir: Path) -> None:
    enc = encoder(models_dir, backend="onnxruntime", precision="fp32")
    one_by_one = np.concatenate([enc.encode([s]) for s in SENTENCES[:8]])
    assert np.max(np.abs(enc.encode(SENTENCES[:8]) - one_by_one)) < 1e-4
    # Dynamic INT8 scales activations per batch, so padding shifts results slightly.
    enc8 = encoder(models_dir, backend="onnxruntime", precision="int8")
    single = np.concatenate([enc8.encode([s]) for s in SENTENCES[:8]])
    assert cosines(enc8.encode(SENTENCES[:8]), single).min() > 0.98


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_inference_is_thread_safe(models_dir: Path, backend: str) -> None:
    enc = encoder(models_dir, backend=backend, precision="int8")
    expected = np.concatenate([enc.encode([s]) for s in SENTENCES[:16]])
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda s: enc.encode([s])[0], SENTENCES[:16] * 3))
    assert np.max(np.abs(np.stack(got) - np.concatenate([expected] * 3))) < 1e-4


def test_vad_backends_agree_and_separate_voice_from_silence(models_dir: Path) -> None:
    audio = probe_audio(6.0)
    results = {}
    for backend in ("onnxruntime", "openvino"):
        model, _, _ = load_role(models_dir, "vad", RoleConfig(backend=backend))
        results[backend] = SileroVad(model).probabilities(audio)
    assert np.max(np.abs(results["onnxruntime"] - results["openvino"])) < 1e-4
    probs = results["onnxruntime"]
    quarter = len(probs) // 4
    assert probs[:quarter].max() < 0.1  # digital silence
    assert probs[2 * quarter : 3 * quarter].max() > 0.5  # voiced harmonic sweep


def test_vad_rejects_wrong_chunk(models_dir: Path) -> None:
    model, _, _ = load_role(models_dir, "vad", RoleConfig(backend="onnxruntime"))
    with pytest.raises(ValueError, match=r"shape \(512,\)"):
        SileroVad(model).probability(np.zeros(100, dtype=np.float32))


def _openvino_reason(device: str) -> str:
    try:
        ov.Core().compile_model(ov.Core().read_model(_any_ir()), device)
    except RuntimeError as exc:
        return [ln for ln in str(exc).splitlines() if ln.strip()][-1].strip()
    pytest.skip(f"this machine has an OpenVINO {device}")


def _any_ir() -> str:
    import silero_vad

    return str(Path(silero_vad.__file__).parent / "data" / "silero_vad_openvino_16k.onnx")


def test_absent_device_without_fallback_quotes_backend_reason(models_dir: Path) -> None:
    reason = _openvino_reason("GPU")
    with pytest.raises(DeviceUnavailableError) as err:
        load_role(
            models_dir,
            "text_encoder",
            RoleConfig(backend="openvino", device="GPU", precision="fp32"),
        )
    message = str(err.value)
    assert "no fallback configured" in message
    assert reason in message


def test_absent_device_with_fallback_runs_and_reports_it(
    models_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reason = _openvino_reason("NPU")
    cfg = RoleConfig(
        backend="openvino", device="NPU", precision="int8", sequence_length=32, fallback=("CPU",)
    )
    with caplog.at_level(logging.WARNING, logger="edge_assistant.inference.loader"):
        for _ in range(2):
            model, bundle, placement = load_role(models_dir, "text_encoder", cfg)
    assert placement.fell_back
    assert placement.requested_device == "NPU"
    assert placement.device == "CPU"
    assert reason in (placement.fallback_reason or "")
    assert placements()["text_encoder"] == placement
    assert len([r for r in caplog.records if "NPU unavailable" in r.getMessage()]) == 1  # once
    assert TextEncoder(model, bundle).encode(["lights on"]).shape == (1, 384)


def test_onnxruntime_without_gpu_provider_says_which_exist(models_dir: Path) -> None:
    if any(
        p != "CPUExecutionProvider" and p != "AzureExecutionProvider"
        for p in ort.get_available_providers()
    ):
        pytest.skip("this onnxruntime build has an accelerator provider")
    with pytest.raises(
        DeviceUnavailableError,
        match=r"no execution provider for GPU \(available: .*CPUExecutionProvider",
    ):
        load_role(
            models_dir,
            "text_encoder",
            RoleConfig(backend="onnxruntime", device="GPU", precision="fp32"),
        )


def test_silent_provider_fallback_is_detected() -> None:
    # Ask real onnxruntime for a provider it lacks: it warns and quietly runs on the CPU.
    session = ort.InferenceSession(
        _any_ir(),
        providers=["OpenVINOExecutionProvider", "CPUExecutionProvider"],
    )
    got = session.get_providers()
    if "OpenVINOExecutionProvider" in got:
        pytest.skip("onnxruntime-openvino is installed and working here")
    assert got == ["CPUExecutionProvider"]
    with pytest.raises(DeviceUnavailableError, match="fell back silently"):
        verify_providers("NPU", "OpenVINOExecutionProvider", got)


def test_unknown_backend_lists_registered() -> None:
    with pytest.raises(
        BackendUnavailableError,
        match=r"unknown backend 'tensorrt' \(registered: onnxruntime, openvino\)",
    ):
        get_backend("tensorrt")


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_auto_device_resolves_to_a_real_device(models_dir: Path, backend: str) -> None:
    enc = encoder(models_dir, backend=backend, device="AUTO", precision="int8")
    assert enc.placement is not None
    assert enc.placement.device in {"CPU", "GPU", "NPU"}
    assert not enc.placement.fell_back
    assert enc.encode(["lights off"]).shape == (1, 384)
