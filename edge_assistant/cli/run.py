"""``edge-assistant run``: the daemon."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from edge_assistant.cli.common import WakeWordOption, fail, load_config
from edge_assistant.errors import EdgeAssistantError

log = logging.getLogger(__name__)


def run_command(
    config: Annotated[
        str, typer.Option(help="Device config: a name in device_configs/ or a path.")
    ] = "cpu",
    home: Annotated[
        Path, typer.Option(help="The home model (home.yaml); SIGHUP reloads it.")
    ] = Path("examples/home.yaml"),
    demo: Annotated[
        bool,
        typer.Option(
            help="The embedded default: spoken commands (each after 'okay nabu') and a video "
            "made on the spot, the log sink, a journal in a temporary folder."
        ),
    ] = False,
    audio_file: Annotated[
        Path | None, typer.Option(help="Read this WAV/FLAC instead of the microphone.")
    ] = None,
    video_file: Annotated[
        Path | None, typer.Option(help="Read this video instead of the camera.")
    ] = None,
    text_file: Annotated[
        str | None,
        typer.Option(
            help="Typed commands instead of any audio: a UTF-8 file, one command a line, or "
            "'-' for standard input. Each goes down the path of a heard one (journal, "
            "understanding, policy, action); the run ends with the input."
        ),
    ] = None,
    realtime: Annotated[bool, typer.Option(help="Pace files as if they were live.")] = False,
    models_dir: Annotated[Path | None, typer.Option(help="Bundle root override.")] = None,
    wake_word: WakeWordOption = None,
) -> None:
    """Run the assistant: hear, see, understand, check the policy, act, journal. One JSON
    line per command on stdout (decision, actions, latency; also a command dropped or
    expired); JSON logs on stderr. Exit code 0 at the end of an audio or text file or on SIGTERM, 1
    when a task keeps failing (systemd then restarts the daemon)."""
    from edge_assistant.daemon.build import build
    from edge_assistant.daemon.service import json_logging, serve

    json_logging()
    if text_file is not None and (audio_file is not None or demo):
        fail(EdgeAssistantError("--text-file replaces the audio: give it without --audio-file "
                                "and --demo"))  # fmt: skip
    device = load_config(config, wake_word)
    with tempfile.TemporaryDirectory(prefix="edge-assistant-demo-") as scratch:
        if demo:
            from edge_assistant.daemon.demo import demo_audio, demo_video

            audio_file = demo_audio(Path(scratch) / "commands.wav")
            video_file = demo_video(Path(scratch) / "room.avi", seconds=30)
            cfg = device.config
            device = dataclasses.replace(device, config=cfg.model_copy(update={
                "journal": cfg.journal.model_copy(update={"path": Path(scratch) / "journal.sqlite3"}),
                "daemon": cfg.daemon.model_copy(update={"area": cfg.daemon.area or "kitchen",
                                                        "speak": False, "health_port": 0}),
                "vision": cfg.vision.model_copy(update={"area": cfg.vision.area or "kitchen"}),
            }))  # fmt: skip
        try:
            assistant, audio, video = build(
                device, home, audio_file, video_file, realtime, models_dir, text_file
            )
        except EdgeAssistantError as exc:
            fail(exc)
        try:
            code = asyncio.run(serve(assistant, audio, video, device))
        except EdgeAssistantError as exc:
            fail(exc)
    raise typer.Exit(code)
