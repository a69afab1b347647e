"""What people say instead of a command: a need ("it's freezing in the office", "I can't see
a thing in here") and a question about what someone did ("did I leave the garage open").

A need becomes the command that would meet it, in the room said (else the speaker's): a
heater or the heating for cold, the lights for dark, a fan for heat. It is never done
straight away: the assistant asks first ("Do you want me to turn on the Office Heater?"),
because a need can be met in more than one way, or not wanted met at all.

A question about what someone did is asked about the state it left: "did I leave the garage
door open" is "is the garage door open", "did we lock the front door" is "is the front door
locked"; it is answered, never acted on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge_assistant.home.model import Device, Home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.gazetteer import Gazetteer
from edge_assistant.understanding.intents import Command

_WHO = r"(?:i|we|you|someone|somebody|anyone|anybody|they|he|she|the kids)"
_AFTER = r"(?P<after>(?: (?:again|properly|downstairs|upstairs|in here|in the [a-z ]+))*)"
_LEFT = re.compile(
    rf"^(?:did|have|has) {_WHO} (?:leave|left) (?P<thing>.+?) "
    rf"(?P<state>on|off|open|closed|shut|locked|unlocked|running){_AFTER}\??$"
)
_WAS_LEFT = re.compile(
    r"^(?:was|were|has|have) (?P<thing>.+?) (?:been )?left "
    rf"(?P<state>on|off|open|closed|shut|locked|unlocked|running){_AFTER}\??$"
)
_DID = re.compile(
    rf"^(?:did|have|has) {_WHO} (?P<verb>lock|locked|unlock|unlocked|close|closed|shut|open|"
    r"opened|turn off|turned off|switch off|switched off|turn on|turned on|switch on|"
    rf"switched on) (?P<thing>.+?){_AFTER}\??$"
)
# "check the garage door's shut", "can you check if i locked the door properly": the question
# after the check.
_CHECK = re.compile(
    r"^(?:(?:can|could|would) you |please |just )*(?:check|see|find out)"
    r"(?: (?:if|whether|that))? (?P<rest>.+)$"
)
_IS = re.compile(
    r"^(?P<thing>(?:the|my|our) .+?)(?:'s| is| are) "
    r"(?P<state>on|off|open|closed|shut|locked|unlocked)(?: properly)?$"
)
_STATE = {
    "lock": "locked", "locked": "locked", "unlock": "unlocked", "unlocked": "unlocked",
    "close": "closed", "closed": "closed", "shut": "closed", "open": "open", "opened": "open",
    "turn off": "off", "turned off": "off", "switch off": "off", "switched off": "off",
    "turn on": "on", "turned on": "on", "switch on": "on", "switched on": "on",
}  # fmt: skip


def as_state_question(text: str) -> str | None:
    """ "did I leave the garage door open" -> "is the garage door open"; None for anything
    that is not a question about what someone did."""
    lowered = " ".join(text.lower().split())
    if checked := _CHECK.match(lowered):
        rest = checked.group("rest")
        if m := _IS.match(rest):
            state = "closed" if m.group("state") == "shut" else m.group("state")
            return f"is {m.group('thing')} {state}"
        lowered = rest if rest.startswith(("did ", "have ", "has ")) else f"did {rest}"
    if m := _LEFT.match(lowered) or _WAS_LEFT.match(lowered):
        state = "closed" if m.group("state") == "shut" else m.group("state")
        return f"is {m.group('thing')} {state}{_where(m.group('after'))}"
    if m := _DID.match(lowered):
        return f"is {m.group('thing')} {_STATE[m.group('verb')]}{_where(m.group('after'))}"
    return None


def _where(after: str) -> str:
    """The place said after a question's state ("… on downstairs"), without "again"."""
    kept = [w for w in after.split() if w not in ("again", "properly")]
    return f" {' '.join(kept)}" if kept else ""


# How sure a need's reading is: a guess at what would meet it, as often wrong as right ("i'm
# freezing" may be only said), so it is always asked first, never done.
GUESS = 0.5


@dataclass(frozen=True)
class Need:
    words: re.Pattern[str]
    intent: str
    fits: tuple[str, ...]  # what meets it: words in a device's name, else a domain
    domains: tuple[str, ...]


NEEDS = (
    Need(re.compile(r"\b(?:freezing|cold|chilly|nippy|frozen|baltic|perishing|arctic)\b"),
         "HassTurnOn",
         ("heater", "radiator"), ("climate",)),
    Need(re.compile(r"\b(?:dark|gloomy|can'?t see|cannot see|pitch black|like a (?:cave|dungeon|"
                    r"cellar|tomb))\b"), "HassTurnOn",
         (), ("light",)),
    Need(re.compile(r"\b(?:boiling|roasting|stuffy|sweltering|so hot|too hot|baking)\b"),
         "HassTurnOn", ("fan",), ("fan",)),
)  # fmt: skip
# Not said of the room: "the soup is cold", "the tv is dark".
_OF_ROOM = re.compile(
    r"\b(?:it'?s|its|it is|i'?m|i am|we'?re|we are|getting|feels?|so|really|too|bit|very|"
    r"i can'?t|i cannot)\b"
)


def need_command(text: str, home: Home, gazetteer: Gazetteer, context: Context) -> Command | None:
    """The command that would meet a need said of a room, to ask about; None when no need is
    said or nothing in the room meets it."""
    lowered = text.lower()
    need = next((n for n in NEEDS if n.words.search(lowered)), None)
    if need is None or not _OF_ROOM.search(lowered):
        return None
    areas = [a for _, _, a in gazetteer.matches(text, "area")]
    area = areas[0].id if len(areas) == 1 else None if areas else context.command_area()
    if area is None:
        return None
    here = [d for d in home.devices if d.area == area]
    fitting = [d for d in here if _named_for(d, need.fits)] or [
        d for d in here if d.domain in need.domains
    ]
    if not fitting:
        return None
    targets = tuple(d.id for d in fitting)
    domains = {d.domain for d in fitting}
    if len(fitting) == 1:  # slots as the resolver writes them: a name, else area and domain
        slots: dict[str, object] = {"name": fitting[0].name}
    else:
        slots = {"area": home.area(area).name}
        if len(domains) == 1:
            slots["domain"] = next(iter(domains))
    heaters = need.fits == ("heater", "radiator") and any(_named_for(d, need.fits) for d in here)
    if need.domains == ("climate",) and not heaters:
        return Command(text=text, intent="HassClimateSetTemperature",
                       slots={**slots, "temperature_change": "up"}, confidence=GUESS,
                       targets=targets, layer="needs")  # fmt: skip
    return Command(text=text, intent=need.intent, slots=slots, confidence=GUESS, targets=targets,
                   layer="needs")  # fmt: skip


def _named_for(device: Device, words: tuple[str, ...]) -> bool:
    name = device.name.lower()
    return any(w in name for w in words)
