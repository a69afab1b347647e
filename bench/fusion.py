"""Compare the fusion model's three fusion styles (gated, early, late) on the same data.

One process builds ``export.nlu.dataset.build()`` once, featurizes it once with the fp32
ONNX Runtime text encoder the exporter trains on (``export.nlu.exporter.FEATURE_ENCODER``),
then trains one ``FusionModel`` per style with ``export.nlu.train.train`` (same training
set, seed and epochs) and measures, per style:

1. ``accuracy()`` on ``eval_ingrammar`` and ``eval_heldout``: intent, target source
   (none/name/area/context/pointing/only) and tag exact match (every token's BIO tag).
2. The context-dependent set: every eval sample whose target is ``context`` or
   ``pointing``; the eval sets are Home Assistant templates only, which never point, so
   our own ``context`` / ``pointing`` templates are added, filled on the held-out eval
   homes (``--own-per-template`` each, clean text; their phrasings are trained on, the
   homes and names are not); plus a contrast copy of each ``pointing`` sample with the
   pointing removed from its context (then the right answer is intent "none", target
   "none", no tags, as ``_pointing_negatives`` labels it for training). Target and intent
   accuracy, and target accuracy per group (context / pointing / contrast).
3. Context sensitivity, the same sentence under two contexts:
   ``flip``: pointing sample with / without the pointing, the predicted target goes
   ``pointing`` -> ``none`` (``flip_full``: and the intent goes right -> "none");
   ``stable``: a ``context`` sample with a pointing gesture added keeps target ``context``.
4. PyTorch latency of one sentence at batch 1 (the sentence's own length, no padding) on
   1 thread, p50 / p95 over ``--latency-runs`` calls on held-out sentences, the three styles
   interleaved per call; parameter count (``params``; ``used``: those the forward pass
   actually reaches; every style constructs the gate and context layers).

The whole run uses 1 torch thread (training included), so it is gentle on a shared machine.
stdout: progress, the table, and as the last line ``RESULT {json}`` (``<style>_<metric>``,
plus ``best``: highest context-dependent target accuracy, ties broken by held-out intent
accuracy, then p50 latency).

Needs the fp32 text encoder bundle (``python -m export``)::

    python bench/fusion.py [--models-dir DIR] [--epochs 12] [--seed 0] [--latency-runs 300]
                           [--own-per-template 12]
"""

from __future__ import annotations

import json
import random
import statistics
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, get_args

import common
import torch

from edge_assistant.config.device import models_dir_from_env
from edge_assistant.home.model import Home
from edge_assistant.understanding.labels import TARGET_LABELS
from edge_assistant.understanding.phrasings import own_templates
from export.nlu.dataset import build
from export.nlu.fill import Sample, Unfillable, fill
from export.nlu.model import Fusion, FusionModel
from export.nlu.train import Tensors, accuracy, featurize, train

STYLES: tuple[Fusion, ...] = get_args(Fusion)
CONTEXT_TARGETS = ("context", "pointing")
POINTING_KEYS = ("pointing_target", "gesture")
WARMUP = 10


@dataclass
class Probe:
    """Index lists into the probe Tensors (eval context-dependent samples + contrasts)."""

    dependent: list[int]  # eval samples whose target is context or pointing
    negatives: list[int]  # pointing removed; negatives[k] pairs with pointing[k]
    pointing: list[int]  # subset of dependent
    context: list[int]  # subset of dependent
    added: list[int]  # context[k] with a pointing gesture added

    @property
    def scored(self) -> list[int]:
        return self.dependent + self.negatives


@dataclass
class Result:
    style: Fusion
    metrics: dict[str, float]


def without_pointing(s: Sample) -> Sample:
    context = {k: v for k, v in s.context.items() if k not in POINTING_KEYS}
    return Sample(s.text, None, {}, [], "none", context, s.template, s.home, {"kind": "none"})


def with_pointing(s: Sample, home: Home) -> Sample:
    context = {**s.context, "camera": True, "gesture": "pointing"}
    context["pointing_target"] = home.devices[0].id  # the vector only sees "pointing: yes"
    return Sample(
        s.text, s.intent, s.slots, s.spans, s.target, context, s.template, s.home, s.extra
    )


def own_dependent(
    homes: list[Home], eval_homes: list[int], per_template: int, seed: int
) -> list[Sample]:
    """Our own context / pointing templates filled on the eval homes (never trained on)."""
    rng = random.Random(f"bench-fusion-{seed}")
    samples: list[Sample] = []
    for template in own_templates():
        if template.target not in CONTEXT_TARGETS:
            continue
        made = 0
        for _ in range(per_template * 5):
            if made == per_template:
                break
            index = rng.choice(eval_homes)
            try:
                samples.append(fill(template, homes[index], index, rng))
            except Unfillable:
                continue
            made += 1
    return samples


