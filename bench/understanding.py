"""Benchmark understanding: this project against Home Assistant's matcher, on the same homes.

Two systems read the same sentences with the same home and the same context area:

* ``ours``: ``Understander`` with the ``cpu`` device config (ONNX Runtime, INT8, 1 thread):
  text encoder + fusion model + resolver, ``understand(text, Context(...))``.
* ``hassil``: Home Assistant's sentence matcher as its conversation agent calls it,
  ``hassil.recognize_best(..., best_slot_name="name")`` (``--hassil-first-match``: plain
  ``recognize``), with the English ``home-assistant-intents`` restricted to our intents
  (``INTENTS``); other intents cannot win. Slot lists come from the home the way Home
  Assistant's agent builds them: ``name`` = every device's name and aliases (context: the
  device's ``domain`` and ``device_class``) and the people's names (context ``domain:
  person``), ``area`` and ``floor`` = names and aliases; every spoken form maps to the
  canonical name. ``intent_context`` carries the context area (the speaker's area when the
  camera sees them, else the satellite's).

Two sets:

* ``in-grammar``: ``export.nlu.dataset.build().eval_ingrammar``, Home Assistant's own
  templates filled with held-out synthetic homes (each sample on its own home), sampled
  with a fixed seed (``--ingrammar N``).
* ``paraphrase``: ``tests/data/paraphrases.jsonl``, hand-written, on ``examples/home.yaml``;
  a line without ``context`` has ``{"satellite_area": "living_room"}``.
* ``chatter``: ``tests/data/dev_non_commands.jsonl``, 420 things a home's microphone hears
  that are no command (conversation, television, questions to people, fragments, cut-off and
  withdrawn requests, recognizer junk), written by hand for development; every one should
  be refused. Its first run (before negatives were trained): 12 acted on (2.9%).

Per set and system: intent accuracy (null == null counts), slot exact match (intent equal
and slots equal; numbers compared as numbers, strings case-insensitively; or, resolved
through our resolver in the same home, the same intent, devices and values: "the Old Door in
the back yard" read as name and area does what the label's name alone does) and latency p50 /
p95 of one call per sentence (the ``understand`` call; the hassil call), both in this
one process on one thread, calls interleaved. Slot lists, per-home ``Understander`` objects
and a few warm-up calls are made before timing.

hassil's result is mapped into our conventions (docs/understanding.md) before scoring:
slots from ``result.entities`` (our slot names only; a state word as our labels spell it);
an area that the template requires from context is the context area, and then
``HassLightSet`` and media intents get their ``domain`` as our labels do; a matched device
``name`` drops ``domain`` and ``area``; a person keeps ``domain: person`` and drops the zone
(``state``), a zone that is an area ("is anyone in the kitchen") becomes ``area``; timers
drop hassil's timer ``name``. No match is intent null.

stdout: the first paraphrase failures of ours, the table, and as the last line
``RESULT {json}`` (ours unless prefixed ``hassil_``; ``p50_ms`` = ours on the paraphrases).

Run it after exporting the cpu bundles (``python -m export --config cpu``)::

    python bench/understanding.py [--models-dir DIR] [--ingrammar N] [--paraphrases PATH]
                                  [--json-out PATH] [--hassil-first-match]
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common
import numpy as np
from common import progress, quiet_libraries

from edge_assistant.config.device import models_dir_from_env
from edge_assistant.home.model import Device, Home, load_home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.intents import INTENTS, SLOTS, meaning

REPO = Path(__file__).resolve().parents[1]
DEVICE_CONFIG = "cpu"
EXAMPLE_HOME = REPO / "examples" / "home.yaml"
PARAPHRASES = REPO / "tests" / "data" / "paraphrases.jsonl"
DEFAULT_CONTEXT: dict[str, Any] = {"satellite_area": "living_room"}
PARAPHRASE_HOME = -1  # home key of examples/home.yaml (synthetic homes use their index)
SEED = 0
WARMUP = 10
FAILURES_SHOWN = 15
EXPORT_HINT = "python -m export --config cpu"
SETS = ("paraphrase", "in-grammar", "chatter")
CHATTER = REPO / "tests" / "data" / "dev_non_commands.jsonl"
SYSTEMS = ("ours", "hassil")
MEDIA_INTENTS = {"HassMediaPause", "HassMediaUnpause", "HassMediaNext", "HassSetVolume"}
TIMER_INTENTS = {"HassStartTimer", "HassCancelTimer"}


@dataclass(frozen=True)
class Example:
    """One labeled sentence, the home it is said in and the context it is said with."""

    text: str
    intent: str | None
    slots: dict[str, Any]
    context: Context
    home: int


@dataclass(frozen=True)
class Answer:
    """One system's reading of one sentence, in our conventions."""

    intent: str | None
    slots: dict[str, Any]
    ms: float
    decision: str = "act"  # act, ask (a yes/no question first) or refuse
    confidence: float = 1.0
    # Whether it does what the label asks in that home (the same intent, devices and values),
    # when the system resolves to devices: slots spelled another way ("the Old Door in the
    # back yard": name and area, where the label has the name) are not a wrong action.
    same_action: bool = False


