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
from edge_assistant.understanding import values
from edge_assistant.understanding.decide import kinds_said
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
    "on": ("light", "switch", "fan", "media_player", "climate", "binary_sensor"),
    "off": ("light", "switch", "fan", "media_player", "climate", "binary_sensor"),
}  # fmt: skip


_TIMERS = frozenset({
    "HassStartTimer", "HassCancelTimer", "HassCancelAllTimers", "HassTimerStatus",
    "HassPauseTimer", "HassUnpauseTimer", "HassIncreaseTimer", "HassDecreaseTimer",
})  # fmt: skip
# "the pizza timer", "a laundry timer": the timer's name, as Home Assistant's slot has it.
_TIMER_NAME = re.compile(
    r"(?:^|\b(?:the|my|a|an|that|this|your)\s+)(?:[a-z0-9]+ (?:minute|hour|second)s? )?"
    r"([a-z]+)\s+timer\b"
)
_NO_NAME = frozenset({
    "minute", "minutes", "hour", "hours", "second", "seconds", "min", "mins", "other", "first",
    "last", "new", "current", "running", "old", "one", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen", "twenty", "thirty",
    "forty", "fifty", "sixty", "ninety", "quick", "little", "short", "long", "kitchen's",
    "same", "next", "only", "whole", "every", "all", "each", "half", "hour's",
    "set", "start", "stop", "cancel", "pause", "resume", "unpause", "add", "delete", "remove",
    "end", "kill", "clear", "check", "another", "what", "how", "is", "the",
})  # fmt: skip
# "the 10 minute timer": the timer started for that long (Home Assistant's start_minutes).
_STARTED_FOR = re.compile(r"\b(\d+|[a-z]+(?: [a-z]+)?) (minute|hour|second)s? timer\b")
_ALL_TIMERS = re.compile(r"\b(?:all|every|each)(?: (?:of )?(?:the|my))? timers?\b|\btimers\b")


# A question about how warm it is: "what temperature is it in the office", "how warm is the
# bathroom", "what's the thermostat reading".
_HOW_WARM = re.compile(
    r"\b(?:temperature|temp|how (?:warm|hot|cold|chilly)|degrees|reading|set (?:to|at|on)|"
    r"(?:heating|heater|thermostat)(?: on)? at\b|what's on the (?:heating|heater|thermostat)|"
    r"^is (?:the|it) [a-z ]*?(?:nice and )?"
    r"(?:warm|hot|cold|chilly)\b|(?:is it|it's|"
    r"its) (?:warm|hot|cold|chilly)|what does the thermostat say)\b"
)


_WHO = re.compile(r"\b(?:who|who's|anyone|anybody|someone|somebody|people|nobody)\b")


def temperature_asked(command: Command, home: Home) -> Command:
    """A question about how warm a place is, asked of what can say it: the place's climate
    device (``HassClimateGetTemperature``), else its temperature sensor (``HassGetState``);
    unchanged when the words ask no temperature or the place has neither."""
    asked = command.intent in ("HassGetState", "HassClimateGetTemperature")
    if not asked or not _HOW_WARM.search(command.text.lower()):
        return command
    if command.slots.get("domain") == "person" and _WHO.search(command.text.lower()):
        return command  # "is anyone cold in the bathroom": about people
    domains = {home.device(t).domain for t in command.targets}
    if domains == {"climate"} and command.intent == "HassGetState":
        return replace(command, intent="HassClimateGetTemperature")
    area = command.slots.get("area")
    if not area:
        placed = {home.device(t).area for t in command.targets}
        area = next((a.name for a in home.areas if placed == {a.id}), None)
    place = next((a.id for a in home.areas if a.name == area), None)
    if place is None:
        return command
    here = [d for d in home.devices if d.area == place]
    climate = tuple(d.id for d in here if d.domain == "climate")
    sensor = tuple(d.id for d in here if d.domain == "sensor" and d.device_class == "temperature")
    slots = {"area": area}
    if climate:
        return replace(command, intent="HassClimateGetTemperature", targets=climate, slots=slots)
    if sensor:
        named = {"name": home.device(sensor[0]).name} if len(sensor) == 1 else slots
        return replace(command, intent="HassGetState", targets=sensor, slots=named)
    return command


