"""``edge-assistant understand``: sentences on stdin, one JSON command per line on stdout."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from edge_assistant.cli.common import fail, load_config
from edge_assistant.config.loading import validate_data
from edge_assistant.errors import ConfigError, EdgeAssistantError
from edge_assistant.home.model import Home, load_home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.people import answer_people, is_people_question
from edge_assistant.understanding.understand import Understander


def understand_command(
    home: Annotated[Path, typer.Option(help="The home model (home.yaml).")],
    config: Annotated[
        str, typer.Option("--config", "-c", help="Device config file or name.")
    ] = "cpu",
    area: Annotated[
        str | None,
        typer.Option(help="The satellite's area (id or name) for commands that name none."),
    ] = None,
    context: Annotated[
        str | None,
        typer.Option(
            help='Default context as JSON, e.g. \'{"speaker_area": "kitchen", "camera": true}\'.'
        ),
    ] = None,
    models_dir: Annotated[Path | None, typer.Option(help="Bundle folder.")] = None,
) -> None:
    """Read sentences from stdin (plain text, or JSON objects with "text" and an optional
    "context") and write one JSON line each: text, intent, slots, confidence, targets,
    layer ("templates": Home Assistant's matcher; "model": the fusion model), decision (act,
    ask or refuse), ms; a sentence of several commands lists the others in "more".

    Slot values are the home's canonical names; "intent": null with a "reason" means the
    sentence was not understood. The home's custom sentences (home.yaml custom_sentences)
    are read too. A malformed input line gets an "error" line and the rest goes on.
    """
    try:
        the_home = load_home(home)
        base = _base_context(the_home, area, context)
        understander = Understander.from_config(load_config(config), the_home, models_dir)
    except EdgeAssistantError as exc:
        fail(exc)
    for line in sys.stdin:
        if line.strip():
            typer.echo(json.dumps(_one(understander, the_home, base, line), ensure_ascii=False))


def _base_context(home: Home, area: str | None, context: str | None) -> Context:
    data: dict[str, Any] = {}
    if context:
        try:
            data = json.loads(context)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--context: not JSON ({exc})") from None
    if area:
        data["satellite_area"] = area_id(home, area)
    return validate_data(data, Context, source="--context/--area")


def area_id(home: Home, area: str) -> str:
    for a in home.areas:
        if area == a.id or area.casefold() in (n.casefold() for n in a.spoken_names()):
            return a.id
    known = ", ".join(a.id for a in home.areas)
    raise ConfigError(f"--area {area!r}: no such area in the home (known: {known})")


def _one(understander: Understander, home: Home, base: Context, line: str) -> dict[str, Any]:
    text, ctx = line.strip(), base
    if text.startswith("{"):
        try:
            item = json.loads(text)
            text = str(item["text"])
            ctx = Context(**{**base.model_dump(), **item.get("context", {})})
            _check_ids(home, ctx)
        except (json.JSONDecodeError, KeyError, TypeError, ValidationError, ValueError) as exc:
            return {"text": line.rstrip("\n"), "error": f"bad input line: {exc}"}
    command, *more = understander.understand_all(text, ctx)
    out = {**command.to_json(), "ms": round(understander.last_ms, 2)}
    if more:  # several commands in one sentence: the first, then the others in order
        out["more"] = [c.to_json() for c in more]
    if is_people_question(command):
        out["answer"] = answer_people(command, ctx, home)
    return out


def _check_ids(home: Home, ctx: Context) -> None:
    areas = {a.id for a in home.areas}
    devices = {d.id for d in home.devices}
    for key, value in (("satellite_area", ctx.satellite_area), ("speaker_area", ctx.speaker_area)):
        if value is not None and value not in areas:
            raise ValueError(f"context.{key}: unknown area id {value!r}")
    if ctx.pointing_target is not None and ctx.pointing_target not in devices:
        raise ValueError(f"context.pointing_target: unknown device id {ctx.pointing_target!r}")
