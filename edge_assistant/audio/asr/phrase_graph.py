"""The sentences of a JSGF grammar as a graph of word occurrences: whole-sentence checks,
where a partial reading stands (the endpointer ends a command as soon as nothing can follow
it), and sentences covering every word pair (what Vosk is given as its phrase list)."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from edge_assistant.audio.asr.base import AsrError, SentenceStatus


class PhraseGraph:
    """The sentences of a grammar as a graph of word occurrences (a Glushkov automaton):
    ``follow[i]`` holds the occurrences that may come right after occurrence ``i``. It checks
    whole sentences and lists sentences covering every word pair, in a few ms per grammar."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.follow: list[set[int]] = []
        self.first: frozenset[int] = frozenset()
        self.last: frozenset[int] = frozenset()
        self.nullable = False

    @classmethod
    def from_jsgf(cls, jsgf: str, rule: str | None = None) -> PhraseGraph:
        """The grammar of the subset of JSGF ``build_jsgf`` writes: one rule per line, words,
        ``( a | b )``, ``[ optional ]``, ``<rule>``, ``<NULL>`` and ``<VOID>``. ``rule``:
        the rule to read (default: the first public one)."""
        rules: dict[str, list[str]] = {}
        public: list[str] = []
        for line in jsgf.splitlines():
            match = _RULE.match(line)
            if match:
                rules[match[2]] = _TOKEN.findall(match[3])
                public += [match[2]] if match[1] else []
        if not rules:
            raise AsrError("the grammar has no rules")
        top = public[0] if public else next(iter(rules))
        if rule is not None:
            if rule not in rules:
                raise AsrError(f"the grammar has no rule <{rule}>")
            top = rule
        graph = cls()
        graph._set(graph._rule(top, rules, 0))
        return graph

    @classmethod
    def from_phrases(cls, phrases: list[str]) -> PhraseGraph:
        """One or more of ``phrases`` in a row, as Vosk's decoder hears a phrase list."""
        graph = cls()
        tokens = [t for p in phrases if p for t in ("|", "(", *p.split(), ")")][1:]
        whole, _ = graph._alternatives(tokens or ["<VOID>"], 0, {}, 0)
        for i in whole.last:
            graph.follow[i] |= whole.first
        graph._set(whole)
        return graph

    def vocabulary(self) -> set[str]:
        return set(self.words)

    def accepts(self, words: list[str]) -> bool:
        if not words:
            return self.nullable
        now = {i for i in self.first if self.words[i] == words[0]}
        for word in words[1:]:
            now = {j for i in now for j in self.follow[i] if self.words[j] == word}
        return bool(now & self.last)

    def status(self, words: list[str]) -> SentenceStatus:
        """Whether ``words`` are a whole sentence, and whether a longer one begins with them."""
        if not words:
            return SentenceStatus.INCOMPLETE
        now = {i for i in self.first if self.words[i] == words[0]}
        for word in words[1:]:
            now = {j for i in now for j in self.follow[i] if self.words[j] == word}
        if not now & self.last:
            return SentenceStatus.INCOMPLETE
        if any(self.follow[i] for i in now):
            return SentenceStatus.EXTENDABLE
        return SentenceStatus.COMPLETE

    def without(self, missing: set[str]) -> PhraseGraph:
        """The same graph with no path through the ``missing`` words."""
        graph = PhraseGraph()
        keep = [w not in missing for w in self.words]
        graph.words = self.words
        graph.follow = [
            {j for j in f if keep[j]} if keep[i] else set() for i, f in enumerate(self.follow)
        ]
        graph.first = frozenset(i for i in self.first if keep[i])
        graph.last = frozenset(i for i in self.last if keep[i])
        graph.nullable = self.nullable
        return graph

    def cover(self) -> list[str]:
        """Sentences of the grammar in which every word pair it allows (and every first and
        last word) occurs at least once: shortest way in, the pair, shortest way out."""
        n = len(self.words)
        into = _shortest(n, self.first, lambda i: self.follow[i])
        back: list[list[int]] = [[] for _ in range(n)]
        for i, nexts in enumerate(self.follow):
            for j in nexts:
                back[j].append(i)
        out = _shortest(n, self.last, lambda j: back[j])
        sentences: dict[str, None] = {}
        seen: set[tuple[str, str]] = set()

        def path(links: list[int], i: int) -> list[str]:
            words = []
            while i >= 0:
                words.append(self.words[i])
                i = links[i]
            return words

        for i in range(n):
            if into[i] == _UNREACHED or out[i] == _UNREACHED:
                continue
            wants = [((self.words[i], self.words[j]), j) for j in self.follow[i]]
            wants += [(("<s>", self.words[i]), -1)] if i in self.first else []
            wants += [((self.words[i], "</s>"), -1)] if i in self.last else []
            for pair, j in wants:
                if pair in seen or (j >= 0 and out[j] == _UNREACHED):
                    continue
                seen.add(pair)
                head = [] if pair[0] == "<s>" else path(into, i)[::-1]
                tail = [] if pair[1] == "</s>" else path(out, j if j >= 0 else i)
                sentences[" ".join(head + tail)] = None
        return list(sentences)

    def _set(self, whole: _Part) -> None:
        self.first, self.last, self.nullable = whole.first, whole.last, whole.nullable

    def _rule(self, name: str, rules: dict[str, list[str]], depth: int) -> _Part:
        if name == "NULL":
            return _Part(frozenset(), frozenset(), True)
        if name == "VOID" or name not in rules:
            return _Part(frozenset(), frozenset(), False)
        if depth > 32:
            raise AsrError(f"grammar rule <{name}> refers to itself")
        part, _ = self._alternatives(rules[name], 0, rules, depth + 1)
        return part

    def _alternatives(
        self, tokens: list[str], i: int, rules: dict[str, list[str]], depth: int
    ) -> tuple[_Part, int]:
        options = []
        while True:
            part, i = self._sequence(tokens, i, rules, depth)
            options.append(part)
            if i < len(tokens) and tokens[i] == "|":
                i += 1
                continue
            return _Part(
                frozenset().union(*(p.first for p in options)),
                frozenset().union(*(p.last for p in options)),
                any(p.nullable for p in options),
            ), i

    def _sequence(
        self, tokens: list[str], i: int, rules: dict[str, list[str]], depth: int
    ) -> tuple[_Part, int]:
        whole = _Part(frozenset(), frozenset(), True)
        while i < len(tokens) and tokens[i] not in ("|", ")", "]"):
            token = tokens[i]
            if token in ("(", "["):
                part, i = self._alternatives(tokens, i + 1, rules, depth)
                if token == "[":
                    part = _Part(part.first, part.last, True)
            elif token.startswith("<"):
                part = self._rule(token[1:-1], rules, depth)
            else:
                self.words.append(token)
                self.follow.append(set())
                part = _Part(
                    frozenset([len(self.words) - 1]), frozenset([len(self.words) - 1]), False
                )
            i += 1
            for j in whole.last:
                self.follow[j] |= part.first
            whole = _Part(
                whole.first | (part.first if whole.nullable else frozenset()),
                part.last | (whole.last if part.nullable else frozenset()),
                whole.nullable and part.nullable,
            )
        return whole, i


@dataclass(frozen=True)
class _Part:
    first: frozenset[int]
    last: frozenset[int]
    nullable: bool


_RULE = re.compile(r"^\s*(public\s+)?<([^>]+)>\s*=\s*(.*);\s*$")
_TOKEN = re.compile(r"<[^>]+>|[()\[\]|]|[^\s()\[\]|<>;]+")
_UNREACHED = -2


def _shortest(n: int, starts: frozenset[int], nexts: Callable[[int], Iterable[int]]) -> list[int]:
    """Breadth-first links: ``links[i]`` is the occurrence before ``i`` on a shortest path
    from ``starts`` (-1 at a start, ``_UNREACHED`` when none)."""
    links = [_UNREACHED] * n
    queue = deque(starts)
    for i in starts:
        links[i] = -1
    while queue:
        i = queue.popleft()
        for j in nexts(i):
            if links[j] == _UNREACHED:
                links[j] = i
                queue.append(j)
    return links
