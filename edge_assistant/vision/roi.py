"""Rotated regions of interest: from a detection or from last frame's landmarks to the
upright square crop a landmark model reads, and its landmarks back into the frame.

Rules are MediaPipe's (``*DetectionToRoi``, ``*LandmarksToRoi`` and ``RectTransformation``
options of its hand and pose graphs): a region is turned so the wrist -> middle finger (or
hip -> shoulder) line points up, enlarged around it, and made square.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Roi:
    """A rotated square in frame pixels: centre, side, rotation (radians, counter-clockwise
    of the image's up direction is positive as in MediaPipe)."""

    cx: float
    cy: float
    size: float
    rotation: float

    def affine(self, out: int) -> np.ndarray:
        """2x3 matrix taking frame pixels to the ``out`` x ``out`` upright crop."""
        scale = out / self.size
        turn = rotation_matrix(self.rotation) * scale
        centre = np.array([self.cx, self.cy])
        return np.concatenate([turn, (out / 2 - turn @ centre)[:, None]], 1).astype(np.float32)

    def crop(self, frame_rgb: np.ndarray, out: int, value_range: tuple[float, float]) -> tuple:
        """The crop as a (1, out, out, 3) float32 tensor, and the matrix used."""
        matrix = self.affine(out)
        crop = cv2.warpAffine(
            frame_rgb, matrix, (out, out), flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0),
        )  # fmt: skip
        low, high = value_range
        return (crop.astype(np.float32) * ((high - low) / 255.0) + low)[None], matrix

    def corners(self) -> np.ndarray:
        """(4, 2) frame pixels, for drawing."""
        half = self.size / 2
        square = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
        return square @ rotation_matrix(self.rotation) + [self.cx, self.cy]


def rotation_matrix(rotation: float) -> np.ndarray:
    """Frame axes -> the upright crop's axes (y down): the crop's up is the frame direction
    ``rotation`` radians clockwise from up."""
    cos, sin = np.cos(rotation), np.sin(rotation)
    return np.array([[cos, sin], [-sin, cos]])


def to_frame(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Crop pixels (N, 2 or 3) -> frame pixels; a z column is scaled like x."""
    inverse = cv2.invertAffineTransform(matrix)
    xy = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
    if points.shape[1] == 2:
        return xy
    scale = np.sqrt(abs(np.linalg.det(inverse[:, :2])))
    return np.concatenate([xy, points[:, 2:3] * scale], axis=1)


def _angle(start: np.ndarray, end: np.ndarray, target: float = np.pi / 2) -> float:
    """Rotation that makes ``start`` -> ``end`` point at ``target`` (up = pi/2, y down)."""
    angle = target - np.arctan2(-(end[1] - start[1]), end[0] - start[0])
    return float(angle - 2 * np.pi * np.floor((angle + np.pi) / (2 * np.pi)))


def _transform(
    cx: float, cy: float, w: float, h: float, rotation: float, scale: float, shift_y: float
) -> Roi:
    """MediaPipe's RectTransformation: shift along the rotated y axis, scale, square_long."""
    cx += -h * shift_y * np.sin(rotation)
    cy += h * shift_y * np.cos(rotation)
    return Roi(cx, cy, max(w, h) * scale, rotation)


def palm_roi(box: np.ndarray, keypoints: np.ndarray, width: int, height: int) -> Roi:
    """Hand crop from a palm detection (frame fractions): wrist (0) -> middle MCP (2) up,
    x2.6, shifted half a box towards the fingers."""
    size = np.array([width, height], np.float32)
    points = keypoints * size
    x0, y0, x1, y1 = box * np.tile(size, 2)
    rotation = _angle(points[0], points[2])
    return _transform((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, rotation, 2.6, -0.5)


HAND_ROI_POINTS = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18]


def hand_roi(landmarks: np.ndarray) -> Roi:
    """Next frame's hand crop from this frame's 21 landmarks (frame pixels)."""
    wrist = landmarks[0, :2]
    knuckles = (landmarks[5, :2] + landmarks[13, :2]) / 2
    towards = (knuckles + landmarks[9, :2]) / 2
    rotation = _angle(wrist, towards)
    points = landmarks[HAND_ROI_POINTS, :2]
    turn = rotation_matrix(rotation)
    centre = points.mean(0)
    upright = (points - centre) @ turn.T  # in the upright crop's axes
    low, high = upright.min(0), upright.max(0)
    mid = centre + ((low + high) / 2) @ turn  # back to frame axes
    w, h = high - low
    return _transform(float(mid[0]), float(mid[1]), float(w), float(h), rotation, 2.0, -0.1)


def pose_roi(keypoints: np.ndarray, width: int, height: int) -> Roi:
    """Body crop from a pose detection's keypoints (fractions): hip centre (0) and the
    full-body scale point (1): a square of twice their distance, x1.25."""
    size = np.array([width, height], np.float32)
    hip, scale_point = keypoints[0] * size, keypoints[1] * size
    side = 2 * float(np.linalg.norm(scale_point - hip))
    rotation = _angle(hip, scale_point)
    return Roi(float(hip[0]), float(hip[1]), side * 1.25, rotation)


def pose_landmarks_roi(landmarks: np.ndarray) -> Roi:
    """Next frame's body crop from the two alignment landmarks the pose model adds
    (33: hip centre, 34: full-body scale point), frame pixels."""
    hip, scale_point = landmarks[33, :2], landmarks[34, :2]
    side = 2 * float(np.linalg.norm(scale_point - hip))
    return Roi(float(hip[0]), float(hip[1]), side * 1.25, _angle(hip, scale_point))
