"""The journal: utterances, policy decisions and actions, kept in SQLite on the device."""

from edge_assistant.journal.database import JournalError
from edge_assistant.journal.journal import Journal

__all__ = ["Journal", "JournalError"]
