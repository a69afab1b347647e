"""Mark the tokens that spell one of the home's names.

Words alone cannot tell "the bedside lamp" (a device) from "the bedroom lamp" (an area and
a kind): only the home can. These per-token features (inside a device name or alias, an
area, a floor, a person) let the fusion model read the home the way Home Assistant's
matcher reads its name lists, while still tagging names it has never seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from edge_assistant.home.model import Home

GAZETTEER_FEATURES: tuple[str, ...] = ("device", "area", "floor", "person")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _norm(word: str) -> str:
    word = word.removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(_norm(m.group()), m.start(), m.end()) for m in _WORD.finditer(text.lower())]


class Gazetteer:
    def __init__(self, home: Home, people: Iterable[str] = ()) -> None:
        self._phrases: list[set[tuple[str, ...]]] = [
            _phrases(n for d in home.devices for n in d.spoken_names()),
            _phrases(n for a in home.areas for n in a.spoken_names()),
            _phrases(n for f in home.floors for n in f.spoken_names()),
            _phrases([p.name for p in home.people] + list(people)),
        ]
        self._longest = max((len(p) for s in self._phrases for p in s), default=0)

    def features(self, text: str, offsets: list[tuple[int, int]]) -> np.ndarray:
        """(len(offsets), len(GAZETTEER_FEATURES)) float32: 1 where a token lies inside a
        phrase of the home's names of that kind."""
        out = np.zeros((len(offsets), len(GAZETTEER_FEATURES)), dtype=np.float32)
        words = _words(text)
        for k, phrases in enumerate(self._phrases):
            for start, end in _matches(words, phrases, self._longest):
                for t, (a, b) in enumerate(offsets):
                    if b > a and a >= start and b <= end:
                        out[t, k] = 1.0
        return out


def _phrases(names: Iterable[str]) -> set[tuple[str, ...]]:
    return {tuple(w for w, _, _ in _words(name)) for name in names} - {()}


def _matches(
    words: list[tuple[str, int, int]], phrases: set[tuple[str, ...]], longest: int
) -> list[tuple[int, int]]:
    spans = []
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            if tuple(w for w, _, _ in words[i : i + n]) in phrases:
                spans.append((words[i][1], words[i + n - 1][2]))
                break
    return spans
