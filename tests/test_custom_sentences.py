"""Custom sentences in Home Assistant's format: read as it reads them, understood by text and
by voice, acted on as home.yaml says, and every mistake a clear error naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_assistant.actions.base import ActionRefused, actions_for
from edge_assistant.config.device import load_device_config
from edge_assistant.errors import ConfigError
from edge_assistant.home.model import load_home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.grammar import build_jsgf
from edge_assistant.understanding.understand import Understander
from tests.custom_home import INTENTS, SENTENCES, custom_home

HERE = Context(satellite_area="living_room")


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Understander:
    home = load_home(custom_home(tmp_path_factory.mktemp("home")))
    return Understander.from_config(load_device_config("cpu"), home, models_dir)


def test_custom_sentences_are_understood_by_text(reader: Understander) -> None:
    mood = reader.understand("set the mood to date night", HERE)
    assert (mood.intent, mood.slots, mood.layer) == ("SetMood", {"mood": "romantic"}, "templates")
    again = reader.understand("I want a party mood in here", HERE)
    assert (again.intent, again.slots) == ("SetMood", {"mood": "party"})
    woken = reader.understand("wake up the floor lamp", HERE)
    assert (woken.intent, woken.targets) == ("HassTurnOn", ("floor_lamp",))
    story = reader.understand("tell me a story about a dragon", HERE)
    assert (story.intent, story.slots) == ("TellStory", {"topic": "a dragon"})


def test_a_custom_intent_becomes_one_action_with_list_values_only(reader: Understander) -> None:
    home = reader.resolver.home
    actions = actions_for(reader.understand("set the mood to party", HERE), home)
    assert [(a.device_id, a.domain, a.service, a.data) for a in actions] == [
        ("intent:SetMood", "intent", "SetMood", {"mood": "party"})
    ]
    # a response-only intent does nothing but answer
    assert actions_for(reader.understand("tell me a story about cats", HERE), home) == []


def test_the_recognizers_grammar_holds_the_custom_sentences(tmp_path: Path) -> None:
    grammar = build_jsgf(load_home(custom_home(tmp_path)), speech=True)
    assert "set [ the ] mood to <l_mood>" in grammar
    assert "<l_mood> = ( ( romantic | date night ) | party )" in grammar
    assert "story" not in grammar  # a wildcard cannot be decoded: that sentence is text only


@pytest.mark.parametrize(
    ("sentences", "intents", "message"),
    [
        (
            {**SENTENCES, "language": "de"},
            INTENTS,
            r"moods.yaml: language must be 'en' \(got 'de'\)",
        ),
        (
            {**SENTENCES, "intents": {"SetMood": {"data": [{"sentences": ["set (the mood"]}]}}},
            INTENTS,
            r"moods.yaml: intents.SetMood.data\[0\]: cannot parse 'set \(the mood'",
        ),
        (SENTENCES, {"SetMood": INTENTS["SetMood"]}, r"intent TellStory has no action: add it"),
        (
            SENTENCES,
            {**INTENTS, "Dance": {"response": "no"}},
            r"home.yaml intents.Dance: no file in .* has sentences for it",
        ),
        (
            SENTENCES,
            {**INTENTS, "TellStory": {"mqtt": {"topic": "stories/{topic}"}}},
            r"intents.TellStory: \{topic\} holds words said \(a wildcard\)",
        ),
        (
            SENTENCES,
            {**INTENTS, "SetMood": {"response": "{colour}"}},
            r"intents.SetMood: \{colour\} is no slot of its sentences \(they fill: mood\)",
        ),
        (
            {**SENTENCES, "sentences": []},
            INTENTS,
            r"moods.yaml: unknown key\(s\) sentences",
        ),
    ],
)
def test_mistakes_in_custom_sentences_name_the_file_and_what_to_do(
    tmp_path: Path, sentences: dict, intents: dict, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_home(custom_home(tmp_path, sentences, intents))


def test_a_missing_folder_says_which(tmp_path: Path) -> None:
    path = custom_home(tmp_path)
    path.write_text(path.read_text().replace("custom_sentences/en", "custom_sentences/fr"))
    with pytest.raises(ConfigError, match=r"custom_sentences/fr: the custom_sentences folder"):
        load_home(path)


def test_an_action_for_an_intent_home_yaml_does_not_have_is_refused(tmp_path: Path) -> None:
    from edge_assistant.actions.base import Action, intent_of

    home = load_home(custom_home(tmp_path))
    with pytest.raises(ActionRefused, match=r"'Dance' is not an intent of home\.yaml"):
        intent_of(home, Action("intent:Dance", "intent", "Dance", {}))


def test_a_custom_sentence_works_by_voice(tmp_path: Path, models_dir: Path) -> None:
    """Spoken (Piper's voice), heard by the grammar recognizer, read by the template layer,
    done by the sink (the log sink here) and answered with home.yaml's response."""
    from tests.daemon_process import Daemon, device_config
    from tests.speech import say_wav

    home = custom_home(tmp_path / "home")
    audio = say_wav(tmp_path / "mood.wav", ("set the mood to party", 1.5))
    config = device_config(tmp_path)
    with Daemon(tmp_path, config, models_dir, "--home", str(home), "--audio-file", str(audio)) as d:
        assert d.finish(timeout=300) == 0, d.log_tail()
    [outcome] = d.outcomes
    assert (outcome["intent"], outcome["layer"]) == ("SetMood", "templates"), outcome
    assert outcome["said"] in ("Setting a party mood", "Setting a romantic mood"), outcome
    assert [(a["device"], a["service"], a["ok"]) for a in outcome["actions"]] == [
        ("intent:SetMood", "SetMood", True)
    ]
