"""Hand gestures from MediaPipe's 21 hand landmarks, by geometry (no learned model).

Landmarks: 0 wrist; thumb 1-4 (CMC, MCP, IP, tip); index 5-8, middle 9-12, ring 13-16,
pinky 17-20 (MCP, PIP, DIP, tip); x, y in image pixels (y down), z relative depth in x's
scale. Each finger gets two fuzzy memberships in [0, 1] from angles that need no
orientation: ``extended`` when the knuckle-to-tip line keeps the direction of the
wrist-to-knuckle line (``turn``), ``curled`` when the flexion at MCP plus that at PIP
(measured to the tip) is large (``curl``); each measure was picked for the widest gap
between neighbouring joint-angle bands of ``hand_poses``. The thumb is ``out`` by the mean
of two cues: straight (MCP + IP flexion small) and its tip away from every other finger (in
palm sizes). A gesture's score is the smallest membership it needs (fuzzy AND):

=============  ============================================================================
open_palm      four fingers extended (thumb free)
fist           four fingers curled, thumb not out
thumbs_up      four fingers curled, thumb out and pointing within ~50 deg of image up
thumbs_down    the same, image down
pointing       index extended, the other three curled (thumb free); with the index ray
victory        index and middle extended, ring and pinky curled, thumb not out
=============  ============================================================================

Everything except the thumb's image direction is 3-D distances and angles (z weighted by
``Z_WEIGHT``), so the result does not change with in-plane rotation, scale, translation,
mirroring (left or right hand) or which side of the hand faces the camera; ``handedness``
is checked but not needed, so a wrong handedness from the landmark model is harmless. The
best gesture wins when its score reaches ``ACCEPT`` and beats the runner-up by ``MARGIN``;
otherwise ``none``.

Accuracy is measured on synthetic hands only (``hand_poses``, ``bench/gesture_eval.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

GESTURES = ("none", "open_palm", "fist", "thumbs_up", "thumbs_down", "pointing", "victory")
FINGERS = np.array([[5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16], [17, 18, 19, 20]])
ACCEPT, MARGIN = 0.5, 0.2
# MediaPipe's z is guessed from one image, its least reliable coordinate, so it counts less.
# On hand_poses sets (n=2000): exact z, noise 1x: accuracy 0.9945 at weight 1, 0.9950 at 0.6;
# z noise 3x with a 0.5-1.5 scale error: 0.943 at 1, 0.984 at 0.6.
Z_WEIGHT = 0.6
# Memberships are linear ramps between two values (0 at the first, 1 at the second).
# Finger ramps span the gap between noise-free values at the edges of neighbouring
# hand_poses states: turn 23 (extended) | 38 (relaxed); curl 154 (half closed) | 179 (curled).
EXTENDED_TURN = (37.0, 25.0)  # degrees
CURLED_CURL = (154.0, 179.0)  # degrees
THUMB_BEND = (75.0, 50.0)  # degrees, MCP + IP: straight when small
THUMB_GAP = (0.35, 0.55)  # palm sizes from the thumb tip to the nearest other finger point
THUMB_VERTICAL = (np.cos(np.radians(60)), np.cos(np.radians(40)))  # cosine to image up/down
IN_IMAGE = (0.3, 0.5)  # image length / 3-D length: a thumb aimed at the camera has no up
RAY_MIN_IN_IMAGE = 0.35  # an index finger shorter than this in the image gives no ray


class PointingRay(NamedTuple):
    """The index finger as a ray in the image (unpacks as ``origin, direction``)."""

    origin: np.ndarray  # (2,) pixels: the index MCP
    direction: np.ndarray  # (2,) unit vector in image x, y toward the fingertip


@dataclass(frozen=True)
class GestureResult:
    gesture: str  # one of GESTURES
    confidence: float  # 0..1: of the gesture (its score x presence), or for none 1 - best
    pointing: PointingRay | None = None  # only for "pointing" seen enough from the side


@dataclass(frozen=True)
class GestureBatch:
    """``classify_batch``'s answer for N hands."""

    scores: np.ndarray  # (N, 6) score per gesture of GESTURES[1:]
    gesture: np.ndarray  # (N,) index into GESTURES
    confidence: np.ndarray  # (N,)
    ray_origin: np.ndarray  # (N, 2)
    ray_direction: np.ndarray  # (N, 2) unit; NaN where the finger points at the camera

    def result(self, i: int) -> GestureResult:
        name = GESTURES[int(self.gesture[i])]
        ray = None
        if name == "pointing" and not np.isnan(self.ray_direction[i]).any():
            ray = PointingRay(self.ray_origin[i].copy(), self.ray_direction[i].copy())
        return GestureResult(name, float(self.confidence[i]), ray)


