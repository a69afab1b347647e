"""Frames and videos for the vision tests and benchmark, composed on the spot from real
photographs that ship in packages (nothing large is checked in).

People: scikit-image's ``astronaut`` (Eileen Collins, head and shoulders) and matplotlib's
``grace_hopper``; the empty room: scikit-image's ``coffee`` (a table, no one) scaled to fill
the frame. A person photo is pasted onto the room at a given place and size, so a video can
have someone walk in, stand, and leave.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 640, 480


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def room() -> np.ndarray:
    from skimage import data

    return cv2.resize(_bgr(data.coffee()), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)


def people() -> dict[str, np.ndarray]:
    import matplotlib.cbook
    from skimage import data

    hopper = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return {"astronaut": _bgr(data.astronaut()), "grace_hopper": cv2.imread(str(hopper))}


def compose(person: np.ndarray | None, x: int = 140, y: int = 60, height: int = 360) -> np.ndarray:
    """The room with ``person`` pasted at (x, y), scaled to ``height`` pixels (clipped at the
    frame's edges)."""
    frame = room()
    if person is None:
        return frame
    width = round(person.shape[1] * height / person.shape[0])
    scaled = cv2.resize(person, (width, height), interpolation=cv2.INTER_AREA)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(WIDTH, x + width), min(HEIGHT, y + height)
    frame[y0:y1, x0:x1] = scaled[y0 - y : y1 - y, x0 - x : x1 - x]
    return frame


def scene(frames: int = 60, seed: int = 0) -> Iterator[tuple[np.ndarray, bool]]:
    """(frame, person in view): a third empty, a third with someone (moving a little,
    camera noise), a third empty again."""
    rng = np.random.default_rng(seed)
    person = people()["astronaut"]
    for i in range(frames):
        present = frames // 3 <= i < 2 * frames // 3
        frame = compose(person if present else None, 140 + (i % 10) * 4, 60)
        noise = rng.normal(0, 2.0, frame.shape)
        yield np.clip(frame + noise, 0, 255).astype(np.uint8), present


def write_video(path: Path, frames: Iterator[np.ndarray], fps: float = 15.0) -> Path:
    """MJPG .avi (what OpenCV writes here without extra codecs)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return path
