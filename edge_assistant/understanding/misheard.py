"""Words a speech recognizer writes for the words of a command that sound the same: "paws the
music", "set a time her", "the desk lamb", "start the rumba", "for for minutes".

Each is replaced only where the written word cannot be what was meant: next to the words of a
command (a verb before it, a number or a unit after it, a device word around it), never
alone, so "the dog's paws are muddy" and "chandler's coming round" stay as said.
"""

from __future__ import annotations

import re

_UNIT = r"(?:seconds?|minutes?|mins?|hours?)"
# (what was written, what was meant); the first group, when there is one, is kept.
_MISHEARD: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), meant)
    for pattern, meant in (
        (r"^((?:(?:please|can you|could you|just|hey|ok|okay)\s+)*)paws\b", r"\1pause"),
        (r"\b(set|start|cancel|stop|the|a|my) time her\b", r"\1 timer"),
        (rf"\bfor for ({_UNIT})\b", r"for four \1"),
        (rf"\bate ({_UNIT})\b", r"eight \1"),
        (rf"\b(?:won|wan) ({_UNIT})\b", r"one \1"),
        (r"\bnext truck\b", "next track"),
        (r"\b(desk|floor|bedside|reading|sofa|star|bed) lamb\b", r"\1 lamp"),
        (r"\bsealing (light|lights|fan)\b", r"ceiling \1"),
        (r"\bthe chandler\b", "the chandelier"),
        (r"\brumba\b", "roomba"),
        (r"\bdinning room\b", "dining room"),
        (r"\bshoping list\b", "shopping list"),
        (r"\b(the|what's the|whats the) whether\b", r"\1 weather"),
        (r"\bwhether (today|tomorrow|forecast|like|outside)\b", r"weather \1"),
        (r"\btoo (\d+)\b", r"to \1"),
        (r"\bthermal stat\b", "thermostat"),
        (rf"\btree ({_UNIT})\b", r"three \1"),
        (r"\b(desk|floor|bedside|reading|sofa|star) clamp\b", r"\1 lamp"),
        (r"\b(?:shanda|shonda|chanda) (?:lear|leer|lier)\b", "chandelier"),
    )
)


def mend_misheard(text: str) -> str:
    """``text`` with the command words a recognizer wrote as their sound-alikes put back."""
    for written, meant in _MISHEARD:
        text = written.sub(meant, text)
    return text
