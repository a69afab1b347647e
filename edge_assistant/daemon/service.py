"""Running the assistant as a service: build it from the configs, start one task per
source and stage, tell systemd when it is ready and alive, serve /health and /metrics on
localhost, reload home.yaml on SIGHUP, and stop cleanly on SIGTERM (commands in flight get
``daemon.drain_s``). Logs are JSON lines on stderr."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import time

from aiohttp import web
from prometheus_client import generate_latest

from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.daemon import metrics

log = logging.getLogger(__name__)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def json_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiohttp.access", "faster_whisper"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def notify(message: str) -> bool:
    """sd_notify(3): one datagram to $NOTIFY_SOCKET (the whole protocol; no library needed
    for READY=1, WATCHDOG=1 and STOPPING=1)."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
        return True
    except OSError as exc:
        log.warning("sd_notify %s to %s failed: %s", message, address, exc)
        return False


async def watchdog() -> None:
    """Task: WATCHDOG=1 at half the interval systemd asks for (WatchdogSec=)."""
    usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
    if usec <= 0:
        return
    while True:
        notify("WATCHDOG=1")
        await asyncio.sleep(usec / 2e6)


async def health_server(assistant, host: str, port: int, started: float) -> web.AppRunner:
    async def health(_: web.Request) -> web.Response:
        return web.json_response({
            "status": "stopping" if assistant._stopping.is_set() else "ok",
            "uptime_s": round(time.monotonic() - started, 1),
            "queued": assistant._transcripts.qsize(),
            "pending_confirmation": assistant.pending is not None,
            "camera": assistant.seen().camera,
            "people": assistant.seen().people,
            "handled": len(assistant.outcomes),
        })  # fmt: skip

    async def prometheus(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(metrics.REGISTRY), content_type="text/plain")

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", prometheus)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("health and metrics on http://%s:%d/health and /metrics", host, port)
    return runner


async def serve(assistant, audio_source, video_source, device: LoadedDeviceConfig) -> int:
    """Run until the audio source ends (a file) or SIGTERM/SIGINT; SIGHUP reloads home."""
    loop = asyncio.get_running_loop()
    daemon = device.config.daemon
    started = time.monotonic()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, assistant.reload_home)
    runner = None
    if daemon.health_port:
        runner = await health_server(assistant, daemon.health_host, daemon.health_port, started)
    await assistant.sink.start()
    if assistant.arbiter is not None:
        await assistant.arbiter.start()
    hear = asyncio.create_task(assistant.hear(audio_source), name="hear")
    commands = asyncio.create_task(assistant.handle_commands(), name="commands")
    others = [asyncio.create_task(watchdog(), name="watchdog")]
    if video_source is not None:
        others.append(asyncio.create_task(assistant.see(video_source), name="see"))
    metrics.UP.set(1)
    notify("READY=1")
    log.info("ready: %s", device.path)
    stopper = asyncio.create_task(stop.wait(), name="stop")
    done, _ = await asyncio.wait({hear, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if hear in done and hear.exception() is not None:
        log.error("the voice path stopped: %s", hear.exception())
    notify("STOPPING=1")
    for source in (audio_source, video_source):
        if source is not None:
            source.close()
    await assistant.stop()
    try:  # commands already heard get drain_s to finish; then they are cut
        await asyncio.wait_for(commands, daemon.drain_s if stop.is_set() else 60)
    except TimeoutError:
        log.warning("stopped with commands in flight after %.1f s", daemon.drain_s)
    for task in (hear, stopper, *others):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    await assistant.settle()
    if assistant.arbiter is not None:
        await assistant.arbiter.close()
    await assistant.sink.close()
    if runner is not None:
        await runner.cleanup()
    metrics.UP.set(0)
    assistant.close()
    return 0
