"""Home Assistant's intents spoken to `edge-assistant run` (Piper's voice, the grammar
recognizer, the template layer) with the MQTT sink on a real mosquitto broker: what reaches
the broker is what Home Assistant's MQTT devices expect."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.daemon_process import Daemon, device_config, journal_rows
from tests.mosquitto import MOSQUITTO, SKIP_REASON, Mosquitto, Subscriber
from tests.speech import say_wav

ALL_DOMAINS = REPO / "examples" / "home-all-domains.yaml"


def test_scenes_valves_media_and_timers_by_voice_over_mqtt(
    tmp_path: Path, models_dir: Path
) -> None:
    if MOSQUITTO is None:
        pytest.skip(SKIP_REASON)
    audio = say_wav(
        tmp_path / "commands.wav",
        ("activate movie night", 1.5),
        ("open the water main", 1.5),
        ("previous track", 1.5),
        ("set a timer for five minutes", 1.5),
        ("what time is it", 1.5),
    )
    with Mosquitto(tmp_path) as broker:
        sink = {"type": "mqtt", "host": broker.host, "port": broker.port}
        config = device_config(
            tmp_path, daemon={"health_port": 0, "speak": False, "area": "living_room"},
            actions={"sink": sink},
        )  # fmt: skip
        subscriber = Subscriber(broker, "home/#")
        try:
            with Daemon(tmp_path, config, models_dir, "--home", str(ALL_DOMAINS),
                        "--audio-file", str(audio)) as daemon:  # fmt: skip
                assert daemon.finish(timeout=300) == 0, daemon.log_tail()
            messages = subscriber.wait_for(3)
        finally:
            subscriber.close()
    # what was understood and done, not the exact words (another CPU's Piper sounds a little
    # different to the recognizer)
    read = [(o["intent"], o.get("layer"), o["targets"]) for o in daemon.outcomes]
    assert read == [
        ("HassTurnOn", "templates", ["movie_night"]),
        ("HassTurnOn", "templates", ["water_main"]),
        ("HassMediaPrevious", "templates", ["tv"]),
        ("HassStartTimer", "templates", []),
        ("HassGetCurrentTime", "templates", []),
    ], daemon.outcomes
    published = [(topic, payload.decode()) for topic, payload, _, _ in messages]
    assert published == [
        ("home/living/scene/movie_night/set", "ON"),
        ("home/garage/water_main/set", "OPEN"),
        ("home/living/tv/set", json.dumps({"command": "media_previous_track"})),
    ]
    said = [o["said"] for o in daemon.outcomes]
    assert said[:3] == ["Done.", "Done.", "Done."]
    assert said[3].startswith("Timer set for ")
    assert said[4].startswith("It is ")


def test_scenes_and_custom_intents_by_voice_with_home_assistant(
    tmp_path: Path, models_dir: Path
) -> None:
    """The same through the Home Assistant sink against the test server: a scene turned on,
    and a custom sentence's service call."""
    import asyncio
    import threading

    from tests.custom_home import custom_home
    from tests.test_actions import FakeHomeAssistant

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = FakeHomeAssistant()
    asyncio.run_coroutine_threadsafe(server.__aenter__(), loop).result(10)
    try:
        home = custom_home(tmp_path / "home", base=ALL_DOMAINS)
        audio = say_wav(
            tmp_path / "commands.wav",
            ("activate movie night", 1.5),
            ("set the mood to party", 1.5),
            ("add milk to my shopping list", 1.5),
        )
        sink = {"type": "home_assistant", "url": server.url}
        config = device_config(tmp_path, actions={"sink": sink})
        with Daemon(tmp_path, config, models_dir, "--home", str(home), "--audio-file",
                    str(audio), HASS_TOKEN="good-token") as daemon:  # fmt: skip
            assert daemon.finish(timeout=300) == 0, daemon.log_tail()
    finally:
        asyncio.run_coroutine_threadsafe(server.__aexit__(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    intents = [o["intent"] for o in daemon.outcomes]
    assert intents[:2] == ["HassTurnOn", "SetMood"], daemon.outcomes
    assert intents[2] in ("HassListAddItem", "HassShoppingListAddItem"), daemon.outcomes
    assert daemon.outcomes[0]["said"] == daemon.outcomes[2]["said"] == "Done."
    mood = daemon.outcomes[1]["said"].removeprefix("Setting a ").removesuffix(" mood")
    calls = [(c["domain"], c["service"], c.get("target")) for c in server.ws_calls]
    calls += [(d, s, {"entity_id": b["entity_id"]}) for d, s, b in server.calls]
    assert calls == [
        ("scene", "turn_on", {"entity_id": "scene.movie_night"}),
        ("scene", "turn_on", {"entity_id": f"scene.{mood}"}),
        ("todo", "add_item", {"entity_id": "todo.shopping_list"}),
    ]
    data = [c["service_data"] for c in server.ws_calls if c["service"] == "add_item"]
    data += [b for _, service, b in server.calls if service == "add_item"]
    assert [d["item"] for d in data] == ["milk"]  # words said: heard from the list's usual items
    assert mood in ("party", "romantic")


def test_volume_by_a_number_and_a_broadcast_from_another_room_over_mqtt(
    tmp_path: Path, models_dir: Path
) -> None:
    """ "Turn up the volume by ten" from the TV's level on its retained state topic (30% ->
    40%), and another assistant's broadcast on the broker said aloud, naming the sender."""
    if MOSQUITTO is None:
        pytest.skip(SKIP_REASON)
    home = tmp_path / "home.yaml"
    tv = "mqtt: {command_topic: home/living/tv/set}"
    home.write_text(ALL_DOMAINS.read_text().replace(
        tv, tv.replace("}", ", state_topic: home/living/tv/state}")))  # fmt: skip
    audio = say_wav(tmp_path / "commands.wav", ("turn up the volume by ten", 6.0))
    with Mosquitto(tmp_path) as broker:
        sink = {"type": "mqtt", "host": broker.host, "port": broker.port}
        config = device_config(
            tmp_path, daemon={"health_port": 0, "speak": False, "area": "living_room"},
            actions={"sink": sink},
        )  # fmt: skip
        subscriber = Subscriber(broker, "home/living/tv/set")
        try:
            subscriber.publish(
                "home/living/tv/state", json.dumps({"state": "playing", "volume_level": 0.3}),
                retain=True,
            )  # fmt: skip
            with Daemon(tmp_path, config, models_dir, "--home", str(home),
                        "--audio-file", str(audio), "--realtime") as daemon:  # fmt: skip
                daemon.wait_log("connected to MQTT broker", timeout=120)
                message = {"from": "kitchen-satellite", "message": "dinner is ready"}
                subscriber.publish("edge-assistant/broadcast", json.dumps(message))
                daemon.wait_log("say: Message from kitchen satellite: dinner is ready")
                assert daemon.finish(timeout=300) == 0, daemon.log_tail()
            messages = subscriber.wait_for(1)
        finally:
            subscriber.close()
    assert [(o["intent"], o["targets"]) for o in daemon.outcomes] == [
        ("HassSetVolumeRelative", ["tv"])
    ], daemon.outcomes
    assert [json.loads(payload) for _, payload, _, _ in messages] == [
        {"command": "volume_set", "volume_level": 0.4}
    ]


EVERY_INTENT = REPO / "tests" / "data" / "every_intent.txt"


def _both_ways(tmp_path: Path) -> Path:
    """examples/home-all-domains.yaml with MQTT topics and an entity_id on every device, so
    either sink can do every action."""
    import yaml

    home = yaml.safe_load(ALL_DOMAINS.read_text())
    for device in home["devices"]:
        device.setdefault("mqtt", {"command_topic": f"home/{device['id']}/set"})
        device.setdefault("entity_id", f"{device['domain']}.{device['id']}")
    path = tmp_path / "home.yaml"
    path.write_text(yaml.safe_dump(home))
    return path


def _typed(tmp_path: Path, models_dir: Path, sink: dict, **env: str) -> Daemon:
    config = device_config(
        tmp_path, daemon={"health_port": 0, "speak": False, "area": "living_room"},
        actions={"sink": sink},
    )  # fmt: skip
    with Daemon(tmp_path, config, models_dir, "--home", str(_both_ways(tmp_path)),
                "--text-file", str(EVERY_INTENT), **env) as daemon:  # fmt: skip
        assert daemon.finish(timeout=300) == 0, daemon.log_tail()
    return daemon


def _every_intent_done(outcomes: list[dict]) -> list[dict]:
    """Every intent read, allowed, and each action done; the actions, in order."""
    from edge_assistant.understanding.intents import INTENTS

    lines = [
        line for line in EVERY_INTENT.read_text().splitlines() if line and not line.startswith("#")
    ]
    assert [o["text"] for o in outcomes] == lines
    assert {o["intent"] for o in outcomes} == set(INTENTS), outcomes
    refused = [(o["text"], o["reason"]) for o in outcomes if o["decision"] != "allow"]
    assert refused == []
    failed = [(a["device"], a["error"]) for o in outcomes for a in o["actions"] if not a["ok"]]
    assert failed == []
    assert not [o for o in outcomes if "cannot do that yet" in o["said"]]
    return [a for o in outcomes for a in o["actions"]]


def test_every_intent_typed_to_run_is_done_over_mqtt(tmp_path: Path, models_dir: Path) -> None:
    """Each of the 38 intents, typed to `run --text-file`, with the MQTT sink on a real
    mosquitto broker: understood, allowed, done, and on the broker as Home Assistant's MQTT
    devices expect."""
    if MOSQUITTO is None:
        pytest.skip(SKIP_REASON)
    with Mosquitto(tmp_path) as broker:
        subscriber = Subscriber(broker, "#")
        try:
            sink = {"type": "mqtt", "host": broker.host, "port": broker.port}
            daemon = _typed(tmp_path, models_dir, sink)
            actions = _every_intent_done(daemon.outcomes)
            # the assistant's own events (<base_topic>/<client_id>/heard, did) aside
            events = 2 * len(daemon.outcomes)
            messages = subscriber.wait_for(len(actions) + events, timeout=10)
        finally:
            subscriber.close()
    commands = [m for m in messages if not re.fullmatch(r"edge-assistant/[^/]+/(heard|did)", m[0])]
    assert len(commands) == len(actions), [m[0] for m in commands]
    published = {topic: payload.decode() for topic, payload, _, _ in commands}
    assert json.loads(published["edge-assistant/broadcast"])["message"] == "dinner is ready"
    assert json.loads(published["home/lists/shopping/set"]) == {
        "command": "update_item", "item": "milk", "status": "completed",
    }  # fmt: skip
    said = {o["intent"]: o["said"] for o in daemon.outcomes}
    assert said["HassTimerStatus"].startswith("The pizza timer has ")
    assert said["HassCancelAllTimers"] == "Cancelled 1 timer."


def test_every_intent_typed_to_run_is_done_by_home_assistant(
    tmp_path: Path, models_dir: Path
) -> None:
    """The same through the Home Assistant sink against the test server: its real services,
    media searched then played, the broadcast on every satellite."""
    import asyncio
    import threading

    from tests.test_actions import FakeHomeAssistant

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = FakeHomeAssistant()
    asyncio.run_coroutine_threadsafe(server.__aenter__(), loop).result(10)
    try:
        sink = {"type": "home_assistant", "url": server.url}
        daemon = _typed(tmp_path, models_dir, sink, HASS_TOKEN="good-token")
    finally:
        asyncio.run_coroutine_threadsafe(server.__aexit__(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    _every_intent_done(daemon.outcomes)
    calls = [(c["domain"], c["service"]) for c in server.ws_calls]
    calls += [(d, s) for d, s, _ in server.calls]
    for call in [("media_player", "search_media"), ("media_player", "play_media"),
                 ("assist_satellite", "announce"), ("todo", "add_item"),
                 ("todo", "update_item"), ("media_player", "volume_mute"),
                 ("lawn_mower", "dock"), ("vacuum", "return_to_base"),
                 ("media_player", "media_previous_track"), ("scene", "turn_on"),
                 ("valve", "open_valve"), ("fan", "set_percentage")]:  # fmt: skip
        assert call in calls, call


def typed_over_mqtt(
    tmp_path: Path, models_dir: Path, lines: list[str], messages: int
) -> tuple[list[dict], list]:
    """``lines`` typed to `run` (examples/home.yaml, every device on MQTT, satellite in the
    living room) with a real mosquitto: the outcomes, and the first ``messages`` messages the
    broker got."""
    if MOSQUITTO is None:
        pytest.skip(SKIP_REASON)
    home = yaml.safe_load((REPO / "examples" / "home.yaml").read_text())
    for device in home["devices"]:
        device.setdefault("mqtt", {"command_topic": f"home/{device['id']}/set"})
    (tmp_path / "home.yaml").write_text(yaml.safe_dump(home))
    said = tmp_path / "said.txt"
    said.write_text("".join(f"{line}\n" for line in lines))
    with Mosquitto(tmp_path) as broker:
        subscriber = Subscriber(broker, "home/#")
        try:
            config = device_config(
                tmp_path, daemon={"health_port": 0, "speak": False, "area": "living_room"},
                actions={"sink": {"type": "mqtt", "host": broker.host, "port": broker.port}},
            )  # fmt: skip
            with Daemon(tmp_path, config, models_dir, "--home", str(tmp_path / "home.yaml"),
                        "--text-file", str(said)) as daemon:  # fmt: skip
                assert daemon.finish(timeout=300) == 0, daemon.log_tail()
            got = subscriber.wait_for(messages, timeout=10)
        finally:
            subscriber.close()
    return daemon.outcomes, got


def test_a_guess_asks_first_and_a_negation_or_a_fragment_does_nothing_over_mqtt(
    tmp_path: Path, models_dir: Path
) -> None:
    """Typed to `run`: "i can't see a thing in the kitchen" asks "Do you want me to turn on
    the Kitchen Ceiling Light and Counter Lights?", and only the "yes" that follows does it;
    "don't turn off the lights" and a lone "the" reach no device."""
    said = "don't turn off the lights\nthe\ni can't see a thing in the kitchen\nyes\n"
    outcomes, messages = typed_over_mqtt(tmp_path, models_dir, said.splitlines(), 2)
    assert [o["decision"] for o in outcomes] == ["refuse", "refuse", "confirm", "confirmed"]
    assert outcomes[2]["said"].startswith(
        "Do you want me to turn on the Kitchen Ceiling Light and Counter Lights?"
    )
    done = [a["device"] for o in outcomes for a in o["actions"]]
    assert done == ["kitchen_ceiling", "kitchen_counter"]
    assert sorted(m[0] for m in messages) == [
        "home/kitchen/ceiling/set",
        "home/kitchen/counter/set",
    ]


def test_several_commands_in_one_sentence_are_each_decided_journaled_and_done_over_mqtt(
    tmp_path: Path, models_dir: Path
) -> None:
    """Typed to `run`: two commands joined by "and" / ", then" become two decisions of one
    utterance, each done; one verb for two things does both; a sentence whose second command
    cannot be read ("set them to 50 percent") does neither half."""
    said = (
        "switch off the telly and turn the lights on\n"
        "turn on the light in the kitchen, then turn off the light in the living room\n"
        "turn the tv and the floor lamp off\n"
        "turn on the lights and set them to 50 percent\n"
    )
    outcomes, messages = typed_over_mqtt(tmp_path, models_dir, said.splitlines(), 9)
    done = [[(a["device"], a["service"]) for a in o["actions"]] for o in outcomes]
    assert done == [
        [("tv", "turn_off")],
        [("living_ceiling", "turn_on"), ("floor_lamp", "turn_on")],
        [("kitchen_ceiling", "turn_on"), ("kitchen_counter", "turn_on")],
        [("living_ceiling", "turn_off"), ("floor_lamp", "turn_off")],
        [("tv", "turn_off"), ("floor_lamp", "turn_off")],
        [],
    ], outcomes
    assert [o["decision"] for o in outcomes] == ["allow"] * 5 + ["refuse"]
    assert "one command at a time" in outcomes[-1]["reason"]
    assert len(messages) == 9, messages
    rows = journal_rows(
        tmp_path / "journal.sqlite3",
        "SELECT u.text, d.decision FROM decisions d JOIN utterances u ON u.id = d.utterance_id "
        "ORDER BY d.id",
    )
    by_utterance = [sum(r["text"] == line for r in rows) for line in said.splitlines()]
    assert by_utterance == [2, 2, 1, 1], rows  # each command its own decision, one utterance


def test_a_new_command_drops_a_pending_question_so_a_later_yes_does_nothing(
    tmp_path: Path, models_dir: Path
) -> None:
    """Typed to `run`: a question ("Do you want me to turn on the Kitchen …?"), then another
    command, then "yes": the other command is done, the question is dropped (journaled as
    cancelled), and the late "yes" acts on nothing."""
    said = "i can't see a thing in the kitchen\nturn on the floor lamp\nyes\n"
    outcomes, messages = typed_over_mqtt(tmp_path, models_dir, said.splitlines(), 1)
    assert [o["decision"] for o in outcomes] == ["confirm", "allow", "refuse"], outcomes
    assert [a["device"] for o in outcomes for a in o["actions"]] == ["floor_lamp"]
    assert [m[0] for m in messages] == ["home/floor_lamp/set"]
    rows = journal_rows(tmp_path / "journal.sqlite3", "SELECT decision, reason FROM decisions")
    assert ("cancelled", "a new command came before an answer") in [
        (r["decision"], r["reason"]) for r in rows
    ], rows
