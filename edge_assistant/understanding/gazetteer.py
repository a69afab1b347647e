"""Mark the tokens that spell one of the home's names.

Words alone cannot tell "the bedside lamp" (a device) from "the bedroom lamp" (an area and
a kind): only the home can. These per-token features (inside a device name or alias, an
area, a floor, a person) let the fusion model read the home the way Home Assistant's
matcher reads its name lists, while still tagging names it has never seen. The resolver
uses the same matches: a device's exact name beats a generic reading of the words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from edge_assistant.home.model import Home

GAZETTEER_FEATURES: tuple[str, ...] = ("device", "area", "floor", "person")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

Phrase = tuple[str, ...]


def _norm(word: str) -> str:
    word = word.removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(_norm(m.group()), m.start(), m.end()) for m in _WORD.finditer(text.lower())]


class Gazetteer:
    def __init__(self, home: Home, people: Iterable[str] = ()) -> None:
        self._index: list[dict[Phrase, Any]] = [
            _index((n, d) for d in home.devices for n in d.spoken_names()),
            _index((n, a) for a in home.areas for n in a.spoken_names()),
            _index((n, f) for f in home.floors for n in f.spoken_names()),
            _index((n, n) for n in [*(p.name for p in home.people), *people]),
        ]
        self._longest = max((len(p) for index in self._index for p in index), default=0)

    def matches(self, text: str, feature: str) -> list[tuple[int, int, Any]]:
        """(start, end, item) of every longest non-overlapping name of that kind, in order."""
        index = self._index[GAZETTEER_FEATURES.index(feature)]
        words = _words(text)
        found, i = [], 0
        while i < len(words):
            for n in range(min(self._longest, len(words) - i), 0, -1):
                phrase = tuple(w for w, _, _ in words[i : i + n])
                if phrase in index:
                    found.append((words[i][1], words[i + n - 1][2], index[phrase]))
                    i += n
                    break
            else:
                i += 1
        return found

    def features(self, text: str, offsets: list[tuple[int, int]]) -> np.ndarray:
        """(len(offsets), len(GAZETTEER_FEATURES)) float32: 1 where a token lies inside a
        phrase of the home's names of that kind."""
        out = np.zeros((len(offsets), len(GAZETTEER_FEATURES)), dtype=np.float32)
        for k, feature in enumerate(GAZETTEER_FEATURES):
            for start, end, _ in self.matches(text, feature):
                for t, (a, b) in enumerate(offsets):
                    if b > a and a >= start and b <= end:
                        out[t, k] = 1.0
        return out


def _index(named: Iterable[tuple[str, Any]]) -> dict[Phrase, Any]:
    index: dict[Phrase, Any] = {}
    for name, item in named:
        phrase = tuple(w for w, _, _ in _words(name))
        if phrase:
            index.setdefault(phrase, item)
    return index
