"""The per-frame vision pipeline: faces, hands (palm detection -> hand landmarks ->
gesture), bodies (pose detection -> pose landmarks), zones -> a steady ``VisionContext``.

Cost control: a hand or body found in one frame is followed in the next from its
landmarks (one landmark model run, no detector); the palm detector runs only while a person
is in view (``hands_need_person``) and no hand is being followed, every ``palm_every``
frames; pose runs every ``pose_every`` frames (its last bodies stand in between), the pose
detector only while no body is followed; faces run every ``face_every`` frames. While
nobody is in view only every ``idle_every``-th frame is looked at, and only when it
changed (``motion_threshold`` on an 80x60 grey thumbnail) or ``idle_check_s`` passed: faces
each look, pose every third look. So an empty, still room costs almost nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.config.vision import VisionConfig
from edge_assistant.home.model import Home
from edge_assistant.inference.base import LoadedModel
from edge_assistant.inference.loader import load_role
from edge_assistant.vision.context import Observation, SceneTracker, VisionContext
from edge_assistant.vision.detection import FACE, PALM, POSE, Decoder, Detections, letterbox
from edge_assistant.vision.gestures import classify
from edge_assistant.vision.roi import (
    Roi,
    hand_roi,
    palm_roi,
    pose_landmarks_roi,
    pose_roi,
    to_frame,
)
from edge_assistant.vision.zones import Zones

ROLES = ("face_detection", "palm_detection", "hand_landmarks", "pose_detection", "pose_landmarks")
HAND_SIZE, POSE_SIZE = 224, 256
MAX_HANDS = 2
MOTION_SIZE, MOTION_LEVEL = (80, 60), 12  # thumbnail, grey levels that count as a change
IDLE_POSE_LOOKS = 3  # an empty room: someone seen from behind (no face) within ~1 s at 15 fps
# pose landmarks of the arms: shoulder, elbow, wrist, index knuckle (left, right)
ARMS = ((11, 13, 15, 19), (12, 14, 16, 20))


@dataclass
class Hand:
    landmarks: np.ndarray  # (21, 3) frame pixels (z scaled like x)
    score: float  # hand presence
    handedness: str  # "left" | "right"
    roi: Roi
    gesture: str = "none"
    gesture_score: float = 0.0
    ray: tuple[np.ndarray, np.ndarray] | None = None  # origin, unit direction (pixels)


@dataclass
class Body:
    landmarks: np.ndarray  # (33, 5) x, y (frame pixels), z, visibility, presence
    score: float
    roi: Roi


@dataclass
class FrameResult:
    faces: Detections
    hands: list[Hand]
    bodies: list[Body]
    context: VisionContext
    timings: dict[str, float] = field(default_factory=dict)  # ms per stage, this frame
    pointing: tuple[np.ndarray, np.ndarray] | None = None  # the ray used for the target


def _output(outputs: dict[str, np.ndarray], name: str) -> np.ndarray:
    """A landmark model's output by its name (two of the hand model's are both 1x1, so a
    shape cannot tell them apart): a bundle without it is the wrong model for the role."""
    if name not in outputs:
        raise ValueError(
            f"the model has no output {name!r} (it has {sorted(outputs)}): re-export the "
            "vision bundles with `edge-assistant export --config <config>`"
        )
    return outputs[name]


class VisionModels:
    """The five compiled models of a device config's vision roles."""

    def __init__(self, models: dict[str, LoadedModel]) -> None:
        self.models = models

    @classmethod
    def from_config(
        cls, device: LoadedDeviceConfig, models_dir: Path | None = None
    ) -> VisionModels:
        root = device.models_dir(models_dir)
        roles = device.config.roles
        return cls({role: load_role(root, role, getattr(roles, role))[0] for role in ROLES})

    def run(self, role: str, tensor: np.ndarray) -> dict[str, np.ndarray]:
        model = self.models[role]
        return model.run({model.input_names[0]: tensor})


