"""The ``log`` sink: each action is one JSON line on the ``edge_assistant.actions`` logger and
is kept in ``done``. The embedded default, and what demos and tests read back."""

from __future__ import annotations

import json
import logging
import time

from edge_assistant.actions.base import Action, ActionRefused, ActionResult, Sink, check_action
from edge_assistant.config.actions import LogSinkConfig
from edge_assistant.home.model import Home

log = logging.getLogger("edge_assistant.actions")

KEEP = 1000  # the newest actions kept in ``done``; a long-running assistant must not grow


class LogSink(Sink):
    type = "log"

    def __init__(self, config: LogSinkConfig, home: Home) -> None:
        super().__init__(home)
        self.config = config
        self.done: list[Action] = []

    async def execute(self, action: Action, deadline: float) -> ActionResult:
        start = time.monotonic()
        try:
            check_action(self.home, action)
        except ActionRefused as exc:
            return ActionResult(action, ok=False, error=str(exc))
        if start > deadline:
            return ActionResult(action, ok=False, error="deadline passed before it was done")
        log.info(json.dumps({"action": action.to_json()}, sort_keys=True))
        self.done.append(action)
        del self.done[:-KEEP]
        ms = (time.monotonic() - start) * 1000
        return ActionResult(action, ok=True, attempts=1, ms=ms, detail={"sink": "log"})


def load(config: LogSinkConfig, home: Home) -> LogSink:
    return LogSink(config, home)
