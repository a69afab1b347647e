"""Answers the daemon gives itself: the time, the date, chat (HassRespond), a custom intent's
response."""

from __future__ import annotations

import datetime as dt

from edge_assistant.actions.base import fill
from edge_assistant.home.model import Home
from edge_assistant.understanding.intents import Command

# HassRespond's answers, by Home Assistant's response keys, true of this assistant (its own
# speak of a Home Assistant server).
RESPONSES = {
    "hello": "Hello.",
    "listening": "No. I only listen after the wake word, and what I hear stays on this device.",
    "data": "Nowhere: what you say is understood on this device, and only the actions go to "
    "your home's devices.",
    "commands": "Ask me to switch, dim or colour the lights, open and close covers, set timers, "
    "play, pause or skip music, or ask about your home.",
    "creator": "I am edge-assistant, made by its contributors, on Home Assistant's sentences.",
}


def spoken_answer(command: Command, now: dt.datetime | None = None) -> str | None:
    """The sentence for an intent answered by the assistant itself (the clock, a chat
    answer); None for any other."""
    if command.intent == "HassRespond":
        return RESPONSES.get(command.response or "", "")
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
