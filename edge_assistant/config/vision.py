"""The vision section of a device config: the camera, the privacy switch, zones, and how
often each detector runs.

Zones are polygons in the camera view (coordinates as fractions of the frame width and
height, so a resolution change keeps them) naming an area and optionally a device of
home.yaml: a person inside an area zone is in that area; a pointing ray that hits a device
zone points at that device.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from edge_assistant.config.loading import StrictModel


class VideoCaptureConfig(StrictModel):
    """Where frames come from when no file is given on the command line."""

    source: str | int = Field(
        0,
        description="Camera index, /dev/videoN, an rtsp:// or http(s):// URL, a video file, "
        "or an image sequence pattern (frames/%04d.png).",
    )
    width: int = Field(640, ge=32, le=7680, description="Requested frame width.")
    height: int = Field(480, ge=32, le=4320, description="Requested frame height.")
    fps: float = Field(15.0, gt=0, le=120, description="Frames per second to process.")
    enabled: bool = Field(True, description="Privacy switch: false = the camera stays closed.")
    open_timeout_s: float = Field(5.0, gt=0, description="Give up opening a stream after this.")
    read_timeout_s: float = Field(2.0, gt=0, description="A stream silent this long is lost.")
    retry_initial_s: float = Field(0.5, gt=0, description="First wait after losing the camera.")
    retry_max_s: float = Field(30.0, gt=0, description="Longest wait between reopen attempts.")
    loop: bool = Field(False, description="Files: start over at the end (demos, soak tests).")


class ZoneConfig(StrictModel):
    """A polygon of the camera view and what it stands for in the home."""

    name: str = Field(min_length=1)
    polygon: list[tuple[float, float]] = Field(
        min_length=3, description="Corners (x, y) as fractions of the frame, 0..1."
    )
    area: str | None = Field(None, description="Area id of home.yaml a person here is in.")
    device: str | None = Field(None, description="Device id of home.yaml this zone shows.")

    @model_validator(mode="after")
    def _inside_frame(self) -> ZoneConfig:
        outside = [p for p in self.polygon if not (0 <= p[0] <= 1 and 0 <= p[1] <= 1)]
        if outside:
            raise ValueError(
                f"zone {self.name!r}: corners {outside} lie outside the frame; use fractions "
                "of the frame width and height between 0 and 1"
            )
        if self.area is None and self.device is None:
            raise ValueError(f"zone {self.name!r}: give an area, a device or both")
        return self


class DetectorsConfig(StrictModel):
    """How often each model runs: only as much as the scene needs."""

    face_every: int = Field(1, ge=1, description="Face detection every Nth frame.")
    idle_every: int = Field(
        4,
        ge=1,
        description="While nobody is in view, look at every Nth frame only (an empty room "
        "costs little; someone walking in is seen within N frames).",
    )
    hands_need_person: bool = Field(
        True, description="Look for hands only while a person (face or pose) is in view."
    )
    motion_threshold: float = Field(
        0.01,
        ge=0,
        lt=1,
        description="While nobody is in view, models run only when this fraction of a small "
        "grey copy of the frame changed (or every idle_check_s); 0 = always run.",
    )
    idle_check_s: float = Field(
        2.0, gt=0, description="While nobody is in view, run the models at least this often."
    )
    palm_every: int = Field(
        3, ge=1, description="While no hand is followed, look for palms every Nth frame."
    )
    pose_every: int = Field(
        3,
        ge=0,
        description="Pose (bodies for presence, arm rays for pointing) every Nth frame; 0 = off.",
    )
    min_face_score: float = Field(0.6, gt=0, lt=1)
    min_palm_score: float = Field(0.6, gt=0, lt=1)
    min_hand_score: float = Field(0.5, gt=0, lt=1)
    min_pose_score: float = Field(0.6, gt=0, lt=1)


class TrackerConfig(StrictModel):
    """Hysteresis so presence and gestures do not flicker."""

    appear_frames: int = Field(2, ge=1, description="Seen this many frames in a row: present.")
    vanish_s: float = Field(2.0, gt=0, description="Unseen this long: gone.")
    gesture_frames: int = Field(3, ge=1, description="Same gesture this many frames: shown.")


class VisionConfig(StrictModel):
    capture: VideoCaptureConfig = Field(default_factory=VideoCaptureConfig)
    area: str | None = Field(
        None, description="Area id of home.yaml the camera is in (people anywhere in view)."
    )
    zones: list[ZoneConfig] = Field(default_factory=list)
    detectors: DetectorsConfig = Field(default_factory=DetectorsConfig)
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
