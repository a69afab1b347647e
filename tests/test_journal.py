"""The journal on a real SQLite file: round trip, WAL, a real kill -9, retention, audio
privacy, damaged files and two threads at once."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from edge_assistant.config.journal import JournalConfig, default_journal_path
from edge_assistant.config.loading import validate_data
from edge_assistant.errors import ConfigError
from edge_assistant.journal import Journal, JournalError
from edge_assistant.journal.schema import MIGRATIONS, VERSION_TABLE
from edge_assistant.understanding.intents import Command

DAY = 86400.0
UNLOCK = Command(
    text="unlock the front door",
    intent="HassTurnOff",
    targets=("front_door",),
    needs_verification=True,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "edge-assistant" / "journal.sqlite3"


@pytest.fixture
def journal(path: Path):
    with Journal(JournalConfig(path=path)) as journal:
        yield journal


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def test_round_trip(journal: Journal) -> None:
    u = journal.utterance(
        source="kitchen", text="unlock the front door", engine="vosk", timings={"asr": 41.5}
    )
    d = journal.decision(
        utterance_id=u, command=UNLOCK, decision="confirm", reason="Front Door is sensitive."
    )
    yes = journal.utterance(source="kitchen", text="yes")
    c = journal.decision(
        utterance_id=yes, command=UNLOCK.to_json(), decision="confirmed", answers=d
    )
    a = journal.action_started(
        decision_id=c, device_id="front_door", service="unlock", data={"code": None}
    )
    journal.action_finished(a, ok=True, attempts=1, ms=12.5)

    newest, oldest = journal.recent(10)
    assert newest["decision"] == "confirmed" and newest["answers"] == d
    assert newest["text"] == "yes" and newest["targets"] == ["front_door"]
    [action] = newest["actions"]
    assert action["state"] == "done" and action["attempts"] == 1 and action["ms"] == 12.5
    assert action["data"] == {"code": None} and action["finished"] >= action["started"]
    assert oldest["decision"] == "confirm" and oldest["engine"] == "vosk"
    assert oldest["intent"] == "HassTurnOff" and oldest["reason"] == "Front Door is sensitive."
    with _raw(journal.path) as raw:
        timings = raw.execute("SELECT timings FROM utterances WHERE id = ?", (u,)).fetchone()
    assert timings == ('{"asr": 41.5}',)


def test_recent_shows_utterances_and_actions_without_decisions(journal: Journal) -> None:
    journal.utterance(source="kitchen", text="hmm", at=100.0)
    a = journal.action_started(decision_id=None, device_id="tv", service="media_pause", at=200.0)
    journal.action_finished(a, ok=False, error="broker down", attempts=3, ms=5000.0)
    orphan, lone = journal.recent(5)
    assert orphan["decision"] is None and orphan["targets"] == ["tv"]
    assert orphan["actions"][0]["state"] == "failed"
    assert orphan["actions"][0]["error"] == "broker down"
    assert lone["text"] == "hmm" and lone["actions"] == [] and lone["decision_id"] is None
    assert len(journal.recent(1)) == 1


def test_wal_mode_and_private_files(journal: Journal, path: Path) -> None:
    with _raw(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert journal._conn is not None
    assert journal._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
    assert journal.schema_version() == len(MIGRATIONS)


def test_reopening_keeps_rows_and_schema(path: Path) -> None:
    with Journal(JournalConfig(path=path)) as journal:
        journal.utterance(source="hall", text="lights on")
    with Journal(JournalConfig(path=path)) as journal:
        assert journal.schema_version() == len(MIGRATIONS)
        assert [e["text"] for e in journal.recent()] == ["lights on"]


KILLED_MID_ACTION = """
import os, signal, sys
from pathlib import Path
from edge_assistant.config.journal import JournalConfig
from edge_assistant.journal import Journal

