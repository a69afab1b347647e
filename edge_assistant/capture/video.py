"""Frames from a camera, a network stream, a video file or an image sequence: newest first.

Each open of the source gets a reader thread that alone touches the capture (OpenCV's
captures are not thread-safe): it opens, reads and releases. Frames reach the event loop
through a one-slot ``_Slot``: a frame the consumer has not taken yet is replaced by the
newer one and counted in ``stats.dropped``, so the vision stage always works on the newest
frame, never on a backlog. With ``realtime=False`` (files only: tests, benchmarks) the
reader waits instead until its frame is taken, and every frame is delivered.

Nothing waits on OpenCV without a bound. Opening (which hangs on a silent network camera)
and reading happen on the reader thread; the event loop gives up after ``open_timeout_s`` /
``read_timeout_s`` and abandons a reader stuck in OpenCV, which releases its capture when
OpenCV returns. FFmpeg's own time-outs are set to twice ours: ours fire first and say what
happened, FFmpeg's free the abandoned reader.

A live source (camera, URL) lost after it has delivered is reopened for as long as it
takes, with exponential backoff; the consumer sees a gap and ``stats`` says what happened.
A first open that fails raises ``VideoSourceError``: a wrong index, URL or path is a
configuration error that retrying will not fix. Files end (or loop with ``loop``).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import math
import os
import re
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np

from edge_assistant.config.vision import VideoCaptureConfig
from edge_assistant.errors import EdgeAssistantError

log = logging.getLogger(__name__)

CAMERA, STREAM, FILE, IMAGES = "camera", "stream", "file", "images"
MIN_SIDE = 8  # smaller "frames" are raw buffers a backend failed to decode (1 x N)
CLOSE_WAIT_S = 2.0  # close() waits this long for the readers to leave OpenCV
_PRINTF = re.compile(r"%0?\d*d")
_HINTS = {
    CAMERA: "no camera there, or it is busy or not permitted; `edge-assistant devices` lists "
    "the cameras: set vision.capture.source to one of them, or to a video file",
    STREAM: "check the URL, that the camera is on and reachable from here, and that it "
    "serves video",
    FILE: "not a video file, a corrupt one, or a codec this OpenCV lacks; convert it "
    "(ffmpeg -i IN -c:v mjpeg OUT.avi)",
}


class VideoSourceError(EdgeAssistantError):
    """Video cannot be read: a bad file or pattern, or a camera or stream that cannot open."""


@dataclass(frozen=True)
class Frame:
    image: np.ndarray
    """H x W x 3 uint8, BGR, C-contiguous."""
    index: int
    """Position among the good frames this source has read (it keeps counting across loops
    and reconnects): a gap between two delivered frames is what was dropped."""
    timestamp: float
    """``time.monotonic()`` when it was read: its age is ``time.monotonic() - timestamp``."""
    pts: float | None = None
    """Seconds on the source's own clock (file position, stream time stamp), if it has one."""


@dataclass
class VideoStats:
    """What a source has read, delivered and lost so far (read it any time; it only grows)."""

    read: int = 0
    """Good frames read from the source."""
    delivered: int = 0
    """Frames handed to the consumer."""
    dropped: int = 0
    """Frames read but never delivered: replaced by a newer one before the consumer took it,
    or discarded when the source was switched off or lost. read = delivered + dropped, give
    or take the one frame waiting."""
    corrupt: int = 0
    """Frames that came back empty or not an image (skipped)."""
    reconnects: int = 0
    """Tries to reopen a lost live source, successful or not."""
    last_error: str | None = None
    """The most recent loss or failed reopen, for status pages and logs."""


def source_kind(source: str | int) -> str:
    """CAMERA (an index, a digit string, a /dev/ node), STREAM (a URL), IMAGES (a printf
    pattern such as frames/%04d.png, or a glob such as frames/*.jpg) or FILE."""
    if isinstance(source, int) or source.strip().isdigit() or source.startswith("/dev/"):
        return CAMERA
    if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://", source):
        return STREAM
    if _PRINTF.search(source) or any(c in source for c in "*?["):
        return IMAGES
    return FILE


