"""Actions: what a Command does to each device, and the Sink contract that carries it out.

An Action is a Home Assistant service call on one device of the home (``light.turn_on`` with
``brightness_pct``), whatever the transport. Its values are numbers or names from a closed
list (Home Assistant's colours), never text from the transcript, so no sink ever puts words
that were spoken into a topic, a URL or a payload; the one exception is a list item ("add
milk to the shopping list"), words by nature, which go into the payload as trimmed,
printable, bounded text and never into a topic; so do what to play ("play the Beatles") and
a message broadcast to the home's other satellites.
"""

from __future__ import annotations

import asyncio
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Self

from edge_assistant.errors import EdgeAssistantError
from edge_assistant.home.model import PLACEHOLDER, CustomIntent, Device, Home
from edge_assistant.understanding.intents import COLORS, INTENTS, LIST_INTENTS, Command

INTENT_DOMAIN = "intent"  # the domain of a custom intent's action (home.yaml intents)
# A broadcast ("tell everyone dinner is ready") is an announcement on every other satellite
# of the home, Home Assistant's assist_satellite.announce: no device of home.yaml.
BROADCAST_DOMAIN = "assist_satellite"
BROADCAST = "broadcast"  # its device_id


class ActionError(EdgeAssistantError):
    """A sink cannot start (missing secret, unsafe file, refused credentials)."""


class ActionRefused(ActionError, ValueError):
    """A command or action that must not run: an unknown device, intent or value."""


class StateUnknown(ActionRefused):
    """A relative change ("a couple of degrees warmer") with no state to change from here:
    the daemon works it out where its sink knows the device's state (daemon/acting.py)."""


# intent -> device domain -> Home Assistant service. A domain missing here cannot do that
# intent (a sensor cannot be turned on), and the command is refused.
_SWITCHED = ("light", "switch", "fan", "media_player", "climate")
SERVICES: dict[str, dict[str, str]] = {
    "HassTurnOn": {
        **dict.fromkeys(_SWITCHED, "turn_on"),
        "cover": "open_cover",
        "lock": "lock",
        "vacuum": "start",
        "alarm_control_panel": "alarm_arm_away",
        "scene": "turn_on",
        "script": "turn_on",
        "valve": "open_valve",
        "lawn_mower": "start_mowing",
    },
    "HassTurnOff": {
        **dict.fromkeys(_SWITCHED, "turn_off"),
        "cover": "close_cover",
        "lock": "unlock",
        "vacuum": "return_to_base",
        "alarm_control_panel": "alarm_disarm",
        "valve": "close_valve",
        "lawn_mower": "dock",
    },
    "HassLightSet": {"light": "turn_on"},
    "HassSetPosition": {
        "cover": "set_cover_position",
        "fan": "set_percentage",
        "valve": "set_valve_position",
    },
    "HassClimateSetTemperature": {"climate": "set_temperature"},
    "HassMediaPause": {"media_player": "media_pause"},
    "HassMediaUnpause": {"media_player": "media_play"},
    "HassMediaNext": {"media_player": "media_next_track"},
    "HassMediaPrevious": {"media_player": "media_previous_track"},
    "HassSetVolume": {"media_player": "volume_set"},
    "HassSetVolumeRelative": {"media_player": "volume_step"},  # volume_up or volume_down
    "HassVacuumStart": {"vacuum": "start"},
    "HassVacuumReturnToBase": {"vacuum": "return_to_base"},
    "HassMediaPlayerMute": {"media_player": "volume_mute"},
    "HassMediaPlayerUnmute": {"media_player": "volume_mute"},
    "HassLawnMowerStartMowing": {"lawn_mower": "start_mowing"},
    "HassLawnMowerDock": {"lawn_mower": "dock"},
    "HassFanSetSpeed": {"fan": "set_percentage"},
    "HassListAddItem": {"todo": "add_item"},
    "HassShoppingListAddItem": {"todo": "add_item"},
    "HassListCompleteItem": {"todo": "update_item"},
    # what to play, by the words said: the sink searches the player's media and plays the
    # best match (Home Assistant: media_player.search_media, then play_media)
    "HassMediaSearchAndPlay": {"media_player": "play_media"},
}
MAX_ITEM_CHARS = 100  # a list item, a search: a few words; longer is not one
MAX_MESSAGE_CHARS = 200  # a broadcast message: a sentence or two
# Home Assistant's media classes (MediaClass) a search may be narrowed to.
MEDIA_CLASSES = frozenset({
    "album", "app", "artist", "channel", "composer", "directory", "episode", "game", "genre",
    "image", "movie", "music", "playlist", "podcast", "season", "track", "tv_show", "url",
    "video",
})  # fmt: skip
# Understood, but not a device action: the caller answers or handles them itself.
NOT_ACTIONS = frozenset({
    "HassGetState", "HassNevermind", "HassGetCurrentTime", "HassGetCurrentDate",
    "HassClimateGetTemperature", "HassGetWeather", "HassRespond",
    "HassStartTimer", "HassCancelTimer", "HassCancelAllTimers", "HassIncreaseTimer",
    "HassDecreaseTimer", "HassPauseTimer", "HassUnpauseTimer", "HassTimerStatus",
})  # fmt: skip