def classify(
    landmarks: np.ndarray, handedness: str = "right", presence: float = 1.0
) -> GestureResult:
    """The gesture of one hand: ``landmarks`` (21, 3), ``handedness`` "left" or "right",
    ``presence`` the landmark model's hand score (it scales the confidence; gating on it is
    the caller's choice, e.g. ``min_hand_score``)."""
    if handedness not in ("left", "right"):
        raise ValueError(f"handedness must be 'left' or 'right', got {handedness!r}")
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (21, 3):
        raise ValueError(
            f"landmarks must have shape (21, 3) (21 hand points x, y, z), got {points.shape}"
        )
    return classify_batch(points[None], np.array([presence], np.float64)).result(0)


def classify_batch(landmarks: np.ndarray, presence: np.ndarray | None = None) -> GestureBatch:
    """Gestures of N hands at once: ``landmarks`` (N, 21, 3), ``presence`` (N,) or None."""
    points = _checked(landmarks)
    n = len(points)
    presence = np.ones(n) if presence is None else np.asarray(presence, np.float64).reshape(-1)
    if presence.shape != (n,) or not np.all((presence >= 0) & (presence <= 1)):
        raise ValueError(f"presence must be {n} values in [0, 1], got {presence!r}")
    relative = (points - points[:, :1]) * [1.0, 1.0, Z_WEIGHT]
    palm = np.linalg.norm(relative[:, FINGERS[:, 0]], axis=-1).mean(axis=1)
    if np.any(palm < 1e-6):
        bad = np.flatnonzero(palm < 1e-6).tolist()
        raise ValueError(
            f"landmarks of hands {bad} are degenerate: the knuckles lie on the wrist (palm size 0)"
        )
    extended, curled = _finger_states(relative)
    thumb_out, up, down = _thumb(relative, palm)
    scores = np.stack(
        [
            extended.min(axis=1),
            np.minimum(curled.min(axis=1), 1 - thumb_out),
            np.minimum.reduce([curled.min(axis=1), thumb_out, up]),
            np.minimum.reduce([curled.min(axis=1), thumb_out, down]),
            np.minimum(extended[:, 0], curled[:, 1:].min(axis=1)),
            np.minimum.reduce(
                [extended[:, :2].min(axis=1), curled[:, 2:].min(axis=1), 1 - thumb_out]
            ),
        ],
        axis=1,
    )
    ordered = np.sort(scores, axis=1)
    best, second = ordered[:, -1], ordered[:, -2]
    shown = (best >= ACCEPT) & (best - second >= MARGIN)
    gesture = np.where(shown, scores.argmax(axis=1) + 1, 0)
    confidence = np.where(shown, best * presence, 1 - best)
    origin, direction = _index_ray(points)
    return GestureBatch(scores, gesture, confidence, origin, direction)


def _checked(landmarks: np.ndarray) -> np.ndarray:
    points = np.asarray(landmarks, dtype=np.float64)
    if points.ndim != 3 or points.shape[1:] != (21, 3):
        raise ValueError(
            f"landmarks must have shape (N, 21, 3) (21 hand points x, y, z), got {points.shape}"
        )
    bad = ~np.isfinite(points).all(axis=2)
    if bad.any():
        where = [(int(h), int(p)) for h, p in np.argwhere(bad)[:5]]
        raise ValueError(f"landmarks contain NaN or infinite values at (hand, point) {where}")
    return points


