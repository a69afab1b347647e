"""Readings by the home's own words: what a sentence names that the model or Home
Assistant's templates read as something else ("put the telly on" read as the room's lights,
"the lamp by the bed" as the lamp where you are, "the outside lights", "close the door" in
the garage, "water the garden"), each set right only where the words say so plainly."""

from __future__ import annotations

import re
from dataclasses import replace

from edge_assistant.home.model import Device, Home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.decide import IN_HERE, kinds_said
from edge_assistant.understanding.gazetteer import Gazetteer
from edge_assistant.understanding.intents import DEVICE_INTENTS, Command
from edge_assistant.understanding.reconcile import temperature_asked
from edge_assistant.understanding.resolver import Resolver

ON_OFF = frozenset({"HassTurnOn", "HassTurnOff"})
_NO_DOOR = re.compile(r"(HassTurnOn|HassTurnOff): no door in ")
_OUTSIDE = re.compile(r"\b(?:outside|outdoor|outdoors)\b", re.IGNORECASE)
_OUTDOOR_PLACE = re.compile(
    r"\b(?:garden|yard|backyard|patio|porch|terrace|deck|driveway|balcony|lawn)\b"
)
_HOW_WARM_IN = re.compile(r"\b(?:how (?:warm|hot|cold|chilly)|temperature|degrees)\b")
# A thing described by what it is next to: "the lamp by the bed".
_BESIDE = re.compile(r"\b(?:by|next to|near|beside) (?:the |my |our )?([a-z]+)\b")
_WATER = re.compile(
    r"(?:(?:please|can you|could you|just)\s+)*water (?:the |my |our )?(?:garden|lawn|grass|"
    r"plants|beds|flower beds|flowerbeds|veg patch|vegetables)(?P<rest>.*)"
)
_WATERS = re.compile(r"\b(?:sprinklers?|irrigation|watering|hose)\b")


def named_instead(command: Command, home: Home, gazetteer: Gazetteer) -> Command:
    """A model reading of switching on or off that missed the one device the words name
    ("put the telly on" read as the room's lights): that device, when no other kind of
    thing and no other place is said."""
    if command.intent not in ON_OFF or not command.targets or "name" in command.slots:
        return command
    devices = {d.id: d for _, _, d in gazetteer.matches(command.text, "device")}
    if len(devices) != 1:
        return command
    (device,) = devices.values()
    places = {a.id for _, _, a in gazetteer.matches(command.text, "area")}
    if (
        device.id in command.targets
        or not kinds_said(command.text) <= {device.domain}
        or (places - {device.area})
    ):
        return command
    slots = {k: v for k, v in command.slots.items() if k not in ("domain", "area", "floor")}
    return replace(
        command,
        targets=(device.id,),
        slots={**slots, "name": device.name},
        needs_verification=home.is_sensitive(device),
    )


def the_door(command: Command, context: Context, resolver: Resolver) -> Command | None:
    """ "Close the door" in the garage, read by Home Assistant as a door the room does not
    have: the room's one door that opens and closes (a cover: never a lock, whose "off"
    unlocks); None when it has not exactly one."""
    said = _NO_DOOR.match(command.reason or "")
    if said is None or said.group(1) not in ON_OFF:
        return None
    here = context.command_area()
    doors = [d for d in resolver.home.devices
             if d.area == here and d.domain == "cover"
             and any("door" in n.lower() for n in d.spoken_names())]  # fmt: skip
    if len(doors) != 1:
        return None
    return resolver.from_slots(command.text, said.group(1), {"name": doors[0].name}, "words")


