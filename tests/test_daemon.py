"""The daemon as a user runs it: ``run --demo`` end to end, systemd's READY and SIGTERM,
SIGHUP with a corrupt home.yaml, the health and metrics endpoint, a kill -9 in the middle of
a command (the journal tells its fate), and the systemd unit."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import soundfile as sf
import yaml

from edge_assistant.audio.synthesize import concatenate, silence, speak
from edge_assistant.config.journal import JournalConfig
from edge_assistant.journal.journal import Journal
from tests.conftest import REPO
from tests.mosquitto import free_port

CLI = [sys.executable, "-m", "edge_assistant"]


def test_demo_hears_checks_confirms_and_acts(models_dir: Path) -> None:
    proc = subprocess.run([*CLI, "run", "--demo", "--models-dir", str(models_dir)],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["decision"] for line in lines] == [
        "allow",
        "allow",
        "confirm",
        "confirmed",
        "allow",
    ]
    unlock = lines[3]["actions"]
    assert [(a["device"], a["service"], a["ok"]) for a in unlock] == [
        ("front_door", "unlock", True)
    ]
    assert all(0 < line["timings_ms"]["eos_to_action"] < 2000 for line in lines if line["actions"])
    logs = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert any(log["logger"] == "edge_assistant.actions" for log in logs)  # JSON logs


def config_file(tmp_path: Path, **sections: dict) -> Path:
    """cpu.yaml with ``sections`` replaced; no wake word (the audio is bare commands)."""
    data = yaml.safe_load((REPO / "device_configs" / "cpu.yaml").read_text())
    data["voice"]["wake_word"] = {"type": "none"}
    data.update(sections)
    path = tmp_path / "device.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def command_audio(path: Path, *texts: str, lead_s: float = 0.5) -> Path:
    parts = [silence(lead_s)]
    for index, text in enumerate(texts):
        parts += [speak(text, seed=index), silence(1.0)]
    audio, _ = concatenate(parts)
    sf.write(path, audio, 16000)
    return path


def notify_socket(tmp_path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(300)
    return sock


def test_ready_health_sighup_and_sigterm(tmp_path: Path, models_dir: Path) -> None:
    port = free_port()
    home = tmp_path / "home.yaml"
    shutil.copy(REPO / "examples" / "home.yaml", home)
    config = config_file(
        tmp_path,
        daemon={"health_port": port, "speak": False, "area": "kitchen"},
        journal={"path": str(tmp_path / "journal.sqlite3")},
        vision={"capture": {"enabled": False}},
    )
    audio = command_audio(tmp_path / "c.wav", "turn on the kitchen light", lead_s=30.0)
    notify = notify_socket(tmp_path)
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify.sock")}
    proc = subprocess.Popen(
        [*CLI, "run", "--config", str(config), "--home", str(home), "--audio-file", str(audio),
         "--realtime", "--models-dir", str(models_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert notify.recv(100) == b"READY=1"
        health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/health").read())
        assert health["status"] == "ok" and health["camera"] is False
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        assert "edge_assistant_up 1.0" in metrics
        home.write_text("areas: [this is: not a home")  # a corrupt home.yaml ...
        proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/health").read())
        assert health["status"] == "ok"  # ... keeps the old one and the daemon running
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        assert time.monotonic() - start < 10
        assert notify.recv(100) == b"STOPPING=1"
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert "keeping the previous home" in err


def test_kill_9_mid_command_leaves_its_fate_in_the_journal(
    tmp_path: Path, models_dir: Path
) -> None:
    """The MQTT broker is down, so the action retries until its time to live; a kill -9 then
    leaves it pending, and the next start reports it as interrupted."""
    journal_path = tmp_path / "journal.sqlite3"
    config = config_file(
        tmp_path,
        daemon={"health_port": 0, "speak": False},
        journal={"path": str(journal_path)},
        vision={"capture": {"enabled": False}},
        actions={"ttl_s": 120, "sink": {"type": "mqtt", "host": "127.0.0.1", "port": free_port()}},
    )
    audio = command_audio(tmp_path / "c.wav", "turn on the kitchen light")
    proc = subprocess.Popen(
        [
            *CLI,
            "run",
            "--config",
            str(config),
            "--home",
            str(REPO / "examples" / "home.yaml"),
            "--audio-file",
            str(audio),
            "--models-dir",
            str(models_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "stderr.log").open("w"),
    )  # fmt: skip  (a file, not a pipe: an unread pipe would block the daemon's logging)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if journal_path.exists():
                with Journal(JournalConfig(path=journal_path)) as peek:
                    entries = peek.recent(5)
                if any(a["state"] == "pending" for e in entries for a in e["actions"]):
                    break
            time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    with Journal(JournalConfig(path=journal_path)) as journal:
        interrupted = journal.recover()
    # actions go one after another: the first was being retried, the second never started
    assert [a["device_id"] for a in interrupted] == ["kitchen_ceiling"]
    assert all(a["text"] == "turn on the kitchen light" for a in interrupted)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    unit = (REPO / "packaging" / "edge-assistant.service").read_text()
    executable = shutil.which("edge-assistant") or str(
        Path(sys.executable).parent / "edge-assistant"
    )
    unit = unit.replace("/opt/edge-assistant/.venv/bin/edge-assistant", executable)
    path = tmp_path / "edge-assistant.service"
    path.write_text(unit)
    proc = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr.lower()
