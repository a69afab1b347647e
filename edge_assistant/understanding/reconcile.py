"""Readings of the model set right by what the words plainly say.

* **The other of a pair**: the model confuses intents that share their words ("dock the
  robot vacuum" read as starting it, "skip back" as the next track). A reading whose words say
  only the other one's action becomes the other one.
* **A thing's state is no person's**: "is the garage open" read as someone in the garage
  asks about what in the garage can be open.
* **A fan's position is its speed**: "set the fan to 40 percent" read as a cover position is
  the fan's speed (Home Assistant's HassFanSetSpeed).

"All the fans" said with no room stays the fans of the room, as Home Assistant reads it (its
intent tests say so); "everywhere", "the whole house" are the home.
"""

from __future__ import annotations

import re
from dataclasses import replace

from edge_assistant.home.model import Home
from edge_assistant.understanding.intents import Command

# (one, other, words that say only the one, words that say only the other)
PAIRS = (
    ("HassVacuumStart", "HassVacuumReturnToBase",
     re.compile(r"\b(?:start|clean|run|go|sweep|hoover the|vacuum the)\b"),
     re.compile(r"\b(?:dock|base|home|charge|charger|charging|return|back)\b")),
    ("HassMediaNext", "HassMediaPrevious",
     re.compile(r"\b(?:next|ahead|forward|skip (?:this|it|the))\b"),
     re.compile(r"\b(?:back|previous|last|again|replay|rewind|before)\b")),
)  # fmt: skip


# What can be in each state (a person is in a zone, never "open").
_STATE_DOMAINS = {
    "open": ("cover", "binary_sensor", "lock", "valve"), "closed": ("cover", "binary_sensor", "valve"),
    "locked": ("lock",), "unlocked": ("lock",),
    "on": ("light", "switch", "fan", "media_player", "climate"), "off": ("light", "switch", "fan",
    "media_player", "climate"),
}  # fmt: skip


def reconciled(command: Command, home: Home) -> Command:
    """``command`` (a model reading) as its words plainly say it."""
    if command.intent is None:
        return command
    text = command.text.lower()
    for one, other, says_one, says_other in PAIRS:
        for mine, theirs, says_mine, says_theirs in ((one, other, says_one, says_other),
                                                    (other, one, says_other, says_one)):  # fmt: skip
            if command.intent == mine and says_theirs.search(text) and not says_mine.search(text):
                command = replace(command, intent=theirs)
                break
    slots = command.slots
    if (
        command.intent == "HassGetState"
        and slots.get("domain") == "person"
        and "name" not in slots
        and slots.get("state") in _STATE_DOMAINS
        and "area" in slots
    ):
        area = next((a.id for a in home.areas if a.name == slots["area"]), None)
        fits = _STATE_DOMAINS[str(slots["state"])]
        things = tuple(d.id for d in home.devices if d.area == area and d.domain in fits)
        if things:
            kept = {k: v for k, v in slots.items() if k != "domain"}
            command = replace(command, targets=things, slots=kept)
    domains = {home.device(t).domain for t in command.targets}
    if command.intent == "HassSetPosition" and domains == {"fan"}:
        slots = dict(command.slots)
        if "position" in slots:
            slots["percentage"] = slots.pop("position")
        command = replace(command, intent="HassFanSetSpeed", slots=slots)
    return command
