"""``edge-assistant profile``: what every model costs on this box, where a command's time
goes, and (``--tune``) the fastest config that keeps accuracy."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from edge_assistant.cli.common import fail, load_config
from edge_assistant.errors import EdgeAssistantError

console = Console()


def profile_command(
    config: Annotated[
        str, typer.Option(help="Device config: a name in device_configs/ or a path.")
    ] = "cpu",
    roles: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated roles to profile (default: all); naming roles skips the e2e run."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Report folder (default: ./profile-<config name>).")
    ] = None,
    seconds: Annotated[
        float, typer.Option(min=0.05, max=60, help="Timed inferences per variant: this long.")
    ] = 1.0,
    e2e: Annotated[
        bool, typer.Option(help="Also run spoken commands and video through the assistant.")
    ] = True,
    home: Annotated[Path, typer.Option(help="The home model for the e2e run.")] = Path(
        "examples/home.yaml"
    ),
    audio_file: Annotated[
        Path | None, typer.Option(help="Commands for the e2e run (default: the demo's).")
    ] = None,
    video_file: Annotated[
        Path | None, typer.Option(help="Video for the e2e run (default: the demo's room).")
    ] = None,
    tune: Annotated[
        bool,
        typer.Option(
            help="Write <out>/<config>-tuned.yaml: per role the fastest placement that "
            "passes fidelity and fits budget_ms."
        ),
    ] = False,
    compare: Annotated[
        Path | None, typer.Option(help="An earlier profile.json: print a regression table.")
    ] = None,
    fail_on_regression: Annotated[
        bool, typer.Option(help="With --compare: exit 1 when anything regressed.")
    ] = False,
    models_dir: Annotated[Path | None, typer.Option(help="Bundle root override.")] = None,
) -> None:
    """Profile every model role x backend x device x precision the bundles allow (load,
    first inference, p50/p95/p99, throughput, peak RSS, CPU) and a command end to end;
    write profile.json, profile.md, PNG plots and a single-file report.html."""
    from edge_assistant.profile.report import write_reports

    device = load_config(config)
    folder = out or Path(f"profile-{device.config.name}")
    try:
        old = _old_profile(compare)
        profile = _profile(device, models_dir, _roles(roles), seconds, e2e, home, audio_file,
                           video_file)  # fmt: skip
    except EdgeAssistantError as exc:
        fail(exc)
    paths = write_reports(profile, folder)
    _print_summary(profile)
    for kind, path in paths.items():
        console.print(f"{kind:>14}: {path}")
    if tune:
        _tune(profile, device, folder)
    if old is not None:
        from edge_assistant.profile.compare import compare as compare_profiles
        from edge_assistant.profile.compare import has_regressions, render_compare

        rows = compare_profiles(old, profile)
        console.print(render_compare(rows, old, profile), markup=False)
        if fail_on_regression and has_regressions(rows):
            raise typer.Exit(1)


def _roles(text: str | None) -> list[str] | None:
    return None if text is None else [r.strip() for r in text.split(",") if r.strip()]


def _old_profile(path: Path | None):
    if path is None:
        return None
    from edge_assistant.profile.schema import load_profile

    return load_profile(path)  # read first: a bad file fails before minutes of profiling


def _profile(device, models_dir, roles, seconds, e2e, home, audio_file, video_file):
    from edge_assistant.profile.models import candidates, profile_models
    from edge_assistant.profile.schema import Profile
    from edge_assistant.profile.system import system_info

    started = time.monotonic()
    root = device.models_dir(models_dir)
    planned = candidates(device, root, roles)
    measured = planned[0]
    run_e2e = e2e and roles is None
    with Progress(
        TextColumn("[progress.description]{task.description:<44}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("system", total=len(measured) + (1 if run_e2e else 0))
        system = system_info()

        variants = profile_models(
            device, root, roles, seconds, on_progress=_stepper(progress, task), planned=planned
        )
        waterfall = None
        if run_e2e:
            progress.update(task, description="end to end: commands through the assistant")
            waterfall = _waterfall(device, home, models_dir, audio_file, video_file)
        progress.update(task, completed=progress.tasks[0].total)
    return Profile(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        config_name=device.config.name,
        config_path=str(device.path),
        models_dir=str(root),
        duration_s=round(time.monotonic() - started, 1),
        system=system,
        variants=variants,
        waterfall=waterfall,
    )


def _stepper(progress: Progress, task):
    """on_progress for profile_models: called before each measurement."""
    calls = 0

    def on_progress(label: str) -> None:
        nonlocal calls
        progress.update(task, description=label, completed=calls)
        calls += 1

    return on_progress


def _waterfall(device, home, models_dir, audio_file, video_file):
    from edge_assistant.profile.waterfall import run_waterfall

    with tempfile.TemporaryDirectory(prefix="edge-assistant-profile-") as work:
        return run_waterfall(device, home, Path(work), models_dir, audio_file, video_file)


def _print_summary(profile) -> None:
    table = Table(title=f"{profile.config_name} on {profile.system.cpu_model}")
    for column in ("role", "placement", "load ms", "first ms", "p50 ms", "p95 ms", "RSS MB"):
        table.add_column(column, justify="left" if column in ("role", "placement") else "right")
    for variant in profile.variants:
        if not variant.configured:
            continue
        where = f"{variant.backend} {variant.device} {variant.precision}"
        if variant.status != "ok":
            table.add_row(variant.role, where, variant.status, variant.reason[:60], "", "", "")
            continue
        table.add_row(variant.role, where, *(_ms(v) for v in (
            variant.load_ms, variant.first_ms, variant.p50_ms, variant.p95_ms,
            variant.peak_rss_mb)))  # fmt: skip
    console.print(table)
    waterfall = profile.waterfall
    if waterfall is not None:
        console.print(
            f"end of speech -> action: p50 {_ms(waterfall.eos_to_action_p50_ms)} ms, "
            f"p95 {_ms(waterfall.eos_to_action_p95_ms)} ms over {len(waterfall.commands)} "
            f"commands; vision p50 {_ms(waterfall.vision_p50_ms)} ms/frame"
        )
    console.print(f"profiled in {profile.duration_s:.0f} s")


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _tune(profile, device, folder: Path) -> None:
    from edge_assistant.profile.tune import describe, tune, tuned_config, write_tuned

    choices = tune(profile, device)
    text, _ = tuned_config(profile, device, choices)
    path = write_tuned(text, folder, device.config.name)
    console.print(f"tuned config: {path}")
    for choice in choices:
        mark = "*" if choice.changed else " "
        console.print(f" {mark} {choice.role}: {describe(choice)}", markup=False)
