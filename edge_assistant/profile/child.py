"""The measuring child process: load one variant, run it once, then time it back to back.

It runs in a freshly spawned interpreter (``run_child``), so its peak RSS is that variant's
alone and a model that crashes or hangs ends only the child; the parent reads a dict of
numbers, or an error that says why, through a pipe.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_assistant.errors import EdgeAssistantError
from edge_assistant.inference.base import LoadedModel
from edge_assistant.inference.bundle import open_bundle
from edge_assistant.inference.registry import get_backend
from edge_assistant.profile.feeds import synthesize_feeds, token_length

if TYPE_CHECKING:
    from edge_assistant.profile.models import Candidate


def run_child(
    cand: Candidate, seconds: float, max_runs: int, min_runs: int, timeout_s: float
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, cand, seconds, max_runs, min_runs), daemon=True)
    proc.start()
    send.close()  # so a child that dies shows as EOF here
    try:
        if receive.poll(timeout_s):
            return receive.recv()
        proc.kill()
        return {"error": f"no result after {timeout_s:g} s; the measuring process was killed"}
    except EOFError:
        proc.join(5)
        return {"error": f"the measuring process died ({_exit_text(proc.exitcode)})"}
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        receive.close()


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def _child(conn: Connection, cand: Candidate, seconds: float, max_runs: int, min_runs: int) -> None:
    """Runs in the spawned process: load, first inference, then back-to-back timed runs."""
    try:
        conn.send(_time_variant(cand, seconds, max_runs, min_runs))
    except Exception as exc:  # anything the model or backend raises is this variant's result
        ours = isinstance(exc, EdgeAssistantError)  # these already name the file or device
        conn.send({"error": str(exc) if ours else f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


def _time_variant(cand: Candidate, seconds: float, max_runs: int, min_runs: int) -> dict[str, Any]:
    backend = get_backend(cand.backend)  # imports the backend's library
    baseline_rss_mb = _rss_mb()
    start = time.perf_counter()
    bundle = open_bundle(cand.folder)
    model = backend.load(bundle, cand.device, cand.threads)
    load_ms = (time.perf_counter() - start) * 1000
    feeds = synthesize_feeds(bundle.manifest, bundle.path, cand.sequence_length)
    start = time.perf_counter()
    model.run(feeds)
    first_ms = (time.perf_counter() - start) * 1000
    samples: list[float] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while len(samples) < min_runs or (
        len(samples) < max_runs and time.perf_counter() - wall0 < seconds
    ):
        t0 = time.perf_counter()
        model.run(feeds)
        samples.append((time.perf_counter() - t0) * 1000)
    wall_s = time.perf_counter() - wall0
    return {
        "load_ms": load_ms,
        "first_ms": first_ms,
        "samples_ms": samples,
        "wall_s": wall_s,
        "cpu_s": time.process_time() - cpu0,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline_rss_mb,
        "tokens": token_length(cand.role, feeds),
        "details": _details(model),
    }


def _details(model: LoadedModel) -> dict[str, str]:
    """Where the model really ran, as the backend reports it: the device it resolved (for
    OpenVINO its EXECUTION_DEVICES), then the providers or compile config it used."""
    return {"ran_on": model.device, **{k: str(v) for k, v in model.details.items()}}


def _rss_mb() -> float | None:
    """The current RSS; without /proc (macOS) the peak so far, which before loading is close."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return _peak_rss_mb()
    line = next((ln for ln in status.splitlines() if ln.startswith("VmRSS:")), None)
    return int(line.split()[1]) / 1024 if line else _peak_rss_mb()  # "VmRSS:  123456 kB"


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB
