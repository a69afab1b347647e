"""Training speech that is no command (export/nlu/negatives.py): labeled not understood,
spread over its kinds, drawn from the homes' own names, and added without changing a single
positive sample or evaluation sentence."""

from __future__ import annotations

import re
from collections import Counter

from export.nlu.dataset import build
from export.nlu.negatives import KINDS, VERBS


def test_negatives_are_unlabeled_varied_and_leave_the_rest_as_it_was() -> None:
    without = build(train_homes=40, eval_homes=6, per_template_train=2, negative_share=0.0)
    data = build(train_homes=40, eval_homes=6, per_template_train=2, negative_share=0.1)
    negatives = [s for s in data.train if s.template.startswith("negative:")]
    positives = [s for s in data.train if not s.template.startswith("negative:")]

    assert [s.text for s in positives] == [s.text for s in without.train]
    assert [s.text for s in data.eval_ingrammar] == [s.text for s in without.eval_ingrammar]
    assert len(negatives) == int(len(positives) * 0.1)
    assert all(s.intent is None and not s.slots and not s.spans for s in negatives)
    kinds = Counter(s.template for s in negatives)
    assert len(kinds) >= 7, kinds  # conversation, media, fragments, cut-offs, junk, ...
    assert len({s.text for s in negatives}) > 0.6 * len(negatives)  # not a few lines repeated


def test_a_fragment_never_says_an_action_and_a_thing_together() -> None:
    data = build(train_homes=40, eval_homes=6, per_template_train=2, negative_share=0.2)
    actions = [*VERBS, "on", "off"]
    action = re.compile(rf"\b(?:{'|'.join(actions)})\b")
    thing = re.compile(rf"\b(?:{'|'.join(KINDS)})\b")
    fragments = [s.text for s in data.train if s.template == "negative:fragment"]
    assert fragments
    for text in fragments:
        assert not (action.search(text) and thing.search(text)), text  # "lights off" acts
