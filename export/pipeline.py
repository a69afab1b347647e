"""Run the exports a device config needs: build, measure, gate, write, or skip if current."""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from edge_assistant.config.device import LoadedDeviceConfig, RoleConfig
from edge_assistant.errors import EdgeAssistantError
from edge_assistant.inference.bundle import Bundle, Fidelity, Manifest, describe_files, open_bundle
from edge_assistant.inference.loader import bundle_dir
from export.io_spec import describe_io
from export.nlu.exporter import FEATURE_ENCODER, UnderstandingExporter, UnderstandingSettings
from export.quiet import quiet_converters
from export.speaker import SpeakerExporter, SpeakerSettings
from export.staging import fingerprint, staged, up_to_date, write_manifest
from export.text_encoder import TextEncoderExporter, TextEncoderSettings
from export.vad import VadExporter, VadSettings
from export.vision import VISION_MODELS, VisionSettings, make_exporters

EXPORT_FORMAT = 2  # bump when a change here alters what gets written
TOOLS = (
    "edge-assistant",
    "torch",
    "transformers",
    "optimum",
    "optimum-onnx",
    "onnx",
    "onnxruntime",
    "openvino",
    "nncf",
)

# Every variant each role can be exported as (``--all``), beside what a config names.
ALL_VARIANTS: dict[str, list[dict[str, Any]]] = {
    "text_encoder": [
        {"backend": "onnxruntime", "precision": "fp32"},
        {"backend": "onnxruntime", "precision": "int8"},
        {"backend": "openvino", "precision": "fp32"},
        {"backend": "openvino", "precision": "fp16"},
        {"backend": "openvino", "precision": "int8"},
    ],
    "vad": [
        {"backend": "onnxruntime", "precision": "fp32"},
        {"backend": "openvino", "precision": "fp32"},
    ],
    "understanding": [
        {"backend": "onnxruntime", "precision": "fp32"},
        {"backend": "onnxruntime", "precision": "int8"},
        {"backend": "openvino", "precision": "fp32"},
        {"backend": "openvino", "precision": "int8"},
    ],
    "speaker_embedding": [
        {"backend": "onnxruntime", "precision": "fp32"},
        {"backend": "openvino", "precision": "fp32"},
    ],
    # fp32 only: see export/vision.py for why there is no fp16 or onnxruntime variant.
    **{role: [{"backend": "openvino", "precision": "fp32"}] for role in VISION_MODELS},
}


class RoleExporter(Protocol):
    role: str

    def fingerprint_parts(self, variant: RoleConfig) -> dict[str, Any]: ...
    def source_info(self) -> dict[str, str]: ...
    def export_settings(self, variant: RoleConfig) -> dict[str, Any]: ...
    def build(self, variant: RoleConfig, folder: Path) -> str: ...
    def evaluate(self, variant: RoleConfig, bundle: Bundle) -> Fidelity: ...
    def close(self) -> None: ...


@dataclass
class VariantResult:
    role: str
    variant: str
    status: str  # "exported" | "up to date" | "failed"
    path: Path
    seconds: float
    fidelity: Fidelity | None = None
    error: str | None = None


def plan(
    config: LoadedDeviceConfig, all_variants: bool, roles: list[str] | None = None
) -> list[tuple[str, RoleConfig]]:
    """The (role, variant) pairs to export, without duplicates, config's own first."""
    wanted: dict[tuple[str, str], tuple[str, RoleConfig]] = {}
    for role, cfg in config.config.roles.items():
        if roles and role not in roles:
            continue
        if role == "understanding":  # trained on the fp32 encoder's token states
            wanted.setdefault(
                ("text_encoder", FEATURE_ENCODER.variant()), ("text_encoder", FEATURE_ENCODER)
            )
        wanted.setdefault((role, cfg.variant()), (role, cfg))
        if all_variants:
            for extra in ALL_VARIANTS[role]:
                variant = RoleConfig(**extra)
                wanted.setdefault((role, variant.variant()), (role, variant))
    return list(wanted.values())


