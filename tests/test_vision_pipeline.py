"""The vision pipeline on real exported models and real photographs (scikit-image's
astronaut and matplotlib's Grace Hopper in an empty room scene), the watch command, the
annotated video, and what bad frames and configs do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_assistant.config.device import load_device_config
from edge_assistant.config.vision import ZoneConfig
from edge_assistant.home import load_home
from edge_assistant.vision.gestures import PointingRay
from edge_assistant.vision.pipeline import Hand, VisionModels, VisionPipeline
from edge_assistant.vision.roi import Roi
from edge_assistant.vision.zones import Zones
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import vision_data

HOME = load_home(REPO / "examples" / "home.yaml")


@pytest.fixture(scope="module")
def models(models_dir: Path) -> VisionModels:
    return VisionModels.from_config(load_device_config("cpu"), models_dir)


def pipeline_for(models: VisionModels, **vision) -> VisionPipeline:
    config = load_device_config("cpu").config.vision.model_copy(update=vision)
    return VisionPipeline(models, config, Zones.from_config(config.zones, HOME))


@pytest.mark.parametrize("who", ["astronaut", "grace_hopper"])
def test_a_person_in_the_room_is_seen_with_face_and_body(models: VisionModels, who: str) -> None:
    pipeline = pipeline_for(models, area="living_room")
    frame = vision_data.compose(vision_data.people()[who], 200, 40, 440)
    results = [pipeline.process(frame, now=i / 15) for i in range(4)]
    last = results[-1]
    assert len(last.faces) == 1 and last.faces.scores[0] > 0.6
    face = last.faces.boxes[0] * [640, 480, 640, 480]
    assert 200 <= face[0] < face[2] <= 640 and 40 <= face[1] < face[3] <= 480
    assert any(len(r.bodies) == 1 for r in results)
    assert last.context.people == {"living_room": 1} and last.context.in_view == 1
    assert last.context.speaker_area == "living_room"
    assert last.hands == []  # no hand in these photos
    assert set(last.timings) >= {"face", "total"}


def test_an_empty_room_is_empty_and_mostly_skipped(models: VisionModels) -> None:
    pipeline = pipeline_for(models, area="living_room")
    results = [pipeline.process(vision_data.room(), now=i / 15) for i in range(12)]
    assert all(r.context.people == {} and not len(r.faces) for r in results)
    looked = [r for r in results if r.timings["total"] > 0]
    assert len(looked) <= 12 // pipeline.config.detectors.idle_every + 1


def test_someone_walking_in_and_out_with_hysteresis(models: VisionModels) -> None:
    pipeline = pipeline_for(models, area="kitchen")
    contexts = [
        pipeline.process(f, now=i / 15).context for i, (f, _) in enumerate(vision_data.scene(120))
    ]
    present = [bool(c.people) for c in contexts]
    first = present.index(True)
    assert 40 <= first <= 40 + 2 * pipeline.config.detectors.idle_every  # seen soon after entering
    assert all(present[first:80])  # steady while in view
    assert not present[-1]  # gone 2 s after leaving (frame 80 + 30)


def test_zones_place_people_and_pointing_hits_a_device(models: VisionModels) -> None:
    zones = [
        ZoneConfig(name="sofa", polygon=[(0.3, 0), (1, 0), (1, 1), (0.3, 1)], area="living_room"),
        ZoneConfig(name="tv", polygon=[(0, 0.1), (0.1, 0.1), (0.1, 0.3), (0, 0.3)], device="tv"),
    ]
    pipeline = pipeline_for(models, zones=zones, area="kitchen")
    frame = vision_data.compose(vision_data.people()["astronaut"], 200, 40, 440)
    result = [pipeline.process(frame, now=i / 15) for i in range(3)][-1]
    assert result.context.people == {"living_room": 1}  # the zone wins over vision.area
    # a pointing hand at the frame's middle, aimed at (32, 96) px, hits the tv zone
    hand = Hand(np.zeros((21, 3)), 0.9, "right", Roi(320, 240, 100, 0), "pointing", 0.9,
                PointingRay(np.array([320.0, 240.0]), np.array([-0.894, -0.447])))  # fmt: skip
    observation, ray = pipeline._observe(result.faces, [hand], [], 640, 480, 1.0)
    assert observation.pointing_target == "tv" and ray is not None
    hand.ray = PointingRay(np.array([320.0, 240.0]), np.array([1.0, 0.0]))
    assert pipeline._observe(result.faces, [hand], [], 640, 480, 1.0)[0].pointing_target is None


@pytest.mark.parametrize(
    "frame", [None, np.zeros((0, 0, 3), np.uint8), np.zeros((48, 64), np.uint8)], ids=["none", "empty", "gray"]
)  # fmt: skip
def test_bad_frames_are_refused_clearly(models: VisionModels, frame) -> None:
    with pytest.raises(ValueError, match="H x W x 3"):
        pipeline_for(models).process(frame)


def watch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_assistant", "watch", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_watch_prints_changes_and_writes_an_annotated_video(
    tmp_path: Path, models_dir: Path
) -> None:
    video = vision_data.write_video(tmp_path / "scene.avi", (f for f, _ in vision_data.scene(60)))
    out = tmp_path / "seen.avi"
    proc = watch("--video-file", str(video), "--annotate", str(out), "--area", "Living Room",
                 "--models-dir", str(models_dir))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[-1] == {"event": "end", "read": 60, "delivered": 60, "dropped": 0, "corrupt": 0}
    assert any(line.get("people") == {"living_room": 1} for line in lines)
    capture = cv2.VideoCapture(str(out))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 60
    capture.set(cv2.CAP_PROP_POS_FRAMES, 30)
    ok, frame = capture.read()
    assert ok and frame.shape == (480, 640, 3)
    green = (frame[:, :, 1] > 150) & (frame[:, :, 0] < 80) & (frame[:, :, 2] < 80)
    assert green.sum() > 100  # the face box is drawn


def test_watch_errors_name_what_is_wrong(tmp_path: Path, models_dir: Path) -> None:
    missing = watch("--video-file", str(tmp_path / "nope.avi"), "--models-dir", str(models_dir))
    assert missing.returncode != 0 and "nope.avi" in missing.stderr
    area = watch(
        "--video-file", str(tmp_path / "x.avi"), "--area", "attic", "--models-dir", str(models_dir)
    )
    assert area.returncode != 0 and "attic" in area.stderr
    off = watch("--no-camera", "--models-dir", str(models_dir))
    assert off.returncode == 0 and json.loads(off.stdout)["event"] == "camera_off"