class VisionPipeline:
    def __init__(
        self, models: VisionModels, config: VisionConfig, zones: Zones | None = None
    ) -> None:
        self.models = models
        self.config = config
        self.zones = zones or Zones([])
        self.tracker = SceneTracker(config.tracker)
        det = config.detectors
        self.face_decoder = Decoder(FACE, det.min_face_score)
        self.palm_decoder = Decoder(PALM, det.min_palm_score)
        self.pose_decoder = Decoder(POSE, det.min_pose_score)
        self._hand_rois: list[Roi] = []
        self._body_roi: Roi | None = None
        self._faces = Detections(np.zeros((0, 4)), np.zeros((0, 6, 2)), np.zeros(0))
        self._last_bodies: list[Body] = []
        self._context = VisionContext()
        self._idle = False
        self._reference: np.ndarray | None = None  # grey thumbnail of the last idle look
        self._last_look = -np.inf
        self.frames = 0

    @classmethod
    def from_config(
        cls, device: LoadedDeviceConfig, home: Home | None, models_dir: Path | None = None
    ) -> VisionPipeline:
        vision = device.config.vision
        zones = Zones.from_config(vision.zones, home)
        return cls(VisionModels.from_config(device, models_dir), vision, zones)

    def reset(self) -> None:
        self._hand_rois, self._body_roi, self._last_bodies = [], None, []
        self.tracker = SceneTracker(self.config.tracker)
        self._context, self._idle, self.frames = VisionContext(), False, 0
        self._reference, self._last_look = None, -np.inf

    def process(self, frame_bgr: np.ndarray, now: float | None = None) -> FrameResult:
        """One frame (H x W x 3 uint8 BGR). Blocking: run it off the event loop."""
        if (
            frame_bgr is None
            or frame_bgr.ndim != 3
            or frame_bgr.shape[2] != 3
            or frame_bgr.size == 0
        ):
            shape = None if frame_bgr is None else frame_bgr.shape
            raise ValueError(f"a frame must be H x W x 3 uint8 BGR, got shape {shape}")
        now = time.monotonic() if now is None else now
        det = self.config.detectors
        self.frames += 1
        if self._idle and (self.frames % det.idle_every or self._still(frame_bgr, now)):
            return FrameResult(self._faces, [], [], self._context, {"total": 0.0})
        self._last_look = now
        timings: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            tick = time.perf_counter()
            timings[name] = timings.get(name, 0.0) + (tick - clock) * 1000
            clock = tick

        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        height, width = rgb.shape[:2]
        lap("convert")
        step = self.frames // det.idle_every if self._idle else self.frames
        if step % det.face_every == 0:
            tensor, box = letterbox(rgb, FACE)
            out = self.models.run("face_detection", tensor)
            self._faces = self.face_decoder(out, box)
            lap("face")
        faces = self._faces
        # pose on other frames than the palm detector; while idle, every IDLE_POSE_LOOKS looks
        pose_now = (
            step % IDLE_POSE_LOOKS == 0 if self._idle else self.frames % max(det.pose_every, 1) == 0
        )
        if det.pose_every and pose_now:
            self._last_bodies = self._bodies(rgb, width, height, lap)
        bodies = self._last_bodies if det.pose_every else []
        person = len(faces) > 0 or len(bodies) > 0
        hands: list[Hand] = []
        if person or not det.hands_need_person or self._hand_rois:
            hands = self._hands(rgb, width, height, lap)
        else:
            self._hand_rois = []
        observation, pointing = self._observe(faces, hands, bodies, width, height, now)
        context = self.tracker.update(observation)
        self._context = context
        self._idle = not context.people and not bodies and not hands and not len(faces)
        lap("context")
        timings["total"] = sum(timings.values())
        return FrameResult(faces, hands, bodies, context, timings, pointing)

    def _still(self, frame_bgr: np.ndarray, now: float) -> bool:
        """An empty room that has not changed since the last look (motion below
        ``motion_threshold``) and was looked at less than ``idle_check_s`` ago."""
        det = self.config.detectors
        small = cv2.cvtColor(cv2.resize(frame_bgr, MOTION_SIZE, interpolation=cv2.INTER_AREA),
                             cv2.COLOR_BGR2GRAY)  # fmt: skip
        reference, self._reference = self._reference, small
        if reference is None or det.motion_threshold == 0:
            return False
        moved = float(np.mean(cv2.absdiff(small, reference) > MOTION_LEVEL))
        if moved >= det.motion_threshold:
            return False
        self._reference = reference  # compare with the last look, so slow change adds up
        return now - self._last_look < det.idle_check_s

    def _hands(self, rgb: np.ndarray, width: int, height: int, lap) -> list[Hand]:
        rois = list(self._hand_rois)
        # staggered against pose so the two detectors rarely share a frame
        if not rois and (self.frames + 1) % self.config.detectors.palm_every == 0:
            tensor, box = letterbox(rgb, PALM)
            out = self.models.run("palm_detection", tensor)
            palms = self.palm_decoder(out, box)
            rois += [palm_roi(b, k, width, height) for b, k in zip(palms.boxes, palms.keypoints, strict=True)][:MAX_HANDS]  # fmt: skip
            lap("palm")
        hands = []
        for roi in rois:
            tensor, matrix = roi.crop(rgb, HAND_SIZE, (0.0, 1.0))
            out = self.models.run("hand_landmarks", tensor)
            score = float(_output(out, "Identity_1").ravel()[0])  # a probability
            if score < self.config.detectors.min_hand_score:
                continue
            points = to_frame(_output(out, "Identity").reshape(21, 3), matrix)
            if not np.isfinite(points).all():  # a broken model output: no hand, not a crash
                continue
            right = float(_output(out, "Identity_2").ravel()[0]) > 0.5
            hand = Hand(points, score, "right" if right else "left", roi)
            result = classify(points, hand.handedness, score)
            hand.gesture, hand.gesture_score = result.gesture, result.confidence
            hand.ray = result.pointing
            hands.append(hand)
        lap("hand_landmarks")
        self._hand_rois = [hand_roi(h.landmarks) for h in hands]
        return hands

    def _bodies(self, rgb: np.ndarray, width: int, height: int, lap) -> list[Body]:
        # Follow a body from its landmarks only while a face confirms someone is there: the
        # landmark model alone keeps "seeing" a body in a crop someone has just left.
        roi = self._body_roi if len(self._faces) else None
        if roi is None:
            tensor, box = letterbox(rgb, POSE)
            out = self.models.run("pose_detection", tensor)
            found = self.pose_decoder(out, box)
            lap("pose_detection")
            if not len(found):
                return []
            roi = pose_roi(found.keypoints[0], width, height)
        tensor, matrix = roi.crop(rgb, POSE_SIZE, (0.0, 1.0))
        out = self.models.run("pose_landmarks", tensor)
        score = float(_output(out, "Identity_1").ravel()[0])  # a probability
        lap("pose_landmarks")
        if score < self.config.detectors.min_pose_score:
            self._body_roi = None
            return []
        raw = _output(out, "Identity").reshape(39, 5)
        visible = 1.0 / (1.0 + np.exp(-np.clip(raw[:, 3:], -100, 100)))  # logits
        points = np.concatenate([to_frame(raw[:, :3], matrix), visible], axis=1)
        self._body_roi = pose_landmarks_roi(points)
        return [Body(points[:33], score, roi)]

    def _observe(self, faces, hands, bodies, width, height, now):
        size = np.array([width, height], np.float64)
        default = self.config.area
        people: dict[str, int] = {}
        anchors = [((b[:2] + b[2:]) / 2) for b in faces.boxes]
        for body in bodies:  # a body whose head is a face already counted is the same person
            head = body.landmarks[0, :2] / size
            if not any(np.abs(head - a).max() < 0.1 for a in anchors):
                anchors.append(head)
        for point in anchors:
            area = self.zones.area_at(point) or default
            if area is not None:
                people[area] = people.get(area, 0) + 1
        speaker = None
        if len(faces):
            largest = int(
                np.argmax(
                    (faces.boxes[:, 2] - faces.boxes[:, 0])
                    * (faces.boxes[:, 3] - faces.boxes[:, 1])
                )
            )
            speaker = (
                self.zones.area_at((faces.boxes[largest, :2] + faces.boxes[largest, 2:]) / 2)
                or default
            )
        shown = [h for h in hands if h.gesture != "none"]
        gesture = max(shown, key=lambda h: h.gesture_score).gesture if shown else "none"
        target, ray = None, None
        rays = [h.ray for h in hands if h.gesture == "pointing" and h.ray is not None]
        rays += [self._arm_ray(b) for b in bodies if not rays]
        for candidate in rays:
            if candidate is None:
                continue
            origin, direction = candidate
            zone = self.zones.device_hit(
                origin / size, direction / size / np.linalg.norm(direction / size)
            )
            if zone is not None:
                target, ray = zone.device, candidate
                break
        return Observation(now, people, len(anchors), speaker, gesture, target), ray

    @staticmethod
    def _arm_ray(body: Body) -> tuple[np.ndarray, np.ndarray] | None:
        """An outstretched arm (straight, wrist away from the body): shoulder -> index."""
        best = None
        for shoulder, elbow, wrist, index in ARMS:
            points = body.landmarks[[shoulder, elbow, wrist, index]]
            if points[:, 3].min() < 0.5:  # visibility
                continue
            upper, fore = points[1, :2] - points[0, :2], points[2, :2] - points[1, :2]
            cos = float(upper @ fore / max(np.linalg.norm(upper) * np.linalg.norm(fore), 1e-9))
            if cos < 0.9:  # bent arm: not pointing
                continue
            direction = points[3, :2] - points[0, :2]
            length = float(np.linalg.norm(direction))
            if length > 1e-6 and (best is None or length > best[2]):
                best = (points[2, :2], direction / length, length)
        return None if best is None else (best[0], best[1])