# Readings that change no device: acting wrongly on one is a wrong answer, not a wrong action.
ANSWERS = {"HassGetState", "HassClimateGetTemperature", "HassGetWeather", "HassGetCurrentTime",
           "HassGetCurrentDate", "HassTimerStatus", "HassRespond", "HassNevermind"}  # fmt: skip


@dataclass
class Score:
    """Per (set, system): what was right, what it would have done, how long each call took."""

    intent_ok: list[bool] = field(default_factory=list)
    slots_ok: list[bool] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    credit: list[float] = field(default_factory=list)  # 1 right act or refusal, 0.5 right ask
    wrong_action: list[bool] = field(default_factory=list)
    non_command_acted: list[bool] = field(default_factory=list)
    calibration: list[tuple[float, bool]] = field(default_factory=list)  # acts and asks

    def add(self, example: Example, answer: Answer) -> tuple[bool, bool]:
        intent_ok = answer.intent == example.intent
        slots_ok = intent_ok and (
            answer.same_action
            or same_slots(
                meaning(answer.intent, answer.slots), meaning(example.intent, example.slots)
            )
        )
        self.intent_ok.append(intent_ok)
        self.slots_ok.append(slots_ok)
        self.ms.append(answer.ms)
        did = answer.decision if answer.intent is not None else "refuse"
        self.decisions.append(did)
        command = example.intent is not None
        if not command:
            self.credit.append(float(did == "refuse"))
        else:
            self.credit.append({"act": 1.0, "ask": 0.5}.get(did, 0.0) * slots_ok)
        acted = did == "act" and answer.intent not in ANSWERS
        self.wrong_action.append(acted and not slots_ok)
        if not command:
            self.non_command_acted.append(acted)
        if did in ("act", "ask"):
            self.calibration.append((answer.confidence, slots_ok))
        return intent_ok, slots_ok

    def rate(self, name: str) -> float:
        values = getattr(self, name)
        return float(np.mean(values)) if values else 0.0

    def share(self, decision: str) -> float:
        return float(np.mean([d == decision for d in self.decisions])) if self.n else 0.0

    @property
    def ece(self) -> float:
        """Expected calibration error of the readings acted on or asked about: 10 equal
        bins of confidence, |accuracy - mean confidence| weighted by the bin's share."""
        if not self.calibration:
            return 0.0
        confidence = np.array([c for c, _ in self.calibration])
        right = np.array([r for _, r in self.calibration], dtype=float)
        bins = np.minimum((confidence * 10).astype(int), 9)
        return float(sum(
            abs(right[bins == b].mean() - confidence[bins == b].mean()) * (bins == b).mean()
            for b in range(10) if (bins == b).any()
        ))  # fmt: skip

    @property
    def n(self) -> int:
        return len(self.intent_ok)

    @property
    def intent_acc(self) -> float:
        return float(np.mean(self.intent_ok)) if self.n else 0.0

    @property
    def slots_acc(self) -> float:
        return float(np.mean(self.slots_ok)) if self.n else 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.ms, q)) if self.ms else 0.0


System = Callable[[Example], Answer]


# -- comparing slots -----------------------------------------------------------------------


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().casefold()
        try:
            return float(text)
        except ValueError:
            return text
    return value


