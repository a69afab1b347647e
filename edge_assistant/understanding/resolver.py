"""Turn the model's prediction into a Command on this home: canonical names, parsed values,
the devices acted on, and whether the command needs verification.

Every gap is explicit: an unknown device, nothing pointed at, a missing value or a low
confidence gives a "not understood" Command with the reason, never a guessed action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edge_assistant.home.model import Device, Home
from edge_assistant.understanding import values
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.intents import BRIGHT_LEVEL, DIM_LEVEL, Command
from edge_assistant.understanding.labels import NOT_UNDERSTOOD
from edge_assistant.understanding.matcher import Embed, Matcher

MIN_INTENT_CONFIDENCE = 0.5
MIN_MATCH = 0.6
CONTEXT_AREA_BONUS = 0.05
STATES = {"on": "on", "off": "off", "open": "open", "closed": "closed", "shut": "closed",
          "locked": "locked", "unlocked": "unlocked"}  # fmt: skip
CLASSES = {"blind": "blind", "shade": "shade", "curtain": "curtain", "drape": "curtain",
           "shutter": "shutter", "garage": "garage", "door": "door", "window": "window",
           "gate": "gate", "awning": "awning"}  # fmt: skip
PERCENT_SLOT = {"HassSetPosition": "position", "HassSetVolume": "volume_level"}


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    kind: str
    target: str
    spans: list[tuple[str, str]]  # (NAME|AREA|FLOOR|VALUE|STATE|CLASS, text)


class NotUnderstood(Exception):
    pass


class Resolver:
    def __init__(
        self, home: Home, embed: Embed | None = None, people: tuple[str, ...] = ()
    ) -> None:
        self.home = home
        self.devices = Matcher([(d, d.spoken_names()) for d in home.devices], embed)
        self.areas = Matcher([(a, a.spoken_names()) for a in home.areas])
        self.floors = Matcher([(f, f.spoken_names()) for f in home.floors])
        names = [p.name for p in home.people] + list(people)
        self.people = Matcher([(n, [n]) for n in names])

    def resolve(self, text: str, p: Prediction, context: Context) -> Command:
        try:
            return self._resolve(text, p, context)
        except NotUnderstood as reason:
            return Command(text=text, intent=None, confidence=p.confidence, reason=str(reason))

    def _resolve(self, text: str, p: Prediction, context: Context) -> Command:
        if p.intent == NOT_UNDERSTOOD:
            raise NotUnderstood("no intent matched")
        if p.confidence < MIN_INTENT_CONFIDENCE:
            raise NotUnderstood(f"not sure what was meant ({p.intent} at {p.confidence:.2f})")
        spans = dict(reversed(p.spans))  # first span of each kind wins
        slots: dict[str, Any] = {}
        targets = self._targets(p, spans, context, slots)
        slots.update(self._values(text, p, spans))
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
        self, p: Prediction, spans: dict[str, str], context: Context, slots: dict[str, Any]
    ) -> list[Device]:
        if p.kind == "person":
            return self._person(spans, context, slots)
        source = p.target
        if source == "pointing" or (
            source == "name" and "NAME" not in spans and context.pointing_target
        ):
            if not context.pointing_target:
                raise NotUnderstood("'that' needs something pointed at, and nothing is")
            device = self.home.device(context.pointing_target)
            slots["name"] = device.name
            return [device]
        if "NAME" in spans:
            device = self._device(spans["NAME"], p.kind, context)
            slots["name"] = device.name
            return [device]
        if source == "only":
            devices = [d for d in self.home.devices if d.domain == p.kind]
            if len(devices) != 1:
                raise NotUnderstood(f"which {p.kind}? this home has {len(devices)}")
            slots["name"] = devices[0].name
            return devices
        areas = self._areas(spans, context, slots, source)
        if p.kind != "none":
            slots["domain"] = p.kind
        if "CLASS" in spans:
            slots["device_class"] = _device_class(spans["CLASS"])
        if not areas:
            return [d for d in self.home.devices if _fits(d, slots)] if p.kind != "none" else []
        return [d for d in self.home.devices if d.area in areas and _fits(d, slots)]

    def _device(self, phrase: str, kind: str, context: Context) -> Device:
        here = context.command_area()
        match = self.devices.best(
            phrase,
            bonus=lambda d: (
                (CONTEXT_AREA_BONUS if d.area == here else 0.0)
                + (0.05 if d.domain == kind else 0.0)
            ),
        )
        if match is None or match.score < MIN_MATCH:
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
        self, spans: dict[str, str], context: Context, slots: dict[str, Any]
    ) -> list[Device]:
        slots["domain"] = "person"
        if "NAME" in spans:
            slots["name"] = _best(self.people, spans["NAME"], "person")
        else:
            self._areas(spans, context, slots, "context")
        return []

    # -- values ------------------------------------------------------------------------

    def _values(self, text: str, p: Prediction, spans: dict[str, str]) -> dict[str, Any]:
        value = spans.get("VALUE", "")
        out: dict[str, Any] = {}
        if "STATE" in spans:
            out["state"] = STATES.get(spans["STATE"].lower().split()[-1], spans["STATE"].lower())
        if p.intent == "HassLightSet":
            color = values.parse_color(value or text)
            level = values.parse_percent(value) if value else None
            if color:
                out["color"] = color
            elif level is not None:
                out["brightness"] = level
            elif _dims(text):
                out["brightness"] = _dims(text)
            else:
                raise NotUnderstood("no brightness or color understood")
        elif p.intent in PERCENT_SLOT:
            level = values.parse_percent(value or text)
            if level is None:
                raise NotUnderstood("no level understood")
            out[PERCENT_SLOT[p.intent]] = level
        elif p.intent == "HassClimateSetTemperature":
            temperature = values.parse_temperature(value or text)
            if temperature is None:
                raise NotUnderstood("no temperature understood")
            out["temperature"] = temperature
        elif p.intent == "HassStartTimer":
            duration = values.parse_duration(text)
            if not duration:
                raise NotUnderstood("no duration understood")
            out.update(duration)
        return out


def _dims(text: str) -> int | None:
    lowered = text.lower()
    if (
        any(w in lowered for w in ("bright", "full", "max", "all the way up"))
        and "too bright" not in lowered
    ):
        return BRIGHT_LEVEL
    if any(w in lowered for w in ("dim", "too bright", "less", "down", "lower", "blinding")):
        return DIM_LEVEL
    return None


def _device_class(phrase: str) -> str:
    word = phrase.lower().split()[-1].rstrip("s")
    return CLASSES.get(word, word)


def _fits(device: Device, slots: dict[str, Any]) -> bool:
    if "domain" in slots and device.domain != slots["domain"]:
        return False
    return "device_class" not in slots or device.device_class == slots["device_class"]


def _best(matcher: Matcher[Any], phrase: str, what: str) -> Any:
    match = matcher.best(phrase)
    if match is None or match.score < MIN_MATCH:
        raise NotUnderstood(f"no {what} called '{phrase}' in this home")
    return match.item
