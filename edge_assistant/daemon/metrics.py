"""Prometheus metrics of the daemon (served with /health on localhost)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()
WAKES = Counter("edge_assistant_wakes", "Wake word detections.", registry=REGISTRY)
FRAMES = Counter("edge_assistant_frames", "Camera frames processed.", registry=REGISTRY)
COMMANDS = Counter(
    "edge_assistant_commands", "Transcripts handled, by decision.", ["decision"], registry=REGISTRY
)
REFUSED = Counter("edge_assistant_refused", "Commands refused by the policy.", registry=REGISTRY)
DROPPED = Counter("edge_assistant_dropped", "Transcripts dropped: queue full.", registry=REGISTRY)
UNHANDLED = Counter(
    "edge_assistant_unhandled", "Utterances not handled, by fate (rejected, error, dropped, "
    "expired).", ["fate"], registry=REGISTRY,
)  # fmt: skip
TASK_UP = Gauge("edge_assistant_task_up", "1 while the task runs (or is done).", ["task"],
                registry=REGISTRY)  # fmt: skip
TASK_RESTARTS = Counter("edge_assistant_task_restarts", "Restarts after a failure.", ["task"],
                        registry=REGISTRY)  # fmt: skip
ACTIONS_OK = Counter("edge_assistant_actions_ok", "Actions done.", registry=REGISTRY)
ACTIONS_FAILED = Counter("edge_assistant_actions_failed", "Actions failed.", registry=REGISTRY)
ERRORS = Counter("edge_assistant_errors", "Errors survived.", registry=REGISTRY)
LATENCY = Histogram(
    "edge_assistant_eos_to_action_seconds", "End of speech to action done.", registry=REGISTRY,
    buckets=(0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0),
)  # fmt: skip
UP = Gauge("edge_assistant_up", "1 while the daemon runs.", registry=REGISTRY)
