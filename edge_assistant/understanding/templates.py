"""Layer 1 of understanding: Home Assistant's own template matcher, on this home's names.

hassil's ``recognize_best`` over the pinned ``home-assistant-intents`` templates, with the
slot lists Home Assistant's conversation agent builds (every device's name and aliases with
its domain and device class as context, areas, floors) and the satellite's area as
``intent_context``. So a sentence Home Assistant's templates match gets exactly Home
Assistant's reading; anything else goes on to the fusion model (understand.py).

The templates are compiled once per home: building the slot lists and the intents is the
slow part, one match is a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hassil import Intents, recognize_best
from hassil.intents import SlotList, TextSlotList

from edge_assistant.home.model import Home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.custom import extra_sentences, read_custom_sentences
from edge_assistant.understanding.phrasings import ha_data

# Slots whose values are names from the home; every other slot is a value (a number, a
# state, a colour) or words said (a timer's name, a list item, a search).
NAME_SLOTS = ("name", "area", "floor")


@dataclass(frozen=True)
class TemplateMatch:
    """What the templates read: Home Assistant's intent, its slots (names canonical,
    numbers int where whole) and the key of its spoken response."""

    intent: str
    slots: dict[str, Any]
    response: str | None


class TemplateLayer:
    def __init__(self, home: Home, data: dict[str, Any] | None = None) -> None:
        self.home = home
        base = with_custom(data if data is not None else ha_data(), extra_sentences().data)
        self.intents = Intents.from_dict(with_custom(base, read_custom_sentences(home).data))
        self.lists = slot_lists(home)
        self._area_names = {a.id: a.name for a in home.areas}
        self.match("turn on the light", Context())  # hassil builds its caches on first use

    def match(self, text: str, context: Context) -> TemplateMatch | None:
        """Home Assistant's best reading of ``text``, or None when no template matches."""
        area = context.command_area()
        intent_context = {"area": self._area_names[area]} if area in self._area_names else {}
        result = recognize_best(
            text,
            self.intents,
            slot_lists=self.lists,
            intent_context=intent_context,
            best_slot_name="name",
        )
        if result is None:
            return None
        slots = {name: _value(entity.value) for name, entity in result.entities.items()}
        if result.intent.name == "HassMediaSearchAndPlay" and _vague(slots.get("search_query")):
            return None  # "play again" is not a search for "again": the model reads it
        return TemplateMatch(result.intent.name, slots, result.response)


def with_custom(base: dict[str, Any], custom: dict[str, Any]) -> dict[str, Any]:
    """Home Assistant's data with the custom sentences merged over it, as Home Assistant
    merges them: more sentences for an intent, lists and rules replaced by name."""
    if not custom["intents"]:
        return base
    intents = {name: {**body, "data": list(body["data"])} for name, body in base["intents"].items()}
    for name, body in custom["intents"].items():
        intents.setdefault(name, {"data": []})["data"].extend(body["data"])
    return {
        **base,
        "intents": intents,
        "lists": {**base["lists"], **custom["lists"]},
        "expansion_rules": {**base["expansion_rules"], **custom["expansion_rules"]},
    }


def slot_lists(home: Home) -> dict[str, SlotList]:
    """The name, area and floor lists Home Assistant's conversation agent gives hassil: each
    spoken name (name and aliases) maps to the canonical name; a device's entry carries its
    domain and device class as context, which templates require ("open {name}" needs a
    cover); people are names of the ``person`` domain."""
    names: list[tuple[str, Any, dict[str, Any]]] = []
    for device in home.devices:
        context: dict[str, Any] = {"domain": device.domain}
        if device.device_class:
            context["device_class"] = device.device_class
        names += [(spoken, device.name, context) for spoken in device.spoken_names()]
    names += [(p.name, p.name, {"domain": "person"}) for p in home.people]
    return {
        "name": TextSlotList.from_tuples(names, name="name", allow_template=False),
        "area": TextSlotList.from_tuples(
            [(spoken, a.name) for a in home.areas for spoken in a.spoken_names()],
            name="area",
            allow_template=False,
        ),
        "floor": TextSlotList.from_tuples(
            [(spoken, f.name) for f in home.floors for spoken in f.spoken_names()],
            name="floor",
            allow_template=False,
        ),
    }


# Words that name no media: "play again", "play it", "play the next one" resume or skip.
_VAGUE = {"again", "it", "that", "this", "something", "some", "music", "the", "a", "next",
          "one", "more", "on", "please", "now", "song", "track", "previous", "last"}  # fmt: skip


def _vague(query: Any) -> bool:
    words = str(query or "").casefold().replace(",", " ").split()
    return all(w in _VAGUE for w in words)


def _value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value
