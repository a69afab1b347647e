"""The journal: what was heard, what the policy decided and what was done, in SQLite.

Every call commits before it returns. ``action_started`` is called before an action is sent,
so a process killed mid-action leaves a ``pending`` row that the next start's ``recover()``
marks ``interrupted`` and reports: its fate is unknown, and the user should hear that rather
than nothing. WAL with ``synchronous=NORMAL`` keeps every commit through a crash of the
process; a power cut may lose the last ones.

One connection behind one lock: the daemon calls from its executor threads, a call never
runs on the event loop.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from edge_assistant.config.journal import JournalConfig
from edge_assistant.journal.database import JournalError, database_error, open_database
from edge_assistant.journal.schema import DECISIONS, FATES
from edge_assistant.understanding.intents import Command

log = logging.getLogger(__name__)
DAY_S = 86400.0
PRUNE_EVERY_S = 3600.0  # a long-running daemon prunes as it writes, not only at start
INTERRUPTED = "interrupted: the assistant stopped before the result was known"


class Journal:
    def __init__(self, config: JournalConfig) -> None:
        self.config = config
        self.path = config.path
        self._lock = threading.Lock()
        self._own: set[int] = set()  # actions this instance started and has not finished
        self._next_prune = 0.0  # time.monotonic() of the next automatic prune
        self._conn: sqlite3.Connection | None = open_database(self.path)
        try:
            self.prune()
        except BaseException:
            self.close()
            raise

    # --- writing -------------------------------------------------------------------------
    def utterance(
        self,
        *,
        source: str,
        text: str,
        engine: str | None = None,
        timings: Mapping[str, float] | None = None,
        audio: np.ndarray | bytes | None = None,
        at: float | None = None,
    ) -> int:
        """Journal one transcript; ``audio`` is kept only when the config's store_audio is."""
        at = time.time() if at is None else at
        blob = _pcm(audio) if self.config.store_audio and audio is not None else None
        with self._db("write an utterance") as db:
            row = db.execute(
                "INSERT INTO utterances (time, source, text, engine, timings, audio) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (at, source, text, engine, _json(timings or {}), blob),
            )
            utterance_id = _id(row)
        if time.monotonic() >= self._next_prune:
            self.prune()
        return utterance_id

    def decision(
        self,
        *,
        utterance_id: int | None,
        command: Command | Mapping[str, Any],
        decision: str,
        reason: str = "",
        timings: Mapping[str, float] | None = None,
        answers: int | None = None,
        at: float | None = None,
    ) -> int:
        """Journal what the policy (or a yes, no or timeout) decided about a command;
        ``answers`` is the id of the ``confirm`` decision that a confirmed, cancelled or
        expired one settles."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r} (known: {', '.join(DECISIONS)})")
        payload = command.to_json() if isinstance(command, Command) else dict(command)
        with self._db("write a decision") as db:
            row = db.execute(
                "INSERT INTO decisions (time, utterance_id, answers, command, decision, reason, "
                "timings) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time() if at is None else at,
                    utterance_id,
                    answers,
                    _json(payload),
                    decision,
                    reason,
                    _json(timings or {}),
                ),
            )
            return _id(row)

    def deferral(
        self,
        *,
        utterance_id: int | None,
        winner: str,
        winner_score: float,
        score: float,
        reason: str = "",
        at: float | None = None,
    ) -> int:
        """Journal a command left to another device, which heard the wake word better."""
        with self._db("write a deferral") as db:
            row = db.execute(
                "INSERT INTO deferrals (time, utterance_id, winner, winner_score, score, reason)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (time.time() if at is None else at, utterance_id, winner, winner_score, score,
                 reason),
            )  # fmt: skip
            return _id(row)

    def unhandled(
        self, *, utterance_id: int | None, fate: str, reason: str = "", at: float | None = None
    ) -> int:
        """Journal the fate of an utterance that gets no decision: ``rejected`` (not a
        command), ``error`` (the recognizer failed), ``dropped`` (the command queue was full)
        or ``expired`` (past its time to live before it was handled)."""
        if fate not in FATES:
            raise ValueError(f"unknown fate {fate!r} (known: {', '.join(FATES)})")
        with self._db("write an unhandled utterance") as db:
            row = db.execute(
                "INSERT INTO unhandled (time, utterance_id, fate, reason) VALUES (?, ?, ?, ?)",
                (time.time() if at is None else at, utterance_id, fate, reason),
            )
            return _id(row)

    def action_started(
        self,
        *,
        decision_id: int | None,
        device_id: str,
        service: str,
        data: Mapping[str, Any] | None = None,
        at: float | None = None,
    ) -> int:
        """Journal an action as ``pending``; committed when this returns, so call it before
        the action is sent."""
        with self._db("write an action") as db:
            row = db.execute(
                "INSERT INTO actions (decision_id, device_id, service, data, state, started, pid)"
                " VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                (
                    decision_id,
                    device_id,
                    service,
                    _json(data or {}),
                    time.time() if at is None else at,
                    os.getpid(),
                ),
            )
            action_id = _id(row)
            self._own.add(action_id)
            return action_id

    def action_finished(
        self,
        action_id: int,
        ok: bool,
        error: str | None = None,
        attempts: int = 0,
        ms: float = 0.0,
        at: float | None = None,
    ) -> None:
        """Record an action's result (also over ``interrupted``: the result is the truth)."""
        with self._db("finish an action") as db:
            row = db.execute(
                "UPDATE actions SET state = ?, error = ?, attempts = ?, ms = ?, finished = ? "
                "WHERE id = ? AND state IN ('pending', 'interrupted')",
                (
                    "done" if ok else "failed",
                    error,
                    attempts,
                    ms,
                    time.time() if at is None else at,
                    action_id,
                ),
            )
            self._own.discard(action_id)
        if row.rowcount == 0:
            log.warning("journal: action %s is not pending; its result was not recorded", action_id)

    # --- timers (daemon/timers.py) -------------------------------------------------------
    def timer_saved(self, timer: Mapping[str, Any], decision_id: int | None = None) -> int:
        """Insert a timer (no ``id``) or update it (``id``): its state, end, time left and
        when it finished. Returns its id."""
        with self._db("write a timer") as db:
            if timer.get("id") is None:
                row = db.execute(
                    "INSERT INTO timers (created, decision_id, name, area, seconds, state, ends, "
                    "left_s, command) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (time.time(), decision_id, timer.get("name"), timer.get("area"),
                     timer["seconds"], timer["state"], timer.get("ends"), timer.get("left_s"),
                     timer.get("command")),
                )  # fmt: skip
                return _id(row)
            db.execute(
                "UPDATE timers SET state = ?, ends = ?, left_s = ?, seconds = ?, finished = ? "
                "WHERE id = ?",
                (timer["state"], timer.get("ends"), timer.get("left_s"), timer["seconds"],
                 timer.get("finished"), timer["id"]),
            )  # fmt: skip
            return int(timer["id"])

    def live_timers(self) -> list[dict[str, Any]]:
        """Timers running or paused, oldest first (what a restart picks up)."""
        with self._db("read timers") as db:
            rows = db.execute(
                "SELECT id, name, area, seconds, state, ends, left_s, command FROM timers "
                "WHERE state IN ('running', 'paused') ORDER BY id"
            ).fetchall()
        return [dict(r) for r in rows]

    # --- lists (daemon/lists.py) ----------------------------------------------------------
    def item_added(self, list_name: str, item: str, decision_id: int | None = None) -> int:
        """An open item on a list the daemon keeps; returns its id."""
        with self._db("add a list item") as db:
            cursor = db.execute(
                "INSERT INTO list_items (created, decision_id, list, item, state) "
                "VALUES (?, ?, ?, ?, 'open')",
                (time.time(), decision_id, list_name, item),
            )
            return int(cursor.lastrowid or 0)

    def item_done(self, item_id: int) -> None:
        with self._db("tick off a list item") as db:
            db.execute(
                "UPDATE list_items SET state = 'done', done = ? WHERE id = ?",
                (time.time(), item_id),
            )

    def open_items(self) -> list[dict[str, Any]]:
        """Every open item of every list, oldest first."""
        with self._db("read lists") as db:
            rows = db.execute(
                "SELECT id, list, item FROM list_items WHERE state = 'open' ORDER BY id"
            ).fetchall()
        return [dict(r) for r in rows]

    # --- housekeeping --------------------------------------------------------------------
    def recover(self, now: float | None = None) -> list[dict[str, Any]]:
        """At start: actions another process left ``pending`` become ``interrupted``; they
        are returned (id, decision_id, device_id, service, data, started, pid, text) so the
        daemon can say which commands may or may not have happened."""
        now = time.time() if now is None else now
        with self._db("recover interrupted actions") as db:
            db.execute("BEGIN IMMEDIATE")
            rows = db.execute(
                "SELECT a.id, a.decision_id, a.device_id, a.service, a.data, a.started, a.pid, "
                "u.text, d.command FROM actions a "
                "LEFT JOIN decisions d ON d.id = a.decision_id "
                "LEFT JOIN utterances u ON u.id = d.utterance_id "
                "WHERE a.state = 'pending' ORDER BY a.id"
            ).fetchall()
            rows = [r for r in rows if r["id"] not in self._own]
            db.executemany(
                "UPDATE actions SET state = 'interrupted', error = ?, finished = ? WHERE id = ?",
                [(INTERRUPTED, now, r["id"]) for r in rows],
            )
            db.execute("COMMIT")
        return [_interrupted(r) for r in rows]

    def prune(self, now: float | None = None) -> int:
        """Delete rows older than ``retention_days`` (pending actions stay for ``recover``);
        returns how many went."""
        now = time.time() if now is None else now
        cutoff = now - self.config.retention_days * DAY_S
        with self._db("prune old rows") as db:
            db.execute("BEGIN IMMEDIATE")
            removed = sum(
                db.execute(sql, (cutoff,)).rowcount
                for sql in (
                    "DELETE FROM actions WHERE started < ? AND state != 'pending'",
                    "DELETE FROM decisions WHERE time < ?",
                    "DELETE FROM deferrals WHERE time < ?",
                    "DELETE FROM unhandled WHERE time < ?",
                    "DELETE FROM timers WHERE finished < ?",
                    "DELETE FROM list_items WHERE done < ?",
                    "DELETE FROM utterances WHERE time < ?",
                )
            )
            db.execute("COMMIT")
        self._next_prune = time.monotonic() + PRUNE_EVERY_S
        return removed

    # --- reading -------------------------------------------------------------------------
    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest entries, newest first: one per decision (with its utterance and
        actions), per utterance that got no decision, per action that has no decision."""
        limit = max(0, min(int(limit), 10000))
        with self._db("read recent entries") as db:
            decisions = db.execute(
                "SELECT d.id AS decision_id, d.time, d.decision, d.reason, d.command, d.answers,"
                " u.id AS utterance_id, u.source, u.text, u.engine FROM decisions d "
                "LEFT JOIN utterances u ON u.id = d.utterance_id "
                "ORDER BY d.time DESC, d.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
            lone = db.execute(
                "SELECT u.id AS utterance_id, u.time, u.source, u.text, u.engine, "
                "(SELECT f.fate FROM unhandled f WHERE f.utterance_id = u.id "
                "ORDER BY f.id DESC LIMIT 1) AS decision, "
                "(SELECT f.reason FROM unhandled f WHERE f.utterance_id = u.id "
                "ORDER BY f.id DESC LIMIT 1) AS reason "
                "FROM utterances u WHERE NOT EXISTS "
                "(SELECT 1 FROM decisions d WHERE d.utterance_id = u.id) "
                "ORDER BY u.time DESC, u.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
            actions = db.execute(
                "SELECT * FROM actions WHERE decision_id IN "
                "(SELECT id FROM decisions ORDER BY time DESC, id DESC LIMIT ?) "
                "UNION ALL SELECT * FROM ("
                "SELECT * FROM actions WHERE decision_id IS NULL "
                "ORDER BY started DESC, id DESC LIMIT ?) ORDER BY id",
                (limit, limit),
            ).fetchall()
        by_decision: dict[int | None, list[dict[str, Any]]] = {}
        for a in actions:
            by_decision.setdefault(a["decision_id"], []).append(_action(a))
        entries = [_entry(dict(d), by_decision.get(d["decision_id"], [])) for d in decisions]
        entries += [_entry(dict(u), []) for u in lone]
        entries += [_entry({"time": a["started"]}, [a]) for a in by_decision.get(None, [])]
        entries.sort(key=lambda e: e["time"], reverse=True)
        return entries[:limit]

    def schema_version(self) -> int:
        with self._db("read the schema version") as db:
            return int(db.execute("SELECT max(version) FROM schema_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals -----------------------------------------------------------------------
    @contextmanager
    def _db(self, what: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise JournalError(f"{self.path}: cannot {what}: the journal is closed")
            conn = self._conn
            try:
                yield conn
            except BaseException as exc:
                if conn.in_transaction:
                    conn.rollback()
                if isinstance(exc, sqlite3.Error):
                    raise database_error(self.path, what, exc) from exc
                raise


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _id(cursor: sqlite3.Cursor) -> int:
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


def _pcm(audio: np.ndarray | bytes) -> bytes:
    if isinstance(audio, bytes | bytearray | memoryview):
        return bytes(audio)
    return np.ascontiguousarray(audio, dtype="<i2").tobytes()


def _interrupted(row: sqlite3.Row) -> dict[str, Any]:
    command = json.loads(row["command"]) if row["command"] else {}
    return {
        "id": row["id"],
        "decision_id": row["decision_id"],
        "device_id": row["device_id"],
        "service": row["service"],
        "data": json.loads(row["data"]),
        "started": row["started"],
        "pid": row["pid"],
        "text": row["text"] if row["text"] is not None else command.get("text"),
    }


def _action(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["data"] = json.loads(out["data"])
    return out


def _entry(row: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, Any]:
    """One line of ``recent()``: the same keys whatever the row is."""
    command = json.loads(row["command"]) if row.get("command") else {}
    targets = command.get("targets", [a["device_id"] for a in actions])
    return {
        "time": row["time"],
        "source": row.get("source"),
        "utterance_id": row.get("utterance_id"),
        # a decision without an utterance (a gesture's answer) shows its command's text
        "text": row["text"] if row.get("text") is not None else command.get("text"),
        "engine": row.get("engine"),
        "decision_id": row.get("decision_id"),
        "decision": row.get("decision"),
        "reason": row.get("reason") or "",
        "answers": row.get("answers"),
        "intent": command.get("intent"),
        "targets": targets,
        "actions": actions,
    }
