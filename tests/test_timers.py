"""Timers the daemon keeps: every timer intent as Home Assistant reads it, a real journal
underneath (so a restart finds them), and the task that announces a timer as it ends."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
from pathlib import Path

from edge_assistant.config.journal import JournalConfig
from edge_assistant.daemon.answers import spoken_answer
from edge_assistant.daemon.timers import Timers, duration
from edge_assistant.journal.journal import Journal
from edge_assistant.understanding.intents import Command
from tests.typed_assistant import assistant_of as _assistant
from tests.typed_assistant import typed


class Clock:
    """Wall time the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def said(intent: str, **slots: object) -> Command:
    return Command(text="test", intent=intent, slots=dict(slots), confidence=1.0)


async def nothing(_: str) -> None:
    return None


def keeper(path: Path, clock: Clock) -> tuple[Journal, Timers]:
    journal = Journal(JournalConfig(path=path))
    return journal, Timers(journal, nothing, clock)


def test_start_ask_change_pause_and_cancel(tmp_path: Path) -> None:
    clock = Clock()
    journal, timers = keeper(tmp_path / "j.sqlite3", clock)
    assert timers.handle(said("HassStartTimer", minutes=5), "Kitchen") == "Timer set for 5 minutes."
    assert timers.handle(said("HassStartTimer", minutes=30, name="pizza"), "Kitchen") == (
        "Pizza timer set for 30 minutes."
    )
    clock.now += 60
    assert timers.handle(said("HassTimerStatus"), "Kitchen") == (
        "The 5 minute timer has 4 minutes left; the pizza timer has 29 minutes left."
    )
    # two fit and nothing says which: a question, never a guess
    assert timers.handle(said("HassCancelTimer"), "Kitchen").startswith("Which timer? There are 2")
    assert timers.handle(said("HassIncreaseTimer", minutes=5, name="pizza"), "Kitchen") == (
        "Added 5 minutes; 34 minutes left."
    )
    assert timers.handle(said("HassDecreaseTimer", minutes=2, start_minutes=5), None) == (
        "Took off 2 minutes; 2 minutes left."
    )
    assert timers.handle(said("HassPauseTimer", name="Pizza"), None) == "Paused the pizza timer."
    clock.now += 600  # a paused timer keeps its time
    assert timers.handle(said("HassTimerStatus", name="pizza"), None) == (
        "The pizza timer has 34 minutes left, paused."
    )
    assert timers.handle(said("HassUnpauseTimer", name="pizza"), None) == "Resumed the pizza timer."
    assert timers.handle(said("HassCancelTimer", start_minutes=5), None) == (
        "Cancelled the 5 minute timer."
    )
    assert timers.handle(said("HassCancelTimer", name="lasagne"), None) == "There is no such timer."
    assert timers.handle(said("HassCancelAllTimers"), None) == "Cancelled 1 timer."
    assert timers.handle(said("HassTimerStatus"), None) == "There are no timers."
    journal.close()
    rows = (
        sqlite3.connect(tmp_path / "j.sqlite3")
        .execute("SELECT name, state FROM timers ORDER BY id")
        .fetchall()
    )
    assert rows == [(None, "cancelled"), ("pizza", "cancelled")]


def test_with_several_timers_the_one_in_this_area_is_meant(tmp_path: Path) -> None:
    clock = Clock()
    _, timers = keeper(tmp_path / "j.sqlite3", clock)
    timers.handle(said("HassStartTimer", minutes=5), "Kitchen")
    timers.handle(said("HassStartTimer", minutes=10), "Bedroom")
    assert timers.handle(said("HassCancelTimer"), "Bedroom") == "Cancelled the 10 minute timer."
    assert timers.handle(said("HassCancelTimer", area="Kitchen"), "Bedroom") == (
        "Cancelled the 5 minute timer."
    )


def test_nonsense_durations_are_refused(tmp_path: Path) -> None:
    _, timers = keeper(tmp_path / "j.sqlite3", Clock())
    assert timers.handle(said("HassStartTimer", hours=48), None).startswith("A timer must be")
    assert timers.handle(said("HassStartTimer"), None).startswith("A timer must be")
    assert timers.live == []


def test_timers_outlive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    journal, timers = keeper(tmp_path / "j.sqlite3", clock)
    timers.handle(said("HassStartTimer", minutes=20, name="bread"), "Kitchen")
    timers.handle(said("HassStartTimer", minutes=3), "Kitchen")
    timers.handle(said("HassPauseTimer", start_minutes=3), "Kitchen")
    journal.close()
    clock.now += 300
    _, again = keeper(tmp_path / "j.sqlite3", clock)
    assert again.handle(said("HassTimerStatus"), "Kitchen") == (
        "The bread timer has 15 minutes left; the 3 minute timer has 3 minutes left, paused."
    )


