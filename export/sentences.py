"""Held-out sentences for the text encoder's fidelity gate.

Built from families of templates (commands, questions, indirect requests, chatter, long and
noisy ASR-like text, numbers, other languages) over a vocabulary, sampled with a fixed seed:
varied in length, wording and token mix, identical on every machine, and never used to
train or calibrate anything.
"""

from __future__ import annotations

import itertools
import random

_DEVICES = [
    "light",
    "lamp",
    "ceiling fan",
    "heater",
    "tv",
    "blinds",
    "garage door",
    "front door lock",
    "coffee machine",
    "air purifier",
    "speaker",
    "thermostat",
]
_AREAS = [
    "kitchen",
    "living room",
    "bedroom",
    "office",
    "hallway",
    "bathroom",
    "garden",
    "kids' room",
    "basement",
    "upstairs",
]
_COMMANDS = [
    "turn on the {d} in the {a}",
    "switch off the {a} {d}",
    "please dim the {d} a bit",
    "could you set the {a} {d} to {n} percent",
    "shut the {d}",
    "open the {d} halfway",
    "{d} off",
    "make the {a} warmer by {n} degrees",
    "kill the {d} in the {a} would you",
    "hey can you uh turn the {d} on real quick",
    "I'd like the {d} brighter please",
]
_QUESTIONS = [
    "is the {d} in the {a} still on",
    "what's the temperature in the {a}",
    "did anyone leave the {d} open",
    "how long has the {a} {d} been running",
    "who is in the {a} right now",
    "are all the doors locked for the night",
]
_INDIRECT = [
    "it's too dark in the {a}",
    "it is freezing in here",
    "I can't see a thing",
    "the {a} is way too bright",
    "I'm going to bed now",
    "we're leaving for work",
    "it's getting stuffy in the {a}",
    "that noise from the {d} is driving me mad",
]
_CHATTER = [
    "what a lovely morning it is today",
    "remind me what we had for dinner yesterday",
    "the cat knocked the plant over again",
    "tell me a joke about penguins",
    "my sister is visiting on the {n}th of june",
    "never mind, forget it",
    "sorry, I was talking to my son",
    "thanks, that's all for now",
]
_LONG = [
    "when I get home after nine in the evening please make sure the {a} {d} is on and the "
    "heating in the {a} is set to around {n} degrees so the house is warm",
    "I was wondering whether you could possibly turn off every single {d} downstairs except "
    "the one in the {a}, because the kids are still doing their homework there",
    "last night the {d} in the {a} stayed on until three in the morning and I would really "
    "like that not to happen again, so switch it off automatically at midnight",
]
_NOISY = [
    "turn of the {d} in the {a}",
    "turn on they {a} {d}",
    "set {d} two {n}",
    "whats the whether like",
    "lock the the front door",
    "uhm {d} {a} on",
    "of {d}",
]
_OTHER = [
    "allume la lumière de la cuisine",
    "mach das Licht im Wohnzimmer aus",
    "enciende la lámpara del dormitorio",
    "accendi la luce in bagno",
    "zet de verwarming hoger",
    "電気をつけて",
    "включи свет на кухне",
    "OK 👍 lights ✨",
    "ALL CAPS TURN EVERYTHING OFF NOW!!!",
    "lights... on? maybe. yes!",
]
_NUMBERS = ["5", "twenty", "45", "seventy five", "100", "3.5", "twenty-two"]


def held_out_sentences(count: int = 240, seed: int = 20261124) -> list[str]:
    """``count`` distinct sentences, the same on every call."""
    rng = random.Random(seed)
    families = [_COMMANDS, _QUESTIONS, _INDIRECT, _CHATTER, _LONG, _NOISY, _OTHER]
    seen: dict[str, None] = {}
    for template in itertools.chain(_OTHER, _LONG):  # always include the rare kinds
        seen.setdefault(_fill(template, rng), None)
    attempts = 0
    while len(seen) < count:
        attempts += 1
        if attempts > count * 100:
            raise RuntimeError(f"cannot draw {count} distinct sentences from the templates")
        family = rng.choice(families)
        seen.setdefault(_fill(rng.choice(family), rng), None)
    return list(seen)[:count]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(d=rng.choice(_DEVICES), a=rng.choice(_AREAS), n=rng.choice(_NUMBERS))
