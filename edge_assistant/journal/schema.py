"""The journal's tables, as numbered migrations.

``MIGRATIONS[i]`` takes a journal from version ``i`` to ``i + 1``: a tuple of single SQL
statements run in one transaction with its row in ``schema_version``, so a journal is always
at a whole version. Add a change as a new entry at the end; never edit one that has shipped.

Times are Unix seconds (``time.time()``); JSON columns hold ``json.dumps`` objects; ``audio``
is 16 kHz mono int16 little-endian PCM, written only when the config's ``store_audio`` is on.
"""

from __future__ import annotations

DECISIONS = ("allow", "refuse", "confirm", "not_understood", "confirmed", "cancelled", "expired")
ACTION_STATES = ("pending", "done", "failed", "interrupted")
# What became of an utterance that got no decision: not a command (the recognizer rejected
# it), a recognizer error, dropped from a full command queue, or past its time to live
# before it was handled.
FATES = ("rejected", "error", "dropped", "expired")
# A timer the daemon keeps (daemon/timers.py): running or paused until it is done or cancelled.
TIMER_STATES = ("running", "paused", "done", "cancelled")
# An item of a list the daemon keeps (daemon/lists.py): open until it is ticked off.
ITEM_STATES = ("open", "done")

VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied REAL NOT NULL)"
)


def _one_of(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE utterances (
            id INTEGER PRIMARY KEY,
            time REAL NOT NULL,
            source TEXT NOT NULL,             -- the device that heard it (daemon.name)
            text TEXT NOT NULL,
            engine TEXT,                      -- the ASR engine that produced the text
            timings TEXT NOT NULL DEFAULT '{}',
            audio BLOB                        -- only with store_audio
        )""",
        "CREATE INDEX utterances_time ON utterances (time)",
        f"""CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            time REAL NOT NULL,
            utterance_id INTEGER REFERENCES utterances (id) ON DELETE SET NULL,
            answers INTEGER REFERENCES decisions (id) ON DELETE SET NULL,  -- 'confirm' it settles
            command TEXT NOT NULL,            -- Command.to_json()
            decision TEXT NOT NULL CHECK (decision IN ({_one_of(DECISIONS)})),
            reason TEXT NOT NULL DEFAULT '',
            timings TEXT NOT NULL DEFAULT '{{}}'
        )""",
        "CREATE INDEX decisions_time ON decisions (time)",
        "CREATE INDEX decisions_utterance ON decisions (utterance_id)",
        "CREATE INDEX decisions_answers ON decisions (answers)",
        f"""CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            decision_id INTEGER REFERENCES decisions (id) ON DELETE SET NULL,
            device_id TEXT NOT NULL,
            service TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{{}}',
            state TEXT NOT NULL CHECK (state IN ({_one_of(ACTION_STATES)})),
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            started REAL NOT NULL,
            finished REAL,
            ms REAL,
            pid INTEGER NOT NULL              -- the process that sent it
        )""",
        "CREATE INDEX actions_started ON actions (started)",
        "CREATE INDEX actions_decision ON actions (decision_id)",
        "CREATE INDEX actions_pending ON actions (state) WHERE state = 'pending'",
    ),
    (  # 1 -> 2: several rooms; a command another device handles (daemon/arbitration.py)
        """CREATE TABLE deferrals (
            id INTEGER PRIMARY KEY,
            time REAL NOT NULL,
            utterance_id INTEGER REFERENCES utterances (id) ON DELETE SET NULL,
            winner TEXT NOT NULL,             -- the device that handles it
            winner_score REAL NOT NULL,
            score REAL NOT NULL,              -- this device's wake score
            reason TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX deferrals_time ON deferrals (time)",
    ),
    (  # 2 -> 3: every utterance's fate, also of those never decided (daemon/assistant.py)
        f"""CREATE TABLE unhandled (
            id INTEGER PRIMARY KEY,
            time REAL NOT NULL,
            utterance_id INTEGER REFERENCES utterances (id) ON DELETE CASCADE,
            fate TEXT NOT NULL CHECK (fate IN ({_one_of(FATES)})),
            reason TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX unhandled_time ON unhandled (time)",
        "CREATE INDEX unhandled_utterance ON unhandled (utterance_id)",
    ),
    (  # 3 -> 4: the timers the daemon keeps, so they outlive a restart (daemon/timers.py)
        f"""CREATE TABLE timers (
            id INTEGER PRIMARY KEY,
            created REAL NOT NULL,
            decision_id INTEGER REFERENCES decisions (id) ON DELETE SET NULL,
            name TEXT,                        -- "pizza", as said; NULL for none
            area TEXT,                        -- the area it was set in (name)
            seconds REAL NOT NULL,            -- the duration it was started with
            state TEXT NOT NULL CHECK (state IN ({_one_of(TIMER_STATES)})),
            ends REAL,                        -- when running: the wall time it ends
            left_s REAL,                      -- when paused: the seconds it had left
            command TEXT,                     -- what was asked to happen at the end
            finished REAL                     -- when it was done or cancelled
        )""",
        "CREATE INDEX timers_live ON timers (state) WHERE state IN ('running', 'paused')",
    ),
    (  # 4 -> 5: the lists the daemon keeps when the home has no to-do list (daemon/lists.py)
        f"""CREATE TABLE list_items (
            id INTEGER PRIMARY KEY,
            created REAL NOT NULL,
            decision_id INTEGER REFERENCES decisions (id) ON DELETE SET NULL,
            list TEXT NOT NULL,               -- "shopping", "to do", as said
            item TEXT NOT NULL,               -- "oat milk", as said
            state TEXT NOT NULL CHECK (state IN ({_one_of(ITEM_STATES)})),
            done REAL                         -- when it was ticked off
        )""",
        "CREATE INDEX list_items_open ON list_items (list, state)",
    ),
)
