"""Video capture on real things: MJPG files and PNG sequences written here, and for live
sources an IP camera on 127.0.0.1 (multipart JPEG over HTTP, read by OpenCV's FFmpeg), which
can stall, hang up or refuse on cue. There is no webcam here: an absent one is tested as
absent.

Every frame carries its number (rows 0-40 at 6 x n) and, from the camera, the connection it
came on (rows 40-60 at 50 x connection), so order, drops and reconnects can be read back
from the pixels after JPEG.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_assistant.capture.video import (
    CAMERA,
    FILE,
    IMAGES,
    STREAM,
    Frame,
    VideoSource,
    VideoSourceError,
    source_kind,
    to_bgr,
)
from edge_assistant.config.vision import VideoCaptureConfig

W, H = 160, 120


def numbered(n: int, connection: int = 0) -> np.ndarray:
    image = np.zeros((H, W, 3), np.uint8)
    image[:40] = 6 * n
    image[40:60] = 50 * connection
    cv2.putText(image, str(n), (10, 105), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 2)
    return image


def number_of(frame: Frame) -> int:
    return round(float(frame.image[4:36].mean()) / 6)


def connection_of(frame: Frame) -> int:
    return round(float(frame.image[44:56].mean()) / 50)


def write_video(path: Path, count: int = 40, fps: float = 20.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (W, H))
    assert writer.isOpened()
    for n in range(count):
        writer.write(numbered(n))
    writer.release()
    return path


def config(source: str | int | Path, **fields: object) -> VideoCaptureConfig:
    return VideoCaptureConfig(source=str(source) if isinstance(source, Path) else source, **fields)


async def collect(
    source: VideoSource, limit: int | None = None, delay: float = 0.0, timeout: float = 30.0
) -> list[Frame]:
    """Frames until the source ends or ``limit``; ``delay`` s of "work" after each one."""
    frames: list[Frame] = []

    async def run() -> None:
        async with contextlib.aclosing(source.frames()) as stream:
            async for frame in stream:
                frames.append(frame)
                if limit is not None and len(frames) >= limit:
                    return
                await asyncio.sleep(delay)

    await asyncio.wait_for(run(), timeout)
    return frames


async def until(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``condition()`` holds; fails the test after ``timeout``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "timed out"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


def consume_in_background(source: VideoSource, frames: list[Frame]) -> asyncio.Task[None]:
    async def run() -> None:
        async with contextlib.aclosing(source.frames()) as stream:
            async for frame in stream:
                frames.append(frame)

    return asyncio.create_task(run())


# --- a live camera on 127.0.0.1 ---------------------------------------------------------------


class IpCamera:
    """Multipart JPEG over HTTP at 20 fps. ``script`` says what each connection does, in
    order, the last one repeating: ("stream", 0) for ever; ("stall", n) n frames, then
    silence with the connection open; ("close", n) n frames, then hang up; ("refuse", code)
    an HTTP error."""

    def __init__(self, script: list[tuple[str, int]]) -> None:
        self.script = script
        self.connections = 0  # GETs answered
        self.active = 0  # connections being streamed to right now
        self.stopping = threading.Event()
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                camera.serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/video.mjpg"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        self.connections += 1
        connection = self.connections
        what, n = self.script[min(connection, len(self.script)) - 1]
        if what == "refuse":
            request.send_error(n)
            return
        request.send_response(200)
        request.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        request.end_headers()
        self.active += 1
        try:
            sent = 0
            while not self.stopping.is_set():
                if what != "stream" and sent == n:
                    if what == "close":
                        return
                    self.stopping.wait(0.05)  # stalled: silent, the connection held open
                    continue
                jpeg = cv2.imencode(".jpg", numbered(sent % 40, connection))[1].tobytes()
                head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                request.wfile.write(head % len(jpeg) + jpeg + b"\r\n")
                sent += 1
                self.stopping.wait(0.05)
        except OSError:  # the reader hung up
            pass
        finally:
            self.active -= 1

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ip_camera() -> Iterator[Callable[[list[tuple[str, int]]], IpCamera]]:
    cameras: list[IpCamera] = []

    def make(script: list[tuple[str, int]]) -> IpCamera:
        cameras.append(IpCamera(script))
        return cameras[-1]

    yield make
    for camera in cameras:
        camera.stop()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- files ------------------------------------------------------------------------------------


def test_fast_mode_delivers_every_frame_in_order(tmp_path):
    source = VideoSource(config(write_video(tmp_path / "clip.avi")), realtime=False)

    frames = asyncio.run(collect(source))

    assert [number_of(f) for f in frames] == list(range(40))
    assert [f.index for f in frames] == list(range(40))
    assert [f.pts for f in frames] == pytest.approx([n / 20 for n in range(40)])
    for f in frames:
        assert f.image.shape == (H, W, 3) and f.image.dtype == np.uint8
        assert f.image.flags.c_contiguous
    assert np.all(np.diff([f.timestamp for f in frames]) >= 0)
    stats = source.stats
    assert (stats.read, stats.delivered, stats.dropped, stats.corrupt) == (40, 40, 0, 0)
    assert not source.is_open


def test_realtime_slow_consumer_gets_the_newest_frame_and_drops_are_counted(tmp_path):
    source = VideoSource(config(write_video(tmp_path / "clip.avi"), fps=20))  # 2 s at 20 fps

    start = time.monotonic()
    frames = asyncio.run(collect(source, delay=0.2))
    elapsed = time.monotonic() - start

    numbers = [number_of(f) for f in frames]
    assert elapsed > 1.8  # played in real time, not read as fast as it decodes
    assert 4 <= len(frames) <= 20, numbers
    assert numbers == sorted(set(numbers)) and numbers[-1] == 39  # newest wins
    assert [f.pts for f in frames] == pytest.approx([n / 20 for n in numbers])
    assert max(np.diff(numbers)) >= 3  # the consumer skipped what it was too slow for
    stats = source.stats
    assert stats.dropped == 40 - len(frames) and stats.read == 40
    assert stats.delivered == len(frames)


def test_loop_starts_the_file_over(tmp_path):
    source = VideoSource(config(write_video(tmp_path / "clip.avi"), loop=True), realtime=False)

    frames = asyncio.run(collect(source, limit=100))

    assert [number_of(f) for f in frames] == [*range(40), *range(40), *range(20)]
    assert [f.index for f in frames] == list(range(100))
    assert frames[40].pts == 0


def test_resize_only_when_asked(tmp_path):
    clip = write_video(tmp_path / "clip.avi", count=3)
    native = asyncio.run(collect(VideoSource(config(clip), realtime=False)))
    scaled = VideoSource(config(clip, width=320, height=240), realtime=False, resize=True)
    resized = asyncio.run(collect(scaled))

    assert [f.image.shape for f in native] == [(H, W, 3)] * 3
    assert [f.image.shape for f in resized] == [(240, 320, 3)] * 3
    assert [number_of(f) for f in resized] == [0, 1, 2]


@pytest.mark.parametrize("pattern", ["frame_%d.png", "frame_*.png"])
def test_image_sequence_in_natural_order(tmp_path, pattern):
    for n in range(12):
        cv2.imwrite(str(tmp_path / f"frame_{n}.png"), numbered(n))
    (tmp_path / "notes.txt").write_text("not a frame")
    source = VideoSource(config(tmp_path / pattern), realtime=False)

    frames = asyncio.run(collect(source))

    assert [number_of(f) for f in frames] == list(range(12))  # 2 before 10
    assert all(f.pts is None for f in frames)
    assert source.stats.corrupt == 0


def test_gray_bgra_and_16_bit_images_come_out_bgr(tmp_path):
    images = [
        np.full((H, W), 50, np.uint8),
        np.full((H, W, 4), (10, 20, 30, 128), np.uint8),
        np.full((H, W), 200 * 256, np.uint16),
        np.full((H, W, 3), (1, 2, 3), np.uint8),
    ]
    for n, image in enumerate(images):
        cv2.imwrite(str(tmp_path / f"{n:04d}.png"), image)
    source = VideoSource(config(tmp_path / "%04d.png"), realtime=False)

    frames = asyncio.run(collect(source))

    assert [f.image[5, 5].tolist() for f in frames] == [
        [50, 50, 50],
        [10, 20, 30],
        [200, 200, 200],
        [1, 2, 3],
    ]
    for f in frames:
        assert f.image.shape == (H, W, 3) and f.image.dtype == np.uint8
        assert f.image.flags.c_contiguous


def test_corrupt_images_in_a_sequence_are_counted_and_skipped(tmp_path, caplog):
    for n in range(5):
        cv2.imwrite(str(tmp_path / f"{n:04d}.png"), numbered(n))
    (tmp_path / "0001.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 100)
    (tmp_path / "0003.png").write_bytes(b"")
    source = VideoSource(config(tmp_path / "%04d.png"), realtime=False)

    frames = asyncio.run(collect(source))

    assert [number_of(f) for f in frames] == [0, 2, 4]
    assert source.stats.corrupt == 2 and source.stats.read == 3
    assert "corrupt frame" in caplog.text


@pytest.mark.parametrize(
    "image",
    [
        None,
        np.zeros((0, 0, 3), np.uint8),
        np.zeros((1, 4096), np.uint8),  # an undecoded buffer
        np.zeros((H, W, 3), np.float32),
        np.zeros((H, W, 2), np.uint8),
        np.zeros((H, W, 5), np.uint8),
        np.zeros((2, H, W, 3), np.uint8),
    ],
    ids=["none", "empty", "raw-buffer", "float", "2-channel", "5-channel", "4-d"],
)
def test_to_bgr_rejects_what_is_not_a_frame(image):
    assert to_bgr(image) is None


def test_to_bgr_makes_a_strided_frame_contiguous():
    view = np.zeros((H, 2 * W, 3), np.uint8)[:, ::2]
    out = to_bgr(view)
    assert out is not None and out.flags.c_contiguous and out.shape == (H, W, 3)


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        (0, CAMERA),
        ("2", CAMERA),
        ("/dev/video1", CAMERA),
        ("/dev/v4l/by-id/usb-Logitech-video-index0", CAMERA),
        ("rtsp://user:pw@10.0.0.5:554/stream1", STREAM),
        ("http://cam.local/video.mjpg", STREAM),
        ("clips/kitchen.mp4", FILE),
        ("frames/%04d.png", IMAGES),
        ("frames/*.jpg", IMAGES),
    ],
)
def test_source_kind(source, kind):
    assert source_kind(source) == kind


# --- bad input ------------------------------------------------------------------------------


def test_missing_empty_and_folder_sources_fail_when_made(tmp_path):
    (tmp_path / "empty.avi").write_bytes(b"")
    for name, problem in [
        ("missing.avi", "no such file"),
        ("empty.avi", "empty (0 bytes)"),
        (".", "not a file"),
        ("nothing_%04d.png", "no files match"),
    ]:
        path = tmp_path / name
        with pytest.raises(VideoSourceError) as caught:
            VideoSource(config(path))
        assert str(path) in str(caught.value) and problem in str(caught.value)
        assert "vision.capture.source" in str(caught.value)


def test_a_file_that_is_not_video_fails_at_open_naming_it(tmp_path):
    text = tmp_path / "notes.avi"
    text.write_text("this is not a video\n" * 100)
    header_only = tmp_path / "cut.avi"
    header_only.write_bytes(write_video(tmp_path / "clip.avi").read_bytes()[:600])
    for path in (text, header_only):
        source = VideoSource(config(path), realtime=False)
        with pytest.raises(VideoSourceError) as caught:
            asyncio.run(collect(source))
        assert str(path) in str(caught.value) and "vision.capture.source" in str(caught.value)
        assert "ffmpeg" in str(caught.value)  # says how to fix it
        assert not source.is_open


@pytest.mark.parametrize("form", ["index", "device node"])
def test_an_absent_camera_names_the_source_and_the_key(form):
    index = next(i for i in range(90, 100) if not Path(f"/dev/video{i}").exists())
    source = VideoSource(config(index if form == "index" else f"/dev/video{index}"))

    with pytest.raises(VideoSourceError) as caught:
        asyncio.run(collect(source))

    message = str(caught.value)
    assert f"camera {'' if form == 'index' else '/dev/video'}{index}" in message
    assert "vision.capture.source" in message and "edge-assistant devices" in message


def test_a_closed_port_fails_at_once_without_the_password():
    url = f"http://viewer:s3cret@127.0.0.1:{closed_port()}/video.mjpg"
    source = VideoSource(config(url, open_timeout_s=1.0))

    start = time.monotonic()
    with pytest.raises(VideoSourceError) as caught:
        asyncio.run(collect(source))

    assert time.monotonic() - start < 10
    message = str(caught.value)
    assert "viewer:***@127.0.0.1" in message and "s3cret" not in message
    assert "vision.capture.source" in message


def test_a_server_that_never_answers_times_out():
    with socket.socket() as silent:  # accepts connections (the kernel does), never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/video.mjpg"
        source = VideoSource(config(url, open_timeout_s=1.0))

        start = time.monotonic()
        with pytest.raises(VideoSourceError) as caught:
            asyncio.run(collect(source))
        elapsed = time.monotonic() - start

    assert 0.9 < elapsed < 10
    assert "no frame within 1 s" in str(caught.value)
    assert "vision.capture.open_timeout_s" in str(caught.value)


# --- live: reconnects and the privacy switch --------------------------------------------------


def test_a_stalled_stream_is_reopened(ip_camera, caplog):
    camera = ip_camera([("stall", 5), ("stream", 0)])
    source = VideoSource(config(camera.url, read_timeout_s=0.5, retry_initial_s=0.05))

    frames = asyncio.run(collect(source, limit=10))

    connections = [connection_of(f) for f in frames]
    first_after = connections.index(2)
    assert set(connections[:first_after]) == {1} and set(connections[first_after:]) == {2}
    gap = frames[first_after].timestamp - frames[first_after - 1].timestamp
    assert 0.45 < gap < 5
    assert source.stats.reconnects == 1
    assert source.stats.last_error == "no frame within 0.5 s"
    assert "lost: no frame within 0.5 s" in caplog.text
    assert [f.index for f in frames] == sorted(f.index for f in frames)


def test_a_lost_stream_is_retried_with_backoff(ip_camera, caplog):
    camera = ip_camera([("close", 5), ("refuse", 503), ("refuse", 503), ("stream", 0)])
    source = VideoSource(config(camera.url, retry_initial_s=0.05, retry_max_s=0.2))
    caplog.set_level(logging.INFO)

    frames = asyncio.run(collect(source, limit=10))

    connections = [connection_of(f) for f in frames]
    first_after = connections.index(4)
    gap = frames[first_after].timestamp - frames[first_after - 1].timestamp
    assert gap >= 0.3  # waited 0.05, then 0.1, then 0.2 (capped)
    assert source.stats.reconnects == 3
    assert "lost: reading failed" in caplog.text
    assert "cannot open stream" in (source.stats.last_error or "")
    assert "reconnect 1 failed" in caplog.text and "reconnect 2 failed" in caplog.text
    assert "back (reconnect 3)" in caplog.text


def test_privacy_switch_off_in_config_never_opens(ip_camera):
    camera = ip_camera([("stream", 0)])
    source = VideoSource(config(camera.url, enabled=False))
    absent = VideoSource(config(99, enabled=False))  # would fail if it were opened

    async def scenario() -> tuple[int, int, bool, int]:
        frames: list[Frame] = []
        tasks = [consume_in_background(s, frames) for s in (source, absent)]
        await asyncio.sleep(0.5)
        while_off = (len(frames), camera.connections, source.is_open or absent.is_open)
        source.set_enabled(True)
        await until(lambda: len(frames) >= 3, 10)
        for s in (source, absent):
            s.close()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        return *while_off, camera.connections

    assert asyncio.run(scenario()) == (0, 0, False, 1)
    assert not source.is_open and source.enabled


def test_privacy_switch_at_run_time_closes_and_reopens(ip_camera):
    camera = ip_camera([("stream", 0)])
    source = VideoSource(config(camera.url))

    async def scenario() -> None:
        frames: list[Frame] = []
        task = consume_in_background(source, frames)
        await until(lambda: len(frames) >= 3, 10)

        source.set_enabled(False)
        assert await until(lambda: not source.is_open, 1) < 0.5  # 10 frame periods, at most
        await until(lambda: camera.active == 0, 2)  # the camera saw the connection go
        off = len(frames)
        await asyncio.sleep(0.4)
        assert len(frames) == off and not source.enabled

        source.set_enabled(True)
        await until(lambda: len(frames) >= off + 3, 10)
        assert camera.connections == 2 and source.is_open
        assert all(connection_of(f) == 2 for f in frames[off:])
        source.close()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    assert not source.is_open
    assert source.stats.reconnects == 0


def test_close_ends_a_live_source(ip_camera):
    camera = ip_camera([("stream", 0)])
    source = VideoSource(config(camera.url))

    async def scenario() -> float:
        frames: list[Frame] = []
        task = consume_in_background(source, frames)
        await until(lambda: len(frames) >= 2, 10)
        start = time.monotonic()
        source.close()
        await asyncio.wait_for(task, 5)
        ended = time.monotonic() - start
        await until(lambda: not source.is_open, 1)
        return ended

    assert asyncio.run(scenario()) < 0.5
