"""Asides said around a command: a reason after it ("open the drapes it's a lovely morning",
"stop the sprinklers it's started raining", "put the big light on 5 percent for the film"),
or what led to it before it ("everyone's gone home so switch the patio lights off").

People give reasons; the model, trained on commands and on statements that are no command,
may read the whole as a statement and do nothing. ``without_asides`` gives the command part
alone, to be read again when the whole sentence was not understood; what the aside says
never adds anything to the command. A request withdrawn or said to someone else is judged on
the whole sentence (``Understander``), so an aside never turns talk into an action.
"""

from __future__ import annotations

import re
from itertools import pairwise

from edge_assistant.understanding.several import VERBS
from edge_assistant.understanding.values import find_numbers

# A clause that gives a reason, said after a whole command: it starts with a subject and a
# verb ("it's", "we've got", "the sun's", "my feet are"), a "because", a purpose ("for the
# film", "for our guest") or a softener ("when you get a chance", "if you would").
_REASON = re.compile(
    r"\s+(?:because|cause|cos|coz|since|"
    r"it's|it is|its|i'm|im|i am|i've|i have|i can't|i cannot|i can|i want to|i wanna|"
    r"i need to|we're|we are|we've|we have|we need|you're|she's|he's|they're|they've|"
    r"there's|there is|there are|everyone's|everybody's|nobody's|someone's|"
    r"(?:the|my|our) [a-z]+(?:'s| is| are| has| have| keeps)|"
    r"(?:the|my|our) [a-z]+ [a-z]+(?:'s| is| are| has| have)|"
    r"for (?:the|our|my|a bit of|some) (?![a-z]+ (?:minutes?|hours?|seconds?)\b)|"
    r"when you (?:get|have) a (?:chance|sec|second|minute|moment)|when you can|"
    r"if you (?:would|could|don't mind|do not mind|can|will|please)|"
    r"will you|would you|would ya|will ya|won't you|ta|cheers|thanks)\b"
)
# What led to a command, said before it and joined by "so": "the film's starting so dim the
# big light". The part after the joint is the request.
_LED_TO = re.compile(r"\s+(?:and )?so (?:can you |could you |would you |please |just )*")
_MIN_WORDS = 2
# What a request left before a reason starts with: a verb of the home's commands, a polite
# lead ("can you", "please"), or a thing with its on or off ("patio lights on"). "I turned
# the sprinkler off because …" and "next up on the playlist we've got …" are told, not asked.
_ASKED = re.compile(
    rf"(?:(?:please|pls|kindly|just|can you|could you|would you|will you|can ye|could ye)\s+)*"
    rf"(?:(?:{'|'.join(VERBS)}|get|pop|stick|chuck|fire|give|hit|bring|go|tell|let's|lets)\b"
    r"|(?:the |my )?[a-z']+(?: [a-z']+)? (?:on|off|out)(?: please| pls)?$)"
)


def without_asides(text: str) -> list[str]:
    """The command part of ``text`` without a reason after it or a lead-in before it: the
    longest first. Empty when nothing is set aside."""
    out: list[str] = []
    starts = [m.start() for m in re.finditer(r"\s+", text)]
    for start in reversed(starts):
        if not _REASON.match(text, start):
            continue
        said = text[:start].strip()
        if len(said.split()) >= _MIN_WORDS and said not in out and _ASKED.match(said):
            out.append(said)
    for joint in _LED_TO.finditer(text):
        rest = text[joint.end() :].strip()
        if len(rest.split()) >= _MIN_WORDS and rest not in out:
            out.append(rest)
    if stated := _STATED.match(text):  # "it's baltic in here put the heating up"
        verbs = [v for v in _A_VERB.finditer(text, stated.end())
                 if not _NOT_ASKED_BEFORE.search(text[: v.start()])]  # fmt: skip
        rest = text[verbs[0].start() :].strip() if verbs else ""
        if len(rest.split()) >= _MIN_WORDS and rest not in out:
            out.append(rest)
    return out


# A verb after these is the speaker's own doing: "i'm going to close the curtains".
_NOT_ASKED_BEFORE = re.compile(
    r"\b(?:to|gonna|wanna|'ll|will|would|i|we|you|they|he|she|can|could|should|might|must|"
    r"going|about|let me|let's)\s+$"
)


