"""The recognizer's JSGF grammar comes from the same templates as the training data: real
pocketsphinx reads it, accepts what the understanding model was trained to handle for this
home, and rejects what the home does not have."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pocketsphinx
import pytest

from edge_assistant.home import load_home
from edge_assistant.understanding.grammar import build_jsgf, to_words
from edge_assistant.understanding.phrasings import ha_templates, own_templates
from export.nlu.fill import Unfillable, fill
from tests.conftest import REPO

HOME_FILE = REPO / "examples" / "home.yaml"
HOME = load_home(HOME_FILE)


@pytest.fixture(scope="module")
def fsg(tmp_path_factory: pytest.TempPathFactory) -> pocketsphinx.FsgModel:
    path = tmp_path_factory.mktemp("grammar") / "commands.jsgf"
    path.write_text(build_jsgf(HOME))
    jsgf = pocketsphinx.Jsgf(str(path))
    return jsgf.build_fsg(jsgf.get_rule("commands.command"), pocketsphinx.LogMath(), 7.5)


def test_every_phrasing_the_model_learns_is_in_the_grammar(fsg: pocketsphinx.FsgModel) -> None:
    rng = random.Random(0)
    people = {p.name for p in HOME.people}
    checked, rejected = 0, []
    for template in ha_templates() + own_templates():
        if template.intent is None:
            continue
        for _ in range(2):
            try:
                sample = fill(template, HOME, 0, rng)
            except Unfillable:
                continue
            if sample.slots.get("domain") == "person" and sample.slots.get("name") not in people:
                continue  # the generator invents people; the grammar knows only this home's
            checked += 1
            if not fsg.accept(to_words(sample.text)):
                rejected.append(sample.text)
    assert checked > 500
    assert rejected == []


@pytest.mark.parametrize(
    "sentence",
    ["turn on the jacuzzi", "order a pizza", "turn on the lights in the attic", "call mom"],
)
def test_what_the_home_lacks_is_not_in_the_grammar(
    fsg: pocketsphinx.FsgModel, sentence: str
) -> None:
    assert not fsg.accept(sentence)


def test_every_name_of_the_home_is_speakable(fsg: pocketsphinx.FsgModel) -> None:
    for device in HOME.devices:
        for name in device.spoken_names():
            if device.domain in {"light", "switch", "fan", "media_player", "climate"}:
                assert fsg.accept(f"turn on {to_words(name)}"), name


def test_grammar_cli_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "home.jsgf"
    proc = subprocess.run(
        [sys.executable, "-m", "edge_assistant", "grammar", "--home", str(HOME_FILE), "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().startswith("#JSGF V1.0;")
    assert "bedside lamp" in out.read_text()


def test_where_a_reading_stands_in_the_speech_grammar() -> None:
    """The endpointer's question: is this a whole command, and can a longer one follow?"""
    from edge_assistant.audio.asr.base import SentenceStatus
    from edge_assistant.audio.asr.phrase_graph import PhraseGraph
    from edge_assistant.understanding.grammar import REQUEST_RULE

    jsgf = build_jsgf(HOME, speech=True)
    requests = PhraseGraph.from_jsgf(jsgf, REQUEST_RULE)
    status = {
        text: requests.status(text.split())
        for text in (
            "turn off the kitchen lights",
            "lock the front door",  # ... lock: "front door lock" is a name too
            "turn on the lights",  # ... in the kitchen
            "turn on the",
            "turn off the kitchen lights please",  # a trailing skip word is not a request
            "",
        )
    }
    assert status == {
        "turn off the kitchen lights": SentenceStatus.COMPLETE,
        "lock the front door": SentenceStatus.EXTENDABLE,
        "turn on the lights": SentenceStatus.EXTENDABLE,
        "turn on the": SentenceStatus.INCOMPLETE,
        "turn off the kitchen lights please": SentenceStatus.INCOMPLETE,
        "": SentenceStatus.INCOMPLETE,
    }
    # the whole command rule still takes the trailing skip word
    assert PhraseGraph.from_jsgf(jsgf).accepts(
        ["turn", "off", "the", "kitchen", "lights", "please"]
    )
    with pytest.raises(Exception, match="no rule <nope>"):
        PhraseGraph.from_jsgf(jsgf, "nope")


def test_the_speech_grammar_hears_every_intent_the_templates_read(tmp_path: Path) -> None:
    """Home Assistant's speech subset for its intents beyond the model's, and the project's
    own sentences for newer ones: "pause the timer", "mute the tv"."""
    path = tmp_path / "speech.jsgf"
    path.write_text(build_jsgf(HOME, speech=True))
    jsgf = pocketsphinx.Jsgf(str(path))
    fsg = jsgf.build_fsg(jsgf.get_rule("commands.command"), pocketsphinx.LogMath(), 7.5)
    for sentence in ("pause the timer", "mute the tv", "what time is it", "previous track",
                     "set the bedroom fan to forty percent"):  # fmt: skip
        assert fsg.accept(sentence), sentence


def test_a_lists_usual_items_can_be_said_and_nothing_else(tmp_path: Path) -> None:
    """Items are free words, which a grammar cannot hear; the shopping list's usual items
    (home.yaml ``items``) can: "add milk to my shopping list", "check off bread". A home
    without items has no list sentences in its grammar at all."""
    home = load_home(REPO / "examples" / "home-all-domains.yaml")
    path = tmp_path / "speech.jsgf"
    path.write_text(build_jsgf(home, speech=True))
    jsgf = pocketsphinx.Jsgf(str(path))
    fsg = jsgf.build_fsg(jsgf.get_rule("commands.command"), pocketsphinx.LogMath(), 7.5)
    for sentence in ("add milk to my shopping list", "add oat milk to the shopping list",
                     "check off bread from my shopping list"):  # fmt: skip
        assert fsg.accept(sentence), sentence
    for sentence in ("add a pony to my shopping list", "add milk"):
        assert not fsg.accept(sentence), sentence
    bare = home.model_copy(update={"devices": [d.model_copy(update={"items": ()})
                                               for d in home.devices]})  # fmt: skip
    assert "l_shopping_list_item" not in build_jsgf(bare, speech=True)
