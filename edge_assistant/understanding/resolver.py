"""Turn the model's prediction into a Command on this home: canonical names, parsed values,
the devices acted on, and whether the command needs verification.

The model reads words; only the home knows its names. So, in this order: a pointing
gesture with "this"/"that" gives the target; a device's exact name or alias in the sentence
beats a generic reading ("bathroom light" is the Bathroom Light, not the bathroom's lights);
a tagged name is matched by spelling and meaning; a generic word ("the blinds") means the
kind in the place said or the context's area. In self-corrections ("the tv, no, the
speaker") the last mention wins. Every gap is explicit: an unknown device, nothing pointed
at, a missing value or a low confidence gives a "not understood" Command with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from edge_assistant.home.model import Device, Home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.gazetteer import Gazetteer
from edge_assistant.understanding.intents import (
    DEVICE_INTENTS,
    IMPLIED_DOMAIN,
    LIST_INTENTS,
    Command,
)
from edge_assistant.understanding.labels import NOT_UNDERSTOOD
from edge_assistant.understanding.matcher import Embed, Matcher, content_words
from edge_assistant.understanding.slot_values import (
    NotUnderstood,
    correction_tail,
    intent_for_target,
    slot_values,
)

MIN_INTENT_CONFIDENCE = 0.5
MIN_MATCH = 0.7
CONTEXT_AREA_BONUS = 0.05
CLASSES = {"blind": "blind", "shade": "shade", "curtain": "curtain", "drape": "curtain",
           "shutter": "shutter", "garage door": "garage", "door": "door", "window": "window",
           "gate": "gate", "awning": "awning"}  # fmt: skip
# Words that name a kind of device, not one device: "the blinds", "the lamp".
GENERIC = {"light", "lamp", "lighting", "bulb", "blind", "curtain", "shade", "shutter", "fan",
           "speaker", "tv", "music", "heating", "heat", "device", "thing", "stuff", "door",
           "lock", "window", "switch", "plug"}  # fmt: skip
MEDIA = {"HassMediaPause", "HassMediaUnpause", "HassMediaNext", "HassMediaPrevious",
         "HassSetVolume"}  # fmt: skip
# The kind an intent implies when the model named none ("carry on playing").
INTENT_KIND = {**dict.fromkeys(MEDIA, "media_player"), "HassLightSet": "light",
               "HassVacuumStart": "vacuum", "HassVacuumReturnToBase": "vacuum",
               "HassClimateSetTemperature": "climate"}  # fmt: skip
# Readings whose name, area or domain slots pick devices of the home (a question about a
# device, the weather's entity, the shopping list) though none is required to understand.
ASKING = {
    "HassGetState",
    "HassClimateGetTemperature",
    "HassGetWeather",
    "HassShoppingListAddItem",
}  # fmt: skip  (no shopping list: the sink says so)
# Intents where a bare "this"/"that" must be a pointed-at device ("skip this" is a song).
DEICTIC_INTENTS = {"HassTurnOn", "HassTurnOff", "HassLightSet", "HassSetPosition"}
ACTING = {"HassTurnOn", "HassTurnOff", "HassLightSet", "HassSetPosition", "HassMediaPause",
          "HassMediaUnpause", "HassMediaNext", "HassMediaPrevious", "HassSetVolume",
          "HassClimateSetTemperature", "HassVacuumStart", "HassVacuumReturnToBase"}  # fmt: skip
# Readings about no device: timers (the daemon's own), the clock, the weather (the home's
# weather entity, whichever), "never mind".
NO_TARGET = {"HassStartTimer", "HassCancelTimer", "HassNevermind", "HassCancelAllTimers",
             "HassPauseTimer", "HassUnpauseTimer", "HassTimerStatus", "HassIncreaseTimer",
             "HassDecreaseTimer", "HassGetCurrentTime", "HassGetCurrentDate",
             "HassGetWeather"}  # fmt: skip
# "this room", "this time of night" point at nothing: the room is the context's.
_DEICTIC = re.compile(
    r"\b(this|that)\b(?! (?:is|was|it|the|a|room|place|house|time|morning|afternoon|evening|"
    r"night|week|weekend|minute|moment|second|year)\b)"
)
# Words that ask for the whole home: without one, the model's "everywhere" reading of an
# action is a guess ("put the telly on" is not every light in the house).
_WHOLE_HOME = re.compile(
    r"\b(all|every|everything|everywhere|each|whole|entire|house|home|apartment|flat)\b"
)


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    kind: str
    target: str
    spans: list[tuple[str, str]]  # (NAME|AREA|FLOOR|VALUE|STATE|CLASS, text)


class Resolver:
    def __init__(
        self, home: Home, embed: Embed | None = None, people: tuple[str, ...] = ()
    ) -> None:
        self.home = home
        self.gazetteer = Gazetteer(home, people)
        self.devices = Matcher([(d, d.spoken_names()) for d in home.devices], embed)
        self.areas = Matcher([(a, a.spoken_names()) for a in home.areas])
        self.floors = Matcher([(f, f.spoken_names()) for f in home.floors])
        self.people = Matcher([(n, [n]) for n in [p.name for p in home.people] + list(people)])

    def resolve(self, text: str, p: Prediction, context: Context) -> Command:
        try:
            return self._resolve(text, p, context)
        except NotUnderstood as reason:
            return Command(text=text, intent=None, confidence=p.confidence, reason=str(reason))

    def from_slots(
        self, text: str, intent: str, slots: dict[str, Any], layer: str = "templates"
    ) -> Command:
        """A reading whose slots are already the home's names (the template layer's): the
        devices it acts on and whether they need verification. A device intent with no
        device to act on is not understood."""
        targets = (
            self._slot_targets(slots, IMPLIED_DOMAIN.get(intent))
            if intent in DEVICE_INTENTS | ASKING
            else []
        )
        own_list = intent in LIST_INTENTS and not self.home.has_lists()  # daemon/lists.py
        if intent in DEVICE_INTENTS and not targets and not own_list:
            kind = (
                slots.get("device_class") or slots.get("domain") or IMPLIED_DOMAIN.get(intent)
                or "device"
            )  # fmt: skip
            where = slots.get("area") or slots.get("floor") or "this home"
            return Command(
                text=text, intent=None, confidence=1.0, layer=layer,
                reason=f"{intent}: no {_said(kind)} in {_said(where)} to act on",
            )  # fmt: skip
        if intent == "HassMediaSearchAndPlay":  # one player plays it: a speaker before a TV
            targets = sorted(targets, key=lambda d: d.device_class != "speaker")[:1]
        return Command(
            text=text,
            intent=intent,
            slots=slots,
            confidence=1.0,
            targets=tuple(d.id for d in targets),
            needs_verification=any(self.home.is_sensitive(d) for d in targets),
            layer=layer,
        )

    def _slot_targets(self, slots: dict[str, Any], implied: str | None) -> list[Device]:
        """The devices named (canonical names), or every device of the domain and class in
        the area or floor; nothing when the slots pick no device, and nothing for a place
        without a kind ("previous track" in the living room is its media players, never
        everything in it)."""
        name = slots.get("name")
        if isinstance(name, str) and slots.get("domain") != "person":
            named = [d for d in self.home.devices if d.name == name]
            if named:
                return [d for d in named if _one_of(d.domain, implied)]
        if implied == "todo":  # "add milk to the shopping list": the list called so
            return [
                d
                for d in self.home.devices
                if d.domain == "todo"
                and any(
                    "shopping" in n.casefold() or "grocer" in n.casefold() for n in d.spoken_names()
                )
            ]
        wanted = {k: slots[k] for k in ("area", "floor", "domain", "device_class") if k in slots}
        if implied is not None:
            wanted["domain"] = implied
        if "domain" not in wanted:
            return []
        areas = None
        if "area" in wanted:
            areas = {a.id for a in self.home.areas if a.name == wanted["area"]}
        elif "floor" in wanted:
            floors = {f.id for f in self.home.floors if f.name == wanted["floor"]}
            areas = {a.id for a in self.home.areas if a.floor in floors}
        return [
            d
            for d in self.home.devices
            if (areas is None or d.area in areas)
            and _one_of(d.domain, wanted.get("domain"))
            and _one_of(d.device_class, wanted.get("device_class"))
        ]

    def _resolve(self, text: str, p: Prediction, context: Context) -> Command:
        if p.intent == NOT_UNDERSTOOD:
            raise NotUnderstood("no intent matched")
        if p.confidence < MIN_INTENT_CONFIDENCE:
            raise NotUnderstood(f"not sure what was meant ({p.intent} at {p.confidence:.2f})")
        tail = correction_tail(text)
        spans = _pick_spans(p.spans, tail)
        slots: dict[str, Any] = {}
        targets = (
            [] if p.intent in NO_TARGET else self._targets(text, tail, p, spans, context, slots)
        )
        if p.intent in ACTING and not targets:
            where = slots.get("area") or slots.get("floor") or "this home"
            raise NotUnderstood(f"no {slots.get('device_class') or p.kind} in {where}")
        p = intent_for_target(p, targets)
        slots.update(slot_values(text, tail, p.intent, spans))
        sensitive = any(self.home.is_sensitive(d) for d in targets)
        return Command(
            text=text,
            intent=p.intent,
            slots=slots,
            confidence=p.confidence,
            targets=tuple(d.id for d in targets),
            needs_verification=sensitive,
        )

    # -- targets -----------------------------------------------------------------------

    def _targets(
        self,
        text: str,
        tail: str,
        p: Prediction,
        spans: dict[str, str],
        context: Context,
        slots: dict[str, Any],
    ) -> list[Device]:
        name = spans.get("NAME", "")
        generic = bool(name) and set(content_words(name).split()) <= GENERIC
        exact = self._exact_devices(text, tail, p, name)
        if exact and self._plural_of_one(text, exact):
            exact = []  # "the bedroom lights": the lights of the bedroom, not its one "Light"
        if p.kind == "person" and not exact:
            return self._person(text, spans, context, slots)
        if self._points(text, p, context, exact, name, generic):
            if not context.pointing_target:
                raise NotUnderstood("'that' needs something pointed at, and nothing is")
            return [self._named(self.home.device(context.pointing_target), slots)]
        if exact:
            return [self._named(exact[-1], slots)]
        if "AREA" in spans and not _is(self.areas, spans["AREA"]):
            # "the lamp by the bed": a description the model split into a kind and a place
            phrase = " ".join(x for x in (name, spans["AREA"]) if x)
            return [self._named(self._device(phrase, p.kind, context, spans), slots)]
        area_words = self._area_in(name) if name and not generic else None
        if name and not generic and area_words is None:
            return [self._named(self._device(name, p.kind, context, spans), slots)]
        if area_words is not None:
            spans = {**spans, "AREA": area_words}
        if p.target == "only" and not generic:
            devices = [d for d in self.home.devices if d.domain == p.kind]
            if len(devices) != 1:
                raise NotUnderstood(f"which {p.kind}? this home has {len(devices)}")
            return [self._named(devices[0], slots)]
        group = self._group(text, p, spans, context, slots, generic)
        only = [d for d in self.home.devices if d.domain == p.kind]
        if not group and generic and len(only) == 1:
            slots.clear()  # "lock the door" in a home with one lock: that lock
            return [self._named(only[0], slots)]
        return group

    def _plural_of_one(self, text: str, exact: list[Device]) -> bool:
        """Whether every device named is named in the plural of a one-device name with a
        place in it ("the bedroom lights" said, "Bedroom Light" matched)."""
        plural = set()
        for a, b, device in self.gazetteer.matches(text, "device"):
            said, named = text[a:b].lower().split()[-1], device.name.lower().split()[-1]
            placed = bool(self.gazetteer.matches(text[a:b], "area"))
            if placed and said.endswith("s") and not named.endswith("s"):
                plural.add(device.id)
        return all(d.id in plural for d in exact)

    def _exact_devices(self, text: str, tail: str, p: Prediction, name: str) -> list[Device]:
        """Devices whose exact name or alias is said, of the predicted kind (or any kind
        when the model tagged that very phrase as a name); the corrected tail's first."""
        said = self.gazetteer.matches(text, "device")
        fitting = [d for _, _, d in said if p.kind in ("none", d.domain)]
        if not fitting and name:
            fitting = [d for a, b, d in said if text[a:b].lower() in name.lower()]
        in_tail = [d for _, _, d in self.gazetteer.matches(tail, "device") if d in fitting]
        return in_tail or fitting

    @staticmethod
    def _points(
        text: str, p: Prediction, context: Context, exact: list[Device], name: str, generic: bool
    ) -> bool:
        """Is the target the pointed-at device? Raises when "that" points at nothing."""
        if p.target == "pointing":
            return True
        deictic = bool(_DEICTIC.search(text)) and not exact and (not name or generic)
        if deictic and context.pointing_target:
            return True
        if deictic and p.intent in DEICTIC_INTENTS and p.target != "area":
            raise NotUnderstood("'this' or 'that' needs something pointed at, and nothing is")
        return False

    def _area_in(self, phrase: str) -> str | None:
        """'kitchen lights' said as one name is the kitchen's lights: an area's name plus
        words for a kind of device."""
        words = content_words(phrase).split()
        rest = " ".join(w for w in words if w not in GENERIC)
        if not rest or len(rest.split()) == len(words):
            return None
        found = self.gazetteer.matches(rest, "area")
        return rest if found and found[0][0] == 0 and found[-1][1] == len(rest) else None

    def _group(
        self,
        text: str,
        p: Prediction,
        spans: dict[str, str],
        context: Context,
        slots: dict[str, Any],
        generic: bool,
    ) -> list[Device]:
        """Every device of the kind in the place said, or in the context's area."""
        source = "context" if generic and p.target in ("name", "only") else p.target
        if p.intent in MEDIA and source == "none":
            source = "context"  # "carry on playing": the player where you are
        areas = self._areas(spans, context, slots, source)
        kind = p.kind if p.kind != "none" else INTENT_KIND.get(p.intent, "none")
        if p.kind != "none" or p.intent in MEDIA:
            slots["domain"] = kind
        device_class = _device_class(spans.get("CLASS") or (text if kind == "cover" else ""))
        if device_class:
            slots["device_class"] = device_class
        wanted = {**slots, "domain": kind} if kind != "none" else slots
        if not areas:
            everywhere = (
                [d for d in self.home.devices if _fits(d, wanted)] if kind != "none" else []
            )
            if p.intent in ACTING and len(everywhere) > 1 and not _WHOLE_HOME.search(text):
                # no place said: the ones where you are ("lower the lights by 20 percent"), as
                # Home Assistant reads a satellite's command; else which is not known
                here = context.command_area()
                in_here = [d for d in everywhere if d.area == here]
                if not in_here or here is None:
                    raise NotUnderstood(f"which {kind}? say where, or 'all' for the whole home")
                slots["area"] = self.home.area(here).name
                return in_here
            return everywhere  # "lock the door" in a home with one lock: that lock
        return [d for d in self.home.devices if d.area in areas and _fits(d, wanted)]

    @staticmethod
    def _named(device: Device, slots: dict[str, Any]) -> Device:
        slots["name"] = device.name
        return device

    def _device(self, phrase: str, kind: str, context: Context, spans: dict[str, str]) -> Device:
        here = context.command_area()
        match = self.devices.best(
            phrase,
            bonus=lambda d: (
                (CONTEXT_AREA_BONUS if d.area == here else 0.0)
                + (0.05 if d.domain == kind else 0.0)
            ),
        )
        if (
            match is None
            or match.score < MIN_MATCH
            or not _specific_words_match(phrase, match.spoken)
        ):
            raise NotUnderstood(f"no device called '{phrase}' in this home")
        return match.item

    def _areas(
        self, spans: dict[str, str], context: Context, slots: dict[str, Any], source: str
    ) -> set[str]:
        if "AREA" in spans:
            area = _best(self.areas, spans["AREA"], "area")
            slots["area"] = area.name
            return {area.id}
        if "FLOOR" in spans:
            floor = _best(self.floors, spans["FLOOR"], "floor")
            slots["floor"] = floor.name
            return {a.id for a in self.home.areas if a.floor == floor.id}
        if source != "context":
            return set()  # "are any lights on": the whole home, as Home Assistant reads it
        here = context.command_area()
        if here is None:  # "turn on the light" must not mean every light in the house
            raise NotUnderstood("which room? no satellite area is set and no camera sees you")
        slots["area"] = self.home.area(here).name
        return {here}

    def _person(
        self, text: str, spans: dict[str, str], context: Context, slots: dict[str, Any]
    ) -> list[Device]:
        slots["domain"] = "person"
        said = self.gazetteer.matches(text, "person")
        if said:
            slots["name"] = said[-1][2]
        elif "NAME" in spans and not _is(self.areas, spans["NAME"]):
            slots["name"] = _best(self.people, spans["NAME"], "person")
        elif "NAME" in spans:  # "is the garage open": a place, asked about as a person
            self._areas({"AREA": spans["NAME"]}, context, slots, "context")
        else:
            self._areas(spans, context, slots, "context")
        return []


