"""Act, ask or refuse (understanding/decide.py) and relative changes (understanding/relative.py),
on readings built by hand: the rules, without the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_assistant.actions.base import actions_for
from edge_assistant.config.decisions import DecisionsConfig, Thresholds
from edge_assistant.errors import ConfigError
from edge_assistant.home.model import Home, load_home
from edge_assistant.policy.policy import Policy
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.decide import Decider, cut_off, negated
from edge_assistant.understanding.intents import Command
from edge_assistant.understanding.reconcile import reconciled
from edge_assistant.understanding.relative import apply_change, change_in
from edge_assistant.understanding.understand import lamps_only

HOME = Path(__file__).resolve().parents[1] / "examples" / "home.yaml"
HERE = Context(satellite_area="living_room")


@pytest.fixture(scope="module")
def home() -> Home:
    return load_home(HOME)


def reading(text: str, intent: str, targets: tuple[str, ...], confidence: float = 0.99,
            layer: str = "model", **slots) -> Command:  # fmt: skip
    return Command(text=text, intent=intent, slots=slots, confidence=confidence,
                   targets=targets, layer=layer)  # fmt: skip


@pytest.mark.parametrize(
    "text",
    ["don't turn off the lights", "please do not open the blinds", "no need to start the hoover",
     "leave the lights on", "oh don't dim the lights yet",
     "wait don't start the hoover the baby's asleep"],
)  # fmt: skip
def test_a_negated_request_never_acts_whichever_layer_read_it(home: Home, text: str) -> None:
    assert negated(text)
    for layer in ("model", "templates"):
        command = reading(text, "HassTurnOff", ("living_ceiling",), confidence=1.0, layer=layer)
        decided = Decider(home).decide(command, HERE)
        assert decided.decision == "refuse" and not decided.understood
        assert "not to do" in (decided.reason or "")


@pytest.mark.parametrize(
    "text", ["switch off the", "turn on the light by the", "dim the lights to", "what's the"]
)
def test_a_cut_off_request_is_refused_saying_what_was_heard(home: Home, text: str) -> None:
    assert cut_off(text)
    decided = Decider(home).decide(reading(text, "HassTurnOn", ("floor_lamp",)), HERE)
    assert decided.decision == "refuse"
    assert text.split()[-1] in (decided.reason or "")


@pytest.mark.parametrize(
    "text",
    ["turn on the lights please", "turn on the heater switch", "what's the heating set to",
     "where's alice got to", "switch the telly off then"],
)  # fmt: skip
def test_whole_requests_are_not_cut_off(text: str) -> None:
    assert not cut_off(text)


@pytest.mark.parametrize(
    ("text", "intent", "targets"),
    [("we need a new sofa", "HassTurnOn", ("floor_lamp",)),
     ("the coffee machine needs descaling", "HassTurnOff", ("coffee_machine",)),
     ("up", "HassTurnOn", ("tv",)), ("go", "HassMediaPrevious", ("tv",)),
     ("okay i want", "HassTurnOn", ("kitchen_ceiling",))],
)  # fmt: skip
def test_a_confident_guess_without_words_for_it_never_acts(
    home: Home, text: str, intent: str, targets: tuple[str, ...]
) -> None:
    decided = Decider(home).decide(reading(text, intent, targets, confidence=1.0), HERE)
    assert decided.decision == "refuse"
    assert decided.reason and ("guess" in decided.reason or "how things are" in decided.reason)


def test_a_need_said_instead_of_an_action_asks_naming_what_it_would_do(home: Home) -> None:
    command = reading("it's freezing in the office", "HassTurnOn", ("office_heater",))
    decided = Decider(home).decide(command, HERE)
    assert decided.decision == "ask"
    assert decided.clarify == "Do you want me to turn on the Office Heater?"
    verdict = Policy(home).check(decided)
    assert verdict.decision == "confirm"
    assert verdict.question.startswith("Do you want me to turn on the Office Heater?")


def test_said_and_named_at_a_confident_reading_acts(home: Home) -> None:
    command = reading("could you kill the lights in the kitchen", "HassTurnOff",
                      ("kitchen_ceiling", "kitchen_counter"))  # fmt: skip
    assert Decider(home).decide(command, HERE).decision == "act"


def test_thresholds_come_from_the_device_config(home: Home) -> None:
    command = reading("turn off the kitchen lights now", "HassTurnOff", ("kitchen_ceiling",),
                      confidence=0.85)  # fmt: skip
    assert Decider(home).decide(command, HERE).decision == "act"
    strict = DecisionsConfig(control=Thresholds(act=0.9, ask=0.5))
    decided = Decider(home, strict).decide(command, HERE)
    assert decided.decision == "ask" and decided.clarify
    lax_ask = DecisionsConfig(control=Thresholds(act=0.95, ask=0.9))
    assert Decider(home, lax_ask).decide(command, HERE).decision == "refuse"


def test_ask_above_act_is_a_config_error_naming_both() -> None:
    with pytest.raises((ConfigError, ValueError), match=r"ask .* must not be above act"):
        Thresholds(act=0.5, ask=0.8)


def test_a_question_the_model_reads_is_answered_only_when_asked(home: Home) -> None:
    decider = Decider(home)
    statement = reading("police are appealing for witnesses", "HassGetState", ("hall_sensor",))
    assert decider.decide(statement, HERE).decision == "refuse"
    question = reading("is the hall sensor on", "HassGetState", ("hall_sensor",))
    assert decider.decide(question, HERE).decision == "act"


@pytest.mark.parametrize(
    ("text", "said"),
    [("turn on the outdoor lights at 7 pm", "at 7 pm"), ("start the hoover in an hour", "in an hour"),
     ("turn the lights on at seven", "at seven"), ("turn off the heating tonight", "tonight"),
     ("switch the fan on for ten minutes", "for ten minutes")],
)  # fmt: skip
def test_a_command_for_later_is_never_done_now_whichever_layer_read_it(
    home: Home, text: str, said: str
) -> None:
    for layer in ("model", "templates"):
        decided = Decider(home).decide(reading(text, "HassTurnOn", ("garden_lights",), 1.0, layer))
        assert decided.decision == "refuse", decided
        assert said in (decided.reason or "")
    level = reading("set the lights at 50", "HassLightSet", ("living_ceiling",), brightness=50)
    assert Decider(home).decide(level, HERE).decision == "act"  # a level, not a time


@pytest.mark.parametrize(
    ("text", "intent", "targets"),
    [("turn off the bedroom", "HassTurnOff", ("bedside_lamp", "bedroom_ceiling")),
     ("turn everything off", "HassTurnOff", ("kitchen_ceiling", "living_ceiling")),
     ("lower it a bit", "HassLightSet", ("living_ceiling", "floor_lamp")),
     ("turn on the pool lights", "HassTurnOn", ("living_ceiling", "floor_lamp")),
     ("switch on the kitchen", "HassTurnOn", ("kitchen_ceiling", "kitchen_counter"))],
)  # fmt: skip
def test_a_reading_of_where_but_not_what_asks_first(
    home: Home, text: str, intent: str, targets: tuple[str, ...]
) -> None:
    decided = Decider(home).decide(reading(text, intent, targets, 1.0), HERE)
    assert decided.decision == "ask", decided
    assert decided.clarify and decided.clarify.startswith("Do you want me to")


def test_a_device_named_in_a_room_it_is_not_in_asks_whichever_layer_read_it(home: Home) -> None:
    for layer in ("model", "templates"):
        command = reading("turn off the speaker in the kitchen", "HassTurnOff",
                          ("office_speaker",), 1.0, layer)  # fmt: skip
        decided = Decider(home).decide(command, HERE)
        assert decided.decision == "ask" and "Kitchen" in (decided.reason or ""), decided
        assert decided.clarify == "Do you want me to turn off the Office Speaker?"
    here = reading("turn off the speaker in the office", "HassTurnOff", ("office_speaker",))
    assert Decider(home).decide(here, HERE).decision == "act"


def test_a_time_said_to_a_cancel_is_not_a_cancel(home: Home) -> None:
    shorten = reading("take a minute off the timer", "HassCancelTimer", (), 1.0)
    assert Decider(home).decide(shorten, HERE).decision == "refuse"
    cancel = reading("cancel the 5 minute timer", "HassCancelTimer", (), 1.0)
    assert Decider(home).decide(cancel, HERE).decision == "act"


def test_a_template_reading_acts(home: Home) -> None:
    command = reading("turn on the lights", "HassTurnOn", ("living_ceiling",), 1.0, "templates")
    assert Decider(home).decide(command, HERE).decision == "act"


@pytest.mark.parametrize(
    ("text", "domain", "change"),
    [("a bit brighter", "light", "up"), ("dim the lights", "light", "down"),
     ("it's too bright in here", "light", "down"), ("dim the lights to 20 percent", "light", None),
     ("turn the heating up a couple of degrees", "climate", 2),
     ("make it three degrees cooler", "climate", -3),
     ("close the curtains another 20 percent", "cover", -20),
     ("open the blinds a bit more", "cover", "up"), ("close the blinds", "cover", None),
     ("turn the lights on", "light", None), ("turn the volume down a bit", "media_player", "down"),
     ("turn it up by 10", "media_player", 10), ("bedroom fan faster", "fan", "up"),
     ("brighten the desk lamp by 10 percent", "light", 10),
     ("the light's too dim in the study", "light", "up"),
     ("dim the dining room lights to twenty", "light", None),
     ("dim the lights too 30", "light", None)],
)  # fmt: skip
def test_relative_changes_are_read_with_their_direction_and_size(
    text: str, domain: str, change: object
) -> None:
    assert change_in(text, domain) == change


def test_a_change_becomes_the_quantity_of_its_targets(home: Home) -> None:
    lights = apply_change(reading("turn the lights up a little", "HassTurnOn",
                                  ("living_ceiling", "floor_lamp")), home)  # fmt: skip
    assert lights.intent == "HassLightSet" and lights.slots == {"brightness_change": "up"}
    steps = {a.data["brightness_step_pct"] for a in actions_for(lights, home)}
    assert steps == {25}  # a step of its own: no state needed
    music = apply_change(reading("turn the music down", "HassMediaPause", ("tv",)), home)
    assert music.intent == "HassSetVolumeRelative" and music.slots == {"volume_step": "down"}
    assert [a.service for a in actions_for(music, home)] == ["volume_down"]
    pause = apply_change(reading("pause the music", "HassMediaPause", ("tv",)), home)
    assert pause.intent == "HassMediaPause"
    heat = apply_change(reading("a couple of degrees warmer", "HassClimateSetTemperature",
                                ("thermostat",), temperature=2), home)  # fmt: skip
    assert heat.slots == {"temperature_change": 2}
    with pytest.raises(ValueError, match="current temperature of thermostat is not known"):
        actions_for(heat, home)


def test_the_lamp_of_a_room_is_its_lamp_not_every_light(home: Home) -> None:
    room = reading("turn off the lamp", "HassTurnOff", ("living_ceiling", "floor_lamp"),
                   area="Living Room", domain="light")  # fmt: skip
    assert lamps_only(room, home).targets == ("floor_lamp",)
    lights = reading("turn off the lights", "HassTurnOff", ("living_ceiling", "floor_lamp"))
    assert lamps_only(lights, home).targets == ("living_ceiling", "floor_lamp")


@pytest.mark.parametrize(
    ("text", "read", "meant"),
    [("dock the robot vacuum", "HassVacuumStart", "HassVacuumReturnToBase"),
     ("send the vacuum home", "HassVacuumStart", "HassVacuumReturnToBase"),
     ("skip back", "HassMediaNext", "HassMediaPrevious"),
     ("start the vacuum", "HassVacuumStart", "HassVacuumStart"),
     ("skip to the next one", "HassMediaPrevious", "HassMediaNext")],
)  # fmt: skip
def test_a_reading_whose_words_say_the_other_of_a_pair_is_the_other(
    home: Home, text: str, read: str, meant: str
) -> None:
    target = ("robot_vacuum",) if "Vacuum" in read else ("tv",)
    assert reconciled(reading(text, read, target), home).intent == meant


def test_a_fans_position_is_its_speed(home: Home) -> None:
    command = reading("set the fan to 40 percent", "HassSetPosition", ("living_fan",),
                      position=40)  # fmt: skip
    fixed = reconciled(command, home)
    assert fixed.intent == "HassFanSetSpeed" and fixed.slots == {"percentage": 40}
    assert [a.service for a in actions_for(fixed, home)] == ["set_percentage"]


def test_a_yes_no_question_read_as_a_control_never_acts(home: Home) -> None:
    pointing = Context(satellite_area="kitchen", pointing_target="coffee_machine", camera=True,
                       gesture="pointing")  # fmt: skip
    question = reading("is that on", "HassTurnOn", ("coffee_machine",), 0.99)
    assert Decider(home).decide(question, pointing).decision == "refuse"
    request = reading("can you turn that on", "HassTurnOn", ("coffee_machine",), 0.99)
    assert Decider(home).decide(request, pointing).decision == "act"


def test_a_kind_said_that_the_reading_is_not_never_acts(home: Home) -> None:
    heat = reading("turn up the heat", "HassLightSet", ("desk_lamp",), 0.99,
                   brightness_change="up")  # fmt: skip
    decided = Decider(home).decide(heat, HERE)
    assert decided.decision == "refuse" and "'heat'" in (decided.reason or "")
    lights = reading("turn up the lights", "HassLightSet", ("living_ceiling",), 0.99,
                     brightness_change="up")  # fmt: skip
    assert Decider(home).decide(lights, HERE).decision == "act"


def test_unsure_between_things_asks(home: Home) -> None:
    either = reading("put the heating on or the fan i dunno", "HassTurnOn", ("thermostat",), 0.99)
    decided = Decider(home).decide(either, HERE)
    assert (
        decided.decision == "ask" and decided.clarify == "Do you want me to turn on the Thermostat?"
    )


def test_a_device_said_that_the_reading_is_not_never_acts(home: Home) -> None:
    """ "put the telly on for me" read as the living room's lights: the TV was said."""
    lights = reading("put the telly on for me", "HassTurnOn", ("living_ceiling", "floor_lamp"),
                     0.99, area="Living Room", domain="light")  # fmt: skip
    decided = Decider(home).decide(lights, HERE)
    assert decided.decision == "refuse" and "TV" in (decided.reason or "")


