"""Values people say in smart-home commands: numbers, percents, temperatures, durations, colors.

English only, stdlib only. Written for ASR-style text (lowercase, no punctuation, numbers as
digits or words). Every parser returns None when nothing parses, and also when the sentence
holds two conflicting values: a wrong value acted on is worse than asking again.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from edge_assistant.understanding.intents import COLORS

Number = float | int

# Digits (with optional thousands commas and decimals), words, and the two value signs.
_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|[a-z]+|[%°]", re.IGNORECASE)
# Tokens of one number phrase may only be separated by spaces or hyphens ("twenty-five");
# anything else ("twenty, five") ends the phrase.
_JOIN = re.compile(r"[\s-]*")

_SMALL_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SMALL: dict[str, int] = {w: n for n, w in enumerate(_SMALL_WORDS)}
_TENS: dict[str, int] = {w: 10 * n for n, w in enumerate(_TENS_WORDS, 2)}
# Words that only count after "a" or alone ("a couple", "a dozen"); never "a" by itself.
_GROUPS: dict[str, int] = {"couple": 2, "dozen": 12}
_AFTER_A = {"hundred", "thousand", *_GROUPS}
_DIGIT_WORDS = {w: n for w, n in _SMALL.items() if n < 10}
_FRACTIONS: dict[str, float] = {"half": 0.5, "quarter": 0.25}  # alone, after "a" or "and"

_PERCENT_SIGNS = {"%", "percent", "pct"}
_DEGREE_SIGNS = {"°", "degree", "degrees", "celsius", "centigrade", "fahrenheit", "c", "f"}
_MINUS = {"minus", "negative"}
_DURATION_UNITS: dict[str, str] = {
    **dict.fromkeys(("hour", "hours", "hr", "hrs"), "hours"),
    # "minuets": how a recognizer often writes "minutes"
    **dict.fromkeys(("minute", "minutes", "min", "mins", "minuets", "minuet"), "minutes"),
    **dict.fromkeys(("second", "seconds", "sec", "secs"), "seconds"),
}
_OTHER_UNITS = _DEGREE_SIGNS | set(_DURATION_UNITS)  # a number before these is no percent
_SMALLER_UNIT = {"hours": "minutes", "minutes": "seconds"}

# Percent words, most specific first ("all the way down" before "all the way"); text lowercased.
_PERCENT_WORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\ball the way (?:down|off)\b"), 0),
    (re.compile(r"\b(?:all the way|full|fully|max|maximum)\b"), 100),
    (re.compile(r"\bthree[\s-]+quarters?\b"), 75),
    (re.compile(r"\bquarter\b"), 25),
    (re.compile(r"\btwo[\s-]+thirds?\b"), 67),
    (re.compile(r"\b(?:a|one)[\s-]+third\b"), 33),
    (re.compile(r"\bhalf(?:[\s-]*way)?\b"), 50),
)

# Synonyms map onto Home Assistant's color list; shades with no clear home (grey, beige,
# indigo) are left out so they parse as None rather than as a guess.
_COLOR_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(("violet", "lilac", "lavender", "magenta", "purplish"), "purple"),
    **dict.fromkeys(("cyan", "aqua", "teal"), "turquoise"),
    **dict.fromkeys(("amber", "orangey", "orangish"), "orange"),
    **dict.fromkeys(("gold", "golden", "yellowish"), "yellow"),
    **dict.fromkeys(("crimson", "scarlet", "reddish"), "red"),
    **dict.fromkeys(("warm white", "cool white", "cold white", "soft white", "daylight"), "white"),
    **dict.fromkeys(("navy", "navy blue", "sky blue", "light blue", "bluish"), "blue"),
    **dict.fromkeys(("lime", "greenish"), "green"),
    **dict.fromkeys(("rose", "fuchsia", "pinkish"), "pink"),
}
_COLOR_WORDS: dict[str, str] = {c: c for c in COLORS} | _COLOR_SYNONYMS
_SPACES = re.compile(r"[\s-]+")
# Longest first so "sky blue" wins over "blue"; \b keeps "red" out of "bored" and "tired".
_COLOR_RE = re.compile(
    r"\b(?:"
    + "|".join(
        r"[\s-]+".join(map(re.escape, w.split()))
        for w in sorted(_COLOR_WORDS, key=len, reverse=True)
    )
    + r")\b",
    re.IGNORECASE,
)


class _Tok(NamedTuple):
    word: str  # lowercased
    start: int
    end: int
    joined: bool  # separated from the previous token by only spaces / hyphens


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        joined = bool(out) and _JOIN.fullmatch(text, out[-1].end, m.start()) is not None
        out.append(_Tok(m.group().lower(), m.start(), m.end(), joined))
    return out


def _word(toks: list[_Tok], start: int, k: int) -> str | None:
    """Token k's word if it still belongs to the phrase that began at start, else None."""
    if k >= len(toks) or (k > start and not toks[k].joined):
        return None
    return toks[k].word