def to_bgr(image: object) -> np.ndarray | None:
    """``image`` as H x W x 3 uint8 BGR, C-contiguous; None when it is no usable frame.

    Gray (H x W or H x W x 1) and BGRA frames are converted, 16-bit ones scaled to 8 bits;
    anything else (None, empty, tiny, another shape or dtype) is corrupt.
    """
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
        return None
    if image.shape[0] < MIN_SIDE or image.shape[1] < MIN_SIDE:
        return None
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        return None
    channels = 1 if image.ndim == 2 else image.shape[2]
    if channels == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if channels == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(image) if channels == 3 else None


def sequence_files(pattern: str) -> list[Path]:
    """The files of an image sequence pattern (printf or glob), in natural order (2 < 10)."""
    printf = _PRINTF.search(pattern)
    if printf is None:
        found = glob.glob(pattern)
    else:
        head, tail = pattern[: printf.start()], pattern[printf.end() :]
        numbered = re.compile(re.escape(head) + r"\d+" + re.escape(tail))
        candidates = glob.glob(glob.escape(head) + "*" + glob.escape(tail))
        found = [p for p in candidates if numbered.fullmatch(p)]
    key = [[int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p)] for p in found]
    return [Path(p) for _, p in sorted(zip(key, found, strict=True)) if os.path.isfile(p)]


