"""The whole command path on this box: audio (and video) files through the real assistant,
paced as if live, and where each command's time goes from the end of speech to the action.

The assistant is the daemon's own (``daemon.build`` and ``daemon.service.serve``), with the
log sink whatever the config says: profiling never switches a real light. Each command's
stages come from the daemon's StageClock, so the waterfall's eos->action is the figure the
daemon reports in its JSON lines and /metrics.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
from pathlib import Path

import numpy as np
import soundfile as sf

from edge_assistant.config.actions import LogSinkConfig
from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.daemon.outcome import Outcome
from edge_assistant.daemon.stages import AFTER_SPEECH
from edge_assistant.profile.schema import CommandTrace, Stage, Waterfall

# Stage names in the report, in order (the daemon's timings keys -> the names).
STAGE_NAMES = {"endpoint": "vad_end", "asr": "asr_final"}


def run_waterfall(
    device: LoadedDeviceConfig,
    home: Path,
    work: Path,
    models_dir: Path | None = None,
    audio: Path | None = None,
    video: Path | None = None,
) -> Waterfall:
    """Run the assistant over ``audio`` (default: the demo's spoken commands) and ``video``
    (default: the demo's room, when the config has vision roles) in real time."""
    from edge_assistant.daemon.build import build
    from edge_assistant.daemon.demo import demo_audio, demo_video
    from edge_assistant.daemon.service import serve

    audio = audio or demo_audio(work / "commands.wav")
    seconds = sf.info(str(audio)).duration
    video = video or demo_video(work / "room.avi", seconds=seconds + 1.0)
    device = _profiling_config(device, work)
    assistant, audio_source, video_source = build(
        device, home, audio, video, realtime=True, models_dir=models_dir
    )
    outcomes: list[Outcome] = []
    assistant.on_outcome = outcomes.append
    asyncio.run(serve(assistant, audio_source, video_source, device))
    return waterfall_of(outcomes, list(assistant.vision_ms), str(audio), str(video))


def _profiling_config(device: LoadedDeviceConfig, work: Path) -> LoadedDeviceConfig:
    """The config as profiled, minus side effects: the log sink, no speech, no endpoint, no
    arbitration, a journal in ``work``; the demo's room when no area is set."""
    cfg = device.config
    area = cfg.daemon.area or "kitchen"
    config = cfg.model_copy(update={
        "actions": cfg.actions.model_copy(update={"sink": LogSinkConfig()}),
        "journal": cfg.journal.model_copy(update={"path": work / "journal.sqlite3"}),
        "daemon": cfg.daemon.model_copy(update={"area": area, "speak": False, "health_port": 0}),
        "arbitration": cfg.arbitration.model_copy(update={"enabled": False}),
        "vision": cfg.vision.model_copy(update={"area": cfg.vision.area or area}),
    })  # fmt: skip
    return dataclasses.replace(device, config=config)


def waterfall_of(outcomes: list[Outcome], vision_ms: list[float], audio: str, video: str | None):
    commands = [trace(o) for o in outcomes if o.timings_ms]
    durations: dict[str, list[float]] = {}
    for command in commands:
        for stage in command.stages:
            durations.setdefault(stage.name, []).append(stage.end_ms - stage.start_ms)
    acted = [o.timings_ms["eos_to_action"] for o in outcomes if o.actions]
    return Waterfall(
        audio=audio,
        video=video,
        commands=commands,
        stage_p50_ms={name: statistics.median(ms) for name, ms in durations.items()},
        eos_to_action_p50_ms=_percentile(acted, 50),
        eos_to_action_p95_ms=_percentile(acted, 95),
        frames=len(vision_ms),
        vision_p50_ms=statistics.median(vision_ms) if vision_ms else None,
    )


def trace(outcome: Outcome) -> CommandTrace:
    """One command's stages in ms from the end of speech: the utterance (capture) and the
    wait from the wake word before it; the AFTER_SPEECH stages, end to end, after it."""
    timings = outcome.timings_ms
    speech = timings.get("speech", 0.0)
    stages = [Stage(name="capture", start_ms=-speech, end_ms=0.0)]
    if "wake_to_speech" in timings:
        lead = timings["wake_to_speech"]
        stages.insert(0, Stage(name="wake", start_ms=-speech - lead, end_ms=-speech))
    clock = 0.0
    for key in AFTER_SPEECH:
        if key not in timings:
            continue
        name = STAGE_NAMES.get(key, key)
        stages.append(Stage(name=name, start_ms=clock, end_ms=clock + timings[key]))
        clock += timings[key]
    acted = bool(outcome.actions)
    return CommandTrace(
        text=outcome.text,
        decision=outcome.decision,
        stages=stages,
        eos_to_action_ms=timings["eos_to_action"] if acted else None,
    )


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None