def _ramp(x: np.ndarray, zero_at: float, one_at: float) -> np.ndarray:
    return np.clip((x - zero_at) / (one_at - zero_at), 0.0, 1.0)


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Degrees between vectors along the last axis."""
    cos = (a * b).sum(-1) / np.maximum(
        np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12
    )
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _finger_states(relative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4) extended and curled memberships of index .. pinky."""
    knuckle, pip, tip = (relative[:, FINGERS[:, j]] for j in (0, 1, 3))
    turn = _angle(knuckle, tip - knuckle)
    curl = _angle(knuckle, pip - knuckle) + _angle(pip - knuckle, tip - pip)
    return _ramp(turn, *EXTENDED_TURN), _ramp(curl, *CURLED_CURL)


def _thumb(relative: np.ndarray, palm: np.ndarray) -> tuple[np.ndarray, ...]:
    """(N,) thumb-out membership and how much it points up / down in the image."""
    bones = np.diff(relative[:, 1:5], axis=1)  # CMC->MCP, MCP->IP, IP->tip
    bend = _angle(bones[:, :-1], bones[:, 1:]).sum(axis=1)
    gap = np.linalg.norm(relative[:, 5:] - relative[:, 4:5], axis=-1).min(axis=1) / palm
    out = (_ramp(bend, *THUMB_BEND) + _ramp(gap, *THUMB_GAP)) / 2
    aim = relative[:, 4] - relative[:, 2]
    flat = np.linalg.norm(aim[:, :2], axis=1)
    in_image = _ramp(flat / np.maximum(np.linalg.norm(aim, axis=1), 1e-12), *IN_IMAGE)
    upward = -aim[:, 1] / np.maximum(flat, 1e-12)  # y grows down
    return (
        out,
        _ramp(upward, *THUMB_VERTICAL) * in_image,
        _ramp(-upward, *THUMB_VERTICAL) * in_image,
    )


def _index_ray(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index MCP and the unit image direction MCP -> tip (NaN when seen end-on)."""
    origin = points[:, 5, :2]
    aim = points[:, 8] - points[:, 5]
    flat = np.linalg.norm(aim[:, :2], axis=1)
    seen = flat >= RAY_MIN_IN_IMAGE * np.linalg.norm(aim, axis=1)
    direction = np.where(seen[:, None], aim[:, :2] / np.maximum(flat, 1e-12)[:, None], np.nan)
    return origin.copy(), direction


@dataclass(frozen=True)
class Evaluation:
    """Confusion of a labeled set: rows the truth, columns the answer, both in GESTURES order."""

    confusion: np.ndarray  # (7, 7) counts

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / max(self.confusion.sum(), 1))

    @property
    def precision(self) -> np.ndarray:
        return np.diag(self.confusion) / np.maximum(self.confusion.sum(axis=0), 1)

    @property
    def recall(self) -> np.ndarray:
        return np.diag(self.confusion) / np.maximum(self.confusion.sum(axis=1), 1)

    @property
    def gesture_precision(self) -> float:
        """Of the hands given a gesture, how many had that gesture (false alarms cost)."""
        said = self.confusion[:, 1:]
        return float(np.trace(self.confusion[1:, 1:]) / max(said.sum(), 1))


def evaluate(
    landmarks: np.ndarray, labels: np.ndarray, presence: np.ndarray | None = None
) -> Evaluation:
    """Score the classifier on any labeled set (synthetic, or real hands from a .npz)."""
    labels = np.asarray(labels).astype(str)
    unknown = sorted(set(labels.tolist()) - set(GESTURES))
    if unknown:
        raise ValueError(f"labels {unknown} are not gestures; use {GESTURES}")
    if len(labels) != len(np.asarray(landmarks)):
        raise ValueError(f"{len(labels)} labels for {len(np.asarray(landmarks))} hands")
    truth = np.array([GESTURES.index(label) for label in labels], np.int64)
    answer = classify_batch(landmarks, presence).gesture
    confusion = np.zeros((len(GESTURES), len(GESTURES)), np.int64)
    np.add.at(confusion, (truth, answer), 1)
    return Evaluation(confusion)
