"""Opening the journal's SQLite file: a private folder, WAL mode, the schema brought up to
date, and errors that name the file and what to do about it."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from edge_assistant.errors import EdgeAssistantError
from edge_assistant.journal.schema import MIGRATIONS, VERSION_TABLE


class JournalError(EdgeAssistantError):
    """The journal cannot be opened or written; the message names the file and what to do."""


def open_database(path: Path) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode with the current schema, shareable between
    threads (the caller serialises its use)."""
    _private_folder(path.parent)
    try:  # created here so that it (and its -wal, -shm) is readable by this user only
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise JournalError(f"{path}: cannot create the journal: {exc.strerror}") from None
    try:
        conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise database_error(path, "open the journal", exc) from None
    conn.row_factory = sqlite3.Row
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise JournalError(
                f"{path}: SQLite cannot use WAL mode here (got {mode!r}); put the journal on a "
                "local file system"
            )
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        _migrate(conn, path)
    except BaseException as exc:
        if conn.in_transaction:
            conn.rollback()
        conn.close()
        if isinstance(exc, sqlite3.Error):
            raise database_error(path, "open the journal", exc) from None
        raise
    return conn


def database_error(path: Path, what: str, exc: sqlite3.Error) -> JournalError:
    message = str(exc)
    if "not a database" in message or "malformed" in message:
        return JournalError(
            f"{path}: the journal file is damaged ({message}). Move it aside (e.g. mv {path} "
            f"{path}.broken, with its -wal and -shm files if any) and start again: a new journal "
            "is created."
        )
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in message:
        return JournalError(f"{path}: cannot open the journal ({message}): is it a writable file?")
    return JournalError(f"{path}: cannot {what}: {message}")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN IMMEDIATE")  # two processes starting at once: one migrates
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "schema_version" not in tables:
        raise JournalError(
            f"{path}: an SQLite database but not an edge-assistant journal (tables: "
            f"{', '.join(sorted(tables))}); set journal.path to another file"
        )
    conn.execute(VERSION_TABLE)
    version = int(
        conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    )
    if version > len(MIGRATIONS):
        raise JournalError(
            f"{path}: journal schema version {version} is newer than this edge-assistant knows "
            f"({len(MIGRATIONS)}); upgrade edge-assistant, or move the file aside"
        )
    for number in range(version, len(MIGRATIONS)):
        for statement in MIGRATIONS[number]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, ?)", (number + 1, time.time()))
    conn.execute("COMMIT")


def _private_folder(folder: Path) -> None:
    if folder.is_dir():
        return
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700)
        folder.chmod(0o700)  # mkdir's mode is narrowed by the umask: be exact
    except FileExistsError:
        pass
    except OSError as exc:
        raise JournalError(f"{folder}: cannot create the journal folder: {exc.strerror}") from None
