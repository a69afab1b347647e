"""Faults around the running daemon (a real `edge-assistant run` process, real models, real
espeak-ng speech in real time): the MQTT broker stopped and started again mid-run, the
network camera lost and back, the microphone lost and back, Home Assistant rejecting the
token or not answering.

Each test speaks several commands, spaced out, and reacts to the daemon's stdout (one JSON
outcome line per command): when command n is done, it breaks or mends something before
command n + 1 is spoken. Then it reads what the daemon journaled and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from aiohttp import web

from edge_assistant.audio.synthesize import speak
from tests.conftest import REPO
from tests.daemon_process import (
    Daemon,
    acted,
    device_config,
    get_json,
    journaled_actions,
    metric,
    spoken,
    until,
)
from tests.mosquitto import MOSQUITTO, SKIP_REASON, Mosquitto, Subscriber, free_port

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (scripts/setup.sh)"
)

TTL_S = 1.5


# --- the MQTT broker stopped mid-run ------------------------------------------------------


def test_mqtt_broker_stopped_mid_run_fails_commands_at_their_ttl_then_recovers(
    tmp_path: Path, models_dir: Path
) -> None:
    """Commands spoken while mosquitto is down are retried until actions.ttl_s, journaled as
    failed (never sent: 0 publishes) and never delivered late; the daemon goes on, and once
    the broker is back on the same port the next command reaches it."""
    if MOSQUITTO is None:
        pytest.skip(SKIP_REASON)
    audio = spoken(
        tmp_path / "commands.wav",
        ("turn on the hallway light", 3.0),  # the broker is up
        ("turn on the garage light", 2.5),  # stopped after the first command
        ("turn off the garage light", 5.0),  # still down
        ("turn off the hallway light", 1.5),  # started again on the same port
    )
    health = free_port()
    with Mosquitto(tmp_path) as broker:
        address = f"{broker.host}:{broker.port}"
        sink = {"type": "mqtt", "host": broker.host, "port": broker.port,
                "reconnect_initial_s": 0.2, "reconnect_max_s": 1.0}  # fmt: skip
        config = device_config(
            tmp_path,
            daemon={"health_port": health, "speak": False, "area": "kitchen"},
            actions={"ttl_s": TTL_S, "sink": sink},
        )
        subscriber = Subscriber(broker, "home/#")
        try:
            with Daemon(tmp_path, config, models_dir, "--audio-file", str(audio),
                        "--realtime") as daemon:  # fmt: skip
                first = daemon.outcome(0)
                assert len(subscriber.wait_for(1)) == 1, daemon.log_tail()
                broker.stop()
                daemon.wait_log(rf"^lost MQTT broker {re.escape(address)}: ")
                down = [daemon.outcome(1), daemon.outcome(2)]
                assert daemon.running and get_json(health)["status"] == "ok"
                broker.start()
                subscriber.wait_subscribed(10)
                last = daemon.outcome(3)
                assert daemon.finish() == 0, daemon.log_tail()
            time.sleep(0.5)  # a late delivery of a failed command would show now
            messages = [(t, json.loads(p)) for t, p, _, _ in subscriber.messages]
        finally:
            subscriber.close()

    assert acted(first) == [("hall_light", "turn_on", True)]
    assert [acted(o) for o in down] == [
        [("garage_light", "turn_on", False)],
        [("garage_light", "turn_off", False)],
    ]
    for outcome in down:
        action = outcome["actions"][0]
        assert action["error"].startswith(f"broker unreachable ({address}): "), action
        assert 0.8 * TTL_S * 1000 <= action["ms"] <= 2 * TTL_S * 1000, action
        assert outcome["said"].startswith("Sorry, 1 of 1 did not work: broker unreachable")
    assert acted(last) == [("hall_light", "turn_off", True)]
    # only what was acknowledged reached the broker: the failed commands never arrive late
    assert messages == [
        ("home/hallway/light/set", {"state": "ON"}),
        ("home/hallway/light/set", {"state": "OFF"}),
    ]

    rows = journaled_actions(tmp_path / "journal.sqlite3")
    assert [(r["text"], r["device_id"], r["state"]) for r in rows] == [
        ("turn on the hallway light", "hall_light", "done"),
        ("turn on the garage light", "garage_light", "failed"),
        ("turn off the garage light", "garage_light", "failed"),
        ("turn off the hallway light", "hall_light", "done"),
    ]
    for row in rows[1:3]:
        assert row["error"].startswith(f"broker unreachable ({address}): "), row
        assert row["attempts"] == 0, row  # never published: the device cannot have acted
        assert 0.8 * TTL_S <= row["finished"] - row["started"] <= 2 * TTL_S, row
    assert rows[0]["error"] is None and rows[3]["error"] is None
    # the daemon saw the broker go before it heard the commands that failed
    assert daemon.logged_at(f"^lost MQTT broker {re.escape(address)}") < rows[1]["heard"]

    warnings = daemon.messages("warning")
    assert any(m.startswith(f"lost MQTT broker {address}") for m in warnings)
    assert any(m.startswith("event did dropped") for m in warnings)  # best effort, logged
    assert f"connected to MQTT broker {address} (connection 2)" in daemon.messages("info")


# --- the camera lost and back -------------------------------------------------------------


class Camera:
    """An IP camera on 127.0.0.1: multipart JPEG over HTTP at 20 fps, stopped (connections
    closed, the port refusing) and started again on the same port on cue. Adapted from the
    one in test_video_capture.py, which cannot come back on its port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/video.mjpg"
        self.connections = 0
        self._server: ThreadingHTTPServer | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        camera, stopping = self, threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                camera._serve(self, stopping)

        self._stopping = stopping
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _serve(self, request: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
        self.connections += 1
        request.send_response(200)
        request.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        request.end_headers()
        sent = 0
        with contextlib.suppress(OSError):  # the reader hung up
            while not stopping.is_set():
                image = np.full((240, 320, 3), 40 + sent % 100, np.uint8)
                cv2.putText(image, str(sent), (20, 140), cv2.FONT_HERSHEY_SIMPLEX, 2,
                            (255, 255, 255), 3)  # fmt: skip
                jpeg = cv2.imencode(".jpg", image)[1].tobytes()
                head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                request.wfile.write(head % len(jpeg) + jpeg + b"\r\n")
                sent += 1
                stopping.wait(0.05)

    def stop(self) -> None:
        """Hang up on every viewer and stop listening."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def test_camera_lost_and_back_while_voice_commands_go_on(tmp_path: Path, models_dir: Path) -> None:
    """The network camera goes away mid-run: the loss is logged, no frames are counted,
    spoken commands are still acted on; when it is back on its port the daemon reconnects by
    itself and frames flow again."""
    audio = spoken(
        tmp_path / "commands.wav",
        ("turn on the hallway light", 3.0),  # the camera is streaming
        ("turn on the garage light", 4.0),  # the camera is gone
        ("turn off the hallway light", 1.5),  # the camera is back
    )
    camera = Camera()
    camera.start()
    health = free_port()
    capture = {"source": camera.url, "fps": 5, "open_timeout_s": 3.0, "read_timeout_s": 1.0,
               "retry_initial_s": 0.2, "retry_max_s": 1.0}  # fmt: skip
    config = device_config(
        tmp_path,
        daemon={"health_port": health, "speak": False, "area": "kitchen"},
        vision={"area": "kitchen", "capture": capture},
    )
    stream = re.escape(f"stream {camera.url}")
    try:
        with Daemon(tmp_path, config, models_dir, "--audio-file", str(audio),
                    "--realtime") as daemon:  # fmt: skip
            first = daemon.outcome(0)
            until(lambda: metric(health, "edge_assistant_frames_total") > 0, 30, "frames")
            assert get_json(health)["camera"] is True
            camera.stop()
            lost = daemon.wait_log(rf"^{stream} lost: ")
            frames_lost = metric(health, "edge_assistant_frames_total")
            during = daemon.outcome(1)
            time.sleep(0.5)  # reconnect attempts fail meanwhile
            assert metric(health, "edge_assistant_frames_total") == frames_lost
            report = get_json(health)  # voice goes on; health says what is missing
            assert daemon.running and report["status"] == "degraded", report
            assert report["tasks"]["see"]["state"] == "down", report
            assert report["tasks"]["hear"]["state"] == "running", report
            # what it saw last is forgotten after tracker.vanish_s: no stale face verifies
            until(lambda: get_json(health)["camera"] is False, 10, "the camera reported gone")
            assert get_json(health)["people"] == {}
            camera.start()
            back = daemon.wait_log(rf"^{stream} back \(reconnect \d+\)$", timeout=15)
            until(
                lambda: metric(health, "edge_assistant_frames_total") > frames_lost + 3,
                15,
                "frames after the camera came back",
            )
            assert get_json(health)["camera"] is True
            assert get_json(health)["status"] == "ok"  # every task runs again
            last = daemon.outcome(2)
            assert daemon.finish() == 0, daemon.log_tail()
    finally:
        camera.stop()

    assert acted(first) == [("hall_light", "turn_on", True)]
    assert acted(during) == [("garage_light", "turn_on", True)]
    assert acted(last) == [("hall_light", "turn_off", True)]
    heard = [r["heard"] for r in journaled_actions(tmp_path / "journal.sqlite3")]
    lost_at, back_at = daemon.logged_at(f"^{stream} lost: "), daemon.logged_at(f"^{stream} back")
    assert lost_at < heard[1] < back_at < heard[2], (lost_at, back_at, heard)
    assert "reading failed" in lost or "no frame within" in lost, lost
    failed = [
        m for m in daemon.messages("warning") if re.match(rf"{stream} reconnect \d+ failed", m)
    ]
    assert failed, "no failed reconnect while the camera was away"
    assert all("retrying in" in m for m in failed)
    assert int(re.findall(r"\d+", back)[-1]) == len(failed) + 1
    assert camera.connections >= 2


def test_camera_down_at_start_is_retried_until_it_comes_up(
    tmp_path: Path, models_dir: Path
) -> None:
    """An IP camera that boots slower than the daemon (after a power cut): the daemon starts
    without it, says so, keeps hearing, and watches once the camera answers."""
    audio = spoken(tmp_path / "commands.wav", ("turn on the hallway light", 6.0))
    camera = Camera()  # not started: its port refuses
    health = free_port()
    capture = {"source": camera.url, "fps": 5, "open_timeout_s": 1.0, "read_timeout_s": 1.0,
               "retry_initial_s": 0.2, "retry_max_s": 0.5}  # fmt: skip
    config = device_config(
        tmp_path,
        daemon={"health_port": health, "speak": False, "area": "kitchen"},
        vision={"area": "kitchen", "capture": capture},
    )
    try:
        with Daemon(tmp_path, config, models_dir, "--audio-file", str(audio),
                    "--realtime") as daemon:  # fmt: skip
            failed = daemon.wait_log(r"^camera unavailable \(retrying in", timeout=60)
            assert get_json(health)["camera"] is False
            camera.start()
            until(lambda: metric(health, "edge_assistant_frames_total") > 0, 30, "frames")
            assert get_json(health)["camera"] is True
            first = daemon.outcome(0)
            assert daemon.finish() == 0, daemon.log_tail()
    finally:
        camera.stop()
    assert camera.url in failed
    assert acted(first) == [("hall_light", "turn_on", True)]


# --- Home Assistant rejecting the token or not answering ----------------------------------


class HomeAssistant:
    """Home Assistant's REST API as the sink uses it, on a thread of its own with its own
    event loop (the daemon is another process). ``token`` is what it accepts and ``stall``
    makes service calls hang; both may change while the daemon runs."""

    def __init__(self, token: str = "good-token") -> None:
        self.token = token
        self.stall = False
        self.calls: list[tuple[str, str, str]] = []  # (method, path, Authorization)
        self.url = ""
        self._closing = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._runner: web.AppRunner = asyncio.run_coroutine_threadsafe(
            self._start(), self._loop
        ).result(10)

    async def _start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/api/", self._api)
        app.router.add_post("/api/services/{domain}/{service}", self._service)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return runner

    def _authorized(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        self.calls.append((request.method, request.path, auth))
        return auth == f"Bearer {self.token}"

    async def _api(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401, text="401: Unauthorized")
        return web.json_response({"message": "API running."})

    async def _service(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401, text="401: Unauthorized")
        while self.stall and not self._closing:
            await asyncio.sleep(0.05)
        return web.json_response([])

    def service_calls(self) -> list[str]:
        return [path for method, path, _ in self.calls if method == "POST"]

    def close(self) -> None:
        self._closing = True
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def test_home_assistant_rejecting_the_token_at_start_stops_the_daemon(
    tmp_path: Path, models_dir: Path
) -> None:
    """A wrong token is a configuration error: the daemon says so and exits at start, before
    it hears anything, instead of failing every command later."""
    server = HomeAssistant(token="the-real-token")
    try:
        config = device_config(
            tmp_path, actions={"sink": {"type": "home_assistant", "url": server.url}}
        )
        audio = spoken(tmp_path / "commands.wav", ("turn on the floor lamp", 1.0))
        start = time.monotonic()
        with Daemon(tmp_path, config, models_dir, "--audio-file", str(audio),
                    HASS_TOKEN="a-wrong-token") as daemon:  # fmt: skip
            code = daemon.finish()
        took = time.monotonic() - start
    finally:
        server.close()
    assert code == 2, daemon.log_tail()
    assert daemon.outcomes == []
    assert (
        daemon.log_tail()
        .rstrip()
        .endswith(
            "error: Home Assistant rejected the token from $HASS_TOKEN (401): create a long-lived "
            "access token in your Home Assistant profile"
        )
    )
    assert server.calls == [("GET", "/api/", "Bearer a-wrong-token")]  # checked, not retried
    assert took < 60
    assert journaled_actions(tmp_path / "journal.sqlite3") == []


def test_home_assistant_revoked_token_and_timeouts_are_journaled_failures(
    tmp_path: Path, models_dir: Path
) -> None:
    """While running: a token revoked in Home Assistant fails the command at once (401 is not
    retried); a Home Assistant that does not answer is retried until actions.ttl_s and the
    command journaled as failed; the daemon goes on, and acts again once all is well."""
    audio = spoken(
        tmp_path / "commands.wav",
        ("turn on the floor lamp", 2.5),  # all is well
        ("pause the tv", 2.5),  # the token was revoked
        ("turn off the floor lamp", 4.0),  # the token is good again; Home Assistant hangs
        ("pause the tv", 1.5),  # all is well again
    )
    server = HomeAssistant(token="good-token")
    try:
        sink = {"type": "home_assistant", "url": server.url, "timeout_s": 0.4}
        config = device_config(tmp_path, actions={"ttl_s": TTL_S, "sink": sink})
        with Daemon(tmp_path, config, models_dir, "--audio-file", str(audio), "--realtime",
                    HASS_TOKEN="good-token") as daemon:  # fmt: skip
            outcomes = [daemon.outcome(0)]
            server.token = "revoked"
            outcomes.append(daemon.outcome(1))
            server.token, server.stall = "good-token", True
            outcomes.append(daemon.outcome(2))
            server.stall = False
            outcomes.append(daemon.outcome(3))
            assert daemon.finish() == 0, daemon.log_tail()
        calls = server.service_calls()
    finally:
        server.close()

    assert [acted(o) for o in outcomes] == [
        [("floor_lamp", "turn_on", True)],
        [("tv", "media_pause", False)],
        [("floor_lamp", "turn_off", False)],
        [("tv", "media_pause", True)],
    ]
    rejected, hung = outcomes[1]["actions"][0], outcomes[2]["actions"][0]
    assert rejected["error"].startswith("Home Assistant rejected the token from $HASS_TOKEN (401)")
    assert rejected["ms"] < 1000  # not retried
    assert hung["error"] == f"Home Assistant unreachable ({server.url}): no answer in time"
    assert 0.8 * TTL_S * 1000 <= hung["ms"] <= 2 * TTL_S * 1000, hung
    assert calls.count("/api/services/media_player/media_pause") == 2  # one try each
    assert calls.count("/api/services/light/turn_off") >= 2  # retried until the TTL

    rows = journaled_actions(tmp_path / "journal.sqlite3")
    assert [(r["text"], r["device_id"], r["state"], r["error"]) for r in rows] == [
        ("turn on the floor lamp", "floor_lamp", "done", None),
        ("pause the tv", "tv", "failed", rejected["error"]),
        ("turn off the floor lamp", "floor_lamp", "failed", hung["error"]),
        ("pause the tv", "tv", "done", None),
    ]
    assert rows[1]["attempts"] == 1 and rows[2]["attempts"] >= 2
    assert 0.8 * TTL_S <= rows[2]["finished"] - rows[2]["started"] <= 2 * TTL_S


# --- the microphone lost and back ---------------------------------------------------------


class FakeMicrophone:
    """A microphone PortAudio finds through ALSA (there is no sound card here): an ALSA
    ``file`` device, as in test_capture.py, whose input is a FIFO this test writes 16 kHz
    mono int16 to in real time (a quiet room between what it is told to ``say``). ALSA reads
    ``$HOME/.asoundrc``: give the daemon ``HOME=mic.home``.

    ``unplug()`` takes the device off ALSA's list and stops its audio: the open stream hangs
    in its read, silent. ``pull_out()`` then ends that read (the FIFO's last writer goes);
    ``plug_in()`` brings the device back."""

    BLOCK = 512  # 32 ms

    def __init__(self, home: Path, name: str = "fakemic") -> None:
        self.home, self.name = home, name
        home.mkdir(exist_ok=True)
        self.fifo = home / f"{name}.fifo"
        os.mkfifo(self.fifo)
        self._fd: int | None = None
        self._pending = np.zeros(0, np.int16)
        self._lock = threading.Lock()
        self._live = False
        self._stop = threading.Event()
        self._noise = np.random.default_rng(0)
        self.plug_in()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def plug_in(self) -> None:
        # read-write: opening never waits for a reader, and ALSA's open never for a writer
        self._fd = os.open(self.fifo, os.O_RDWR | os.O_NONBLOCK)
        fcntl.fcntl(self._fd, fcntl.F_SETPIPE_SZ, 8192)  # at most 0.25 s waiting in the pipe
        self._asoundrc(
            f'pcm.{self.name} {{\n  type file\n  slave.pcm "null"\n  file "/dev/null"\n'
            f'  infile "{self.fifo}"\n  format "raw"\n}}\n'
        )
        self._live = True

    def unplug(self) -> None:
        self._asoundrc("")
        self._live = False

    def _asoundrc(self, text: str) -> None:
        """Replaced at once: a rescan never reads half a file."""
        (self.home / ".asoundrc.new").write_text(text)
        os.replace(self.home / ".asoundrc.new", self.home / ".asoundrc")

    def pull_out(self) -> None:
        assert self._fd is not None and not self._live
        os.close(self._fd)
        self._fd = None

    def say(self, text: str, seed: int = 0) -> float:
        """Speak ``text`` into the microphone now; the seconds it takes."""
        clip = speak(text, seed=seed)
        with self._lock:
            self._pending = np.concatenate([self._pending, clip.audio])
        return clip.seconds

    def _run(self) -> None:
        start, n = time.monotonic(), 0
        while not self._stop.wait(max(0.0, start + n * self.BLOCK / 16000 - time.monotonic())):
            n += 1
            with self._lock:
                block, self._pending = self._pending[: self.BLOCK], self._pending[self.BLOCK :]
            if len(block) < self.BLOCK:
                quiet = self._noise.normal(0, 30, self.BLOCK - len(block))
                block = np.concatenate([block, quiet.astype(np.int16)])
            if self._live and self._fd is not None:
                with contextlib.suppress(BlockingIOError):  # nobody reads: lost, as in a room
                    os.write(self._fd, block.astype("<i2").tobytes())

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def test_microphone_lost_and_back(tmp_path: Path, models_dir: Path) -> None:
    """The daemon on a (fake) microphone that goes silent and disappears mid-run: the loss is
    logged after STALL_S, the daemon stays responsive while the dead stream is closed and
    the device is looked for with backoff, and once it is back, what is said is acted on."""
    mic = FakeMicrophone(tmp_path / "home")
    health = free_port()
    capture = {"device": mic.name, "retry_initial_s": 0.2, "retry_max_s": 0.5}
    config = device_config(
        tmp_path,
        daemon={"health_port": health, "speak": False, "area": "kitchen"},
        voice={**yaml.safe_load((REPO / "device_configs" / "cpu.yaml").read_text())["voice"],
               "capture": capture, "wake_word": {"type": "none"}},
    )  # fmt: skip
    try:
        with Daemon(tmp_path, config, models_dir, HOME=str(mic.home),
                    ALSA_CONFIG_PATH=None) as daemon:  # fmt: skip
            daemon.wait_log(rf"^capturing from '{mic.name}' ", timeout=60)
            daemon.wait_log(r"^ready: ", timeout=30)
            mic.say("turn on the hallway light")
            first = daemon.outcome(0, timeout=30)
            mic.unplug()
            unplugged = time.monotonic()
            lost = daemon.wait_log(r"^input device lost: ", timeout=10)
            detected = time.monotonic() - unplugged
            report = get_json(health)  # the stalled stream blocks nothing; health says so
            assert report["status"] == "degraded" and report["tasks"]["hear"]["state"] == "down"
            mic.pull_out()
            daemon.wait_log(r"^reopen attempt 2 failed: ", timeout=10)
            assert get_json(health)["tasks"]["hear"]["state"] == "down"
            mic.plug_in()
            back = daemon.wait_log(r"^input device back after \d+ attempt", timeout=10)
            assert get_json(health)["status"] == "ok", get_json(health)
            mic.say("turn off the hallway light", seed=1)
            last = daemon.outcome(1, timeout=30)
            daemon.proc.send_signal(signal.SIGTERM)
            assert daemon.finish(timeout=15) == 0, daemon.log_tail()
    finally:
        mic.close()

    assert acted(first) == [("hall_light", "turn_on", True)]
    assert acted(last) == [("hall_light", "turn_off", True)]
    assert lost.startswith("input device lost: no audio for 2 s; reopening in 0.20 s"), lost
    assert 1.5 < detected < 5, detected
    failures = [m for m in daemon.messages("warning") if m.startswith("reopen attempt")]
    waits = [float(w) for w in re.findall(r"next try in ([\d.]+) s", " ".join(failures))]
    assert waits[:2] == [0.4, 0.5], failures  # doubling from 0.2, capped at retry_max_s
    assert all(f"'{mic.name}'" in m or "no audio input devices" in m for m in failures)
    assert int(re.search(r"after (\d+) attempt", back).group(1)) == len(failures) + 1


def test_closing_a_live_camera_waits_for_its_reader_to_leave_opencv() -> None:
    """The daemon closes its camera on the way out; a reader thread still inside OpenCV's
    read() when the process exits aborts it (SIGABRT, "FATAL: exception not rethrown")."""
    from edge_assistant.capture.video import VideoSource
    from edge_assistant.config.vision import VideoCaptureConfig

    camera = Camera()
    camera.start()

    readers: list[threading.Thread] = []

    async def watch(source: VideoSource) -> None:
        async with contextlib.aclosing(source.frames()) as frames:
            async for frame in frames:
                if frame.index >= 3:
                    source.close()  # what the daemon does when it stops, then it exits
                    readers.extend(t for t in threading.enumerate() if t.name == "video-reader")
                    return

    try:
        source = VideoSource(VideoCaptureConfig(source=camera.url, fps=20))
        asyncio.run(asyncio.wait_for(watch(source), 30))
    finally:
        camera.stop()
    assert readers == []
    assert not source.is_open
