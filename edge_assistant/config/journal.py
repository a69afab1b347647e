"""The journal section of a device config: where what was heard, decided and done is kept,
and for how long."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator

from edge_assistant.config.loading import StrictModel


def default_journal_path() -> Path:
    """``$XDG_DATA_HOME/edge-assistant/journal.sqlite3`` (``~/.local/share`` without it)."""
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "edge-assistant" / "journal.sqlite3"


class JournalConfig(StrictModel):
    path: Path = Field(
        default_factory=default_journal_path,
        description="SQLite file; its folder is created readable by this user only (0700).",
    )
    retention_days: float = Field(
        30.0, gt=0, le=3650, description="Rows older than this are deleted (at start, prune)."
    )
    store_audio: bool = Field(
        False,
        description="Keep each utterance's audio (16 kHz int16) with its text. Off: audio is "
        "never written to disk.",
    )

    @field_validator("path")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()