class VideoSource:
    """Frames from ``config.source`` (see ``source_kind``); iterate ``frames()``.

    ``realtime`` (files only; live sources are always real time): True plays a file at its
    own frame rate (``config.fps`` when it has none) like a camera, dropping what the
    consumer is too slow for; False reads it as fast as the consumer takes frames, dropping
    nothing. In real time the consumer gets at most ``config.fps`` frames a second.
    ``resize``: False keeps every frame's native size (the zones are fractions of the
    frame); True scales every frame to ``config.width`` x ``config.height``.
    Cameras are asked for ``width``, ``height`` and ``fps``; what they give is logged.
    """

    def __init__(
        self, config: VideoCaptureConfig, *, realtime: bool = True, resize: bool = False
    ) -> None:
        self.config = config
        self.kind = source_kind(config.source)
        self.live = self.kind in (CAMERA, STREAM)
        self.realtime = realtime or self.live
        self.resize = resize
        self.stats = VideoStats()
        self.description = _describe(self.kind, config.source)
        if self.kind in (FILE, IMAGES):
            self._files()  # a missing or empty file fails now, not at the first frame
        self._enabled = config.enabled
        self._closed = False
        self._reading = False
        self._slot: _Slot | None = None
        self._readers: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._lock = threading.Lock()
        self._open_captures = 0
        self._index = 0
        self.down: str | None = None  # why a live source gives no frames, while retrying

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def is_open(self) -> bool:
        """True while any capture is open (a reader given up on holds its own until it ends)."""
        return self._open_captures > 0

    def set_enabled(self, enabled: bool) -> None:
        """The privacy switch (any thread): off closes the capture within a frame period and
        discards the frame not yet taken; on opens it again (a file starts over)."""
        self._enabled = enabled
        if not enabled:
            self._stop_reader()
        self._notify()

    def close(self) -> None:
        """Stop: ``frames()`` ends at its next step and the capture is released.

        Waits up to ``CLOSE_WAIT_S`` for the reader threads to leave OpenCV: a process that
        exits while a reader is inside ``read()`` is aborted ("FATAL: exception not
        rethrown": Python ends daemon threads with a forced unwind that OpenCV swallows).
        """
        self._closed = True
        self._stop_reader()
        self._notify()
        deadline = time.monotonic() + CLOSE_WAIT_S
        readers = [r for r in self._readers if r is not threading.current_thread()]
        for reader in readers:
            reader.join(max(0.0, deadline - time.monotonic()))
        if stuck := sum(r.is_alive() for r in readers):
            log.warning(
                "%s: %d reader(s) still inside OpenCV after closing", self.description, stuck
            )

    async def frames(self) -> AsyncIterator[Frame]:
        """Yield frames until the file ends or ``close()``; one consumer at a time.

        Waits (yielding nothing, the capture closed) while the privacy switch is off. Wrap
        in ``contextlib.aclosing`` to release the capture as soon as the loop is left.
        """
        if self._reading:
            raise RuntimeError(f"{self.description}: frames() already has a consumer")
        self._reading, self._loop = True, asyncio.get_running_loop()
        self._changed = asyncio.Event()
        retry: float | None = None  # wait before the next reopen; None while all is well
        opened = False
        try:
            while not self._closed:
                if not self._enabled:
                    await self._wait_change(None)
                    continue
                if retry is not None:
                    self.stats.reconnects += 1
                slot = self._start_reader()
                frame = await slot.get(self.config.open_timeout_s)
                if frame is not None and retry is not None:
                    log.info("%s back (reconnect %d)", self.description, self.stats.reconnects)
                    retry = None
                if frame is not None:
                    self.down = None
                while frame is not None:
                    opened = True
                    self.stats.delivered += 1
                    shown = self._loop.time()
                    yield frame
                    if self.realtime:  # at most config.fps frames a second
                        await asyncio.sleep(shown + 1 / self.config.fps - self._loop.time())
                    frame = await slot.get(max(self.config.read_timeout_s, 2 * slot.period))
                slot.stop()
                if self._closed or not self._enabled:
                    continue
                if slot.reason is None:
                    return  # the end of the file
                if not (opened and self.live):
                    raise VideoSourceError(self._failure(slot, opened))
                self.stats.last_error = self.down = slot.reason
                lost = retry is None
                retry = (
                    self.config.retry_initial_s if lost else min(2 * retry, self.config.retry_max_s)
                )
                what = "lost" if lost else f"reconnect {self.stats.reconnects} failed"
                log.warning(
                    "%s %s: %s; retrying in %.2f s", self.description, what, slot.reason, retry
                )
                await self._wait_change(retry)
        finally:
            self._stop_reader()
            self._reading = False

    # --- the event loop's side ------------------------------------------------------------

    def _start_reader(self) -> _Slot:
        assert self._loop is not None
        slot = _Slot(self._loop, self.stats, 1 / self.config.fps, block=not self.realtime)
        self._slot = slot
        reader = threading.Thread(target=self._read, args=(slot,), name="video-reader", daemon=True)
        self._readers = [r for r in self._readers if r.is_alive()] + [reader]
        reader.start()
        return slot

    def _stop_reader(self) -> None:
        slot = self._slot
        if slot is not None:
            slot.stop()

    async def _wait_change(self, seconds: float | None) -> None:
        """Sleep ``seconds`` (None: for ever), cut short by ``close()`` or ``set_enabled()``."""
        assert self._changed is not None
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)

    def _notify(self) -> None:
        loop, changed = self._loop, self._changed
        if loop is not None and changed is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed; nobody waits
                loop.call_soon_threadsafe(changed.set)

    def _failure(self, slot: _Slot, opened: bool) -> str:
        if not slot.timed_out:
            return str(slot.reason)
        if opened:
            return f"{self.description} stopped delivering frames: {slot.reason}"
        return (
            f"cannot open {self.description} (vision.capture.source): {slot.reason} of "
            f"opening it (vision.capture.open_timeout_s); {_HINTS[self.kind]}"
        )

    # --- the reader thread's side ---------------------------------------------------------

    def _read(self, slot: _Slot) -> None:
        """One open: read until stopped, lost or at the end (files that loop open again)."""
        pace = not self.live and self.realtime
        start, ticks = time.monotonic(), 0
        try:
            while not slot.stopped:
                capture = self._open()
                good = 0
                try:
                    slot.period = 1 / (capture.fps or self.config.fps)
                    while not slot.stopped:
                        if pace and slot.wait_stop(start + ticks * slot.period - time.monotonic()):
                            break
                        ok, raw, pts = capture.read()
                        ticks += 1
                        if not ok:
                            break
                        if (image := self._checked(raw)) is not None:
                            good += 1
                            slot.put(Frame(image, self._next_index(), time.monotonic(), pts))
                finally:
                    capture.release()
                    with self._lock:
                        self._open_captures -= 1
                if self.live and not slot.stopped:
                    slot.finish("reading failed (unplugged, switched off, or the stream ended)")
                elif not good and not slot.stopped:
                    slot.finish(f"{self.description}: no readable frame in it; {_HINTS[FILE]}")
                elif not self.config.loop:
                    slot.finish(None)
                if slot.done:
                    return
        except VideoSourceError as exc:
            slot.finish(str(exc))
        except Exception as exc:  # a surprise from OpenCV: show where, and call it a loss
            log.exception("%s: reading failed", self.description)
            slot.finish(f"{self.description}: {type(exc).__name__}: {exc}")

    def _open(self) -> _Capture:
        if self.kind == IMAGES:
            capture: _Capture = _ImageFiles(self._files())
        else:
            cap = self._video_capture()
            if not cap.isOpened():
                cap.release()
                raise VideoSourceError(
                    f"cannot open {self.description} (vision.capture.source): "
                    f"{_HINTS[FILE if self.kind == FILE else self.kind]}"
                )
            capture = _CvCapture(cap)
        with self._lock:
            self._open_captures += 1
        return capture

    def _video_capture(self) -> cv2.VideoCapture:
        source, config = self.config.source, self.config
        if self.kind == STREAM:
            ms = [1000 * config.open_timeout_s * 2, 1000 * config.read_timeout_s * 2]
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms[0], cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms[1]]
            return cv2.VideoCapture(str(source), cv2.CAP_FFMPEG, [int(p) for p in params])
        if self.kind == FILE:
            return cv2.VideoCapture(str(self._files()[0]))
        if isinstance(source, int) or source.strip().isdigit():
            cap = cv2.VideoCapture(int(source))
        else:
            cap = cv2.VideoCapture(source, cv2.CAP_V4L2)
        if cap.isOpened():
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, config.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, config.height)
            cap.set(cv2.CAP_PROP_FPS, config.fps)
            got = [cap.get(p) for p in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT)]
            log.info(
                "%s: %gx%g at %g fps (asked for %dx%d at %g fps)",
                self.description,
                *got,
                cap.get(cv2.CAP_PROP_FPS),
                config.width,
                config.height,
                config.fps,
            )
        return cap

    def _checked(self, raw: object) -> np.ndarray | None:
        image = to_bgr(raw)
        if image is None:
            self.stats.corrupt += 1
            n = self.stats.corrupt
            if n in (1, 10, 100) or n % 1000 == 0:
                log.warning("%s: %d corrupt frame(s) skipped so far", self.description, n)
            return None
        self.stats.read += 1
        size = (self.config.width, self.config.height)
        if self.resize and image.shape[1::-1] != size:
            shrink = image.shape[1] > size[0]
            interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            image = cv2.resize(image, size, interpolation=interpolation)
        return image

    def _next_index(self) -> int:
        with self._lock:
            self._index += 1
            return self._index - 1

    def _files(self) -> list[Path]:
        """The file, or the files of the image sequence; VideoSourceError when unusable."""
        source = str(self.config.source)
        if self.kind == IMAGES:
            files = sequence_files(source)
            if not files:
                raise VideoSourceError(
                    f"{source}: no files match this image sequence pattern "
                    "(vision.capture.source); check the folder and the pattern"
                )
            return files
        path = Path(source)
        problem = (
            "no such file; check the path"
            if not path.exists()
            else "not a file; give a video file or an image sequence pattern"
            if not path.is_file()
            else "permission denied; make it readable (chmod)"
            if not os.access(path, os.R_OK)
            else "the file is empty (0 bytes); record or copy it again"
            if path.stat().st_size == 0
            else None
        )
        if problem:
            raise VideoSourceError(f"{path} (vision.capture.source): {problem}")
        return [path]


