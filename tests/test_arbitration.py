"""Several rooms, one broker: when two devices hear the same wake word, the one that heard it
best acts. Real mosquitto; the daemon test runs the real wake word, recognizer and sink."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import soundfile as sf
import yaml

from edge_assistant.audio.synthesize import concatenate, silence, speak
from edge_assistant.config.actions import MqttBrokerConfig
from edge_assistant.config.arbitration import ArbitrationConfig
from edge_assistant.config.device import DeviceConfig
from edge_assistant.config.loading import validate_data
from edge_assistant.daemon.arbitration import Arbiter
from edge_assistant.errors import ConfigError
from tests.conftest import REPO
from tests.mosquitto import Mosquitto, Subscriber, free_port, mosquitto_broker

CONFIG = ArbitrationConfig(enabled=True, window_ms=200)
__all__ = ["mosquitto_broker"]  # a fixture: used by name


def broker_config(broker: Mosquitto | None, port: int | None = None) -> MqttBrokerConfig:
    return MqttBrokerConfig(
        host="127.0.0.1",
        port=broker.port if broker else port,
        connect_timeout_s=0.5,
        reconnect_initial_s=0.1,
        reconnect_max_s=0.2,
    )


async def started(broker: MqttBrokerConfig, *names: str) -> list[Arbiter]:
    arbiters = [Arbiter(CONFIG, broker, name) for name in names]
    for arbiter in arbiters:
        await arbiter.start()
    return arbiters


async def closed(*arbiters: Arbiter) -> None:
    for arbiter in arbiters:
        await arbiter.close()


def test_the_device_that_heard_it_best_handles_it(mosquitto_broker: Mosquitto) -> None:
    async def main() -> None:
        kitchen, hall = await started(broker_config(mosquitto_broker), "kitchen", "hall")
        wakes = await asyncio.gather(
            kitchen.claim("okay_nabu", 0.97), hall.claim("okay_nabu", 0.88)
        )
        rulings = await asyncio.gather(kitchen.rule(wakes[0]), hall.rule(wakes[1]))
        assert [r.handle for r in rulings] == [True, False]
        assert {r.winner for r in rulings} == {"kitchen"}
        assert "also heard by hall" in rulings[0].reason
        assert rulings[1].reason == "kitchen heard the wake word better (0.97, here 0.88)"
        # a tie goes to the name that sorts first, on both devices alike
        wakes = await asyncio.gather(kitchen.claim("okay_nabu", 0.9), hall.claim("okay_nabu", 0.9))
        rulings = await asyncio.gather(kitchen.rule(wakes[0]), hall.rule(wakes[1]))
        assert [(r.handle, r.winner) for r in rulings] == [(False, "hall"), (True, "hall")]
        await closed(kitchen, hall)

    asyncio.run(main())


def test_wakes_apart_in_time_or_word_are_separate_commands(mosquitto_broker: Mosquitto) -> None:
    async def main() -> None:
        kitchen, hall = await started(broker_config(mosquitto_broker), "kitchen", "hall")
        first = await kitchen.claim("okay_nabu", 0.6)
        await asyncio.sleep(0.5)  # longer than the 200 ms window: someone else, later
        second = await hall.claim("okay_nabu", 0.99)
        assert (await kitchen.rule(first)).handle and (await hall.rule(second)).handle
        await asyncio.sleep(0.5)  # hall's 0.99 wake is out of the window again
        wakes = await asyncio.gather(kitchen.claim("okay_nabu", 0.6), hall.claim("hey_jarvis", 1))
        rulings = await asyncio.gather(kitchen.rule(wakes[0]), hall.rule(wakes[1]))
        assert [r.handle for r in rulings] == [True, True]
        alone = await kitchen.claim("okay_nabu", 0.5)
        ruling = await kitchen.rule(alone)
        assert ruling.handle and ruling.reason == "best wake score 0.50"
        await closed(kitchen, hall)

    asyncio.run(main())


def test_hostile_messages_on_the_topic_are_ignored(mosquitto_broker: Mosquitto) -> None:
    peer = Subscriber(mosquitto_broker, "edge-assistant/arbitration/#")

    async def main() -> None:
        (kitchen,) = await started(broker_config(mosquitto_broker), "kitchen")
        wake = await kitchen.claim("okay_nabu", 0.5)
        topic = kitchen.topic
        for payload in (
            "not json",
            json.dumps({"device": "hall", "word": "okay_nabu", "score": 5}),
            json.dumps({"device": "hall", "word": "okay_nabu", "score": "NaN"}),
            json.dumps({"device": "hall/+/#", "word": "okay_nabu", "score": 0.9}),
            json.dumps({"device": "hall", "word": "okay_nabu"}),
            json.dumps({"device": "hall", "word": "okay_nabu", "score": 0.9, "pad": "x" * 2048}),
            json.dumps(["hall", 0.9]),
        ):
            await asyncio.to_thread(peer.publish, topic, payload)
        ruling = await kitchen.rule(wake)
        assert ruling.handle and ruling.winner == "kitchen"
        await closed(kitchen)

    asyncio.run(main())
    peer.close()


def test_broker_down_every_device_handles_then_arbitration_resumes(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path, port=free_port())

    async def main() -> None:
        config = broker_config(broker)
        kitchen, hall = await started(config, "kitchen", "hall")  # not there: 0.5 s each
        wakes = await asyncio.gather(
            kitchen.claim("okay_nabu", 0.97), hall.claim("okay_nabu", 0.88)
        )
        rulings = await asyncio.gather(kitchen.rule(wakes[0]), hall.rule(wakes[1]))
        assert [r.handle for r in rulings] == [True, True]  # fail open: nothing is lost
        assert rulings[1].reason == "arbitration broker unreachable"
        await asyncio.to_thread(broker.start)
        for _ in range(100):
            if kitchen._up.is_set() and hall._up.is_set():
                break
            await asyncio.sleep(0.05)
        wakes = await asyncio.gather(
            kitchen.claim("okay_nabu", 0.97), hall.claim("okay_nabu", 0.88)
        )
        rulings = await asyncio.gather(kitchen.rule(wakes[0]), hall.rule(wakes[1]))
        assert [r.handle for r in rulings] == [True, False]
        await closed(kitchen, hall)

    try:
        asyncio.run(main())
    finally:
        broker.stop()


def test_arbitration_needs_a_broker() -> None:
    data = yaml.safe_load((REPO / "device_configs" / "cpu.yaml").read_text())
    data["arbitration"] = {"enabled": True}
    with pytest.raises(ConfigError, match=r"arbitration\.broker"):
        validate_data(data, DeviceConfig, source="device.yaml")
    data["arbitration"] = {"enabled": True, "broker": {"host": "broker.lan"}, "window_ms": 5}
    with pytest.raises(ConfigError, match="window_ms"):
        validate_data(data, DeviceConfig, source="device.yaml")
    data["arbitration"] = {"enabled": True, "topic": "rooms/#"}
    data["actions"] = {"sink": {"type": "mqtt", "host": "broker.lan"}}
    with pytest.raises(ConfigError, match="topic"):
        validate_data(data, DeviceConfig, source="device.yaml")
    data["arbitration"] = {"enabled": True}
    config = validate_data(data, DeviceConfig, source="device.yaml")
    assert config.arbitration_broker() == config.actions.sink  # the sink's broker


class RivalDevice:
    """Another room's device, on the same broker: answers each wake this device publishes
    with its own, scored from ``scores`` in turn (a better or a worse hearing)."""

    def __init__(self, broker: Mosquitto, scores: list[float]) -> None:
        self.scores = scores
        self.seen: list[dict] = []
        self.subscriber = Subscriber(broker, "edge-assistant/arbitration/wake")
        self.subscriber._client.on_message = self._on_message

    def _on_message(self, client, userdata, message) -> None:
        wake = json.loads(message.payload)
        if wake["device"] == "hall":
            return
        self.seen.append(wake)
        score = self.scores[len(self.seen) - 1]
        rival = {"device": "hall", "word": wake["word"], "score": score}
        threading.Thread(
            target=self.subscriber.publish, args=(message.topic, json.dumps(rival))
        ).start()


def test_daemon_leaves_a_command_to_the_room_that_heard_it_better(
    tmp_path: Path, models_dir: Path, mosquitto_broker: Mosquitto
) -> None:
    rival = RivalDevice(mosquitto_broker, scores=[1.0, 0.01])
    commands = Subscriber(mosquitto_broker, "home/#")
    events = Subscriber(mosquitto_broker, "edge-assistant/kitchen/#")
    wake = speak("okay nabu", "en-us+klatt2", lead_s=0.5, tail_s=0.4)
    command = speak("turn on the kitchen light", tail_s=1.5)
    audio, _ = concatenate([wake, command, silence(1.0), wake, command])
    sf.write(tmp_path / "two.wav", audio, 16000)
    data = yaml.safe_load((REPO / "device_configs" / "cpu.yaml").read_text())
    data["voice"]["wake_word"] = {"type": "micro", "models": [{"model": "okay_nabu"}]}
    data["actions"] = {"sink": {"type": "mqtt", "host": "127.0.0.1",
                                "port": mosquitto_broker.port, "client_id": "kitchen"}}  # fmt: skip
    data["arbitration"] = {"enabled": True}
    data["daemon"] = {"name": "kitchen", "area": "kitchen", "speak": False, "health_port": 0}
    data["journal"] = {"path": str(tmp_path / "journal.db")}
    (tmp_path / "device.yaml").write_text(yaml.safe_dump(data))
    proc = subprocess.run(
        [sys.executable, "-m", "edge_assistant", "run", "--config", str(tmp_path / "device.yaml"),
         "--home", str(REPO / "examples" / "home.yaml"), "--audio-file", str(tmp_path / "two.wav"),
         "--models-dir", str(models_dir)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    outcomes = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["decision"] for o in outcomes] == ["deferred", "allow"], proc.stdout
    assert "hall heard the wake word better (1.00" in outcomes[0]["reason"]
    assert outcomes[1]["actions"][0]["ok"]
    assert [w["device"] for w in rival.seen] == ["kitchen", "kitchen"]
    won = [a["device"] for a in outcomes[1]["actions"]]  # the kitchen's lights
    sent = commands.wait_for(len(won) + 1, timeout=1.0)  # one more would be the deferred one
    assert len(won) == len(sent) == 2 and all(t.startswith("home/kitchen/") for t, *_ in sent)
    with sqlite3.connect(tmp_path / "journal.db") as db:
        rows = db.execute("SELECT winner, winner_score, reason FROM deferrals").fetchall()
    assert [(w, s) for w, s, _ in rows] == [("hall", 1.0)]
    kinds = [(topic.rsplit("/", 1)[1], json.loads(body)) for topic, body, *_ in events.wait_for(4)]
    assert [k for k, _ in kinds].count("heard") == 2  # what it heard, both times
    did = [e for k, e in kinds if k == "did"]
    assert [e["decision"] for e in did] == ["deferred", "allow"]  # and what it did
    rival.subscriber.close()
    commands.close()
    events.close()
