"""Fill an expanded template with one home's names and values, tracking slot spans.

The result is a labeled ``Sample``: text, intent, canonical slots (as the resolver must
produce them), character spans per slot kind, the target's source and the context.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from hassil import parse_sentence

from edge_assistant.home.model import Device, Home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.intents import SLOTS
from edge_assistant.understanding.phrasings import Piece, Template, expand, ha_data, list_value
from edge_assistant.understanding.resolver import MEDIA as MEDIA_INTENTS
from edge_assistant.understanding.resolver import NO_TARGET
from export.nlu.spoken import say_number

SPAN_OF_SLOT = {"name": "NAME", "area": "AREA", "floor": "FLOOR", "state": "STATE",
                "device_class": "CLASS"}  # fmt: skip
NUMERIC_SLOTS = {"brightness", "position", "volume_level", "temperature", "hours", "minutes",
                 "seconds"}  # fmt: skip
PEOPLE = ["Alice", "Bob", "Mia", "Noah", "Grandma", "Dad", "Mum", "Sam", "Leo", "Emma"]
STATE_WORDS = {"on": "on", "off": "off", "open": "open", "closed": "closed", "shut": "closed",
               "locked": "locked", "securely locked": "locked", "unlocked": "unlocked",
               "opening": "opening", "closing": "closing", "shutting": "closing"}  # fmt: skip


class Unfillable(Exception):
    """This template cannot be filled from this home (e.g. it has no media player)."""


@dataclass
class Sample:
    text: str
    intent: str | None
    slots: dict[str, Any]
    spans: list[tuple[int, int, str]]  # (start, end, NAME|AREA|FLOOR|VALUE|STATE|CLASS)
    target: str  # name | area | context | pointing | only | none
    context: dict[str, Any]
    template: str
    home: int = -1
    extra: dict[str, Any] = field(default_factory=dict)


def fill(template: Template, home: Home, home_index: int, rng: random.Random) -> Sample:
    pieces = expand(template.sentence.expression, rng)
    slots: dict[str, Any] = {k: v for k, v in template.fixed.items() if k != "name"}
    chosen: dict[str, Any] = {}
    text, spans = "", []
    for piece in pieces:
        if piece.list_name is None:
            # "{minutes}-minute": speech recognizers write "5 minute", and a hyphen would glue
            # the value to its unit inside one word.
            text += " " + piece.text[1:] if piece.text.startswith("-") and spans else piece.text
            continue
        spoken, slot_values, span = _fill_list(piece, template, home, chosen, rng)
        if text and not text.endswith(" "):
            text += " "
        start = len(text)
        text += spoken
        if span and all(k in SLOTS for k in slot_values):
            spans.append((start, len(text), span))
        slots.update({k: v for k, v in slot_values.items() if k in SLOTS})
    target = _target(template, slots)
    context = _context(home, target, _pointable(template, home), rng)
    _resolve_target(template, target, slots, context, home, chosen)
    text, spans = _normalise(text, spans)
    kind = slots.get("domain") or chosen.get("kind") or "none"
    return Sample(
        text,
        template.intent,
        slots,
        spans,
        target,
        context,
        template.key,
        home_index,
        {"kind": kind},
    )


def _fill_list(
    piece: Piece, template: Template, home: Home, chosen: dict[str, Any], rng: random.Random
) -> tuple[str, dict[str, Any], str | None]:
    name, slot = piece.list_name, piece.slot or piece.list_name
    if (name == "name" and template.fixed.get("domain") == "person") or name == "person":
        person = rng.choice(PEOPLE)
        return person.lower() if rng.random() < 0.5 else person, {"name": person}, "NAME"
    if name == "name":
        device = _pick_device(template, home, rng)
        chosen["device"] = device
        chosen["kind"] = device.domain
        spoken = rng.choice(device.spoken_names())
        return spoken.lower() if rng.random() < 0.6 else spoken, {"name": device.name}, "NAME"
    if name == "area":
        area = rng.choice(_areas_for(template, home))
        chosen["area"] = area.id
        return rng.choice(area.spoken_names()).lower(), {"area": area.name}, "AREA"
    if name == "floor":
        floor = rng.choice(home.floors)
        return rng.choice(floor.spoken_names()).lower(), {"floor": floor.name}, "FLOOR"
    lists = ha_data()["lists"]
    if name in lists and "range" in lists[name]:
        return _fill_range(lists[name]["range"], slot, rng)
    if name in lists and "values" in lists[name]:
        value = list_value(rng.choice(lists[name]["values"]))
        spoken = "".join(p.text for p in expand(parse_sentence(value["in"]).expression, rng))
        return _value_slot(slot, spoken.strip(), value["out"])
    raise Unfillable(f"list {name!r}")


def _fill_range(
    spec: dict[str, Any], slot: str, rng: random.Random
) -> tuple[str, dict[str, Any], str]:
    low, high = int(spec.get("from", 0)), int(spec.get("to", 100))
    if slot in {"hours"}:
        high = min(high, 5)
    value: int | float = rng.choice(
        [rng.randint(low, high), rng.randrange(low, high + 1, 5) if high - low >= 5 else low]
    )
    if spec.get("fractions") == "halves" and rng.random() < 0.15:
        value = value + 0.5
    return say_number(value, rng), {slot: value}, "VALUE"


def _value_slot(slot: str, spoken: str, out: Any) -> tuple[str, dict[str, Any], str | None]:
    if slot == "state":
        return spoken, {"state": STATE_WORDS.get(spoken, str(out))}, "STATE"
    if slot == "device_class":
        return spoken, {"device_class": out}, "CLASS"
    if slot in {"brightness", "color"}:
        return spoken, {slot: out}, "VALUE"
    return spoken, {slot: out}, "VALUE"


def _pick_device(template: Template, home: Home, rng: random.Random) -> Device:
    domains = template.requires.get("domain") or template.fixed.get("domain")
    allowed = {domains} if isinstance(domains, str) else set(domains or [])
    devices = [d for d in home.devices if not allowed or d.domain in allowed]
    if template.intent == "HassLightSet":
        devices = [d for d in devices if d.domain == "light"]
    if template.intent in MEDIA_INTENTS:
        devices = [d for d in devices if d.domain == "media_player"]
    if not devices:
        raise Unfillable("no device of the required domain")
    return rng.choice(devices)


def _areas_for(template: Template, home: Home):
    domain = template.fixed.get("domain")
    if domain and domain != "person":
        with_domain = {d.area for d in home.devices if d.domain == domain}
        areas = [a for a in home.areas if a.id in with_domain]
        if areas:
            return areas
    return list(home.areas)


def _target(template: Template, slots: dict[str, Any]) -> str:
    if template.target:
        return template.target
    if "name" in slots:
        return "name"
    if "area" in slots or "floor" in slots:
        return "area"
    if template.requires.get("area", {}).get("slot"):
        return "context"
    return "none"


def _pointable(template: Template, home: Home) -> list[Device]:
    """Devices a pointing gesture could sensibly mean for this template."""
    if template.intent == "HassLightSet":
        wanted = {"light"}
    elif template.intent in MEDIA_INTENTS:
        wanted = {"media_player"}
    else:
        wanted = set()
    devices = [d for d in home.devices if not wanted or d.domain in wanted]
    if not devices:
        raise Unfillable("nothing of the right kind to point at")
    return devices


def _context(
    home: Home, target: str, pointable: list[Device], rng: random.Random
) -> dict[str, Any]:
    areas = [a.id for a in home.areas]
    ctx: dict[str, Any] = {"satellite_area": rng.choice(areas)}
    if rng.random() < 0.5:
        ctx["camera"] = True
        if rng.random() < 0.7:
            ctx["speaker_area"] = rng.choice(areas)
        if target == "pointing" or rng.random() < 0.15:
            ctx["pointing_target"] = rng.choice(pointable).id
            ctx["gesture"] = "pointing"
    elif target == "pointing":
        ctx.update(camera=True, pointing_target=rng.choice(pointable).id, gesture="pointing")
    return ctx


def _resolve_target(
    template: Template,
    target: str,
    slots: dict[str, Any],
    context: dict[str, Any],
    home: Home,
    chosen: dict[str, Any],
) -> None:
    if target == "context":
        area = Context(**context).command_area()
        if area:
            slots["area"] = home.area(area).name
        if "domain" not in slots and template.intent == "HassLightSet":
            slots["domain"] = "light"
        if "domain" not in slots and template.intent in MEDIA_INTENTS:
            slots["domain"] = "media_player"
    elif target == "pointing":
        device = home.device(context["pointing_target"])
        slots["name"] = device.name
        chosen["kind"] = device.domain
    elif target == "only":
        devices = [d for d in home.devices if d.domain == slots.get("domain")]
        if len(devices) != 1:
            raise Unfillable("needs exactly one device of the domain")
        slots.pop("domain", None)
        slots["name"] = devices[0].name
        chosen["kind"] = devices[0].domain
    if "name" in slots and slots.get("domain") != "person":
        slots.pop("domain", None)
        if target == "name":
            slots.pop("area", None)
            slots.pop("floor", None)  # rule 1: a named device is just its name
    if template.intent in NO_TARGET:
        for key in ("name", "area", "floor", "domain"):
            slots.pop(key, None)
    elif template.intent in MEDIA_INTENTS and "name" not in slots:
        slots["domain"] = "media_player"
    if target in {"area", "context"} and slots.get("domain") not in {None, "person"}:
        _require_devices(home, slots)


def _require_devices(home: Home, slots: dict[str, Any]) -> None:
    """A group command is only a sensible label where the home has such devices."""
    areas = {a.id for a in home.areas if a.name == slots.get("area")}
    if "floor" in slots:
        floors = {f.id for f in home.floors if f.name == slots["floor"]}
        areas |= {a.id for a in home.areas if a.floor in floors}
    found = [
        d for d in home.devices
        if d.domain == slots["domain"]
        and (not areas or d.area in areas)
        and ("device_class" not in slots or d.device_class == slots["device_class"])
    ]  # fmt: skip
    if not found:
        raise Unfillable("no such devices there")


def _normalise(
    text: str, spans: list[tuple[int, int, str]]
) -> tuple[str, list[tuple[int, int, str]]]:
    """Collapse runs of spaces (templates leave them) while moving span offsets along."""
    out, mapping = [], []
    for ch in text:
        if ch == " " and (not out or out[-1] == " "):
            mapping.append(len(out))
            continue
        mapping.append(len(out))
        out.append(ch)
    mapping.append(len(out))
    result = "".join(out)
    stripped = result.rstrip()
    new_spans = [(mapping[s], min(mapping[e], len(stripped)), k) for s, e, k in spans]
    return stripped, [(s, e, k) for s, e, k in new_spans if e > s]
