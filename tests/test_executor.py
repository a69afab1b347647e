"""Inference called from asyncio runs on worker threads and never stalls the event loop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from edge_assistant.config.device import RoleConfig
from edge_assistant.inference.executor import InferenceExecutor
from edge_assistant.inference.loader import load_role
from edge_assistant.understanding.encoder import TextEncoder
from export.sentences import held_out_sentences


def test_encoding_runs_off_the_loop_while_the_loop_keeps_ticking(models_dir: Path) -> None:
    model, bundle, _ = load_role(
        models_dir, "text_encoder", RoleConfig(backend="onnxruntime", precision="fp32")
    )
    encoder = TextEncoder(model, bundle)
    sentences = held_out_sentences(40)
    threads: set[str] = set()
    busy = threading.Event()

    def encode(text: str):
        threads.add(threading.current_thread().name)
        busy.set()
        try:
            return encoder.encode([text])
        finally:
            busy.clear()

    async def main() -> int:
        ticks_while_busy = 0
        done = asyncio.Event()

        async def heartbeat() -> None:
            nonlocal ticks_while_busy
            while not done.is_set():
                await asyncio.sleep(0)
                ticks_while_busy += busy.is_set()

        beat = asyncio.create_task(heartbeat())
        with InferenceExecutor("text_encoder", workers=1, max_pending=2) as executor:
            results = await asyncio.gather(*(executor.run(encode, s) for s in sentences))
        done.set()
        await beat
        assert all(r.shape == (1, 384) for r in results)
        return ticks_while_busy

    ticks_while_busy = asyncio.run(main())
    assert threads and all(name.startswith("infer-text_encoder") for name in threads)
    # The loop kept running while a model call was in progress: it was never blocked by one.
    assert ticks_while_busy > 0


def test_executor_rejects_impossible_bounds() -> None:
    with pytest.raises(ValueError, match="max_pending >= workers"):
        InferenceExecutor("x", workers=2, max_pending=1)
