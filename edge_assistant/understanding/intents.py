"""Intents and slots, named as Home Assistant names them, and the Command they make.

As in Home Assistant, locking and opening a cover are HassTurnOn on the ``lock`` / ``cover``
domains, unlocking and closing are HassTurnOff. Anything not understood is a Command with
``intent=None`` and a reason: never a guess turned into an action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The intents the fusion model is trained on (layer 2): a sentence the templates do not
# match can only become one of these.
MODEL_INTENTS: tuple[str, ...] = (
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
    # learned too, so that a way of saying them the templates lack ("go back a song") is not
    # read as the nearest intent the model knows (next track)
    "HassMediaPrevious",
    "HassVacuumReturnToBase",
    "HassCancelAllTimers",
    "HassPauseTimer",
    "HassUnpauseTimer",
    "HassTimerStatus",
    "HassIncreaseTimer",
    "HassDecreaseTimer",
    "HassGetCurrentTime",
    "HassGetCurrentDate",
    "HassGetWeather",
)
# Every intent of Home Assistant's English templates at the pinned release: what the
# template layer (layer 1) can read. Slots and conventions: docs/understanding.md.
INTENTS: tuple[str, ...] = (
    *MODEL_INTENTS,
    "HassBroadcast",
    "HassClimateGetTemperature",
    "HassListAddItem",
    "HassListCompleteItem",
    "HassMediaSearchAndPlay",
    "HassRespond",
    "HassSetVolumeRelative",
    "HassShoppingListAddItem",
    # newer than the pinned templates: read from understanding/data/extra_sentences_en.yaml
    "HassMediaPlayerMute",
    "HassMediaPlayerUnmute",
    "HassLawnMowerStartMowing",
    "HassLawnMowerDock",
    "HassFanSetSpeed",
)
# Intents that act on the home's devices: a reading of one with no device to act on is not
# understood ("no light in the Garage"), never an action on nothing.
DEVICE_INTENTS: frozenset[str] = frozenset({
    "HassTurnOn", "HassTurnOff", "HassLightSet", "HassClimateSetTemperature",
    "HassSetPosition", "HassMediaPause", "HassMediaUnpause", "HassMediaNext",
    "HassMediaPrevious", "HassSetVolume", "HassSetVolumeRelative", "HassVacuumStart",
    "HassVacuumReturnToBase", "HassListAddItem", "HassListCompleteItem",
    "HassMediaPlayerMute", "HassMediaPlayerUnmute", "HassLawnMowerStartMowing",
    "HassLawnMowerDock", "HassFanSetSpeed", "HassMediaSearchAndPlay",
})  # fmt: skip

# Intents about lists: a home's to-do lists (``todo`` devices), else the daemon's own
# (daemon/lists.py).
LIST_INTENTS: frozenset[str] = frozenset({
    "HassListAddItem", "HassShoppingListAddItem", "HassListCompleteItem",
})  # fmt: skip

# The only domain an intent can act on (Home Assistant's intent handlers say the same).
IMPLIED_DOMAIN: dict[str, str] = {
    **dict.fromkeys(("HassMediaPause", "HassMediaUnpause", "HassMediaNext", "HassMediaPrevious",
                     "HassSetVolume", "HassSetVolumeRelative", "HassMediaSearchAndPlay"),
                    "media_player"),
    "HassLightSet": "light", "HassClimateSetTemperature": "climate",
    "HassClimateGetTemperature": "climate", "HassVacuumStart": "vacuum",
    "HassVacuumReturnToBase": "vacuum", "HassGetWeather": "weather",
    "HassListAddItem": "todo", "HassListCompleteItem": "todo", "HassShoppingListAddItem": "todo",
    "HassMediaPlayerMute": "media_player", "HassMediaPlayerUnmute": "media_player",
    "HassLawnMowerStartMowing": "lawn_mower", "HassLawnMowerDock": "lawn_mower",
    "HassFanSetSpeed": "fan",
}  # fmt: skip

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
    # Home Assistant's other slots, as its templates fill them (layer 1 only):
    "start_hours",  # which timer: the one started for this long
    "start_minutes",
    "start_seconds",
    "volume_step",  # relative volume: "up", "down" or a signed percent
    "media_class",  # track, album, artist, playlist, podcast, movie, ...
    "search_query",  # words said: what to play
    "item",  # words said: a list item
    "message",  # words said: what to broadcast
    "response",  # HassRespond's fixed answer key
    "percentage",  # fan speed, percent 0-100
    # relative changes (understanding/relative.py): "up", "down" or a signed number
    "brightness_change",  # percent points
    "temperature_change",  # degrees
    "position_change",  # percent points
    "percentage_change",  # fan speed, percent points
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


def meaning(intent: str | None, slots: dict[str, Any]) -> dict[str, Any]:
    """The slots that change what a reading does. Home Assistant's templates write a domain
    that a named device or the intent already fixes ("is the front door locked": name and
    domain lock) and our first labels left it out; either way the reading is the same."""
    domain = slots.get("domain")
    implied = intent is not None and IMPLIED_DOMAIN.get(intent) == domain
    named = "name" in slots and domain != "person"
    return {k: v for k, v in slots.items() if not (k == "domain" and (implied or named))}


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
    layer: str | None = None  # which layer read it: "templates", "model", "words" (a rule), "needs"
    response: str | None = None  # the template's response key (HassRespond: which answer)
    decision: str | None = None  # act, ask or refuse (understanding/decide.py); None: undecided
    clarify: str | None = None  # decision "ask": the yes/no question asked before acting

    @property
    def understood(self) -> bool:
        """A reading to go on with: an intent, and not refused by the decision (a refused
        reading keeps its intent, for the journal to show what was guessed)."""
        return self.intent is not None and self.decision != "refuse"

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
        if self.layer:
            out["layer"] = self.layer
        if self.response:
            out["response"] = self.response
        if self.decision:
            out["decision"] = self.decision
        if self.clarify:
            out["clarify"] = self.clarify
        return out
