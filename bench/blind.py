"""Score understanding on the blind set (tests/data/blind/: written before any run, never
edited): what the assistant would do with each sentence against what a person expects.

Each sentence is read by two systems on ``examples/home.yaml`` with the line's context:

* ``ours``: ``Understander`` (``cpu`` config: templates, then the fusion model);
* ``templates``: the template layer alone (Home Assistant's matcher, hassil
  ``recognize_best``, on the home's names) through the same resolver.

A reading becomes one of four outcomes, as the daemon would turn it: **act** (understood,
and its actions map, or it is a question or a timer the daemon answers itself, or a relative
change the daemon works out from the state its sink knows); **confirm** (a sensitive target:
the policy asks a verified resident "are you sure?" before anything, and refuses an
unverified speaker); **ask** (the assistant's own yes/no question before acting on a guess,
``Command.decision == "ask"``); **refuse** (not understood, or refused with a reason: "which
light?" says why). A question naming exactly the expected command counts as half correct; a
confirmation of a sensitive command read exactly counts as correct, as the blind sets'
labels say ("confirmation and refusal are the system's policy, not the label's"). An ``ask``
line (the writer's careful person would ask back) is correct when the assistant asks or
confirms; answered with a refusal it counts as safe, not correct. The table's ``asked``
column counts questions and confirmations.

A line expecting ``act`` is **correct** when every command said is done exactly: the same
service calls, or, for what makes none, the intent, the set of targets and every value said; a reading of a command for later is the timer
with its command (``HassStartTimer`` + ``conversation_command``), read again. A **wrong
action** is acting when the line expects anything else, or acting not exactly as expected
(an action on a wrong device, with a wrong value, or one of several commands only); the same
for a reading that only answers (a state, the time) is a **wrong answer**.
Relative changes ("a bit brighter") compare by their change slots (``brightness_change``
…; the player's volume change is Home Assistant's ``volume_step``).

Run it after exporting the cpu bundles::

    python bench/blind.py [--set blind|blind2|blind3|blind4|blind5|blind6] [--models-dir DIR] [--json-out PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from common import progress, quiet_libraries

from edge_assistant.actions.base import ActionError, StateUnknown, actions_for
from edge_assistant.config.device import load_device_config, models_dir_from_env
from edge_assistant.daemon.lists import LIST_INTENTS, list_name
from edge_assistant.home.model import Home, load_home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.intents import Command

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
HOME = REPO / "examples" / "home.yaml"
DEFAULT_CONTEXT = {"satellite_area": "living_room"}
# The relative changes the blind set labels, and the one this assistant has.
RELATIVE = {"brightness_change", "volume_change", "temperature_change", "position_change",
            "percentage_change"}  # fmt: skip


# Readings that change nothing in the home: a wrong one is a wrong answer, not a wrong action.
ANSWERS = {"HassGetState", "HassClimateGetTemperature", "HassGetWeather", "HassGetCurrentTime",
           "HassGetCurrentDate", "HassTimerStatus", "HassRespond"}  # fmt: skip


def outcome(command: Command, home: Home) -> str:
    """act, ask or refuse: what the daemon would do with this reading ("never mind" does
    nothing: a refusal here)."""
    if not command.understood or command.intent == "HassNevermind":
        return "refuse"
    if command.decision == "ask":
        return "ask"
    if command.needs_verification:  # the policy's "are you sure?" for a sensitive target
        return "confirm"
    try:
        actions_for(command, home)
    except StateUnknown:  # "a couple of degrees warmer": done from the state the sink knows
        return "act"
    except ActionError:
        return "refuse"
    return "act"


def same_command(command: Command, expected: dict[str, Any], home: Home, read) -> bool:
    """Whether ``command`` does exactly what ``expected`` (one command of a line) asks."""
    if expected.get("later"):
        if command.intent != "HassStartTimer" or not command.slots.get("conversation_command"):
            return False
        when = expected["later"]
        if "at" in when:  # a time of day: "07:00|19:00" (no am or pm said) holds either
            said = set(str(when["at"]).split("|"))  # "07:00|19:00": the label too holds either
            if not said <= set(str(command.slots.get("at", "")).split("|")):
                return False
        elif _seconds(command.slots) != _seconds(when):  # "half an hour": 30 minutes
            return False
        inner = read(str(command.slots["conversation_command"]))
        return same_command(inner, {k: v for k, v in expected.items() if k != "later"}, home, read)
    done = _actions(command, home)
    if done and done == _actions(_as_command(expected), home):
        return True  # the same service calls ("fan to max": set_percentage 100 either way)
    if (
        command.intent in LIST_INTENTS
        and expected["intent"] in LIST_INTENTS
        and not home.has_lists()
    ):
        mine, theirs = _listed(command), _listed(_as_command(expected))  # the daemon's own list
        if expected["intent"] == "HassListAddItem" and "name" not in expected["values"]:
            mine, theirs = mine[::2], theirs[::2]  # which list was said is not labeled
        return mine == theirs
    if command.intent != expected["intent"]:
        return False
    targets = set(command.targets)
    if not targets and command.slots.get("domain") == "person":
        targets = {p.id for p in home.people if p.name == command.slots.get("name")}
    if targets != set(expected["targets"]):
        return False
    for key, value in expected["values"].items():
        if key in RELATIVE:  # the player's volume change is Home Assistant's volume_step
            if command.slots.get("volume_step" if key == "volume_change" else key) != value:
                return False
            continue
        ours = command.slots.get(key)
        if isinstance(value, str) and isinstance(ours, str):
            if value.casefold().strip() != ours.casefold().strip():
                return False
        elif ours != value:
            return False
    return True


def _seconds(slots: dict[str, Any]) -> float:
    """A duration's length: hours, minutes and seconds said any way ("half an hour")."""
    units = {"hours": 3600, "minutes": 60, "seconds": 1}
    return sum(float(slots.get(k, 0) or 0) * n for k, n in units.items())


