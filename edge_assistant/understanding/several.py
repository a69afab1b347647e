"""Several commands in one sentence: "switch off the telly and turn the lights on", "turn on
the kitchen light, then turn off the one in the living room".

A sentence is cut where a joining word ("and", "then", "and then", "after that", "also", a
comma or a semicolon) is followed by a word that starts a command of its own (an action verb:
"turn", "switch", "open", "set" …). Each clause is then read on its own; the whole sentence is
several commands only when every clause is a command. A joined clause without a verb ("the
kitchen and the hall lights", "add eggs and milk") is never cut: it belongs to the command
before it.

Doing one of two commands said together is a wrong action (the other half is lost, or read
into the first: "turn on the kitchen light, then turn off …" once turned the kitchen light
*off*), so a sentence with several clauses that cannot each be read is refused as a whole.
"""

from __future__ import annotations

import re

# Words that start a command of their own (imperative verbs of the home's intents).
VERBS = (
    "turn", "switch", "shut", "flip", "put", "set", "make", "open", "close", "lock", "unlock",
    "dim", "brighten", "raise", "lower", "start", "stop", "pause", "resume", "play", "skip",
    "mute", "unmute", "activate", "deactivate", "enable", "disable", "arm", "disarm", "kill",
    "cancel", "add", "increase", "decrease", "reduce", "boost", "crank", "lift", "pull",
    "draw", "roll", "send", "dock", "vacuum", "hoover", "adjust", "bump",
)  # fmt: skip
_CUT = re.compile(
    rf"(?:,\s*(?:and then|and also|and|then|after that|also|plus)?\s*|;\s*"
    rf"|\s+(?:and then|and also|and|then|after that|also|plus)\s+)"
    rf"(?:(?:please|pls|also|and|then|could you|can you|would you)\s+)*"
    rf"(?=(?:{'|'.join(VERBS)})\b)",
    re.IGNORECASE,
)


# What may come before a command without being one: "okay, turn on the lights".
_FILLER = frozenset({
    "okay", "ok", "hey", "hi", "hello", "alright", "right", "so", "yeah", "yes", "well", "um",
    "uh", "er", "erm", "please", "now", "and", "then", "oh", "computer", "assistant", "jarvis",
})  # fmt: skip


# A speaker correcting themself ("the kitchen, no, the bedroom light"): one command, the
# model reads what was meant; never cut into two.
_CORRECTION = re.compile(
    r"\b(?:no|nope|nah|i mean|i meant|actually|sorry|rather|instead|wait|scratch that|"
    r"make that|or rather)\b",
    re.IGNORECASE,
)


_AND_WORD = re.compile(r"\s+and\s+", re.IGNORECASE)
_ENDS_ON_OFF = re.compile(r"\w\s+(?:on|off)$", re.IGNORECASE)
# Two things, each with its own on or off and no verb: "fan on lights off".
_TWO_ENDS = re.compile(
    rf"(?!.*\b(?:{'|'.join(VERBS)})\b)((?:the |my )?\w+(?: \w+)?\s(?:on|off))\s+"
    r"((?:the |my )?\w+(?: \w+)?\s(?:on|off))",
    re.IGNORECASE,
)


def clauses(text: str) -> list[str]:
    """The clauses of ``text`` that each start a command; one element when it has none to
    cut. "turn off the tv and turn the lights on" -> ["turn off the tv", "turn the lights on"].
    """
    cleaned = text.strip()
    if _CORRECTION.search(cleaned):
        return [cleaned]
    parts: list[str] = []
    lead = ""
    for part in (p.strip(" ,;.") for p in _CUT.split(cleaned)):
        if not part:
            continue
        if not parts and set(part.lower().split()) <= _FILLER:
            lead = f"{lead} {part}".strip()  # "okay," belongs to what follows
            continue
        pieces = _AND_WORD.split(part)  # "lights off and tv on": two, each said by its end
        if len(pieces) == 1 and (two := _TWO_ENDS.fullmatch(part)):  # "fan on lights off"
            pieces = [two.group(1), two.group(2)]
        if len(pieces) > 1 and all(_ENDS_ON_OFF.search(p) for p in pieces):
            parts += [f"{lead}, {pieces[0]}" if lead else pieces[0], *pieces[1:]]
        else:
            parts.append(f"{lead}, {part}" if lead else part)
        lead = ""
    return parts if len(parts) > 1 else [cleaned]


# The verb a sentence starts with, and its particle: "switch off", "turn", "close".
_LEAD_VERB = re.compile(
    r"^(?:(?:please|pls|could you|can you|would you|will you|okay|ok|hey|just|now)\s+)*"
    rf"(?P<verb>(?:{'|'.join(VERBS)})(?:\s+(?:on|off|up|down|out))?|on|off)\b\s*",
    re.IGNORECASE,
)
# What follows "and" when it joins values, not things: "and a half", "and fifty percent".
_NUMBERISH = re.compile(
    r"(?:a |an )?(?:half|quarter|\d|(?:one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)\b)",
    re.IGNORECASE,
)
_PARTICLE = re.compile(r"\s(on|off|up|down|out)$", re.IGNORECASE)
# "and", or a comma before a determiner: "the fan, the tv and the lamp" (not "70, no, 60").
_AND = re.compile(
    r"\s*(?:,\s*and|,(?=\s*(?:the|my|our|all)\b)|\band also|\bas well as|\band|&|\bplus)\s+",
    re.IGNORECASE,
)


def elided(text: str) -> tuple[str, list[str]] | None:
    """One verb for several things: "turn off the tv and the lights" -> ("turn off the tv",
    ["turn off the lights"]); the first clause, then each joined thing said with the verb.
    None when the sentence does not start with a verb or joins nothing."""
    lead = _LEAD_VERB.match(text)
    if lead is None or _CORRECTION.search(text):
        return None
    verb = lead.group("verb")
    things = [t.strip(" ,;.") for t in _AND.split(text[lead.end() :])]
    if len(things) < 2 or not all(things) or any(_NUMBERISH.match(t) for t in things[1:]):
        return None  # "twenty two and a half", "blue and fifty percent": values, no things
    particle = _PARTICLE.search(things[-1])
    if particle and " " not in verb:  # "turn the tv and the lights off": off for each
        things = [t if _PARTICLE.search(t) else f"{t} {particle.group(1)}" for t in things]
    return f"{text[: lead.end()]}{things[0]}", [f"{verb} {t}" for t in things[1:]]
