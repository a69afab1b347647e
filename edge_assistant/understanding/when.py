"""When a command is for: a time of day ("at 7 pm", "at half past seven", "at midnight") or a
while from now ("in an hour", "in 20 minutes").

A command said for later is never done now. It becomes a timer with the command
(``HassStartTimer`` + ``conversation_command``, as Home Assistant's satellites do "turn off
the lights in 5 minutes"); the daemon keeps it in the journal, so it outlives a restart, and
it is cancelled by voice like any timer. A time of day is the slot ``at``: "19:00", or "07:00|19:00" when no am or pm is said
(the daemon takes whichever comes first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HOURS = {w: n for n, w in enumerate(
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve"))}  # fmt: skip
_MINUTES = {"o'clock": 0, "oclock": 0, "fifteen": 15, "thirty": 30, "forty five": 45,
            "forty-five": 45, "ten": 10, "twenty": 20, "forty": 40, "fifty": 50,
            "five": 5}  # fmt: skip
_HOUR = rf"(?P<hour>\d{{1,2}}|{'|'.join(_HOURS)})"
_MINUTE = (
    rf"(?::(?P<mm>\d\d)|\s+(?P<mm2>[0-5]\d)\b|"
    rf"\s+(?P<mw>{'|'.join(sorted(_MINUTES, key=len, reverse=True))}))?"
)  # "7:30", "6 30" (a recognizer's), "seven thirty"
_AMPM = (
    r"(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.|in the morning|in the evening|at night|tonight|"
    r"tomorrow morning|this morning|tomorrow evening|this evening|tomorrow night))?"
)
_AT = re.compile(
    r"\bat\s+(?:(?P<named>midnight|noon|midday)"
    rf"|(?:(?:a )?(?P<part>half past|quarter past|quarter to|half)\s+)?{_HOUR}{_MINUTE}{_AMPM})"
    r"(?!\s*(?:percent|%|degrees?|minutes?|hours?|seconds?))\b"
)
_NUMBER = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20,
           "thirty": 30, "forty": 40, "forty five": 45, "sixty": 60, "ninety": 90}  # fmt: skip
_IN = re.compile(
    rf"\b(?:in|after)\s+(?:(?P<half>half an)|(?P<n>\d+|{'|'.join(sorted(_NUMBER, key=len, reverse=True))}))"
    r"\s+(?P<unit>hours?|hrs?|minutes?|mins?|seconds?|secs?)(?:'?s time)?\b"
)


@dataclass(frozen=True)
class When:
    said: str  # the words of the time, as said: "at 7 pm"
    rest: str  # the command without them: "turn on the outdoor lights"
    slots: dict[str, object]  # at (and name), or hours / minutes / seconds
    bare: bool = False  # a bare number ("at 5"): a time, or a level ("set the fan at 3")


def when(text: str) -> When | None:
    """The time a command is for, and the command without it; None when no time is said
    (or a level is: "set the lights at 50")."""
    lowered = " ".join(text.lower().split())
    if m := _AT.search(lowered):
        at = _clock(m)
        if at is not None:
            name = m.group(0).split(None, 1)[1]
            bare = bool(re.fullmatch(r"at \d{1,2}", m.group(0)))
            return When(m.group(0), _without(lowered, m), {"at": at, "name": name}, bare)
    if m := _IN.search(lowered):
        unit = m.group("unit")
        if m.group("half"):
            slots: dict[str, object] = {"minutes": 30} if unit.startswith("h") else {"seconds": 30}
        else:
            n = int(m.group("n")) if m.group("n").isdigit() else _NUMBER[m.group("n")]
            key = (
                "hours"
                if unit.startswith("h")
                else "minutes"
                if unit.startswith("m")
                else "seconds"
            )
            slots = {key: n}
        return When(m.group(0), _without(lowered, m), slots)
    return None


def _clock(m: re.Match[str]) -> str | None:
    if named := m.group("named"):
        return "00:00" if named == "midnight" else "12:00"
    hour_said = m.group("hour")
    hour = int(hour_said) if hour_said.isdigit() else _HOURS[hour_said]
    minute = 0
    if part := m.group("part"):
        minute = {"half past": 30, "half": 30, "quarter past": 15, "quarter to": -15}[part]
    elif m.group("mm") or m.group("mm2"):
        minute = int(m.group("mm") or m.group("mm2"))
    elif m.group("mw"):
        minute = _MINUTES[m.group("mw")]
    ampm = (m.group("ampm") or "").replace(".", "")
    if hour > 23 or minute > 59 or (ampm and not 1 <= hour <= 12):
        return None
    if minute < 0:
        hour, minute = (hour - 1) % 24, 60 + minute
    if ampm in _PM and hour < 12:
        hour += 12
    if ampm in _AM and hour == 12:
        hour = 0
    if ampm or hour == 0 or hour > 12:
        return f"{hour:02d}:{minute:02d}"
    return f"{hour % 12:02d}:{minute:02d}|{hour % 12 + 12:02d}:{minute:02d}"  # either


_PM = frozenset({"pm", "in the evening", "at night", "tonight", "tomorrow evening", "this evening",
                 "tomorrow night"})  # fmt: skip
_AM = frozenset({"am", "in the morning", "tomorrow morning", "this morning"})


def _without(text: str, m: re.Match[str]) -> str:
    return " ".join(f"{text[: m.start()]} {text[m.end() :]}".split())