# A sentence that starts by saying how things are, then asks: the request from its verb.
_STATED = re.compile(
    r"(?:it'?s|it is|i'?m|i am|we'?re|we are|there'?s|the [a-z]+(?:'s| is| are))\s+[a-z']+"
)
_A_VERB = re.compile(rf"\b(?:{'|'.join(VERBS)})\b")


# A speaker correcting themself with a new request: "switch off the garage light wait no
# switch it on", "don't turn the hall light off actually turn it on", "not the big light the
# lamp turn the lamp off". What follows the correction is what is asked.
_CORRECTED = re.compile(
    r"(?:\b(?:wait no|no wait|no no|no sorry|sorry no|no|sorry|i mean|i meant|actually|"
    r"make that|scratch that|or rather|rather)\s+|^not (?:the |my )?(?:[a-z']+ ){1,4}?"
    r"|^(?:no |oh )?(?:don'?t|do not) (?:[a-z']+ ){2,6}?(?=[a-z]+ (?:it|them)\b))"
    rf"(?:(?:please|just|can you|could you)\s+)*(?P<asked>(?:{'|'.join(VERBS)})\b.*)$"
)
_PRONOUN = re.compile(r"\b(?:it|them)\b")
_MARKER_END = re.compile(
    r"(?:\s+(?:wait|no|oh|sorry|um|uh|er|i mean|i meant|actually|make that|scratch that|"
    r"or rather|rather|please|just|can you|could you))+$"
)


# A thing excluded before or after the request: "not the kitchen the bedroom lights off",
# "turn on the floor lamp not the big light".
_NOT_FIRST = re.compile(r"^not (?:the |my )?(?:[a-z']+ ){0,2}?[a-z']+ (?P<asked>(?:the|my) .+)$")
_NOT_AFTER = re.compile(r"\s+(?:and |but )?not (?:the|my) (?:(?!the |my )[a-z']+ ){0,2}[a-z']+$")


def corrected(text: str) -> tuple[str, str] | None:
    """(what was said before the correction, the request after it), or None when no
    correction is followed by a request of its own."""
    if (first := _NOT_FIRST.match(text)) and not _CORRECTED.match(text):
        return "", first.group("asked")
    if (after := _NOT_AFTER.search(text)) and after.start() > 0:
        return "", text[: after.start()]
    found = None
    for start in [0, *(m.end() for m in re.finditer(r"\s+", text))]:
        if (m := _CORRECTED.match(text, start)) is not None and m.start("asked") > 0:
            found = m
    if found is None:
        return None
    before = _MARKER_END.sub("", text[: found.start("asked")].rstrip()).strip()
    return before, found.group("asked").strip()


def with_thing(asked: str, thing: str) -> str:
    """``asked`` with its "it" or "them" said as ``thing`` ("switch it on", "the garage
    light" -> "switch the garage light on")."""
    return _PRONOUN.sub(thing, asked, count=1)


# A number corrected as it is said: "to 20 no 21", "for eight minutes no make that nine".
_NUMBER_FIX = re.compile(
    r"^(?P<unit>\s+(?:minutes?|mins?|seconds?|hours?|degrees?|percent|%))?\s+(?:no|sorry|i mean|"
    r"make that|no make that|actually|wait|or rather|no sorry|no wait)\s+$"
)


_WAY_FIX = re.compile(
    r"\b(?:up|down|on|off|open|closed?) (?:no|sorry|i mean|actually|no sorry|wait no) "
    r"(up|down|on|off|open|closed?)\b"
)


def last_number(text: str) -> str:
    """``text`` with a number or a direction corrected as it was said ("to 20 no 21", "up no
    down") replaced by the last one said."""
    text = _WAY_FIX.sub(r"\1", text)
    numbers = find_numbers(text)
    for (a, b, _), (c, d, _) in pairwise(numbers):
        between = _NUMBER_FIX.match(text[b:c])
        if between is None:
            continue
        unit = between.group("unit") or ""
        said_after = re.match(r"\s+(?:minutes?|mins?|seconds?|hours?|degrees?|percent|%)", text[d:])
        kept = text[c:d] + ("" if said_after else unit)
        return last_number(text[:a] + kept + text[d:])
    return text
