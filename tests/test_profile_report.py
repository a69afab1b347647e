"""Profile reports, comparison and system info, on hand-built profiles and on this box."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from matplotlib.image import imread

from edge_assistant.errors import ConfigError
from edge_assistant.profile import system
from edge_assistant.profile.compare import compare, has_regressions, render_compare
from edge_assistant.profile.report import write_reports
from edge_assistant.profile.schema import (
    CommandTrace,
    Fidelity,
    Profile,
    Stage,
    SystemInfo,
    VariantResult,
    Waterfall,
    load_profile,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NASTY_TEXT = "turn on <script>alert('x')</script> & the lights"


def _system(cpu: str = "Test CPU 9000", ort: str = "1.18.0") -> SystemInfo:
    return SystemInfo(
        hostname="testbox",
        cpu_model=cpu,
        cpu_flags={"avx2": True, "avx512f": False, "amx_tile": False},
        physical_cores=4,
        logical_cores=8,
        memory_total_mb=16000.0,
        os="Linux 6.8.0 (Ubuntu 24.04.1 LTS)",
        python="3.11.9",
        backends={"onnxruntime": ort, "openvino": "2024.4.0"},
        devices={"onnxruntime": ["CPU"], "openvino": ["CPU", "GPU"]},
    )


def _variant(
    role: str,
    backend: str,
    precision: str,
    p50: float | None,
    *,
    device: str = "CPU",
    configured: bool = False,
    status: str = "ok",
    reason: str = "",
    threads: int = 4,
    variant: str | None = None,
    tokens: int | None = None,
    fallback_of: str | None = None,
) -> VariantResult:
    ran = status == "ok" and p50 is not None
    samples = [p50 * (1 + 0.02 * ((i % 7) - 3)) for i in range(40)] if ran and p50 else []
    return VariantResult(
        role=role,
        backend=backend,
        device=device,
        precision=precision,
        variant=variant or f"{backend}-{precision}",
        threads=threads,
        configured=configured,
        fallback_of=fallback_of,
        status=status,  # type: ignore[arg-type]
        reason=reason,
        load_ms=120.0 if ran else None,
        first_ms=p50 * 3 if ran and p50 else None,
        p50_ms=p50 if ran else None,
        p95_ms=p50 * 1.06 if ran and p50 else None,
        p99_ms=p50 * 1.1 if ran and p50 else None,
        mean_ms=p50 if ran else None,
        throughput_per_s=1000 / p50 if ran and p50 else None,
        peak_rss_mb=310.0 if ran else None,
        baseline_rss_mb=70.0 if ran else None,
        tokens=tokens if ran else None,
        details={"ran_on": device, "providers": "CPUExecutionProvider"} if ran else {},
        cpu_percent=390.0 if ran else None,
        runs=len(samples),
        samples_ms=samples,
        fidelity=Fidelity(
            metric="cosine",
            reference="pytorch-fp32",
            samples=240,
            values={"mean": 0.991, "min": 0.97},
            gate={"mean": 0.98},
            passed=True,
        )
        if precision == "int8"
        else None,
    )


def _variants() -> list[VariantResult]:
    return [
        _variant("text_encoder", "onnxruntime", "fp32", 8.0),
        _variant("text_encoder", "openvino", "int8", 3.0, configured=True),
        _variant(
            "text_encoder",
            "openvino",
            "fp16",
            None,
            device="GPU",
            status="absent",
            reason="device GPU not found by openvino",
        ),
        _variant("vad", "onnxruntime", "fp32", 0.2, configured=True),
        _variant(
            "vad", "openvino", "fp32", None, status="failed", reason="compile failed: bad opset"
        ),
    ]


def _waterfall() -> Waterfall:
    def stages(offset: float) -> list[Stage]:
        return [
            Stage(name="capture", start_ms=-1500.0, end_ms=0.0),
            Stage(name="wake", start_ms=-1300.0, end_ms=-1250.0),
            Stage(name="asr_final", start_ms=0.0, end_ms=60.0 + offset),
            Stage(name="understand", start_ms=60.0 + offset, end_ms=70.0 + offset),
            Stage(name="policy", start_ms=70.0 + offset, end_ms=70.2 + offset),
            Stage(name="action", start_ms=70.2 + offset, end_ms=90.0 + offset),
        ]

    return Waterfall(
        audio="commands.wav",
        video=None,
        commands=[
            CommandTrace(
                text=NASTY_TEXT, decision="acted", stages=stages(0), eos_to_action_ms=90.0
            ),
            CommandTrace(
                text="set the kitchen to 21 degrees",
                decision="asked to confirm",
                stages=stages(20),
                eos_to_action_ms=110.0,
            ),
        ],
        stage_p50_ms={"capture": 1500.0, "wake": 50.0, "asr_final": 70.0, "understand": 10.0},
        eos_to_action_p50_ms=100.0,
        eos_to_action_p95_ms=109.0,
        frames=0,
    )


def _profile(
    variants: list[VariantResult] | None = None,
    waterfall: Waterfall | None = None,
    system_info: SystemInfo | None = None,
) -> Profile:
    return Profile(
        created="2025-03-01T12:00:00+00:00",
        config_name="kitchen-nuc",
        config_path="configs/kitchen-nuc.yaml",
        models_dir="models",
        duration_s=42.0,
        system=system_info or _system(),
        variants=_variants() if variants is None else variants,
        waterfall=waterfall,
    )


def _png_size(path: Path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width = imread(path).shape[:2]
    return width, height


def test_write_reports_writes_every_file(tmp_path: Path) -> None:
    paths = write_reports(_profile(waterfall=_waterfall()), tmp_path / "out")
    assert set(paths) == {"json", "markdown", "html", "latency_png", "waterfall_png"}
    for path in paths.values():
        assert path.parent == tmp_path / "out"
        assert path.stat().st_size > 0


def test_pngs_are_valid_and_sensibly_sized(tmp_path: Path) -> None:
    paths = write_reports(_profile(waterfall=_waterfall()), tmp_path)
    for key in ("latency_png", "waterfall_png"):
        width, height = _png_size(paths[key])
        assert 500 <= width <= 4000, key
        assert 200 <= height <= 4000, key


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    page = write_reports(_profile(waterfall=_waterfall()), tmp_path)["html"].read_text()
    assert page.count("data:image/png;base64,") == 2
    assert 'src="http' not in page
    assert 'href="http' not in page
    assert "<link" not in page
    assert "&lt;script&gt;" in page
    assert "<script>" not in page
    assert "&amp; the lights" in page
    assert "device GPU not found by openvino" in page
    assert 'class="config"' in page


def test_markdown_marks_configured_and_lists_reasons(tmp_path: Path) -> None:
    md = write_reports(_profile(waterfall=_waterfall()), tmp_path)["markdown"].read_text()
    assert md.startswith("# Profile of kitchen-nuc, 2025-03-01")
    assert "**openvino-int8 ← config**" in md
    assert "**onnxruntime-fp32 ← config**" in md
    assert "## Absent or failed" in md
    assert "device GPU not found by openvino" in md
    assert "compile failed: bad opset" in md
    assert "pass: mean 0.991 (gate 0.98)" in md  # the gated values; all of them on hover
    assert "| – |" in md  # missing numbers
    assert "avx2" in md and "avx512f" not in md  # only flags that are true
    assert "## End to end" in md
    assert "p50 100 ms, p95 109 ms" in md
    assert "asked to confirm" in md
    assert "&lt;script&gt;" in md  # a transcript must not become HTML in a Markdown viewer
    assert "![latency per variant](latency.png)" in md


def _fallback_profile() -> Profile:
    """intel-npu on a box without an NPU: the text encoder runs on its CPU fallback."""
    s32 = "openvino-int8-s32"
    return _profile(
        variants=[
            _variant(
                "text_encoder",
                "openvino",
                "int8",
                3.0,
                configured=True,
                fallback_of="NPU",
                variant=s32,
                tokens=32,
            ),
            _variant("text_encoder", "onnxruntime", "int8", 4.0, tokens=16),
            _variant(
                "text_encoder",
                "openvino",
                "int8",
                None,
                device="NPU",
                status="absent",
                reason="openvino lists no NPU device (available: CPU)",
                variant=s32,
            ),
            _variant("vad", "onnxruntime", "fp32", 0.2, configured=True),
        ]
    )


def test_reports_show_fallback_tokens_and_baseline_rss(tmp_path: Path) -> None:
    profile = _fallback_profile()
    configured = profile.configured("text_encoder")
    assert configured is not None and (configured.device, configured.fallback_of) == ("CPU", "NPU")
    paths = write_reports(profile, tmp_path)
    md = paths["markdown"].read_text()
    assert "**openvino-int8-s32 (32 tok) ← config (fallback from NPU)**" in md
    assert "| onnxruntime-int8 (16 tok) |" in md
    assert "Not on this box: openvino NPU" in md  # the absent NPU entry, one line
    assert "| openvino NPU | absent | 1 variants of 1 roles |" in md
    assert "**onnxruntime-fp32 ← config**" in md  # vad: no token axis, no fallback
    assert "RSS MB peak (base)" in md and "| 310 (70) |" in md
    assert "openvino lists no NPU device" in md
    page = paths["html"].read_text()
    assert "← config (fallback from NPU)" in page
    assert '<td class="num">310 (70)</td>' in page
    assert (
        'title="cosine: mean 0.991, min 0.97; compared with pytorch-fp32 on 240 samples at export"'
        in page
    )
    assert '<td title="ran_on: CPU; providers: CPUExecutionProvider">CPU</td>' in page
    assert load_profile(paths["json"]) == profile


def test_without_waterfall_no_waterfall_plot(tmp_path: Path) -> None:
    (tmp_path / "waterfall.png").write_bytes(b"stale")
    paths = write_reports(_profile(), tmp_path)
    assert "waterfall_png" not in paths
    assert not (tmp_path / "waterfall.png").exists()
    assert paths["html"].read_text().count("data:image/png;base64,") == 1
    assert "End to end" not in paths["markdown"].read_text()


def test_role_with_no_ok_variant_still_plots(tmp_path: Path) -> None:
    variants = [_variant("asr", "openvino", "int8", None, status="missing_bundle", reason="x")]
    paths = write_reports(_profile(variants=variants), tmp_path)
    assert _png_size(paths["latency_png"])[0] > 0


def test_json_round_trips(tmp_path: Path) -> None:
    profile = _profile(waterfall=_waterfall())
    paths = write_reports(profile, tmp_path)
    assert load_profile(paths["json"]) == profile


def test_load_profile_refuses_other_schema_version(tmp_path: Path) -> None:
    data = json.loads(_profile().model_dump_json())
    path = tmp_path / "future.json"
    path.write_text(json.dumps({**data, "schema_version": 2}))
    with pytest.raises(ConfigError, match=r"future\.json"):
        load_profile(path)


def _with_p50(p50s: dict[str, float | None], **kwargs: object) -> Profile:
    """A profile with one text_encoder variant per backend/precision ('ort-fp32': 8.0)."""
    variants = []
    for name, p50 in p50s.items():
        backend, precision = name.split("-")
        status = "ok" if p50 is not None else "failed"
        variants.append(_variant("text_encoder", backend, precision, p50, status=status))
    return _profile(variants=variants, **kwargs)  # type: ignore[arg-type]


def test_compare_rows_and_thresholds() -> None:
    old = _with_p50({"ort-fp32": 10.0, "ort-int8": 10.0, "ov-fp32": 10.0, "ov-int8": 5.0})
    new = _with_p50({"ort-fp32": 12.0, "ort-int8": 8.0, "ov-fp32": 10.5, "ov-int8": None})
    rows = {r.key: r for r in compare(old, new)}
    fp32 = rows["text_encoder/ort/CPU/ort-fp32/t4"]
    assert fp32.verdict == "regressed"
    assert fp32.p50_delta_pct == pytest.approx(20.0)
    assert fp32.p95_delta_pct == pytest.approx(20.0)
    assert rows["text_encoder/ort/CPU/ort-int8/t4"].verdict == "improved"
    assert rows["text_encoder/ov/CPU/ov-fp32/t4"].verdict == "same"  # +5 %: noise
    gone_ok = rows["text_encoder/ov/CPU/ov-int8/t4"]
    assert gone_ok.verdict == "not ok"
    assert gone_ok.new_p50 is None
    assert has_regressions(list(rows.values()))
    assert compare(old, new, threshold_pct=25.0)[0].verdict == "same"


def test_compare_ignores_tiny_absolute_changes() -> None:
    old = _with_p50({"ort-fp32": 0.1})
    new = _with_p50({"ort-fp32": 0.13})  # +30 % but only 0.03 ms
    (row,) = compare(old, new)
    assert row.verdict == "same"
    assert not has_regressions([row])
    assert compare(old, new, min_delta_ms=0.01)[0].verdict == "regressed"


def test_compare_new_and_gone() -> None:
    old = _with_p50({"ort-fp32": 10.0, "ov-fp32": 10.0})
    new = _with_p50({"ort-fp32": 10.0, "ov-int8": 4.0})
    verdicts = {r.key: r.verdict for r in compare(old, new)}
    assert verdicts == {
        "text_encoder/ort/CPU/ort-fp32/t4": "same",
        "text_encoder/ov/CPU/ov-fp32/t4": "gone",
        "text_encoder/ov/CPU/ov-int8/t4": "new",
    }


def test_compare_end_to_end_row() -> None:
    faster = _waterfall().model_copy(update={"eos_to_action_p50_ms": 60.0})
    rows = compare(_profile(waterfall=_waterfall()), _profile(waterfall=faster))
    e2e = rows[-1]
    assert e2e.key == "e2e/eos_to_action"
    assert (e2e.old_p50, e2e.new_p50, e2e.verdict) == (100.0, 60.0, "improved")
    assert all(r.key != "e2e/eos_to_action" for r in compare(_profile(), _profile()))


def test_render_compare_warns_about_different_boxes() -> None:
    old = _with_p50({"ort-fp32": 10.0, "ort-int8": 10.0, "ov-fp32": 10.0})
    new = _with_p50(
        {"ort-fp32": 12.0, "ort-int8": 8.0, "ov-fp32": 10.0},
        system_info=_system(cpu="Other CPU", ort="1.19.0"),
    )
    text = render_compare(compare(old, new), old, new)
    assert "different CPU models (Test CPU 9000 → Other CPU)" in text
    assert "onnxruntime 1.18.0 → 1.19.0" in text
    assert "| text_encoder/ort/CPU/ort-fp32/t4 | **regressed** | 10.00 | 12.00 | +20.0% |" in text
    assert text.rstrip().endswith("1 regressed, 1 improved, 1 same")


def test_render_compare_same_box_has_no_warning() -> None:
    old = _with_p50({"ort-fp32": 10.0})
    text = render_compare(compare(old, old), old, old)
    assert "different" not in text
    assert text.rstrip().endswith("0 regressed, 0 improved, 1 same")


def test_system_info_on_this_box() -> None:
    info = system.system_info()
    assert info.logical_cores >= 1
    assert info.memory_total_mb > 0
    assert info.cpu_model
    assert info.hostname
    assert "onnxruntime" in info.backends
    assert not info.backends["onnxruntime"].startswith("unavailable")
    assert "CPU" in info.devices["onnxruntime"]
    assert info.os.startswith("Linux")


def test_system_info_without_proc_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CPUINFO", "MEMINFO", "OS_RELEASE"):
        monkeypatch.setattr(system, name, tmp_path / "missing" / name.lower())
    info = system.system_info()
    assert isinstance(info, SystemInfo)
    assert info.cpu_model
    assert info.cpu_flags == {}
    assert info.physical_cores is None
    assert info.memory_total_mb == 0.0
    assert info.logical_cores >= 1


def test_system_info_reads_arm_cpuinfo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    core = (
        "processor\t: {n}\nBogoMIPS\t: 108.00\n"
        "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp asimddp\n"
        "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd0b\n"
    )
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("\n".join(core.format(n=n) for n in range(4)))
    monkeypatch.setattr(system, "CPUINFO", cpuinfo)
    info = system.system_info()
    assert info.cpu_model == "Cortex-A76"
    assert info.cpu_flags == {"neon": True, "dotprod": True, "i8mm": False, "sve": False}
    assert info.physical_cores is None