@dataclass(frozen=True)
class Action:
    """One Home Assistant service call on one device of the home."""

    device_id: str
    domain: str
    service: str  # turn_on, open_cover, set_cover_position, volume_set, ...
    data: dict[str, Any] = field(default_factory=dict)  # brightness_pct, position, ...

    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "domain": self.domain,
            "service": self.service,
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class ActionResult:
    action: Action
    ok: bool
    error: str | None = None  # why it failed, for the user and the log
    attempts: int = 0  # tries on the transport; 0 when refused before any
    ms: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)  # topic, HTTP status, ...


def actions_for(command: Command, home: Home) -> list[Action]:
    """The actions a Command asks for, one per target device.

    State queries, timers and "never mind" are no actions: ``[]``. Anything that cannot be
    done exactly as understood raises ActionRefused (a ValueError): a command that was not
    understood, an unknown intent, a target not in the home, a domain voice may not control,
    an intent the device cannot do, a missing or out-of-range value. Verifying the speaker
    for a command that ``needs_verification`` is the caller's job, before this.
    """
    if command.intent is None:
        raise ActionRefused(f"not understood: {command.reason or 'no intent'}")
    if command.intent in home.intents:
        return custom_actions(command, home)
    if command.intent in NOT_ACTIONS:
        return []
    if command.intent == "HassBroadcast":
        message = _words(command.slots, "message", MAX_MESSAGE_CHARS, "a broadcast")
        return [Action(BROADCAST, BROADCAST_DOMAIN, "announce", {"message": message})]
    if command.intent in LIST_INTENTS and not command.targets and not home.has_lists():
        _words(command.slots, "item", MAX_ITEM_CHARS, "a list item")
        return []  # the daemon's own list (daemon/lists.py): no device of the home
    services = SERVICES.get(command.intent)
    if services is None and command.intent in INTENTS:
        raise ActionRefused(f"I understood {command.intent}, but I cannot do that yet")
    if services is None:
        raise ActionRefused(
            f"unknown intent {command.intent[:40]!r}: not one of Home Assistant's "
            f"{len(INTENTS)} intents (docs/understanding.md lists them)"
        )
    if not command.targets:
        raise ActionRefused(f"{command.intent}: no target device")
    actions = []
    for device_id in command.targets:
        device = device_in(home, device_id)
        allowed = home.policies.voice_domains
        if allowed is not None and device.domain not in allowed:
            raise ActionRefused(f"{device.id}: voice may not control {device.domain} devices")
        service = services.get(device.domain)
        if service is None:
            raise ActionRefused(f"{command.intent} cannot apply to {device.domain} {device.id}")
        if service == "volume_step":
            service = _volume_step(command.slots)
        if "percentage_change" in command.slots and device.domain == "fan":
            service = _speed_step(command.slots)
        data = _service_data(command.intent, device, command.slots)
        actions.append(Action(device.id, device.domain, service, data))
    return actions


def custom_actions(command: Command, home: Home) -> list[Action]:
    """A custom intent (home.yaml ``intents``): one action that carries the values of the
    slots its topic, payload or service uses; the sink finds the rest in home.yaml."""
    custom = home.intents[command.intent or ""]
    if custom.mqtt is None and custom.service is None:
        return []  # a response only
    used = custom.placeholders()
    data = {k: v for k, v in command.slots.items() if k in used}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ActionRefused(f"slot {key!r} of {command.intent} is not a single value")
    return [Action(f"{INTENT_DOMAIN}:{command.intent}", INTENT_DOMAIN, command.intent or "", data)]


