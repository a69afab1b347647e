"""The lists the daemon keeps when the home has no to-do list (daemon/lists.py): read from
what people say, kept in the journal across a restart, bounded, and done by the daemon."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from edge_assistant.actions.base import ActionRefused, actions_for
from edge_assistant.config.journal import JournalConfig
from edge_assistant.daemon.lists import MAX_ITEMS, Lists, list_name
from edge_assistant.home.model import load_home
from edge_assistant.journal.journal import Journal
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.intents import Command
from tests.conftest import REPO
from tests.typed_assistant import assistant_of, typed

HOME = load_home(REPO / "examples" / "home.yaml")


def said(intent: str, **slots: str) -> Command:
    return Command(text="", intent=intent, slots=slots, confidence=1.0)


def test_items_are_added_ticked_off_and_kept_across_a_restart(tmp_path: Path) -> None:
    config = JournalConfig(path=tmp_path / "journal.sqlite3")
    with Journal(config) as journal:
        lists = Lists(journal)
        assert lists.handle(said("HassShoppingListAddItem", item="oat milk")) == (
            "Added oat milk to the shopping list."
        )
        assert "already" in lists.handle(said("HassListAddItem", item="Oat milk", name="shopping"))
        lists.handle(said("HassListAddItem", item="call the plumber", name="my to do"))
        lists.handle(said("HassListAddItem", item="fix the gate", name="todo"))
        assert lists.handle(
            said("HassListCompleteItem", item="call the plumber", name="to do")
        ) == ("Ticked off call the plumber.")
        assert "not on" in lists.handle(said("HassListCompleteItem", item="eggs"))
        # no list named ("tick off the gate"): the list that has it
        lists.handle(said("HassListAddItem", item="mow the lawn", name="jobs"))
        assert lists.handle(said("HassListCompleteItem", item="mow the lawn")) == (
            "Ticked off mow the lawn."
        )
        assert lists.items("jobs") == []
    with Journal(config) as journal:  # a restart: the open items are still there
        lists = Lists(journal)
        assert lists.items("shopping") == ["oat milk"]
        assert lists.items("to do") == ["fix the gate"]


def test_a_list_is_bounded_and_an_item_must_be_said(tmp_path: Path) -> None:
    with Journal(JournalConfig(path=tmp_path / "journal.sqlite3")) as journal:
        lists = Lists(journal)
        for n in range(MAX_ITEMS):
            lists.handle(said("HassShoppingListAddItem", item=f"thing {n}"))
        assert "full" in lists.handle(said("HassShoppingListAddItem", item="one more"))
        assert len(lists.items()) == MAX_ITEMS
        assert lists.handle(said("HassShoppingListAddItem", item="  ")).startswith("What")


@pytest.mark.parametrize(
    ("intent", "name", "called"),
    [("HassShoppingListAddItem", "", "shopping"), ("HassListAddItem", "my to do", "to do"),
     ("HassListAddItem", "todo", "to do"), ("HassListAddItem", "the jobs list", "jobs"),
     ("HassListCompleteItem", "", "shopping")],
)  # fmt: skip
def test_a_list_is_named_as_it_was_said(intent: str, name: str, called: str) -> None:
    assert list_name(said(intent, item="x", **({"name": name} if name else {}))) == called


def test_a_home_without_lists_gets_no_device_action_and_a_long_item_is_refused() -> None:
    assert actions_for(said("HassListAddItem", item="milk", name="to do"), HOME) == []
    with pytest.raises(ActionRefused, match="list item"):
        actions_for(said("HassShoppingListAddItem", item="word " * 40), HOME)


@pytest.mark.parametrize(
    ("text", "intent", "item", "name"),
    [("add call the plumber to my to do list", "HassListAddItem", "call the plumber", "to do"),
     ("add batteries to the grocery list", "HassListAddItem", "batteries", "grocery"),
     ("shopping list add bananas", "HassShoppingListAddItem", "bananas", None),
     ("cross bread off the shopping list", "HassListCompleteItem", "bread", "shopping"),
     ("mark washing up liquid as bought", "HassListCompleteItem", "washing up liquid", None),
     ("tick off bread", "HassListCompleteItem", "bread", None),
     ("stick teabags on the shopping list", "HassShoppingListAddItem", "teabags", None),
     ("we're out of coffee add it to the shopping list", "HassShoppingListAddItem", "coffee",
      None)],
)  # fmt: skip
def test_what_people_say_to_a_list_is_read(
    understander, text: str, intent: str, item: str, name: str | None
) -> None:
    (command,) = understander.understand_all(text, Context(satellite_area="kitchen"))
    assert (command.decision, command.intent, command.slots.get("item")) == ("act", intent, item)
    assert command.slots.get("name") == name


def test_add_something_to_the_list_is_not_an_item(understander) -> None:
    command = understander.understand("add something to the shopping list", Context())
    assert command.decision == "refuse" and "item" in (command.reason or "")


def test_the_daemon_keeps_the_list_it_is_told(tmp_path: Path, models_dir: Path) -> None:
    assistant = assistant_of(tmp_path, models_dir)

    async def main():
        try:
            added = await assistant.handle(typed("add oat milk to the shopping list"))
            done = await assistant.handle(typed("tick off oat milk on the shopping list"))
            return added, done
        finally:
            assistant.close()

    added, done = asyncio.run(main())
    assert added.decision == "allow" and added.said == "Added oat milk to the shopping list."
    assert done.decision == "allow" and done.said == "Ticked off oat milk."
    assert added.actions == [] and assistant.sink.done == []  # no device was touched


@pytest.fixture(scope="module")
def understander(models_dir: Path):
    from edge_assistant.config.device import load_device_config
    from edge_assistant.understanding.understand import Understander

    return Understander.from_config(load_device_config("cpu"), HOME, models_dir)
