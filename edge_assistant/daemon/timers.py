"""Timers the daemon keeps itself, as Home Assistant's satellites do: started, changed and
asked about by voice, journaled so they outlive a restart, announced when they end. A timer
with a command ("turn off the kitchen lights in 5 minutes") does the command when it ends
instead (``on_command``), as Home Assistant's satellites do.

Which timer a command means follows Home Assistant (its ``get_matched_timers``): the one
started for the duration said ("the 5 minute timer"), the one with the name said ("the pizza
timer"), the one in the area said; with nothing said, the only one, else the only one in
the satellite's area. When several still fit, the answer is a question ("which timer?"),
never a guess.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from edge_assistant.journal.journal import Journal
from edge_assistant.understanding.intents import Command

log = logging.getLogger(__name__)
TIMER_INTENTS = frozenset({
    "HassStartTimer", "HassCancelTimer", "HassCancelAllTimers", "HassIncreaseTimer",
    "HassDecreaseTimer", "HassPauseTimer", "HassUnpauseTimer", "HassTimerStatus",
})  # fmt: skip
MAX_TIMER_S = 24 * 3600.0  # a day: longer is a calendar's job, and a mishearing
MAX_TIMERS = 20


@dataclass
class Timer:
    seconds: float  # the duration it was started with
    name: str | None = None
    area: str | None = None
    ends: float | None = None  # running: wall time it ends
    left_s: float | None = None  # paused: seconds it had left
    command: str | None = None
    id: int | None = None

    @property
    def running(self) -> bool:
        return self.ends is not None

    def left(self, now: float) -> float:
        return max(0.0, self.ends - now) if self.ends is not None else self.left_s or 0.0

    def called(self) -> str:
        """How the timer is spoken of: "the pizza timer", "the 5 minute timer"."""
        return (
            f"the {self.name} timer" if self.name else f"the {duration(self.seconds, True)} timer"
        )

    def row(self, state: str, finished: float | None = None) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "area": self.area, "seconds": self.seconds,
                "state": state, "ends": self.ends, "left_s": self.left_s,
                "command": self.command, "finished": finished}  # fmt: skip


class Timers:
    """The live timers. ``handle`` answers a timer command (journal writes: call it off the
    event loop); ``run`` is the task that announces each timer as it ends."""

    def __init__(
        self,
        journal: Journal,
        announce: Callable[[str], Awaitable[None]],
        clock: Callable[[], float] = time.time,
        on_command: Callable[[Timer], Awaitable[None]] | None = None,
    ) -> None:
        self.journal, self.announce, self.clock = journal, announce, clock
        self.on_command = on_command
        self.live = [_timer(row) for row in journal.live_timers()]
        self._changed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.RLock()  # commands and the task change timers from threads

    # --- commands ------------------------------------------------------------------------
    def handle(self, command: Command, area: str | None, decision_id: int | None = None) -> str:
        """Do what a timer command asks; returns the sentence to say."""
        with self._lock:
            return self._handle(command, area, decision_id)

    def _handle(self, command: Command, area: str | None, decision_id: int | None) -> str:
        slots, intent, now = command.slots, command.intent, self.clock()
        if intent == "HassStartTimer":
            return self._start(slots, area, now, decision_id)
        if intent == "HassCancelAllTimers":
            gone = [t for t in self.live if "area" not in slots or t.area == slots["area"]]
            for timer in gone:
                self._end(timer, "cancelled", now)
            return f"Cancelled {_count(len(gone))}." if gone else "There are no timers."
        found = self.matching(slots, area)
        if intent == "HassTimerStatus":
            return _status(found, now) if found else "There are no timers."
        if not found:
            return "There is no such timer." if _filters(slots) else "There are no timers."
        if len(found) > 1:
            names = ", ".join(t.called() for t in found)
            return f"Which timer? There are {len(found)}: {names}."
        timer = found[0]
        if intent == "HassCancelTimer":
            self._end(timer, "cancelled", now)
            return f"Cancelled {timer.called()}."
        if intent == "HassPauseTimer":
            if timer.running:
                timer.left_s, timer.ends = timer.left(now), None
                self._save(timer, "paused")
            return f"Paused {timer.called()}."
        if intent == "HassUnpauseTimer":
            if not timer.running:
                timer.ends, timer.left_s = now + (timer.left_s or 0.0), None
                self._save(timer, "running")
            return f"Resumed {timer.called()}."
        change = _seconds(slots) * (1 if intent == "HassIncreaseTimer" else -1)
        left = min(MAX_TIMER_S, timer.left(now) + change)
        if timer.running:
            timer.ends = now + max(0.0, left)
        else:
            timer.left_s = max(0.0, left)
        self._save(timer, "running" if timer.running else "paused")
        verb = "Added" if change > 0 else "Took off"
        return f"{verb} {duration(abs(change))}; {duration(max(0.0, left))} left."

    def matching(self, slots: dict[str, Any], area: str | None) -> list[Timer]:
        found = list(self.live)
        started = {k: slots[k] for k in ("start_hours", "start_minutes", "start_seconds")
                   if k in slots}  # fmt: skip
        if started:
            found = [t for t in found if abs(t.seconds - _seconds(started, "start_")) < 0.5]
        if slots.get("name"):
            found = [t for t in found if (t.name or "").casefold() == slots["name"].casefold()]
        if slots.get("area"):
            found = [t for t in found if t.area == slots["area"]]
        if len(found) > 1 and not _filters(slots) and area is not None:
            here = [t for t in found if t.area == area]
            found = here or found
        return found

    def _start(
        self, slots: dict[str, Any], area: str | None, now: float, decision_id: int | None
    ) -> str:
        seconds = until(str(slots["at"]), now) if slots.get("at") else _seconds(slots)
        if not 0 < seconds <= MAX_TIMER_S:
            return f"A timer must be longer than nothing and at most {duration(MAX_TIMER_S)}."
        if len(self.live) >= MAX_TIMERS:
            return f"There are already {MAX_TIMERS} timers; cancel one first."
        name = slots.get("name") if isinstance(slots.get("name"), str) else None
        timer = Timer(seconds, name, slots.get("area") or area, ends=now + seconds,
                      command=slots.get("conversation_command"))  # fmt: skip
        timer.id = self.journal.timer_saved(timer.row("running"), decision_id)
        self.live.append(timer)
        self._wake()
        if timer.command and slots.get("at"):
            return f"I will {timer.command} at {name or slots['at']}."
        if timer.command:
            return f"I will {timer.command} in {duration(seconds)}."
        return f"{(name or '').capitalize() + ' timer' if name else 'Timer'} set for {duration(seconds)}."

    def _end(self, timer: Timer, state: str, now: float) -> bool:
        with self._lock:
            if timer not in self.live:  # cancelled meanwhile
                return False
            self.live.remove(timer)
            self._save(timer, state, finished=now)
            return True

    def _save(self, timer: Timer, state: str, finished: float | None = None) -> None:
        self.journal.timer_saved(timer.row(state, finished))
        self._wake()

    # --- the task ------------------------------------------------------------------------
    async def run(self, stopping: asyncio.Event) -> None:
        """Task: announce each timer when it ends (one that ended while the daemon was down is
        announced at start, late rather than never)."""
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        while not stopping.is_set():
            now = self.clock()
            for timer in [t for t in self.live if t.running and t.left(now) <= 0]:
                if await self._loop.run_in_executor(None, self._end, timer, "done", now):
                    log.info("timer done: %s", timer.called())
                    if timer.command and self.on_command is not None:
                        await self.on_command(timer)
                    else:
                        await self.announce(f"{timer.called().capitalize()} is done.")
            ends = [t.left(now) for t in self.live if t.running]
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(ends, default=3600.0))

    def _wake(self) -> None:
        """A timer changed (from an executor thread): the task recomputes its next end."""
        if self._loop is not None and self._changed is not None:
            self._loop.call_soon_threadsafe(self._changed.set)


def _timer(row: dict[str, Any]) -> Timer:
    ends = row["ends"] if row["state"] == "running" else None
    return Timer(row["seconds"], row["name"], row["area"], ends, row["left_s"], row["command"],
                 row["id"])  # fmt: skip


def until(at: str, now: float) -> float:
    """Seconds from ``now`` (wall time) to the next time of day ``at`` ("19:00"; "07:00|19:00":
    whichever comes first), in local time."""
    today = datetime.fromtimestamp(now)
    waits = []
    for clock in at.split("|"):
        hour, minute = (int(x) for x in clock.split(":"))
        then = today.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if then.timestamp() <= now:
            then += timedelta(days=1)
        waits.append(then.timestamp() - now)
    return min(waits)


def _seconds(slots: dict[str, Any], prefix: str = "") -> float:
    return sum(float(slots.get(f"{prefix}{unit}", 0) or 0) * factor
               for unit, factor in (("hours", 3600), ("minutes", 60), ("seconds", 1)))  # fmt: skip


def _filters(slots: dict[str, Any]) -> bool:
    return any(k in slots for k in ("name", "area", "start_hours", "start_minutes",
                                    "start_seconds"))  # fmt: skip


def duration(seconds: float, adjective: bool = False) -> str:
    """12 minutes and 5 seconds; 1 hour; 30 seconds ("the 5 minute timer": ``adjective``)."""
    whole = round(seconds)
    parts = [(whole // 3600, "hour"), (whole % 3600 // 60, "minute"), (whole % 60, "second")]
    said = [f"{n} {unit}{'s' if n != 1 and not adjective else ''}" for n, unit in parts if n]
    return " and ".join([", ".join(said[:-1]), said[-1]] if len(said) > 1 else said) or "0 seconds"


def _count(n: int) -> str:
    return "1 timer" if n == 1 else f"{n} timers"


def _status(timers: list[Timer], now: float) -> str:
    said = [f"{t.called()} has {duration(t.left(now))} left"
            + ("" if t.running else ", paused") for t in timers]  # fmt: skip
    text = "; ".join(said)
    return text[0].upper() + text[1:] + "."