journal = Journal(JournalConfig(path=Path(sys.argv[1])))
u = journal.utterance(source="hall", text="open the garage door")
d = journal.decision(utterance_id=u, command={"text": "open the garage door"}, decision="allow")
a = journal.action_started(decision_id=d, device_id="garage_door", service="open_cover")
print(a, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_kill_9_mid_action_is_recovered_as_interrupted(path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_MID_ACTION, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    action_id = int(done.stdout)
    with Journal(JournalConfig(path=path)) as journal:
        [lost] = journal.recover()
        assert lost["id"] == action_id and lost["device_id"] == "garage_door"
        assert lost["service"] == "open_cover" and lost["text"] == "open the garage door"
        assert lost["pid"] != 0
        assert journal.recover() == []  # reported once
        [entry] = journal.recent()
        assert entry["actions"][0]["state"] == "interrupted"
        assert "interrupted" in entry["actions"][0]["error"]


def test_recover_leaves_this_process_actions_alone(journal: Journal) -> None:
    a = journal.action_started(decision_id=None, device_id="tv", service="turn_on")
    assert journal.recover() == []
    journal.action_finished(a, ok=True, attempts=1, ms=3.0)
    assert journal.recent()[0]["actions"][0]["state"] == "done"


def test_retention_prunes_old_rows(path: Path) -> None:
    now = 1_800_000_000.0
    config = JournalConfig(path=path, retention_days=30)
    with Journal(config) as journal:
        for age_days in (40, 1):
            at = now - age_days * DAY
            u = journal.utterance(source="hall", text=f"{age_days} days ago", at=at)
            d = journal.decision(utterance_id=u, command={}, decision="allow", at=at)
            a = journal.action_started(decision_id=d, device_id="tv", service="turn_on", at=at)
            journal.action_finished(a, ok=True, at=at)
        stuck = journal.action_started(
            decision_id=None, device_id="tv", service="x", at=now - 90 * DAY
        )
        assert journal.prune(now) == 3
        texts = [e["text"] for e in journal.recent()]
        assert texts == ["1 days ago", None]  # the pending action stays for recover()
        assert journal.recent()[1]["actions"][0]["id"] == stuck


def test_prune_runs_at_open(path: Path) -> None:
    with Journal(JournalConfig(path=path)) as journal:
        journal.utterance(source="hall", text="long ago", at=1.0)
        journal.utterance(source="hall", text="now")
    with Journal(JournalConfig(path=path)) as journal:
        assert [e["text"] for e in journal.recent()] == ["now"]


def _pcm_in_files(path: Path, pcm: bytes) -> bool:
    """Whether any 512-byte piece of ``pcm`` is in the database or its WAL (a BLOB is split
    over pages, so look for pieces)."""
    data = b"".join(f.read_bytes() for f in (path, Path(f"{path}-wal")) if f.exists())
    return any(pcm[i : i + 512] in data for i in range(0, len(pcm) - 512, 512))


def test_audio_is_never_written_unless_store_audio(tmp_path: Path) -> None:
    audio = (np.sin(np.arange(16000) / 7.0) * 12000).astype(np.int16)
    pcm = audio.astype("<i2").tobytes()
    off = tmp_path / "off" / "journal.sqlite3"
    with Journal(JournalConfig(path=off)) as journal:
        journal.utterance(source="hall", text="lights on", audio=audio)
        journal.utterance(source="hall", text="lights off", audio=pcm)
    with _raw(off) as raw:
        assert raw.execute(
            "SELECT count(*) FROM utterances WHERE audio IS NOT NULL"
        ).fetchone() == (0,)
    assert not _pcm_in_files(off, pcm)

    on = tmp_path / "on" / "journal.sqlite3"
    with Journal(JournalConfig(path=on, store_audio=True)) as journal:
        journal.utterance(source="hall", text="lights on", audio=audio)
    with _raw(on) as raw:
        assert raw.execute("SELECT audio FROM utterances").fetchone() == (pcm,)
    assert _pcm_in_files(on, pcm)  # the check above would see audio if it were there


def test_damaged_file_names_the_file_and_what_to_do(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(JournalError) as caught:
        Journal(JournalConfig(path=path))
    message = str(caught.value)
    assert str(path) in message and "Move it aside" in message


def test_other_sqlite_database_is_not_taken_over(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with _raw(path) as raw:
        raw.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(JournalError, match="not an edge-assistant journal"):
        Journal(JournalConfig(path=path))
    with _raw(path) as raw:  # untouched
        assert raw.execute("SELECT name FROM sqlite_master").fetchall() == [("photos",)]


def test_newer_schema_is_refused(path: Path) -> None:
    Journal(JournalConfig(path=path)).close()
    with _raw(path) as raw:
        raw.execute("INSERT INTO schema_version VALUES (99, 0)")
    with pytest.raises(JournalError, match="version 99 is newer"):
        Journal(JournalConfig(path=path))


def test_two_threads_write_at_once(journal: Journal) -> None:
    errors: list[BaseException] = []
    ids: list[int] = []

    def work(name: str) -> None:
        try:
            for i in range(100):
                u = journal.utterance(source=name, text=f"{name} {i}")
                d = journal.decision(utterance_id=u, command={"text": str(i)}, decision="allow")
                a = journal.action_started(decision_id=d, device_id="tv", service="turn_on")
                journal.action_finished(a, ok=True, attempts=1, ms=1.0)
                ids.append(a)
                journal.recent(5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(set(ids)) == 200
    with _raw(journal.path) as raw:
        assert raw.execute("SELECT state, count(*) FROM actions GROUP BY state").fetchall() == [
            ("done", 200)
        ]


def test_utterances_that_get_no_decision_keep_their_fate(journal: Journal) -> None:
    """Not a command, a recognizer error, dropped from a full queue, expired: each one is an
    entry of recent() with its fate as the decision and the reason."""
    for text, fate, reason in [
        ("", "error", "recognizer error: RuntimeError: Failed to start utterance processing"),
        ("hmm the", "rejected", "pocketsphinx: not a whole sentence of the grammar"),
        ("turn on the fan", "dropped", "command queue full (8 waiting): a newer one came"),
        ("close the blind", "expired", "waited 61.0 s since it was said, past actions.ttl_s"),
    ]:
        utterance = journal.utterance(source="hall", text=text)
        journal.unhandled(utterance_id=utterance, fate=fate, reason=reason)
    entries = journal.recent()
    assert [(e["text"], e["decision"]) for e in entries] == [
        ("close the blind", "expired"),
        ("turn on the fan", "dropped"),
        ("hmm the", "rejected"),
        ("", "error"),
    ]
    assert entries[1]["reason"].startswith("command queue full")
    with pytest.raises(ValueError, match="unknown fate"):
        journal.unhandled(utterance_id=None, fate="lost")


def test_a_version_2_journal_is_migrated_and_keeps_its_rows(path: Path) -> None:
    path.parent.mkdir(parents=True, mode=0o700)
    with contextlib.closing(_raw(path)) as raw:  # a journal as the previous release left it
        raw.execute(VERSION_TABLE)
        for number, statements in enumerate(MIGRATIONS[:2]):
            for statement in statements:
                raw.execute(statement)
            raw.execute("INSERT INTO schema_version VALUES (?, 0)", (number + 1,))
        raw.execute(
            "INSERT INTO utterances (time, source, text) VALUES (?, 'hall', 'hi')", (time.time(),)
        )
        raw.commit()
    with Journal(JournalConfig(path=path)) as journal:
        assert journal.schema_version() == len(MIGRATIONS)
        assert [e["text"] for e in journal.recent()] == ["hi"]
        journal.unhandled(utterance_id=1, fate="rejected", reason="not a command")
        assert journal.recent()[0]["decision"] == "rejected"


def test_misuse_is_an_error(journal: Journal) -> None:
    with pytest.raises(ValueError, match="unknown decision"):
        journal.decision(utterance_id=None, command={}, decision="maybe")
    journal.close()
    with pytest.raises(JournalError, match="closed"):
        journal.utterance(source="hall", text="hello")


def test_config_defaults_and_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert JournalConfig().path == tmp_path / "edge-assistant" / "journal.sqlite3"
    assert default_journal_path() == JournalConfig().path
    config = JournalConfig()
    assert config.retention_days == 30 and config.store_audio is False
    assert JournalConfig(path=Path("~/j.sqlite3")).path == Path.home() / "j.sqlite3"
    with pytest.raises(ConfigError, match="retention_days"):
        validate_data({"retention_days": 0}, JournalConfig, source="journal")
    with pytest.raises(ConfigError, match="unknown key"):
        validate_data({"keep_audio": True}, JournalConfig, source="journal")
