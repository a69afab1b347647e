"""The vision pipeline's numpy parts on hand-made numbers: anchors, letterboxing, decoding,
weighted NMS, rotated crops, zones and rays, and the tracker's hysteresis."""

from __future__ import annotations

import numpy as np
import pytest

from edge_assistant.config.vision import TrackerConfig, VisionConfig, ZoneConfig
from edge_assistant.errors import ConfigError
from edge_assistant.home import load_home
from edge_assistant.vision.context import Observation, SceneTracker
from edge_assistant.vision.detection import (
    FACE,
    PALM,
    POSE,
    Decoder,
    Detections,
    anchors,
    letterbox,
    weighted_nms,
)
from edge_assistant.vision.roi import Roi, hand_roi, palm_roi, to_frame
from edge_assistant.vision.zones import Zones, contains, ray_polygon
from tests.conftest import REPO

HOME = load_home(REPO / "examples" / "home.yaml")


def test_anchor_counts_match_the_models_outputs() -> None:
    assert [len(anchors(s)) for s in (FACE, PALM, POSE)] == [2304, 2016, 2254]
    grid = anchors(PALM)
    assert grid.min() > 0 and grid.max() < 1
    assert np.allclose(grid[0], [0.5 / 24, 0.5 / 24]) and np.allclose(grid[1], grid[0])


def test_letterbox_maps_back_to_the_frame() -> None:
    frame = np.full((480, 640, 3), 255, np.uint8)
    tensor, box = letterbox(frame, PALM)
    assert tensor.shape == (1, 192, 192, 3) and tensor.dtype == np.float32
    assert tensor[0, 0, 0, 0] == 0.0 and tensor[0, 96, 96, 0] == pytest.approx(1.0)
    corners = np.array([[0, 24 / 192], [1, 168 / 192]], np.float32)  # the image part
    assert np.allclose(box.to_frame(corners), [[0, 0], [1, 1]], atol=1e-6)
    face_tensor, _ = letterbox(frame, FACE)
    assert face_tensor.max() == pytest.approx(1.0) and face_tensor.min() == 0.0  # [-1, 1] range


def test_decoding_a_raw_detection_and_merging_overlaps() -> None:
    decoder = Decoder(PALM, 0.5)
    count = len(decoder.anchors)
    raw_boxes = np.zeros((1, count, 18), np.float32)
    raw_scores = np.full((1, count, 1), -10.0, np.float32)
    index = 300
    raw_boxes[0, index, :4] = [0, 0, 19.2, 19.2]  # a 0.1 x 0.1 box on the anchor
    raw_scores[0, index, 0] = 3.0
    square = np.zeros((192, 192, 3), np.uint8)
    _, box = letterbox(square, PALM)
    found = decoder({"a": raw_boxes, "b": raw_scores}, box)
    centre = decoder.anchors[index]
    assert len(found) == 1 and found.scores[0] == pytest.approx(1 / (1 + np.exp(-3)))
    assert np.allclose(found.boxes[0], [*(centre - 0.05), *(centre + 0.05)], atol=1e-6)
    assert np.allclose(found.keypoints[0], centre, atol=1e-6)
    with pytest.raises(ValueError, match="right model"):
        decoder({"a": np.zeros((1, 10, 4))}, box)
    two = Detections(
        np.array([[0, 0, 1, 1], [0.1, 0, 1.1, 1], [3, 3, 4, 4]], np.float32),
        np.zeros((3, 1, 2), np.float32),
        np.array([0.9, 0.6, 0.8], np.float32),
    )
    merged = weighted_nms(two, 0.3)
    assert len(merged) == 2
    assert merged.boxes[0, 0] == pytest.approx(0.1 * 0.6 / 1.5)  # score-weighted mean


def test_rotated_crop_round_trip() -> None:
    roi = Roi(100.0, 80.0, 40.0, np.pi / 2)  # the crop's up is the frame's right
    matrix = roi.affine(224)
    assert np.allclose(matrix @ [120, 80, 1], [112, 0], atol=1e-3)
    points = np.array([[10.0, 20.0, 5.0], [200.0, 100.0, -3.0]])
    back = to_frame(points, matrix)
    assert np.allclose(matrix @ np.append(back[0, :2], 1), points[0, :2], atol=1e-3)
    assert back[0, 2] == pytest.approx(5.0 * 40 / 224)
    frame = np.zeros((160, 200, 3), np.uint8)
    frame[70:90, 110:130] = 255  # right of the centre -> top of the crop
    crop, _ = roi.crop(frame, 224, (0.0, 1.0))
    top, bottom = crop[0, :40].mean(), crop[0, -40:].mean()
    assert top > 0.3 and bottom == 0


