"""The ``edge-assistant`` command line."""

from __future__ import annotations

import logging

import typer

from edge_assistant.cli.devices import devices_command
from edge_assistant.cli.embed import embed_command
from edge_assistant.cli.enroll import enroll_command
from edge_assistant.cli.grammar import grammar_command
from edge_assistant.cli.profile import profile_command
from edge_assistant.cli.run import run_command
from edge_assistant.cli.understand import understand_command
from edge_assistant.cli.vision import watch_command
from edge_assistant.cli.voice import listen_command, transcribe_command
from export.cli import export_command  # light: heavy export imports happen inside the command

app = typer.Typer(
    help="edge-assistant: a private, on-device smart-home assistant that hears and sees.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("devices")(devices_command)
app.command("export")(export_command)
app.command("embed")(embed_command)
app.command("understand")(understand_command)
app.command("grammar")(grammar_command)
app.command("listen")(listen_command)
app.command("transcribe")(transcribe_command)
app.command("watch")(watch_command)
app.command("run")(run_command)
app.command("enroll")(enroll_command)
app.command("profile")(profile_command)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
