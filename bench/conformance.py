"""Home Assistant's English intent tests as a conformance suite: read, homes built, scored.

The suite (``../shared/data/ha-intents-tests-en/``, or ``$EDGE_ASSISTANT_HA_TESTS``) is read
at run time and never copied or trained on. Both of its file formats are read:

* ``<domain>_<Intent>.yaml``: sentences said in the home of ``_fixtures.yaml``, with the
  expected intent, slots and sometimes a context (the satellite's area);
* ``<Intent>/<combination>.yaml``: sentences said in the small home the file brings, with
  the satellite in an area of its own (Home Assistant's ``__context_area__``), whose name is
  not an expected slot.

Scoring follows Home Assistant's own test harness (tests/test_language_sentences.py of
home-assistant/intents): the intent must match, and the slots must be exactly the expected
ones, a list on either side meaning "one of". A **wrong action** is a reading that would act
(an intent that changes something) with the wrong intent or slots.

Home Assistant's matcher is scored on the same rows the way its CI calls it: hassil's
``recognize_best(..., best_slot_name="name")`` with the slot lists its test harness builds
from the fixtures, so a failure of it here is a failure of this harness or of the pinned
templates.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hassil import is_template, parse_sentence, sample_expression

from edge_assistant.home.model import Home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.intents import IMPLIED_DOMAIN

REPO = Path(__file__).resolve().parents[1]
SUITE = REPO.parent / "shared" / "data" / "ha-intents-tests-en"
CONTEXT_AREA = "Satellite Room"  # the satellite's own area in the one-combination files
CONTEXT_AREA_ID = "satellite_room"
FIXTURES = "_fixtures.yaml"
# Readings that change nothing: asking, telling the time, saying never mind.
NOT_ACTING = frozenset({
    "HassGetState", "HassGetCurrentDate", "HassGetCurrentTime", "HassGetWeather",
    "HassTimerStatus", "HassNevermind", "HassClimateGetTemperature", "HassRespond",
})  # fmt: skip


def suite_dir() -> Path:
    return Path(os.environ.get("EDGE_ASSISTANT_HA_TESTS", SUITE))


@dataclass(frozen=True)
class Case:
    """One test sentence: where it is said and what Home Assistant expects of it."""

    file: str  # "light_HassLightSet.yaml" or "HassTurnOn/name_only.yaml"
    text: str
    intent: str
    slots: dict[str, Any]
    area: str | None  # the satellite's area name (context), if any
    home: str  # key of the home it is said in (a file name)
    context_area: bool  # the one-combination format: the context area is not a slot


@dataclass(frozen=True)
class Reading:
    intent: str | None
    slots: dict[str, Any]
    layer: str | None = None


@dataclass(frozen=True)
class Suite:
    cases: list[Case]
    homes: dict[str, Home]  # home key -> our home
    raw: dict[str, dict[str, Any]]  # home key -> the suite's own home (for hassil's lists)


def load_suite(root: Path | None = None) -> Suite:
    """Every sentence of both formats, with its home. FileNotFoundError names the folder
    when the suite is not there."""
    root = root or suite_dir()
    fixtures_path = root / FIXTURES
    if not fixtures_path.is_file():
        raise FileNotFoundError(
            f"{fixtures_path}: Home Assistant's intent tests are not there; set "
            "EDGE_ASSISTANT_HA_TESTS to the folder that holds _fixtures.yaml"
        )
    fixtures = _yaml(fixtures_path)
    cases: list[Case] = []
    raw = {FIXTURES: fixtures}
    for path in sorted(root.glob("*_Hass*.yaml")):
        intent = path.stem.rsplit("_", 1)[1]
        for test in _yaml(path)["tests"]:
            expected = test["intent"]
            if expected["name"] != intent:
                raise ValueError(f"{path}: a test of {expected['name']} in a file of {intent}")
            area = (expected.get("context") or {}).get("area")
            for text in test["sentences"]:
                cases.append(Case(path.name, text, intent, dict(expected.get("slots") or {}),
                                  area, FIXTURES, False))  # fmt: skip
    for path in sorted(root.glob("Hass*/*.yaml")):
        key = f"{path.parent.name}/{path.name}"
        data = _yaml(path)
        raw[key] = data
        for test in data["tests"]:
            for text in test["sentences"]:
                cases.append(Case(key, text, path.parent.name, dict(test.get("slots") or {}),
                                  CONTEXT_AREA, key, True))  # fmt: skip
    homes = {key: suite_home(data, expected_devices(c for c in cases if c.home == key))
             for key, data in raw.items()}  # fmt: skip
    return Suite(cases, homes, raw)


def _yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def expected_devices(cases: Iterable[Case]) -> list[tuple[str, str | None, str | None]]:
    """(domain, device class, area name) of each group a test acts on by kind and place
    ("turn on the lights in the kitchen"): the home must have one for the command to act."""
    groups = []
    for case in cases:
        domain = case.slots.get("domain", IMPLIED_DOMAIN.get(case.intent))
        # "name: all" is how some templates say "every": not a device's name
        named = case.slots.get("name") not in (None, "all")
        if case.intent in NOT_ACTING or named or not isinstance(domain, str):
            continue
        device_class = case.slots.get("device_class")
        area = case.slots.get("area", case.area)
        groups.append((domain, device_class if isinstance(device_class, str) else None, area))
    return groups


def suite_home(data: dict[str, Any], groups: list[tuple[str, str | None, str | None]]) -> Home:
    """A suite's home as home.yaml would say it: floors, areas, entities as devices (their
    Home Assistant entity id kept), persons as people. The one-combination files bring only
    names, so a device of each kind a test acts on in a place is added where the home lacks
    one, and the satellite gets its own area."""
    floors = [_named(f, f.get("id") or _id(f["name"])) for f in data.get("floors", [])]
    areas = [
        {**_named(a, a.get("id") or _id(a["name"])), "floor": a.get("floor")}
        for a in data.get("areas", [])
    ]
    if not any(a["name"] == CONTEXT_AREA for a in areas):
        areas.append({"id": CONTEXT_AREA_ID, "name": CONTEXT_AREA, "aliases": []})
    area_ids = {a["name"].casefold(): a["id"] for a in areas} | {a["id"]: a["id"] for a in areas}
    devices, people = [], []
    for n, entity in enumerate(data.get("entities", [])):
        entity_id = entity.get("id") or f"{entity['domain']}.entity_{n}"
        domain = entity_id.split(".", 1)[0]
        if domain == "person":
            people.append({"id": _id(entity_id.split(".", 1)[1]), "name": entity["name"]})
            continue
        attributes = entity.get("attributes") or {}
        devices.append({
            **_named(entity, _id(entity_id)), "domain": domain, "entity_id": entity_id,
            "area": area_ids.get(str(entity.get("area", "")).casefold()),
            "device_class": attributes.get("device_class"),
            "capabilities": _capabilities(domain),
        })  # fmt: skip
    for n, (domain, device_class, area) in enumerate(groups):
        area_id = area_ids.get((area or CONTEXT_AREA).casefold())
        if any(d["domain"] == domain and d["area"] == area_id
               and (device_class is None or d["device_class"] == device_class)
               for d in devices):  # fmt: skip
            continue
        devices.append({
            "id": f"added_{n}", "name": f"Added {domain} {n}", "domain": domain,
            "entity_id": f"{domain}.added_{n}", "area": area_id, "device_class": device_class,
            "capabilities": _capabilities(domain),
        })  # fmt: skip
    return Home.model_validate({"floors": floors, "areas": areas, "devices": devices,
                                "people": people})  # fmt: skip


def _named(item: dict[str, Any], item_id: str) -> dict[str, Any]:
    names = _spoken(item["name"])
    return {"id": item_id, "name": names[0], "aliases": names[1:]}


def _spoken(name: str) -> list[str]:
    """A name as said: a template name ("[the] kitchen") is every way of saying it."""
    if is_template(name):
        return list(
            dict.fromkeys(s.strip() for s in sample_expression(parse_sentence(name).expression))
        )
    return [name.strip()]


def _id(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower())


def _capabilities(domain: str) -> list[str]:
    return {"light": ["brightness", "color"], "cover": ["position"], "valve": ["position"],
            "climate": ["temperature"], "media_player": ["volume"], "fan": ["position"],
            }.get(domain, [])  # fmt: skip


def context_for(case: Case, home: Home) -> Context:
    area = next((a.id for a in home.areas if case.area and a.name == case.area), None)
    return Context(satellite_area=area)


# -- scoring -------------------------------------------------------------------------------


def same_value(got: Any, expected: Any) -> bool:
    if isinstance(expected, list):
        return set(got).issubset(expected) if isinstance(got, list) else got in expected
    if isinstance(got, list):
        return expected in got
    return got == expected


def slots_match(case: Case, reading: Reading, home: Home) -> bool:
    """Home Assistant's rule: exactly the expected slots, each the expected value. A name
    is the device's, said by any of its names (Home Assistant's harness gives back the words
    said, ours the canonical name)."""
    got = dict(reading.slots)
    expected = dict(case.slots)
    if case.context_area and got.get("area") == CONTEXT_AREA and "area" not in expected:
        del got["area"]  # the satellite's own area, as Home Assistant's harness drops it
    if case.context_area and "name" in expected and "domain" not in expected:
        got.pop("domain", None)  # its harness checks a named device's domain, not a slot
    if isinstance(expected.get("name"), str):
        expected["name"] = canonical_name(home, expected["name"])
    if isinstance(got.get("name"), str):
        got["name"] = canonical_name(home, got["name"])
    if set(got) != set(expected):
        return False
    return all(same_value(got[k], expected[k]) for k in expected)


def canonical_name(home: Home, said: str) -> str:
    folded = said.casefold()
    for device in home.devices:
        if folded in {n.casefold() for n in device.spoken_names()}:
            return device.name
    return said


@dataclass(frozen=True)
class Scored:
    case: Case
    reading: Reading
    intent_ok: bool
    slots_ok: bool
    wrong_action: bool


def score(case: Case, reading: Reading, home: Home) -> Scored:
    intent_ok = reading.intent == case.intent
    slots_ok = intent_ok and slots_match(case, reading, home)
    acts = reading.intent is not None and reading.intent not in NOT_ACTING
    return Scored(case, reading, intent_ok, slots_ok, acts and not slots_ok)


def run_suite(suite: Suite, read: Callable[[Case, Home], Reading]) -> list[Scored]:
    return [
        score(case, read(case, suite.homes[case.home]), suite.homes[case.home])
        for case in suite.cases
    ]


# -- Home Assistant's matcher, as its own tests call it -------------------------------------


def hassil_reader(suite: Suite) -> Callable[[Case, Home], Reading]:
    """Home Assistant's matcher on the suite's own homes (its test harness's slot lists)."""
    from hassil import Intents, recognize_best
    from hassil.intents import TextSlotList
    from home_assistant_intents import get_intents

    intents = Intents.from_dict(get_intents("en"))
    lists = {}
    for key, data in suite.raw.items():
        names = []
        for entity in data.get("entities", []):
            domain = entity.get("id", "").split(".", 1)[0] or entity.get("domain")
            context = {"domain": domain, **(entity.get("attributes") or {})}
            names += [(n, n, context) for n in _spoken(entity["name"])]
        areas = [n for a in data.get("areas", []) for n in _spoken(a["name"])] + [CONTEXT_AREA]
        lists[key] = {
            "name": TextSlotList.from_tuples(names, allow_template=False),
            "area": TextSlotList.from_strings(areas, allow_template=False),
            "floor": TextSlotList.from_strings(
                [n for f in data.get("floors", []) for n in _spoken(f["name"])],
                allow_template=False,
            ),
        }

    def read(case: Case, home: Home) -> Reading:
        context = {"area": case.area} if case.area else {}
        result = recognize_best(case.text, intents, slot_lists=lists[case.home],
                                intent_context=context, best_slot_name="name")  # fmt: skip
        if result is None:
            return Reading(None, {})
        slots = {name: _number(e.value) for name, e in result.entities.items()}
        return Reading(result.intent.name, slots, "hassil")

    return read


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value
