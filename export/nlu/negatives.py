"""Speech that is not a command, for training: the model learns "not understood" as a reading
of its own, instead of the nearest intent (issue 16: "we need a new sofa" was read as
turning on a lamp at 0.93).

A microphone at home hears people talking to each other (often about the home's devices,
in the past tense or to someone else), television and radio, fragments a recognizer lets
through ("up", "the lamp"), requests cut off before their end ("switch off the"), requests
withdrawn ("don't open the blinds") and recognizer junk. Each kind is drawn here from word
lists and the synthetic home's own names, so the model sees the names it must act on in
sentences it must not act on. A need said instead of an action ("it's freezing in here") is
never a negative: the assistant asks about it (understanding/decide.py).

Drawn with their own random generator, so adding them leaves the positive samples and the
evaluation sets exactly as they were.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from edge_assistant.home.model import Home
from export.nlu.fill import Sample

FILLERS = ["um", "uh", "okay", "ok", "yeah", "so", "well", "right", "hmm", "oh", "er", "like",
           "and", "but", "no", "yes", "mm", "huh", "alright", "anyway"]  # fmt: skip
VERBS = ["turn", "switch", "set", "open", "close", "dim", "start", "stop", "put", "make",
         "lock", "unlock", "play", "pause", "shut", "raise", "lower", "give", "get"]  # fmt: skip
PARTICLES = ["on", "off", "up", "down", "in", "out", "to", "over", "back"]
FUNCTION = ["the", "a", "my", "to", "of", "and", "it", "that", "this", "in", "at", "for"]
KINDS = ["light", "lights", "lamp", "fan", "tv", "telly", "blinds", "curtains", "heating",
         "heater", "door", "music", "speaker", "thermostat", "vacuum", "kettle", "oven",
         "fridge", "radio", "window", "alarm", "garage"]  # fmt: skip
PEOPLE = ["mum", "dad", "tom", "sarah", "your brother", "the kids", "grandma", "jack", "emma",
          "the neighbours", "my boss", "the landlord", "he", "she", "they", "you", "we"]  # fmt: skip
PAST = ["left the {thing} on", "turned off the {thing}", "broke the {thing}",
        "forgot to switch off the {thing}", "put the {thing} on earlier", "fixed the {thing}",
        "opened the {thing} this morning", "moved the {thing}", "bought a new {kind}",
        "said the {thing} was making a noise", "turned the {thing} up", "left the {area} a mess",
        "was in the {area} all afternoon", "painted the {area}", "cleaned the {thing}"]  # fmt: skip
STATEMENTS = [
    "{who} {past}", "{who} {past} again", "i think {who} {past}", "apparently {who} {past}",
    "did {who} say they {past}", "i can't believe {who} {past}", "{who} {past} last night",
    "the {thing} has been playing up all week", "the {thing} in the {area} is ancient",
    "we should get the {thing} looked at", "i really like the new {kind}",
    "the {kind} at my parents' place is much nicer", "that {kind} was a bargain",
    "how much did the {thing} cost", "have you seen my phone charger in the {area}",
    "the {area} needs a proper clean", "i was thinking of painting the {area} green",
    "the cat was asleep in the {area} again", "is your {kind} the same as ours",
    "my {kind} at work never works", "the {thing} makes a funny noise when it starts",
    "who keeps moving the {thing}", "the manual for the {thing} is in the drawer",
    "the {thing} is still under warranty i think", "we had the {thing} put in last year",
]  # fmt: skip
TO_PEOPLE = [
    "{name} can you {chore}", "{name} could you {chore} please", "did you {chore}",
    "are you going to {chore} or not", "have you remembered to {chore}",
    "can one of you {chore}", "{name} when you're done can you {chore}",
    "i need you to {chore} before we go", "don't forget to {chore}",
]  # fmt: skip
CHORES = ["pass the salt", "walk the dog", "pick up the kids", "call the bank",
          "feed the cat", "take the bins out", "grab the milk", "find the remote",
          "set the table", "put your shoes on", "bring the washing in", "check the post",
          "do your homework", "ring your sister back", "hang the coats up",
          "get the shopping from the car", "help me with this box", "tidy your room"]  # fmt: skip
NAMES = ["tom", "sarah", "jack", "emma", "love", "darling", "mate", "kids", "guys", "mum", "dad"]
MEDIA = [
    "and that's the end of the news from the studio", "back to you in the studio",
    "stay with us after the break", "police are appealing for witnesses to come forward",
    "the match kicked off at three in front of a full stadium",
    "temperatures are expected to drop to {n} degrees overnight",
    "he scored in the {n}th minute to level it", "shares fell by {n} percent this morning",
    "coming up after the weather", "you're listening to the breakfast show",
    "this episode is brought to you by our sponsors", "previously on the show",
    "i told you never to come back here", "get out of my house", "we have to go now",
    "lights camera action", "everybody get down", "open the door it's the police",
    "turn it off before they see us", "somebody call an ambulance",
    "the prime minister said the plan would go ahead", "rain will clear by the afternoon",
    "don't you dare walk away from me", "i've been waiting for this moment my whole life",
    "the recipe needs {n} minutes in a hot oven", "and now a word from our sponsors",
    "the next train to london is delayed by {n} minutes", "she switched off the engine and waited",
    "he turned the lights off and left without a word", "set the oven to {n} degrees and bake",
]  # fmt: skip
UNSUPPORTED = [
    "order a pizza", "call grandma", "tell me a joke", "what's your name", "sing a song",
    "book a taxi for tomorrow", "send a text to jack", "what's the meaning of life",
    "i wish it was summer", "we should buy a new sofa", "i love this song",
    "i'm so tired today", "that was a long day", "what should we have for dinner",
    "let's go for a walk", "i need a holiday", "remind me why we bought this house",
    "who won the game last night", "how tall is mount everest", "buy more dog food online",
]  # fmt: skip
JUNK = ["the the", "and uh", "mm hmm", "uh huh", "hmm okay", "huh", "what", "the um",
        "a a", "oh no", "so yeah", "yeah yeah yeah", "okay okay", "no no", "um so",
        "is it", "it is", "of the", "and the", "in the", "that's it"]  # fmt: skip
_CUT_ENDS = frozenset({"the", "a", "my", "to", "of", "at", "by", "with", "for", "and", "or",
                       "your", "our", "set", "turn", "switch", "please"})  # fmt: skip


def negatives(
    positives: list[Sample], homes: list[Home], count: int, seed: int = 1
) -> list[Sample]:
    """``count`` samples that are not commands, spread over the kinds above, each said in a
    synthetic home (its names) with the context of a positive sample of that home."""
    rng = random.Random(seed)
    by_home: dict[int, list[Sample]] = {}
    for s in positives:
        by_home.setdefault(s.home, []).append(s)
    kinds: list[tuple[float, Callable[[random.Random, Home, list[Sample]], str | None]]] = [
        (0.25, _statement), (0.12, _to_person), (0.12, _media), (0.18, _fragment),
        (0.12, _cut_off), (0.06, _negated), (0.08, _junk), (0.07, _unsupported),
    ]  # fmt: skip
    weights = [w for w, _ in kinds]
    out: list[Sample] = []
    keys = sorted(by_home)
    while len(out) < count and keys:
        home_index = rng.choice(keys)
        home, samples = homes[home_index], by_home[home_index]
        make = rng.choices([k for _, k in kinds], weights)[0]
        text = make(rng, home, samples)
        if not text:
            continue
        base = rng.choice(samples)
        context = {k: v for k, v in base.context.items() if k not in {"pointing_target", "gesture"}}
        out.append(Sample(" ".join(text.split()), None, {}, [], "none", context,
                          f"negative:{make.__name__.strip('_')}", home_index,
                          {"kind": "none"}))  # fmt: skip
    return out


def _thing(rng: random.Random, home: Home) -> str:
    if home.devices and rng.random() < 0.6:
        device = rng.choice(home.devices)
        return rng.choice(device.spoken_names()).lower()
    return rng.choice(KINDS)


def _area(rng: random.Random, home: Home) -> str:
    return rng.choice(rng.choice(home.areas).spoken_names()).lower() if home.areas else "kitchen"


def _fill(rng: random.Random, home: Home, pattern: str) -> str:
    return pattern.format(
        who=rng.choice(PEOPLE), thing=_thing(rng, home), kind=rng.choice(KINDS),
        area=_area(rng, home), n=rng.randint(2, 40), name=rng.choice(NAMES),
        chore=rng.choice(CHORES),
        past=rng.choice(PAST).format(thing=_thing(rng, home), kind=rng.choice(KINDS),
                                     area=_area(rng, home)),
    )  # fmt: skip


def _filler(rng: random.Random, text: str) -> str:
    return f"{rng.choice(FILLERS)} {text}" if rng.random() < 0.25 else text


def _statement(rng: random.Random, home: Home, _: list[Sample]) -> str:
    return _filler(rng, _fill(rng, home, rng.choice(STATEMENTS)))


def _to_person(rng: random.Random, home: Home, _: list[Sample]) -> str:
    return _filler(rng, _fill(rng, home, rng.choice(TO_PEOPLE)))


def _media(rng: random.Random, home: Home, _: list[Sample]) -> str:
    return _fill(rng, home, rng.choice(MEDIA))


def _unsupported(rng: random.Random, home: Home, _: list[Sample]) -> str:
    return _filler(rng, rng.choice(UNSUPPORTED))


def _junk(rng: random.Random, home: Home, _: list[Sample]) -> str:
    if rng.random() < 0.5:
        return rng.choice(JUNK)
    return " ".join(rng.choice(FILLERS + FUNCTION) for _ in range(rng.randint(1, 4)))


def _fragment(rng: random.Random, home: Home, _: list[Sample]) -> str:
    """One to three words, never an action and a thing together ("lights off" is a command)."""
    thing_words = [rng.choice(KINDS), _area(rng, home), _thing(rng, home)]
    action_words = [v for v in VERBS if v not in ("stop", "pause", "play")] + PARTICLES
    if rng.random() < 0.5:  # the words of a thing, maybe after a filler or a determiner
        lead = rng.choice(["", "", "the", "my", "um the", "uh", "and the", "that"])
        return f"{lead} {rng.choice(thing_words)}"
    words = [rng.choice(action_words + FILLERS + FUNCTION) for _ in range(rng.randint(1, 3))]
    return " ".join(words)


def _cut_off(rng: random.Random, home: Home, samples: list[Sample]) -> str | None:
    """A command stopped after a word that cannot end it: "switch off the"."""
    words = rng.choice(samples).text.lower().split()
    ends = [i for i, w in enumerate(words[:-1]) if w in _CUT_ENDS]
    if not ends:
        return None
    return " ".join(words[: rng.choice(ends) + 1])


def _negated(rng: random.Random, home: Home, samples: list[Sample]) -> str | None:
    text = rng.choice(samples).text.lower()
    if text.split()[0] not in VERBS:
        return None
    lead = rng.choice(["don't", "do not", "no don't", "please don't", "you don't need to",
                       "there's no need to", "never mind, don't"])  # fmt: skip
    return f"{lead} {text}"
