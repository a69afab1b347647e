"""Actions on real things: a real Mosquitto broker (stopped and restarted mid-run) with a real
subscriber reading back topics, payloads and QoS, and a small real Home Assistant (aiohttp:
its REST and WebSocket APIs) that checks the token and can refuse, fail, stall, push a state
change or drop its sockets on cue.

Commands built here carry hostile text in their slots ("# / +", 10 kB strings): none of it
may reach a topic, and every JSON payload must stay valid JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSCloseCode, web

from edge_assistant.actions import (
    SINKS,
    Action,
    ActionError,
    ActionRefused,
    ActionResult,
    Sink,
    actions_for,
    execute_all,
    home_assistant,
    load_sink,
)
from edge_assistant.actions.home_assistant import HomeAssistantSink
from edge_assistant.actions.log_sink import LogSink
from edge_assistant.actions.mqtt_sink import MqttSink
from edge_assistant.config.actions import (
    ActionsConfig,
    HomeAssistantSinkConfig,
    LogSinkConfig,
    MqttSinkConfig,
)
from edge_assistant.config.loading import validate_data
from edge_assistant.errors import ConfigError
from edge_assistant.home import load_home
from edge_assistant.home.model import Home
from edge_assistant.understanding.intents import Command
from tests.conftest import REPO
from tests.mosquitto import (
    MOSQUITTO,
    SKIP_REASON,
    Mosquitto,
    Subscriber,
    free_port,
    mosquitto_broker,
)

HOME = load_home(REPO / "examples" / "home-all-domains.yaml")
HOSTILE = "turn on # / + kitchen\x00"
HUGE = "x" * 10240 + "/#/+"

__all__ = ["mosquitto_broker"]  # a fixture: used by name


def command(intent: str | None, *targets: str, **slots: Any) -> Command:
    return Command(text="test", intent=intent, slots=slots, confidence=0.9, targets=targets)


def in_s(seconds: float) -> float:
    return time.monotonic() + seconds


def one(results: list[ActionResult]) -> ActionResult:
    assert len(results) == 1
    return results[0]


# -- commands to actions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        (command("HassTurnOn", "kitchen_ceiling"), [("light", "turn_on", {})]),
        (command("HassTurnOff", "coffee_machine"), [("switch", "turn_off", {})]),
        (command("HassTurnOn", "front_door"), [("lock", "lock", {})]),
        (command("HassTurnOff", "front_door"), [("lock", "unlock", {})]),
        (command("HassTurnOn", "garage_door"), [("cover", "open_cover", {})]),
        (command("HassTurnOff", "kitchen_blind"), [("cover", "close_cover", {})]),
        (command("HassTurnOn", "alarm"), [("alarm_control_panel", "alarm_arm_away", {})]),
        (command("HassTurnOff", "robot_vacuum"), [("vacuum", "return_to_base", {})]),
        (
            command("HassLightSet", "bedside_lamp", brightness=40, color="red"),
            [("light", "turn_on", {"brightness_pct": 40, "color_name": "red"})],
        ),
        (
            command("HassSetPosition", "kitchen_blind", position=30),
            [("cover", "set_cover_position", {"position": 30})],
        ),
        (
            command("HassSetPosition", "bedroom_fan", position=60.4),
            [("fan", "set_percentage", {"percentage": 60})],
        ),
        (
            command("HassClimateSetTemperature", "thermostat", temperature=21.5),
            [("climate", "set_temperature", {"temperature": 21.5})],
        ),
        (command("HassMediaPause", "tv"), [("media_player", "media_pause", {})]),
        (command("HassMediaUnpause", "tv"), [("media_player", "media_play", {})]),
        (command("HassMediaNext", "office_speaker"), [("media_player", "media_next_track", {})]),
        (
            command("HassSetVolume", "office_speaker", volume_level=35),
            [("media_player", "volume_set", {"volume_level": 0.35})],
        ),
        (command("HassVacuumStart", "robot_vacuum"), [("vacuum", "start", {})]),
        (
            command("HassVacuumReturnToBase", "robot_vacuum"),
            [("vacuum", "return_to_base", {})],
        ),
        (
            command("HassMediaPrevious", "tv"),
            [("media_player", "media_previous_track", {})],
        ),
        (command("HassTurnOn", "movie_night"), [("scene", "turn_on", {})]),
        (command("HassTurnOn", "good_morning"), [("script", "turn_on", {})]),
        (command("HassTurnOn", "water_main"), [("valve", "open_valve", {})]),
        (command("HassTurnOff", "water_main"), [("valve", "close_valve", {})]),
        (
            command("HassSetPosition", "water_main", position=25),
            [("valve", "set_valve_position", {"position": 25})],
        ),
        (command("HassTurnOn", "lawn_mower"), [("lawn_mower", "start_mowing", {})]),
        (command("HassTurnOff", "lawn_mower"), [("lawn_mower", "dock", {})]),
        (
            command("HassLawnMowerStartMowing", "lawn_mower"),
            [("lawn_mower", "start_mowing", {})],
        ),
        (command("HassLawnMowerDock", "lawn_mower"), [("lawn_mower", "dock", {})]),
        (
            command("HassMediaPlayerMute", "tv"),
            [("media_player", "volume_mute", {"is_volume_muted": True})],
        ),
        (
            command("HassMediaPlayerUnmute", "tv"),
            [("media_player", "volume_mute", {"is_volume_muted": False})],
        ),
        (
            command("HassFanSetSpeed", "bedroom_fan", percentage=40),
            [("fan", "set_percentage", {"percentage": 40})],
        ),
        (
            command("HassListAddItem", "shopping_list", item="  oat   milk "),
            [("todo", "add_item", {"item": "oat milk"})],
        ),
        (
            command("HassListCompleteItem", "shopping_list", item="eggs"),
            [("todo", "update_item", {"item": "eggs", "status": "completed"})],
        ),
        (
            command("HassTurnOff", "kitchen_ceiling", "kitchen_counter", area="Kitchen"),
            [("light", "turn_off", {}), ("light", "turn_off", {})],
        ),
        (
            command(
                "HassMediaSearchAndPlay", "tv", search_query=" the  beatles", media_class="album"
            ),
            [
                (
                    "media_player",
                    "play_media",
                    {"search_query": "the beatles", "media_class": "album"},
                )
            ],
        ),
        (
            command("HassMediaSearchAndPlay", "tv", search_query="jazz", media_class=HOSTILE),
            [("media_player", "play_media", {"search_query": "jazz"})],  # not a media class
        ),
    ],
)
def test_commands_map_to_home_assistant_services(
    cmd: Command, expected: list[tuple[str, str, dict[str, Any]]]
) -> None:
    actions = actions_for(cmd, HOME)
    assert [(a.domain, a.service, a.data) for a in actions] == expected
    assert [a.device_id for a in actions] == list(cmd.targets)


@pytest.mark.parametrize("intent", ["HassGetState", "HassStartTimer", "HassCancelTimer"])
def test_state_queries_and_timers_are_no_actions(intent: str) -> None:
    assert actions_for(command(intent, "kitchen_ceiling", minutes=5), HOME) == []


def test_every_intent_of_home_assistants_templates_is_done_or_answered() -> None:
    """No intent is understood only to be refused with "I cannot do that yet": each maps to
    a service, a broadcast, or an answer the daemon gives itself (NOT_ACTIONS)."""
    from edge_assistant.actions.base import NOT_ACTIONS, SERVICES
    from edge_assistant.understanding.intents import INTENTS

    undone = set(INTENTS) - set(SERVICES) - NOT_ACTIONS - {"HassBroadcast"}
    assert undone == set()
    for intent in SERVICES:  # and each is a known intent: nothing mapped by a typo
        assert intent in INTENTS


def test_a_broadcast_is_one_announcement_of_the_words_said() -> None:
    actions = actions_for(command("HassBroadcast", message="  dinner   is ready "), HOME)
    assert [(a.device_id, a.domain, a.service, a.data) for a in actions] == [
        ("broadcast", "assist_satellite", "announce", {"message": "dinner is ready"})
    ]
    for message, why in (("", "needs words"), (HUGE, "at most 200"), ("hi\x07", "printable")):
        with pytest.raises(ActionRefused, match=why):
            actions_for(command("HassBroadcast", message=message), HOME)


@pytest.mark.parametrize(
    ("cmd", "reason"),
    [
        (Command(text="blah", intent=None, reason="no intent matched"), "no intent matched"),
        (command("HassDance", "kitchen_ceiling"), "unknown intent 'HassDance'"),
        (command("HassTurnOn", "kitchen_ceiling", "neighbours_door"), "not in the home"),
        (command("HassTurnOn", "kitchen/#"), "not in the home"),
        (command("HassTurnOn", HUGE), "not in the home"),
        (command("HassTurnOn"), "no target"),
        (command("HassTurnOn", "hall_sensor"), "cannot apply to binary_sensor"),
        (command("HassSetPosition", "kitchen_ceiling", position=5), "cannot apply to light"),
        (command("HassLightSet", "hall_light", color="red"), "no color capability"),
        (command("HassLightSet", "bedside_lamp", color=HOSTILE), "unknown color"),
        (command("HassLightSet", "bedside_lamp", color=HUGE), "unknown color"),
        (command("HassLightSet", "bedside_lamp", brightness="50"), "needs a number"),
        (command("HassLightSet", "bedside_lamp", brightness=True), "needs a number"),
        (command("HassLightSet", "bedside_lamp", brightness=float("nan")), "needs a number"),
        (command("HassLightSet", "bedside_lamp"), "needs a brightness or a color"),
        (command("HassSetPosition", "kitchen_blind", position=250), "outside 0..100"),
        (command("HassClimateSetTemperature", "thermostat", temperature=1e9), "outside"),
        (command("HassListAddItem", "shopping_list", item="   "), "needs words"),
        (command("HassListAddItem", "shopping_list", item=HUGE), "at most 100 characters"),
        (command("HassListAddItem", "shopping_list", item="milk\x00"), "printable text"),
        (command("HassListAddItem", "shopping_list", item=["milk"]), "needs words"),
        (command("HassMediaSearchAndPlay", "tv", search_query=HUGE), "at most 100 characters"),
        (command("HassMediaSearchAndPlay", "tv"), "what to play needs words"),
        (command("HassMediaSearchAndPlay", "kitchen_ceiling", search_query="x"), "cannot apply"),
    ],
)
def test_commands_that_cannot_be_done_exactly_are_refused(cmd: Command, reason: str) -> None:
    with pytest.raises(ValueError, match=None) as raised:
        actions_for(cmd, HOME)
    assert isinstance(raised.value, ActionRefused)
    assert reason in str(raised.value)
    assert len(str(raised.value)) < 300  # a 10 kB id is not echoed back whole


def test_voice_domains_policy_is_enforced() -> None:
    home = HOME.model_copy(
        update={"policies": HOME.policies.model_copy(update={"voice_domains": ("light",)})}
    )
    assert actions_for(command("HassTurnOn", "kitchen_ceiling"), home)
    with pytest.raises(ActionRefused, match="voice may not control lock"):
        actions_for(command("HassTurnOff", "front_door"), home)


# -- config and registry -------------------------------------------------------------------


def test_config_defaults_and_precise_errors() -> None:
    config = ActionsConfig()
    assert config.sink == LogSinkConfig() and config.ttl_s == 10
    mqtt = validate_data({"sink": {"type": "mqtt", "host": "broker"}}, ActionsConfig, "x.yaml")
    assert isinstance(mqtt.sink, MqttSinkConfig) and mqtt.sink.port == 1883 and mqtt.sink.qos == 1
    bad = [
        ({"type": "mqtt", "host": "b", "pasword_env": "P"}, "sink.mqtt.pasword_env: unknown key"),
        ({"type": "mqtt", "host": "b", "password_env": "P"}, "a password needs a username"),
        ({"type": "mqtt", "host": "b", "base_topic": "a/#"}, "base_topic"),
        ({"type": "mqtt", "host": "b", "client_id": "a/b"}, "client_id"),
        ({"type": "mqtt", "host": "b", "certfile": "c.pem"}, "certfile and keyfile go together"),
        ({"type": "mqtt", "host": "b", "qos": 0}, "sink.mqtt.qos"),
        ({"type": "home_assistant", "url": "ha.local"}, "url must be http(s)"),
        ({"type": "home_assistant", "url": "http://ha", "token_env": "my token"}, "NAME"),
        ({"type": "zigbee"}, "'log', 'mqtt', 'home_assistant'"),
    ]
    for sink, message in bad:
        with pytest.raises(ConfigError) as raised:
            validate_data({"sink": sink}, ActionsConfig, "device.yaml")
        assert message in str(raised.value), str(raised.value)


def test_registry_has_one_sink_per_config_type() -> None:
    configs = [
        LogSinkConfig(),
        MqttSinkConfig(type="mqtt", host="127.0.0.1"),
        HomeAssistantSinkConfig(type="home_assistant", url="http://127.0.0.1:1"),
    ]
    assert sorted(SINKS) == sorted(c.type for c in configs)
    for config, kind in zip(configs, (LogSink, MqttSink, HomeAssistantSink), strict=True):
        sink = load_sink(config, HOME)  # builds only: no connection before start()
        assert isinstance(sink, kind) and isinstance(sink, Sink) and sink.type == config.type


def test_log_sink_logs_one_json_line_per_action(caplog: pytest.LogCaptureFixture) -> None:
    sink = load_sink(LogSinkConfig(), HOME)
    assert isinstance(sink, LogSink)
    actions = actions_for(command("HassLightSet", "bedside_lamp", brightness=40), HOME)
    kitchen = actions_for(command("HassTurnOff", "kitchen_ceiling", "kitchen_counter"), HOME)

    async def main() -> list[ActionResult]:
        async with sink:
            results = [await sink.execute(a, in_s(1)) for a in actions]
            results.append(
                await sink.execute(Action("garage_gate", "cover", "open_cover"), in_s(1))
            )
            assert await sink.get_state("bedside_lamp") is None
            await sink.publish_event("heard", {"text": HOSTILE})  # no bus: a no-op
            both = await execute_all(sink, kitchen, in_s(1))
            assert [r.action for r in both] == kitchen and all(r.ok for r in both)
            return results

    with caplog.at_level(logging.INFO, logger="edge_assistant.actions"):
        ok, refused = asyncio.run(main())
    assert ok.ok and ok.attempts == 1
    assert not refused.ok and "not in the home" in (refused.error or "")
    assert sink.done == actions + kitchen
    logged = [
        json.loads(r.getMessage()) for r in caplog.records if r.name == "edge_assistant.actions"
    ]
    assert logged == [{"action": a.to_json()} for a in actions + kitchen]


# -- mqtt ----------------------------------------------------------------------------------


def mqtt_config(broker: Mosquitto, **fields: Any) -> MqttSinkConfig:
    fields = {"reconnect_initial_s": 0.05, "reconnect_max_s": 0.2, **fields}
    return MqttSinkConfig(type="mqtt", host=broker.host, port=broker.port, **fields)


@pytest.fixture
def subscriber(mosquitto_broker: Mosquitto) -> Iterator[Subscriber]:
    sub = Subscriber(mosquitto_broker)
    yield sub
    sub.close()


def test_mqtt_publishes_home_assistant_payloads_with_qos1(
    mosquitto_broker: Mosquitto, subscriber: Subscriber
) -> None:
    commands = [
        command("HassLightSet", "bedside_lamp", brightness=40, color="red"),
        command("HassTurnOff", "kitchen_ceiling"),
        command("HassTurnOn", "coffee_machine"),
        command("HassTurnOn", "garage_door"),
        command("HassSetPosition", "kitchen_blind", position=30),
        command("HassSetPosition", "bedroom_fan", position=60),
        command("HassClimateSetTemperature", "office_heater", temperature=21.5),
        command("HassTurnOn", "water_main"),
        command("HassSetPosition", "water_main", position=25),
        command("HassListAddItem", "shopping_list", item='milk "#+/'),
        command("HassMediaPlayerMute", "tv"),
        command("HassMediaSearchAndPlay", "tv", search_query="abbey road #", media_class="album"),
    ]
    expected = [
        (
            "home/bedroom/bedside/set",
            {"state": "ON", "brightness": 102, "color": {"r": 255, "g": 0, "b": 0}},
        ),
        ("home/kitchen/ceiling/set", {"state": "OFF"}),
        ("home/kitchen/coffee/set", "ON"),
        ("home/garage/door/set", "OPEN"),
        ("home/kitchen/blind/set/position", 30),
        ("home/bedroom/fan/set/percentage", 60),
        ("home/office/heater/set/temperature", 21.5),
        ("home/garage/water_main/set", "OPEN"),
        ("home/garage/water_main/set/position", 25),
        ("home/lists/shopping/set", {"command": "add_item", "item": 'milk "#+/'}),
        ("home/living/tv/set", {"command": "volume_mute", "is_volume_muted": True}),
        (
            "home/living/tv/set",
            {"command": "play_media", "search_query": "abbey road #", "media_class": "album"},
        ),
    ]

    async def main() -> list[ActionResult]:
        async with load_sink(mqtt_config(mosquitto_broker), HOME) as sink:
            return [await sink.execute(a, in_s(3)) for c in commands for a in actions_for(c, HOME)]

    results = asyncio.run(main())
    assert all(r.ok and r.attempts == 1 and r.error is None for r in results), results
    messages = subscriber.wait_for(len(expected))
    got = [(topic, _decode(payload)) for topic, payload, _, _ in messages]
    assert got == expected
    assert {(qos, retain) for _, _, qos, retain in messages} == {(1, False)}
    assert [r.detail["topic"] for r in results] == [t for t, _ in expected]


def _decode(payload: bytes) -> Any:
    text = payload.decode()
    return text if text.isupper() else json.loads(text)


def test_mqtt_hostile_slot_text_never_reaches_a_topic_or_payload(
    mosquitto_broker: Mosquitto, subscriber: Subscriber
) -> None:
    # Only the value slots count: the names the model heard (hostile here) are not used.
    cmd = Command(
        text=HOSTILE + HUGE,
        intent="HassLightSet",
        slots={"name": HUGE, "area": HOSTILE, "brightness": 50},
        targets=("bedside_lamp",),
    )

    async def main() -> list[ActionResult]:
        async with load_sink(mqtt_config(mosquitto_broker), HOME) as sink:
            results = [await sink.execute(a, in_s(3)) for a in actions_for(cmd, HOME)]
            forged = [
                Action("kitchen/#", "light", "turn_on"),
                Action(HUGE, "light", "turn_on"),
                Action("bedside_lamp", "light", "turn_on", {"brightness_pct": HOSTILE}),
                Action("bedside_lamp", "light", "turn_on", {"color_name": HOSTILE}),
                Action("bedside_lamp", "light", HOSTILE),
                Action("bedside_lamp", "lock", "unlock"),
                Action("living_fan", "fan", "set_percentage", {"percentage": float("inf")}),
            ]
            return results + [await sink.execute(a, in_s(1)) for a in forged]

    done, *refused = asyncio.run(main())
    assert done.ok
    assert not any(r.ok for r in refused)
    assert all(r.attempts == 0 and len(r.error or "") < 300 for r in refused), refused
    time.sleep(0.3)  # anything refused would have arrived by now
    assert [(t, json.loads(p)) for t, p, _, _ in subscriber.wait_for(1)] == [
        ("home/bedroom/bedside/set", {"state": "ON", "brightness": 128})
    ]


def test_mqtt_device_without_topics_is_a_clear_error(
    mosquitto_broker: Mosquitto, subscriber: Subscriber
) -> None:
    async def main() -> ActionResult:
        async with load_sink(mqtt_config(mosquitto_broker), HOME) as sink:
            return one(
                [
                    await sink.execute(a, in_s(1))
                    for a in actions_for(command("HassTurnOn", "robot_vacuum"), HOME)
                ]
            )

    result = asyncio.run(main())
    assert not result.ok and result.attempts == 0
    assert result.error == (
        "robot_vacuum has no mqtt command_topic in home.yaml, so the mqtt sink cannot "
        "control it (it has entity_id vacuum.robot)"
    )
    time.sleep(0.2)
    assert subscriber.messages == []


def test_mqtt_states_from_retained_state_topics(
    mosquitto_broker: Mosquitto, subscriber: Subscriber
) -> None:
    subscriber.publish(
        "home/kitchen/ceiling/state", '{"state": "ON", "brightness": 128}', retain=True
    )
    subscriber.publish("home/garage/door/state", "closed", retain=True)

    async def main() -> list[Any]:
        async with load_sink(mqtt_config(mosquitto_broker), HOME) as sink:
            await _until(lambda: len(sink._states) == 2)  # type: ignore[attr-defined]
            before = [await sink.get_state(d) for d in ("kitchen_ceiling", "garage_door")]
            await asyncio.to_thread(subscriber.publish, "home/garage/door/state", "OPEN", True)
            await _until(lambda: sink._states["garage_door"]["state"] == "open")  # type: ignore[attr-defined]
            after = await sink.get_state("garage_door")
            no_topic = await sink.get_state("kitchen_counter")
            with pytest.raises(ActionRefused, match="not in the home"):
                await sink.get_state("neighbours_door")
            return [*before, after, no_topic]

    ceiling, door, door_after, counter = asyncio.run(main())
    assert ceiling == {"state": "on", "attributes": {"brightness": 128}}
    assert door == {"state": "closed", "attributes": {}}
    assert door_after == {"state": "open", "attributes": {}}
    assert counter is None


async def _until(condition: Any, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        await asyncio.sleep(0.01)


def test_mqtt_events_go_to_base_topic_client_id_kind(
    mosquitto_broker: Mosquitto, subscriber: Subscriber
) -> None:
    config = mqtt_config(
        mosquitto_broker, client_id="kitchen-satellite", base_topic="home/assistants"
    )

    async def main() -> None:
        async with load_sink(config, HOME) as sink:
            await sink.publish_event("heard", {"text": HOSTILE, "area": "kitchen"})
            for kind in ("heard/#", "+", "", HUGE):
                with pytest.raises(ActionRefused, match="event kind"):
                    await sink.publish_event(kind, {})
            with pytest.raises(ActionRefused, match="not JSON"):
                await sink.publish_event("did", {"ms": float("nan")})

    asyncio.run(main())
    topic, payload, qos, _ = one(subscriber.wait_for(1))  # type: ignore[arg-type]
    assert topic == "home/assistants/kitchen-satellite/heard" and qos == 1
    assert json.loads(payload) == {"text": HOSTILE, "area": "kitchen"}


def test_mqtt_broker_down_fails_at_deadline_then_reconnects(
    mosquitto_broker: Mosquitto, subscriber: Subscriber
) -> None:
    on, off = (actions_for(command(i, "sprinkler"), HOME)[0] for i in ("HassTurnOn", "HassTurnOff"))

    # Slow reconnects: only the waiting action makes the sink reconnect, after the subscriber
    # is back, so a stale OFF sent on reconnection would be seen.
    config = mqtt_config(mosquitto_broker, reconnect_initial_s=3, reconnect_max_s=3)

    async def main() -> tuple[ActionResult, float, ActionResult, int]:
        async with load_sink(config, HOME) as sink:
            assert isinstance(sink, MqttSink)
            mosquitto_broker.stop()
            start = time.monotonic()
            failed = await sink.execute(off, start + 1.0)
            waited = time.monotonic() - start
            mosquitto_broker.start()
            await asyncio.to_thread(subscriber.wait_subscribed)
            done = await sink.execute(on, in_s(5))
            return failed, waited, done, sink.connects

    failed, waited, done, connects = asyncio.run(main())
    assert not failed.ok
    assert failed.error is not None and failed.error.startswith(
        f"broker unreachable (127.0.0.1:{mosquitto_broker.port}): "
    ), failed.error
    assert 0.95 <= waited < 2.0
    assert done.ok and connects == 2
    time.sleep(0.3)  # the failed OFF must never arrive late
    assert [(t, p) for t, p, _, _ in subscriber.messages] == [("home/garden/sprinkler/set", b"ON")]


def test_mqtt_starts_while_broker_is_down(tmp_path: Path) -> None:
    if MOSQUITTO is None:
        pytest.skip(SKIP_REASON)
    broker = Mosquitto(tmp_path)  # configured, not started
    action = actions_for(command("HassTurnOn", "garden_lights"), HOME)[0]

    async def main() -> tuple[ActionResult, ActionResult]:
        async with load_sink(mqtt_config(broker, reconnect_max_s=5), HOME) as sink:
            failed = await sink.execute(action, in_s(0.3))
            broker.start()
            # the reconnect wait has grown, but a waiting action cuts it short
            return failed, await sink.execute(action, in_s(3))

    try:
        failed, done = asyncio.run(main())
    finally:
        broker.stop()
    assert not failed.ok and "broker unreachable" in (failed.error or "")
    assert "Connection refused" in (failed.error or "")
    assert done.ok


def test_mqtt_username_and_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if MOSQUITTO is None:
        pytest.skip(SKIP_REASON)
    secret = tmp_path / "mqtt-password"
    secret.write_text("s3cret\n")
    action = actions_for(command("HassTurnOn", "hall_light"), HOME)[0]

    async def run(config: MqttSinkConfig) -> ActionResult:
        async with load_sink(config, HOME) as sink:
            return await sink.execute(action, in_s(3))

    with Mosquitto(tmp_path, users={"alice": "s3cret"}) as broker:
        secret.chmod(0o644)
        with pytest.raises(ActionError, match=f"can be read by other users .*chmod 600 {secret}"):
            asyncio.run(run(mqtt_config(broker, username="alice", password_file=secret)))
        secret.chmod(0o600)
        assert asyncio.run(run(mqtt_config(broker, username="alice", password_file=secret))).ok
        monkeypatch.setenv("MQTT_PASSWORD", "wrong")
        wrong = mqtt_config(broker, username="alice", password_env="MQTT_PASSWORD")
        with pytest.raises(ActionError, match=r"refused the connection: .*check username"):
            asyncio.run(run(wrong))
        monkeypatch.delenv("MQTT_PASSWORD")
        with pytest.raises(ActionError, match="MQTT_PASSWORD is not set"):
            asyncio.run(run(wrong))


def test_mqtt_over_tls_verifies_the_broker(tmp_path: Path) -> None:
    if MOSQUITTO is None:
        pytest.skip(SKIP_REASON)
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    ca, cert, key = _certificates(tmp_path)
    action = actions_for(command("HassTurnOn", "bathroom_light"), HOME)[0]

    async def run(config: MqttSinkConfig) -> ActionResult:
        async with load_sink(config, HOME) as sink:
            return await sink.execute(action, in_s(1))

    with Mosquitto(tmp_path, tls=(cert, key)) as broker:
        assert asyncio.run(run(mqtt_config(broker, tls=True, ca_file=ca))).ok
        untrusted = asyncio.run(run(mqtt_config(broker, tls=True)))  # system CAs only
        assert not untrusted.ok and "certificate verify failed" in (untrusted.error or "")
        with pytest.raises(ActionError, match=r"ca_file .* not found"):
            asyncio.run(run(mqtt_config(broker, tls=True, ca_file=tmp_path / "missing.pem")))


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1 signed by it."""
    ca, ca_key = folder / "ca.pem", folder / "ca.key"
    cert, key, csr = folder / "broker.pem", folder / "broker.key", folder / "broker.csr"
    san = folder / "san.cnf"
    san.write_text("subjectAltName=IP:127.0.0.1\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for args in (
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "1", "-subj", "/CN=test CA"],
        ["req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "1", "-extfile", san],
    ):  # fmt: skip
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)
    key.chmod(0o644)  # the broker may run as another user
    return ca, cert, key