def test_a_command_at_a_time_of_day_waits_until_then_and_outlives_a_restart(
    tmp_path: Path,
) -> None:
    """ "Turn on the garden lights at 7 pm" said at 18:30: a timer of half an hour with the
    command; "at seven" (no am or pm) is the next seven, and a time gone by is tomorrow's."""
    clock = Clock()
    clock.now = dt.datetime(2026, 12, 5, 18, 30).timestamp()
    journal, timers = keeper(tmp_path / "j.sqlite3", clock)
    answer = timers.handle(said("HassStartTimer", at="19:00", name="7 pm",
                                conversation_command="turn on the garden lights"), None)  # fmt: skip
    assert answer == "I will turn on the garden lights at 7 pm."
    timers.handle(said("HassStartTimer", at="07:00|19:00", name="seven",
                       conversation_command="close the blinds"), None)  # fmt: skip
    timers.handle(said("HassStartTimer", at="06:00", name="six am",
                       conversation_command="open the blinds"), None)  # fmt: skip
    assert [round(t.left(clock.now)) for t in timers.live] == [1800, 1800, 11.5 * 3600]
    journal.close()
    _, again = keeper(tmp_path / "j.sqlite3", clock)
    assert [t.command for t in again.live] == [
        "turn on the garden lights",
        "close the blinds",
        "open the blinds",
    ]


def test_a_timer_that_ends_is_announced_and_journaled_done(tmp_path: Path) -> None:
    heard: list[str] = []

    async def announce(text: str) -> None:
        heard.append(text)

    async def main() -> None:
        journal = Journal(JournalConfig(path=tmp_path / "j.sqlite3"))
        timers = Timers(journal, announce)
        stop = asyncio.Event()
        task = asyncio.create_task(timers.run(stop))
        await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, timers.handle,
                                   said("HassStartTimer", seconds=1, name="egg"), None)  # fmt: skip
        for _ in range(60):
            if heard:
                break
            await asyncio.sleep(0.05)
        stop.set()
        timers._wake()
        await asyncio.wait_for(task, 2)
        journal.close()

    asyncio.run(main())
    assert heard == ["The egg timer is done."]
    row = sqlite3.connect(tmp_path / "j.sqlite3").execute("SELECT state FROM timers").fetchone()
    assert row == ("done",)


def test_a_timer_that_ended_while_the_daemon_was_down_is_announced_at_start(
    tmp_path: Path,
) -> None:
    clock = Clock()
    journal, timers = keeper(tmp_path / "j.sqlite3", clock)
    timers.handle(said("HassStartTimer", minutes=1), None)
    journal.close()
    clock.now += 3600
    heard: list[str] = []

    async def announce(text: str) -> None:
        heard.append(text)

    async def main() -> None:
        with Journal(JournalConfig(path=tmp_path / "j.sqlite3")) as again:
            timers = Timers(again, announce, clock)
            stop = asyncio.Event()
            task = asyncio.create_task(timers.run(stop))
            await asyncio.sleep(0.2)
            stop.set()
            timers._wake()
            await asyncio.wait_for(task, 2)

    asyncio.run(main())
    assert heard == ["The 1 minute timer is done."]


def test_durations_and_clock_answers_are_said_plainly() -> None:
    assert duration(3725) == "1 hour, 2 minutes and 5 seconds"
    assert duration(90) == "1 minute and 30 seconds"
    assert duration(3600) == "1 hour"
    at = dt.datetime(2026, 12, 5, 7, 5)
    assert spoken_answer(said("HassGetCurrentTime"), at) == "It is 7:05."
    assert spoken_answer(said("HassGetCurrentDate"), at) == "Today is Saturday, 5 December 2026."
    assert spoken_answer(said("HassTurnOn"), at) is None
    hello = Command(text="hi", intent="HassRespond", confidence=1.0, response="hello")
    assert spoken_answer(hello, at) == "Hello."


# --- by voice, through `edge-assistant run` --------------------------------------------------


