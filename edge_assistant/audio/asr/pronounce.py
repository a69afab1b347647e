"""Pronunciations for a grammar's words: the recognizer's dictionary, the user's own entries,
and compounds of known words ("nightlight" = night + light). Anything else is named in an
error so the user can add it, instead of the word silently never being heard."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from edge_assistant.audio.asr.base import AsrError

_MIN_PIECE = 2  # shortest dictionary word a compound may be split into
_PLURAL = {"S": "Z", "Z": "IH Z", "SH": "IH Z", "CH": "IH Z", "JH": "IH Z", "ZH": "IH Z",
           "P": "S", "T": "S", "K": "S", "F": "S", "TH": "S"}  # fmt: skip


@cache
def read_dictionary(path: Path) -> dict[str, str]:
    """word -> first pronunciation, from a CMU-style dictionary ("word(2)" variants aside)."""
    return {word: variants[0] for word, variants in read_variants(path).items()}


@cache
def read_variants(path: Path) -> dict[str, list[str]]:
    """word -> every pronunciation ("the" is DH AH and DH IY: both must be heard)."""
    entries: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            word, _, phones = line.strip().partition(" ")
            if phones:
                entries.setdefault(word.split("(")[0], []).append(phones.strip())
    return entries


def pronunciations(
    words: Iterable[str], dictionary: dict[str, str], extra: dict[str, str], source: str
) -> dict[str, str]:
    """Phones for every word: ``extra`` (the user's) > dictionary > derived; else an error
    listing every word that has none (``source`` names where to add them)."""
    found: dict[str, str] = {}
    missing = []
    for word in sorted(set(words)):
        phones = extra.get(word) or dictionary.get(word) or derive(word, dictionary)
        if phones:
            found[word] = phones
        else:
            missing.append(word)
    if missing:
        raise AsrError(
            f"no pronunciation for {len(missing)} word(s) of the grammar: {', '.join(missing)}. "
            f"Add them under {source} as word: phones (ARPAbet, e.g. roomba: R UW M B AH), "
            "or rename the device/area in home.yaml."
        )
    return found


def derive(word: str, dictionary: dict[str, str]) -> str | None:
    """A pronunciation built from dictionary words: an apostrophe put back ("wheres"),
    a plural ("awnings"), or a compound of up to three known words ("worktop")."""
    for index in range(1, len(word)):
        with_apostrophe = f"{word[:index]}'{word[index:]}"
        if with_apostrophe in dictionary:
            return dictionary[with_apostrophe]
    if word.endswith("s") and (stem := _compound(word[:-1], dictionary, 3)):
        return f"{stem} {_PLURAL.get(stem.split()[-1], 'Z')}"
    return _compound(word, dictionary, 3)


def _compound(word: str, dictionary: dict[str, str], parts: int) -> str | None:
    if word in dictionary:
        return dictionary[word]
    if parts == 1:
        return None
    for cut in range(len(word) - _MIN_PIECE, _MIN_PIECE - 1, -1):  # longest head first
        head = dictionary.get(word[:cut])
        if head and (tail := _compound(word[cut:], dictionary, parts - 1)):
            return f"{head} {tail}"
    return None
