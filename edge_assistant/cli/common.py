"""Helpers shared by CLI commands: load configs and turn our errors into clean exits."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from edge_assistant.config.device import LoadedDeviceConfig, load_device_config
from edge_assistant.errors import EdgeAssistantError


def fail(exc: Exception, code: int = 2) -> NoReturn:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


WakeWordOption = Annotated[
    str | None,
    typer.Option(
        help="Override the config's wake word: 'none' (every utterance is a command: "
        "push-to-talk, a file of commands without the wake phrase) or microWakeWord models "
        "('okay_nabu', 'hey_jarvis', a .json; comma-separated)."
    ),
]


def load_config(name_or_path: str, wake_word: str | None = None) -> LoadedDeviceConfig:
    """The device config, with ``--wake-word`` applied when given."""
    try:
        return load_device_config(name_or_path).with_wake_word(wake_word)
    except EdgeAssistantError as exc:
        fail(exc)
