"""Benchmark the vision path at 640x480: each model's latency (1 and 2 threads, every backend
with an exported bundle), the whole per-frame pipeline, sustained fps, and CPU with nobody
and with a person in view.

Frames (``vision_data.py``): real photographs from packages (scikit-image's astronaut on
its ``coffee`` table scene). There is no photograph of a bare hand in any package, so "a
person and a hand in view" runs the hand landmark model every frame on a fixed hand-sized
region of the frame (the cost of following one hand), beside the person's face and body.

* per model: p50 ms of ``run`` on that model's real input from the astronaut frame.
* pipeline: p50/p95 ms per frame, 1 thread per model, (a) a person and a followed hand,
  (b) a person, (c) an empty room (most frames skipped: ``idle_every``).
* sustained fps: frames processed back to back with a person in view.
* CPU: process CPU time while frames (with sensor noise) come at 15 fps for ``--seconds``,
  as percent of one core, nobody in view and a person in view.
* fidelity: the largest max-abs difference against the TFLite reference recorded in the
  bundles' manifests at export.

stdout: the table, then ``RESULT {json}``. Run after ``python -m export --config cpu``::

    python bench/vision.py [--models-dir DIR] [--frames 150] [--seconds 20]
"""

from __future__ import annotations

import json
import resource
import time

import common
import numpy as np
import vision_data
from common import progress, quiet_libraries

from edge_assistant.config.device import load_device_config
from edge_assistant.inference.loader import load_role, open_role_bundle
from edge_assistant.vision.detection import FACE, PALM, POSE, letterbox
from edge_assistant.vision.pipeline import HAND_SIZE, POSE_SIZE, ROLES, VisionModels, VisionPipeline
from edge_assistant.vision.roi import Roi

BACKENDS = ("openvino", "onnxruntime")


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def model_inputs(frame: np.ndarray) -> dict[str, np.ndarray]:
    rgb = np.ascontiguousarray(frame[:, :, ::-1])
    hand = Roi(230.0, 400.0, 120.0, 0.0)
    body = Roi(320.0, 300.0, 420.0, 0.0)
    return {
        "face_detection": letterbox(rgb, FACE)[0],
        "palm_detection": letterbox(rgb, PALM)[0],
        "pose_detection": letterbox(rgb, POSE)[0],
        "hand_landmarks": hand.crop(rgb, HAND_SIZE, (0.0, 1.0))[0],
        "pose_landmarks": body.crop(rgb, POSE_SIZE, (0.0, 1.0))[0],
    }


