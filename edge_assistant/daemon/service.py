"""Running the assistant as a service: build it from the configs, start one supervised task
per source and stage (daemon/supervisor.py: restart with backoff, exit non-zero when one
keeps failing), tell systemd when it is ready and alive, serve /health (every task's state)
and /metrics on localhost, reload home.yaml on SIGHUP, and stop cleanly on SIGTERM (commands
in flight get ``daemon.drain_s``). Logs are JSON lines on stderr."""

from __future__ import annotations

import asyncio
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
from edge_assistant.daemon.supervisor import Supervisor

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


def health(assistant, supervisor: Supervisor, started: float) -> tuple[dict, int]:
    """/health's body and HTTP status: 200 while every task runs, 503 otherwise (a task
    restarting, failed, or a microphone or camera missing: ``tasks`` says which and why)."""
    if assistant.stopping:
        status = "stopping"
    elif supervisor.fatal:
        status = "failed"
    else:
        status = "ok" if supervisor.healthy else "degraded"
    seen = assistant.seen()
    body = {
        "status": status,
        "uptime_s": round(time.monotonic() - started, 1),
        "tasks": supervisor.snapshot(),
        "queued": assistant.queued,
        "pending_confirmation": assistant.pending is not None,
        "camera": seen.camera,
        "people": seen.people,
        "handled": len(assistant.outcomes),
    }
    return body, 200 if status == "ok" else 503


async def health_server(
    assistant, supervisor: Supervisor, host: str, port: int, started: float
) -> web.AppRunner:
    async def health_page(_: web.Request) -> web.Response:
        body, status = health(assistant, supervisor, started)
        return web.json_response(body, status=status)

    async def prometheus(_: web.Request) -> web.Response:
        supervisor.snapshot()  # task_up follows the sources' state
        return web.Response(body=generate_latest(metrics.REGISTRY), content_type="text/plain")

    app = web.Application()
    app.router.add_get("/health", health_page)
    app.router.add_get("/metrics", prometheus)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("health and metrics on http://%s:%d/health and /metrics", host, port)
    return runner


async def serve(assistant, audio_source, video_source, device: LoadedDeviceConfig) -> int:
    """Run until the audio source ends (a file), SIGTERM/SIGINT, or a task that keeps failing
    (daemon/supervisor.py); SIGHUP reloads home. The exit code: 0 for a clean end, 1 when a
    task failed for good or was still failing at the end."""
    loop = asyncio.get_running_loop()
    daemon = device.config.daemon
    started = time.monotonic()
    stop = asyncio.Event()
    supervisor = Supervisor(daemon.supervision)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, assistant.reload_home)
    runner = None
    if daemon.health_port:
        runner = await health_server(
            assistant, supervisor, daemon.health_host, daemon.health_port, started
        )
    await assistant.sink.start()
    for name, task in assistant.sink.background().items():
        supervisor.adopt(name, task)
    if assistant.arbiter is not None:
        await assistant.arbiter.start()
        supervisor.adopt("arbitration", assistant.arbiter.task)
    supervisor.start("commands", assistant.handle_commands)
    supervisor.start("timers", lambda: assistant.timers.run(stop))
    supervisor.start(
        "hear",
        lambda: assistant.hear(audio_source),
        ends_daemon=True,  # the audio file is over
        on_restart=assistant.listener.reset,
        down=lambda: getattr(audio_source, "down", None),
    )
    if video_source is not None:
        supervisor.start(
            "see", lambda: assistant.see(video_source), down=lambda: assistant.watcher.down
        )
    if daemon.watchdog:
        supervisor.start("watchdog", watchdog)
    metrics.UP.set(1)
    notify("READY=1")
    log.info("ready: %s", device.path)
    await supervisor.wait(stop)
    if supervisor.fatal:
        log.critical("stopping after a failure: %s", supervisor.fatal)
    notify("STOPPING=1")
    for source in (audio_source, video_source):
        if source is not None:
            source.close()
    await supervisor.stop("hear", "see", timeout_s=5)
    await assistant.stop()
    commands = supervisor.task("commands")
    if commands is not None:  # commands already heard get drain_s to finish; then they are cut
        drain = daemon.drain_s if stop.is_set() or supervisor.fatal else 60
        _, pending = await asyncio.wait({commands}, timeout=drain)
        if pending:
            log.warning("stopped with commands in flight after %.1f s", drain)
    await supervisor.stop(timeout_s=5)
    await assistant.settle()
    if assistant.arbiter is not None:
        await assistant.arbiter.close()
    await assistant.sink.close()
    if runner is not None:
        await runner.cleanup()
    metrics.UP.set(0)
    assistant.close()
    code = supervisor.exit_code
    if code:
        failing = [n for n, t in supervisor.snapshot().items()
                   if t["state"] in ("restarting", "failed")]  # fmt: skip
        log.critical("exit code %d: %s", code, supervisor.fatal or f"still failing: {failing}")
    return code
