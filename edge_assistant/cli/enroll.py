"""``edge-assistant enroll``: add a clip of a person's voice to their voiceprint."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from edge_assistant.cli.common import fail, load_config
from edge_assistant.errors import EdgeAssistantError
from edge_assistant.home.model import load_home


def default_voices_dir() -> Path:
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "edge-assistant" / "voices"


def enroll_command(
    person: Annotated[str, typer.Option(help="The person's id in the home's `people`.")],
    audio_file: Annotated[
        Path,
        typer.Option(
            help="A WAV or FLAC of them speaking: a whole sentence, 1 s of speech or more."
        ),
    ],
    config: Annotated[
        str, typer.Option(help="Device config: a name in device_configs/ or a path.")
    ] = "cpu",
    home: Annotated[Path, typer.Option(help="The home model (home.yaml) naming its people.")] = (
        Path("examples/home.yaml")
    ),
    dir: Annotated[
        Path | None,
        typer.Option(
            help="Where voiceprints live. Default: ${XDG_DATA_HOME:-~/.local/share}/edge-assistant/voices."
        ),
    ] = None,
    models_dir: Annotated[Path | None, typer.Option(help="Bundle root override.")] = None,
) -> None:
    """Embed the file's voice and add it to PERSON's voiceprint (enroll several clips to
    average them); prints what was saved as JSON."""
    from edge_assistant.audio.speaker import (
        SAMPLE_RATE,
        Enrollment,
        SpeakerEncoder,
        check_person,
        people_ids,
    )
    from edge_assistant.capture.file_source import read_audio

    device = load_config(config)
    try:
        the_home = load_home(home)
        check_person(person, people_ids(the_home))  # before any audio or model is read
        audio = read_audio(audio_file)
        encoder = SpeakerEncoder.from_config(device, models_dir)
        enrollment = Enrollment(dir or default_voices_dir(), encoder, home=the_home)
        saved = enrollment.enroll(person, audio)
        clips = enrollment.clips(person)
    except EdgeAssistantError as exc:
        fail(exc)
    line = {
        "person": person,
        "file": str(audio_file),
        "seconds": round(len(audio) / SAMPLE_RATE, 3),
        "embedding_norm": round(float(np.linalg.norm(clips[-1])), 6),
        "voiceprint": str(saved),
        "clips": len(clips),
    }
    typer.echo(json.dumps(line, ensure_ascii=False))
