"""One failure policy for every task of the daemon: a task that fails is restarted with
backoff, and when it keeps failing the daemon stops with a non-zero exit code, so that
systemd (``Restart=on-failure``) starts it afresh. Nothing dies silently, and no path exits
0 after a failure.

* A *supervised* task is made by a factory; when it raises it is logged, counted in
  ``edge_assistant_task_restarts``, and started again after a wait that doubles from
  ``restart_initial_s`` up to ``restart_max_s`` (with jitter). More than ``max_restarts``
  failures within ``restart_window_s`` make the failure fatal.
* A source that is missing (a microphone or camera unplugged, or not there at start) is not
  a failure: the source retries it with backoff for as long as it takes, and the task shows
  as ``down`` with the source's reason meanwhile (the same for microphone and camera).
* An *adopted* task (a sink's or the arbiter's connection loop, which retries the network
  on its own) cannot be remade here: if it ever ends while the daemon runs, that is fatal.
* A task may also end normally: an audio file that is over ends the daemon (``ends_daemon``),
  a video file that is over only ends watching.

``/health`` reads ``snapshot()``: each task's state (``running``, ``restarting``, ``down``
with the reason its source gives, ``done``, ``failed``), its restarts
and last error; the daemon is ``ok`` only while every task is running or done.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from edge_assistant.config.daemon import SupervisionConfig
from edge_assistant.daemon import metrics

log = logging.getLogger(__name__)

Factory = Callable[[], Awaitable[None]]


@dataclass
class TaskState:
    name: str
    state: str = "starting"  # running | restarting | down | done | failed | stopped
    restarts: int = 0
    error: str = ""  # the last failure, or why a source is down
    since: float = field(default_factory=time.monotonic)
    failures: deque[float] = field(default_factory=lambda: deque(maxlen=64))

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "restarts": self.restarts,
            "error": self.error,
            "for_s": round(time.monotonic() - self.since, 1),
        }


class Supervisor:
    def __init__(self, config: SupervisionConfig) -> None:
        self.config = config
        self.tasks: dict[str, TaskState] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._down: dict[str, Callable[[], str | None]] = {}
        self._stopping = False
        self._ended = asyncio.Event()  # a fatal failure, or a task that ends the daemon
        self.fatal: str | None = None  # why the daemon must exit non-zero

    # --- starting ------------------------------------------------------------------------
    def start(
        self,
        name: str,
        factory: Factory,
        *,
        ends_daemon: bool = False,
        on_restart: Callable[[], None] | None = None,
        down: Callable[[], str | None] | None = None,
    ) -> None:
        """Run ``factory()`` as the task ``name`` under the restart policy. ``ends_daemon``:
        its normal end (an audio file that is over) stops the daemon with exit code 0.
        ``on_restart`` runs before each restart (to reset state the failure left behind).
        ``down``: why the running task cannot do its job now (a microphone or camera that is
        missing and being retried), or None; health reports the task ``down`` meanwhile."""
        state = self._state(name)
        if down is not None:
            self._down[name] = down
        self._running[name] = asyncio.create_task(
            self._supervise(state, factory, ends_daemon, on_restart), name=name
        )

    def adopt(self, name: str, task: asyncio.Task[Any] | None) -> None:
        """Watch a task that retries on its own (a connection loop): it never ends while the
        daemon runs, so if it does, the daemon exits non-zero."""
        if task is None:
            return
        state = self._state(name)
        state.state = "running"
        task.add_done_callback(lambda t: self._adopted_ended(state, t))

    def _state(self, name: str) -> TaskState:
        if name in self.tasks:
            raise ValueError(f"task {name!r} is already supervised")
        state = self.tasks[name] = TaskState(name)
        metrics.TASK_UP.labels(name).set(0)
        metrics.TASK_RESTARTS.labels(name)
        return state

    # --- waiting and stopping ------------------------------------------------------------
    async def wait(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set, a task that ends the daemon ends, or a failure is fatal."""
        stopper = asyncio.ensure_future(stop.wait())
        ended = asyncio.ensure_future(self._ended.wait())
        try:
            await asyncio.wait({stopper, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (stopper, ended):
                waiter.cancel()

    async def stop(self, *names: str, timeout_s: float | None = None) -> None:
        """Cancel the named tasks (all when none are named) and wait for them."""
        self._stopping = not names or self._stopping
        chosen = [self._running[n] for n in (names or list(self._running)) if n in self._running]
        for task in chosen:
            if not task.done():
                task.cancel()
        if chosen:
            await asyncio.wait(chosen, timeout=timeout_s)
        for name in names or list(self._running):
            state = self.tasks.get(name)
            if state is not None and state.state not in ("done", "failed"):
                self._set(state, "stopped")

    def task(self, name: str) -> asyncio.Task[None] | None:
        return self._running.get(name)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Each task's state, restarts and last error (a running task whose source is
        missing is ``down``, with the source's reason)."""
        self._probe()
        return {name: state.to_json() for name, state in self.tasks.items()}

    @property
    def healthy(self) -> bool:
        self._probe()
        return all(s.state in ("running", "done", "stopped") for s in self.tasks.values())

    def _probe(self) -> None:
        for name, probe in self._down.items():
            state = self.tasks[name]
            if state.state not in ("running", "down"):
                continue
            try:
                reason = probe()
            except Exception as exc:  # a broken probe must not break /health
                reason = f"unknown ({exc!r})"
            if reason is None and state.state == "down":
                self._set(state, "running")
            elif reason is not None and (state.state != "down" or state.error != reason):
                state.error = reason
                self._set(state, "down")

    @property
    def exit_code(self) -> int:
        """1 after a fatal failure or with a task still failing at the end, else 0."""
        failing = any(s.state in ("restarting", "failed") for s in self.tasks.values())
        return 1 if self.fatal or failing else 0

    # --- internals -----------------------------------------------------------------------
    async def _supervise(
        self,
        state: TaskState,
        factory: Factory,
        ends_daemon: bool,
        on_restart: Callable[[], None] | None,
    ) -> None:
        cfg = self.config
        wait = cfg.restart_initial_s
        while True:
            self._set(state, "running")
            try:
                await factory()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                now = time.monotonic()
                state.failures.append(now)
                state.error = f"{type(exc).__name__}: {exc}"
                recent = [t for t in state.failures if now - t <= cfg.restart_window_s]
                if len(recent) > cfg.max_restarts:
                    log.critical(
                        "task %s failed %d times within %.0f s, the last with %s; stopping "
                        "the daemon (exit code 1) so that it is started afresh",
                        state.name, len(recent), cfg.restart_window_s, state.error,
                        exc_info=exc,
                    )  # fmt: skip
                    self._set(state, "failed")
                    self._die(f"task {state.name} keeps failing: {state.error}")
                    return
                delay = wait * random.uniform(0.8, 1.2)
                state.restarts += 1
                metrics.TASK_RESTARTS.labels(state.name).inc()
                metrics.ERRORS.inc()
                log.error(
                    "task %s failed (%s); restarting it in %.1f s (restart %d)",
                    state.name, state.error, delay, state.restarts, exc_info=exc,
                )  # fmt: skip
                self._set(state, "restarting")
                await asyncio.sleep(delay)
                wait = min(wait * 2, cfg.restart_max_s)
                if on_restart is not None:
                    try:
                        on_restart()
                    except Exception as reset_exc:
                        self._set(state, "failed")
                        self._die(f"task {state.name} could not be reset: {reset_exc!r}")
                        return
                continue
            # a normal end
            self._set(state, "done")
            if ends_daemon and not self._stopping:
                log.info("task %s is done (its input is over): stopping", state.name)
                self._ended.set()
            return

    def _adopted_ended(self, state: TaskState, task: asyncio.Task[Any]) -> None:
        if self._stopping or task.cancelled():
            self._set(state, "stopped")
            return
        exc = task.exception()
        state.error = f"{type(exc).__name__}: {exc}" if exc else "ended unexpectedly"
        log.critical("task %s stopped (%s); stopping the daemon (exit code 1)",
                     state.name, state.error, exc_info=exc)  # fmt: skip
        self._set(state, "failed")
        self._die(f"task {state.name} stopped: {state.error}")

    def _die(self, reason: str) -> None:
        if self.fatal is None:
            self.fatal = reason
        self._ended.set()

    def _set(self, state: TaskState, value: str) -> None:
        if state.state != value:
            state.state, state.since = value, time.monotonic()
        if value == "running" and not state.restarts:
            state.error = ""  # back from down; after a restart the last failure stays shown
        metrics.TASK_UP.labels(state.name).set(1 if value in ("running", "done") else 0)