def same_slots(got: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Equal dicts, numbers compared as numbers and strings case-insensitively."""
    if set(got) != set(expected):
        return False
    return all(_comparable(got[k]) == _comparable(expected[k]) for k in expected)


# -- data ----------------------------------------------------------------------------------


def context_area_name(home: Home, context: Context) -> str | None:
    area = context.command_area()
    return home.area(area).name if area else None


def check_ids(home: Home, context: Context) -> None:
    """Context ids must exist in the home (the file is hand-written)."""
    areas = {a.id for a in home.areas}
    for key in ("satellite_area", "speaker_area"):
        value = getattr(context, key)
        if value is not None and value not in areas:
            raise ValueError(f"context.{key}: unknown area id {value!r}")
    target = context.pointing_target
    if target is not None and target not in {d.id for d in home.devices}:
        raise ValueError(f"context.pointing_target: unknown device id {target!r}")


def load_paraphrases(path: Path, home: Home) -> list[Example]:
    if not path.is_file():
        sys.exit(f"error: no paraphrase set at {path}")
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            context = Context(**{**DEFAULT_CONTEXT, **item.get("context", {})})
            check_ids(home, context)
            examples.append(
                Example(
                    item["text"],
                    item.get("intent"),
                    dict(item.get("slots") or {}),
                    context,
                    PARAPHRASE_HOME,
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            sys.exit(f"error: {path}:{number}: {exc}")
    if not examples:
        sys.exit(f"error: {path} has no examples")
    return examples


def load_chatter(path: Path) -> list[Example]:
    """Non-commands, said in the living room of ``examples/home.yaml``."""
    context = Context(**DEFAULT_CONTEXT)
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Example(json.loads(x)["text"], None, {}, context, PARAPHRASE_HOME) for x in lines if x]


def load_ingrammar(count: int) -> tuple[list[Example], dict[int, Home]]:
    """``count`` in-grammar samples drawn with a fixed seed, and the homes they use."""
    from export.nlu.dataset import build

    random.seed(SEED)  # spoken numbers draw from the global generator: same text every run
    dataset = build()
    samples = dataset.eval_ingrammar
    chosen = random.Random(SEED).sample(samples, min(count, len(samples)))
    examples = [
        Example(s.text, s.intent, dict(s.slots), Context(**s.context), s.home) for s in chosen
    ]
    homes = {e.home: dataset.homes[e.home] for e in examples}
    return examples, homes


# -- ours ----------------------------------------------------------------------------------


def check_bundles(models_dir: Path) -> None:
    from edge_assistant.config.device import load_device_config
    from edge_assistant.inference.loader import bundle_dir

    roles = load_device_config(DEVICE_CONFIG).config.roles
    missing = [
        bundle_dir(models_dir, role, getattr(roles, role))
        for role in ("text_encoder", "understanding")
    ]
    common.require_bundles(missing, EXPORT_HINT, models_dir)


def ours(models_dir: Path, homes: dict[int, Home]) -> System:
    """One encoder and fusion runner (loaded once), one ``Understander`` per home."""
    from edge_assistant.config.device import load_device_config
    from edge_assistant.errors import EdgeAssistantError
    from edge_assistant.understanding.understand import Understander

    try:
        base = Understander.from_config(
            load_device_config(DEVICE_CONFIG), homes[PARAPHRASE_HOME], models_dir
        )
    except EdgeAssistantError as exc:
        sys.exit(f"error: {exc}\nRe-export the bundles: `{EXPORT_HINT} --out {models_dir}`")
    understanders = {PARAPHRASE_HOME: base}
    for key, home in homes.items():
        understanders.setdefault(key, Understander(base.encoder, base.fusion, home))

    def answer(example: Example) -> Answer:
        understander = understanders[example.home]
        start = time.perf_counter()
        command = understander.understand(example.text, example.context)
        ms = (time.perf_counter() - start) * 1000
        return Answer(command.intent, dict(command.slots), ms, command.decision or "act",
                      command.confidence, same_action(understander.resolver, command, example))  # fmt: skip

    answer.resolvers = {key: u.resolver for key, u in understanders.items()}  # type: ignore[attr-defined]
    return answer


def same_action(resolver: Any, command: Any, example: Example) -> bool:
    """Whether ``command`` acts as the label would, resolved in the same home: the same
    intent, the same devices (at least one, for an intent that acts on devices) and the same
    values."""
    from edge_assistant.understanding.intents import DEVICE_INTENTS, VALUE_SLOTS

    if example.intent is None or command.intent != example.intent:
        return False
    try:
        expected = resolver.from_slots(example.text, example.intent, example.slots)
    except Exception:  # a label the resolver cannot resolve: compare slots only
        return False
    if set(command.targets) != set(expected.targets):
        return False
    if command.intent in DEVICE_INTENTS and not command.targets:
        return False
    keys = {k for k in VALUE_SLOTS if k in command.slots or k in expected.slots}
    return all(command.slots.get(k) == expected.slots.get(k) for k in keys)


# -- hassil --------------------------------------------------------------------------------


def hassil_intents() -> Any:
    """English home-assistant-intents, only the intents this project knows."""
    from hassil import Intents
    from home_assistant_intents import get_intents

    data = get_intents("en")
    if data is None:
        sys.exit("error: home-assistant-intents has no English data")
    ours_only = {k: v for k, v in data["intents"].items() if k in INTENTS}
    return Intents.from_dict({**data, "intents": ours_only})


def _device_context(device: Device) -> dict[str, Any]:
    """What Home Assistant puts in a name's context: the domain and the device class."""
    context: dict[str, Any] = {"domain": device.domain}
    if device.device_class:
        context["device_class"] = device.device_class
    return context


def hassil_slot_lists(home: Home) -> dict[str, Any]:
    """name / area / floor lists: every spoken form -> the canonical name."""
    from hassil.intents import TextSlotList

    names = [(s, d.name, _device_context(d)) for d in home.devices for s in d.spoken_names()]
    names += [(p.name, p.name, {"domain": "person"}) for p in home.people]
    areas = [(s, a.name) for a in home.areas for s in a.spoken_names()]
    floors = [(s, f.name) for f in home.floors for s in f.spoken_names()]
    lists = {
        "name": TextSlotList.from_tuples(names, allow_template=False, name="name"),
        "area": TextSlotList.from_tuples(areas, allow_template=False, name="area"),
        "floor": TextSlotList.from_tuples(floors, allow_template=False, name="floor"),
    }
    for slot_list in lists.values():
        slot_list.get_candidates("")  # build the lookup index now, not in a timed call
    return lists


def _state_word(entity: Any) -> str:
    """A state as our labels spell it: from the words said ("shut" -> closed, "open" ->
    open), where Home Assistant's binary-sensor lists say on / off."""
    from export.nlu.fill import STATE_WORDS

    return STATE_WORDS.get(entity.text_clean.lower(), str(entity.value))


def _area_named(home: Home, text: str) -> str | None:
    wanted = text.strip().casefold()
    for area in home.areas:
        if wanted in (n.casefold() for n in area.spoken_names()):
            return area.name
    return None


def hassil_answer(result: Any, home: Home, context_area: str | None) -> tuple[str | None, dict]:
    """hassil's result in our conventions (see the module docstring)."""
    if result is None:
        return None, {}
    intent: str = result.intent.name
    entities = result.entities
    slots = {k: e.value for k, e in entities.items() if k in SLOTS}
    if "state" in entities:
        slots["state"] = _state_word(entities["state"])
    requires = result.intent_data.requires_context or {}
    said_area = "area" in entities and entities["area"].text_span is not None
    if "area" in requires and not said_area and context_area:
        slots["area"] = context_area
        if "name" not in slots and intent == "HassLightSet":
            slots.setdefault("domain", "light")
        if "name" not in slots and intent in MEDIA_INTENTS:
            slots.setdefault("domain", "media_player")
    if intent in TIMER_INTENTS:
        slots.pop("name", None)  # a timer's own name, not a device
    person = slots.get("domain") == "person" or (
        "name" in slots and result.context.get("domain") == "person"
    )
    if person:
        zone = slots.pop("state", None)
        slots["domain"] = "person"
        if "name" in slots:
            slots.pop("area", None)
        elif isinstance(zone, str) and (area := _area_named(home, zone)):
            slots["area"] = area
    elif "name" in slots:
        slots.pop("domain", None)
        slots.pop("area", None)
    return intent, slots


def hassil(
    homes: dict[int, Home], first_match: bool = False, resolvers: dict[int, Any] | None = None
) -> System:
    """``recognize_best(..., best_slot_name="name")`` as Home Assistant's agent calls it (a
    reading with a device name wins), or with ``first_match`` plain ``recognize``."""
    from hassil import recognize
    from hassil.recognize import recognize_best

    intents = hassil_intents()
    lists = {key: hassil_slot_lists(home) for key, home in homes.items()}

    def answer(example: Example) -> Answer:
        home = homes[example.home]
        area = context_area_name(home, example.context)
        intent_context = {"area": area} if area else {}
        start = time.perf_counter()
        if first_match:
            result = recognize(
                example.text, intents, slot_lists=lists[example.home], intent_context=intent_context
            )
        else:
            result = recognize_best(
                example.text,
                intents,
                slot_lists=lists[example.home],
                intent_context=intent_context,
                best_slot_name="name",
            )
        ms = (time.perf_counter() - start) * 1000
        intent, slots = hassil_answer(result, home, area)
        same = False
        if intent is not None and resolvers is not None:
            try:
                command = resolvers[example.home].from_slots(example.text, intent, slots)
            except Exception:  # a reading our resolver cannot place: compare slots only
                command = None
            same = command is not None and same_action(resolvers[example.home], command, example)
        return Answer(intent, slots, ms, same_action=same)

    return answer


# -- running -------------------------------------------------------------------------------


def warm_up(systems: dict[str, System], examples: list[Example]) -> None:
    for example in examples[:WARMUP]:
        for system in systems.values():
            system(example)


def evaluate(
    name: str, examples: list[Example], systems: dict[str, System], records: list[dict]
) -> dict[str, Score]:
    """Every example through every system, alternating which system goes first."""
    scores = {s: Score() for s in systems}
    for i, example in enumerate(examples):
        order = list(systems) if i % 2 == 0 else list(reversed(systems))
        record: dict[str, Any] = {
            "set": name,
            "text": example.text,
            "context": example.context.model_dump(exclude_defaults=True),
            "expected": {"intent": example.intent, "slots": example.slots},
        }
        for system_name in order:
            answer = systems[system_name](example)
            intent_ok, slots_ok = scores[system_name].add(example, answer)
            record[system_name] = {
                "intent": answer.intent,
                "slots": answer.slots,
                "ms": round(answer.ms, 3),
                "intent_ok": intent_ok,
                "slots_ok": slots_ok,
                "decision": answer.decision,
                "confidence": round(answer.confidence, 4),
            }
        records.append(record)
    return scores


def failures(records: list[dict], system: str, limit: int) -> list[str]:
    def show(intent: str | None, slots: dict[str, Any]) -> str:
        return f"{intent} {json.dumps(slots, ensure_ascii=False)}"

    wrong = [r for r in records if not r[system]["slots_ok"]]
    lines = [f"Paraphrase failures of {system} (first {min(limit, len(wrong))} of {len(wrong)}):"]
    for r in wrong[:limit]:
        lines.append(f"  {r['text']!r}")
        lines.append(f"      expected {show(r['expected']['intent'], r['expected']['slots'])}")
        lines.append(f"      got      {show(r[system]['intent'], r[system]['slots'])}")
    return lines


def render(scores: dict[str, dict[str, Score]]) -> str:
    header = ("set", "system", "intent acc", "slot exact", "correct", "wrong act", "asked",
              "refused", "non-cmd acted", "ECE", "p50 ms", "p95 ms", "n")  # fmt: skip
    rows = [header]
    for set_name in SETS:
        for system in SYSTEMS:
            s = scores[set_name][system]
            rows.append(
                (
                    set_name,
                    system,
                    f"{s.intent_acc:.3f}",
                    f"{s.slots_acc:.3f}",
                    f"{s.rate('credit'):.3f}",
                    f"{s.rate('wrong_action'):.3f}",
                    f"{s.share('ask'):.3f}",
                    f"{s.share('refuse'):.3f}",
                    f"{s.rate('non_command_acted'):.3f}",
                    f"{s.ece:.3f}",
                    f"{s.percentile(50):.2f}",
                    f"{s.percentile(95):.2f}",
                    str(s.n),
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for i, row in enumerate(rows):
        left = [v.ljust(w) for v, w in zip(row[:2], widths[:2], strict=True)]
        right = [v.rjust(w) for v, w in zip(row[2:], widths[2:], strict=True)]
        lines.append("  ".join(left + right))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def result_line(scores: dict[str, dict[str, Score]], extra: dict[str, float]) -> str:
    para, ingrammar = scores["paraphrase"], scores["in-grammar"]
    result = {
        **extra,
        "paraphrase_intent_acc": round(para["ours"].intent_acc, 4),
        "paraphrase_slots_acc": round(para["ours"].slots_acc, 4),
        "ingrammar_intent_acc": round(ingrammar["ours"].intent_acc, 4),
        "hassil_paraphrase_intent_acc": round(para["hassil"].intent_acc, 4),
        **{
            f"{prefix}{key}_{metric}": round(value, 4)
            for key, set_name in (
                ("paraphrase", "paraphrase"),
                ("ingrammar", "in-grammar"),
                ("chatter", "chatter"),
            )
            for system, prefix in (("ours", ""), ("hassil", "hassil_"))
            for metric, value in (
                ("correct", scores[set_name][system].rate("credit")),
                ("wrong_action_rate", scores[set_name][system].rate("wrong_action")),
                ("clarify_rate", scores[set_name][system].share("ask")),
                ("refusal_rate", scores[set_name][system].share("refuse")),
                ("non_command_acceptance", scores[set_name][system].rate("non_command_acted")),
                ("ece", scores[set_name][system].ece),
            )
        },
        "p50_ms": round(para["ours"].percentile(50), 3),
    }
    return "RESULT " + json.dumps(result)


# -- conformance: Home Assistant's own English intent tests -------------------------------


def conformance(models_dir: Path) -> tuple[list[str], dict[str, float]]:
    """Every sentence of Home Assistant's English intent tests through ours (both layers)
    and through Home Assistant's matcher: a table per intent and the RESULT keys."""
    from conformance import Reading, context_for, hassil_reader, load_suite, run_suite

    from edge_assistant.config.device import load_device_config
    from edge_assistant.understanding.understand import Understander

    try:
        suite = load_suite()
    except FileNotFoundError as exc:
        return [f"conformance: skipped ({exc})"], {}
    progress(f"conformance: {len(suite.cases)} sentences of Home Assistant's tests")
    config = load_device_config(DEVICE_CONFIG)
    understanders: dict[str, Understander] = {}
    ms: list[float] = []

    def read(case: Any, home: Home) -> Reading:
        understander = understanders.get(case.home)
        if understander is None:
            understander = Understander.from_config(config, home, models_dir)
            understander.understand("turn on the light", context_for(case, home))  # warm
            understanders[case.home] = understander
        start = time.perf_counter()
        command = understander.understand(case.text, context_for(case, home))
        ms.append((time.perf_counter() - start) * 1000)
        return Reading(command.intent, dict(command.slots), command.layer)

    ours_rows = run_suite(suite, read)
    hassil_rows = run_suite(suite, hassil_reader(suite))
    intents = sorted({r.case.intent for r in ours_rows})
    header = ("intent", "n", "intent", "slots", "wrong", "tmpl", "model", "ha intent", "ha slots")
    table = [header]
    for intent in [*intents, "all"]:
        mine = [r for r in ours_rows if intent in ("all", r.case.intent)]
        theirs = [r for r in hassil_rows if intent in ("all", r.case.intent)]
        table.append((
            intent, str(len(mine)), _rate(r.intent_ok for r in mine),
            _rate(r.slots_ok for r in mine), str(sum(r.wrong_action for r in mine)),
            str(sum(r.reading.layer == "templates" for r in mine)),
            str(sum(r.reading.layer == "model" for r in mine)),
            _rate(r.intent_ok for r in theirs), _rate(r.slots_ok for r in theirs),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "Conformance: Home Assistant's English intent tests ("
        f"{len(suite.cases)} sentences; ours = templates then model, tmpl/model = rows each "
        "layer read; ha = Home Assistant's matcher; wrong = acting with a wrong intent or slot)"
    ]
    for i, row in enumerate(table):
        lines.append("  ".join(
            [row[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
        ))  # fmt: skip
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    n = len(ours_rows)
    layered = np.array(ms)
    lines.append(
        f"layered step: p50 {np.percentile(layered, 50):.2f} ms, p95 "
        f"{np.percentile(layered, 95):.2f} ms per sentence (one thread)"
    )
    return lines, {
        "conformance_intent_acc": round(sum(r.intent_ok for r in ours_rows) / n, 4),
        "conformance_slots_acc": round(sum(r.slots_ok for r in ours_rows) / n, 4),
        "conformance_wrong_action_rate": round(sum(r.wrong_action for r in ours_rows) / n, 4),
        "hassil_conformance_intent_acc": round(sum(r.intent_ok for r in hassil_rows) / n, 4),
        "conformance_p50_ms": round(float(np.percentile(layered, 50)), 3),
        "conformance_p95_ms": round(float(np.percentile(layered, 95)), 3),
    }


def _rate(values: Any) -> str:
    values = list(values)
    return f"{sum(values) / len(values):.3f}" if values else "-"


def versions() -> str:
    from importlib.metadata import version

    return (
        f"hassil {version('hassil')}, home-assistant-intents "
        f"{version('home-assistant-intents')} (en, our {len(INTENTS)} intents)"
    )


def run(
    models_dir: Path,
    ingrammar: int,
    paraphrases: Path,
    json_out: Path | None,
    first_match: bool = False,
    with_conformance: bool = True,
) -> None:
    started = time.perf_counter()
    quiet_libraries()
    check_bundles(models_dir)
    example_home = load_home(EXAMPLE_HOME)
    para_examples = load_paraphrases(paraphrases, example_home)
    progress(f"building the in-grammar set ({ingrammar} samples)")
    in_examples, homes = load_ingrammar(ingrammar)
    homes[PARAPHRASE_HOME] = example_home
    progress(f"loading ours ({DEVICE_CONFIG}.yaml) and hassil for {len(homes)} homes")
    ours_system = ours(models_dir, homes)
    systems: dict[str, System] = {
        "ours": ours_system,
        "hassil": hassil(homes, first_match, ours_system.resolvers),  # type: ignore[attr-defined]
    }
    warm_up(systems, para_examples + in_examples)

    records: list[dict] = []
    scores: dict[str, dict[str, Score]] = {}
    chatter = load_chatter(CHATTER)
    for set_name, examples in (
        ("paraphrase", para_examples), ("in-grammar", in_examples), ("chatter", chatter)
    ):  # fmt: skip
        progress(f"{set_name}: {len(examples)} sentences")
        scores[set_name] = evaluate(set_name, examples, systems, records)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")

    para_records = [r for r in records if r["set"] == "paraphrase"]
    print("\n".join(failures(para_records, "ours", FAILURES_SHOWN)))
    print()
    print(
        f"ours: {DEVICE_CONFIG}.yaml (ONNX Runtime INT8, 1 thread), models: {models_dir}; "
        f"hassil: {versions()}, {'recognize' if first_match else 'recognize_best'}; "
        "latency = one call per sentence"
    )
    print(render(scores))
    print()
    section, extra = conformance(models_dir) if with_conformance else ([], {})
    print("\n".join(section))
    print(f"total {time.perf_counter() - started:.1f} s")
    sys.stdout.flush()
    print(result_line(scores, extra), flush=True)


def main() -> None:
    parser = common.argument_parser(__doc__)
    parser.add_argument(
        "--ingrammar", type=int, default=600, help="In-grammar samples (default 600)."
    )
    parser.add_argument(
        "--paraphrases", type=Path, default=PARAPHRASES, help=f"Default: {PARAPHRASES}."
    )
    parser.add_argument(
        "--json-out", type=Path, default=None, help="Write every example's results here."
    )
    parser.add_argument(
        "--hassil-first-match",
        action="store_true",
        help="Plain hassil.recognize (first match) instead of recognize_best(best_slot_name='name') as Home Assistant calls it.",
    )
    parser.add_argument(
        "--no-conformance",
        action="store_true",
        help="Skip Home Assistant's intent tests (read from $EDGE_ASSISTANT_HA_TESTS, "
        "default ../shared/data/ha-intents-tests-en).",
    )
    args = parser.parse_args()
    if args.ingrammar < 1:
        parser.error("--ingrammar must be at least 1")
    run(
        models_dir_from_env(args.models_dir),
        args.ingrammar,
        args.paraphrases,
        args.json_out,
        args.hassil_first_match,
        not args.no_conformance,
    )


if __name__ == "__main__":
    main()
