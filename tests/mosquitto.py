"""A real Mosquitto broker for tests: a free port on 127.0.0.1, a config file in a temp dir,
started as a subprocess, stopped (and startable again on the same port) on cue.

    with Mosquitto(tmp_path) as broker:          # anonymous, plain TCP
        ... broker.host, broker.port ...
        broker.stop(); broker.start()            # the same port: clients can reconnect

``users={"alice": "secret"}`` requires those logins; ``tls=(certfile, keyfile)`` serves TLS.
Tests that need one use the ``mosquitto_broker`` fixture, skipped with the reason when the
binary is missing (scripts/setup.sh installs it).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None
)
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or (
    "/usr/bin/mosquitto_passwd" if os.access("/usr/bin/mosquitto_passwd", os.X_OK) else None
)
SKIP_REASON = "mosquitto is not installed (apt-get install mosquitto; see scripts/setup.sh)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mosquitto:
    host = "127.0.0.1"

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        users: dict[str, str] | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        if MOSQUITTO is None:
            raise RuntimeError(SKIP_REASON)
        self.workdir = workdir
        self.port = port or free_port()
        self.log_path = workdir / f"mosquitto-{self.port}.log"
        self.config_path = workdir / f"mosquitto-{self.port}.conf"
        self._process: subprocess.Popen[bytes] | None = None
        self.config_path.write_text(self._config(users, tls))

    def _config(self, users: dict[str, str] | None, tls: tuple[Path, Path] | None) -> str:
        lines = [
            f"listener {self.port} {self.host}",
            "persistence false",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            # As root, mosquitto would switch to user "mosquitto", who cannot read temp files.
            f"user {getpass.getuser()}",
        ]
        if users:
            password_file = self.workdir / f"passwords-{self.port}"
            password_file.write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
            password_file.chmod(0o600)
            assert MOSQUITTO_PASSWD is not None, "mosquitto_passwd is missing"
            subprocess.run([MOSQUITTO_PASSWD, "-U", str(password_file)], check=True)
            lines += ["allow_anonymous false", f"password_file {password_file}"]
        else:
            lines.append("allow_anonymous true")
        if tls:
            lines += [f"certfile {tls[0]}", f"keyfile {tls[1]}"]
        return "\n".join(lines) + "\n"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start and wait until the port accepts connections; fail with the broker's log."""
        assert not self.running
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [str(MOSQUITTO), "-c", str(self.config_path)], stdout=log, stderr=log
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"mosquitto did not start on {self.port}:\n{self.log_text()}")

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL): connected clients see it go."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._process = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@pytest.fixture
def mosquitto_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """An anonymous broker on a free port, stopped after the test."""
    if MOSQUITTO is None:
        pytest.skip(SKIP_REASON)
    with Mosquitto(tmp_path) as broker:
        yield broker


class Subscriber:
    """A paho client on its own thread that records every message on ``topic`` (QoS 2, so a
    message arrives with the QoS it was published with), re-subscribing after reconnects."""

    def __init__(self, broker: Mosquitto, topic: str = "#", **login: str) -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[str, bytes, int, bool]] = []
        self._changed = threading.Condition()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-subscriber-{id(self):x}"
        )
        if login:
            self._client.username_pw_set(login["username"], login["password"])
        self._client.reconnect_delay_set(1, 1)
        self._client.on_connect = lambda c, *_: c.subscribe(topic, qos=2)
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_disconnect = lambda *_: self._subscribed.clear()
        self._client.on_message = self._on_message
        self._client.connect(broker.host, broker.port, keepalive=10)
        self._client.loop_start()
        self.wait_subscribed()

    def wait_subscribed(self, timeout: float = 5.0) -> None:
        """Until subscribed (again, after the broker restarted)."""
        assert self._subscribed.wait(timeout), "the test subscriber could not subscribe"

    def _on_message(self, client: object, userdata: object, message: Any) -> None:
        with self._changed:
            self.messages.append((message.topic, message.payload, message.qos, message.retain))
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, bytes, int, bool]]:
        """The messages once there are ``count`` of them (or all there are after ``timeout``)."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