class _Slot:
    """One reader's frames to the consumer, one at a time, the newest winning.

    A frame not taken yet is replaced (counted as dropped); with ``block`` the reader waits
    until it is taken instead. The reader ends with ``finish`` (reason None: the end of the
    file); the consumer with ``stop``, after which frames are discarded.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, stats: VideoStats, period: float, block: bool
    ) -> None:
        self.period = period  # seconds between frames, once the reader knows
        self._loop, self._stats, self._block = loop, stats, block
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._ready = asyncio.Event()
        self.done = self.stopped = self.timed_out = False
        self.reason: str | None = None  # why the reader finished; None: the end of a file

    def put(self, frame: Frame) -> None:
        with self._cond:
            while self._block and self._frame is not None and not self.stopped:
                self._cond.wait()
            if self.stopped or self._frame is not None:
                self._stats.dropped += 1
            if not self.stopped:
                self._frame = frame
        self._wake()

    def finish(self, reason: str | None, timed_out: bool = False) -> None:
        with self._cond:
            if not self.done:
                self.done, self.reason, self.timed_out = True, reason, timed_out
        self._wake()

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            if self._frame is not None:
                self._stats.dropped += 1
                self._frame = None
            self._cond.notify_all()
        self._wake()

    def wait_stop(self, seconds: float) -> bool:
        """Sleep ``seconds`` on the reader thread; True (at once) when stopped meanwhile."""
        with self._cond:
            return self._cond.wait_for(lambda: self.stopped, max(0.0, seconds))

    async def get(self, timeout: float) -> Frame | None:
        """The next frame; None once finished (see ``reason``), stopped or silent too long."""
        deadline = self._loop.time() + timeout
        while True:
            with self._cond:
                if self._frame is not None:
                    frame, self._frame = self._frame, None
                    self._cond.notify_all()
                    return frame
                if self.done or self.stopped:
                    return None
                self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), deadline - self._loop.time())
            except TimeoutError:
                self.finish(f"no frame within {timeout:g} s", timed_out=True)

    def _wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed; nobody is waiting
            self._loop.call_soon_threadsafe(self._ready.set)


class _Capture(Protocol):
    fps: float | None

    def read(self) -> tuple[bool, object, float | None]: ...  # ok (False: end), image, pts

    def release(self) -> None: ...


class _CvCapture:
    def __init__(self, cap: cv2.VideoCapture) -> None:
        self._cap = cap
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 0 < fps <= 240 else None

    def read(self) -> tuple[bool, object, float | None]:
        ok, image = self._cap.read()
        ms = self._cap.get(cv2.CAP_PROP_POS_MSEC) if ok else -1
        return ok, image, ms / 1000 if ms >= 0 and math.isfinite(ms) else None

    def release(self) -> None:
        self._cap.release()


class _ImageFiles:
    """One image per frame. IMREAD_UNCHANGED: gray, BGRA and 16-bit images reach ``to_bgr``
    like any other odd frame, and an unreadable file is one corrupt frame, not the end."""

    fps = None

    def __init__(self, files: list[Path]) -> None:
        self._files = iter(files)

    def read(self) -> tuple[bool, object, float | None]:
        path = next(self._files, None)
        if path is None:
            return False, None, None
        return True, cv2.imread(str(path), cv2.IMREAD_UNCHANGED), None

    def release(self) -> None:
        pass


def _describe(kind: str, source: str | int) -> str:
    if kind == STREAM:  # never log a password
        parts = urlsplit(str(source))
        if parts.password is not None:
            host = parts.netloc.rsplit("@", 1)[1]
            source = urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    return {CAMERA: "camera", STREAM: "stream", FILE: "video file", IMAGES: "images"}[
        kind
    ] + f" {source}"