def intent_of(home: Home, action: Action) -> CustomIntent:
    """The home.yaml entry a custom intent's action stands for; refused when there is none."""
    custom = home.intents.get(action.service)
    if action.domain != INTENT_DOMAIN or custom is None:
        raise ActionRefused(f"{action.service[:40]!r} is not an intent of home.yaml")
    return custom


def fill(template: str, data: dict[str, Any]) -> str:
    """``{slot}`` placeholders of a home.yaml text filled with the action's values."""
    return PLACEHOLDER.sub(lambda m: _plain(data.get(m.group(1), "")), template)


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _service_data(intent: str, device: Device, slots: dict[str, Any]) -> dict[str, Any]:
    """Service data from the value slots; every other slot (names, areas) is ignored."""
    if intent == "HassLightSet":
        data: dict[str, Any] = {}
        if "brightness_change" in slots:  # "a bit brighter": a step, no state needed
            _require(device, "brightness")
            data["brightness_step_pct"] = _step(slots, "brightness_change", DEFAULT_STEP)
        elif "brightness" in slots:
            _require(device, "brightness")
            data["brightness_pct"] = _percent(slots, "brightness")
        if "color" in slots:
            _require(device, "color")
            color = slots["color"]
            if not isinstance(color, str) or color not in COLORS:
                raise ActionRefused(f"unknown color (known: {', '.join(COLORS)})")
            data["color_name"] = color
        if not data:
            raise ActionRefused("HassLightSet needs a brightness or a color")
        return data
    if "position_change" in slots or "temperature_change" in slots:
        raise StateUnknown(
            f"the current {'position' if 'position_change' in slots else 'temperature'} of "
            f"{device.id} is not known here, so the change cannot be worked out: say a level"
        )  # the daemon turns it into a level where the sink knows the state (daemon/acting.py)
    if intent == "HassSetPosition":
        _require(device, "position")
        key = "percentage" if device.domain == "fan" else "position"
        return {key: _percent(slots, "position")}
    if intent == "HassSetVolume":
        _require(device, "volume")
        return {"volume_level": round(_percent(slots, "volume_level") / 100, 2)}
    if intent in ("HassMediaPlayerMute", "HassMediaPlayerUnmute"):
        return {"is_volume_muted": intent == "HassMediaPlayerMute"}
    if intent == "HassFanSetSpeed" and "percentage_change" in slots:
        step = slots["percentage_change"]
        return (
            {}
            if step in ("up", "down")
            else {"percentage_step": abs(_step(slots, "percentage_change", 0))}
        )
    if intent == "HassFanSetSpeed":
        return {"percentage": _percent(slots, "percentage")}
    if intent in ("HassListAddItem", "HassShoppingListAddItem"):
        return {"item": _words(slots, "item", MAX_ITEM_CHARS, "a list item")}
    if intent == "HassListCompleteItem":
        return {"item": _words(slots, "item", MAX_ITEM_CHARS, "a list item"), "status": "completed"}
    if intent == "HassMediaSearchAndPlay":
        query = _words(slots, "search_query", MAX_ITEM_CHARS, "what to play")
        media_class = slots.get("media_class")
        return {"search_query": query} | (
            {"media_class": media_class} if media_class in MEDIA_CLASSES else {}
        )
    if intent == "HassClimateSetTemperature":
        _require(device, "temperature")
        return {"temperature": _number(slots, "temperature", -50, 150)}
    return {}


DEFAULT_STEP = 25  # percent points of "a bit brighter" when no number is said


def _step(slots: dict[str, Any], key: str, default: int) -> int:
    """A relative change as signed percent points: "up"/"down" is ``default``."""
    value = slots.get(key)
    if value in ("up", "down"):
        return default if value == "up" else -default
    return round(_number(slots, key, -100, 100))


def _speed_step(slots: dict[str, Any]) -> str:
    """A fan faster or slower: Home Assistant's increase_speed / decrease_speed."""
    step = slots.get("percentage_change")
    up = step == "up" or (isinstance(step, int | float) and not isinstance(step, bool) and step > 0)
    return "increase_speed" if up else "decrease_speed"


def _volume_step(slots: dict[str, Any]) -> str:
    """ "turn it up" / "turn it down": one step of the player's own. A number ("up by 20")
    needs the current level: the daemon turns it into a level where the sink knows the
    player's (daemon/acting.py); here it is refused rather than guessed."""
    step = slots.get("volume_step")
    if step in ("up", "down"):
        return f"volume_{step}"
    raise StateUnknown(
        "the player's volume is not known here, so a step by a number cannot be worked out: "
        'say a level ("volume to 40") or "turn it up"'
    )


