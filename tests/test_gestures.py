"""Gesture classification from hand landmarks, on the kinematic hands of ``hand_poses``.

There are no labeled real landmarks offline: every hand here is synthetic (clean canonical
poses, moved by exact transforms, and a seeded noisy set).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edge_assistant.vision.gestures import GESTURES, classify, classify_batch, evaluate
from edge_assistant.vision.hand_poses import POSES, LandmarkSet, canonical, generate
from tests.conftest import run_bench

SHOWN = [k for k, pose in POSES.items() if pose.label != "none"]
NEGATIVES = [k for k, pose in POSES.items() if pose.label == "none"]
NOT_THUMBS = [k for k in POSES if not k.startswith("thumb")]


def roll(points: np.ndarray, degrees: float, about: np.ndarray | None = None) -> np.ndarray:
    """Turn a hand in the image plane, clockwise on screen (y grows down)."""
    about = points[9, :2] if about is None else about
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    turned = points.copy()
    turned[:, :2] = (points[:, :2] - about) @ np.array([[c, s], [-s, c]]) + about
    return turned


def mirror(points: np.ndarray) -> np.ndarray:
    """The other hand: x mirrored about the wrist."""
    flipped = points.copy()
    flipped[:, 0] = 2 * points[0, 0] - points[:, 0]
    return flipped


def back_to_camera(points: np.ndarray) -> np.ndarray:
    """Half a turn about the image's vertical axis through the wrist: x and z flip."""
    turned = points.copy()
    turned[:, 0] = 2 * points[0, 0] - points[:, 0]
    turned[:, 2] = -points[:, 2]
    return turned


def finger_angle(points: np.ndarray) -> float:
    """Clockwise screen angle of the index finger (MCP -> tip) from image up."""
    aim = points[8, :2] - points[5, :2]
    return float(np.degrees(np.arctan2(aim[0], -aim[1])))


@pytest.mark.parametrize("kind", list(POSES))
def test_clean_canonical_poses(kind: str) -> None:
    result = classify(canonical(kind), "right", 0.9)
    assert result.gesture == POSES[kind].label
    assert 0.0 <= result.confidence <= 1.0
    if result.gesture != "none":
        assert result.confidence == pytest.approx(0.9)  # clean: full score x presence
    assert (result.pointing is not None) == (result.gesture == "pointing")


@pytest.mark.parametrize("kind", NOT_THUMBS)
@pytest.mark.parametrize("degrees", [-150, -90, -35, 60, 120, 180])
def test_in_plane_rotation_does_not_change_the_gesture(kind: str, degrees: float) -> None:
    assert classify(roll(canonical(kind), degrees)).gesture == POSES[kind].label


@pytest.mark.parametrize("kind", list(POSES))
def test_scale_translation_mirror_and_back_of_hand(kind: str) -> None:
    points = canonical(kind)
    expected = classify(points).gesture
    moved = points * 0.3 + [900.0, -40.0, 0.0]  # z scales like x
    assert classify(moved).gesture == expected
    assert classify(points * 4.0, "right").gesture == expected
    assert classify(mirror(points), "left").gesture == expected
    assert classify(mirror(points), "right").gesture == expected  # handedness is not needed
    assert classify(back_to_camera(points)).gesture == expected


def test_confidence_is_the_same_after_any_similarity_transform() -> None:
    base = canonical("victory")
    wobbly = base + np.random.default_rng(0).normal(scale=2.0, size=base.shape)
    confidence = classify(wobbly).confidence
    for moved in (roll(wobbly, 77), mirror(wobbly), back_to_camera(wobbly), wobbly * 2.5 + 7):
        assert classify(moved).confidence == pytest.approx(confidence)


def test_thumbs_up_turns_into_thumbs_down_when_the_image_turns_upside_down() -> None:
    up, down = canonical("thumbs_up"), canonical("thumbs_down")
    assert classify(roll(up, 180)).gesture == "thumbs_down"
    assert classify(roll(down, 180)).gesture == "thumbs_up"
    for degrees in (-30, -15, 15, 30):  # a tilted thumb still points up
        assert classify(roll(up, degrees)).gesture == "thumbs_up"
        assert classify(roll(down, degrees)).gesture == "thumbs_down"
    for degrees in (90, -90):  # sideways is neither
        assert classify(roll(up, degrees)).gesture == "none"
    assert classify(mirror(up), "left").gesture == "thumbs_up"
    assert classify(back_to_camera(down)).gesture == "thumbs_down"


@pytest.mark.parametrize(("direction", "wanted"), [((1.0, 0.0), 90.0), ((0.0, -1.0), 0.0)])
def test_pointing_ray_follows_the_index_finger(
    direction: tuple[float, float], wanted: float
) -> None:
    hand = canonical("pointing")
    hand = roll(hand, wanted - finger_angle(hand), about=hand[5, :2])  # right: 90, up: 0
    result = classify(hand)
    assert result.gesture == "pointing" and result.pointing is not None
    origin, unit = result.pointing  # unpacks as the pipeline does
    np.testing.assert_allclose(origin, hand[5, :2])
    np.testing.assert_allclose(unit, direction, atol=1e-9)
    tip = hand[8, :2] - origin
    assert abs(tip[0] * unit[1] - tip[1] * unit[0]) < 1e-6 and tip @ unit > 0  # tip on the ray


