"""Relative changes: "a bit brighter", "a couple of degrees warmer", "turn the music down",
"close the curtains another 20 percent".

People rarely say the level they want; they say which way and roughly how far. A reading
whose words say a direction (and no level to go *to*) becomes a change of the quantity that
its targets have: brightness (lights), volume (players), target temperature (climate),
position (covers) or speed (fans). The change is ``"up"``/``"down"`` (one default step) or a
signed number (percent points or degrees); the daemon turns it into a level from the
device's current state where the sink knows it (daemon/acting.py), and a light's brightness
steps without any state (``brightness_step_pct``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from edge_assistant.home.model import Home
from edge_assistant.understanding import values
from edge_assistant.understanding.intents import Command

# The quantity each domain changes, its slot, and the intent that carries it.
QUANTITY = {
    "light": ("brightness_change", "HassLightSet"),
    "media_player": ("volume_step", "HassSetVolumeRelative"),
    "climate": ("temperature_change", "HassClimateSetTemperature"),
    "cover": ("position_change", "HassSetPosition"),
    "fan": ("percentage_change", "HassFanSetSpeed"),
}
QUANTITY_INTENTS = frozenset(intent for _, intent in QUANTITY.values()) | {"HassSetVolume"}
CHANGE_SLOTS = frozenset(slot for slot, _ in QUANTITY.values())
# Absolute slots a change replaces.
ABSOLUTE = ("brightness", "volume_level", "temperature", "position", "percentage")
# Readings a change may rewrite: the model often reads "turn the lights up" as turning them
# on, and "turn the music down" as a pause.
REWRITABLE = frozenset({
    "HassTurnOn", "HassTurnOff", "HassLightSet", "HassSetVolume", "HassSetVolumeRelative",
    "HassClimateSetTemperature", "HassSetPosition", "HassFanSetSpeed", "HassMediaPause",
    "HassMediaUnpause",
})  # fmt: skip

_UP = (r"brighter|brighten|lighter|louder|warmer|hotter|higher|raise|increase|more|up|boost|"
       r"crank|bump|pump|faster|quicker")  # fmt: skip
_DOWN = (r"dimmer|darker|darken|dim|quieter|softer|cooler|colder|lower|decrease|less|reduce|down|"
         r"drop|lessen|slower")  # fmt: skip
_TOO = re.compile(
    r"\btoo (bright|loud|hot|warm|noisy|dark|quiet|cold|chilly|gloomy|dim|low|soft|cool|faint)\b"
)
_TOO_MUCH = frozenset({"bright", "loud", "hot", "warm", "noisy"})
_UP_RE = re.compile(rf"\b(?:{_UP})\b")
_DOWN_RE = re.compile(rf"\b(?:{_DOWN})\b")
# Covers: opening and closing said with a measure is a change ("open the blinds a bit more").
_OPEN_RE = re.compile(r"\b(?:open|opened)\b")
_CLOSE_RE = re.compile(r"\b(?:close|closed|shut)\b")
_MEASURE = re.compile(
    r"\b(?:a (?:bit|little|touch|tad|smidge|notch|lot|fair bit)|slightly|somewhat|further|"
    r"more|less|another|extra|by \w+|a couple|a few|some more|bit more|bit less|a degree|"
    r"one degree|notch|step|(?:up|down) \d+)\b"
)
# Said *to* a level: absolute, not a change ("turn it up to 60").
_NUMBER_WORDS = (
    r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|half|max|maximum|minimum"
)
# "too" is how a recognizer writes "to" before a number ("dim the lights too 30").
_TO_LEVEL = re.compile(
    r"(?:\b(?:to|at|too)|(?<!by )\blike)\s+(?:about |around |roughly )?"
    rf"(?:\d|(?:{_NUMBER_WORDS})\b|[a-z]+ ?(?:percent|%|degrees?)|(?:a|one) hundred\b|"
    r"(?:the )?(?:minimum|maximum|lowest|highest|max|min|full)\b)"
)
# A level said without "to": "increase the lamp 75 percent" (Home Assistant's templates read
# the number after increase or decrease as the level, unless "by" says it is a step), "the
# minimum brightness".
_A_LEVEL = re.compile(
    r"\b(?:increase|decrease)\b(?!.*\bby\b).*\b(?:\d+|" + _NUMBER_WORDS + r")\b"
    r"|\b(?:the )?(?:minimum|lowest) (?:brightness|level|volume|speed)\b"
)
_COUPLE = re.compile(r"\ba couple(?: of)?\b")
_FEW = re.compile(r"\ba few\b")
_ONE_DEGREE = re.compile(r"\b(?<!half )(?:a|one) degree\b")
_HALF_DEGREE = re.compile(r"\bhalf (?:a|of a) degree\b")
_VOLUME = re.compile(
    r"\b(?:volume|loud|louder|quiet|quieter|softer|(?:turn|crank|pump|bump|knock|bring|"
    r"whack) (?:\w+ ){0,3}?(?:up|down)|"
    r"(?:up|down) the (?:volume|sound|music|tv|telly)|(?:music|volume|sound|tv|telly) "
    r"(?:up|down))\b"
)
# "light up the room", "could you light it up": on, as a verb, not the lights' brightness
_LIGHT_UP = re.compile(r"(?:^|\b(?:you|please|and|to|then)\s)light (?:\w+ ){0,3}?up\b")
# "on" and "off" alone are no direction: "turn the lights on" is no change.
_ON_OFF = re.compile(r"\b(?:turn|switch|put|flip) (?:(?!up |down )\w+ ){0,3}?(?:on|off)\b")
# "that one", "the other one": which thing, not how far.
_WHICH_ONE = re.compile(r"\b(?:that|this|the|which|other) one\b")


# A level at an end of the range, said as a level: "up to full", "max", "all the way down".
_END = re.compile(
    r"\b(?:(?:to|at|up to|on) (?:full|max|maximum|the max|full whack|full blast|100 percent)|"
    r"full (?:brightness|power|blast|whack|volume|speed)|(?:as (?:bright|loud|fast) as "
    r"(?:it goes|possible))|all the way (?:up|open)|(?P<down>all the way (?:down|closed?)))\b"
)
# The absolute slot and intent a level at an end sets, per domain.
END_LEVEL = {
    "light": ("brightness", "HassLightSet"),
    "media_player": ("volume_level", "HassSetVolume"),
    "cover": ("position", "HassSetPosition"),
    "fan": ("percentage", "HassFanSetSpeed"),
}


# Verbs whose "up" says no direction: "fire up the heater" turns it on.
_PHRASAL_UP = re.compile(r"\b(?:fire|power|boot|start|warm|wake|hook|set|open|pick) up\b")


def direction(text: str) -> str | None:
    """ "up", "down" or None (none said, or both)."""
    need = _TOO.search(text)
    if need:  # "it's too bright in here": down
        return "down" if need.group(1) in _TOO_MUCH else "up"
    up, down = bool(_UP_RE.search(text)), bool(_DOWN_RE.search(text))
    if up == down:
        return None
    return "up" if up else "down"


def amount(text: str) -> float | None:
    """How far, when said: "by 10", "another 20 percent", "a couple of degrees"."""
    if _COUPLE.search(text):
        return 2
    if _FEW.search(text):
        return 3
    if _HALF_DEGREE.search(text):
        return 0.5
    if _ONE_DEGREE.search(text):
        return 1
    numbers = values.find_numbers(text)
    if len(numbers) == 1:
        return float(numbers[0][2])
    return None


def change_in(text: str, domain: str) -> str | float | None:
    """The change a sentence says for a device of ``domain``: "up", "down", a signed number,
    or None when it says a level, no direction, or no measure for a cover."""
    lowered = " ".join(text.lower().split())
    if _TO_LEVEL.search(lowered) or _A_LEVEL.search(lowered):
        return None
    way = direction(_PHRASAL_UP.sub(" ", _LIGHT_UP.sub(" ", _ON_OFF.sub(" ", lowered))))
    if domain == "cover":
        measured = _MEASURE.search(lowered)
        if not measured:
            return None  # "close the blinds", "blinds up": a command of their own
        opened, closed = bool(_OPEN_RE.search(lowered)), bool(_CLOSE_RE.search(lowered))
        if opened != closed:  # "close the curtains a bit more": the verb says which way
            way = "up" if opened else "down"
    if way is None:
        return None
    how_far = amount(_WHICH_ONE.sub(" ", lowered))
    if how_far is None or how_far <= 0:
        return way
    signed = how_far if way == "up" else -how_far
    return int(signed) if float(signed).is_integer() else signed


def apply_change(command: Command, home: Home) -> Command:
    """``command`` as a relative change when its words say one for its targets (all of one
    domain), or as the level at an end ("up to full", "all the way down"); otherwise
    unchanged."""
    if not command.understood or command.intent not in REWRITABLE or not command.targets:
        return command
    if command.layer == "templates" and command.intent not in QUANTITY_INTENTS:
        return command  # Home Assistant's own reading of a whole sentence: "light up" is on
    domains = {home.device(t).domain for t in command.targets}
    if len(domains) != 1:
        return command
    domain = domains.pop()
    if domain not in QUANTITY:
        return command
    if (end := _END.search(command.text.lower())) and domain in END_LEVEL:
        slot, intent = END_LEVEL[domain]
        level = 0 if end.group("down") else 100
        if level == 0 and domain == "light":
            return command  # the lowest a light goes is not said: no guess
        slots = {k: v for k, v in command.slots.items() if k not in ABSOLUTE}
        slots.pop("state", None)
        for change in CHANGE_SLOTS:
            slots.pop(change, None)
        return replace(command, intent=intent, slots={**slots, slot: level})
    change = change_in(command.text, domain)
    if change is None:
        return command
    if domain == "media_player" and not _VOLUME.search(command.text.lower()):
        return command  # "play more music", "stop it": no volume change
    slot, intent = QUANTITY[domain]
    slots: dict[str, Any] = {k: v for k, v in command.slots.items() if k not in ABSOLUTE}
    slots.pop("state", None)
    slots[slot] = change
    return replace(command, intent=intent, slots=slots)
