"""Measure gesture classification (``edge_assistant.vision.gestures``) on labeled hand landmarks.

The hands are SYNTHETIC unless ``--npz`` is given: ``hand_poses.generate(N, seed)`` poses a
kinematic hand per gesture and per negative (labeled ``none``), tilts it out of the image
plane up to ``--max-tilt`` degrees, mirrors half into left hands, projects it and adds
1-3 % pixel noise (see ``hand_poses`` for what that does and does not cover). ``--npz``
scores any labeled set instead (``landmarks`` (N, 21, 3) pixels, ``labels`` (N,)).

Per set: the confusion matrix (rows the truth, columns the answer), per-class precision and
recall, accuracy, gesture precision (of the hands given a gesture, the share that had it),
and for a synthetic set the answers per pose. Time: ``classify()`` one hand per call on one
thread, as the pipeline calls it (``us_per_hand``), and ``classify_batch`` on the whole set.

stdout: the tables and as the last line ``RESULT {json}``. No model is needed::

    python bench/gesture_eval.py [--n 2000] [--seed 0] [--max-tilt 40] [--npz PATH]
                                 [--save-npz PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from common import progress, quiet_libraries

from edge_assistant.vision.gestures import GESTURES, Evaluation, classify, classify_batch, evaluate
from edge_assistant.vision.hand_poses import POSES, LandmarkSet, generate

BATCH_REPEATS = 5


def confusion_table(evaluation: Evaluation) -> str:
    short = [g.replace("thumbs_", "t_") for g in GESTURES]
    width = max(len(s) for s in short) + 1
    lines = [f"{'truth/answer':>14}" + "".join(f"{s:>{width}}" for s in short) + f"{'n':>7}"]
    for name, row in zip(GESTURES, evaluation.confusion, strict=True):
        lines.append(f"{name:>14}" + "".join(f"{v:>{width}d}" for v in row) + f"{row.sum():>7d}")
    return "\n".join(lines)


def class_table(evaluation: Evaluation) -> str:
    lines = [f"{'gesture':>14}  precision  recall", f"{'-' * 14}  ---------  ------"]
    for name, p, r in zip(GESTURES, evaluation.precision, evaluation.recall, strict=True):
        lines.append(f"{name:>14}  {p:9.3f}  {r:6.3f}")
    return "\n".join(lines)


def pose_table(data: LandmarkSet, answers: np.ndarray) -> str:
    """What each synthetic pose was called, so a confusion can be traced to its pose."""
    lines = [f"{'pose':>14}  {'label':>11}  {'n':>4}  right  wrong answers"]
    order = list(POSES)
    for kind in sorted(
        set(data.kinds.tolist()),
        key=lambda k: (k not in order, order.index(k) if k in order else 0, k),
    ):
        mask = data.kinds == kind
        label = str(data.labels[mask][0])
        said = np.array(GESTURES)[answers[mask]]
        names, counts = np.unique(said[said != label], return_counts=True)
        wrong = ", ".join(f"{n} {c}" for n, c in zip(names, counts, strict=True)) or "-"
        right = float(np.mean(said == label))
        lines.append(f"{kind:>14}  {label:>11}  {mask.sum():>4}  {right:5.3f}  {wrong}")
    return "\n".join(lines)


def time_single(data: LandmarkSet) -> float:
    """Microseconds per ``classify()`` call, one hand at a time."""
    for i in range(min(20, len(data.labels))):  # warm-up
        classify(data.landmarks[i], str(data.handedness[i]), float(data.presence[i]))
    start = time.perf_counter()
    for points, hand, presence in zip(data.landmarks, data.handedness, data.presence, strict=True):
        classify(points, str(hand), float(presence))
    return (time.perf_counter() - start) / len(data.labels) * 1e6


def time_batch(data: LandmarkSet) -> float:
    """Microseconds per hand of ``classify_batch`` on the whole set (best of a few)."""
    best = np.inf
    for _ in range(BATCH_REPEATS):
        start = time.perf_counter()
        classify_batch(data.landmarks, data.presence)
        best = min(best, time.perf_counter() - start)
    return best / len(data.labels) * 1e6


def load(args: argparse.Namespace) -> tuple[LandmarkSet, str]:
    if args.npz is not None:
        try:
            return LandmarkSet.load(args.npz), f"labeled set {args.npz}"
        except (OSError, ValueError) as exc:
            sys.exit(f"error: {exc}")
    progress(f"generating {args.n} synthetic hands (seed {args.seed}, tilt <= {args.max_tilt} deg)")
    data = generate(args.n, args.seed, args.max_tilt)
    if args.save_npz is not None:
        data.save(args.save_npz)
    return data, f"synthetic hand_poses set: n={args.n}, seed={args.seed}, tilt<={args.max_tilt}"


def run(args: argparse.Namespace) -> None:
    quiet_libraries()
    data, described = load(args)
    try:
        evaluation = evaluate(data.landmarks, data.labels, data.presence)
    except ValueError as exc:
        sys.exit(f"error: {exc}")
    answers = classify_batch(data.landmarks, data.presence).gesture
    progress("timing")
    single, batch = time_single(data), time_batch(data)

    print(described)
    print(confusion_table(evaluation))
    print()
    print(class_table(evaluation))
    if args.npz is None:
        print()
        print(pose_table(data, answers))
    print()
    print(
        f"accuracy {evaluation.accuracy:.4f}  gesture precision {evaluation.gesture_precision:.4f}"
        f"  classify() {single:.1f} us/hand  classify_batch {batch:.2f} us/hand"
    )
    result = {
        "gesture_acc": round(evaluation.accuracy, 4),
        "gesture_none_precision": round(float(evaluation.precision[0]), 4),
        "gesture_precision": round(evaluation.gesture_precision, 4),
        "per_class_recall": {
            g: round(float(r), 4) for g, r in zip(GESTURES, evaluation.recall, strict=True)
        },
        "us_per_hand": round(single, 2),
        "us_per_hand_batch": round(batch, 3),
        "n": len(data.labels),
    }
    sys.stdout.flush()
    print("RESULT " + json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="Synthetic hands (default 2000).")
    parser.add_argument("--seed", type=int, default=0, help="Generator seed (default 0).")
    parser.add_argument(
        "--max-tilt", type=float, default=40.0, help="Out-of-plane tilt limit, degrees (40)."
    )
    parser.add_argument("--npz", type=Path, default=None, help="Score this labeled set instead.")
    parser.add_argument("--save-npz", type=Path, default=None, help="Write the generated set.")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("--n must be at least 1")
    if not 0 <= args.max_tilt <= 90:
        parser.error("--max-tilt must be between 0 and 90 degrees")
    run(args)


if __name__ == "__main__":
    main()
