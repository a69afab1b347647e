"""The daemon's failure policy (daemon/supervisor.py) on real asyncio tasks: a failing task
is restarted with growing waits and reported, one that keeps failing makes the exit code 1,
a connection loop that ends is fatal, a source that is down shows in the snapshot; and a
command that waited past its time to live is journaled as expired, not acted on."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import sqlite3
import time
from pathlib import Path

import pytest
import soundfile as sf

from edge_assistant.audio.asr.two_pass import Recognition
from edge_assistant.audio.listener import TranscriptEvent
from edge_assistant.audio.synthesize import silence
from edge_assistant.config.daemon import SupervisionConfig
from edge_assistant.config.device import load_device_config
from edge_assistant.daemon.build import build
from edge_assistant.daemon.outcome import Heard
from edge_assistant.daemon.supervisor import Supervisor
from edge_assistant.journal.database import JournalError
from tests.conftest import REPO

FAST = SupervisionConfig(restart_initial_s=0.05, restart_max_s=0.2, max_restarts=3)


def test_a_failing_task_is_restarted_with_growing_waits_then_recovers() -> None:
    starts: list[float] = []
    resets: list[int] = []

    async def flaky() -> None:
        starts.append(time.monotonic())
        if len(starts) <= 3:
            raise RuntimeError(f"failure {len(starts)}")
        await asyncio.sleep(10)

    async def main() -> tuple[dict, bool, int]:
        supervisor = Supervisor(FAST)
        supervisor.start("hear", flaky, on_restart=lambda: resets.append(len(starts)))
        while len(starts) < 4:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.01)
        snapshot, healthy = supervisor.snapshot(), supervisor.healthy
        await supervisor.stop()
        return snapshot, healthy, supervisor.exit_code

    snapshot, healthy, code = asyncio.run(main())
    assert snapshot["hear"]["state"] == "running" and snapshot["hear"]["restarts"] == 3
    assert snapshot["hear"]["error"] == "RuntimeError: failure 3"  # the last failure stays
    assert healthy and code == 0
    assert resets == [1, 2, 3]  # state reset before each restart
    waits = [b - a for a, b in itertools.pairwise(starts)]
    assert waits[0] >= 0.04 and waits[1] >= 0.08 and waits[2] >= 0.16, waits  # doubling, jitter


def test_a_task_that_keeps_failing_ends_the_daemon_with_exit_code_1() -> None:
    async def broken() -> None:
        raise ValueError("always")

    async def steady() -> None:
        await asyncio.sleep(10)

    async def main() -> Supervisor:
        supervisor = Supervisor(FAST)
        supervisor.start("see", broken)
        supervisor.start("commands", steady)
        await asyncio.wait_for(supervisor.wait(asyncio.Event()), 5)
        await supervisor.stop()
        return supervisor

    supervisor = asyncio.run(main())
    assert supervisor.exit_code == 1
    assert supervisor.fatal == "task see keeps failing: ValueError: always"
    assert supervisor.tasks["see"].state == "failed" and supervisor.tasks["see"].restarts == 3


def test_an_input_that_ends_ends_the_daemon_cleanly_and_stop_is_not_a_failure() -> None:
    async def file_over() -> None:
        await asyncio.sleep(0.01)

    async def forever() -> None:
        await asyncio.sleep(10)

    async def main() -> Supervisor:
        supervisor = Supervisor(FAST)
        supervisor.start("hear", file_over, ends_daemon=True)
        supervisor.start("watchdog", forever)
        await asyncio.wait_for(supervisor.wait(asyncio.Event()), 5)
        await supervisor.stop()
        return supervisor

    supervisor = asyncio.run(main())
    assert supervisor.exit_code == 0 and supervisor.fatal is None
    assert supervisor.snapshot()["hear"]["state"] == "done"
    assert supervisor.snapshot()["watchdog"]["state"] == "stopped"


def test_an_adopted_connection_loop_that_ends_is_fatal() -> None:
    async def loop_with_a_bug() -> None:
        await asyncio.sleep(0.01)
        raise KeyError("state")

    async def main() -> Supervisor:
        supervisor = Supervisor(FAST)
        supervisor.adopt("mqtt-sink", asyncio.create_task(loop_with_a_bug()))
        await asyncio.wait_for(supervisor.wait(asyncio.Event()), 5)
        return supervisor

    supervisor = asyncio.run(main())
    assert supervisor.exit_code == 1
    assert supervisor.fatal == "task mqtt-sink stopped: KeyError: 'state'"


def test_a_missing_source_shows_the_task_down_until_it_is_back() -> None:
    reason: list[str | None] = ["no audio input devices"]

    async def waiting() -> None:
        await asyncio.sleep(10)

    async def main() -> list[tuple[str, bool]]:
        supervisor = Supervisor(FAST)
        supervisor.start("hear", waiting, down=lambda: reason[0])
        await asyncio.sleep(0.01)
        seen = [(supervisor.snapshot()["hear"]["state"], supervisor.healthy)]
        reason[0] = None
        seen.append((supervisor.snapshot()["hear"]["state"], supervisor.healthy))
        await supervisor.stop()
        return seen

    assert asyncio.run(main()) == [("down", False), ("running", True)]


def test_a_command_past_its_time_to_live_is_journaled_expired_not_acted_and_journal_failure_fails(
    tmp_path: Path, models_dir: Path
) -> None:
    """A transcript that waited in the queue longer than actions.ttl_s since its speech
    ended: journaled with fate expired and the wait, no decision, no action (before, it got
    a fresh ttl when it left the queue: a light switching a minute after it was asked)."""
    device = load_device_config("cpu")
    cfg = device.config
    device = dataclasses.replace(device, config=cfg.model_copy(update={
        "journal": cfg.journal.model_copy(update={"path": tmp_path / "journal.sqlite3"}),
        "daemon": cfg.daemon.model_copy(update={"speak": False, "health_port": 0}),
    }))  # fmt: skip
    audio = tmp_path / "quiet.wav"
    sf.write(audio, silence(0.5), 16000)
    assistant, _, _ = build(device, REPO / "examples" / "home.yaml", audio, None, False, models_dir)
    recognition = Recognition("turn on the kitchen light", "pocketsphinx", True, ())
    event = TranscriptEvent(recognition, 0, 16000, 17000, 5.0)
    ttl = cfg.actions.ttl_s
    stale = Heard(event, None, None, ended=time.monotonic() - ttl - 1, ended_wall=time.time())
    fresh = Heard.of(event, None, None)

    async def main():
        try:
            results = await assistant.handle(stale), await assistant.handle(fresh)
            # a journal that cannot write: the commands task fails (for the supervisor to
            # restart, then exit 1), it does not go on acting without a record
            assistant.journal.close()
            await assistant._transcripts.put(Heard.of(event, None, None))
            with pytest.raises(JournalError, match="closed"):
                await asyncio.wait_for(assistant.handle_commands(), 10)
            return results
        finally:
            assistant.close()

    expired, done = asyncio.run(main())
    assert expired.decision == "expired" and expired.actions == []
    assert expired.reason.startswith(f"waited {ttl + 1:.0f}.") and "actions.ttl_s" in expired.reason
    assert done.decision == "allow" and done.actions and all(a["ok"] for a in done.actions)
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        fates = db.execute("SELECT fate, reason FROM unhandled").fetchall()
        decisions = db.execute("SELECT decision FROM decisions").fetchall()
    assert [f for f, _ in fates] == ["expired"] and decisions == [("allow",)]


@pytest.mark.parametrize("bad", [0, -1])
def test_supervision_config_rejects_impossible_waits(bad: float) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="restart_initial_s"):
        SupervisionConfig(restart_initial_s=bad)
