"""Several commands in one sentence (understanding/several.py): where a sentence is cut into
commands, and where one verb is said for several things. The readings on the real models are
in test_understanding.py; the daemon doing each over MQTT in test_intents_end_to_end.py."""

from __future__ import annotations

import pytest

from edge_assistant.understanding.several import clauses, elided


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("switch off the telly and turn the lights on",
         ["switch off the telly", "turn the lights on"]),
        ("turn on the light in the kitchen, then turn off the light in the living room",
         ["turn on the light in the kitchen", "turn off the light in the living room"]),
        ("turn off the tv and then please turn on the lights; close the blinds",
         ["turn off the tv", "turn on the lights", "close the blinds"]),
        ("Lights off and Turn on the TV", ["Lights off", "Turn on the TV"]),
    ],
)  # fmt: skip
def test_a_sentence_is_cut_where_a_new_command_starts(text: str, expected: list[str]) -> None:
    assert clauses(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "okay, turn on the lights",  # a filler before a command is not a command
        "turn the lights off, please",
        "turn on the kitchen and living room lights",  # no verb after "and": one command
        "add eggs and milk to my shopping list",
        "set a timer for 5 minutes and 30 seconds",
        "turn on the kitchen light, no, turn on the bedroom light",  # a correction: the last
    ],
)
def test_one_command_is_not_cut(text: str) -> None:
    assert clauses(text) == [text]


@pytest.mark.parametrize(
    ("text", "first", "others"),
    [
        ("turn off the tv and the lights", "turn off the tv", ["turn off the lights"]),
        ("turn the tv and the lights off", "turn the tv off", ["turn the lights off"]),
        ("please switch off the fan, the tv and the lamp", "please switch off the fan",
         ["switch off the tv", "switch off the lamp"]),
        ("dim the kitchen and dining room lights", "dim the kitchen", ["dim dining room lights"]),
    ],
)  # fmt: skip
def test_one_verb_for_several_things_is_said_for_each(
    text: str, first: str, others: list[str]
) -> None:
    assert elided(text) == (first, others)


@pytest.mark.parametrize(
    "text",
    ["turn on the lights", "the tv and the lights", "set the floor lamp to 70, no, 60 percent",
     "turn on the kitchen, no, the bedroom light"],
)  # fmt: skip
def test_nothing_joined_or_a_correction_is_not_split(text: str) -> None:
    assert elided(text) is None


def test_commands_said_without_verbs_are_cut_by_their_on_and_off() -> None:
    assert clauses("lights off and tv on") == ["lights off", "tv on"]
    assert clauses("kitchen light on and the fan") == ["kitchen light on and the fan"]