def _listed(command: Command) -> tuple[str, str, str]:
    """What a list command does to the daemon's own lists (daemon/lists.py): add or tick off,
    on which list, which item. "Add milk to the shopping list" read as HassListAddItem or as
    HassShoppingListAddItem does the same."""
    done = "tick" if command.intent == "HassListCompleteItem" else "add"
    item = str(command.slots.get("item", "")).casefold().strip()
    return done, list_name(command) if done == "add" else "", item


def _as_command(expected: dict[str, Any]) -> Command:
    return Command(text="", intent=expected["intent"], slots=dict(expected["values"]),
                   confidence=1.0, targets=tuple(expected["targets"]))  # fmt: skip


def _actions(command: Command, home: Home) -> list[tuple[str, str, str]]:
    """The service calls a reading makes, comparable; [] for none or any it cannot make."""
    try:
        done = actions_for(command, home)
    except (ActionError, KeyError, TypeError, ValueError):
        return []
    return sorted((a.device_id, a.service, json.dumps(a.data, sort_keys=True)) for a in done)


def outcome_of(commands: list[Command], home: Home) -> str:
    """The outcome of everything read in a sentence: a refusal of any command refuses (a
    sentence of several commands is refused whole when one cannot be read), a question about
    any asks, else act."""
    outcomes = [outcome(c, home) for c in commands]
    return next((o for o in ("refuse", "ask", "confirm") if o in outcomes), "act")


def score(lines: list[dict[str, Any]], read_all, home: Home) -> tuple[Counter, list[dict]]:
    counts: Counter = Counter()
    rows = []
    for line in lines:
        context = line.get("context")
        commands = read_all(line["text"], context)
        command = commands[0]
        did = outcome_of(commands, home)
        expect = line["expect"]
        want = expect["do"]
        counts[f"{want}:{did}"] += 1
        counts["n"] += 1
        correct = False
        if want == "ask":  # a question a careful person would ask back: asking it is right
            correct = did in ("ask", "confirm")
        elif want == "act" and command.intent == "HassNevermind":  # does nothing, as asked
            correct = [c["intent"] for c in expect["commands"]] == ["HassNevermind"]
        elif want == "act" and did in ("act", "ask", "confirm"):
            wanted = expect["commands"]

            def read(text: str, c=context) -> Command:
                return read_all(text, c)[0]

            right = len(wanted) == len(commands) and all(
                same_command(ours, theirs, home, read)
                for ours, theirs in zip(commands, wanted, strict=True)
            )  # several commands: each, in the order said
            # a right question: half; the policy's confirmation of a sensitive target read
            # right is what the product must do ("confirmation is the system's policy")
            correct = 0.5 * right if did == "ask" else right
            counts["asked_right"] += did in ("ask", "confirm") and right
        wrong = did == "act" and not correct
        answer = all(c.intent in ANSWERS for c in commands)
        counts["correct"] += correct
        counts["wrong_action"] += wrong and not answer
        counts["wrong_answer"] += wrong and answer
        rows.append({"text": line["text"], "expect": expect,
                     "ours": [c.to_json() for c in commands], "outcome": did,
                     "correct": correct, "wrong": wrong})  # fmt: skip
    return counts, rows