def _tidy(value: Number) -> Number:
    """Whole floats become ints (25, not 25.0); others lose float noise."""
    if isinstance(value, float):
        value = round(value, 6)
        return int(value) if value.is_integer() else value
    return value


def _int_words(toks: list[_Tok], i: int) -> tuple[int, int] | None:
    """A spelled whole number at i ("two hundred and fifty"): (value, end index)."""
    k = i
    if _word(toks, i, k) in ("a", "an"):
        if _word(toks, i, k + 1) not in _AFTER_A:
            return None  # "a" alone is never 1
        k += 1
    if (group := _word(toks, i, k)) in _GROUPS:
        return _GROUPS[group], k + 1
    total = cur = 0
    last: str | None = None  # kind of the previous word: small, tens, hundred, thousand
    while (w := _word(toks, i, k)) is not None:
        nxt = _word(toks, i, k + 1)
        if w == "and" and last in ("hundred", "thousand") and (nxt in _TENS or nxt in _SMALL):
            k += 1  # "two hundred and fifty"; "and a half" is left for the caller
            continue
        if w == "zero":
            if last is None:
                return 0, k + 1
            break
        if w in _SMALL and (
            last in (None, "hundred", "thousand") or (last == "tens" and _SMALL[w] < 10)
        ):
            cur, last = cur + _SMALL[w], "small"
        elif w in _TENS and last in (None, "hundred", "thousand"):
            cur, last = cur + _TENS[w], "tens"
        elif w == "hundred" and last in (None, "small", "tens") and cur < 100:
            cur, last = (cur or 1) * 100, "hundred"
        elif w == "thousand" and total == 0 and last != "thousand":
            total, cur, last = (cur or 1) * 1000, 0, "thousand"
        else:
            break
        k += 1
    return None if last is None else (total + cur, k)


def _fraction_at(toks: list[_Tok], start: int, k: int) -> tuple[float, int] | None:
    """ "half", "a half", "a quarter" at k: (value, end index)."""
    article = 1 if _word(toks, start, k) in ("a", "an") else 0
    frac = _word(toks, start, k + article)
    return (_FRACTIONS[frac], k + article + 1) if frac in _FRACTIONS else None


def _number_at(toks: list[_Tok], i: int) -> tuple[Number, int] | None:
    """The longest number phrase starting at token i: (value, end index), or None."""
    w = _word(toks, i, i)
    if w is None:
        return None
    if (frac := _fraction_at(toks, i, i)) is not None:
        return frac
    value: Number
    if w[0].isdigit():
        digits = w.replace(",", "")
        value, k = (float(digits) if "." in digits else int(digits)), i + 1
    elif (whole := _int_words(toks, i)) is not None:
        value, k = whole
    else:
        return None
    if not isinstance(value, int):
        return value, k
    after = _word(toks, i, k)
    if after in ("quarter", "quarters") and 1 <= value <= 3:  # "three quarters"
        return value / 4, k + 1
    if after == "and" and (frac := _fraction_at(toks, i, k + 1)) is not None:
        return value + frac[0], frac[1]  # "twenty one and a half", "one and a quarter"
    decimals = ""
    while after == "point" and (d := _word(toks, i, k + 1 + len(decimals))) in _DIGIT_WORDS:
        decimals += str(_DIGIT_WORDS[d])
    if decimals:  # "one point five"; a bare "point" is not part of the number
        return float(f"{value}.{decimals}"), k + 1 + len(decimals)
    return value, k