def probe_samples(evals: list[Sample], homes: list[Home]) -> tuple[list[Sample], Probe]:
    dependent = [s for s in evals if s.target in CONTEXT_TARGETS]
    pointing = [i for i, s in enumerate(dependent) if s.target == "pointing"]
    context = [i for i, s in enumerate(dependent) if s.target == "context"]
    negatives = [without_pointing(dependent[i]) for i in pointing]
    added = [with_pointing(dependent[i], homes[dependent[i].home]) for i in context]
    n, m = len(dependent), len(negatives)
    probe = Probe(
        dependent=list(range(n)),
        negatives=list(range(n, n + m)),
        pointing=pointing,
        context=context,
        added=list(range(n + m, n + m + len(added))),
    )
    return dependent + negatives + added, probe


def take(data: Tensors, rows: list[int]) -> Tensors:
    idx = torch.tensor(rows, dtype=torch.long)
    return Tensors(**{f.name: getattr(data, f.name)[idx] for f in fields(data)})


@torch.inference_mode()
def predict(model: FusionModel, data: Tensors) -> tuple[torch.Tensor, torch.Tensor]:
    intent, _, target, _ = model(data.tokens, data.mask, data.context, data.gazetteer)
    return intent.argmax(-1), target.argmax(-1)


def sensitivity(model: FusionModel, data: Tensors, probe: Probe) -> dict[str, float]:
    intent, target = predict(model, data)
    point, none, ctx = (TARGET_LABELS.index(t) for t in ("pointing", "none", "context"))
    flips = full = 0
    for i, j in zip(probe.pointing, probe.negatives, strict=True):
        ok = int(target[i]) == point and int(target[j]) == none
        flips += ok
        full += (
            ok and int(intent[i]) == int(data.intent[i]) and int(intent[j]) == int(data.intent[j])
        )
    stable = sum(
        int(target[i]) == ctx and int(target[j]) == ctx
        for i, j in zip(probe.context, probe.added, strict=True)
    )
    return {
        "flip": flips / max(len(probe.pointing), 1),
        "flip_full": full / max(len(probe.pointing), 1),
        "stable": stable / max(len(probe.context), 1),
    }


def parameter_counts(model: FusionModel, data: Tensors) -> tuple[int, int]:
    """All parameters, and those that get a gradient from every output."""
    model.zero_grad(set_to_none=True)
    batch = take(data, list(range(min(8, len(data)))))
    outputs = model(batch.tokens, batch.mask, batch.context, batch.gazetteer)
    torch.stack([o.sum() for o in outputs]).sum().backward()
    total = sum(p.numel() for p in model.parameters())
    used = sum(p.numel() for p in model.parameters() if p.grad is not None)
    model.zero_grad(set_to_none=True)
    return total, used


@torch.inference_mode()
def latency(
    models: dict[Fusion, FusionModel], data: Tensors, runs: int
) -> dict[Fusion, list[float]]:
    """ms per single-sentence call, styles interleaved so machine noise hits all alike."""
    times: dict[Fusion, list[float]] = {s: [] for s in models}
    for k in range(WARMUP + runs):
        i = k % len(data)
        n = int(data.mask[i].sum())
        args = (
            data.tokens[i : i + 1, :n],
            data.mask[i : i + 1, :n],
            data.context[i : i + 1],
            data.gazetteer[i : i + 1, :n],
        )
        for style, model in models.items():
            start = time.perf_counter()
            model(*args)
            if k >= WARMUP:
                times[style].append((time.perf_counter() - start) * 1000)
    return times


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def evaluate(
    model: FusionModel, sets: dict[str, Tensors], probe_data: Tensors, probe: Probe
) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for name in ("ingrammar", "heldout"):
        acc = accuracy(model, sets[name])
        metrics |= {f"{name}_{k}": acc[k] for k in ("intent", "target", "tags_exact")}
    dep = accuracy(model, take(probe_data, probe.scored))
    metrics |= {"context_acc": dep["target"], "context_intent": dep["intent"]}
    for group, rows in (
        ("context", probe.context),
        ("pointing", probe.pointing),
        ("contrast", probe.negatives),
    ):
        if rows:
            metrics[f"target_{group}"] = accuracy(model, take(probe_data, rows))["target"]
    metrics |= sensitivity(model, probe_data, probe)
    return metrics


