"""A daemon's Assistant built on the embedded default (cpu config, examples/home.yaml, a
silent file source, the log sink) with its journal in a test's folder, and lines handed to it
as if heard: for tests of what the daemon does with a command, without audio."""

from __future__ import annotations

from pathlib import Path


def assistant_of(tmp_path: Path, models_dir: Path):
    import dataclasses

    import soundfile as sf

    from edge_assistant.audio.synthesize import silence
    from edge_assistant.config.device import load_device_config
    from edge_assistant.daemon.build import build
    from tests.conftest import REPO

    device = load_device_config("cpu")
    cfg = device.config
    device = dataclasses.replace(device, config=cfg.model_copy(update={
        "journal": cfg.journal.model_copy(update={"path": tmp_path / "journal.sqlite3"}),
        "daemon": cfg.daemon.model_copy(update={"speak": False, "health_port": 0,
                                                 "area": "kitchen"}),
    }))  # fmt: skip
    audio = tmp_path / "quiet.wav"
    sf.write(audio, silence(0.5), 16000)
    assistant, _, _ = build(device, REPO / "examples" / "home.yaml", audio, None, False, models_dir)
    return assistant


def typed(text: str):
    from edge_assistant.audio.asr.two_pass import Recognition
    from edge_assistant.audio.listener import TranscriptEvent
    from edge_assistant.daemon.outcome import Heard

    return Heard.of(TranscriptEvent(Recognition(text, "typed", True, ()), 0, 16000, 17000, 5.0),
                    None, None)  # fmt: skip