# What a search for something to play is not: "play the tv again", "play the next episode".
_AGAIN = re.compile(
    r"^(?:(?:the |my )?(?:tv|telly|television|speaker|radio|music)|it|that|this)(?: again| back)$"
    r"|^(?:the |my )?(?:tv|telly|television|speaker|radio)$"
)
_NEXT = re.compile(r"^(?:the )?next (?:episode|song|track|one|chapter|video|tune)$")
_PREVIOUS = re.compile(r"^(?:the )?(?:previous|last) (?:episode|song|track|one|chapter|video|tune)"
                       r"(?: again)?$")  # fmt: skip


_POLITE_END = re.compile(
    r"(?:\s+(?:please|pls|thanks|thank you|now|for me|for us|would you|will you|cheers|ta))+$",
    re.IGNORECASE,
)


def what_to_play(command: Command) -> Command:
    """A search that names no music: the player again (unpause), the next or the previous
    track."""
    if command.intent != "HassMediaSearchAndPlay":
        return command
    said = str(command.slots.get("search_query", "")).strip()
    if (polite := _POLITE_END.search(said)) and polite.start() > 0:
        said = said[: polite.start()]  # "play ed sheeran please": ed sheeran
        command = replace(command, slots={**command.slots, "search_query": said})
    query = said.lower()
    slots = {k: v for k, v in command.slots.items() if k not in ("search_query", "media_class")}
    for words, intent in ((_AGAIN, "HassMediaUnpause"), (_NEXT, "HassMediaNext"),
                          (_PREVIOUS, "HassMediaPrevious")):  # fmt: skip
        if words.match(query):
            return replace(command, intent=intent, slots=slots)
    return command


_SOUND_BACK = re.compile(r"\bsound (?:back )?on\b|\bvolume back on\b|\bun-?mute\b|\boff mute\b")
_MUTE = re.compile(r"\b(?:mute|on mute|silence)\b")
_IS_MUTED = re.compile(
    r"\b(?:is|are|was|were|been|it's|tv's|telly's|you're|i'm|we're|they're|he's|she's) "
    r"(?:on )?mute"
)  # said of how it is, or of someone on a call
_MEDIA_READINGS = frozenset({
    "HassMediaPause", "HassMediaUnpause", "HassMediaNext", "HassMediaPrevious", "HassSetVolume",
    "HassSetVolumeRelative", "HassTurnOn",
})  # fmt: skip


def _sound_back(command: Command) -> Command:
    """ "Bring the sound back on the music": unmute, "mute the telly during the adverts":
    mute, whatever other player reading (the model knows neither intent)."""
    if command.intent in _MEDIA_READINGS and _SOUND_BACK.search(command.text.lower()):
        slots = {k: v for k, v in command.slots.items() if k in ("name", "area", "domain")}
        return replace(command, intent="HassMediaPlayerUnmute", slots=slots)
    if (
        command.intent in _MEDIA_READINGS
        and _MUTE.search(command.text.lower())
        and not _IS_MUTED.search(command.text.lower())
    ):
        slots = {k: v for k, v in command.slots.items() if k in ("name", "area", "domain")}
        return replace(command, intent="HassMediaPlayerMute", slots=slots)  # "put it on mute"
    return command


# The state a question asks about, by the words after its thing: "is the coffee machine still
# on", "are the bedroom blinds up".
_STATE_WORD = re.compile(
    r"\b(on|off|open|opened|closed|shut|locked|unlocked|up|down)(?: (?:yet|still|now|again|right "
    r"now|or (?:what|not)|upstairs|downstairs|in here|(?:in|at) the [a-z ]+))?$"
)
_STATE_OF = {"opened": "open", "shut": "closed"}


_IS_IT = re.compile(r"^(?:is|are) (?:the|my|our|that|this|it|they)\b")


def _asked_if(command: Command) -> Command:
    """ "Is the lamp in the study on" read as turning it on: the question it is, with the
    state said (``_state_said``); a yes-or-no question never switches anything."""
    text = command.text.lower()
    if (
        command.intent in ("HassTurnOn", "HassTurnOff")
        and _IS_IT.match(text)
        and _STATE_WORD.search(text)
    ):
        return replace(command, intent="HassGetState")
    return command