# -- home assistant ------------------------------------------------------------------------


def _result(message_id: int, result: Any) -> dict[str, Any]:
    return {"id": message_id, "type": "result", "success": True, "result": result}


def _error(message_id: int, code: str, message: str) -> dict[str, Any]:
    error = {"code": code, "message": message}
    return {"id": message_id, "type": "result", "success": False, "error": error}


class FakeHomeAssistant:
    """Home Assistant's REST and WebSocket APIs, the parts the sink uses, on 127.0.0.1.

    The WebSocket speaks Home Assistant's protocol: auth_required, auth, then auth_ok or
    auth_invalid; then commands whose ids must increase on each connection (id_reuse
    otherwise): get_states, subscribe_events (state_changed) and call_service. ``push_state``
    sends a state_changed to the subscribers; ``drop_sockets`` closes them as a restart does.
    """

    def __init__(self, token: str = "good-token") -> None:
        self.token = token
        self.calls: list[tuple[str, str, Any]] = []  # REST service calls
        self.state_reads: list[str] = []  # REST GET /api/states/<entity_id>
        self.handshakes = 0  # requests for /api/websocket
        self.auths: list[str] = []  # the access_token of each WebSocket auth message
        self.ws_ids: list[list[int]] = []  # the command ids, per connection
        self.ws_calls: list[dict[str, Any]] = []  # call_service messages, less their id
        self.ws_open = True  # False: /api/websocket answers 503, as while HA restarts
        self.ws_drop_on_call = False  # close the socket on a call_service, not answering
        self.ws_errors: list[tuple[str, str]] = []  # (code, message) for the next calls
        self.stall_s = 0.0
        self.fail_5xx = 0
        # what media_player.search_media finds (its service response, per player)
        self.media: list[dict[str, Any]] = [
            {"title": "Help!", "media_class": "album", "media_content_type": "album",
             "media_content_id": "library://album/7", "can_play": False},
            {"title": "Abbey Road", "media_class": "album", "media_content_type": "album",
             "media_content_id": "library://album/1", "can_play": True},
        ]  # fmt: skip
        self.states: dict[str, dict[str, Any]] = {
            "climate.thermostat": {
                "entity_id": "climate.thermostat",
                "state": "heat",
                "attributes": {"temperature": 21, "current_temperature": 19.5},
            },
            "light.floor_lamp": {
                "entity_id": "light.floor_lamp",
                "state": "off",
                "attributes": {"friendly_name": "Floor lamp"},
            },
            "light.neighbours_porch": {  # not in home.yaml: never cached
                "entity_id": "light.neighbours_porch",
                "state": "on",
                "attributes": {},
            },
        }
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._unstall = asyncio.Event()
        self._sockets: dict[web.WebSocketResponse, set[int]] = {}  # -> subscription ids

    def unstall(self) -> None:
        self.stall_s = 0
        self._unstall.set()

    async def __aenter__(self) -> FakeHomeAssistant:
        app = web.Application()
        app.router.add_get("/api/", self._api)
        app.router.add_post("/api/services/{domain}/{service}", self._service)
        app.router.add_get("/api/states/{entity_id}", self._state)
        app.router.add_get("/api/websocket", self._websocket)
        app.on_shutdown.append(lambda _: self.drop_sockets())
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        self.unstall()
        await self._runner.cleanup()

    async def push_state(self, entity_id: str, state: str, **attributes: Any) -> None:
        old = self.states.get(entity_id)
        new = {"entity_id": entity_id, "state": state, "attributes": attributes}
        self.states[entity_id] = new
        event = {
            "event_type": "state_changed",
            "data": {"entity_id": entity_id, "old_state": old, "new_state": new},
            "origin": "LOCAL",
            "time_fired": "2025-01-01T12:00:00+00:00",
        }
        for ws, subscriptions in list(self._sockets.items()):
            for subscription in subscriptions:
                await ws.send_json({"id": subscription, "type": "event", "event": event})

    async def drop_sockets(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY)

    async def revoke(self, new_token: str) -> None:
        """The token is revoked: Home Assistant closes the connections it authenticated."""
        self.token = new_token
        await self.drop_sockets()

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    async def _api(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401, text="401: Unauthorized")
        return web.json_response({"message": "API running."})

    def _response(self, service: str, data: dict[str, Any]) -> dict[str, Any] | None:
        """A service's response (only search_media has one here)."""
        if service != "search_media":
            return None
        entity_id = data.get("entity_id")
        return {entity_id: {"version": 1, "result": list(self.media)}}

    async def _service(self, request: web.Request) -> web.Response:
        path = request.match_info
        body = await request.json()
        self.calls.append((path["domain"], path["service"], body))
        if not self._authorized(request):
            return web.Response(status=401, text="401: Unauthorized")
        if self.stall_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._unstall.wait(), self.stall_s)
        if self.fail_5xx:
            self.fail_5xx -= 1
            return web.Response(status=502, text="Bad Gateway")
        if "return_response" in request.query:
            response = self._response(path["service"], body)
            return web.json_response({"changed_states": [], "service_response": response})
        return web.json_response([])

    async def _state(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401, text="401: Unauthorized")
        self.state_reads.append(request.match_info["entity_id"])
        state = self.states.get(request.match_info["entity_id"])
        if state is None:
            return web.json_response({"message": "Entity not found."}, status=404)
        return web.json_response(state)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        self.handshakes += 1
        if not self.ws_open:
            return web.Response(status=503, text="Home Assistant is starting")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "auth_required", "ha_version": "2025.1.0"})
        auth = json.loads((await ws.receive(timeout=5)).data)
        self.auths.append(auth.get("access_token"))
        if auth.get("type") != "auth" or auth.get("access_token") != self.token:
            await ws.send_json({"type": "auth_invalid", "message": "Invalid access"})
            await ws.close()
            return ws
        await ws.send_json({"type": "auth_ok", "ha_version": "2025.1.0"})
        subscriptions = self._sockets[ws] = set()
        ids: list[int] = []
        self.ws_ids.append(ids)
        try:
            async for frame in ws:
                message = json.loads(frame.data)
                if ids and message["id"] <= ids[-1]:
                    await ws.send_json(_error(message["id"], "id_reuse", "Ids must increase."))
                    continue
                ids.append(message["id"])
                await self._command(ws, subscriptions, message)
        finally:
            self._sockets.pop(ws, None)
        return ws

    async def _command(
        self, ws: web.WebSocketResponse, subscriptions: set[int], message: dict[str, Any]
    ) -> None:
        kind, message_id = message["type"], message["id"]
        if kind == "get_states":
            await ws.send_json(_result(message_id, list(self.states.values())))
        elif kind == "subscribe_events" and message.get("event_type") == "state_changed":
            subscriptions.add(message_id)
            await ws.send_json(_result(message_id, None))
        elif kind == "call_service":
            self.ws_calls.append({k: v for k, v in message.items() if k != "id"})
            if self.ws_drop_on_call:
                await ws.close(code=WSCloseCode.GOING_AWAY)
            elif self.ws_errors:
                await ws.send_json(_error(message_id, *self.ws_errors.pop(0)))
            else:
                data = {**message.get("service_data", {}), **message.get("target", {})}
                response = self._response(message["service"], data)
                await ws.send_json(
                    _result(message_id, {"context": {"id": "c1"}, "response": response})
                )
        else:
            await ws.send_json(_error(message_id, "unknown_command", "Unknown command."))


