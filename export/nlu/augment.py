"""Make clean template sentences sound like real speech, keeping slot spans exact.

Politeness and its absence, filler words, self-talk, ASR-like slips (of/off, to/too,
dropped articles, lowercase without punctuation). Words inside a slot span are never
touched, so labels stay true.
"""

from __future__ import annotations

import random
import re

from export.nlu.fill import Sample

PREFIXES = ["please", "can you", "could you", "would you", "hey", "ok", "so", "um", "uh",
            "yo", "could you please", "can you please", "i want you to", "i'd like you to",
            "would you mind", "go ahead and", "quickly", "right", "okay so", "hey there",
            "pls", "just"]  # fmt: skip
SUFFIXES = ["please", "for me", "thanks", "thank you", "now", "right now", "pls", "asap",
            "if you can", "would you", "real quick", "cheers"]  # fmt: skip
# Reasons people give after a request ("open the drapes it's a lovely morning"): the request
# is still one; a reason never names what to act on.
REASONS = ["it's freezing", "it's too dark", "we've got guests coming", "i'm going to bed",
           "the baby's asleep", "for the film", "when you get a chance", "if you would",
           "i'm on a call", "it's getting late", "it's boiling in here", "we're off out",
           "the kids are asleep", "for our guests", "i can't see a thing", "it's a lovely day"]  # fmt: skip
FILLERS = ["uh", "um", "like", "erm", "you know", "uhh", "hmm", "so"]
SLIPS = {"off": ["of"], "to": ["too", "two"], "the": ["a", "da", ""], "lights": ["lites"],
         "light": ["lite"], "on": ["un"], "for": ["four"], "is": ["s"], "turn": ["turned", "tern"],
         "set": ["said", "sit"], "in": ["and", "an"]}  # fmt: skip
_WORD = re.compile(r"\S+")


def augment(sample: Sample, rng: random.Random, strength: float = 1.0) -> Sample:
    words = [(m.start(), m.end()) for m in _WORD.finditer(sample.text)]
    protected = [any(s <= a and b <= e for s, e, _ in sample.spans) for a, b in words]
    out: list[tuple[str, int | None]] = []  # (word, index of original word or None)
    if rng.random() < 0.35 * strength:
        out += [(w, None) for w in rng.choice(PREFIXES).split()]
    for i, (a, b) in enumerate(words):
        word = sample.text[a:b]
        if not protected[i] and word in SLIPS and rng.random() < 0.08 * strength:
            word = rng.choice(SLIPS[word])
        if word:
            out.append((word, i))
        if i < len(words) - 1 and rng.random() < 0.04 * strength:
            out += [(w, None) for w in rng.choice(FILLERS).split()]
    if rng.random() < 0.25 * strength:
        out += [(w, None) for w in rng.choice(SUFFIXES).split()]
    elif rng.random() < 0.06 * strength:
        out += [(w, None) for w in rng.choice(REASONS).split()]
    return _rebuild(sample, words, out)


def _rebuild(
    sample: Sample, words: list[tuple[int, int]], out: list[tuple[str, int | None]]
) -> Sample:
    text, starts, ends = "", {}, {}
    for word, index in out:
        if text:
            text += " "
        if index is not None:
            starts[index] = len(text)
        text += word
        if index is not None:
            ends[index] = len(text)
    spans = []
    for s, e, kind in sample.spans:
        inside = [i for i, (a, b) in enumerate(words) if s <= a and b <= e]
        if inside and all(i in starts for i in inside):
            spans.append((starts[inside[0]], ends[inside[-1]], kind))
    return Sample(
        text,
        sample.intent,
        sample.slots,
        spans,
        sample.target,
        sample.context,
        sample.template,
        sample.home,
        dict(sample.extra, augmented=True),
    )
