"""Answers the daemon gives itself: the time, the date, a custom intent's response."""

from __future__ import annotations

import datetime as dt

from edge_assistant.actions.base import fill
from edge_assistant.home.model import Home
from edge_assistant.understanding.intents import Command


def spoken_answer(command: Command, now: dt.datetime | None = None) -> str | None:
    """The sentence for an intent answered from this box's clock; None for any other."""
    now = now or dt.datetime.now().astimezone()
    if command.intent == "HassGetCurrentTime":
        return f"It is {now.hour}:{now.minute:02d}."
    if command.intent == "HassGetCurrentDate":
        return f"Today is {now:%A}, {now.day} {now:%B %Y}."
    return None


def custom_response(command: Command, home: Home) -> str | None:
    """The response home.yaml gives a custom intent, its {slot}s filled (words said may be
    said back); None for any other intent."""
    custom = home.intents.get(command.intent or "")
    return None if custom is None else fill(custom.response, command.slots)