ROWS: tuple[tuple[str, str, str], ...] = (
    ("in-grammar intent", "ingrammar_intent", "pct"),
    ("in-grammar target", "ingrammar_target", "pct"),
    ("in-grammar tags exact", "ingrammar_tags_exact", "pct"),
    ("held-out intent", "heldout_intent", "pct"),
    ("held-out target", "heldout_target", "pct"),
    ("held-out tags exact", "heldout_tags_exact", "pct"),
    ("context-dep. target", "context_acc", "pct"),
    ("context-dep. intent", "context_intent", "pct"),
    ("  target: context", "target_context", "pct"),
    ("  target: pointing", "target_pointing", "pct"),
    ("  target: contrast", "target_contrast", "pct"),
    ("pointing flip (target)", "flip", "pct"),
    ("pointing flip (+intent)", "flip_full", "pct"),
    ("context stable w/ point", "stable", "pct"),
    ("p50 ms (batch 1, 1 thr)", "p50_ms", "ms"),
    ("p95 ms (batch 1, 1 thr)", "p95_ms", "ms"),
    ("params (all)", "params", "int"),
    ("params (used)", "params_used", "int"),
    ("train s", "train_s", "s"),
)


def cell(value: float, kind: str) -> str:
    if kind == "pct":
        return f"{100 * value:.2f}%"
    if kind == "ms":
        return f"{value:.3f}"
    if kind == "int":
        return f"{int(value):,}"
    return f"{value:.0f}"


def table(results: list[Result], best: str) -> str:
    head = ["metric", *(f"{r.style}{' *' if r.style == best else ''}" for r in results)]
    body = [
        [label, *(cell(r.metrics[key], kind) if key in r.metrics else "n/a" for r in results)]
        for label, key, kind in ROWS
    ]
    widths = [max(len(row[c]) for row in [head, *body]) for c in range(len(head))]
    lines = [
        "  ".join(
            v.ljust(w) if c == 0 else v.rjust(w)
            for c, (v, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [head, *body]
    ]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def rank(r: Result) -> tuple[float, float, float]:
    return r.metrics["context_acc"], r.metrics["heldout_intent"], -r.metrics["p50_ms"]


def pick_best(results: list[Result]) -> str:
    return max(results, key=rank).style


def run(
    models_dir: Path, epochs: int, seed: int, runs: int, own_per_template: int
) -> dict[str, Any]:
    from edge_assistant.inference.loader import load_role
    from edge_assistant.understanding.encoder import TextEncoder
    from export.nlu.exporter import FEATURE_ENCODER

    torch.set_num_threads(1)
    started = time.perf_counter()
    data = build(seed=seed)
    model, bundle, _ = load_role(models_dir, "text_encoder", FEATURE_ENCODER)
    encoder = TextEncoder(model, bundle)
    evals = data.eval_ingrammar + data.eval_heldout
    eval_homes = sorted({s.home for s in evals})
    own = own_dependent(data.homes, eval_homes, own_per_template, seed)
    probe_list, probe = probe_samples(evals + own, data.homes)
    train_set = featurize(encoder, data.train, data.homes)
    sets = {
        "ingrammar": featurize(encoder, data.eval_ingrammar, data.homes),
        "heldout": featurize(encoder, data.eval_heldout, data.homes),
    }
    probe_data = featurize(encoder, probe_list, data.homes)
    print(
        f"data: train {len(train_set)}, in-grammar {len(sets['ingrammar'])}, held-out "
        f"{len(sets['heldout'])}, context-dependent {len(probe.scored)} "
        f"({len(probe.pointing)} pointing + {len(probe.negatives)} contrasts, "
        f"{len(probe.context)} context, {len(own)} of them own templates); features {time.perf_counter() - started:.0f}s",
        flush=True,
    )
    models: dict[Fusion, FusionModel] = {}
    results: list[Result] = []
    for style in STYLES:
        t0 = time.perf_counter()
        models[style] = train(train_set, style, epochs=epochs, seed=seed)
        metrics = evaluate(models[style], sets, probe_data, probe)
        metrics["train_s"] = time.perf_counter() - t0
        metrics["params"], metrics["params_used"] = parameter_counts(models[style], probe_data)
        results.append(Result(style, metrics))
        print(f"{style}: trained in {metrics['train_s']:.0f}s", flush=True)
    times = latency(models, sets["heldout"], runs)
    for r in results:
        r.metrics["p50_ms"] = percentile(times[r.style], 50)
        r.metrics["p95_ms"] = percentile(times[r.style], 95)
    best = pick_best(results)
    print()
    print(table(results, best))
    print(
        f"\n* best = highest context-dependent target accuracy (ties: held-out intent, p50). "
        f"epochs {epochs}, seed {seed}, {runs} latency calls; total "
        f"{time.perf_counter() - started:.0f}s"
    )
    out: dict[str, Any] = {
        f"{r.style}_{k}": round(v, 5) for r in results for k, v in r.metrics.items()
    }
    out |= {"best": best, "epochs": epochs, "seed": seed, "context_n": len(probe.scored)}
    return out


def main() -> None:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency-runs", type=int, default=300)
    parser.add_argument("--own-per-template", type=int, default=12)
    args = parser.parse_args()
    models_dir = models_dir_from_env(args.models_dir)
    result = run(models_dir, args.epochs, args.seed, args.latency_runs, args.own_per_template)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
