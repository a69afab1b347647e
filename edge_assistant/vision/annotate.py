"""Draw what the pipeline saw onto a frame: zones, face boxes, hand and body landmarks,
gestures, the pointing ray and the context, so a person can check it by eye."""

from __future__ import annotations

import cv2
import numpy as np

from edge_assistant.vision.pipeline import FrameResult
from edge_assistant.vision.zones import Zones

HAND_BONES = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10),
              (10, 11), (11, 12), (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17),
              (17, 18), (18, 19), (19, 20)]  # fmt: skip
BODY_BONES = [(11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
              (23, 25), (25, 27), (24, 26), (26, 28), (15, 19), (16, 20)]  # fmt: skip
GREEN, BLUE, RED, YELLOW, WHITE = (
    (0, 200, 0),
    (255, 128, 0),
    (0, 0, 255),
    (0, 220, 220),
    (255, 255, 255),
)


def draw(frame_bgr: np.ndarray, result: FrameResult, zones: Zones) -> np.ndarray:
    image = frame_bgr.copy()
    height, width = image.shape[:2]
    size = np.array([width, height])
    for zone in zones.zones:
        corners = (zone.polygon * size).astype(np.int32)
        hit = zone.device is not None and zone.device == result.context.pointing_target
        cv2.polylines(image, [corners], True, RED if hit else YELLOW, 2)
        label = zone.device or zone.area or zone.name
        cv2.putText(image, label, tuple(corners[0] + [4, 16]), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    RED if hit else YELLOW, 1, cv2.LINE_AA)  # fmt: skip
    for box, score in zip(result.faces.boxes, result.faces.scores, strict=True):
        x0, y0, x1, y1 = (box * np.tile(size, 2)).astype(int)
        cv2.rectangle(image, (x0, y0), (x1, y1), GREEN, 2)
        cv2.putText(image, f"face {score:.2f}", (x0, max(12, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.45, GREEN, 1, cv2.LINE_AA)  # fmt: skip
    for body in result.bodies:
        points = body.landmarks[:, :2].astype(int)
        for a, b in BODY_BONES:
            if body.landmarks[[a, b], 3].min() > 0.5:
                cv2.line(image, tuple(points[a]), tuple(points[b]), BLUE, 2, cv2.LINE_AA)
    for hand in result.hands:
        points = hand.landmarks[:, :2].astype(int)
        cv2.polylines(image, [hand.roi.corners().astype(np.int32)], True, WHITE, 1)
        for a, b in HAND_BONES:
            cv2.line(image, tuple(points[a]), tuple(points[b]), GREEN, 2, cv2.LINE_AA)
        for p in points:
            cv2.circle(image, tuple(p), 3, RED, -1)
        cv2.putText(image, f"{hand.handedness} {hand.gesture} {hand.gesture_score:.2f}",
                    tuple(points[0] + [0, 18]), cv2.FONT_HERSHEY_SIMPLEX, 0.5, GREEN, 1,
                    cv2.LINE_AA)  # fmt: skip
    if result.pointing is not None:
        origin, direction = result.pointing
        end = origin + direction * max(width, height)
        cv2.line(image, tuple(origin.astype(int)), tuple(end.astype(int)), RED, 2, cv2.LINE_AA)
    context = result.context
    people = ", ".join(f"{a}: {n}" for a, n in sorted(context.people.items())) or "nobody"
    lines = [
        f"people {people}",
        f"speaker area {context.speaker_area or '-'}  gesture {context.gesture}",
        f"pointing at {context.pointing_target or '-'}  {result.timings.get('total', 0):.1f} ms",
    ]
    cv2.rectangle(image, (0, 0), (430, 8 + 18 * len(lines)), (0, 0, 0), -1)
    for i, text in enumerate(lines):
        cv2.putText(image, text, (8, 20 + 18 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.5, WHITE, 1,
                    cv2.LINE_AA)  # fmt: skip
    return image