def _words(slots: dict[str, Any], key: str, limit: int, what: str) -> str:
    """Words as said (a list item, a search, a broadcast: the only places spoken text goes
    into an action): trimmed, printable, at most ``limit`` characters."""
    words = slots.get(key)
    if not isinstance(words, str) or not words.strip():
        raise ActionRefused(f"{what} needs words")
    words = " ".join(words.split())
    if len(words) > limit or not words.isprintable():
        raise ActionRefused(f"{what} is printable text of at most {limit} characters")
    return words


def _require(device: Device, capability: str) -> None:
    if capability not in device.capabilities:
        has = ", ".join(device.capabilities) or "none"
        raise ActionRefused(f"{device.id} has no {capability} capability (has: {has})")


def _percent(slots: dict[str, Any], key: str) -> int:
    return round(_number(slots, key, 0, 100))


def _number(slots: dict[str, Any], key: str, low: float, high: float) -> float:
    value = slots.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ActionRefused(f"slot {key!r} needs a number")
    if not low <= value <= high:
        raise ActionRefused(f"slot {key!r} is {value}, outside {low:g}..{high:g}")
    return value


def device_in(home: Home, device_id: str) -> Device:
    """The home's device with this id; ActionRefused (listing none of them) otherwise."""
    for device in home.devices:
        if device.id == device_id:
            return device
    raise ActionRefused(f"device {device_id[:80]!r} is not in the home; refused")


def check_action(home: Home, action: Action) -> Device | CustomIntent | None:
    """What an action stands for, refused when it is none of the home's: a device of its
    domain, a custom intent of home.yaml, or None for a broadcast."""
    if action.domain == INTENT_DOMAIN:
        return intent_of(home, action)
    if action.domain == BROADCAST_DOMAIN and action.device_id == BROADCAST:
        if action.service != "announce" or not isinstance(action.data.get("message"), str):
            raise ActionRefused("a broadcast is assist_satellite.announce with a message")
        return None
    return checked_device(home, action)


def checked_device(home: Home, action: Action) -> Device:
    """The device an action is for, refusing one that is not in the home or not its domain
    (an Action can be built by hand, not only by actions_for)."""
    device = device_in(home, action.device_id)
    if device.domain != action.domain:
        raise ActionRefused(f"{device.id} is a {device.domain}, not a {action.domain[:40]}")
    return device


async def execute_all(sink: Sink, actions: list[Action], deadline: float) -> list[ActionResult]:
    """Every action at once (all the kitchen lights switch together), one shared deadline;
    results in the order of ``actions``."""
    return list(await asyncio.gather(*(sink.execute(a, deadline) for a in actions)))


class Sink(ABC):
    """Carries actions out. ``execute`` and ``get_state`` are called on the event loop;
    ``execute`` never raises for a transport failure, it returns ``ok=False`` and why."""

    type: ClassVar[str]

    def __init__(self, home: Home) -> None:
        self.home = home
        # set by the daemon: called on the event loop with (sender, message) for a broadcast
        # of another assistant of the home (only a sink with a bus, mqtt, hears them)
        self.on_broadcast: Callable[[str, str], None] | None = None

    async def start(self) -> None:
        """Open connections, read secrets. Raises ActionError for a configuration that
        cannot work (unsafe token file, refused credentials); an unreachable server is not
        one: it is retried while running."""
        return None  # nothing to open here

    async def close(self) -> None:
        """Close connections; pending actions fail."""
        return None  # nothing to close here

    def background(self) -> dict[str, asyncio.Task[Any] | None]:
        """The sink's own long-lived tasks (a connection loop that retries by itself), by
        name: the daemon's supervisor watches them, and one that ends is a failure."""
        return {}

    @abstractmethod
    async def execute(self, action: Action, deadline: float) -> ActionResult:
        """Carry ``action`` out, retrying until ``deadline`` (``time.monotonic()`` based)."""

    async def get_state(self, device_id: str) -> dict[str, Any] | None:
        """``{"state": ..., "attributes": {...}}`` of a device of the home, or None when
        not known. Raises ActionRefused for a device that is not in the home."""
        device_in(self.home, device_id)
        return None

    async def publish_event(self, kind: str, payload: dict[str, Any]) -> None:
        """The assistant's own events ("heard", "did") for other rooms; a no-op here."""
        return None  # only a sink with a bus (mqtt) shares events

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
