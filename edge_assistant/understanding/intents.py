"""Intents and slots, named as Home Assistant names them, and the Command they make.

As in Home Assistant, locking and opening a cover are HassTurnOn on the ``lock`` / ``cover``
domains, unlocking and closing are HassTurnOff. Anything not understood is a Command with
``intent=None`` and a reason: never a guess turned into an action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INTENTS: tuple[str, ...] = (
    "HassTurnOn",
    "HassTurnOff",
    "HassLightSet",
    "HassClimateSetTemperature",
    "HassGetState",
    "HassSetPosition",
    "HassMediaPause",
    "HassMediaUnpause",
    "HassMediaNext",
    "HassSetVolume",
    "HassStartTimer",
    "HassCancelTimer",
    "HassVacuumStart",
    "HassNevermind",
)

# Slots that name what to act on (values are canonical names from home.yaml, or a domain).
TARGET_SLOTS: tuple[str, ...] = ("name", "area", "floor", "domain", "device_class")
# Slots that carry a value (numbers are ints or floats, the rest lowercase strings).
VALUE_SLOTS: tuple[str, ...] = (
    "brightness",  # percent 0-100
    "color",  # one of COLORS
    "temperature",  # degrees, as said
    "position",  # percent 0-100 (covers, fan speed)
    "volume_level",  # percent 0-100
    "state",  # on, off, open, closed, locked, unlocked, ...
    "hours",
    "minutes",
    "seconds",
)
SLOTS: tuple[str, ...] = TARGET_SLOTS + VALUE_SLOTS

# Home Assistant's color list (home-assistant-intents, English).
COLORS: tuple[str, ...] = (
    "white", "black", "red", "orange", "yellow", "green", "blue", "purple", "brown", "pink",
    "turquoise",
)  # fmt: skip

# What "dim" / "brighter" mean when no number is said (see docs/understanding.md).
DIM_LEVEL = 30
BRIGHT_LEVEL = 100


@dataclass(frozen=True)
class Command:
    """What a sentence (plus context) asks for, resolved against the home."""

    text: str
    intent: str | None
    slots: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0
    targets: tuple[str, ...] = ()  # device ids the command acts on
    needs_verification: bool = False  # a sensitive target: verify the speaker and confirm
    reason: str | None = None  # why it was not understood

    @property
    def understood(self) -> bool:
        return self.intent is not None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "intent": self.intent,
            "slots": self.slots,
            "confidence": round(self.confidence, 4),
            "targets": list(self.targets),
            "needs_verification": self.needs_verification,
        }
        if self.reason:
            out["reason"] = self.reason
        return out
