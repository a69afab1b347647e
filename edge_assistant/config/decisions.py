"""The decisions section of a device config: how sure a reading of the understanding model
must be to act at once, or to ask a yes/no question first (edge_assistant/understanding/
decide.py). Readings of Home Assistant's own templates are exact and always sure."""

from __future__ import annotations

from pydantic import Field, model_validator

from edge_assistant.config.loading import StrictModel


class Thresholds(StrictModel):
    act: float = Field(0.8, ge=0, le=1, description="Calibrated confidence to act at once.")
    ask: float = Field(
        0.5, ge=0, le=1, description="Below act and at least this: ask first; below: refuse."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.ask > self.act:
            raise ValueError(f"ask ({self.ask}) must not be above act ({self.act})")
        return self


class DecisionsConfig(StrictModel):
    control: Thresholds = Field(
        default_factory=Thresholds, description="Commands that change a device of the home."
    )
    answer: Thresholds = Field(
        default_factory=lambda: Thresholds(act=0.6, ask=0.5),
        description="Questions: a state, the temperature, the weather, the time (no question "
        "is asked back: an answer below act is refused).",
    )
    timer: Thresholds = Field(
        default_factory=Thresholds, description="Timers kept by the assistant."
    )