def outdoors(command: Command, home: Home) -> Command:
    """ "The outside lights" read as the lights where you are: those of the home's outdoor
    places (a garden, a yard, a patio: by name, else a place on no floor)."""
    if "name" in command.slots or not command.targets or not _OUTSIDE.search(command.text):
        return command
    outdoor = [a for a in home.areas
               if any(_OUTDOOR_PLACE.search(n.lower()) for n in a.spoken_names())]  # fmt: skip
    outdoor = outdoor or [a for a in home.areas if a.floor is None]
    kinds = {home.device(t).domain for t in command.targets}
    places = {a.id for a in outdoor}
    there = tuple(d.id for d in home.devices if d.area in places and d.domain in kinds)
    if not there or set(there) == set(command.targets):
        return command
    slots = {k: v for k, v in command.slots.items() if k not in ("area", "floor")}
    return replace(command, targets=there, slots={**slots, "area": outdoor[0].name})


def warm_there(
    command: Command, home: Home, gazetteer: Gazetteer, context_area: str | None = None
) -> Command:
    """ "How cold is it in the lounge right now" read as the weather: how warm that room
    is (its climate device or temperature sensor), when one room is named."""
    if command.intent != "HassGetWeather" or not _HOW_WARM_IN.search(command.text.lower()):
        return command
    areas = {a.id: a for _, _, a in gazetteer.matches(command.text, "area")}
    if not areas and IN_HERE.search(command.text.lower()) and (here := context_area):
        areas = {here: home.area(here)}
    if len(areas) != 1:
        return command
    (area,) = areas.values()
    asked = replace(command, intent="HassGetState", slots={"area": area.name})
    read = temperature_asked(asked, home)
    return read if read.targets else command


def described(command: Command, home: Home) -> Command:
    """ "The lamp by the bed" read as the lamp where you are: the one thing of that kind
    whose names hold the word it is described by (the bed lamp), when the thing read has
    no such word."""
    said = _BESIDE.search(command.text.lower())
    if said is None or not command.targets or command.intent not in DEVICE_INTENTS:
        return command
    word, chosen = said.group(1), [home.device(t) for t in command.targets]

    def names(device: Device) -> set[str]:
        return {w for n in device.spoken_names() for w in n.lower().split()}

    domains = {d.domain for d in chosen}
    if len(domains) != 1 or any(word in names(d) for d in chosen):
        return command
    fits = [d for d in home.devices if d.domain in domains and word in names(d)]
    if len(fits) != 1:
        return command
    slots = {k: v for k, v in command.slots.items() if k not in ("area", "domain", "floor")}
    return replace(command, targets=(fits[0].id,), slots={**slots, "name": fits[0].name})


def in_area_said(command: Command, home: Home, gazetteer: Gazetteer) -> Command:
    """A model reading that names no place while the words name one room ("is the garage
    open"), or a question read of another room: only what is in that room, when something
    is."""
    placed = command.intent == "HassGetState" and "area" in command.slots
    if (
        not command.targets
        or any(k in command.slots for k in ("name", "floor"))
        or ("area" in command.slots and not placed)
    ):
        return command
    devices = gazetteer.matches(command.text, "device")
    areas = {
        a.id: a for s, e, a in gazetteer.matches(command.text, "area")
        if not any(ds <= s and e <= de for ds, de, _ in devices)
    }  # fmt: skip
    if len(areas) != 1:
        return command
    (area,) = areas.values()
    inside = tuple(t for t in command.targets if home.device(t).area == area.id)
    if placed and command.slots["area"] != area.name:
        # "is the garage open" read of the room you are in: the same kind of thing there
        kinds = {home.device(t).domain for t in command.targets}
        inside = tuple(d.id for d in home.devices if d.area == area.id and d.domain in kinds)
    if not inside:
        return command
    return replace(command, targets=inside, slots={**command.slots, "area": area.name})


def watering(cleaned: str, home: Home) -> str:
    """ "Water the garden (for twenty minutes)": switching on the home's one watering
    device (a sprinkler, irrigation), when it has exactly one."""
    said = _WATER.fullmatch(cleaned.lower())
    if said is None:
        return cleaned
    waters = [d for d in home.devices
              if any(_WATERS.search(n.lower()) for n in d.spoken_names())]  # fmt: skip
    if len(waters) != 1:
        return cleaned
    return f"turn on the {waters[0].name.lower()}{said.group('rest')}"