def _one_of(value: str | None, wanted: Any) -> bool:
    """Home Assistant's slots hold one value or a list of them; no value wants anything."""
    if wanted is None:
        return True
    return value in wanted if isinstance(wanted, list) else value == wanted


def _said(value: Any) -> str:
    return " or ".join(map(str, value)) if isinstance(value, list) else str(value)


def _pick_spans(spans: list[tuple[str, str]], tail: str) -> dict[str, str]:
    """Per kind, the span inside the corrected tail if there is one, else the first; spans
    with no meaningful word ("the") are dropped."""
    picked: dict[str, str] = {}
    for kind, phrase in spans:
        if not content_words(phrase) and kind in {"NAME", "AREA", "FLOOR"}:
            continue
        if kind not in picked or (phrase in tail and picked[kind] not in tail):
            picked[kind] = phrase
    return picked


def _device_class(phrase: str) -> str | None:
    lowered = phrase.lower()
    for words, device_class in CLASSES.items():
        if re.search(rf"\b{words}s?\b", lowered):
            return device_class
    return None


def _specific_words_match(phrase: str, spoken: str) -> bool:
    """The words that make a name specific ("back" in "back door") must be in the match:
    the lamp by the bed may be the bed lamp, the back door is not the front door."""
    specific = [w for w in content_words(phrase).split() if w not in GENERIC]
    candidate = content_words(spoken).split()
    return (
        not specific
        or any(fuzz.ratio(w, c) >= 80 for w in specific for c in candidate)
        or len(specific) > 2
    )  # a long description ("the thing that makes coffee") is meaning


def _fits(device: Device, slots: dict[str, Any]) -> bool:
    if "domain" in slots and device.domain != slots["domain"]:
        return False
    return "device_class" not in slots or device.device_class == slots["device_class"]


def _is(matcher: Matcher[Any], phrase: str) -> bool:
    match = matcher.best(phrase)
    return match is not None and match.score >= MIN_MATCH


def _best(matcher: Matcher[Any], phrase: str, what: str) -> Any:
    match = matcher.best(phrase)
    if match is None or match.score < MIN_MATCH:
        raise NotUnderstood(f"no {what} called '{phrase}' in this home")
    return match.item
