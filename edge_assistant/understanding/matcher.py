"""Find the device, area, floor or person a spoken phrase means.

Spelling (rapidfuzz over the words that carry meaning) catches ASR slips and word order;
meaning (cosine of sentence embeddings from the text encoder) catches descriptions like
"the thing that makes coffee". Names' embeddings are computed once per home.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from rapidfuzz import fuzz

T = TypeVar("T")
Embed = Callable[[Sequence[str]], np.ndarray]

_STOP = {"the", "a", "an", "my", "our", "your", "that", "this", "those", "these", "in", "on",
         "at", "of", "by", "to", "next", "near", "thing", "one", "please", "all", "every",
         "which", "with", "is", "and", "its", "it's", "up", "over", "there", "little"}  # fmt: skip
_WORD = re.compile(r"[a-z0-9']+")


def content_words(text: str) -> str:
    words = [w.removesuffix("'s") for w in _WORD.findall(text.lower())]
    kept = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
            for w in words if w not in _STOP]  # fmt: skip
    return " ".join(kept)


@dataclass(frozen=True)
class Match(Generic[T]):
    item: T
    spoken: str
    score: float


class Matcher(Generic[T]):
    """Score a phrase against every spoken name of a set of items."""

    def __init__(
        self, items: Sequence[tuple[T, Sequence[str]]], embed: Embed | None = None
    ) -> None:
        self._entries = [(item, name) for item, names in items for name in names]
        self._clean = [content_words(name) for _, name in self._entries]
        self._embed = embed
        self._vectors = embed([n for _, n in self._entries]) if embed and self._entries else None

    def best(
        self,
        phrase: str,
        keep: Callable[[T], bool] = lambda _: True,
        bonus: Callable[[T], float] = lambda _: 0.0,
    ) -> Match[T] | None:
        if not self._entries:
            return None
        query = content_words(phrase) or phrase.lower()
        spelling = np.array([fuzz.token_set_ratio(query, c) / 100 for c in self._clean])
        score = spelling
        if self._vectors is not None and self._embed is not None:
            meaning = self._vectors @ self._embed([phrase])[0]
            score = 0.6 * spelling + 0.4 * np.clip(meaning, 0, 1)
        best: Match[T] | None = None
        for (item, name), s in zip(self._entries, score, strict=True):
            if not keep(item):
                continue
            total = float(s) + bonus(item)
            if best is None or total > best.score:
                best = Match(item, name, total)
        return best
