"""What the assistant knows besides the words: the context the fusion model reads.

The vision path fills it from the camera; without a camera (or with it off for privacy)
only ``satellite_area`` is set and every camera field is empty, which the model sees as
zeros. Areas and devices are referred to by their ids in home.yaml.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

from edge_assistant.config.loading import StrictModel

GESTURES: tuple[str, ...] = (
    "none", "open_palm", "fist", "thumbs_up", "thumbs_down", "pointing", "victory",
)  # fmt: skip


class Context(StrictModel):
    satellite_area: str | None = Field(None, description="Area this device is installed in.")
    speaker_area: str | None = Field(None, description="Area where the camera sees the speaker.")
    people: dict[str, int] = Field(
        default_factory=dict, description="Number of people seen per area id."
    )
    known_people: dict[str, str] = Field(
        default_factory=dict, description="Person id -> area id where they were last seen."
    )
    gesture: str = Field("none", description=f"Active gesture: one of {', '.join(GESTURES)}.")
    pointing_target: str | None = Field(None, description="Device id a pointing hand/arm hits.")
    speaker_verified: float = Field(
        0.0, ge=0.0, le=1.0, description="Voice/face verification score of the speaker."
    )
    camera: bool = Field(False, description="Whether any camera field above is live.")

    @field_validator("gesture")
    @classmethod
    def _known_gesture(cls, value: str) -> str:
        if value not in GESTURES:
            raise ValueError(f"unknown gesture {value!r} (known: {', '.join(GESTURES)})")
        return value

    def command_area(self) -> str | None:
        """The area an area-less command applies to: where the speaker is seen, else the
        satellite's own area."""
        return self.speaker_area or self.satellite_area


# The context vector the fusion model reads: what the camera adds to the words, independent
# of any one home's names (the resolver maps the chosen source to the home's ids).
CONTEXT_FEATURES: tuple[str, ...] = (
    "camera",
    "satellite_area_known",
    "speaker_area_known",
    "speaker_elsewhere",  # seen in another area than the satellite's
    "pointing",
    "people_in_command_area",
    "speaker_verified",
    *(f"gesture_{g}" for g in GESTURES),
)


def context_vector(context: Context) -> np.ndarray:
    """``context`` as float32 of shape (len(CONTEXT_FEATURES),); all zeros without a camera
    except ``satellite_area_known``."""
    area = context.command_area()
    values = {
        "camera": float(context.camera),
        "satellite_area_known": float(context.satellite_area is not None),
        "speaker_area_known": float(context.speaker_area is not None),
        "speaker_elsewhere": float(
            context.speaker_area is not None and context.speaker_area != context.satellite_area
        ),
        "pointing": float(context.pointing_target is not None),
        "people_in_command_area": float(context.people.get(area or "", 0) > 0),
        "speaker_verified": context.speaker_verified,
        f"gesture_{context.gesture}": 1.0,
    }
    return np.array([values.get(name, 0.0) for name in CONTEXT_FEATURES], dtype=np.float32)
