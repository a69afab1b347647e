"""A home with custom sentences in Home Assistant's format, for the tests that need one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO

SENTENCES = {
    "language": "en",
    "intents": {
        "SetMood": {"data": [{"sentences": [
            "set [the] mood to {mood}",
            "(make it|i want) [a] {mood} [mood] [in here]",
        ]}]},
        "TellStory": {"data": [{"sentences": ["tell me a story about {topic}"]}]},
        # more words for a built-in intent, as Home Assistant allows
        "HassTurnOn": {"data": [{"sentences": ["wake up [the] {name}"]}]},
    },
    "lists": {
        "mood": {"values": [{"in": "(romantic|date night)", "out": "romantic"}, "party"]},
        "topic": {"wildcard": True},
    },
}  # fmt: skip
INTENTS = {
    "SetMood": {
        "response": "Setting a {mood} mood",
        "mqtt": {"topic": "home/mood/set", "payload": "{mood}"},
        "service": {"name": "scene.turn_on", "entity_id": "scene.{mood}"},
    },
    "TellStory": {"response": "Once upon a time there was {topic}. The end."},
}


def custom_home(
    folder: Path,
    sentences: dict[str, Any] | None = None,
    intents: dict[str, Any] | None = None,
    base: Path = REPO / "examples" / "home.yaml",
) -> Path:
    """``base`` (examples/home.yaml) plus custom_sentences/en/moods.yaml and its intents;
    returns the home.yaml path."""
    (folder / "custom_sentences" / "en").mkdir(parents=True, exist_ok=True)
    (folder / "custom_sentences" / "en" / "moods.yaml").write_text(
        yaml.safe_dump(SENTENCES if sentences is None else sentences)
    )
    home = yaml.safe_load(base.read_text())
    home["custom_sentences"] = "custom_sentences/en"
    home["intents"] = INTENTS if intents is None else intents
    path = folder / "home.yaml"
    path.write_text(yaml.safe_dump(home, sort_keys=False))
    return path