def _spans(toks: list[_Tok]) -> list[tuple[int, int, Number]]:
    """(first token, end token, value) of each number phrase, longest match, in order."""
    out: list[tuple[int, int, Number]] = []
    i = 0
    while i < len(toks):
        got = _number_at(toks, i)
        if got is None:
            i += 1
            continue
        out.append((i, got[1], _tidy(got[0])))
        i = got[1]
    return out


def _next_word(toks: list[_Tok], end: int) -> str | None:
    return toks[end].word if end < len(toks) and toks[end].joined else None


def _percent_after(toks: list[_Tok], end: int) -> bool:
    """Whether a percent sign follows the number ending at end ("%", "percent", "per cent")."""
    after = _next_word(toks, end)
    return after in _PERCENT_SIGNS or (after == "per" and _next_word(toks, end + 1) == "cent")


def parse_number(text: str) -> Number | None:
    """The number that is all of text ("twenty five" -> 25, "one point five" -> 1.5)."""
    toks = _tokens(text)
    sign, i = 1, 0
    if toks and toks[0].word in _MINUS:
        sign, i = -1, 1
    elif text.strip().startswith("-"):
        sign = -1
    got = _number_at(toks, i)
    if got is None or got[1] != len(toks):
        return None
    return _tidy(sign * got[0])


def find_numbers(text: str) -> list[tuple[int, int, Number]]:
    """(start char, end char, value) of every number phrase in a sentence, in order.

    A span covers only the number: in "50%" it is "50". Signs are not read here.
    """
    toks = _tokens(text)
    return [(toks[i].start, toks[j - 1].end, v) for i, j, v in _spans(toks)]


def _as_percent(value: Number) -> int | None:
    # Above 100 is a mis-hearing, not something to clamp; halves round up ("12.5%" -> 13).
    return int(value + 0.5) if 0 <= value <= 100 else None


def parse_percent(text: str) -> int | None:
    """A percent 0-100 from a fragment: "50%", "fifty percent", "half", "three quarters"."""
    toks = _tokens(text)
    spans = _spans(toks)
    for _i, j, value in spans:
        if _percent_after(toks, j):
            return _as_percent(value)
    for pattern, value in _PERCENT_WORDS:
        if pattern.search(text.lower()):
            return value
    # A bare number counts only when it is the only one and no other unit follows it.
    bare = [v for _i, j, v in spans if _next_word(toks, j) not in _OTHER_UNITS]
    return _as_percent(bare[0]) if len(spans) == 1 and len(bare) == 1 else None


def _negative(text: str, toks: list[_Tok], i: int) -> bool:
    if i > 0 and toks[i - 1].word in _MINUS and toks[i].joined:
        return True
    start = toks[i].start
    # "-5", but not the range dash in "5-10"
    return start > 0 and text[start - 1] == "-" and (start < 2 or not text[start - 2].isalnum())


def parse_temperature(text: str) -> Number | None:
    """Degrees as said ("21.5°", "twenty one and a half degrees", "minus five"); no unit change."""
    toks = _tokens(text)
    marked: list[Number] = []
    bare: list[Number] = []
    for i, j, value in _spans(toks):
        after = _next_word(toks, j)
        if _percent_after(toks, j) or after in _DURATION_UNITS:
            continue
        signed = _tidy(-value if _negative(text, toks, i) else value)
        (marked if after in _DEGREE_SIGNS else bare).append(signed)
    if marked:
        return marked[0] if len(marked) == 1 else None
    return bare[0] if len(bare) == 1 else None


