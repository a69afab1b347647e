"""Answer questions about people ("is anyone in the kitchen?", "where is Alice?") from what
the camera knows: the vision context, never a guess."""

from __future__ import annotations

from edge_assistant.home.model import Home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.intents import Command


def is_people_question(command: Command) -> bool:
    return command.intent == "HassGetState" and command.slots.get("domain") == "person"


def answer_people(command: Command, context: Context, home: Home) -> str:
    """A short spoken answer; says plainly when there is no camera to know from."""
    if not is_people_question(command):
        raise ValueError("not a question about people")
    if not context.camera:
        return "I can't tell without a camera."
    if "name" in command.slots:
        return _where(command.slots["name"], context, home)
    # Home Assistant reads "is anyone in the kitchen" as people whose state is "kitchen"
    area_name = str(command.slots.get("area") or command.slots.get("state") or "").casefold()
    area = next((a for a in home.areas if area_name in _casefolded(a.spoken_names())), None)
    if area is None:
        total = sum(context.people.values())
        return f"I see {_count(total)} at home." if total else "I don't see anyone at home."
    count = context.people.get(area.id, 0)
    if not count:
        return f"I don't see anyone in the {area.name}."
    who = [p.name for p in home.people if context.known_people.get(p.id) == area.id]
    names = f": {', '.join(who)}" if who else ""
    return f"I see {_count(count)} in the {area.name}{names}."


def _where(name: str, context: Context, home: Home) -> str:
    person = next((p for p in home.people if p.name.casefold() == name.casefold()), None)
    if person is None:
        return f"I don't know anyone called {name}."
    area_id = context.known_people.get(person.id)
    if area_id is None:
        return f"I haven't seen {person.name}."
    return f"{person.name} was last seen in the {home.area(area_id).name}."


def _casefolded(names: tuple[str, ...]) -> set[str]:
    return {n.casefold() for n in names}


def _count(n: int) -> str:
    return "one person" if n == 1 else f"{n} people"
