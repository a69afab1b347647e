"""The synthesized voice test set, made on the spot (nothing large is checked in).

Commands: Home Assistant's speech-to-phrase templates (the phrasings people use with a
voice satellite) filled with ``examples/home.yaml``'s names by the same filler that makes
the understanding model's training data, seeded, one distinct sentence per draw. Each is
spoken by espeak-ng voices (Klatt variants and plain ones, two speeds) and dithered; noisy
copies have pink noise at 10 dB SNR. Shared by ``bench/voice.py`` and the tests.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from edge_assistant.audio.synthesize import SPEEDS, VOICES, Clip, speak, with_noise
from edge_assistant.home.model import Home, load_home
from edge_assistant.understanding.grammar import to_words
from edge_assistant.understanding.phrasings import ha_templates

REPO = Path(__file__).resolve().parents[1]
HOME_FILE = REPO / "examples" / "home.yaml"
# Unrelated speech for false accepts: what a TV or a conversation in the room says.
NEGATIVE_TEXT = (
    "The weather tomorrow will be cloudy with a chance of rain in the afternoon. "
    "Add two cups of flour and a pinch of salt, then stir until the dough is smooth. "
    "The train to the city leaves at half past eight from platform four. "
    "She told me the story of how her grandfather built the boat by hand. "
    "Our team scored twice in the second half and won the match. "
    "Remember to water the tomatoes before you leave for work. "
    "The museum opens late on Thursdays and the entry is free for children. "
    "I think we should paint the fence green this summer. "
)


@dataclass(frozen=True)
class Utterance:
    clip: Clip
    expected: str  # the sentence as the grammar spells it
    voice: str
    speed: int
    noisy: bool


def home() -> Home:
    return load_home(HOME_FILE)


def commands(count: int, seed: int = 0, the_home: Home | None = None) -> list[str]:
    """``count`` distinct command sentences of the speech grammar for the example home."""
    from export.nlu.fill import Unfillable, fill

    the_home = the_home or home()
    people = {p.name for p in the_home.people}
    templates = [t for t in ha_templates(speech=True) if t.intent]
    rng = random.Random(seed)
    found: dict[str, None] = {}
    for _ in range(count * 50):
        template = templates[len(found) % len(templates)] if rng.random() < 0.5 else None
        template = template or rng.choice(templates)
        try:
            sample = fill(template, the_home, 0, rng)
        except Unfillable:
            continue
        if sample.slots.get("domain") == "person" and sample.slots.get("name") not in people:
            continue
        found.setdefault(to_words(sample.text))
        if len(found) == count:
            break
    return list(found)


def utterances(
    sentences: list[str], voices: tuple[str, ...] = VOICES, noisy: bool = False
) -> Iterator[Utterance]:
    """Each sentence in one voice and speed (cycling through them), clean or at 10 dB SNR."""
    for index, sentence in enumerate(sentences):
        voice = voices[index % len(voices)]
        speed = SPEEDS[(index // len(voices)) % len(SPEEDS)]
        clip = speak(sentence, voice, speed, seed=index)
        if noisy:
            clip = with_noise(clip, 10.0, seed=index)
        yield Utterance(clip, sentence, voice, speed, noisy)
