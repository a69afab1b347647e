"""Spoken values parse to what was said, and to None when nothing (or something ambiguous) was."""

from __future__ import annotations

import pytest

from edge_assistant.understanding.intents import COLORS
from edge_assistant.understanding.values import (
    _COLOR_WORDS,
    find_numbers,
    parse_change,
    parse_color,
    parse_duration,
    parse_number,
    parse_percent,
    parse_temperature,
)

ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def spelled(n: int, *, joiner: str = " ", hundred_and: bool = True) -> str:
    """n (0-999) in words: 'two hundred and fifty-one'."""
    if n < 20:
        return ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return TENS[tens] + (joiner + ONES[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    head = f"{ONES[hundreds]} hundred"
    if not rest:
        return head
    return f"{head}{' and' if hundred_and else ''} {spelled(rest, joiner=joiner)}"


def test_spelled_helper() -> None:
    assert spelled(251, joiner="-") == "two hundred and fifty-one"
    assert spelled(907, hundred_and=False) == "nine hundred seven"


@pytest.mark.parametrize(
    ("joiner", "hundred_and"), [(" ", True), ("-", True), (" ", False), ("-", False)]
)
def test_every_spelled_number_below_1000(joiner: str, hundred_and: bool) -> None:
    for n in range(1000):
        words = spelled(n, joiner=joiner, hundred_and=hundred_and)
        assert parse_number(words) == n, words
        assert parse_number(str(n)) == n
        sentence = f"set it to {words} percent"
        start, end, value = find_numbers(sentence)[0]
        assert (sentence[start:end], value) == (words, n)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5),
        ("5.5", 5.5),
        ("5.0", 5),
        ("1,000", 1000),
        ("twenty", 20),
        ("twenty five", 25),
        ("twenty-five", 25),
        ("Twenty Five", 25),
        ("one hundred", 100),
        ("a hundred", 100),
        ("hundred", 100),
        ("two hundred and fifty", 250),
        ("a thousand", 1000),
        ("one thousand two hundred and thirty four", 1234),
        ("twenty five hundred", 2500),
        ("zero", 0),
        ("a half", 0.5),
        ("half", 0.5),
        ("twenty one and a half", 21.5),
        ("one and half", 1.5),
        ("one and a quarter", 1.25),
        ("three quarters", 0.75),
        ("one point five", 1.5),
        ("twenty one point two five", 21.25),
        ("zero point five", 0.5),
        ("a couple", 2),
        ("a dozen", 12),
        ("minus five", -5),
        ("-5", -5),
        ("negative two point five", -2.5),
    ],
)
def test_parse_number(text: str, expected: float) -> None:
    got = parse_number(text)
    assert got == expected
    assert type(got) is type(expected)  # ints when whole: 25, not 25.0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "oh",
        "a",
        "an",
        "point",
        "the third floor",
        "five apples",
        "five six",  # two numbers, not one
        "twenty, five",
        "one zero",
        "turn on the light",
    ],
)
def test_parse_number_none(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("set the lamp to twenty five percent please", [("twenty five", 25)]),
        ("dim to 50%", [("50", 50)]),
        ("dim to 50 %", [("50", 50)]),
        ("between 5 and 10", [("5", 5), ("10", 10)]),
        ("two hundred and fifty people", [("two hundred and fifty", 250)]),
        ("twenty-five and thirty", [("twenty-five", 25), ("thirty", 30)]),
        ("set it to twenty one and a half degrees", [("twenty one and a half", 21.5)]),
        ("a lamp and an outlet", []),  # "a" / "an" alone are never 1
        ("the third floor", []),
        ("turn on the light", []),
        ("turn on the one in the kitchen", [("one", 1)]),
        ("one two", [("one", 1), ("two", 2)]),
    ],
)
def test_find_numbers(text: str, expected: list[tuple[str, float]]) -> None:
    assert [(text[a:b], v) for a, b, v in find_numbers(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50%", 50),
        ("50 %", 50),
        ("fifty percent", 50),
        ("40 per cent", 40),
        ("set the bedroom lamp to 30", 30),
        ("half", 50),
        ("halfway", 50),
        ("open the blinds half way", 50),
        ("a quarter", 25),
        ("three quarters", 75),
        ("three-quarters of the way", 75),
        ("full", 100),
        ("max", 100),
        ("maximum", 100),
        ("turn the volume all the way up", 100),
        ("all the way", 100),
        ("close the blinds all the way down", 0),
        ("a hundred percent", 100),
        ("100%", 100),
        ("zero percent", 0),
        ("twelve and a half percent", 13),  # halves round up
        ("set bedroom 2 lamp to 40 percent", 40),  # the number marked percent wins
    ],
)
def test_parse_percent(text: str, expected: int) -> None:
    assert parse_percent(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "150%",  # a mis-hearing, not something to clamp
        "two hundred percent",
        "turn on the light",
        "set bedroom 2 lamp to 40",  # two bare numbers: which one?
        "set it to 21 degrees",
        "for 5 minutes",
        "",
    ],
)
def test_parse_percent_none(text: str) -> None:
    assert parse_percent(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21", 21),
        ("21 degrees", 21),
        ("twenty one degrees", 21),
        ("21.5°", 21.5),
        ("21.5 °C", 21.5),
        ("twenty one and a half degrees", 21.5),
        ("set the thermostat to twenty two point five", 22.5),
        ("72 fahrenheit", 72),
        ("set it to 72 degrees fahrenheit", 72),
        ("minus five", -5),
        ("-5 degrees", -5),
        ("set the freezer to minus eighteen degrees", -18),
        ("set bedroom 2 thermostat to 21 degrees", 21),  # the number marked degrees wins
        ("heat to 21 for 2 hours", 21),  # a duration is no temperature
        ("one degree", 1),
    ],
)
def test_parse_temperature(text: str, expected: float) -> None:
    got = parse_temperature(text)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize(
    "text",
    [
        "turn up the heat",
        "50%",
        "from 20 degrees to 22 degrees",  # two temperatures: which one?
        "set 5-10",
        "for ten minutes",
        "",
    ],
)
def test_parse_temperature_none(text: str) -> None:
    assert parse_temperature(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 minutes", {"minutes": 5}),
        ("an hour and a half", {"hours": 1, "minutes": 30}),
        ("one and a half hours", {"hours": 1, "minutes": 30}),
        ("1.5 hours", {"hours": 1, "minutes": 30}),
        ("half an hour", {"minutes": 30}),
        ("a half hour", {"minutes": 30}),
        ("half a minute", {"seconds": 30}),
        ("90 seconds", {"seconds": 90}),
        ("2 hours 15 minutes", {"hours": 2, "minutes": 15}),
        ("2 hours and 15 minutes and 10 seconds", {"hours": 2, "minutes": 15, "seconds": 10}),
        ("ten mins", {"minutes": 10}),
        ("5 min", {"minutes": 5}),
        ("5min", {"minutes": 5}),
        ("30 secs", {"seconds": 30}),
        ("a minute", {"minutes": 1}),
        ("an hour", {"hours": 1}),
        ("1 hr", {"hours": 1}),
        ("2 hrs", {"hours": 2}),
        ("a minute and a half", {"minutes": 1, "seconds": 30}),
        ("quarter of an hour", {"minutes": 15}),
        ("a quarter of an hour", {"minutes": 15}),
        ("three quarters of an hour", {"minutes": 45}),
        ("an hour and a quarter", {"hours": 1, "minutes": 15}),
        ("a couple of minutes", {"minutes": 2}),
        ("set a timer for five minutes please", {"minutes": 5}),
        ("set a timer for twenty-five minutes", {"minutes": 25}),
        ("timer for one hundred and twenty seconds", {"seconds": 120}),
        ("Set a Timer for 10 Minutes.", {"minutes": 10}),
        ("one second", {"seconds": 1}),
    ],
)
def test_parse_duration(text: str, expected: dict[str, int]) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "turn on the light",
        "set a timer",
        "the second floor",  # an ordinal, not a unit
        "5 minutes and 10 minutes",  # a unit said twice: which one?
        "1.5 seconds",  # no unit below seconds
        "five people",
        "an",
        "",
    ],
)
def test_parse_duration_none(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("make the lights red", "red"),
        ("turn the lamp blue please", "blue"),
        ("Turn The Lamp Green", "green"),
        ("turquoise", "turquoise"),
        ("violet", "purple"),
        ("lilac", "purple"),
        ("lavender", "purple"),
        ("magenta", "purple"),
        ("cyan", "turquoise"),
        ("aqua", "turquoise"),
        ("teal", "turquoise"),
        ("amber", "orange"),
        ("gold", "yellow"),
        ("crimson", "red"),
        ("scarlet", "red"),
        ("reddish", "red"),
        ("warm white", "white"),
        ("set it to cool white", "white"),
        ("daylight", "white"),
        ("navy", "blue"),
        ("sky blue", "blue"),
        ("sky-blue", "blue"),
        ("lime", "green"),
        ("rose", "pink"),
        ("make the red lamp red", "red"),  # the same color twice is one color
    ],
)
def test_parse_color(text: str, expected: str) -> None:
    assert parse_color(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "bored",
        "i am tired",
        "turn on the greenhouse lights",
        "play the blues",
        "grey",
        "gray",
        "turn on the light",
        "change it from red to blue",  # two colors: which one?
        "",
    ],
)
def test_parse_color_none(text: str) -> None:
    assert parse_color(text) is None


def test_every_color_word_maps_into_home_assistant_colors() -> None:
    assert set(_COLOR_WORDS.values()) == set(COLORS)
    for word, color in _COLOR_WORDS.items():
        assert parse_color(f"make it {word} please") == color


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add 5 minutes to the 10 minute timer", {"minutes": 5}),
        ("add eighty three seconds to the timer for eighty one minutes", {"seconds": 83}),
        ("add an hour and 5 minutes to my timer", {"hours": 1, "minutes": 5}),
        ("take a minute off the timer", {"minutes": 1}),
        ("increase timer by one hour 31 seconds", {"hours": 1, "seconds": 31}),
        ("add 5 minutes", {"minutes": 5}),
        # which timer only, or two changes: not sure by how much
        ("add time to the 10 minute timer", None),
        ("add 5 minutes or 2 minutes to the timer", None),
    ],
)
def test_parse_change_is_the_duration_that_does_not_name_the_timer(
    text: str, expected: dict[str, int] | None
) -> None:
    assert parse_change(text) == expected