def ha_config(server: FakeHomeAssistant, **fields: Any) -> HomeAssistantSinkConfig:
    fields = {"reconnect_initial_s": 0.05, "reconnect_max_s": 0.2, **fields}
    return HomeAssistantSinkConfig(type="home_assistant", url=server.url, **fields)


async def until(check: Callable[[], bool], within_s: float = 3.0) -> None:
    deadline = in_s(within_s)
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


@pytest.fixture
def hass_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASS_TOKEN", "good-token")


LIGHT_CALL = {"entity_id": "light.floor_lamp", "brightness_pct": 40, "color_name": "red"}
HEAT_CALL = {"entity_id": "climate.thermostat", "temperature": 21.5}
THERMOSTAT = {"state": "heat", "attributes": {"temperature": 21, "current_temperature": 19.5}}


def light_and_heat() -> list[Action]:
    light = actions_for(command("HassLightSet", "floor_lamp", brightness=40, color="red"), HOME)
    heat = actions_for(command("HassClimateSetTemperature", "thermostat", temperature=21.5), HOME)
    return light + heat


@pytest.mark.usefixtures("hass_token")
def test_home_assistant_websocket_calls_services_and_answers_states_from_its_cache() -> None:
    async def main() -> tuple[FakeHomeAssistant, HomeAssistantSink, list[Any]]:
        async with FakeHomeAssistant() as server, load_sink(ha_config(server), HOME) as sink:
            assert isinstance(sink, HomeAssistantSink) and sink.websocket_up
            results = [await sink.execute(a, in_s(3)) for a in light_and_heat()]
            cached = sink.cached_entities
            before = await sink.get_state("thermostat")
            await server.push_state("climate.thermostat", "off", temperature=18)
            await server.push_state("light.neighbours_porch", "off")
            while (after := await sink.get_state("thermostat")) == before:
                await asyncio.sleep(0.01)
            unknown = await sink.get_state("front_door")  # not cached: asked over REST
            return server, sink, [results, cached, before, after, unknown, sink.cached_entities]

    server, sink, (results, cached, before, after, unknown, cached_after) = asyncio.run(main())
    assert all(r.ok and r.attempts == 1 for r in results), results
    assert [r.detail["transport"] for r in results] == ["websocket", "websocket"]
    assert server.calls == []  # no REST service call
    assert server.ws_calls == [
        {
            "type": "call_service",
            "domain": "light",
            "service": "turn_on",
            "service_data": {"brightness_pct": 40, "color_name": "red"},
            "target": {"entity_id": "light.floor_lamp"},
        },
        {
            "type": "call_service",
            "domain": "climate",
            "service": "set_temperature",
            "service_data": {"temperature": 21.5},
            "target": {"entity_id": "climate.thermostat"},
        },
    ]
    assert server.auths == ["good-token"] and server.ws_ids == [[1, 2, 3, 4]]
    assert cached == cached_after == {"climate.thermostat", "light.floor_lamp"}
    assert before == THERMOSTAT
    assert after == {"state": "off", "attributes": {"temperature": 18}}
    assert unknown is None
    assert server.state_reads == ["lock.front_door"]  # the thermostat came from the cache
    assert sink.ws_connects == 1 and not sink.websocket_up  # closed


