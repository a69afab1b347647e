"""Run blocking inference off the asyncio event loop, with bounded concurrency.

Every stage that calls a model from async code goes through one of these: the call runs
on the executor's worker threads (``LoadedModel.run`` is thread-safe), and at most
``max_pending`` calls are in flight, so a slow model applies back-pressure to its caller
instead of growing a hidden queue.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class InferenceExecutor:
    def __init__(self, name: str, workers: int = 1, max_pending: int = 4) -> None:
        if workers < 1 or max_pending < workers:
            raise ValueError("need workers >= 1 and max_pending >= workers")
        self.name = name
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"infer-{name}")
        self._slots = asyncio.Semaphore(max_pending)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Await ``fn(*args, **kwargs)`` run on a worker thread."""
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> InferenceExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