def load(folder: Path, name: str) -> list[dict[str, Any]]:
    path = folder / name
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument(
        "--set", default="blind", choices=["blind", "blind2", "blind3", "blind4", "blind5", "blind6"],
        help="which blind set (tests/data/<set>/); each was written after the one before had "
        "been run",
    )  # fmt: skip
    args = parser.parse_args()
    quiet_libraries()
    from edge_assistant.understanding.understand import Understander

    home = load_home(HOME)
    models_dir = args.models_dir or models_dir_from_env()
    understander = Understander.from_config(load_device_config("cpu"), home, models_dir)

    def context_of(raw: dict[str, Any] | None) -> Context:
        return Context(**{**DEFAULT_CONTEXT, **(raw or {})})

    def ours(text: str, raw: dict[str, Any] | None = None) -> list[Command]:
        return understander.understand_all(text, context_of(raw))

    def templates(text: str, raw: dict[str, Any] | None = None) -> list[Command]:
        matched = understander.templates.match(text, context_of(raw))
        if matched is None:
            return [Command(text=text, intent=None, reason="no template matched")]
        return [understander.resolver.from_slots(text, matched.intent, matched.slots)]

    folder = DATA / args.set
    sets = {name: load(folder, f"{name}.jsonl") for name in ("commands", "non_commands")}
    table, out = [], []
    for system, read in (("ours", ours), ("templates", templates)):
        for name, lines in sets.items():
            progress(f"{system} on {name} ({len(lines)} lines)")
            counts, rows = score(lines, read, home)
            out += [{"system": system, "set": name, **row} for row in rows]
            table.append((system, name, counts))
    print(f"{'system':<10} {'set':<13} {'n':>4} {'correct':>8} {'wrong act':>10} "
          f"{'wrong ans':>10} {'asked':>6} {'refused':>8}")  # fmt: skip
    result: dict[str, float] = {}
    for system, name, c in table:
        n = c["n"]
        asked = sum(v for k, v in c.items() if k.endswith((":ask", ":confirm")))
        refused = sum(v for k, v in c.items() if k.endswith(":refuse"))
        print(f"{system:<10} {name:<13} {n:>4} {c['correct'] / n:>8.3f} "
              f"{c['wrong_action'] / n:>10.3f} {c['wrong_answer'] / n:>10.3f} "
              f"{asked / n:>6.3f} {refused / n:>8.3f}")  # fmt: skip
        prefix = "" if system == "ours" else "templates_"
        result[f"{prefix}{args.set}_{name}_asked"] = round(asked / n, 4)
        result[f"{prefix}{args.set}_{name}_refused"] = round(refused / n, 4)
        result[f"{prefix}{args.set}_{name}_correct"] = round(c["correct"] / n, 4)
        result[f"{prefix}{args.set}_{name}_wrong_action_rate"] = round(c["wrong_action"] / n, 4)
        result[f"{prefix}{args.set}_{name}_wrong_answer_rate"] = round(c["wrong_answer"] / n, 4)
    ours_commands = next(c for s, n, c in table if s == "ours" and n == "commands")
    print("\nours on commands, expected -> done:",
          ", ".join(f"{k} {v}" for k, v in sorted(ours_commands.items()) if ":" in k))  # fmt: skip
    if args.json_out:
        args.json_out.write_text(json.dumps(out, indent=1))
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