@pytest.mark.usefixtures("hass_token")
def test_home_assistant_without_websocket_uses_rest_only() -> None:
    async def main() -> tuple[FakeHomeAssistant, list[ActionResult], list[Any]]:
        async with (
            FakeHomeAssistant() as server,
            load_sink(ha_config(server, websocket=False), HOME) as sink,
        ):
            results = [await sink.execute(a, in_s(3)) for a in light_and_heat()]
            states = [await sink.get_state(d) for d in ("thermostat", "front_door")]
            return server, results, states

    server, results, (thermostat, front_door) = asyncio.run(main())
    assert all(r.ok and r.attempts == 1 and r.detail["status"] == 200 for r in results), results
    assert [r.detail["transport"] for r in results] == ["rest", "rest"]
    assert server.calls == [
        ("light", "turn_on", LIGHT_CALL),
        ("climate", "set_temperature", HEAT_CALL),
    ]
    assert thermostat == THERMOSTAT
    assert front_door is None  # not known to Home Assistant
    assert server.state_reads == ["climate.thermostat", "lock.front_door"]
    assert server.handshakes == 0 and server.ws_calls == []


@pytest.mark.usefixtures("hass_token")
@pytest.mark.parametrize("websocket", [True, False])
def test_home_assistant_refused_token_stops_start(websocket: bool) -> None:
    async def start() -> tuple[FakeHomeAssistant, str]:
        async with FakeHomeAssistant(token="other") as server:
            sink = load_sink(ha_config(server, websocket=websocket), HOME)
            with pytest.raises(ActionError) as raised:
                await sink.start()
            return server, str(raised.value)

    server, error = asyncio.run(start())
    ws_url = server.url.replace("http://", "ws://") + "/api/websocket"
    refused = f"auth_invalid at {ws_url}: Invalid access" if websocket else "401"
    assert error == (
        f"Home Assistant rejected the token from $HASS_TOKEN ({refused}): create a long-lived "
        "access token in your Home Assistant profile"
    )
    assert server.auths == (["good-token"] if websocket else [])  # asked once, not retried
    assert server.handshakes == int(websocket)