def test_a_spoken_timer_ends_aloud_and_outlives_a_restart(tmp_path: Path, models_dir: Path) -> None:
    from tests.daemon_process import Daemon, device_config, journal_rows
    from tests.speech import say_wav

    config = device_config(tmp_path)
    journal = tmp_path / "journal.sqlite3"
    short = say_wav(tmp_path / "short.wav", ("set a timer for three seconds", 8.0))
    with Daemon(tmp_path, config, models_dir, "--audio-file", str(short), "--realtime") as daemon:
        assert daemon.finish(timeout=300) == 0, daemon.log_tail()
    # the words, not their exact recognition (another CPU's Piper may sound a little different)
    set_it = daemon.outcomes[0]
    assert set_it["intent"] == "HassStartTimer", daemon.outcomes
    seconds = re.fullmatch(r"Timer set for (\d+) seconds?\.", set_it["said"])
    assert seconds and int(seconds[1]) <= 5, daemon.outcomes
    done = f"alert: The {seconds[1]} second timer is done."
    assert done in daemon.messages(), daemon.log_tail()
    assert [r["state"] for r in journal_rows(journal, "SELECT state FROM timers")] == ["done"]

    long = say_wav(tmp_path / "long.wav", ("set a timer for ten minutes", 1.5))
    with Daemon(tmp_path, config, models_dir, "--audio-file", str(long)) as daemon:
        assert daemon.finish(timeout=300) == 0, daemon.log_tail()
    minutes = re.fullmatch(r"Timer set for (\d+) minutes\.", daemon.outcomes[0]["said"])
    assert minutes and int(minutes[1]) >= 2, daemon.outcomes
    # a new process, the same journal: the timer is still there
    ask = say_wav(tmp_path / "ask.wav", ("how much time is left on my timer", 1.5))
    with Daemon(tmp_path, config, models_dir, "--audio-file", str(ask)) as daemon:
        assert daemon.finish(timeout=300) == 0, daemon.log_tail()
    answer = daemon.outcomes[0]
    assert answer["intent"] == "HassTimerStatus", daemon.outcomes
    assert answer["said"].startswith(f"The {minutes[1]} minute timer has "), answer


# --- a command done when its timer ends ------------------------------------------------------


def test_a_command_for_later_is_checked_when_set_and_done_when_its_timer_ends(
    tmp_path: Path, models_dir: Path
) -> None:
    """ "Turn off the kitchen lights in 2 seconds" (Home Assistant: a timer with a
    conversation_command) turns them off when the timer ends, not at once and not never; a
    command that could not be done is refused when it is said, with no timer set."""
    assistant = _assistant(tmp_path, models_dir)
    lights = {d.id for d in assistant.home.devices if d.domain == "light" and d.area == "kitchen"}

    async def main():
        stop = asyncio.Event()
        task = asyncio.create_task(assistant.timers.run(stop))
        try:
            set_it = await assistant.handle(typed("turn off the kitchen lights in 2 seconds"))
            at_once = list(assistant.sink.done)
            refused = [
                await assistant.handle(typed(text))
                for text in ("unlock the front door in 5 minutes",
                             "what time is it in 5 minutes", "turn on the jacuzzi in 5 minutes")
            ]  # fmt: skip
            for _ in range(100):
                if assistant.sink.done:
                    break
                await asyncio.sleep(0.05)
            return set_it, at_once, refused
        finally:
            stop.set()
            assistant.timers._wake()
            await asyncio.wait_for(task, 5)
            assistant.close()

    set_it, at_once, refused = asyncio.run(main())
    assert set_it.command["intent"] == "HassStartTimer", set_it
    assert set_it.said == "I will turn off the kitchen lights in 2 seconds.", set_it
    assert at_once == []  # not now
    done = assistant.sink.done
    assert {a.device_id for a in done} == lights and {a.service for a in done} == {"turn_off"}
    later = assistant.outcomes[-1]
    assert later.text == "turn off the kitchen lights" and later.decision == "allow"
    assert later.said == ""  # done quietly, as asked
    # refused when said: by the daemon's check of the command, or by understanding ("what
    # time is it": only a command to the home's devices can be done later)
    assert all(o.said.startswith("I cannot do that later") or "only a command"
               in o.said for o in refused), refused  # fmt: skip
    assert "sensitive" in refused[0].said and "only a command" in refused[1].said
    assert [t.command for t in assistant.timers.live] == []  # none of the refused was set
    rows = (
        sqlite3.connect(tmp_path / "journal.sqlite3")
        .execute("SELECT decision, reason FROM decisions WHERE utterance_id IS NULL")
        .fetchall()
    )
    assert rows == [("allow", "the 2 second timer ended")]


def test_switched_on_for_a_while_is_switched_off_by_a_timer(
    tmp_path: Path, models_dir: Path
) -> None:
    """ "Turn the sprinkler on for twenty minutes": on now, and a timer set that turns it off
    (its command checked now, and kept across a restart like every timer)."""
    assistant = _assistant(tmp_path, models_dir)

    async def main():
        try:
            return await assistant.handle(typed("turn the sprinkler on for twenty minutes"))
        finally:
            assistant.close()

    outcome = asyncio.run(main())
    assert [a.device_id for a in assistant.sink.done] == ["sprinkler"]
    assert outcome.decision == "allow"
    (timer,) = assistant.timers.live
    assert timer.seconds == 20 * 60 and timer.command == "turn off the Sprinkler"
