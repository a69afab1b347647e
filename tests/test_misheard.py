"""Sound-alikes a recognizer writes for the words of a command (understanding/misheard.py):
put back next to a command's words, never alone."""

import pytest

from edge_assistant.understanding.misheard import mend_misheard


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("paws the music", "pause the music"),
        ("set a time her for 5 minutes", "set a timer for 5 minutes"),
        ("set a timer for for minutes", "set a timer for four minutes"),
        ("set a timer for ate minutes", "set a timer for eight minutes"),
        ("turn on the desk lamb", "turn on the desk lamp"),
        ("start the rumba", "start the roomba"),
        ("what's the whether like", "what's the weather like"),
        ("turn the heating up too 21", "turn the heating up to 21"),
        ("dim the chandler", "dim the chandelier"),
        ("lights off in the dinning room", "lights off in the dining room"),
    ],
)
def test_a_sound_alike_next_to_a_commands_words_is_put_back(heard: str, meant: str) -> None:
    assert mend_misheard(heard) == meant


@pytest.mark.parametrize(
    "said",
    ["the dog's paws are muddy", "chandler is coming round later", "we ate dinner at six",
     "i don't know whether to laugh", "the lamb is in the oven"],
)  # fmt: skip
def test_the_same_words_elsewhere_are_left_as_said(said: str) -> None:
    assert mend_misheard(said) == said
