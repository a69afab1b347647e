"""Actions: understood commands carried out on the home, through one sink.

One registry keyed by the config's ``type``. A sink's library (aiomqtt, aiohttp) is imported
only when that sink is configured; a configured sink that cannot load stops start-up with
its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from edge_assistant.actions.base import (
    NOT_ACTIONS,
    SERVICES,
    Action,
    ActionError,
    ActionRefused,
    ActionResult,
    Sink,
    actions_for,
    execute_all,
)
from edge_assistant.config.actions import SinkConfig
from edge_assistant.home.model import Home

# type -> "module:function" building a sink from (its config, the home); no I/O until start()
SINKS: dict[str, str] = {
    "log": "edge_assistant.actions.log_sink:load",
    "mqtt": "edge_assistant.actions.mqtt_sink:load",
    "home_assistant": "edge_assistant.actions.home_assistant:load",
}


def load_sink(config: SinkConfig, home: Home) -> Sink:
    target = SINKS.get(config.type)
    if target is None:
        raise ActionError(f"unknown action sink type {config.type!r} (known: {', '.join(SINKS)})")
    module, function = target.split(":")
    try:
        loader: Callable[..., Sink] = getattr(import_module(module), function)
    except ImportError as exc:
        raise ActionError(f"action sink {config.type!r} cannot load: {exc}") from None
    return loader(config, home)


__all__ = [
    "NOT_ACTIONS",
    "SERVICES",
    "SINKS",
    "Action",
    "ActionError",
    "ActionRefused",
    "ActionResult",
    "Sink",
    "actions_for",
    "execute_all",
    "load_sink",
]
