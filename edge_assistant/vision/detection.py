"""Single-shot detectors of MediaPipe (BlazeFace, palm, pose): anchors, letterboxing, box and
keypoint decoding and weighted non-maximum suppression, vectorised with numpy.

The numbers are MediaPipe's own (``SsdAnchorsCalculator`` and
``TensorsToDetectionsCalculator`` options of its face, palm and pose detection graphs), so
the exported models read exactly as they do there. Coordinates leaving here are fractions of
the ORIGINAL frame (x right, y down); keypoints likewise.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class DetectorSpec:
    size: int  # square input, pixels
    strides: tuple[int, ...]  # one per SSD layer; layers of the same stride share a grid
    keypoints: int
    value_range: tuple[float, float]  # what the model expects pixel values scaled to
    per_layer: int = 2  # anchors per cell and layer (1 when no interpolated scale)
    min_suppression: float = 0.3

    @property
    def coords(self) -> int:
        return 4 + 2 * self.keypoints


# BlazeFace full range (sparse): faces up to about 5 m away, what a room camera sees
FACE = DetectorSpec(192, (4,), 6, (-1.0, 1.0), per_layer=1)
PALM = DetectorSpec(192, (8, 16, 16, 16), 7, (0.0, 1.0))
POSE = DetectorSpec(224, (8, 16, 32, 32, 32), 4, (-1.0, 1.0))


def anchors(spec: DetectorSpec) -> np.ndarray:
    """(N, 2) anchor centres as fractions of the input; fixed size 1x1, ``per_layer`` per
    layer and cell (aspect ratio 1, plus the interpolated scale when 2), layers of one stride
    merged in order."""
    centres = []
    i = 0
    while i < len(spec.strides):
        stride, per_cell = spec.strides[i], 0
        while i < len(spec.strides) and spec.strides[i] == stride:
            per_cell += spec.per_layer
            i += 1
        cells = -(-spec.size // stride)
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into the square input: scale and padding, to map back."""

    scale: float  # input pixels per frame pixel
    pad_x: float  # input pixels left of the image
    pad_y: float
    width: int  # frame size
    height: int
    input_size: int  # the model's square input, pixels

    def to_frame(self, points: np.ndarray) -> np.ndarray:
        """Input-fraction (x, y) points (..., 2) -> frame fractions."""
        size = np.array([self.width, self.height], np.float32)
        pad = np.array([self.pad_x, self.pad_y], np.float32)
        return (points * self.input_size - pad) / self.scale / size


def letterbox(frame_rgb: np.ndarray, spec: DetectorSpec) -> tuple[np.ndarray, Letterbox]:
    """The frame scaled to fit ``spec.size`` keeping its aspect, zero border, as the model's
    (1, size, size, 3) float32 tensor in its value range."""
    height, width = frame_rgb.shape[:2]
    scale = spec.size / max(width, height)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    pad_x, pad_y = (spec.size - w) // 2, (spec.size - h) // 2
    canvas = np.zeros((spec.size, spec.size, 3), np.uint8)
    canvas[pad_y : pad_y + h, pad_x : pad_x + w] = cv2.resize(
        frame_rgb, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    low, high = spec.value_range
    tensor = canvas.astype(np.float32) * ((high - low) / 255.0) + low
    if pad_x or pad_y:  # the border is zero *after* scaling, as MediaPipe's BORDER_ZERO
        tensor[:pad_y] = tensor[pad_y + h :] = 0.0
        tensor[:, :pad_x] = tensor[:, pad_x + w :] = 0.0
    box = Letterbox(scale, pad_x, pad_y, width, height, spec.size)
    return tensor[None], box


@dataclass(frozen=True)
class Detections:
    """Detections in frame fractions: boxes (N, 4) as x0, y0, x1, y1; keypoints (N, K, 2)."""

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


class Decoder:
    def __init__(self, spec: DetectorSpec, min_score: float) -> None:
        self.spec = spec
        self.min_score = min_score
        self.anchors = anchors(spec)

    def outputs(self, outputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The (boxes, scores) tensors of a detector's outputs, told apart by shape."""
        count = len(self.anchors)
        by_width = {v.shape[-1]: v for v in outputs.values() if v.size % count == 0}
        if self.spec.coords not in by_width or 1 not in by_width:
            shapes = {k: v.shape for k, v in outputs.items()}
            raise ValueError(
                f"detector outputs {shapes} are not ({count}, {self.spec.coords}) boxes and "
                f"({count}, 1) scores: is the bundle the right model for this role?"
            )
        return by_width[self.spec.coords], by_width[1]

    def __call__(self, outputs: dict[str, np.ndarray], box: Letterbox) -> Detections:
        return self.decode(*self.outputs(outputs), box)

    def decode(self, raw_boxes: np.ndarray, raw_scores: np.ndarray, box: Letterbox) -> Detections:
        spec = self.spec
        raw = raw_boxes.reshape(-1, spec.coords)
        logits = np.clip(raw_scores.reshape(-1), -100.0, 100.0)
        keep = logits >= np.log(self.min_score / (1 - self.min_score))  # sigmoid >= min_score
        raw, anchor = raw[keep] / spec.size, self.anchors[keep]
        scores = 1.0 / (1.0 + np.exp(-logits[keep]))
        centre = raw[:, :2] + anchor
        half = raw[:, 2:4] / 2
        corners = np.concatenate([box.to_frame(centre - half), box.to_frame(centre + half)], 1)
        points = raw[:, 4:].reshape(-1, spec.keypoints, 2) + anchor[:, None]
        points = box.to_frame(points)
        return weighted_nms(
            Detections(corners, points, scores.astype(np.float32)), spec.min_suppression
        )


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(found: Detections, threshold: float) -> Detections:
    """MediaPipe's weighted NMS: each kept detection is the score-weighted mean of the
    detections overlapping it by more than ``threshold`` (steadier boxes than plain NMS)."""
    order = np.argsort(-found.scores)
    boxes, points, scores = found.boxes[order], found.keypoints[order], found.scores[order]
    out_boxes, out_points, out_scores = [], [], []
    remaining = np.arange(len(scores))
    while len(remaining):
        overlap = iou(boxes[remaining[0]], boxes[remaining]) > threshold
        group, remaining = remaining[overlap], remaining[~overlap]
        weights = scores[group][:, None]
        total = weights.sum()
        out_boxes.append((boxes[group] * weights).sum(0) / total)
        out_points.append((points[group] * weights[:, :, None]).sum(0) / total)
        out_scores.append(scores[group[0]])
    if not out_scores:
        k = found.keypoints.shape[1] if found.keypoints.ndim == 3 else 0
        return Detections(np.zeros((0, 4), np.float32), np.zeros((0, k, 2), np.float32),
                          np.zeros(0, np.float32))  # fmt: skip
    return Detections(
        np.array(out_boxes, np.float32), np.array(out_points, np.float32),
        np.array(out_scores, np.float32),
    )  # fmt: skip