_POWER_OFF = re.compile(r"\b(?:power (?:down|off)|shut down|switch off|turn off)\b")
# The level intent and slot of each kind of device ("set the fan to 40": its speed).
LEVEL_OF = {
    "light": ("HassLightSet", "brightness"), "climate": ("HassClimateSetTemperature", "temperature"),
    "cover": ("HassSetPosition", "position"), "media_player": ("HassSetVolume", "volume_level"),
    "fan": ("HassFanSetSpeed", "percentage"),
}  # fmt: skip
_LEVEL_SLOT = {intent: slot for intent, slot in LEVEL_OF.values()}
# Words that open a cover, and words that close one.
OPENS = re.compile(r"\b(?:up|open|raise|lift|back|apart)\b")
CLOSES = re.compile(r"\b(?:down|close|shut|lower|draw|together)\b")


_TIMER_ASKED = re.compile(r"\btimers?\b")
_MOTION = re.compile(r"\b(?:movement|motion|moving|moved|movin)\b")


def _place_as_state(command: Command, home: Home) -> Command:
    """ "Is anyone in the kitchen" read with the kitchen as a person's state: the place."""
    state = str(command.slots.get("state", "")).lower()
    if command.intent != "HassGetState" or command.slots.get("domain") != "person" or not state:
        return command
    area = next((a for a in home.areas if state in {n.lower() for n in a.spoken_names()}), None)
    if area is None:
        return command
    slots = {k: v for k, v in command.slots.items() if k != "state"}
    return replace(command, slots={**slots, "area": area.name})


def _motion_asked(command: Command, home: Home) -> Command:
    """ "Is there any movement in the hall" read as a question about people: the motion
    sensor of that place, when it has one."""
    if command.intent != "HassGetState" or not _MOTION.search(command.text.lower()):
        return command
    area = command.slots.get("area")
    placed = {home.device(t).area for t in command.targets}
    place = next((a.id for a in home.areas if a.name == area), None) or (
        next(iter(placed)) if len(placed) == 1 else None
    )
    sensors = tuple(d.id for d in home.devices if d.area == place and d.domain == "binary_sensor"
                    and d.device_class in ("motion", "occupancy", "presence"))  # fmt: skip
    if not sensors:
        return command
    return replace(command, targets=sensors, slots={"name": home.device(sensors[0]).name})


def _powered_off(command: Command) -> Command:
    """ "Power down the television" read as its volume: off, when no level is said."""
    said = command.intent in ("HassSetVolume", "HassSetVolumeRelative") and not any(
        k in command.slots for k in ("volume_level", "volume_change")
    )
    if said and _POWER_OFF.search(command.text.lower()):
        slots = {k: v for k, v in command.slots.items() if k in ("name", "area", "domain")}
        return replace(command, intent="HassTurnOff", slots=slots)
    return command


def _level_of_its_kind(command: Command, home: Home) -> Command:
    """A level read with another kind's intent ("set it to 20" read as the thermostat's
    brightness): the level of what it acts on; a blind's position with none said ("pull the
    blinds down"): open or close as the words say."""
    domains = {home.device(t).domain for t in command.targets}
    if command.intent not in _LEVEL_SLOT or len(domains) != 1:
        return command
    (domain,) = domains
    slot = _LEVEL_SLOT[command.intent]
    if domain in LEVEL_OF and LEVEL_OF[domain][0] != command.intent:
        intent, wanted = LEVEL_OF[domain]
        parse = values.parse_temperature if domain == "climate" else values.parse_percent
        level = parse(command.text)  # read again as this kind's level: "half" is 50 percent
        if slot in command.slots and level is not None:
            slots = {k: v for k, v in command.slots.items() if k != slot}
            return replace(command, intent=intent, slots={**slots, wanted: level})
    if (
        domain == "cover"
        and command.intent == "HassSetPosition"
        and not any(k in command.slots for k in ("position", "position_change"))
    ):
        text = command.text.lower()
        opened, closed = bool(OPENS.search(text)), bool(CLOSES.search(text))
        if opened != closed:
            slots = {k: v for k, v in command.slots.items() if k in ("name", "area", "domain",
                                                                     "device_class")}  # fmt: skip
            return replace(command, intent="HassTurnOn" if opened else "HassTurnOff", slots=slots)
    return command


