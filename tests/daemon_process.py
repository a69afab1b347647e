"""`edge-assistant run` as a subprocess for the process-level tests: its config, its
spoken input, its stdout outcome lines, its JSON log, /health and /metrics, its journal."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import soundfile as sf
import yaml

from edge_assistant.audio.synthesize import concatenate, silence, speak
from tests.conftest import REPO

CLI = [sys.executable, "-m", "edge_assistant"]
HOME_YAML = REPO / "examples" / "home.yaml"

# --- the daemon as a process --------------------------------------------------------------


def device_config(tmp_path: Path, **sections: Any) -> Path:
    """device_configs/cpu.yaml with ``sections`` replaced; no speech, no camera and no wake
    word (the audio is bare commands) by default."""
    data = yaml.safe_load((REPO / "device_configs" / "cpu.yaml").read_text())
    data["voice"]["wake_word"] = {"type": "none"}
    data.update(
        daemon={"health_port": 0, "speak": False, "area": "kitchen"},
        journal={"path": str(tmp_path / "journal.sqlite3")},
        vision={"capture": {"enabled": False}},
    )
    data.update(sections)
    path = tmp_path / "device.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def spoken(path: Path, *commands: tuple[str, float], lead_s: float = 1.0) -> Path:
    """A WAV of the commands, each followed by its pause (seconds of silence)."""
    parts = [silence(lead_s)]
    for index, (text, pause_s) in enumerate(commands):
        parts += [speak(text, seed=index), silence(pause_s, seed=index)]
    audio, _ = concatenate(parts)
    sf.write(path, audio, 16000)
    return path


def until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """``condition()``'s first truthy value, polled; fails the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)
    return value


class Daemon:
    """`edge-assistant run` as a subprocess: its stdout outcome lines are read on a thread as
    they come; its JSON log goes to a file (a pipe nobody reads would block its logging)."""

    def __init__(
        self, tmp_path: Path, config: Path, models_dir: Path, *args: str, **env: str | None
    ) -> None:
        """``env``: variables to set for the daemon (None: to unset)."""
        self.log_path = tmp_path / "daemon.log"
        self.outcomes: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._ended = False
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [*CLI, "run", "--config", str(config), "--home", str(HOME_YAML),
                 "--models-dir", str(models_dir), *args],
                stdout=subprocess.PIPE, stderr=log, text=True,
                env={k: v for k, v in {**os.environ, "PYTHONUNBUFFERED": "1", **env}.items()
                     if v is not None},
            )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                with self._changed:
                    self.outcomes.append(json.loads(line))
                    self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def outcome(self, index: int, timeout: float = 60.0) -> dict[str, Any]:
        """The outcome of the command number ``index`` (from 0), once it is printed."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.outcomes) > index or self._ended, timeout)
            got = list(self.outcomes)
        assert len(got) > index, (
            f"no outcome #{index} within {timeout} s; outcomes: {got}\n{self.log_tail()}"
        )
        return got[index]

    def logs(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def messages(self, level: str | None = None) -> list[str]:
        return [log["message"] for log in self.logs() if level in (None, log["level"])]

    def wait_log(self, pattern: str, timeout: float = 30.0) -> str:
        """The first log message matching the regular expression ``pattern``, once logged."""
        found = until(
            lambda: (
                next((m for m in self.messages() if re.search(pattern, m)), None)
                or (not self.running and "exited")
            ),
            timeout,
            f"a log line matching {pattern!r}",
        )
        assert found != "exited", f"the daemon exited first:\n{self.log_tail()}"
        return found

    def logged_at(self, pattern: str) -> float:
        """When the first log message matching ``pattern`` was logged (Unix time)."""
        return next(log["time"] for log in self.logs() if re.search(pattern, log["message"]))

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def finish(self, timeout: float = 60.0) -> int:
        """Wait for the daemon to end (the audio file is over); its exit code."""
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def __enter__(self) -> Daemon:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.running:
            self.proc.kill()
        self.proc.wait(30)
        self._reader.join(5)


def get_json(port: int, path: str = "/health") -> dict[str, Any]:
    """The JSON body, also of a 503 (/health while a task is down)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        assert exc.code == 503 and path == "/health", exc
        return json.loads(exc.read())


def metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} is not in /metrics"
    return float(found.group(1))


def journal_rows(path: Path, sql: str) -> list[dict[str, Any]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql).fetchall()]


def journaled_actions(path: Path) -> list[dict[str, Any]]:
    """Every action row of the journal with the words that asked for it (and when they were
    heard, ``heard``), oldest first."""
    return journal_rows(
        path,
        "SELECT u.text, u.time AS heard, a.device_id, a.service, a.state, a.error, "
        "a.attempts, a.ms, a.started, a.finished FROM actions a "
        "JOIN decisions d ON d.id = a.decision_id "
        "JOIN utterances u ON u.id = d.utterance_id ORDER BY a.id",
    )


def fates(path: Path) -> list[dict[str, Any]]:
    """Every journaled utterance with its fate: the decision, else the unhandled fate."""
    return journal_rows(
        path,
        "SELECT u.id, u.time, u.text, "
        "(SELECT d.decision FROM decisions d WHERE d.utterance_id = u.id LIMIT 1) AS decided,"
        "(SELECT f.fate FROM unhandled f WHERE f.utterance_id = u.id LIMIT 1) AS fate,"
        "(SELECT f.reason FROM unhandled f WHERE f.utterance_id = u.id LIMIT 1) AS reason "
        "FROM utterances u ORDER BY u.id",
    )


def acted(outcome: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(a["device"], a["service"], a["ok"]) for a in outcome["actions"]]
