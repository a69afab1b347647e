"""Value slots from tagged spans: states, brightness or colour, percentages, temperatures,
durations. A value that is needed and cannot be read makes the command not understood."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from edge_assistant.home.model import Device
from edge_assistant.understanding import values
from edge_assistant.understanding.intents import BRIGHT_LEVEL, DIM_LEVEL
from edge_assistant.understanding.relative import change_in, direction

STATES = {"on": "on", "off": "off", "open": "open", "closed": "closed", "shut": "closed",
          "locked": "locked", "unlocked": "unlocked", "opening": "opening",
          "closing": "closing", "shutting": "closing"}  # fmt: skip
PERCENT_SLOT = {"HassSetPosition": "position", "HassSetVolume": "volume_level"}
_CORRECTION = re.compile(r"\b(no wait|no no|no|i mean|actually|sorry|make that|rather|wait)\b[, ]+")


class NotUnderstood(Exception):
    """The reason a sentence becomes no action."""


class _HasIntent(Protocol):
    intent: str


P = TypeVar("P", bound=_HasIntent)


def slot_values(text: str, tail: str, intent: str, spans: dict[str, str]) -> dict[str, Any]:
    """The value slots (state, brightness/color, percent, temperature, duration) of a
    command, from its tagged spans, trying the self-corrected tail of the text first."""
    value = spans.get("VALUE", "")
    out: dict[str, Any] = {}
    state = spans.get("STATE", "").lower().split()
    if state and state[-1] in STATES:
        out["state"] = STATES[state[-1]]
    relative = direction(text.lower()) is not None or (  # a change: understanding/relative.py
        intent == "HassSetPosition" and change_in(text, "cover") is not None
    )  # "close the kitchen blind a bit"
    if intent == "HassLightSet":
        out.update(_light(text, tail, value, relative))
    elif intent in PERCENT_SLOT:
        level = _first(values.parse_percent, tail, value, text)
        if level is None and not relative:
            raise NotUnderstood("no level understood")
        if level is not None:
            out[PERCENT_SLOT[intent]] = level
    elif intent == "HassClimateSetTemperature":
        temperature = _first(values.parse_temperature, tail, value, text)
        if temperature is None and relative:
            return out
        if temperature is None:
            raise NotUnderstood("no temperature understood")
        out["temperature"] = temperature
    elif intent in ("HassIncreaseTimer", "HassDecreaseTimer"):
        change = _first(values.parse_change, tail, text)
        if not change:
            raise NotUnderstood("not sure by how much")
        out.update(change)
    elif intent == "HassStartTimer":
        duration = _first(values.parse_duration, tail, text)
        if not duration:
            raise NotUnderstood("no duration understood")
        out.update(duration)
    return out


def _light(text: str, tail: str, value: str, relative: bool = False) -> dict[str, Any]:
    color = _first(values.parse_color, tail, value, text)
    if color:
        return {"color": color}
    level = _first(values.parse_percent, tail if tail != text else "", value, text)
    if level is not None:
        return {"brightness": level}
    lowered = text.lower()
    if re.search(r"\b(lowest|minimum|min)\b", lowered):
        return {"brightness": 1}
    if re.search(r"\b(highest|maximum|max)\b", lowered):
        return {"brightness": BRIGHT_LEVEL}
    if "too bright" in lowered or any(
        w in lowered for w in ("dim", "less", "down", "lower", "blinding")
    ):
        return {"brightness": DIM_LEVEL}
    if any(w in lowered for w in ("bright", "full", "max", "all the way up")):
        return {"brightness": BRIGHT_LEVEL}
    if relative:
        return {}
    raise NotUnderstood("no brightness or color understood")


# "set that to 60 percent": the percentage means brightness, position or volume by target.
PERCENT_INTENT = {"light": "HassLightSet", "cover": "HassSetPosition", "fan": "HassSetPosition",
                  "media_player": "HassSetVolume"}  # fmt: skip


def intent_for_target(p: P, targets: list[Device]) -> P:
    """The percent intent follows the target: brightness, position or volume."""
    if p.intent not in set(PERCENT_INTENT.values()) or len(targets) != 1:
        return p
    intent = PERCENT_INTENT.get(targets[0].domain, p.intent)
    return p if intent == p.intent else replace(p, intent=intent)


def _first(parse: Any, *texts: str) -> Any:
    """The first text that parses (the corrected tail before the whole sentence)."""
    for t in texts:
        if t:
            result = parse(t)
            if result is not None and result != {}:
                return result
    return None


def correction_tail(text: str) -> str:
    """What follows the last self-correction ("set it to 70, no, 60"), else the text."""
    found = list(_CORRECTION.finditer(text.lower()))
    if found and found[-1].start() > 0 and found[-1].end() < len(text):
        return text[found[-1].end() :]
    return text
