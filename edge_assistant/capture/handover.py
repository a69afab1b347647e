"""The hand-over from PortAudio's thread to the event loop: bounded, and loud when it drops.

PortAudio calls back on its own thread for every block; the event loop reads them whenever
it gets to it. ``BlockHandover`` sits in between. It is a deque under a lock rather than an
asyncio.Queue so that the "full?" check happens on the PortAudio thread: nothing piles up
in the loop's callback list while the loop is busy. When full, the new block is dropped,
which keeps what is queued contiguous. ``LossReport`` puts every loss in the log, at most
once a second, with the running totals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from edge_assistant.capture.audio import CaptureStats

log = logging.getLogger(__name__)


class BlockHandover:
    """Blocks from the PortAudio thread to one event-loop consumer, at most ``maxsize``.

    A deque under a lock rather than an asyncio.Queue: the full check happens on the
    PortAudio thread, so nothing piles up in the loop's callback list while it is busy.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._blocks: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._ready = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.lost: str | None = None  # why the current stream ended
        self.closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def reset(self) -> None:
        """Forget the last stream (its late blocks and its loss) before opening a new one."""
        with self._lock:
            self._blocks.clear()
            self.lost = None

    def put(self, block: np.ndarray) -> bool:
        """Queue ``block`` (any thread); False when the buffer is full and it was dropped."""
        with self._lock:
            if len(self._blocks) >= self._maxsize:
                return False
            self._blocks.append(block)
            wake = len(self._blocks) == 1  # the consumer may be waiting on an empty buffer
        if wake:
            self._wake()
        return True

    def lose(self, reason: str) -> None:
        """The stream is gone (any thread); ``get`` says so once the queued blocks are read."""
        with self._lock:
            self.lost = self.lost or reason
        self._wake()

    def close(self) -> None:
        """No more blocks will be wanted (any thread); wakes the consumer."""
        self.closed = True
        self._wake()

    async def get(self, timeout: float) -> np.ndarray | None:
        """The next block; None when closed, or lost, or silent for ``timeout`` seconds."""
        while True:
            with self._lock:
                if self._blocks and not self.closed:
                    return self._blocks.popleft()
                if self.lost is not None or self.closed:
                    return None
                self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                self.lose(f"no audio for {timeout:g} s")

    async def closed_within(self, seconds: float) -> bool:
        """Wait ``seconds``, or less when ``close()`` is called meanwhile; True if it was."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self.closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._ready.clear()  # a late wake-up from the lost stream must not cut the wait
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), remaining)
        return True

    def _wake(self) -> None:
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed; nobody is waiting
            loop.call_soon_threadsafe(self._ready.set)


class LossReport:
    """Logs lost audio at most once per ``every_s``, with the running totals."""

    def __init__(
        self,
        stats: CaptureStats,
        buffer_blocks: int,
        every_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._every_s = every_s
        self._stats = stats
        self._buffer_blocks = buffer_blocks
        self._clock = clock
        self._last = -float("inf")

    def lost(self) -> None:
        now = self._clock()
        if now - self._last < self._every_s:
            return
        self._last = now
        log.warning(
            "audio lost so far: %d blocks dropped (hand-over buffer of %d blocks full: the "
            "consumer is too slow), %d input overflows reported by PortAudio",
            self._stats.dropped,
            self._buffer_blocks,
            self._stats.overflows,
        )
