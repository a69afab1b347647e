"""The feedback section of a device config: how responses are spoken (espeak-ng or a Piper
voice of the user's) and whether a chime acknowledges the wake word."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from edge_assistant.config.loading import StrictModel


class FeedbackConfig(StrictModel):
    engine: Literal["espeak", "piper"] = Field(
        "espeak", description="Speech engine: espeak (espeak-ng, always there) or piper."
    )
    voice: str = Field(
        "en-us",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_+/.-]{0,63}$",
        description="espeak-ng voice (`espeak-ng --voices` lists them); engine espeak only.",
    )
    speed: int = Field(170, ge=80, le=450, description="espeak-ng words per minute.")
    piper_model: Path | None = Field(
        None,
        description=(
            "Piper voice .onnx (its .onnx.json beside it); relative to the device config. "
            "Required for engine piper."
        ),
    )
    piper_threads: int = Field(1, ge=1, le=16, description="CPU threads Piper synthesis uses.")
    chime: bool = Field(True, description="A short chime when the wake word is heard.")
    volume: float = Field(1.0, ge=0.0, le=1.0, description="Gain of speech and chime, 0 to 1.")

    @model_validator(mode="after")
    def _piper_needs_a_model(self) -> FeedbackConfig:
        if self.engine == "piper" and self.piper_model is None:
            raise ValueError(
                "piper_model: engine piper needs a voice: set piper_model to its .onnx file "
                "(e.g. en_US-lessac-medium.onnx, with its .onnx.json beside it)"
            )
        if self.engine == "espeak" and self.piper_model is not None:
            raise ValueError(
                "piper_model is only read by engine piper: set engine: piper, or remove it"
            )
        if self.piper_model is not None and self.piper_model.suffix != ".onnx":
            raise ValueError(
                f"piper_model: {self.piper_model} is not a .onnx file: give the voice's "
                ".onnx (its .onnx.json must lie beside it)"
            )
        return self

    def model_path(self, base_dir: Path | None = None) -> Path | None:
        """``piper_model`` with ``~`` expanded, relative paths taken from ``base_dir``."""
        if self.piper_model is None:
            return None
        path = self.piper_model.expanduser()
        return path if path.is_absolute() or base_dir is None else base_dir / path