@pytest.mark.usefixtures("hass_token")
def test_home_assistant_falls_back_to_rest_while_the_websocket_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    turn_on, turn_off = (
        actions_for(command(intent, "floor_lamp"), HOME)[0]
        for intent in ("HassTurnOn", "HassTurnOff")
    )

    async def main() -> tuple[FakeHomeAssistant, HomeAssistantSink, list[Any]]:
        async with FakeHomeAssistant() as server, load_sink(ha_config(server), HOME) as sink:
            assert isinstance(sink, HomeAssistantSink) and sink.websocket_up
            # Home Assistant restarts while it has the call: the socket closes unanswered,
            # and stays away for a while.
            server.ws_open, server.ws_drop_on_call = False, True
            during = await sink.execute(turn_on, in_s(3))
            down = sink.websocket_up
            state = await sink.get_state("thermostat")  # REST while the socket is down
            server.ws_open, server.ws_drop_on_call = True, False
            await until(lambda: sink.websocket_up)
            after = await sink.execute(turn_off, in_s(3))
            return server, sink, [during, down, state, after]

    with caplog.at_level(logging.DEBUG, logger="edge_assistant.actions.home_assistant"):
        server, sink, (during, down, state, after) = asyncio.run(main())
    assert during.ok and during.attempts == 2 and during.detail["transport"] == "rest"
    assert not down and state == THERMOSTAT and server.state_reads == ["climate.thermostat"]
    assert server.calls == [("light", "turn_on", {"entity_id": "light.floor_lamp"})]
    assert after.ok and after.attempts == 1 and after.detail["transport"] == "websocket"
    assert [(c["service"], c["target"]) for c in server.ws_calls] == [
        ("turn_on", {"entity_id": "light.floor_lamp"}),  # the one dropped unanswered
        ("turn_off", {"entity_id": "light.floor_lamp"}),
    ]
    assert server.auths == ["good-token", "good-token"] and sink.ws_connects == 2
    assert server.ws_ids == [[1, 2, 3], [1, 2, 3]]  # increasing on each connection
    assert server.handshakes > 2  # refused with 503 while Home Assistant was away
    lost = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert lost == [  # the fallback is logged once, not once per reconnect attempt
        f"Home Assistant WebSocket API lost ({sink.ws_url}): WebSocket closed by Home "
        "Assistant (code 1001); using REST until it is back"
    ]


