"""Answers the daemon gives itself, with no device involved: the time, the date."""

from __future__ import annotations

import datetime as dt

from edge_assistant.understanding.intents import Command


def spoken_answer(command: Command, now: dt.datetime | None = None) -> str | None:
    """The sentence for an intent answered from this box's clock; None for any other."""
    now = now or dt.datetime.now().astimezone()
    if command.intent == "HassGetCurrentTime":
        return f"It is {now.hour}:{now.minute:02d}."
    if command.intent == "HassGetCurrentDate":
        return f"Today is {now:%A}, {now.day} {now:%B %Y}."
    return None
