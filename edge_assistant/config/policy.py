"""The policy section of a device config: how a speaker is verified before a sensitive
command (locks, alarm, garage door: see ``policies`` in home.yaml) and how it is confirmed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from edge_assistant.config.loading import StrictModel

Verifier = Literal["voice", "face"]


class PolicyConfig(StrictModel):
    verify_with: tuple[Verifier, ...] = Field(
        ("voice", "face"),
        description="Evidence that verifies the speaker; any one suffices. voice: an enrolled "
        "resident's voice; face: a face seen in the room the command came from. Empty: no one "
        "can be verified.",
    )
    voice_threshold: float = Field(
        0.75,
        ge=-1,
        le=1,
        description="Cosine similarity to an enrolled resident's voice that counts as them.",
    )
    confirm_s: float = Field(
        8.0, gt=0, le=60, description="How long a sensitive command waits for a yes."
    )
    confirm_sensitive: bool = Field(
        True, description="Ask 'Are you sure?' before a verified sensitive command."
    )
    refuse_unverified: bool = Field(
        True,
        description="Refuse a sensitive command from an unverified speaker (off: only confirm).",
    )

    @field_validator("verify_with")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("verify_with lists a verifier twice")
        return value