@pytest.mark.usefixtures("hass_token")
def test_home_assistant_websocket_error_results() -> None:
    action = actions_for(command("HassVacuumStart", "robot_vacuum"), HOME)[0]

    async def main() -> tuple[FakeHomeAssistant, ActionResult, ActionResult]:
        async with FakeHomeAssistant() as server, load_sink(ha_config(server), HOME) as sink:
            server.ws_errors = [("not_found", "Service vacuum.start not found.")]
            refused = await sink.execute(action, in_s(3))
            server.ws_errors = [("home_assistant_error", "The vacuum did not answer")]
            retried = await sink.execute(action, in_s(3))
            return server, refused, retried

    server, refused, retried = asyncio.run(main())
    assert not refused.ok and refused.attempts == 1 and refused.detail["code"] == "not_found"
    assert refused.error == (
        "Home Assistant refused vacuum.start on vacuum.robot (not_found): "
        "Service vacuum.start not found."
    )
    assert retried.ok and retried.attempts == 2  # a failure inside Home Assistant is retried
    assert len(server.ws_calls) == 3 and server.calls == []  # no REST try after a refusal


@pytest.mark.usefixtures("hass_token")
@pytest.mark.parametrize("websocket", [True, False])
def test_home_assistant_revoked_token_is_a_clear_error_and_not_retried(websocket: bool) -> None:
    action = actions_for(command("HassTurnOff", "front_door"), HOME)[0]

    async def main() -> tuple[FakeHomeAssistant, ActionResult, float]:
        async with (
            FakeHomeAssistant() as server,
            load_sink(ha_config(server, websocket=websocket), HOME) as sink,
        ):
            assert isinstance(sink, HomeAssistantSink) and sink.websocket_up == websocket
            await server.revoke("revoked-and-replaced")  # its sockets are closed
            await until(lambda: not sink.websocket_up)
            start = time.monotonic()
            result = await sink.execute(action, in_s(3))
            return server, result, time.monotonic() - start

    server, result, took = asyncio.run(main())
    assert not result.ok and result.attempts == 1 and len(server.calls) == 1 and took < 1
    assert result.error is not None and result.error.startswith(
        "Home Assistant rejected the token from $HASS_TOKEN (401)"
    )