def _coloured(command: Command, home: Home) -> Command:
    """ "Put the star lamp on green" read as switching it on: the colour said, on lights that
    take one."""
    if command.intent != "HassTurnOn" or not command.targets:
        return command
    colour = values.parse_color(command.text)
    devices = [home.device(t) for t in command.targets]
    if colour is None or any(d.domain != "light" for d in devices):
        return command
    return replace(command, intent="HassLightSet", slots={**command.slots, "color": colour})


def _state_said(command: Command, home: Home) -> Command:
    if command.intent != "HassGetState" or "state" in command.slots or not command.targets:
        return command
    said = _STATE_WORD.search(command.text.lower())
    if said is None:
        return command
    state = _STATE_OF.get(said.group(1), said.group(1))
    domains = {home.device(t).domain for t in command.targets}
    if state in ("up", "down"):
        if domains != {"cover"}:
            return command
        state = "open" if state == "up" else "closed"
    if not all(d in _STATE_DOMAINS.get(state, ()) for d in domains):
        return command
    return replace(command, slots={**command.slots, "state": state})


def kind_asked(command: Command, home: Home) -> Command:
    """A state question read of a whole room while the words name one kind of thing in it
    ("is the fan on in the bedroom"): only the things of that kind."""
    if command.intent != "HassGetState" or "name" in command.slots or len(command.targets) < 2:
        return command
    said = kinds_said(command.text)
    if len(said) != 1:
        return command
    kept = tuple(t for t in command.targets if home.device(t).domain in said)
    if not kept or len(kept) == len(command.targets):
        return command
    return replace(command, targets=kept, slots={**command.slots, "domain": next(iter(said))})


_ITEM_ON_LIST = re.compile(r"^(?P<item>.+?) (?:on|from|off|in) (?:my|the|our) (?P<name>.+?) list$")


def list_said(command: Command) -> Command:
    """ "Tick off call the plumber on my to do list" read with the list in the item (a
    template's wildcard takes all it can): the item, and the list named."""
    if command.intent not in ("HassListCompleteItem", "HassListAddItem") or "name" in command.slots:
        return command
    said = _ITEM_ON_LIST.match(str(command.slots.get("item", "")))
    if said is None:
        return command
    return replace(command, slots={**command.slots, **said.groupdict()})


def every_timer(command: Command) -> Command:
    """ "Cancel every timer" is all of them, never a timer called "every" (Home Assistant's
    template reads it so)."""
    text = command.text.lower()
    name = str(command.slots.get("name", "")).lower()
    if command.intent == "HassCancelTimer" and (
        _ALL_TIMERS.search(text) or name in ("every", "all", "each")
    ):
        return replace(command, intent="HassCancelAllTimers", slots={})
    return command


def _timer_said(command: Command, text: str) -> Command:
    """A timer's name, the time it was started for, or "every timer", as the words say them
    where the model's reading has none ("cancel every timer" is all of them, never a timer
    called "every")."""
    command = every_timer(command)
    slots = dict(command.slots)
    intent = command.intent
    if "name" not in slots and (named := _TIMER_NAME.search(text)):
        word = named.group(1)
        if word not in _NO_NAME and values.parse_number(word) is None:
            slots["name"] = word
    if intent != "HassStartTimer" and (started := _STARTED_FOR.search(text)):
        said = started.group(1).split()
        amount = values.parse_number(" ".join(said)) or values.parse_number(said[-1])
        if amount is not None and "start_minutes" not in slots and "start_hours" not in slots:
            slots[f"start_{started.group(2)}s"] = amount
    return replace(command, slots=slots)


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
    if command.intent == "HassGetState" and not command.targets and _TIMER_ASKED.search(text):
        command = replace(command, intent="HassTimerStatus", slots={})  # "any timers running"
    command = _motion_asked(_place_as_state(command, home), home)
    if command.intent in _TIMERS:
        command = _timer_said(command, text)
    command = temperature_asked(command, home)
    command = what_to_play(command)
    command = _sound_back(command)
    command = _state_said(_asked_if(command), home)
    command = kind_asked(_coloured(command, home), home)
    command = _level_of_its_kind(_powered_off(command), home)
    domains = {home.device(t).domain for t in command.targets}
    if command.intent == "HassSetPosition" and domains == {"fan"}:
        slots = dict(command.slots)
        if "position" in slots:
            slots["percentage"] = slots.pop("position")
        command = replace(command, intent="HassFanSetSpeed", slots=slots)
    return command