def test_a_question_about_a_thing_must_name_it(home: Home) -> None:
    """A state question read of things the words do not name is no question about them."""
    sensor = reading("what are you watching", "HassGetState", ("hall_sensor",), 0.99,
                     domain="binary_sensor")  # fmt: skip
    assert Decider(home).decide(sensor, HERE).decision == "refuse"
    sprinkler = reading("are the garden lights still on", "HassGetState", ("sprinkler",), 0.99,
                        area="Garden", domain="switch", state="on")  # fmt: skip
    assert Decider(home).decide(sprinkler, HERE).decision == "refuse"
    lights = reading("are the garden lights still on", "HassGetState", ("garden_lights",), 0.99,
                     name="Garden Lights", state="on")  # fmt: skip
    assert Decider(home).decide(lights, HERE).decision == "act"


@pytest.mark.parametrize(
    ("text", "bare"),
    [("twenty degrees", True), ("about 50 percent please", True), ("20%", True),
     ("set it to twenty", False), ("heating to 20", False), ("turn on the lights", False)],
)  # fmt: skip
def test_a_value_said_alone_is_no_request(text: str, bare: bool) -> None:
    from edge_assistant.understanding.decide import bare_value

    assert bare_value(text) is bare


def test_unlock_read_as_locking_never_acts_and_lock_read_as_locking_does(home: Home) -> None:
    """Locking is Home Assistant's turn on, unlocking its turn off: the words must say the
    reading's own action, so a lock is never locked when asked to unlock, or the reverse."""
    wrong = reading("unlock the door", "HassTurnOn", ("front_door",), 0.99)
    assert Decider(home).decide(wrong, HERE).decision != "act"
    wrong = reading("lock the door", "HassTurnOff", ("front_door",), 0.99)
    assert Decider(home).decide(wrong, HERE).decision != "act"
    right = reading("lock the door", "HassTurnOn", ("front_door",), 0.99)
    assert Decider(home).decide(right, HERE).decision == "act"


@pytest.mark.parametrize("text", ["lock the front", "dim the big"])
def test_a_request_cut_after_the_first_word_of_a_name_is_refused(home: Home, text: str) -> None:
    """ "The front" of "the front door", "the big" of "the big light": what was cut off is
    what the request was for."""
    decided = Decider(home).decide(reading(text, "HassTurnOn", ("front_door",), 0.99), HERE)
    assert decided.decision == "refuse" and "part of a request" in (decided.reason or "")