@pytest.mark.usefixtures("hass_token")
def test_home_assistant_timeouts_and_5xx_are_retried_until_the_deadline() -> None:
    action = actions_for(command("HassMediaPause", "tv"), HOME)[0]

    async def main() -> tuple[ActionResult, float, ActionResult, ActionResult]:
        async with FakeHomeAssistant() as server:
            config = ha_config(server, timeout_s=0.3, websocket=False)
            async with load_sink(config, HOME) as sink:
                server.stall_s = 10
                start = time.monotonic()
                stalled = await sink.execute(action, start + 1.0)
                waited = time.monotonic() - start
                server.unstall()
                await asyncio.sleep(0.1)  # the stalled calls finish before the failures start
                server.fail_5xx = 2
                recovered = await sink.execute(action, in_s(3))
            closed_port = HomeAssistantSinkConfig(
                type="home_assistant", url=f"http://127.0.0.1:{free_port()}"
            )
            async with load_sink(closed_port, HOME) as sink:
                unreachable = await sink.execute(action, in_s(0.5))
            return stalled, waited, recovered, unreachable

    stalled, waited, recovered, unreachable = asyncio.run(main())
    assert not stalled.ok and stalled.attempts >= 2
    assert stalled.error is not None and "no answer in time" in stalled.error
    assert 0.95 <= waited < 1.6
    assert recovered.ok and recovered.attempts == 3
    assert not unreachable.ok and "Home Assistant unreachable" in (unreachable.error or "")


def test_home_assistant_token_file_must_be_private(tmp_path: Path) -> None:
    token = tmp_path / "hass-token"
    token.write_text("good-token\n")
    token.chmod(0o644)
    action = actions_for(command("HassVacuumStart", "robot_vacuum"), HOME)[0]

    async def run() -> ActionResult:
        async with (
            FakeHomeAssistant() as server,
            load_sink(ha_config(server, token_file=token), HOME) as sink,
        ):
            return await sink.execute(action, in_s(3))

    with pytest.raises(ActionError) as raised:
        asyncio.run(run())
    assert str(raised.value) == (
        f"Home Assistant token file {token} can be read by other users (mode 644); "
        f"run: chmod 600 {token}"
    )
    token.chmod(0o600)
    assert asyncio.run(run()).ok


@pytest.mark.usefixtures("hass_token")
def test_home_assistant_uses_only_entity_ids_of_the_home() -> None:
    forged = [
        Action("kitchen_ceiling", "light", "turn_on"),  # mqtt only: no entity_id
        Action("neighbours_door", "lock", "unlock"),
        Action("front_door", "lock", "../../config/core/restart"),
        Action("front_door", "light", "turn_on"),
        Action("thermostat", "climate", "set_temperature", {"temperature": float("nan")}),
    ]

    async def main() -> tuple[FakeHomeAssistant, list[ActionResult]]:
        async with FakeHomeAssistant() as server, load_sink(ha_config(server), HOME) as sink:
            return server, [await sink.execute(a, in_s(1)) for a in forged]

    server, results = asyncio.run(main())
    assert server.calls == [] and server.ws_calls == []
    assert [r.ok or r.attempts for r in results] == [0, 0, 0, 0, 0]
    assert "kitchen_ceiling has no entity_id in home.yaml" in (results[0].error or "")
    assert "not in the home" in (results[1].error or "")
    assert "not a service name" in (results[2].error or "")
    assert "front_door is a lock, not a light" in (results[3].error or "")
    assert "service data is not JSON" in (results[4].error or "")


def test_home_assistant_missing_token_stops_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HASS_TOKEN", raising=False)
    sink = load_sink(HomeAssistantSinkConfig(type="home_assistant", url="http://127.0.0.1:9"), HOME)
    with pytest.raises(ActionError, match="environment variable HASS_TOKEN is not set"):
        asyncio.run(sink.start())


@pytest.mark.usefixtures("hass_token")
def test_home_assistant_oversized_websocket_message_falls_back_to_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(home_assistant, "MAX_WS_MESSAGE_BYTES", 65536)
    action = actions_for(command("HassTurnOn", "floor_lamp"), HOME)[0]

    async def main() -> tuple[FakeHomeAssistant, HomeAssistantSink, ActionResult]:
        async with FakeHomeAssistant() as server:
            server.states["light.floor_lamp"]["attributes"]["effect_list"] = ["x" * 100] * 1000
            async with load_sink(ha_config(server), HOME) as sink:
                assert isinstance(sink, HomeAssistantSink)
                return server, sink, await sink.execute(action, in_s(3))

    server, sink, result = asyncio.run(main())
    assert result.ok and result.detail["transport"] == "rest" and sink.ws_connects == 0
    assert server.ws_ids[0] == [1, 2]  # subscribed, then get_states' answer was too big
    assert sink.ws_error is not None and "exceeds limit 65536" in sink.ws_error, sink.ws_error


def test_home_assistant_reconnect_waits_are_checked() -> None:
    with pytest.raises(ValueError, match="reconnect_initial_s must not exceed reconnect_max_s"):
        HomeAssistantSinkConfig(
            type="home_assistant", url="http://ha:8123", reconnect_initial_s=5, reconnect_max_s=1
        )


# -- custom intents (home.yaml intents, tests/custom_home.py) ------------------------------


def _custom_home(tmp_path: Path) -> Home:
    from tests.custom_home import custom_home

    return load_home(custom_home(tmp_path))


def test_mqtt_publishes_a_custom_intent_as_home_yaml_says(
    tmp_path: Path, mosquitto_broker: Mosquitto, subscriber: Subscriber
) -> None:
    home = _custom_home(tmp_path)
    actions = actions_for(command("SetMood", mood="romantic"), home)

    async def main() -> list[ActionResult]:
        async with load_sink(mqtt_config(mosquitto_broker), home) as sink:
            return [await sink.execute(a, in_s(3)) for a in actions]

    results = asyncio.run(main())
    assert [r.ok for r in results] == [True], results
    topic, payload, _, _ = subscriber.wait_for(1)[0]
    assert (topic, payload) == ("home/mood/set", b"romantic")


@pytest.mark.usefixtures("hass_token")
@pytest.mark.parametrize("websocket", [True, False])
def test_home_assistant_calls_a_custom_intents_service(tmp_path: Path, websocket: bool) -> None:
    home = _custom_home(tmp_path)
    actions = actions_for(command("SetMood", mood="party"), home)

    async def main() -> tuple[FakeHomeAssistant, list[ActionResult]]:
        async with (
            FakeHomeAssistant() as server,
            load_sink(ha_config(server, websocket=websocket), home) as sink,
        ):
            return server, [await sink.execute(a, in_s(3)) for a in actions]

    server, results = asyncio.run(main())
    assert [r.ok for r in results] == [True], results
    if websocket:
        assert [(c["domain"], c["service"], c["target"]) for c in server.ws_calls] == [
            ("scene", "turn_on", {"entity_id": "scene.party"})
        ]
    else:
        assert server.calls == [("scene", "turn_on", {"entity_id": "scene.party"})]


@pytest.mark.usefixtures("hass_token")
def test_a_custom_intent_a_sink_has_no_half_for_is_refused_saying_so(tmp_path: Path) -> None:
    home = _custom_home(tmp_path)
    mood = home.intents["SetMood"].model_copy(update={"service": None})
    mqtt_only = home.model_copy(update={"intents": {**home.intents, "SetMood": mood}})
    action = actions_for(command("SetMood", mood="party"), mqtt_only)[0]

    async def main() -> ActionResult:
        async with FakeHomeAssistant() as server, load_sink(ha_config(server), mqtt_only) as sink:
            return await sink.execute(action, in_s(3))

    result = asyncio.run(main())
    assert not result.ok
    assert result.error == (
        "intent SetMood has no service: in home.yaml intents, so the home_assistant sink cannot "
        "do it"
    )


