"""Build the understanding model's training and evaluation sets.

Train and evaluation never share a home (names) and a fifth of our own templates and of
Home Assistant's sentence templates are held out for evaluation, so the evaluation measures
phrasings and names the model has not seen. Training sentences are augmented to sound like
speech; the clean in-grammar evaluation is kept as Home Assistant writes it.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from edge_assistant.home.model import Home
from edge_assistant.understanding.phrasings import Template, ha_templates, own_templates
from export.nlu.augment import augment
from export.nlu.fill import Sample, Unfillable, fill
from export.nlu.homes import synthetic_home
from export.nlu.negatives import negatives


@dataclass
class Dataset:
    homes: list[Home]
    train: list[Sample]
    eval_ingrammar: list[Sample]  # held-out homes, Home Assistant templates, clean
    eval_heldout: list[Sample]  # held-out homes and held-out templates, augmented


def is_heldout(template: Template, fraction: float = 0.2) -> bool:
    """A fifth of Home Assistant's templates are never trained on. Our own rephrasings are
    all trained on: the hand-written paraphrase set is their held-out test."""
    digest = hashlib.sha256(template.key.encode()).digest()
    return template.key.startswith("ha:") and digest[0] < 256 * fraction


def build(
    seed: int = 0,
    train_homes: int = 300,
    eval_homes: int = 40,
    per_template_train: int = 24,
    per_template_eval: int = 3,
    negative_share: float = 0.08,
) -> Dataset:
    rng = random.Random(seed)
    homes = [synthetic_home(rng, i) for i in range(train_homes + eval_homes)]
    templates = ha_templates() + own_templates()
    seen = [t for t in templates if not is_heldout(t)]
    unseen = [t for t in templates if is_heldout(t)]
    train = _draw(
        seen,
        homes[:train_homes],
        _per_template(seen, per_template_train),
        rng,
        augment_strength=1.0,
    )
    train += _pointing_negatives(train, rng)
    # speech that is no command (export/nlu/negatives.py), on its own generator: the positive
    # samples and the evaluation sets stay as they were
    train += negatives(train, homes[:train_homes], int(len(train) * negative_share), seed + 1)
    ha_only = [t for t in templates if t.key.startswith("ha:")]
    eval_homes_list = homes[train_homes:]
    ingrammar = _draw(
        ha_only,
        eval_homes_list,
        per_template_eval,
        rng,
        augment_strength=0.0,
        home_offset=train_homes,
    )
    heldout = _draw(
        unseen,
        eval_homes_list,
        per_template_eval * 4,
        rng,
        augment_strength=1.0,
        home_offset=train_homes,
    )
    return Dataset(homes, train, ingrammar, heldout)


def _per_template(templates: list[Template], base: int, per_intent: int = 200) -> dict[str, int]:
    """Samples per template so that rare intents (few templates) are not drowned out: at
    least ``per_intent`` per intent from each source."""
    count: dict[tuple[str, str | None], int] = {}
    for t in templates:
        count[_source(t), t.intent] = count.get((_source(t), t.intent), 0) + 1
    return {t.key: max(base, -(-per_intent // count[_source(t), t.intent])) for t in templates}


def _source(template: Template) -> str:
    """Home Assistant's templates and our rephrasings get their shares apart: a template
    release with more ways to say one thing must not crowd out the rephrasings that teach
    descriptions and slang ("the lamp by the bed", "put the telly on")."""
    return template.key.split(":", 1)[0]


def _draw(
    templates: list[Template],
    homes: list[Home],
    per_template: int | dict[str, int],
    rng: random.Random,
    augment_strength: float,
    home_offset: int = 0,
) -> list[Sample]:
    samples = []
    for template in templates:
        wanted = per_template if isinstance(per_template, int) else per_template[template.key]
        made, tries = 0, 0
        while made < wanted and tries < wanted * 5:
            tries += 1
            index = rng.randrange(len(homes))
            try:
                sample = fill(template, homes[index], home_offset + index, rng)
            except Unfillable:
                continue
            if augment_strength and rng.random() < 0.7:
                sample = augment(sample, rng, augment_strength)
            samples.append(sample)
            made += 1
    return samples


def _pointing_negatives(samples: list[Sample], rng: random.Random) -> list[Sample]:
    """'turn that off' with nothing pointed at is not understood: never guess a target."""
    negatives = []
    for s in samples:
        if s.target == "pointing" and rng.random() < 0.5:
            context = {
                k: v for k, v in s.context.items() if k not in {"pointing_target", "gesture"}
            }
            negatives.append(
                Sample(s.text, None, {}, [], "none", context, s.template, s.home, {"kind": "none"})
            )
    return negatives
