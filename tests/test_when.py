"""When a command is for (understanding/when.py): a time of day or a while from now, and the
command said without it."""

from __future__ import annotations

import pytest

from edge_assistant.understanding.when import when


@pytest.mark.parametrize(
    ("text", "rest", "slots"),
    [("turn on the outdoor lights at 7 pm", "turn on the outdoor lights",
      {"at": "19:00", "name": "7 pm"}),
     ("turn off the patio lights at midnight", "turn off the patio lights",
      {"at": "00:00", "name": "midnight"}),
     ("put the heating on 21 at six am", "put the heating on 21", {"at": "06:00", "name": "six am"}),
     ("turn the lights on at seven", "turn the lights on", {"at": "07:00|19:00", "name": "seven"}),
     ("dim the bedroom lights at half past nine", "dim the bedroom lights",
      {"at": "09:30|21:30", "name": "half past nine"}),
     ("open the blinds at quarter to eight in the morning", "open the blinds",
      {"at": "07:45", "name": "quarter to eight in the morning"}),
     ("start the hoover in an hour", "start the hoover", {"hours": 1}),
     ("switch the coffee machine on at 6 30 in the morning", "switch the coffee machine on",
      {"at": "06:30", "name": "6 30 in the morning"}),
     ("turn the coffee machine on at a quarter to seven in the morning",
      "turn the coffee machine on", {"at": "06:45", "name": "a quarter to seven in the morning"}),
     ("turn on the coffee machine at seven tomorrow morning", "turn on the coffee machine",
      {"at": "07:00", "name": "seven tomorrow morning"}),
     ("turn the tv off at half ten", "turn the tv off", {"at": "10:30|22:30", "name": "half ten"}),
     ("close the blinds in half an hour", "close the blinds", {"minutes": 30}),
     ("turn the lights off in 10 minutes", "turn the lights off", {"minutes": 10})],
)  # fmt: skip
def test_the_time_said_and_the_command_without_it(
    text: str, rest: str, slots: dict[str, object]
) -> None:
    said = when(text)
    assert said is not None and said.rest == rest and said.slots == slots


@pytest.mark.parametrize(
    "text", ["set the lights at 50", "turn on the lights", "set the heating at 20 degrees",
             "set the fan speed at 40 percent"],
)  # fmt: skip
def test_a_level_or_no_time_is_no_time(text: str) -> None:
    assert when(text) is None


def test_a_bare_number_is_marked_as_maybe_a_level() -> None:
    said = when("set the fan at 3")
    assert said is not None and said.bare
    assert not when("turn on the lights at 7 pm").bare  # type: ignore[union-attr]