def _duration_at(toks: list[_Tok], i: int) -> tuple[str, Number, int] | None:
    """An amount and its unit at i: (unit key, amount, end index), or None."""
    if _word(toks, i, i) in ("a", "an", "another", "one more") and (
        _word(toks, i, i + 1) in _DURATION_UNITS
    ):
        amount, k = 1, i + 1  # "an hour", "a minute", "another minute"
    elif (got := _number_at(toks, i)) is not None:
        amount, k = got
    else:
        return None
    if _word(toks, i, k) == "of":  # "a couple of minutes", "quarter of an hour"
        k += 1
    if amount < 1 and _word(toks, i, k) in ("a", "an"):  # "half an hour"
        k += 1
    if _word(toks, i, k) in ("more", "extra"):  # "five more minutes"
        k += 1
    unit = _DURATION_UNITS.get(_word(toks, i, k) or "")
    if unit is None:
        return None
    k += 1
    whole = float(amount).is_integer()
    if whole and _word(toks, i, k) == "and" and (frac := _fraction_at(toks, i, k + 1)):
        amount, k = amount + frac[0], frac[1]  # "an hour and a half"
    return unit, amount, k


def _add_duration(out: dict[str, int], unit: str, amount: Number) -> bool:
    """Add amount of unit; a fraction carries into the next smaller unit (1.5 h = 1 h 30 min)."""
    amount = round(amount, 6)
    whole = int(amount)
    frac = round(amount - whole, 6)
    if whole or not frac:  # "half an hour" says no hours
        out[unit] = out.get(unit, 0) + whole
    if not frac:
        return True
    smaller = _SMALLER_UNIT.get(unit)
    return smaller is not None and _add_duration(out, smaller, frac * 60)


def parse_duration(text: str) -> dict[str, int] | None:
    """The duration in a sentence as {"hours", "minutes", "seconds"}, only the units said.

    "set a timer for an hour and a half" -> {"hours": 1, "minutes": 30}. A unit said twice or
    a fraction of a second gives None.
    """
    toks = _tokens(text)
    out: dict[str, int] = {}
    said: set[str] = set()
    i = 0
    while i < len(toks):
        got = _duration_at(toks, i)
        if got is None:
            i += 1
            continue
        unit, amount, i = got
        if unit in said or not _add_duration(out, unit, amount):
            return None
        said.add(unit)
    return {u: out[u] for u in ("hours", "minutes", "seconds") if u in out} or None


_EXTRA = re.compile(
    r"\b(an?|one|\d+|[a-z]+) (?:extra|additional|more) (seconds?|minutes?|hours?)\b", re.IGNORECASE
)


def parse_change(text: str) -> dict[str, int] | None:
    """How much a timer changes by: the duration said that does not name the timer.

    "add 5 minutes to the 10 minute timer" -> {"minutes": 5}: a duration right before
    "timer" or right after "timer for/of" says which timer, not how much. None when no other
    duration, or more than one, is said.
    """
    text = _EXTRA.sub(r"\1 \2", text)  # "an extra minute": a minute
    toks = _tokens(text)
    words = [t.word for t in toks]
    groups: list[tuple[int, int]] = []  # token ranges of durations said together
    i = 0
    while i < len(toks):
        got = _duration_at(toks, i)
        if got is None:
            i += 1
            continue
        end = got[2]
        if groups and (groups[-1][1] == i or words[groups[-1][1] : i] == ["and"]):
            groups[-1] = (groups[-1][0], end)  # "an hour and 5 minutes", "1 hour 30 seconds"
        else:
            groups.append((i, end))
        i = end
    change = [
        (a, b) for a, b in groups
        if words[b : b + 1] not in (["timer"], ["timers"])
        and words[max(0, a - 2) : a] not in (["timer", "for"], ["timer", "of"])
    ]  # fmt: skip
    if len(change) != 1:
        return None
    a, b = change[0]
    return parse_duration(text[toks[a].start : toks[b - 1].end])


def parse_color(text: str) -> str | None:
    """The Home Assistant color named in a sentence ("crimson" -> "red"); None if two differ."""
    found = {_COLOR_WORDS[_SPACES.sub(" ", m.group().lower())] for m in _COLOR_RE.finditer(text)}
    return found.pop() if len(found) == 1 else None
