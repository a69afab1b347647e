"""Commands done later: a timer with a command ("turn off the kitchen lights in 5 minutes",
Home Assistant's ``conversation_command``) does it when it ends.

The command is checked when the timer is set, so a command that could not be done is
refused then, not found out when nobody is listening; and it is understood again when the
timer ends, against the home as it is then, in the area the timer was set in. Only device
actions (and custom intents that act) are done later; a sensitive device (a lock, the alarm)
never is: nobody is there to verify the speaker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor

from edge_assistant.actions.base import NOT_ACTIONS, ActionError, actions_for
from edge_assistant.daemon.acting import Actor
from edge_assistant.daemon.outcome import Outcome, summary
from edge_assistant.daemon.timers import TIMER_INTENTS, Timer
from edge_assistant.home.model import Home
from edge_assistant.journal.journal import Journal
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.intents import Command
from edge_assistant.understanding.understand import Understander


def problem_later(command: Command, home: Home) -> str | None:
    """Why ``command`` cannot be done later, or None when it can."""
    if not command.understood:
        return f"I did not understand {command.text!r} ({command.reason or 'no intent'})"
    if command.intent in TIMER_INTENTS or command.intent in NOT_ACTIONS:
        return "only a command to the home's devices can be done later"
    if command.decision == "ask":
        return f"I was not sure enough of {command.text!r} to do it with nobody to ask"
    if command.needs_verification:
        return "a sensitive device is never controlled later, with nobody there to verify"
    try:
        if not actions_for(command, home):
            return "there would be nothing to do"
    except ActionError as exc:
        return str(exc)
    return None


class Later:
    def __init__(
        self,
        understander: Callable[[], Understander],
        actor: Actor,
        journal: Journal,
        pool: Executor,
        home: Callable[[], Home],
        ttl_s: float,
        finish: Callable[[Outcome], Awaitable[None]],
    ) -> None:
        self.understander, self.actor, self.journal, self.pool = understander, actor, journal, pool
        self.home, self.ttl_s, self.finish = home, ttl_s, finish

    async def check(self, text: str, context: Context) -> str | None:
        """Why the command of a timer being set could not be done, or None."""
        command = await asyncio.get_running_loop().run_in_executor(
            self.pool, self.understander().understand, text, context
        )
        return problem_later(command, self.home())

    async def do(self, timer: Timer) -> Outcome:
        """The command of a timer that ended: understood again, journaled, done (or said why
        not), its outcome handed on like any other."""
        loop = asyncio.get_running_loop()
        home = self.home()
        area = next((a.id for a in home.areas if a.name == timer.area), None)
        text = timer.command or ""
        command = await loop.run_in_executor(
            self.pool, self.understander().understand, text, Context(satellite_area=area)
        )
        problem = problem_later(command, home)
        decision, reason = ("refuse", problem) if problem else ("allow", f"{timer.called()} ended")
        decision_id = await loop.run_in_executor(
            self.pool, lambda: self.journal.decision(
                utterance_id=None, command=command.to_json(), decision=decision, reason=reason,
            ),
        )  # fmt: skip
        outcome = Outcome(text, command.to_json(), decision, reason)
        if problem:
            outcome.said = f"{timer.called().capitalize()} ended, but I did not {text}: {problem}."
        else:
            deadline = time.monotonic() + self.ttl_s
            outcome.actions = await self.actor.act(command, home, decision_id, deadline)
            if not all(a["ok"] for a in outcome.actions):  # done quietly, as asked; else why
                outcome.said = summary(outcome.actions)
        await self.finish(outcome)
        return outcome
