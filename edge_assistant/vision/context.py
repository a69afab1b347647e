"""What the camera tells the rest of the assistant, steadied over time.

``SceneTracker`` turns per-frame observations into a ``VisionContext`` with hysteresis: a
person counts as present after ``appear_frames`` frames in a row and as gone only after
``vanish_s`` unseen; a gesture shows after ``gesture_frames`` equal frames. So one missed
detection does not make a room "empty" and one odd frame does not make a thumbs-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edge_assistant.config.vision import TrackerConfig
from edge_assistant.understanding.context import Context

ANYWHERE = "*"  # the tracker's key for everyone in view


@dataclass(frozen=True)
class Observation:
    """One frame's findings (before hysteresis)."""

    time: float
    people: dict[str, int]  # area id -> people seen in it this frame
    in_view: int  # people seen this frame, whether or not an area is known for them
    speaker_area: str | None  # area of the most prominent face, when a face is seen
    gesture: str  # "none" when no hand shows one
    pointing_target: str | None  # device id


@dataclass(frozen=True)
class VisionContext:
    people: dict[str, int] = field(default_factory=dict)  # area id -> people
    in_view: int = 0  # people in view (also those no zone or ``vision.area`` places)
    speaker_area: str | None = None
    gesture: str = "none"
    pointing_target: str | None = None
    last_seen: dict[str, float] = field(default_factory=dict)  # area id -> monotonic time
    camera: bool = True

    def to_context(self, satellite_area: str | None) -> Context:
        """The understanding model's context, with this camera's view."""
        return Context(
            satellite_area=satellite_area,
            speaker_area=self.speaker_area,
            people=dict(self.people),
            gesture=self.gesture,
            pointing_target=self.pointing_target,
            camera=self.camera,
        )


class SceneTracker:
    def __init__(self, config: TrackerConfig) -> None:
        self.config = config
        self._streak: dict[str, int] = {}
        self._present: dict[str, int] = {}
        self._last_seen: dict[str, float] = {}
        self._speaker: tuple[str | None, float] = (None, 0.0)
        self._gesture_run: tuple[str, int] = ("none", 0)
        self._gesture = "none"
        self._target_run: tuple[str | None, int] = (None, 0)
        self._target: str | None = None

    def update(self, seen: Observation) -> VisionContext:
        cfg = self.config
        counts = {**seen.people, ANYWHERE: seen.in_view}
        for area in set(self._streak) | set(counts):
            count = counts.get(area, 0)
            if count:
                self._streak[area] = self._streak.get(area, 0) + 1
                self._last_seen[area] = seen.time
                if self._streak[area] >= cfg.appear_frames:
                    self._present[area] = count
            else:
                self._streak[area] = 0
                if seen.time - self._last_seen.get(area, -1e9) >= cfg.vanish_s:
                    self._present.pop(area, None)
        if seen.speaker_area is not None:
            self._speaker = (seen.speaker_area, seen.time)
        elif seen.time - self._speaker[1] >= cfg.vanish_s:
            self._speaker = (None, seen.time)
        self._gesture = self._steady("_gesture_run", seen.gesture, self._gesture)
        self._target = self._steady("_target_run", seen.pointing_target, self._target)
        return VisionContext(
            people={a: n for a, n in self._present.items() if a != ANYWHERE},
            in_view=self._present.get(ANYWHERE, 0),
            speaker_area=self._speaker[0],
            gesture=self._gesture,
            pointing_target=self._target,
            last_seen=dict(self._last_seen),
        )

    def _steady(self, run_name: str, value, shown):
        last, count = getattr(self, run_name)
        count = count + 1 if value == last else 1
        setattr(self, run_name, (value, count))
        return value if count >= self.config.gesture_frames else shown
