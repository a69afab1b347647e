"""Numbers as people (and speech recognizers) say them: digits or words."""

from __future__ import annotations

import random

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spell(n: int, rng: random.Random) -> str:
    if n < 0:
        return "minus " + spell(-n, rng)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (("-" if rng.random() < 0.2 else " ") + _ONES[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "a hundred" if hundreds == 1 and rng.random() < 0.3 else f"{_ONES[hundreds]} hundred"
        return head + (" and " + spell(rest, rng) if rest else "")
    thousands, rest = divmod(n, 1000)
    return spell(thousands, rng) + " thousand" + (" " + spell(rest, rng) if rest else "")


def say_number(value: int | float, rng: random.Random) -> str:
    """Digits about half the time, words otherwise; halves as 'and a half' or '.5'."""
    whole = int(value)
    half = value != whole
    if rng.random() < 0.5:
        return f"{value:g}"
    words = spell(whole, rng)
    return (
        words + (" and a half" if half else "") if not half or rng.random() < 0.7 else f"{value:g}"
    )
