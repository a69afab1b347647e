"""Needs and questions about what someone did (understanding/needs.py), on examples/home.yaml:
the command that would meet a need, to ask about; the state a "did I leave …" asks."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_assistant.home.model import Home, load_home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.gazetteer import Gazetteer
from edge_assistant.understanding.needs import as_state_question, need_command

HOME = Path(__file__).resolve().parents[1] / "examples" / "home.yaml"
HERE = Context(satellite_area="living_room")


@pytest.fixture(scope="module")
def home() -> Home:
    return load_home(HOME)


@pytest.mark.parametrize(
    ("said", "asked"),
    [("did I leave the garage door open", "is the garage door open"),
     ("did we leave the kitchen lights on", "is the kitchen lights on"),
     ("did i lock the front door", "is the front door locked"),
     ("have you switched off the tv", "is the tv off"),
     ("did someone leave the back gate shut", "is the back gate closed"),
     ("did we leave the telly on downstairs", "is the telly on downstairs"),
     ("was the front door left unlocked", "is the front door unlocked"),
     ("has the hall light been left on again", "is the hall light on"),
     ("check the garage door's shut", "is the garage door closed"),
     ("can you check if i locked the door properly", "is the door locked")],
)  # fmt: skip
def test_a_question_about_what_someone_did_asks_the_state_it_left(said: str, asked: str) -> None:
    assert as_state_question(said) == asked


@pytest.mark.parametrize(
    "said",
    ["did you have a nice day", "turn off the tv", "i left it on", "check the weather",
     "check if the kids are asleep"],
)  # fmt: skip
def test_anything_else_is_no_state_question(said: str) -> None:
    assert as_state_question(said) is None


@pytest.mark.parametrize(
    ("said", "intent", "targets"),
    [("it's freezing in the office", "HassTurnOn", ("office_heater",)),
     ("it's so hot in the bedroom", "HassTurnOn", ("bedroom_fan",)),
     ("i can't see a thing in the kitchen", "HassTurnOn", ("kitchen_ceiling", "kitchen_counter")),
     ("it's a bit chilly in here", "HassClimateSetTemperature", ("thermostat",))],
)  # fmt: skip
def test_a_need_said_of_a_room_is_what_would_meet_it_there(
    home: Home, said: str, intent: str, targets: tuple[str, ...]
) -> None:
    command = need_command(said, home, Gazetteer(home), HERE)
    assert command is not None and command.intent == intent and command.targets == targets


@pytest.mark.parametrize(
    "said", ["the soup is cold", "it's freezing in the garage", "the office is lovely"]
)
def test_no_need_of_a_room_or_nothing_there_to_meet_it_is_no_command(home: Home, said: str) -> None:
    assert need_command(said, home, Gazetteer(home), HERE) is None