def test_pointing_at_the_camera_keeps_the_gesture_but_gives_no_ray() -> None:
    hand = canonical("pointing")
    hand = roll(hand, -finger_angle(hand), about=hand[5, :2])  # finger straight up
    tip_toward_camera = np.radians(75)  # the whole hand tips forward about the image x axis
    c, s = np.cos(tip_toward_camera), np.sin(tip_toward_camera)
    turn = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    seen_end_on = (hand - hand[5]) @ turn.T + hand[5]
    aim = seen_end_on[8] - seen_end_on[5]
    assert np.linalg.norm(aim[:2]) < 0.2 * np.linalg.norm(aim)
    result = classify(seen_end_on)
    assert result.gesture == "pointing" and result.pointing is None


def test_seeded_synthetic_set_accuracy() -> None:
    """Measured with seeds 100-109 (n=600): accuracy 0.990-0.997, gesture precision >=
    0.995, worst class recall >= 0.96; seed 11: 0.992 / 0.998 / 0.975."""
    data = generate(600, seed=11)
    result = evaluate(data.landmarks, data.labels, data.presence)
    assert result.confusion.sum() == 600
    assert result.accuracy >= 0.97
    assert result.gesture_precision >= 0.98
    assert result.recall.min() >= 0.93, dict(zip(GESTURES, result.recall.round(3), strict=True))


def test_generator_is_seeded_and_labels_every_gesture() -> None:
    a, b = generate(120, seed=3), generate(120, seed=3)
    np.testing.assert_array_equal(a.landmarks, b.landmarks)
    assert not np.array_equal(a.landmarks, generate(120, seed=4).landmarks)
    assert set(a.labels) == set(GESTURES)
    assert set(a.handedness) == {"left", "right"}
    assert a.landmarks.shape == (120, 21, 3)


def test_landmark_set_round_trips_through_npz(tmp_path: Path) -> None:
    data = generate(50, seed=1)
    data.save(tmp_path / "set.npz")
    loaded = LandmarkSet.load(tmp_path / "set.npz")
    np.testing.assert_allclose(loaded.landmarks, data.landmarks)
    assert loaded.labels.tolist() == data.labels.tolist()
    np.savez(tmp_path / "bad.npz", landmarks=np.zeros((3, 20, 3)), labels=np.array(["fist"] * 3))
    with pytest.raises(ValueError, match="must be"):
        LandmarkSet.load(tmp_path / "bad.npz")


def test_batch_and_single_calls_agree() -> None:
    data = generate(60, seed=2)
    batch = classify_batch(data.landmarks, data.presence)
    for i in range(60):
        single = classify(data.landmarks[i], str(data.handedness[i]), float(data.presence[i]))
        same = batch.result(i)
        assert (single.gesture, single.confidence) == (same.gesture, same.confidence)
        assert (single.pointing is None) == (same.pointing is None)
        if single.pointing is not None and same.pointing is not None:
            np.testing.assert_array_equal(single.pointing.direction, same.pointing.direction)


@pytest.mark.parametrize(
    ("landmarks", "message"),
    [
        (np.zeros((20, 3)), r"shape \(21, 3\).*got \(20, 3\)"),
        (np.zeros((21, 2)), r"shape \(21, 3\)"),
        (np.zeros(63), r"shape \(21, 3\)"),
        (np.zeros((21, 3)), "degenerate"),
    ],
)
def test_malformed_landmarks_are_refused(landmarks: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classify(landmarks)


def test_nan_and_bad_arguments_are_refused() -> None:
    hand = canonical("fist")
    hand[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN.*\(0, 7\)"):
        classify(hand)
    hand[7, 1] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        classify(hand)
    with pytest.raises(ValueError, match="handedness"):
        classify(canonical("fist"), "up")
    with pytest.raises(ValueError, match="presence"):
        classify(canonical("fist"), "left", 1.5)
    with pytest.raises(ValueError, match=r"shape \(N, 21, 3\)"):
        classify_batch(np.zeros((21, 3)))
    with pytest.raises(ValueError, match="not gestures"):
        evaluate(canonical("fist")[None], np.array(["wave"]))


def test_bench_prints_confusion_and_result() -> None:
    proc = run_bench("gesture_eval.py", "--n", "150", "--seed", "5")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert any(line.split()[:1] == ["truth/answer"] for line in lines)
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert set(result["per_class_recall"]) == set(GESTURES)
    assert 0.9 <= result["gesture_acc"] <= 1.0
    assert 0.0 <= result["gesture_none_precision"] <= 1.0
    assert result["us_per_hand"] > 0
