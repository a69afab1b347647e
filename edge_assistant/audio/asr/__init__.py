"""Speech recognizer engines, one registry keyed by the config's ``type``.

Engines import their libraries only when configured, so a target without Vosk or
faster-whisper installed still runs the others.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from edge_assistant.audio.asr.base import AsrEngine, AsrError, Stream, Transcript
from edge_assistant.config.voice import AsrEngineConfig
from edge_assistant.home.model import Home

# type -> "module:function" loading an engine from (its config, the home or None)
ENGINES: dict[str, str] = {
    "pocketsphinx": "edge_assistant.audio.asr.pocketsphinx_engine:load",
    "vosk": "edge_assistant.audio.asr.vosk_engine:load",
    "whisper": "edge_assistant.audio.asr.whisper_engine:load",
}


def load_engine(config: AsrEngineConfig, home: Home | None = None) -> AsrEngine:
    target = ENGINES.get(config.type)
    if target is None:
        raise AsrError(f"unknown ASR engine type {config.type!r} (known: {', '.join(ENGINES)})")
    module, function = target.split(":")
    loader: Callable[..., AsrEngine] = getattr(import_module(module), function)
    return loader(config, home)


__all__ = ["ENGINES", "AsrEngine", "AsrError", "Stream", "Transcript", "load_engine"]