def test_hand_rois_turn_the_fingers_up() -> None:
    # palm detection: wrist below the middle knuckle, hand upright
    roi = palm_roi(
        np.array([0.4, 0.4, 0.6, 0.6]), np.array([[0.5, 0.6], [0, 0], [0.5, 0.45]]), 100, 100
    )
    assert roi.rotation == pytest.approx(0.0) and roi.cy < 50 and roi.size == pytest.approx(52)
    # landmarks of a hand pointing right
    landmarks = np.zeros((21, 3))
    landmarks[:, 0] = np.linspace(100, 200, 21)
    landmarks[:, 1] = 100.0
    assert hand_roi(landmarks).rotation == pytest.approx(np.pi / 2)


def test_zones_points_and_rays() -> None:
    square = np.array([[0.6, 0.1], [0.9, 0.1], [0.9, 0.4], [0.6, 0.4]])
    assert contains(square, np.array([0.7, 0.2])) and not contains(square, np.array([0.5, 0.2]))
    assert ray_polygon(np.array([0.1, 0.25]), np.array([1.0, 0.0]), square) == pytest.approx(0.5)
    assert ray_polygon(np.array([0.1, 0.25]), np.array([-1.0, 0.0]), square) == np.inf
    zones = Zones.from_config(
        [
            ZoneConfig(name="sofa", polygon=[(0, 0.5), (0.5, 0.5), (0.5, 1), (0, 1)], area="living_room"),
            ZoneConfig(name="tv", polygon=[(0.6, 0.1), (0.9, 0.1), (0.9, 0.4), (0.6, 0.4)], device="tv"),
            ZoneConfig(name="lamp", polygon=[(0.95, 0), (1, 0), (1, 0.5), (0.95, 0.5)], device="floor_lamp"),
        ],
        HOME,
    )  # fmt: skip
    assert zones.area_at(np.array([0.2, 0.8])) == "living_room"
    assert zones.area_at(np.array([0.2, 0.2])) is None
    assert zones.device_hit(np.array([0.1, 0.25]), np.array([1.0, 0.0])).device == "tv"  # first
    assert zones.device_hit(np.array([0.1, 0.25]), np.array([0.0, 1.0])) is None


def test_zone_config_errors_name_the_zone_and_value() -> None:
    with pytest.raises(ValueError, match=r"zone 'tv'.*outside the frame"):
        ZoneConfig(name="tv", polygon=[(0, 0), (1.5, 0), (1, 1)], device="tv")
    with pytest.raises(ValueError, match="area, a device or both"):
        ZoneConfig(name="x", polygon=[(0, 0), (1, 0), (1, 1)])
    with pytest.raises(ConfigError, match="'attic' is not an area"):
        Zones.from_config(
            [ZoneConfig(name="a", polygon=[(0, 0), (1, 0), (1, 1)], area="attic")], HOME
        )
    with pytest.raises(ConfigError, match="'jukebox' is not a device"):
        Zones.from_config(
            [ZoneConfig(name="j", polygon=[(0, 0), (1, 0), (1, 1)], device="jukebox")], HOME
        )


def test_tracker_hysteresis_keeps_presence_and_gestures_steady() -> None:
    tracker = SceneTracker(TrackerConfig(appear_frames=2, vanish_s=1.0, gesture_frames=3))

    def seen(t: float, n: int, gesture: str = "none"):
        people = {"kitchen": n} if n else {}
        return tracker.update(Observation(t, people, n, "kitchen" if n else None, gesture, None))

    assert seen(0.0, 1).people == {}  # one frame is not yet a person
    assert seen(0.1, 1).people == {"kitchen": 1} and seen(0.15, 1).in_view == 1
    assert seen(0.2, 0).people == {"kitchen": 1}  # a missed frame does not empty the room
    assert seen(1.3, 0).people == {}  # gone after vanish_s
    gestures = [seen(2 + i / 10, 1, g).gesture for i, g in enumerate(
        ["thumbs_up", "thumbs_up", "fist", "thumbs_up", "thumbs_up", "thumbs_up", "none"])]  # fmt: skip
    assert gestures == ["none", "none", "none", "none", "none", "thumbs_up", "thumbs_up"]
    context = seen(3.0, 1).to_context("kitchen")
    assert context.camera and context.speaker_area == "kitchen"


def test_vision_config_defaults_load() -> None:
    config = VisionConfig()
    assert config.capture.enabled and config.detectors.pose_every == 3


def test_a_landmark_output_missing_from_the_bundle_is_named() -> None:
    from edge_assistant.vision.pipeline import _output

    with pytest.raises(ValueError, match=r"no output 'Identity_2'.*re-export"):
        _output({"Identity": np.zeros((1, 63)), "Identity_1": np.zeros((1, 1))}, "Identity_2")
