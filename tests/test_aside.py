"""Asides around a command (understanding/aside.py): what is set aside, and what never is."""

import pytest

from edge_assistant.understanding.aside import corrected, last_number, with_thing, without_asides


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("open the drapes it's a lovely morning", "open the drapes"),
        ("shut the blind the sun's in my eyes", "shut the blind"),
        ("put the big light on 5 percent for the film", "put the big light on 5 percent"),
        ("turn off the coffee machine when you get a chance", "turn off the coffee machine"),
        ("patio lights on we've got people coming round", "patio lights on"),
        ("everyone's gone home so switch the patio lights off", "switch the patio lights off"),
    ],
)
def test_the_request_is_found_without_the_reason_or_the_lead_in(said: str, asked: str) -> None:
    assert without_asides(said)[0] == asked


@pytest.mark.parametrize(
    "said",
    [
        "turn off the lights in the kitchen",  # nothing aside
        "turn the lights on for twenty minutes",  # a duration is part of the request
        "i turned the sprinkler off because of the hosepipe ban",  # told, not asked
        "next up on the playlist we've got some classic eighties",  # a presenter's words
        "lights it's dark",  # one word left is no request
    ],
)
def test_nothing_is_set_aside_where_no_request_is_left(said: str) -> None:
    assert without_asides(said) == []


@pytest.mark.parametrize(
    ("said", "before", "asked"),
    [
        ("switch off the garage light wait no switch it on", "switch off the garage light",
         "switch it on"),
        ("don't close the curtains open them", "don't close the curtains", "open them"),
        ("not the big light the lamp turn the lamp off", "not the big light the lamp",
         "turn the lamp off"),
    ],
)  # fmt: skip
def test_a_correction_is_followed_by_what_is_asked(said: str, before: str, asked: str) -> None:
    assert corrected(said) == (before, asked)


@pytest.mark.parametrize(
    "said",
    ["turn on the kitchen light no the bedroom light",  # a thing corrected: the model reads it
     "don't start the hoover the baby's asleep",  # withdrawn, not corrected
     "i know no one wants to turn the lights off"],
)  # fmt: skip
def test_no_correction_is_found_where_no_new_request_follows(said: str) -> None:
    assert corrected(said) is None


def test_it_is_said_as_the_thing_named_before() -> None:
    assert with_thing("switch it on", "the garage light") == "switch the garage light on"


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("set the office heater to 20 no 21", "set the office heater to 21"),
        ("the heating to twenty no twenty one", "the heating to twenty one"),
        ("set a timer for eight minutes no make that nine", "set a timer for nine minutes"),
        ("turn the heating up no down two degrees", "turn the heating down two degrees"),
        ("set the lights to 50 percent", "set the lights to 50 percent"),
    ],
)
def test_a_number_or_a_way_corrected_as_it_is_said_is_the_last_one(said: str, meant: str) -> None:
    assert last_number(said) == meant
