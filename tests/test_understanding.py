"""The understanding stage on the real quantized models, in both backends: the camera's
context changes the command where it should, and nothing unclear becomes an action."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_assistant.actions.base import actions_for
from edge_assistant.config.device import load_device_config
from edge_assistant.home import load_home
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.intents import meaning
from edge_assistant.understanding.understand import Understander
from tests.conftest import REPO

HOME = load_home(REPO / "examples" / "home.yaml")


@pytest.fixture(scope="module", params=["onnxruntime", "openvino"])
def understander(request: pytest.FixtureRequest, models_dir: Path) -> Understander:
    config = load_device_config("cpu")
    if request.param == "openvino":
        for role in ("text_encoder", "understanding"):
            config = config.with_overrides(role, backend="openvino")
    return Understander.from_config(config, HOME, models_dir)


def seen_in(area: str, **extra: object) -> Context:
    return Context(satellite_area="living_room", speaker_area=area, camera=True, **extra)


def test_turn_on_the_light_follows_the_speaker(understander: Understander) -> None:
    kitchen = understander.understand("turn on the light", seen_in("kitchen"))
    bedroom = understander.understand("turn on the light", seen_in("bedroom"))
    assert kitchen.intent == bedroom.intent == "HassTurnOn"
    assert kitchen.slots == {"area": "Kitchen", "domain": "light"}
    assert bedroom.slots == {"area": "Bedroom", "domain": "light"}
    assert set(kitchen.targets) == {"kitchen_ceiling", "kitchen_counter"}
    assert set(bedroom.targets) == {"bedside_lamp", "bedroom_ceiling"}


def test_without_a_camera_the_satellite_area_is_used(understander: Understander) -> None:
    command = understander.understand("turn on the light", Context(satellite_area="office"))
    assert command.slots == {"area": "Office", "domain": "light"}
    assert command.targets == ("desk_lamp",)


def test_turn_that_off_is_what_is_pointed_at(understander: Understander) -> None:
    tv = understander.understand(
        "turn that off", seen_in("living_room", pointing_target="tv", gesture="pointing")
    )
    fan = understander.understand(
        "turn that off", seen_in("living_room", pointing_target="living_fan", gesture="pointing")
    )
    assert tv.intent == fan.intent == "HassTurnOff"
    assert tv.slots == {"name": "TV"} and tv.targets == ("tv",)
    assert fan.slots == {"name": "Ceiling Fan"} and fan.targets == ("living_fan",)


def test_that_without_pointing_is_not_guessed(understander: Understander) -> None:
    command = understander.understand("turn that off", Context(satellite_area="living_room"))
    assert command.intent is None
    assert command.targets == ()


def test_too_bright_dims_the_speakers_area(understander: Understander) -> None:
    command = understander.understand("it's too bright in here", seen_in("office"))
    assert command.intent == "HassLightSet"
    assert command.slots == {"area": "Office", "domain": "light", "brightness_change": "down"}


def test_unlock_the_front_door_needs_verification(understander: Understander) -> None:
    command = understander.understand("unlock the front door", Context(satellite_area="hallway"))
    assert command.intent == "HassTurnOff"
    assert command.slots == {"name": "Front Door"}
    assert command.needs_verification
    lamp = understander.understand("turn off the bedside lamp", Context(satellite_area="hallway"))
    assert lamp.slots == {"name": "Bedside Lamp"} and not lamp.needs_verification


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("turn on the jacuzzi", "no device called"),
        ("order me a pizza", "no intent matched"),
        ("", "empty transcript"),
        ("lights " * 200, "longer than 500 characters"),
    ],
)
def test_unclear_requests_are_refused_with_a_reason(
    understander: Understander, text: str, reason: str
) -> None:
    command = understander.understand(text, Context(satellite_area="living_room"))
    assert command.intent is None
    assert reason in (command.reason or "")


def test_area_less_command_without_any_area_is_refused(understander: Understander) -> None:
    command = understander.understand("turn on the light", Context())
    assert command.intent is None
    assert "which room" in (command.reason or "")


def test_questions_about_people_are_answered_from_the_camera(understander: Understander) -> None:
    from edge_assistant.understanding.people import answer_people

    seen = Context(satellite_area="living_room", camera=True, people={"kitchen": 2},
                   known_people={"alice": "kitchen"})  # fmt: skip
    anyone = understander.understand("is anyone in the kitchen", seen)
    assert anyone.intent == "HassGetState"
    # Home Assistant's reading (the template layer): people whose state is the kitchen
    assert anyone.slots == {"state": "kitchen", "domain": "person"}
    assert answer_people(anyone, seen, HOME) == "I see 2 people in the Kitchen: Alice."
    where = understander.understand("where is alice", seen)
    assert where.slots["name"] == "Alice" and where.slots["domain"] == "person"
    assert answer_people(where, seen, HOME) == "Alice was last seen in the Kitchen."
    empty = understander.understand("who is in the office", seen)
    assert answer_people(empty, seen, HOME) == "I don't see anyone in the Office."
    blind = Context(satellite_area="living_room")
    assert answer_people(anyone, blind, HOME) == "I can't tell without a camera."


def test_hand_written_paraphrases_stay_understood(understander: Understander) -> None:
    """A floor under bench/understanding.py's figures (0.968 intent, 0.949 slots on the
    ORT INT8 model): a regression in data, model or resolver shows up here."""
    import json

    def canon(slots: dict) -> dict:
        return {k: v.lower() if isinstance(v, str) else float(v) for k, v in slots.items()}

    lines = (REPO / "tests" / "data" / "paraphrases.jsonl").read_text().splitlines()
    intents = slots = 0
    for line in lines:
        example = json.loads(line)
        context = Context(**example.get("context", {"satellite_area": "living_room"}))
        command = understander.understand(example["text"], context)
        intents += command.intent == example["intent"]
        slots += command.intent == example["intent"] and canon(
            meaning(command.intent, command.slots)
        ) == canon(meaning(example["intent"], example["slots"]))
    assert intents / len(lines) >= 0.93
    assert slots / len(lines) >= 0.88


# --- layer 1: Home Assistant's templates ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        # the intents the fusion model does not have, each once turned into its nearest one
        ("pause the timer", "HassPauseTimer", {}),
        ("add 5 minutes to my timer", "HassIncreaseTimer", {"minutes": 5}),
        ("how much time is left on my timer", "HassTimerStatus", {}),
        ("previous track", "HassMediaPrevious", {"area": "Living Room"}),
        ("what time is it", "HassGetCurrentTime", {}),
    ],
)
def test_templates_read_what_home_assistant_reads(
    understander: Understander, text: str, intent: str, slots: dict
) -> None:
    command = understander.understand(text, Context(satellite_area="living_room"))
    assert command.layer == "templates", command
    assert command.intent == intent, command
    assert meaning(intent, command.slots) == slots, command


def test_templates_read_scenes_and_lists_by_their_names(understander: Understander) -> None:
    every = load_home(REPO / "examples" / "home-all-domains.yaml")
    reader = Understander(understander.encoder, understander.fusion, every)
    here = Context(satellite_area="living_room")
    scene = reader.understand("activate movie night", here)
    assert (scene.intent, scene.targets, scene.layer) == (
        "HassTurnOn",
        ("movie_night",),
        "templates",
    )
    for text, intent, targets in [
        ("mute the tv", "HassMediaPlayerMute", ("tv",)),
        ("mute the speakers", "HassMediaPlayerMute", ("tv",)),  # here: not the office's
        ("unmute the television", "HassMediaPlayerUnmute", ("tv",)),
        ("start mowing the lawn", "HassLawnMowerStartMowing", ("lawn_mower",)),
        ("dock the lawn mower", "HassLawnMowerDock", ("lawn_mower",)),
        ("set the bedroom fan to 40%", "HassFanSetSpeed", ("bedroom_fan",)),
    ]:  # intents newer than the pinned templates: the project's own sentences
        newer = reader.understand(text, here)
        assert (newer.intent, newer.targets, newer.layer) == (intent, targets, "templates"), newer
    listed = reader.understand("add milk to my shopping list", here)
    assert listed.intent == "HassListAddItem"
    assert listed.slots == {"item": "milk", "name": "Shopping List"}
    assert listed.targets == ("shopping_list",)
    # a home without a list: understood as asked, and kept by the daemon (daemon/lists.py),
    # no device of the home touched
    nowhere = understander.understand("add milk to my shopping list", here)
    assert (nowhere.intent, nowhere.targets) == ("HassShoppingListAddItem", ())
    assert actions_for(nowhere, HOME) == []


def test_chat_gets_the_assistants_own_answer(understander: Understander) -> None:
    from edge_assistant.daemon.answers import spoken_answer

    asked = understander.understand("are you always listening", Context())
    assert (asked.intent, asked.response) == ("HassRespond", "listening")
    assert "stays on this device" in (spoken_answer(asked) or "")


@pytest.mark.parametrize(
    ("sentence", "intent", "targets"),
    [
        ("switch on the lamp by the bed", "HassTurnOn", ("bedside_lamp",)),  # a description
        # intents the model learned later: before, the nearest it knew (next track, cancel)
        ("could you go back one song", "HassMediaPrevious", ("tv",)),
        ("how long till my timer rings", "HassTimerStatus", ()),
        ("any idea what time it is", "HassGetCurrentTime", ()),
    ],
)
def test_a_sentence_the_templates_do_not_match_goes_to_the_model(
    understander: Understander, sentence: str, intent: str, targets: tuple[str, ...]
) -> None:
    command = understander.understand(sentence, Context(satellite_area="living_room"))
    assert command.layer == "model"
    assert (command.intent, command.targets) == (intent, targets), command


def test_a_device_intent_acts_only_on_its_own_kind(understander: Understander) -> None:
    """ "previous track" in the living room is its media player, not everything in it."""
    command = understander.understand("previous track", Context(satellite_area="living_room"))
    assert command.targets == ("tv",)


def test_a_device_intent_with_nothing_to_act_on_is_not_understood(
    understander: Understander,
) -> None:
    command = understander.understand(
        "turn on the fans in the garage", Context(satellite_area="living_room")
    )
    assert command.intent is None and command.layer == "templates"
    assert command.reason == "HassTurnOn: no fan in Garage to act on"


def test_the_templates_use_the_satellites_area(understander: Understander) -> None:
    here = understander.understand("turn off the lights", Context(satellite_area="bedroom"))
    assert here.layer == "templates"
    assert here.slots == {"area": "Bedroom", "domain": "light"}
    assert set(here.targets) == {"bedside_lamp", "bedroom_ceiling"}


def test_a_whole_home_action_is_never_the_models_guess() -> None:
    """The model may read a device it does not know as "every light"; without a word for the
    whole home that is never every light in the house: the lights where you are ("lower the
    lights by 20 percent"), as Home Assistant reads a satellite's command, and not understood
    where no room is known. (The decision then refuses "put the telly on" read as lights:
    the TV was said.)"""
    from edge_assistant.understanding.resolver import Prediction, Resolver

    resolver = Resolver(HOME)
    everywhere = Prediction("HassTurnOn", 0.99, "light", "none", [])
    here = Context(satellite_area="living_room")
    guess = resolver.resolve("lower the lights", everywhere, here)
    assert set(guess.targets) == {"living_ceiling", "floor_lamp"}
    nowhere = resolver.resolve("lower the lights", everywhere, Context())
    assert nowhere.intent is None and nowhere.targets == ()
    assert nowhere.reason == "which light? say where, or 'all' for the whole home"
    asked = resolver.resolve("turn on all the lights", everywhere, here)
    assert len(asked.targets) == sum(d.domain == "light" for d in HOME.devices)


LIGHTS = ("kitchen_ceiling", "kitchen_counter", "living_ceiling", "floor_lamp",
          "dining_chandelier", "hall_light", "garage_light", "bedside_lamp", "bedroom_ceiling",
          "kids_light", "desk_lamp", "bathroom_light", "garden_lights")  # fmt: skip
HERE_LIGHTS = ("living_ceiling", "floor_lamp")
# Issue 16's table, as a person would expect each: (decision, intent, targets) per command.
SAID_AND_MEANT = [
    ("don't turn off the lights", [("refuse", None, None)]),
    ("turn the heating up a couple of degrees",
     [("act", "HassClimateSetTemperature", ("thermostat",))]),
    ("turn the kitchen lights off in five minutes", [("act", "HassStartTimer", ())]),
    ("it's freezing in the office", [("ask", "HassTurnOn", ("office_heater",))]),
    ("a bit brighter", [("act", "HassLightSet", HERE_LIGHTS)]),
    ("illuminate the entire home", [("act", "HassTurnOn", LIGHTS)]),
    ("switch off the telly and turn the lights on",
     [("act", "HassTurnOff", ("tv",)), ("act", "HassTurnOn", HERE_LIGHTS)]),
    ("turn on the light in the kitchen, then turn off the light in the living room",
     [("act", "HassTurnOn", ("kitchen_ceiling", "kitchen_counter")),
      ("act", "HassTurnOff", HERE_LIGHTS)]),
    ("the", [("refuse", None, None)]), ("up", [("refuse", None, None)]),
    ("go", [("refuse", None, None)]), ("yep", [("refuse", None, None)]),
    ("hey computer", [("refuse", None, None)]),
    ("open the living room curtains", [("act", "HassTurnOn", ("living_curtains",))]),
    ("turn on the fan", [("act", "HassTurnOn", ("living_fan",))]),
    ("did I leave the garage open", [("act", "HassGetState", ("garage_door",))]),
    ("turn the volume down a bit", [("act", "HassSetVolumeRelative", ("tv",))]),
    ("turn on the garden lights at 7 pm", [("act", "HassStartTimer", ())]),
    ("turn off the tv and the floor lamp and turn on the fan",  # one verb for two, then another
     [("act", "HassTurnOff", ("tv", "floor_lamp")), ("act", "HassTurnOn", ("living_fan",))]),
]  # fmt: skip


@pytest.mark.parametrize(("said", "meant"), SAID_AND_MEANT, ids=[s for s, _ in SAID_AND_MEANT])
def test_what_people_say_is_done_asked_or_refused_as_a_person_expects(
    understander: Understander, said: str, meant: list[tuple]
) -> None:
    commands = understander.understand_all(said, Context(satellite_area="living_room"))
    got = [(c.decision, c.intent if c.decision != "refuse" else None,
            tuple(c.targets) if c.decision != "refuse" else None) for c in commands]  # fmt: skip
    assert got == meant, [c.to_json() for c in commands]


def test_okay_i_want_in_the_kitchen_does_nothing(understander: Understander) -> None:
    command = understander.understand("okay i want", Context(satellite_area="kitchen"))
    assert command.decision == "refuse", command


def test_a_command_for_a_time_is_a_timer_that_does_it_then(understander: Understander) -> None:
    here = Context(satellite_area="living_room")
    later = understander.understand("turn on the garden lights at 7 pm", here)
    assert later.slots == {"at": "19:00", "name": "7 pm",
                           "conversation_command": "turn on the garden lights"}  # fmt: skip
    hour = understander.understand("start the hoover in an hour", here)
    assert hour.intent == "HassStartTimer" and hour.slots["hours"] == 1
    tonight = understander.understand("turn on the lights tonight", here)
    assert tonight.decision == "refuse" and "later" in (tonight.reason or "")


# What the second blind set's failures taught (issue 16): each is a rule of the words, read
# here through the real templates and model on both backends.
@pytest.mark.parametrize(
    ("said", "area", "decision", "intent", "targets", "slots"),
    [
        # never a wrong action: things left out, said to someone else, said of how things are
        ("turn off the lights except the floor lamp", "living_room", "act", "HassTurnOff",
         ("living_ceiling",), {}),
        ("switch off every light upstairs except the bathroom", "kitchen", "act", "HassTurnOff",
         ("bedside_lamp", "bedroom_ceiling", "kids_light", "desk_lamp"), {}),
        ("turn off the lights except the pool", "living_room", "refuse", None, None, {}),
        ("let me turn the lamp on for you", "living_room", "refuse", None, None, {}),
        ("hang on let me put you on speaker", "living_room", "refuse", None, None, {}),
        ("sweetheart could you switch the big light off on your way up", "living_room",
         "refuse", None, None, {}),
        # a reason said after the request, or what led to it before: the request alone
        ("turn the lights off we're going up to bed", "living_room", "act", "HassTurnOff",
         ("living_ceiling", "floor_lamp"), {}),
        ("open the drapes it's a lovely morning", "living_room", "act", "HassTurnOn",
         ("living_curtains",), {}),
        ("put the heating on it's baltic", "living_room", "act", "HassTurnOn", ("thermostat",),
         {}),
        ("turn off the coffee machine when you get a chance", "kitchen", "act", "HassTurnOff",
         ("coffee_machine",), {}),
        ("everyone's gone home so switch the patio lights off", "living_room", "act",
         "HassTurnOff", ("garden_lights",), {}),
        # a device said by name, read as the room's lights by the model: that device
        ("put the telly on", "living_room", "act", "HassTurnOn", ("tv",), {}),
        ("turn the lights on by the telly", "living_room", "not act", None, None, {}),
        # mute, said any way, is a mute (the model reads it as a pause)
        ("put the tv on mute", "living_room", "act", "HassMediaPlayerMute", ("tv",), {}),
        ("mute the telly during the adverts", "living_room", "act", "HassMediaPlayerMute",
         ("tv",), {}),
        # words a recognizer wrote as their sound-alikes
        ("paws the music", "office", "act|ask", "HassMediaPause", ("office_speaker",), {}),
        ("set a timer for ate minutes", "kitchen", "act", "HassStartTimer", None,
         {"minutes": 8}),
        # ways of saying what Home Assistant's templates lack
        ("set a bath timer for ten minutes", "kitchen", "act", "HassStartTimer", None,
         {"name": "bath", "minutes": 10}),
        ("how long has the pasta timer got", "kitchen", "act", "HassTimerStatus", None,
         {"name": "pasta"}),
        ("hiya", "kitchen", "act", "HassRespond", None, {}),
        ("who made you then", "kitchen", "act", "HassRespond", None, {}),
        ("where does my data go to", "kitchen", "act", "HassRespond", None, {}),
        ("got the time", "kitchen", "act", "HassGetCurrentTime", None, {}),
        # a self-correction: the request after it, "it" the thing named before
        ("switch off the garage light wait no switch it on", "garage", "act", "HassTurnOn",
         ("garage_light",), {}),
        ("don't close the curtains open them", "living_room", "act", "HassTurnOn",
         ("living_curtains",), {}),
        ("not the big light the lamp turn the lamp off", "living_room", "act", "HassTurnOff",
         ("floor_lamp",), {}),
        ("turn off the lights no don't", "living_room", "refuse", None, None, {}),
        ("don't start the hoover the baby's asleep", "living_room", "refuse", None, None, {}),
        # the reading the words say
        ("turn the tv off at half ten", "living_room", "act", "HassStartTimer", None,
         {"at": "10:30|22:30"}),
        ("put the star lamp on green", "kids_room", "act", "HassLightSet", ("kids_light",),
         {"color": "green"}),
        ("turn the brightness down on the kitchen ceiling light by 25 percent", "kitchen",
         "act", "HassLightSet", ("kitchen_ceiling",), {"brightness_change": -25}),
        ("bring the kitchen blind down 15 percent", "kitchen", "act|ask", "HassSetPosition",
         ("kitchen_blind",), {"position_change": -15}),
        ("play ed sheeran please", "office", "act", "HassMediaSearchAndPlay",
         ("office_speaker",), {"search_query": "ed sheeran"}),
        ("homework timer for forty minutes", "kids_room", "right if act", "HassStartTimer", None,
         {"name": "homework", "minutes": 40}),
        ("how warm is the bathroom", "bathroom", "act", "HassGetState",
         ("bathroom_temperature",), {}),
        ("is the fan on in the bedroom", "bedroom", "act", "HassGetState", ("bedroom_fan",),
         {"state": "on"}),
        ("switch on the under cabinet lights i'm doing the washing up", "kitchen", "act",
         "HassTurnOn", ("kitchen_counter",), {}),
        # a level read with another kind's intent, or a blind's with none: as its kind
        ("fan to half speed", "living_room", "right if act", "HassFanSetSpeed", ("living_fan",),
         {"percentage": 50}),
        ("power down the television", "living_room", "right if act", "HassTurnOff", ("tv",),
         {}),
        ("crank the speaker up", "office", "act|ask", "HassSetVolumeRelative",
         ("office_speaker",), {"volume_step": "up"}),
        ("how many degrees is it in the family room", "kitchen", "act|ask",
         "HassClimateGetTemperature", ("thermostat",), {}),
        ("is the bathroom nice and warm", "bathroom", "act|ask", "HassGetState",
         ("bathroom_temperature",), {}),
        ("open the curtains a third of the way", "living_room", "act|ask", "HassSetPosition",
         ("living_curtains",), {"position": 33}),
        ("give the timer an extra minute", "kitchen", "act|ask", "HassIncreaseTimer", None,
         {"minutes": 1}),
        ("i'd like the heating up to twenty if you would", "living_room", "act|ask",
         "HassClimateSetTemperature", ("thermostat",), {"temperature": 20}),
        ("open the blind a little", "kitchen", "act|ask", "HassSetPosition", ("kitchen_blind",),
         {"position_change": "up"}),
        ("turn off the hoover light no the hall light", "hallway", "act|ask", "HassTurnOff",
         ("hall_light",), {}),
        # switching said with other verbs, something to play put on, episodes, this room
        ("stop the coffee maker", "kitchen", "act", "HassTurnOff", ("coffee_machine",), {}),
        ("get the coffee machine started", "kitchen", "act", "HassTurnOn", ("coffee_machine",),
         {}),
        ("stop the music", "office", "act", "HassMediaPause", ("office_speaker",), {}),
        ("previous episode on the telly", "living_room", "act", "HassMediaPrevious", ("tv",),
         {}),
        ("put the news on", "living_room", "act", "HassMediaSearchAndPlay", ("tv",),
         {"search_query": "the news"}),
        ("put the kettle on", "kitchen", "not act", None, None, {}),
        ("put dad on would you", "living_room", "not act", None, None, {}),
        ("make this room a bit brighter", "dining_room", "act|ask", "HassLightSet",
         ("dining_chandelier",), {"brightness_change": "up"}),
        ("make them brighter", "kitchen", "not act", None, None, {}),
        # questions read by their words: motion, timers, a room's temperature
        ("is there any movement in the hall", "hallway", "act|ask", "HassGetState",
         ("hall_sensor",), {}),
        ("any timers running", "kitchen", "act|ask", "HassTimerStatus", None, {}),
        ("temperature in the family room", "kitchen", "act|ask", "HassClimateGetTemperature",
         ("thermostat",), {}),
        ("how cold is it in the lounge right now", "kitchen", "act|ask",
         "HassClimateGetTemperature", ("thermostat",), {}),
        ("pull back the drapes please", "living_room", "act|ask", "HassTurnOn",
         ("living_curtains",), {}),
        ("set the office heater to 20 no 21", "office", "act|ask", "HassClimateSetTemperature",
         ("office_heater",), {"temperature": 21}),
        ("worktop lights on please love", "kitchen", "act", "HassTurnOn", ("kitchen_counter",),
         {}),
        ("can you close the curtains before you come to bed love", "living_room", "not act",
         None, None, {}),
        # idioms, dialect, a unit left out, the outdoors, the room's one door
        ("put the fan on full whack", "living_room", "act|ask", "HassFanSetSpeed",
         ("living_fan",), {"percentage": 100}),
        ("switch on the wee lamp", "kids_room", "act", "HassTurnOn", ("kids_light",), {}),
        ("pause the telly i need a wee", "living_room", "act|ask", "HassMediaPause", ("tv",),
         {}),
        ("lamp off in 10", "living_room", "act", "HassStartTimer", None, {"minutes": 10}),
        ("time 6 minutes for the eggs", "kitchen", "act", "HassStartTimer", None,
         {"minutes": 6}),
        ("turn on the outside lights", "living_room", "act", "HassTurnOn", ("garden_lights",),
         {}),
        ("water the garden", "garden", "act", "HassTurnOn", ("sprinkler",), {}),
        ("close the door", "garage", "act", "HassTurnOff", ("garage_door",), {}),
        ("open the door", "hallway", "not act", None, None, {}),
        ("play", "living_room", "act", "HassMediaUnpause", ("tv",), {}),
        ("turn the big light on", "bedroom", "not act", None, None, {}),
        ("turn the big light on", "living_room", "act", "HassTurnOn", ("living_ceiling",), {}),
        ("switch the outdoor lights on", "living_room", "act", "HassTurnOn", ("garden_lights",),
         {}),
        ("kill the telly", "living_room", "act", "HassTurnOff", ("tv",), {}),
        ("is the hallway motion sensor on", "hallway", "act", "HassGetState", ("hall_sensor",),
         {"state": "on"}),
        ("nevermind i'll do it myself", "kitchen", "act", "HassNevermind", None, {}),
        ("never mind the timer", "kitchen", "right if act", "HassCancelTimer", None, {}),
        # what the fifth blind set's first run taught
        ("you're on mute", "office", "not act", None, None, {}),
        ("can we go back to the previous slide", "office", "not act", None, None, {}),
        ("could you turn the volume up on your end", "office", "not act", None, None, {}),
        ("echo stop", "living_room", "not act", None, None, {}),
        ("just ask it to dim the lights it'll do it", "living_room", "not act", None, None, {}),
        ("robot vacuum", "living_room", "not act", None, None, {}),
        ("the hall light takes ages to come on", "hallway", "not act", None, None, {}),
        ("what's on the thermostat", "living_room", "act", "HassClimateGetTemperature",
         ("thermostat",), {}),
        ("turn off the lights but leave the counter ones", "kitchen", "act", "HassTurnOff",
         ("kitchen_ceiling",), {}),
        ("announce that we're leaving in five minutes", "kitchen", "act", "HassBroadcast", None,
         {}),
        # blinds up and down, dialect and politeness, sound-alikes, lead-ins without "so"
        ("blind down please", "kitchen", "act", "HassTurnOff", ("kitchen_blind",), {}),
        ("upstairs blinds down please", "bedroom", "act", "HassTurnOff", ("bedroom_blinds",),
         {}),
        ("blinds down", "living_room", "not act", None, None, {}),
        ("cannae see a thing in the hall", "hallway", "act|ask", "HassTurnOn", ("hall_light",),
         {}),
        ("would you be so kind as to turn the television off", "living_room", "act",
         "HassTurnOff", ("tv",), {}),
        ("please do the needful and switch on the desk lamp", "office", "act", "HassTurnOn",
         ("desk_lamp",), {}),
        ("turn the shanda lear off", "dining_room", "act", "HassTurnOff",
         ("dining_chandelier",), {}),
        ("broadcast i'm off to work see you later", "hallway", "act", "HassBroadcast", None, {}),
        ("music down a bit please", "office", "act|ask", "HassSetVolumeRelative",
         ("office_speaker",), {}),
        ("what temperature is it in here", "office", "act|ask", "HassClimateGetTemperature",
         ("office_heater",), {}),
        ("it's baltic in here put the heating up", "living_room", "act|ask",
         "HassClimateSetTemperature", ("thermostat",), {}),
        ("i'm going to close the curtains", "living_room", "not act", None, None, {}),
        ("i'm going to turn the heater off in a minute", "office", "not act", None, None, {}),
        ("are the blinds open", "bedroom", "act", "HassGetState", ("bedroom_blinds",),
         {"state": "open"}),
        ("add book the dentist to my reminders", "office", "act", "HassListAddItem", None,
         {"item": "book the dentist"}),
        # what the sixth blind set's first run taught
        ("close the curtains mrs hughes we're in mourning", "living_room", "not act", None,
         None, {}),
        ("you just say turn on the lamp and it does it", "living_room", "not act", None, None,
         {}),
        ("dim the chandelier to about", "dining_room", "not act", None, None, {}),
        ("the blind's halfway down", "kitchen", "not act", None, None, {}),
        ("green is my favourite colour for my star lamp", "kids_room", "not act", None, None,
         {}),
        ("i was going to put the heating on but it warmed up", "living_room", "not act", None,
         None, {}),
        ("i wouldn't mind the lamp a bit dimmer but it's fine", "living_room", "not act", None,
         None, {}),
        ("those curtains need taking up", "living_room", "not act", None, None, {}),
        ("switch off the light and on the heater", "office", "not act", None, None, {}),
        ("turn off the lamp in the kitchen", "kitchen", "not act", None, None, {}),
        ("put the telly on in here", "kitchen", "not act", None, None, {}),
        ("the fan please more slow", "bedroom", "act|ask", "HassFanSetSpeed", ("bedroom_fan",),
         {"percentage_change": "down"}),
        # asked or refused rather than guessed
        ("set the living room to 68", "living_room", "not act", None, None, {}),
        ("what's the temperature", "kitchen", "not act", None, None, {}),
        ("turn on the kitchen light no wait not the kitchen the bedroom", "kitchen", "not act",
         None, None, {}),
        ("let's pause there and take questions", "office", "not act", None, None, {}),
        ("is it raining there too it's chucking it down here", "kitchen", "not act", None, None,
         {}),
        ("who's been in the office", "kitchen", "not act", None, None, {}),
        ("how long is left on", "kitchen", "not act", None, None, {}),
        # a thing named whole and a level: set as its kind is set
        ("drapes to seventy", "living_room", "act", "HassSetPosition", ("living_curtains",),
         {"position": 70}),
        ("ceiling fan to a quarter", "living_room", "act", "HassFanSetSpeed", ("living_fan",),
         {"percentage": 25}),
        ("switch on the lamp by the bed", "living_room", "act", "HassTurnOn", ("bedside_lamp",),
         {}),
        # asked first, or refused
        ("turn on the upstairs telly", "living_room", "not act", None, None, {}),
        ("draw the curtains", "living_room", "not act", None, None, {}),
        ("turn the floor lamp purple and the bedside lamp blue", "living_room", "not act", None,
         None, {}),
        ("please can you put the heater on in the study", "office", "right if act",
         "HassTurnOn", ("office_heater",), {}),
        ("play it again sam", "living_room", "not act", None, None, {}),
        ("next slide please", "office", "not act", None, None, {}),
        ("alexa stop", "living_room", "not act", None, None, {}),
        ("pump up the volume pump up the volume", "living_room", "not act", None, None, {}),
        ("it's twenty degrees in here", "living_room", "not act", None, None, {}),
        ("the butler turned off the chandelier and left the room", "dining_room", "not act",
         None, None, {}),
        ("the tv's on in the living room", "living_room", "not act", None, None, {}),
        ("the tv is on mute", "living_room", "not act", None, None, {}),
        ("i turned the lights off when i left", "living_room", "not act", None, None, {}),
        ("set your timers bakers you have two hours", "kitchen", "not act", None, None, {}),
        ("what's the weather in", "kitchen", "not act", None, None, {}),
        # ... never when the whole was withdrawn, told, or said to someone else
        ("don't open the blinds the baby's asleep", "bedroom", "refuse", None, None, {}),
        ("i turned the sprinkler off because of the hosepipe ban", "garden", "not act", None,
         None, {}),
        ("mum turn the telly off it's bedtime", "living_room", "refuse", None, None, {}),
        ("dad it's late so switch the lights off", "living_room", "refuse", None, None, {}),
        ("i'll switch the lamp off it's too bright", "living_room", "refuse", None, None, {}),
        ("next up on the playlist we've got some classic eighties", "office", "not act", None,
         None, {}),
        ("set the lamp to blue and fifty percent", "living_room", "refuse", None, None, {}),
        ("the bedroom blinds are stuck halfway again", "living_room", "refuse", None, None, {}),
        ("dinner's in ten minutes", "living_room", "refuse", None, None, {}),
        ("i'll call you back in ten minutes", "living_room", "refuse", None, None, {}),
        ("what time is your flight", "living_room", "refuse", None, None, {}),
        ("is it cold in the bathroom", "living_room", "right if act", "HassGetState",
         ("bathroom_temperature",), {}),
        ("what temperature is it in the office", "living_room", "act",
         "HassClimateGetTemperature", ("office_heater",), {}),
        ("is it bin day tomorrow", "living_room", "refuse", None, None, {}),
        ("are you warm enough", "living_room", "refuse", None, None, {}),
        ("what are you watching", "living_room", "refuse", None, None, {}),
        ("see you next time", "living_room", "refuse", None, None, {}),
        ("one hundred and eighty", "living_room", "refuse", None, None, {}),
        ("could you pop the light on in the loo", "living_room", "refuse", None, None, {}),
        ("stick on peppa pig on the television for the kids", "living_room", "act",
         "HassMediaSearchAndPlay", ("tv",), {"search_query": "peppa pig"}),
        ("save up to thirty percent on your heating bills", "living_room", "refuse", None,
         None, {}),
        ("play the tv again", "living_room", "act", "HassMediaUnpause", ("tv",), {}),
        ("play classical music on the speaker", "living_room", "act", "HassMediaSearchAndPlay",
         ("office_speaker",), {"search_query": "classical music"}),
        ("she always leaves the bathroom light on", "living_room", "refuse", None, None, {}),
        ("put the lion king on the tv", "living_room", "act", "HassMediaSearchAndPlay", ("tv",),
         {"search_query": "the lion king"}),
        ("put on the artist taylor swift in the office", "kitchen", "act",
         "HassMediaSearchAndPlay", ("office_speaker",),
         {"search_query": "taylor swift", "media_class": "artist"}),
        ("i was going to ask you to put the heating on but it's warmed up", "living_room",
         "refuse", None, None, {}),
        ("dim the living room", "kitchen", "not act", None, None, {}),
        ("brighten up the kitchen", "living_room", "act|ask", "HassLightSet",
         ("kitchen_ceiling", "kitchen_counter"), {"brightness_change": "up"}),
        ("louder", "living_room", "act", "HassSetVolumeRelative", ("tv",), {"volume_step": "up"}),
        ("josh skip this song it's rubbish", "office", "refuse", None, None, {}),
        ("alexa turn on the kitchen lights", "kitchen", "refuse", None, None, {}),
        ("i like the lamp on purple it's cosy", "living_room", "refuse", None, None, {}),
        ("turn off the lights he whispered someone's coming", "living_room", "refuse", None,
         None, {}),
        ("i don't want the lights any brighter thanks", "bedroom", "refuse", None, None, {}),
        ("twenty degrees", "living_room", "refuse", None, None, {}),
        ("turn on the lite in the bath room", "living_room", "act", "HassTurnOn",
         ("bathroom_light",), {}),
        ("could you please set the thermo stat to eighteen degrees", "living_room", "act",
         "HassClimateSetTemperature", ("thermostat",), {"temperature": 18}),
        ("turn on the tee vee", "living_room", "act", "HassTurnOn", ("tv",), {}),
        ("um what can i say to you", "living_room", "act", "HassRespond", (), {}),
        ("tell everyone that", "living_room", "refuse", None, None, {}),
        ("turn on the lights in the pool house", "living_room", "refuse", None, None, {}),
        ("turn on the heater", "kitchen", "not act", None, None, {}),
        ("on the big light and the floor lamp", "living_room", "act|ask", "HassTurnOn",
         ("living_ceiling", "floor_lamp"), {}),
        ("is the coffee machine still on", "kitchen", "act", "HassGetState", ("coffee_machine",),
         {"state": "on"}),
        ("add a loaf of bread onto the shopping list", "kitchen", "act", "HassListAddItem", (),
         {"item": "a loaf of bread"}),
        ("announce to the house that grandma's arrived", "hallway", "act", "HassBroadcast", (),
         {"message": "grandma's arrived"}),
        ("switch every light in the house off", "living_room", "act|ask", "HassTurnOff", None,
         {}),
        ("up", "living_room", "refuse", None, None, {}),
        ("weather", "living_room", "act", "HassGetWeather", (), {}),
        ("stop the music for a minute", "office", "act", "HassMediaPause", ("office_speaker",),
         {}),
        ("slow the fan down a bit", "bedroom", "act", "HassFanSetSpeed", ("bedroom_fan",),
         {"percentage_change": "down"}),
        ("bedroom fan to 30", "kitchen", "act", "HassFanSetSpeed", ("bedroom_fan",),
         {"percentage": 30}),
        ("set the temperature to 68", "living_room", "act", "HassClimateSetTemperature",
         ("thermostat",), {"temperature": 68}),
        ("turn the living room and dining room lights on", "kitchen", "act|ask", "HassTurnOn",
         ("living_ceiling", "floor_lamp", "dining_chandelier"), {}),
        ("play the next episode", "living_room", "act", "HassMediaNext", ("tv",), {}),
        ("play some jazz in the office", "living_room", "act", "HassMediaSearchAndPlay",
         ("office_speaker",), {"search_query": "some jazz"}),
        ("close the curtains a bit more", "living_room", "act", "HassSetPosition",
         ("living_curtains",), {"position_change": "down"}),
        ("fire up the office heater", "living_room", "act", "HassTurnOn", ("office_heater",),
         {}),
        ("dim the bedroom lights to ten", "living_room", "act", "HassLightSet",
         ("bedside_lamp", "bedroom_ceiling"), {"brightness": 10}),
        ("send the roomba back to its dock", "living_room", "act", "HassVacuumReturnToBase",
         ("robot_vacuum",), {}),
        ("would you like the lamp on", "living_room", "refuse", None, None, {}),
        ("lights at thirty percent and the telly off", "living_room", "refuse", None, None, {}),
        ("turn the other light on", "living_room", "not act", None, None, {}),
        ("turn on the lights in there", "living_room", "not act", None, None, {}),
        # a kind said with no place, for things elsewhere: ask first
        ("set the temperature to 20", "bedroom", "ask", "HassClimateSetTemperature",
         ("thermostat", "office_heater"), {}),
        ("close the curtains", "bedroom", "ask", "HassTurnOff", ("living_curtains",), {}),
        ("turn on the lamp", "kitchen", "ask", "HassTurnOn", None, {}),
        ("close the curtains", "living_room", "act", "HassTurnOff", ("living_curtains",), {}),
        ("turn on the garden lights", "kitchen", "act", "HassTurnOn", ("garden_lights",), {}),
        # values said as people say them
        ("set the temperature to twenty two and a half", "living_room", "act",
         "HassClimateSetTemperature", ("thermostat",), {"temperature": 22.5}),
        ("turn the desk lamp up to full", "living_room", "act", "HassLightSet", ("desk_lamp",),
         {"brightness": 100}),
        ("thermostat up by half a degree", "living_room", "act", "HassClimateSetTemperature",
         ("thermostat",), {"temperature_change": 0.5}),
        ("un pause the tv", "living_room", "act", "HassMediaUnpause", ("tv",), {}),
        ("turn the lights of in the office", "living_room", "act", "HassTurnOff",
         ("desk_lamp",), {}),
        ("lower the lights by 20 percent", "living_room", "act", "HassLightSet",
         ("living_ceiling", "floor_lamp"), {"brightness_change": -20}),
        ("office heater to eighteen", "living_room", "act|ask", "HassClimateSetTemperature",
         ("office_heater",), {"temperature": 18}),
        ("the hallway light needs to go on", "living_room", "act", "HassTurnOn",
         ("hall_light",), {}),
        ("turn off the tv and the lamp", "living_room", "act", "HassTurnOff",
         ("tv", "floor_lamp"), {}),
        # timers: names, what a timer was started for, every timer, a timer that rings
        ("set a pizza timer for 12 minutes", "kitchen", "act", "HassStartTimer", (),
         {"name": "pizza", "minutes": 12}),
        ("cancel every timer please", "kitchen", "act", "HassCancelAllTimers", (), {}),
        ("wake me in ten minutes", "bedroom", "act", "HassStartTimer", (), {"minutes": 10}),
        ("announce lights out in ten minutes", "living_room", "act", "HassBroadcast", (),
         {"message": "lights out in ten minutes"}),
    ],
)  # fmt: skip
def test_what_the_blind_set_taught_is_read_as_a_person_means(
    understander: Understander, said: str, area: str, decision: str, intent: str | None,
    targets: tuple[str, ...] | None, slots: dict,
) -> None:  # fmt: skip
    """``decision``: what must be done; "act|ask" reads right and may ask first (a model's
    confidence near the act threshold), "not act" may ask or refuse, "right if act" may refuse
    but never acts otherwise than expected."""
    (command,) = understander.understand_all(said, Context(satellite_area=area))
    allowed = {"act|ask": {"act", "ask"}, "not act": {"ask", "refuse"},
               "right if act": {"act", "refuse"}}.get(decision, {decision})  # fmt: skip
    assert command.decision in allowed, command.to_json()
    if command.decision != "refuse" and decision != "not act":
        assert command.intent == intent, command.to_json()
        assert targets is None or set(command.targets) == set(targets), command.to_json()
        assert {k: command.slots.get(k) for k in slots} == slots, command.to_json()
        if intent == "HassStartTimer" and "conversation_command" not in command.slots:
            assert "conversation_command" not in slots
    if command.decision == "refuse":
        assert command.reason, command.to_json()