@pytest.mark.usefixtures("hass_token")
def test_questions_are_answered_from_home_assistants_states(tmp_path: Path) -> None:
    """The thermostat's reading, the weather, a state: spoken from the sink's states."""
    from concurrent.futures import ThreadPoolExecutor

    from edge_assistant.daemon.acting import Actor

    def asked(intent: str, *targets: str, **slots: Any) -> Command:
        return command(intent, *targets, **slots)

    async def main() -> list[str]:
        async with FakeHomeAssistant() as server, load_sink(ha_config(server), HOME) as sink:
            server.states["weather.home"] = {"entity_id": "weather.home", "state": "partlycloudy",
                                             "attributes": {"temperature": 12}}  # fmt: skip
            server.states["sensor.bathroom_temperature"] = {
                "entity_id": "sensor.bathroom_temperature", "state": "22.5",
                "attributes": {"unit_of_measurement": "°C"}}  # fmt: skip
            actor = Actor(sink, None, ThreadPoolExecutor(1), ttl_s=5)  # type: ignore[arg-type]
            return [
                await actor.answer_state(asked("HassClimateGetTemperature", "thermostat"), HOME),
                await actor.answer_state(asked("HassClimateGetTemperature", area="Bathroom"), HOME),
                await actor.answer_state(asked("HassGetWeather"), HOME),
                await actor.answer_state(asked("HassGetState", "thermostat"), HOME),
            ]

    assert asyncio.run(main()) == [
        "It is 19.5 degrees.",
        "It is 22.5 degrees.",
        "It is partly cloudy, 12 degrees.",
        "Thermostat is heat",
    ]


def test_volume_up_and_down_are_the_players_own_steps() -> None:
    up = actions_for(command("HassSetVolumeRelative", "tv", volume_step="up"), HOME)
    assert [(a.service, a.data) for a in up] == [("volume_up", {})]
    down = actions_for(command("HassSetVolumeRelative", "tv", volume_step="down"), HOME)
    assert [a.service for a in down] == ["volume_down"]
    with pytest.raises(ActionRefused, match="volume is not known here"):
        actions_for(command("HassSetVolumeRelative", "tv", volume_step=20), HOME)


# -- play what was said, broadcasts, relative volume ----------------------------------------


@pytest.mark.usefixtures("hass_token")
@pytest.mark.parametrize("websocket", [True, False])
def test_home_assistant_plays_the_first_playable_result_of_its_search(websocket: bool) -> None:
    """What Home Assistant's own HassMediaSearchAndPlay does: media_player.search_media (with
    its service response), then play_media of the first result that can be played."""
    play = command("HassMediaSearchAndPlay", "tv", search_query="abbey road", media_class="album")

    async def main() -> tuple[FakeHomeAssistant, list[ActionResult]]:
        async with (
            FakeHomeAssistant() as server,
            load_sink(ha_config(server, websocket=websocket), HOME) as sink,
        ):
            found = await sink.execute(one_action(play), in_s(3))
            server.media = [{"title": "x", "media_content_id": "", "media_content_type": "album"}]
            nothing = await sink.execute(one_action(play), in_s(3))
            return server, [found, nothing]

    server, (found, nothing) = asyncio.run(main())
    assert found.ok and found.attempts == 2, found
    assert found.detail["found"] == {
        "media_content_id": "library://album/1",
        "media_content_type": "album",
    }
    calls = (
        [(m["service"], m["service_data"], m.get("return_response")) for m in server.ws_calls]
        if websocket
        else [(service, data, None) for _, service, data in server.calls]
    )
    search = {"search_query": "abbey road", "media_filter_classes": ["album"]}
    tv = {} if websocket else {"entity_id": "media_player.living_room_tv"}
    assert calls[:2] == [
        ("search_media", {**search, **tv}, True if websocket else None),
        ("play_media", {**found.detail["found"], **tv}, None),
    ]
    assert not nothing.ok and "found nothing to play for 'abbey road'" in (nothing.error or "")
    assert [c[0] for c in calls[2:]] == ["search_media"]  # nothing played


def one_action(cmd: Command) -> Action:
    (action,) = actions_for(cmd, HOME)
    return action


@pytest.mark.usefixtures("hass_token")
def test_home_assistant_broadcasts_on_every_satellite() -> None:
    async def main() -> tuple[FakeHomeAssistant, ActionResult]:
        async with FakeHomeAssistant() as server, load_sink(ha_config(server), HOME) as sink:
            said = command("HassBroadcast", message="dinner is ready")
            return server, await sink.execute(one_action(said), in_s(3))

    server, result = asyncio.run(main())
    assert result.ok, result
    assert server.ws_calls == [
        {
            "type": "call_service",
            "domain": "assist_satellite",
            "service": "announce",
            "service_data": {"message": "dinner is ready"},
            "target": {"entity_id": "all"},
        }
    ]


def test_mqtt_broadcast_is_said_by_the_other_assistants_not_the_sender(
    mosquitto_broker: Mosquitto, subscriber: Subscriber
) -> None:
    """A broadcast goes to <base_topic>/broadcast; every other assistant of the home hears
    it (on_broadcast), the sender does not; malformed and retained ones are ignored."""
    said = command("HassBroadcast", message="dinner is ready")

    async def main() -> tuple[ActionResult, dict[str, list[tuple[str, str]]]]:
        heard: dict[str, list[tuple[str, str]]] = {"kitchen": [], "office": []}
        configs = {name: mqtt_config(mosquitto_broker, client_id=name) for name in heard}
        old = json.dumps({"from": "old", "message": "m"})  # retained: old news when they connect
        subscriber.publish("edge-assistant/broadcast", old, retain=True)
        async with (
            load_sink(configs["kitchen"], HOME) as kitchen,
            load_sink(configs["office"], HOME) as office,
        ):
            kitchen.on_broadcast = lambda *m: heard["kitchen"].append(m)
            office.on_broadcast = lambda *m: heard["office"].append(m)
            result = await kitchen.execute(one_action(said), in_s(3))
            junk = ["[[[[" * 5000, '{"from": "a/b", "message": "x"}', '{"from": "x"}',
                    json.dumps({"from": "evil", "message": "y" * 500}), "not json"]  # fmt: skip
            for payload in junk:
                subscriber.publish("edge-assistant/broadcast", payload)
            await _until(lambda: heard["office"])
            await asyncio.sleep(0.3)  # the junk and the retained one had their chance
        return result, heard

    result, heard = asyncio.run(main())
    assert result.ok and result.detail["topic"] == "edge-assistant/broadcast", result
    assert heard == {"kitchen": [], "office": [("kitchen", "dinner is ready")]}


def test_a_relative_volume_by_a_number_is_worked_out_from_the_players_level(
    tmp_path: Path,
) -> None:
    """ "Turn the volume up by 10": from the player's level where the sink knows it (Home
    Assistant's volume_level), else refused rather than guessed."""
    from concurrent.futures import ThreadPoolExecutor

    from edge_assistant.config.journal import JournalConfig
    from edge_assistant.daemon.acting import Actor
    from edge_assistant.journal.journal import Journal

    class Sink(LogSink):
        async def get_state(self, device_id: str) -> dict[str, Any] | None:
            level = {"tv": 0.45}.get(device_id)
            return None if level is None else {"state": "on", "attributes": {"volume_level": level}}

    sink = Sink(LogSinkConfig(type="log"), HOME)
    with Journal(JournalConfig(path=tmp_path / "j.sqlite3")) as journal:
        actor = Actor(sink, journal, ThreadPoolExecutor(1), 5.0)

        async def main() -> list[list[dict[str, Any]]]:
            said = [("tv", 10), ("tv", -60), ("office_speaker", 10)]
            commands = [command("HassSetVolumeRelative", d, volume_step=n) for d, n in said]
            return [await actor.act(c, HOME, None, in_s(3)) for c in commands]

        up, down, unknown = asyncio.run(main())
    assert [(a["service"], a["data"], a["ok"]) for a in up] == [
        ("volume_set", {"volume_level": 0.55}, True)
    ]
    assert [a["data"] for a in down] == [{"volume_level": 0.0}]
    assert not unknown[0]["ok"] and "volume is not known here" in unknown[0]["error"]
