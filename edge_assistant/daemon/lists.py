"""The lists the daemon keeps itself when the home has no to-do list of its own, as Home
Assistant keeps its built-in shopping list: "add oat milk to the shopping list", "put call
the plumber on my to do list", "tick off milk". Items are journaled, so they outlive a
restart; a list is named as it was said ("shopping", "to do", "jobs").

A home with ``todo`` devices gets no list here: its readings act on those devices through
the sink (actions/base.py), as Home Assistant's intents do.
"""

from __future__ import annotations

import logging
import re
import threading

from edge_assistant.journal.journal import Journal
from edge_assistant.understanding.intents import LIST_INTENTS, Command

log = logging.getLogger(__name__)
__all__ = ["LIST_INTENTS", "Lists", "list_name"]
SHOPPING = "shopping"
MAX_ITEMS = 200  # per list: a list that long is no voice list, and a flood is refused
MAX_LISTS = 20
_LIST_WORDS = re.compile(r"\b(?:my|the|our|a|list)\b")
_SAME = {"todo": "to do", "to-do": "to do", "groceries": "grocery", "grocery": "grocery"}


class Lists:
    """Open items per list, read from the journal at start and kept there."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._lock = threading.Lock()
        self._items: dict[str, list[tuple[int, str]]] = {}
        for row in journal.open_items():
            self._items.setdefault(row["list"], []).append((row["id"], row["item"]))

    def items(self, list_name: str = SHOPPING) -> list[str]:
        with self._lock:
            return [item for _, item in self._items.get(list_name, [])]

    def handle(self, command: Command, decision_id: int | None = None) -> str:
        """Does a list command; returns what to say. Blocking (the journal)."""
        item = " ".join(str(command.slots.get("item", "")).split()).strip(" .,")
        if not item:
            return "What should I put on the list?"
        called = list_name(command)
        with self._lock:
            if command.intent == "HassListCompleteItem" and not command.slots.get("name"):
                # "tick off bread": the list that has it, when none is named
                called = next((name for name, held in self._items.items() if any(
                    i[1].casefold() == item.casefold() for i in held)), called)  # fmt: skip
            items = self._items.get(called, [])
            if command.intent == "HassListCompleteItem":
                found = next((i for i in items if i[1].casefold() == item.casefold()), None)
                if found is None:
                    return f"{item} is not on the {called} list."
                self.journal.item_done(found[0])
                items.remove(found)
                log.info("ticked off %r on the %s list", item, called)
                return f"Ticked off {item}."
            if any(i[1].casefold() == item.casefold() for i in items):
                return f"{item} is already on the {called} list."
            if len(items) >= MAX_ITEMS:
                return f"The {called} list is full ({MAX_ITEMS} items): tick some off first."
            if called not in self._items and len(self._items) >= MAX_LISTS:
                return f"I keep {MAX_LISTS} lists at most: add it to one of them."
            item_id = self.journal.item_added(called, item, decision_id)
            self._items.setdefault(called, []).append((item_id, item))
            log.info("added %r to the %s list", item, called)
            return f"Added {item} to the {called} list."


def list_name(command: Command) -> str:
    """The list a command is about, as said: "to do" for "my to do list", "shopping" for the
    shopping list intent or none said."""
    if command.intent == "HassShoppingListAddItem":
        return SHOPPING
    said = str(command.slots.get("name", "")).lower()
    words = " ".join(_LIST_WORDS.sub(" ", said).split())
    return _SAME.get(words, words) or SHOPPING
