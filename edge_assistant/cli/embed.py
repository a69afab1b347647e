"""``edge-assistant embed``: encode a sentence and say where and how fast it ran."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from edge_assistant.cli.common import fail, load_config
from edge_assistant.config.device import Backend, Device, Precision
from edge_assistant.errors import EdgeAssistantError
from edge_assistant.understanding.encoder import TextEncoder


def embed_command(
    text: Annotated[str, typer.Argument(help="The sentence to encode.")],
    config: Annotated[
        str, typer.Option("--config", "-c", help="Device config file or name.")
    ] = "cpu",
    models_dir: Annotated[
        Path | None, typer.Option(help="Bundle folder (default: see `export --help`).")
    ] = None,
    backend: Annotated[
        Backend | None, typer.Option(help="Override the config's text_encoder backend.")
    ] = None,
    device: Annotated[
        Device | None, typer.Option(help="Override the config's text_encoder device.")
    ] = None,
    precision: Annotated[
        Precision | None, typer.Option(help="Override the config's text_encoder precision.")
    ] = None,
    repeat: Annotated[
        int, typer.Option(min=1, help="Timed runs after a warm-up; the median is reported.")
    ] = 10,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full vector and timings as JSON.")
    ] = False,
) -> None:
    """Encode TEXT with the configured text encoder and report where and how fast it ran.

    Prints the embedding's first values and norm, the backend and device really used (a
    fallback is named with its reason) and the median latency after a warm-up.
    """
    loaded = load_config(config)
    flags = {"backend": backend, "device": device, "precision": precision}
    try:
        loaded = loaded.with_overrides("text_encoder", **{k: v for k, v in flags.items() if v})
        encoder = TextEncoder.from_config(loaded, models_dir=models_dir)
        vector = encoder.encode([text])[0]
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            encoder.encode([text])
            timings.append((time.perf_counter() - start) * 1000)
    except EdgeAssistantError as exc:
        fail(exc)
    placement = encoder.placement
    assert placement is not None
    report = {
        "text": text,
        "tokens": int(encoder.tokenize([text]).attention_mask.sum()),
        "backend": placement.backend,
        "variant": placement.variant,
        "requested_device": placement.requested_device,
        "device": placement.device,
        "fallback_reason": placement.fallback_reason,
        "backend_details": encoder.model.details,
        "load_ms": round(placement.load_ms, 2),
        "latency_ms_p50": round(float(np.median(timings)), 3),
        "dimension": int(vector.shape[0]),
        "norm": float(np.linalg.norm(vector)),
    }
    if as_json:
        typer.echo(json.dumps({**report, "embedding": [float(x) for x in vector]}))
        return
    first = ", ".join(f"{x:+.4f}" for x in vector[:8])
    typer.echo(
        f"embedding[:8]  [{first}, ...]  dim {report['dimension']}  norm {report['norm']:.4f}"
    )
    details = "; ".join(f"{k}: {v}" for k, v in encoder.model.details.items())
    typer.echo(
        f"ran on         {placement.backend} {placement.device} ({placement.variant}), "
        f"{report['tokens']} tokens [{details}]"
    )
    if placement.fell_back:
        typer.echo(
            f"fallback       asked for {placement.requested_device}: {placement.fallback_reason}"
        )
    typer.echo(
        f"latency        {report['latency_ms_p50']:.2f} ms median of {repeat} "
        f"(load {report['load_ms']:.0f} ms)"
    )
