"""Labeled hand landmarks in MediaPipe's 21-point topology, posed by a kinematic hand model.

There is no labeled real landmark data offline, so ``gestures`` is measured on SYNTHETIC
hands: a right hand of typical adult bone lengths (millimetres below), each finger flexed at
MCP, PIP and DIP and spread at MCP, the thumb aimed at its CMC and flexed at MCP and IP.
Each pose (``POSES``) gives every finger a state (a range of joint angles) and draws the
angles uniformly within it, so two hands of one pose differ. Then: hand size x0.85-1.15, a
left hand is the mirror image, palm or back toward the camera (half each), out-of-plane tilt
up to ``max_tilt_deg`` about a random axis, in-plane roll (any angle, or aimed for the thumb
poses), 0.35-1.5 m from a 640x480 pinhole camera (f = 500 px) anywhere in the frame,
perspective projection, z as MediaPipe gives it (depth from the wrist, in x's pixel scale,
with a random 0.6-1.3 scale error) and Gaussian noise of 1-3 % of the palm size per
coordinate (twice that on z).

Negatives are labeled ``none``: a relaxed (cupped) hand, a half-closed claw, three fingers
(two ways), "call me", horns, an OK sign, the middle finger, and a fist with the thumb out
sideways. Thumbs up / down are aimed within 35 degrees of straight up / down in the image;
the sideways thumb 65-115 degrees from up. Pointing has the thumb tucked or out ("L"), both
labeled ``pointing``. A generated set is 25 % negatives, the six gestures 12.5 % each.

Joint-angle bands (MCP, PIP, DIP flexion, degrees) leave a gap wherever the label changes
(extended | relaxed, half | curled), so no label is a coin toss at a band edge: extended -5..15 / 0..12 / 0..10; relaxed 20..40 / 30..55 / 15..35;
half 35..60 / 45..75 / 25..45; curled 70..95 / 90..110 / 45..75. Real hands also take the
poses in those gaps; what a classifier says there is not measured here.

What this does NOT cover, so numbers measured on it are an upper bound for real use:
MediaPipe's real errors are correlated (a hidden finger is guessed as a whole, a curled
finger behind the palm comes out half-extended, z is poorly calibrated), while the noise
here is independent per landmark; no side views of a fist beyond the tilt limit, no hands
cut by the frame edge, no motion blur, no children's or unusual hands; the joint-angle
ranges that define each gesture and each negative are this module's choice, and the
classifier was written knowing them. Real sets can be loaded with ``LandmarkSet.load``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Hand frame of a right hand: x toward the thumb, y from the wrist toward the fingers, z out
# of the palm (the side the fingers curl to). Millimetres.
CMC = np.array([20.0, 22.0, 5.0])
MCPS = np.array([[24.0, 78, 0], [5, 82, 0], [-13, 77, 2], [-29, 68, 5]])  # index .. pinky
PHALANGES = np.array([[40.0, 23, 19], [45, 27, 20], [42, 26, 19], [33, 18, 17]])
THUMB_BONES = np.array([45.0, 32, 25])  # metacarpal, proximal, distal (to the tip)
SPLAY_DEG = np.array([8.0, 0, -7, -14])  # resting spread at MCP, + toward the thumb
THUMB_FLEX_TOWARD = np.array([-1.0, -0.2, 0.1]) / np.linalg.norm([-1.0, -0.2, 0.1])

# Finger states: (MCP, PIP, DIP) flexion ranges in degrees.
FINGER_STATES: dict[str, tuple[tuple[float, float], ...]] = {
    "extended": ((-5, 15), (0, 12), (0, 10)),
    "relaxed": ((20, 40), (30, 55), (15, 35)),
    "half": ((35, 60), (45, 75), (25, 45)),
    "curled": ((70, 95), (90, 110), (45, 75)),
}
# Thumb states: (toward the thumb side from y, out of the palm, MCP flexion, IP flexion).
THUMB_STATES: dict[str, tuple[tuple[float, float], ...]] = {
    "extended": ((50, 75), (5, 25), (0, 15), (0, 20)),
    "alongside": ((15, 30), (0, 15), (0, 15), (0, 15)),
    "relaxed": ((30, 50), (20, 35), (10, 30), (10, 30)),
    "half": ((30, 40), (28, 38), (25, 40), (20, 35)),  # tip near a half-bent index tip
    "folded": ((28, 40), (30, 42), (50, 65), (40, 55)),  # across the curled index / middle
    "across": ((15, 25), (35, 45), (65, 80), (55, 65)),  # over the curled ring / pinky
}
AIMS: dict[str, tuple[float, float]] = {"up": (-35, 35), "down": (145, 215), "side": (65, 115)}


@dataclass(frozen=True)
class Pose:
    label: str  # what the classifier should say
    fingers: tuple[str, str, str, str]  # index, middle, ring, pinky states
    thumbs: tuple[str, ...]  # thumb states, one drawn per hand
    aim: str | None = None  # thumb direction in the image: a key of AIMS


_CURLED = ("curled",) * 4
POSES: dict[str, Pose] = {
    "open_palm": Pose("open_palm", ("extended",) * 4, ("extended", "alongside")),
    "fist": Pose("fist", _CURLED, ("folded",)),
    "thumbs_up": Pose("thumbs_up", _CURLED, ("extended",), "up"),
    "thumbs_down": Pose("thumbs_down", _CURLED, ("extended",), "down"),
    "pointing": Pose(
        "pointing", ("extended", "curled", "curled", "curled"), ("folded", "extended")
    ),
    "victory": Pose("victory", ("extended", "extended", "curled", "curled"), ("across",)),
    "relaxed": Pose("none", ("relaxed",) * 4, ("relaxed",)),
    "half_closed": Pose("none", ("half",) * 4, ("half",)),
    "three": Pose("none", ("extended", "extended", "extended", "curled"), ("across",)),
    "three_thumb": Pose("none", ("extended", "extended", "curled", "curled"), ("extended",)),
    "call_me": Pose("none", ("curled", "curled", "curled", "extended"), ("extended",)),
    "horns": Pose("none", ("extended", "curled", "curled", "extended"), ("folded",)),
    "ok_sign": Pose("none", ("half", "extended", "extended", "extended"), ("half",)),
    "middle_finger": Pose("none", ("curled", "extended", "curled", "curled"), ("folded",)),
    "thumb_sideways": Pose("none", _CURLED, ("extended",), "side"),
}
NONE_SHARE = 0.25  # of a generated set; the six gestures share the rest equally


@dataclass(frozen=True)
class LandmarkSet:
    """Hands with their true gesture: what ``gestures.evaluate`` scores."""

    landmarks: np.ndarray  # (N, 21, 3) x, y image pixels (y down), z relative depth
    labels: np.ndarray  # (N,) gesture names
    handedness: np.ndarray  # (N,) "left" | "right"
    presence: np.ndarray  # (N,) hand presence score
    kinds: np.ndarray  # (N,) the pose each was drawn from ("real" for loaded sets)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, **{k: getattr(self, k) for k in self.__dataclass_fields__})

    @classmethod
    def load(cls, path: Path) -> LandmarkSet:
        """A .npz with ``landmarks`` (N, 21, 3) and ``labels`` (N,); ``handedness``,
        ``presence`` and ``kinds`` are optional."""
        with np.load(path, allow_pickle=False) as data:
            missing = {"landmarks", "labels"} - set(data.files)
            if missing:
                raise ValueError(f"{path}: missing arrays {sorted(missing)}")
            landmarks = np.asarray(data["landmarks"], np.float64)
            n = len(landmarks)
            if landmarks.shape != (n, 21, 3) or data["labels"].shape != (n,):
                raise ValueError(
                    f"{path}: landmarks {landmarks.shape} and labels {data['labels'].shape} "
                    "must be (N, 21, 3) and (N,)"
                )
            get = {k: data[k] for k in data.files}
        return cls(
            landmarks,
            get["labels"].astype(str),
            get.get("handedness", np.full(n, "right")).astype(str),
            get.get("presence", np.ones(n)).astype(np.float64),
            get.get("kinds", np.full(n, "real")).astype(str),
        )


def generate(n: int = 2000, seed: int = 0, max_tilt_deg: float = 40.0) -> LandmarkSet:
    """``n`` labeled hands, the same for the same seed."""
    rng = np.random.default_rng(seed)
    names = list(POSES)
    negatives = [k for k in names if POSES[k].label == "none"]
    weights = np.array(
        [NONE_SHARE / len(negatives) if k in negatives else 0.0 for k in names], np.float64
    )
    weights[weights == 0] = (1 - NONE_SHARE) / (len(names) - len(negatives))
    kinds = rng.choice(names, size=n, p=weights)
    local = np.stack([_pose_hand(POSES[str(k)], rng) for k in kinds])
    mirrored = rng.random(n) < 0.5
    local[mirrored, :, 0] *= -1  # a left hand is the mirror image of a right one
    aims = [POSES[str(k)].aim for k in kinds]
    landmarks = _photograph(local, aims, rng, max_tilt_deg)
    return LandmarkSet(
        landmarks,
        np.array([POSES[str(k)].label for k in kinds]),
        np.where(mirrored, "left", "right"),
        rng.uniform(0.7, 1.0, n),
        kinds.astype(str),
    )


def canonical(kind: str, palm_px: float = 100.0) -> np.ndarray:
    """(21, 3) landmarks of one clean ``kind`` hand (a key of POSES): a right hand, every
    angle in the middle of its range, palm to the camera, fingers up, no noise, wrist at
    (320, 400), wrist to middle knuckle ``palm_px`` long; a thumb pose is turned so the
    thumb points to the middle of its aim."""
    pose = POSES[kind]
    local = _pose_hand(pose, _Middle())
    points = local * [1.0, -1.0, -1.0] * palm_px / np.linalg.norm(local[9])
    if pose.aim is not None:
        thumb = points[4, :2] - points[2, :2]
        turn = np.radians(np.mean(AIMS[pose.aim])) - np.arctan2(thumb[0], -thumb[1])
        c, s = np.cos(turn), np.sin(turn)
        points[:, :2] = points[:, :2] @ np.array([[c, s], [-s, c]])  # clockwise on screen
    return points + np.array([320.0, 400.0, 0.0])


class _Middle:
    """Draws like a random generator, always the middle of the range (the first option)."""

    def uniform(self, low: float, high: float, size: int | None = None) -> np.ndarray:
        return np.full(size if size is not None else (), (low + high) / 2)

    def choice(self, options: tuple[str, ...]) -> str:
        return options[0]


Draws = np.random.Generator | _Middle


def _draw(ranges: tuple[tuple[float, float], ...], rng: Draws) -> np.ndarray:
    return np.radians([rng.uniform(lo, hi) for lo, hi in ranges])


def _pose_hand(pose: Pose, rng: Draws) -> np.ndarray:
    """(21, 3) landmarks of one right hand in the hand frame, millimetres."""
    flex = np.stack([_draw(FINGER_STATES[s], rng) for s in pose.fingers])  # (4, 3)
    spread = rng.uniform(0.4, 1.8) if pose.fingers[0] == "extended" else rng.uniform(0.2, 1.0)
    splay = np.radians(SPLAY_DEG * spread + rng.uniform(-4, 4, 4))
    base = 0.5 * np.arctan2(MCPS[:, 0], MCPS[:, 1]) + splay  # fingers fan less than the bones
    along = np.stack([np.sin(base), np.cos(base), np.zeros(4)], axis=1)  # (4, 3)
    total = np.cumsum(flex, axis=1)[..., None]  # (4, 3, 1)
    bones = np.cos(total) * along[:, None] + np.sin(total) * np.array([0.0, 0.0, 1.0])
    fingers = MCPS[:, None] + np.cumsum(bones * PHALANGES[..., None], axis=1)  # (4, 3, 3)
    fingers = np.concatenate([MCPS[:, None], fingers], axis=1).reshape(16, 3)

    radial, palmar, mcp, ip = _draw(THUMB_STATES[str(rng.choice(pose.thumbs))], rng)
    aim = np.array(
        [np.sin(radial) * np.cos(palmar), np.cos(radial) * np.cos(palmar), np.sin(palmar)]
    )
    toward = THUMB_FLEX_TOWARD - (THUMB_FLEX_TOWARD @ aim) * aim
    toward /= np.linalg.norm(toward)
    angles = np.array([0.0, mcp, mcp + ip])[:, None]
    thumb = CMC + np.cumsum(
        (np.cos(angles) * aim + np.sin(angles) * toward) * THUMB_BONES[:, None], 0
    )
    hand = np.concatenate([np.zeros((1, 3)), CMC[None], thumb, fingers])
    return hand * rng.uniform(0.85, 1.15)


def _rotation(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations by ``angle`` (N,) about unit ``axis`` (N, 3) (Rodrigues)."""
    x, y, z = axis.T
    zero = np.zeros_like(x)
    k = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], axis=1).reshape(-1, 3, 3)
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def _photograph(
    local: np.ndarray, aims: list[str | None], rng: np.random.Generator, max_tilt_deg: float
) -> np.ndarray:
    """Hand-frame landmarks (N, 21, 3) seen by the camera: pixels plus MediaPipe-like z."""
    n = len(local)
    # palm toward the camera, fingers up: hand (x, y, z) -> camera (X, -Y, -Z), Y down, Z away
    points = local * np.array([1.0, -1.0, -1.0])
    back = rng.random(n) < 0.5  # half show the back of the hand: half a turn about image y
    points[back] *= np.array([-1.0, 1.0, -1.0])
    centre = points[:, [0, 5, 9, 13, 17]].mean(axis=1, keepdims=True)
    points -= centre
    tilt_axis = rng.uniform(0, 2 * np.pi, n)
    axis = np.stack([np.cos(tilt_axis), np.sin(tilt_axis), np.zeros(n)], axis=1)
    tilt = np.radians(rng.uniform(0, max_tilt_deg, n))
    points = np.einsum("nij,nkj->nki", _rotation(axis, tilt), points)

    thumb = points[:, 4, :2] - points[:, 2, :2]
    current = np.degrees(np.arctan2(thumb[:, 0], -thumb[:, 1]))  # clockwise from image up
    target = np.array(
        [
            rng.uniform(*AIMS[a]) * (rng.choice([-1, 1]) if a == "side" else 1) if a else np.nan
            for a in aims
        ]
    )
    roll = np.where(np.isnan(target), rng.uniform(-180, 180, n), target - current)
    z_axis = np.tile([0.0, 0.0, 1.0], (n, 1))
    points = np.einsum("nij,nkj->nki", _rotation(z_axis, np.radians(roll)), points)

    f, width, height = 500.0, 640.0, 480.0
    depth = rng.uniform(350, 1500, n)
    where = np.stack([rng.uniform(0.2, 0.8, n) * width, rng.uniform(0.2, 0.8, n) * height], 1)
    points[..., 2] += depth[:, None]
    points[..., :2] += ((where - [width / 2, height / 2]) * depth[:, None] / f)[:, None]
    z = points[..., 2]
    pixels = f * points[..., :2] / z[..., None] + [width / 2, height / 2]
    wrist_z = z[:, :1]
    rel_z = (z - wrist_z) * f / wrist_z * rng.uniform(0.6, 1.3, (n, 1))
    out = np.concatenate([pixels, rel_z[..., None]], axis=-1)

    palm = np.linalg.norm(local[:, 9] - local[:, 0], axis=1) * f / depth
    sigma = (palm * rng.uniform(0.01, 0.03, n))[:, None, None] * np.array([1.0, 1.0, 2.0])
    return out + rng.normal(size=out.shape) * sigma
