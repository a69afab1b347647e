"""A transcript said plainly before it is read: what recognizers write for a command's
words ("switch of the lights", "un pause", "lite"), dialect and idioms ("cannae", "full
whack", "do the needful and"), a unit left out ("lamp off in 10"), a while with no length
("for a sec"), a number or a sound-alike corrected (understanding/misheard.py, aside.py)."""

from __future__ import annotations

import re

from edge_assistant.understanding.aside import last_number
from edge_assistant.understanding.misheard import mend_misheard

# Recognizers write "of" for "off" ("switch of the lights", "turn the tv of"); the two are
# one sound, and after these verbs or at the end only "off" makes sense.
_OF_AFTER_VERB = re.compile(r"\b(turn|switch|shut|turned|switched)( it| them)? of\b")
_OF_AT_END = re.compile(r"\bof( (pls|please|now|thanks|thank you))?$")
# "turn the lights of in the office": "of" after the thing, before a place or the end.
_OF_AFTER_THING = re.compile(
    r"\b(turn|switch|shut|flip)((?: [a-z']+){1,4}) of\b(?= (?:in|on|at|for|please|pls|now|"
    r"then|and|downstairs|upstairs|everywhere|in here|out there)\b)"
)


_ONTO = re.compile(r"\bonto\b", re.IGNORECASE)
# Ways of saying a command's words plainly said: dialect, idioms, a unit left out.
_SAID_PLAINLY: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), meant)
    for pattern, meant in (
        (
            r"\bwee (?=(?:bit|lamps?|lights?|one|telly|tv|room|while|moment|fan|heater|speaker|"
            r"blind|door)\b)",
            "little ",
        ),  # "the wee lamp", "a wee bit"; "i need a wee" stays
        (r"\bfull (?:whack|blast|pelt)\b", "full"),
        (r"\bmore (slow|quiet|dim|dark|cool|cold)\b", r"\1er"),  # "the fan please more slow"
        (r"\bmore (fast|loud|bright|warm|hot)\b", r"\1er"),
        (r"\bout here\b", "in here"),  # "lights on out here" (said in the garden)
        (r"\b(?:cannae|canna)\b", "can't"),
        (r"\b(?:dinnae|dinna)\b", "don't"),
        (r"\b(switch|turn|lights?|it|them) aff\b", r"\1 off"),
        (r"^(?:aye|och|och aye)\s+", ""),
        (r"^(?:please |kindly )?do the needful (?:and |by )?", ""),
        (
            r"^(?:would|could|will|can) you (?:be (?:so kind as to|kind enough to|a dear and|a love "
            r"and|an angel and|a star and|a darling and)|kindly)\s+",
            "",
        ),
        (r"\b(in|after) (\d+|five|ten|fifteen|twenty|thirty|forty|forty five)$", r"\1 \2 minutes"),
        (
            r"^time (.+? (?:seconds?|minutes?|hours?)) for (?:the |my |our )?[a-z' ]+$",
            r"set a timer for \1",
        ),  # "time 6 minutes for the eggs"
    )
)
# A while said with no length: "for a bit", "for a sec", "for a while" (no time to undo it at).
_VAGUE_WHILE = re.compile(
    r"\s+for (?:a|one) (?:little )?(?:bit|sec|second|while|mo|moment|tick)\b", re.IGNORECASE
)
_LITE = re.compile(r"\blite(s)?\b", re.IGNORECASE)
_SPLIT_UN = re.compile(r"\bun (pause|mute|lock|plug)\b", re.IGNORECASE)


def normalize_transcript(text: str) -> str:
    """``text`` as the words of a command are written, one space between words."""
    cleaned = last_number(mend_misheard(" ".join(text.split()).replace("1/2", "half")))
    if len(_VAGUE_WHILE.sub("", cleaned).split()) >= 2:
        cleaned = _VAGUE_WHILE.sub("", cleaned)  # "put the light on for a sec": on
    for said, meant in _SAID_PLAINLY:
        cleaned = said.sub(meant, cleaned)
    cleaned = _SPLIT_UN.sub(r"un\1", cleaned)  # "un pause", "un mute": a recognizer's split
    cleaned = _ONTO.sub("on", cleaned)  # "add bread onto the list": on
    cleaned = _LITE.sub(lambda m: "light" + (m.group(1) or ""), cleaned)  # a recognizer's "lite"
    cleaned = _OF_AFTER_VERB.sub(lambda m: f"{m.group(1)}{m.group(2) or ''} off", cleaned)
    cleaned = _OF_AFTER_THING.sub(lambda m: f"{m.group(1)}{m.group(2)} off", cleaned)
    return _OF_AT_END.sub(
        lambda m: "off" + (m.group(1) or ""), cleaned
    )  # a transcript longer than this is not a command; refuse, do not truncate
