"""``edge-assistant devices``: what this box can run models on and capture from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from edge_assistant.capture.devices import Probe, audio_inputs, cameras
from edge_assistant.cli.common import load_config
from edge_assistant.errors import EdgeAssistantError
from edge_assistant.inference.loader import load_role
from edge_assistant.inference.registry import backend_names, get_backend


def devices_command(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            help="Also load every role of this device config and show where it really runs (fallbacks included).",
        ),
    ] = None,
    models_dir: Annotated[Path | None, typer.Option(help="Bundle folder for --config.")] = None,
) -> None:
    """List inference devices, microphones and cameras; with --config, where each role runs.

    Inference devices are OpenVINO's (with full names) and ONNX Runtime's execution providers.
    With --config every model role is loaded as that config places it, and the device it
    really got is shown, with the reason for any fallback.
    """
    out = Console()
    table = Table(title="inference devices")
    for column in ("backend", "version", "device", "name"):
        table.add_column(column)
    for name in backend_names():
        try:
            backend = get_backend(name)
            infos = backend.devices()
        except EdgeAssistantError as exc:
            table.add_row(name, "-", "-", f"[red]unavailable: {exc}")
            continue
        for info in infos:
            table.add_row(name, backend.version(), info.name, info.full_name)
        if not infos:
            table.add_row(name, backend.version(), "-", "none found")
    out.print(table)
    _print_probe(out, "microphones", audio_inputs())
    _print_probe(out, "cameras", cameras())
    if config:
        _print_placements(out, config, models_dir)


def _print_probe(out: Console, title: str, probe: Probe) -> None:
    if not probe.devices:
        reason = f" ({probe.problem})" if probe.problem else ""
        out.print(f"[bold]{title}[/bold]: none found{reason}")
        return
    table = Table(title=title)
    for column in ("index", "name", "details"):
        table.add_column(column)
    for dev in probe.devices:
        table.add_row(dev.index, dev.name, dev.details)
    out.print(table)


def _print_placements(out: Console, config: str, models_dir: Path | None) -> None:
    loaded = load_config(config)
    out.print(f"[bold]placements for {loaded.path}[/bold]")
    failed = False
    for role, cfg in loaded.config.roles.items():
        try:
            _, _, placement = load_role(loaded.models_dir(models_dir), role, cfg)
        except EdgeAssistantError as exc:
            failed = True
            out.print(
                f"  {role}: {cfg.backend} {cfg.variant()} on {cfg.device}: [red]not loaded[/red]: {exc}"
            )
            continue
        line = f"  {role}: {placement.backend} {placement.variant} asked {placement.requested_device}, runs on {placement.device}"
        if placement.fell_back:
            line += f" [yellow](fallback: {placement.fallback_reason})[/yellow]"
        out.print(line, highlight=False)
    if failed:
        raise typer.Exit(1)