def tool_versions() -> dict[str, str]:
    versions = {}
    for name in TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def run_export(
    config: LoadedDeviceConfig,
    out: Path,
    *,
    all_variants: bool = False,
    force: bool = False,
    roles: list[str] | None = None,
    variants: list[tuple[str, RoleConfig]] | None = None,
    text_settings: TextEncoderSettings | None = None,
    vad_settings: VadSettings | None = None,
    nlu_settings: UnderstandingSettings | None = None,
    vision_settings: VisionSettings | None = None,
    speaker_settings: SpeakerSettings | None = None,
    console: Console | None = None,
) -> list[VariantResult]:
    console = console or Console(stderr=True)
    exporters: dict[str, RoleExporter] = {
        "text_encoder": TextEncoderExporter(text_settings or TextEncoderSettings()),
        "vad": VadExporter(vad_settings or VadSettings()),
        "understanding": UnderstandingExporter(nlu_settings or UnderstandingSettings(), out),
        **make_exporters(vision_settings or VisionSettings()),
        "speaker_embedding": SpeakerExporter(speaker_settings or SpeakerSettings()),
    }
    jobs = variants if variants is not None else plan(config, all_variants, roles)
    versions = tool_versions()
    results = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("export", total=len(jobs))
            for role, variant in jobs:
                progress.update(task, description=f"{role}/{variant.variant()}")
                results.append(_export_one(exporters[role], variant, out, force, versions))
                progress.advance(task)
    finally:
        for exporter in exporters.values():
            exporter.close()
    return results


def _export_one(
    exporter: RoleExporter, variant: RoleConfig, out: Path, force: bool, versions: dict[str, str]
) -> VariantResult:
    start = time.perf_counter()
    final = bundle_dir(out, exporter.role, variant)

    def result(
        status: str, fidelity: Fidelity | None = None, error: str | None = None
    ) -> VariantResult:
        seconds = time.perf_counter() - start
        return VariantResult(
            exporter.role, variant.variant(), status, final, seconds, fidelity, error
        )

    try:  # reads (or fetches) the source: a missing one fails this variant, not the run
        parts = exporter.fingerprint_parts(variant)
    except EdgeAssistantError as exc:
        return result("failed", error=str(exc))
    expected = fingerprint({"format": EXPORT_FORMAT, "tools": versions, **parts})
    if not force and up_to_date(final, expected):
        return result("up to date", fidelity=open_bundle(final, verify=False).manifest.fidelity)
    try:
        with staged(final) as folder, quiet_converters():
            fidelity = _build_and_gate(exporter, variant, folder, expected, versions)
    except EdgeAssistantError as exc:
        return result("failed", error=str(exc))
    except Exception as exc:  # a converter's own failure: report it for this variant only
        return result("failed", error=f"{type(exc).__name__}: {exc}")
    return result("exported", fidelity=fidelity)


def _build_and_gate(
    exporter: RoleExporter,
    variant: RoleConfig,
    folder: Path,
    expected: str,
    versions: dict[str, str],
) -> Fidelity:
    """Build into ``folder``, measure through the runtime, and write the manifest if it passes."""
    model_file = exporter.build(variant, folder)
    inputs, outputs = describe_io(folder / model_file)
    draft = Manifest(
        role=exporter.role,
        variant=variant.variant(),
        backend=variant.backend,
        precision=variant.precision,
        model_file=model_file,
        files=describe_files(folder, [p.name for p in folder.iterdir() if p.is_file()]),
        inputs=inputs,
        outputs=outputs,
        source=exporter.source_info(),
        export={**exporter.export_settings(variant), "tools": versions},
        fidelity=Fidelity(metric="cosine", reference="pending", samples=0, values={}, gate={}),
        fingerprint=expected,
    )
    fidelity = exporter.evaluate(variant, Bundle(folder, draft))  # raises FidelityGateError
    write_manifest(folder, draft.model_copy(update={"fidelity": fidelity}))
    return fidelity