def p50_ms(model, tensor: np.ndarray, runs: int = 40) -> float:
    feeds = {model.input_names[0]: tensor}
    model.run(feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model.run(feeds)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def per_model(device, models_dir, frame) -> list[tuple[str, str, int, float]]:
    inputs = model_inputs(frame)
    rows = []
    for role in ROLES:
        base = getattr(device.config.roles, role)
        for backend in BACKENDS:
            for threads in (1, 2):
                cfg = base.model_copy(update={"backend": backend, "threads": threads})
                try:
                    model, _, _ = load_role(models_dir, role, cfg)
                except Exception as exc:  # no bundle for this backend: say so in the table
                    if threads == 1:
                        rows.append((role, backend, 0, float("nan")))
                        progress(f"{role} {backend}: {str(exc).splitlines()[0]}")
                    break
                rows.append((role, backend, threads, p50_ms(model, inputs[role])))
    return rows


def pipeline_run(pipeline: VisionPipeline, frames: list[np.ndarray], hand: Roi | None) -> list:
    pipeline.reset()
    totals = []
    for index, frame in enumerate(frames):
        if hand is not None:
            pipeline._hand_rois = [hand]  # follow one hand-sized region (see the docstring)
        start = time.perf_counter()
        pipeline.process(frame, now=index / 15)
        totals.append((time.perf_counter() - start) * 1000)
    return totals


def cpu_at_15fps(pipeline: VisionPipeline, frame: np.ndarray, seconds: float) -> float:
    """Camera noise (sigma 2 grey levels, fresh each frame) on ``frame``, as a sensor has."""
    rng = np.random.default_rng(0)
    noisy = [np.clip(frame + rng.normal(0, 2.0, frame.shape), 0, 255).astype(np.uint8)
             for _ in range(8)]  # fmt: skip
    pipeline.reset()
    start_cpu, start = cpu_s(), time.monotonic()
    for index in range(int(seconds * 15)):
        pipeline.process(noisy[index % len(noisy)], now=index / 15)
        wait = start + (index + 1) / 15 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    return 100 * (cpu_s() - start_cpu) / (time.monotonic() - start)


def main() -> None:
    quiet_libraries()
    parser = common.argument_parser(__doc__)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    device = load_device_config("cpu")
    models = device.models_dir(args.models_dir)
    common.require_bundles(
        [models / role / getattr(device.config.roles, role).variant() for role in ROLES],
        "python -m export --config cpu",
        models,
    )
    person = vision_data.compose(vision_data.people()["astronaut"])
    empty = vision_data.room()
    progress("per-model latency")
    rows = per_model(device, models, person)
    vision = device.config.vision.model_copy(update={"area": "living_room"})
    pipeline = VisionPipeline(VisionModels.from_config(device, models), vision)
    progress("pipeline")
    hand = Roi(230.0, 400.0, 120.0, 0.0)
    frames = [person] * args.frames
    with_hand = pipeline_run(pipeline, frames, hand)
    person_only = pipeline_run(pipeline, frames, None)
    nobody = pipeline_run(pipeline, [empty] * args.frames, None)
    start = time.perf_counter()
    pipeline_run(pipeline, frames, hand)
    fps = args.frames / (time.perf_counter() - start)
    progress(f"CPU at 15 fps ({args.seconds:.0f} s each)")
    idle = cpu_at_15fps(pipeline, empty, args.seconds)
    busy = cpu_at_15fps(pipeline, person, args.seconds)
    fidelity = [
        open_role_bundle(models, role, getattr(device.config.roles, role)).manifest.fidelity
        for role in ROLES
    ]
    fidelity_max = max(float(f.values.get("max_abs", np.nan)) for f in fidelity)
    print(f"{'model':16} {'backend':12} {'1 thread':>9} {'2 threads':>10}")
    table: dict[tuple[str, str], dict[int, float]] = {}
    for role, backend, threads, ms in rows:
        table.setdefault((role, backend), {})[threads] = ms
    for (role, backend), by in table.items():
        one, two = by.get(1, float("nan")), by.get(2, float("nan"))
        note = "" if 1 in by else "  (no bundle for this backend)"
        print(f"{role:16} {backend:12} {one:9.2f} {two:10.2f}{note}")
    pct = lambda xs, q: float(np.percentile(xs, q))  # noqa: E731
    print(f"{'pipeline (1 thread per model)':34} {'p50 ms':>8} {'p95 ms':>8}")
    for name, xs in (("person + a followed hand", with_hand), ("person", person_only), ("empty room", nobody)):  # fmt: skip
        print(f"{name:34} {pct(xs, 50):8.2f} {pct(xs, 95):8.2f}")
    print(f"sustained fps (person + hand): {fps:.1f}")
    print(f"CPU at 15 fps: empty room {idle:.2f}% / person {busy:.2f}% of one core")
    print(f"fidelity vs TFLite, max abs over roles: {fidelity_max:.2e}")
    openvino = {role: table.get((role, "openvino"), {}).get(1, float("nan")) for role in ROLES}
    result = {
        "pipeline_p50_ms": round(pct(with_hand, 50), 2),
        "pipeline_p95_ms": round(pct(with_hand, 95), 2),
        "face_p50_ms": round(openvino["face_detection"], 2),
        "hands_p50_ms": round(openvino["palm_detection"] + openvino["hand_landmarks"], 2),
        "idle_cpu_pct": round(idle, 2),
        "person_cpu_pct": round(busy, 2),
        "sustained_fps": round(fps, 1),
        "fidelity_max_abs": fidelity_max,
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
