"""The vision path of the daemon: frames from the camera (or a file) through the vision
pipeline, on a thread of its own, keeping the newest view of the room.

A live camera that cannot be opened (an IP camera still booting after a power cut) is
retried with doubling waits (``down`` says why meanwhile); a file that cannot be read is a
failure of the task, which the daemon's supervisor restarts and, when it keeps failing,
turns into a non-zero exit. A live camera's view is forgotten once no frame has come for the tracker's
``vanish_s``: a face seen before the camera was lost must not verify a command.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from edge_assistant.config.vision import VisionConfig
from edge_assistant.daemon import metrics
from edge_assistant.vision.context import VisionContext

log = logging.getLogger("edge_assistant.daemon.assistant")
GESTURES = ("thumbs_up", "thumbs_down")  # answers to a pending confirmation


class Watcher:
    def __init__(self, pipeline, config: VisionConfig) -> None:  # pipeline: VisionPipeline
        self.pipeline, self.config = pipeline, config
        self.context = VisionContext(camera=False)
        self.frame_ms: deque[float] = deque(maxlen=4096)  # vision time per frame, newest last
        self._frame_at = -math.inf  # time.monotonic() of the newest processed frame
        self._live = False
        self._source = None
        self._unavailable: str | None = None  # a live camera that could not be opened
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="vision")

    async def run(
        self,
        source,
        stopping: asyncio.Event,
        on_gesture: Callable[[str], Awaitable[None]],
    ) -> None:
        """Task: watch ``source`` until it ends or ``stopping`` is set; a thumbs up or down
        goes to ``on_gesture``."""
        from edge_assistant.capture.video import VideoSourceError

        capture = self.config.capture
        wait = capture.retry_initial_s
        self._live = bool(getattr(source, "live", False))
        self._source = source
        while not stopping.is_set():
            try:
                await self._watch(source, stopping, on_gesture)
                return
            except VideoSourceError as exc:
                if not self._live:
                    raise  # a file that cannot be read: a failure of the task (supervisor)
                metrics.ERRORS.inc()
                self._unavailable = str(exc)
                log.error("camera unavailable (retrying in %.1f s): %s", wait, exc)
                await asyncio.sleep(wait)
                wait = min(wait * 2, capture.retry_max_s)

    async def _watch(self, source, stopping: asyncio.Event, on_gesture) -> None:
        loop = asyncio.get_running_loop()
        async for frame in source.frames():
            try:
                result = await loop.run_in_executor(
                    self._pool, self.pipeline.process, frame.image, frame.timestamp
                )
            except Exception:  # one bad frame or model error: log it, keep watching
                log.exception("vision failed on frame %d", frame.index)
                metrics.ERRORS.inc()
                continue
            self._unavailable = None
            self.context = result.context
            self._frame_at = time.monotonic()
            self.frame_ms.append(result.timings.get("total", 0.0))
            metrics.FRAMES.inc()
            if result.context.gesture in GESTURES:
                await on_gesture(result.context.gesture)
            if stopping.is_set():
                break

    @property
    def down(self) -> str | None:
        """Why a live camera gives no frames now (while it is retried), or None."""
        return self._unavailable or getattr(self._source, "down", None)

    def seen(self) -> VisionContext:
        """What the camera sees now: nothing without a camera, nothing once a live camera
        has been silent for ``tracker.vanish_s``; a video file keeps its last view."""
        if self.pipeline is None:
            return VisionContext(camera=False)
        stale = time.monotonic() - self._frame_at > self.config.tracker.vanish_s
        if self._live and stale:
            return VisionContext(camera=False)
        return self.context

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
