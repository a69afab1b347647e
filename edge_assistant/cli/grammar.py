"""``edge-assistant grammar``: the speech recognizer's phrase grammar for a home."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edge_assistant.cli.common import fail
from edge_assistant.errors import EdgeAssistantError
from edge_assistant.home.model import load_home
from edge_assistant.understanding.grammar import build_jsgf


def grammar_command(
    home: Annotated[Path, typer.Option(help="The home model (home.yaml).")],
    out: Annotated[Path | None, typer.Option(help="Write the JSGF here instead of stdout.")] = None,
) -> None:
    """Write the JSGF grammar of every command phrasing the assistant understands, with this
    home's device, area, floor and people names, for a grammar-constrained recognizer
    (pocketsphinx, Vosk). Generated from the same templates the understanding model learns."""
    try:
        text = build_jsgf(load_home(home))
    except EdgeAssistantError as exc:
        fail(exc)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out} ({len(text.splitlines())} rules, {len(text)} bytes)", err=True)
