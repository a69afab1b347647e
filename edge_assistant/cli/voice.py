"""``edge-assistant listen`` and ``edge-assistant transcribe``: the voice path on its own."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from pydantic import TypeAdapter

from edge_assistant.cli.common import WakeWordOption, fail, load_config
from edge_assistant.config.voice import AsrConfig, AsrEngineConfig
from edge_assistant.errors import ConfigError, EdgeAssistantError
from edge_assistant.home.model import load_home

HOME_HELP = "The home model (home.yaml): the grammar engines' names and phrasings."


def listen_command(
    config: Annotated[
        str, typer.Option(help="Device config: a name in device_configs/ or a path.")
    ] = "cpu",
    home: Annotated[Path, typer.Option(help=HOME_HELP)] = Path("examples/home.yaml"),
    audio_file: Annotated[
        Path | None, typer.Option(help="Read this WAV/FLAC instead of the microphone.")
    ] = None,
    realtime: Annotated[bool, typer.Option(help="Pace the file as if it were live.")] = False,
    models_dir: Annotated[Path | None, typer.Option(help="Bundle root override.")] = None,
    wake_word: WakeWordOption = None,
) -> None:
    """Listen (microphone, or --audio-file) and print wake events, utterances and transcripts
    with timings, one JSON object per line. Ctrl-C stops."""
    from edge_assistant.audio.listener import Listener
    from edge_assistant.capture.file_source import FileSource
    from edge_assistant.capture.microphone import MicrophoneSource

    device = load_config(config, wake_word)
    try:
        listener = Listener.from_config(device, load_home(home), models_dir)
        voice = device.config.voice
        source = (
            FileSource(audio_file, realtime=realtime)
            if audio_file
            else MicrophoneSource(voice.capture)
        )
    except EdgeAssistantError as exc:
        fail(exc)
    try:
        asyncio.run(_print_events(listener, source))
    except KeyboardInterrupt:
        pass
    except EdgeAssistantError as exc:
        fail(exc)
    finally:
        source.close()
        listener.close()


async def _print_events(listener, source) -> None:
    from edge_assistant.audio.listener import SpeechEvent, TranscriptEvent, WakeEvent, listen

    async for event in listen(listener, source):
        seconds = lambda sample: round(sample / 16000, 3)  # noqa: E731
        if isinstance(event, WakeEvent):
            d = event.detection
            line = {
                "event": "wake",
                "name": d.name,
                "score": round(d.score, 3),
                "at_s": seconds(d.sample),
            }
        elif isinstance(event, SpeechEvent):
            line = {"event": f"speech_{event.kind}", "at_s": seconds(event.sample)}
        elif isinstance(event, TranscriptEvent):
            line = {
                "event": "transcript",
                "start_s": seconds(event.start),
                "speech_end_s": seconds(event.speech_end),
                "decided_s": seconds(event.decided),
                "compute_ms": round(event.compute_ms, 1),
                **event.recognition.to_json(),
            }
        typer.echo(json.dumps(line, ensure_ascii=False))


def transcribe_command(
    audio_file: Annotated[
        Path, typer.Argument(help="A WAV or FLAC file (resampled to 16 kHz mono).")
    ],
    engine: Annotated[
        Literal["two-pass", "pocketsphinx", "vosk", "whisper"],
        typer.Option(help="two-pass = the config's grammar engine, then its open-vocabulary one."),
    ] = "two-pass",
    config: Annotated[
        str, typer.Option(help="Device config: a name in device_configs/ or a path.")
    ] = "cpu",
    home: Annotated[Path, typer.Option(help=HOME_HELP)] = Path("examples/home.yaml"),
) -> None:
    """Transcribe one file as a single utterance and print the result as JSON."""
    from edge_assistant.audio.asr.two_pass import TwoPassRecognizer
    from edge_assistant.capture.file_source import read_audio

    device = load_config(config)
    asr = device.config.voice.asr
    try:
        audio = read_audio(audio_file)
        the_home = load_home(home)
        recognizer = TwoPassRecognizer.from_config(_asr_for(asr, engine, device.path), the_home)
        result = recognizer.transcribe(audio)
    except EdgeAssistantError as exc:
        fail(exc)
    typer.echo(
        json.dumps({"file": str(audio_file), **result.to_json()}, ensure_ascii=False, indent=2)
    )


def _asr_for(asr: AsrConfig, engine: str, path: Path) -> AsrConfig:
    """The config's two passes, or one engine: as configured there, else its defaults."""
    if engine == "two-pass":
        return asr
    chosen = next((e for e in (asr.grammar, asr.open_vocabulary) if e and e.type == engine), None)
    if chosen is None and engine == "vosk":
        raise ConfigError(f"{path}: voice.asr has no vosk engine; add one with its model_dir")
    chosen = chosen or TypeAdapter(AsrEngineConfig).validate_python({"type": engine})
    return AsrConfig(open_vocabulary=chosen) if engine == "whisper" else AsrConfig(grammar=chosen)
