"""Wake word engines, one registry keyed by the config's ``type``.

Engines import their libraries only when configured, so a target without pymicro-wakeword
still runs openWakeWord models, and the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from edge_assistant.audio.wakeword.base import (
    SAMPLE_RATE,
    ScoringEngine,
    WakeDetection,
    WakeScore,
    WakeWordEngine,
    WakeWordError,
)
from edge_assistant.config.voice import WakeConfig

# type -> "module:function" loading an engine from its validated config
ENGINES: dict[str, str] = {
    "micro": "edge_assistant.audio.wakeword.micro:load",
    "openwakeword": "edge_assistant.audio.wakeword.openwakeword:load",
    "none": "edge_assistant.audio.wakeword.none:load",
}


def load_wake_word(config: WakeConfig) -> WakeWordEngine:
    target = ENGINES.get(config.type)
    if target is None:
        known = ", ".join(ENGINES)
        raise WakeWordError(f"unknown wake word type {config.type!r} (known: {known})")
    module, function = target.split(":")
    loader: Callable[..., WakeWordEngine] = getattr(import_module(module), function)
    return loader(config)


__all__ = [
    "ENGINES",
    "SAMPLE_RATE",
    "ScoringEngine",
    "WakeDetection",
    "WakeScore",
    "WakeWordEngine",
    "WakeWordError",
    "load_wake_word",
]
