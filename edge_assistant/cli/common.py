"""Helpers shared by CLI commands: load configs and turn our errors into clean exits."""

from __future__ import annotations

from typing import NoReturn

import typer

from edge_assistant.config.device import LoadedDeviceConfig, load_device_config
from edge_assistant.errors import EdgeAssistantError


def fail(exc: Exception, code: int = 2) -> NoReturn:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load_config(name_or_path: str) -> LoadedDeviceConfig:
    try:
        return load_device_config(name_or_path)
    except EdgeAssistantError as exc:
        fail(exc)
