"""What an Action looks like on MQTT: one message per action, following Home Assistant's MQTT
integration defaults, so a device set up for Home Assistant understands the assistant too.

==================  ==========================================  ===============================
domain              topic                                       payload
==================  ==========================================  ===============================
light               command_topic                               JSON schema: {"state": "ON",
                                                                "brightness": 0-255,
                                                                "color": {"r", "g", "b"}};
                                                                {"state": "OFF"}
switch, fan         command_topic                               ON / OFF
fan speed           <command_topic>/percentage                  0-100 (percentage_command_topic)
cover               command_topic                               OPEN / CLOSE / STOP
cover position      <command_topic>/position                    0-100, 100 = open
                                                                (set_position_topic)
lock                command_topic                               LOCK / UNLOCK
climate             command_topic                               ON / OFF (power_command_topic)
climate setpoint    <command_topic>/temperature                 number (temperature_command_topic)
vacuum              command_topic                               start / return_to_base / stop /
                                                                pause (the state schema's)
alarm_control_panel command_topic                               ARM_AWAY / ARM_HOME / DISARM
scene, script       command_topic                               ON (scene's payload_on)
valve               command_topic                               OPEN / CLOSE / STOP
valve position      <command_topic>/position                    0-100, 100 = open
lawn_mower          command_topic                               start_mowing / dock / pause
todo                command_topic                               {"command": "add_item" |
                                                                "update_item", "item": <words>,
                                                                "status": "completed"}
                                                                (ours: HA has no MQTT to-do)
media_player        command_topic                               {"command": <service>, **data}
                                                                (Home Assistant has no MQTT
                                                                media player; ours is JSON);
                                                                play_media: "search_query":
                                                                <words>, "media_class"
broadcast           <base_topic>/broadcast                      {"from": <client_id>,
                                                                "message": <words>} (ours:
                                                                every other edge-assistant of
                                                                the home says it)
==================  ==========================================  ===============================

Every topic is the device's ``command_topic`` from home.yaml or that plus a fixed suffix
from this table (a custom intent's, from home.yaml ``intents``, filled with list values);
every payload is a constant of this table or JSON built from numbers and Home Assistant
colour names, except words said (a to-do item, what to play, a broadcast): trimmed,
printable and bounded, in JSON.
Nothing said reaches a topic.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from edge_assistant.actions.base import Action, ActionRefused, fill
from edge_assistant.home.model import CustomIntent, Device
from edge_assistant.understanding.intents import COLORS

_FORBIDDEN = re.compile(r"[+#\x00]")
MAX_TOPIC_BYTES = 65535

# domain -> service -> the plain payload on command_topic
PLAIN: dict[str, dict[str, str]] = {
    "switch": {"turn_on": "ON", "turn_off": "OFF"},
    "fan": {"turn_on": "ON", "turn_off": "OFF"},
    "cover": {"open_cover": "OPEN", "close_cover": "CLOSE", "stop_cover": "STOP"},
    "lock": {"lock": "LOCK", "unlock": "UNLOCK"},
    "climate": {"turn_on": "ON", "turn_off": "OFF"},
    "vacuum": {
        "start": "start",
        "return_to_base": "return_to_base",
        "stop": "stop",
        "pause": "pause",
    },
    "alarm_control_panel": {
        "alarm_arm_away": "ARM_AWAY",
        "alarm_arm_home": "ARM_HOME",
        "alarm_disarm": "DISARM",
    },
    "scene": {"turn_on": "ON"},
    "script": {"turn_on": "ON"},
    "valve": {"open_valve": "OPEN", "close_valve": "CLOSE", "stop_valve": "STOP"},
    "lawn_mower": {"start_mowing": "start_mowing", "dock": "dock", "pause": "pause"},
}
# (domain, service) -> (topic suffix, the data key whose number is the payload)
VALUE_TOPICS: dict[tuple[str, str], tuple[str, str]] = {
    ("fan", "set_percentage"): ("percentage", "percentage"),
    ("cover", "set_cover_position"): ("position", "position"),
    ("climate", "set_temperature"): ("temperature", "temperature"),
    ("valve", "set_valve_position"): ("position", "position"),
}
MEDIA_SERVICES = {"turn_on", "turn_off", "media_play", "media_pause", "media_next_track",
                  "media_previous_track", "media_stop", "volume_set", "volume_up",
                  "volume_down", "volume_mute", "play_media"}  # fmt: skip
MEDIA_DATA = {"volume_level"}
MEDIA_WORDS = {"search_query", "media_class"}  # checked by actions_for
MEDIA_FLAGS = {"is_volume_muted"}
# CSS colours, as Home Assistant turns a color_name into RGB.
RGB: dict[str, tuple[int, int, int]] = {
    "white": (255, 255, 255), "black": (0, 0, 0), "red": (255, 0, 0),
    "orange": (255, 165, 0), "yellow": (255, 255, 0), "green": (0, 128, 0),
    "blue": (0, 0, 255), "purple": (128, 0, 128), "brown": (165, 42, 42),
    "pink": (255, 192, 203), "turquoise": (64, 224, 208),
}  # fmt: skip
assert set(RGB) == set(COLORS)


@dataclass(frozen=True)
class Message:
    topic: str
    payload: str


def command_message(device: Device, action: Action) -> Message:
    """The one message that carries ``action`` to ``device``; ActionRefused when the device
    has no MQTT topics or the service has no convention here."""
    if device.mqtt is None:
        raise ActionRefused(
            f"{device.id} has no mqtt command_topic in home.yaml, so the mqtt sink cannot "
            f"control it" + (f" (it has entity_id {device.entity_id})" if device.entity_id else "")
        )
    base = device.mqtt.command_topic
    key = (device.domain, action.service)
    if device.domain == "light":
        message = Message(base, _light_payload(action))
    elif key in VALUE_TOPICS:
        suffix, data_key = VALUE_TOPICS[key]
        message = Message(f"{base}/{suffix}", json.dumps(_number(action.data, data_key)))
    elif action.service in PLAIN.get(device.domain, {}):
        message = Message(base, PLAIN[device.domain][action.service])
    elif device.domain == "todo" and action.service in ("add_item", "update_item"):
        item = action.data.get("item")
        if not isinstance(item, str):
            raise ActionRefused("a list item must be text")
        status = {"status": "completed"} if action.service == "update_item" else {}
        message = Message(base, json.dumps({"command": action.service, "item": item, **status}))
    elif device.domain == "media_player" and action.service in MEDIA_SERVICES:
        data: dict[str, Any] = {k: _number(action.data, k) for k in action.data if k in MEDIA_DATA}
        data |= {k: bool(action.data[k]) for k in action.data if k in MEDIA_FLAGS}
        data |= {k: str(action.data[k]) for k in action.data if k in MEDIA_WORDS}
        message = Message(base, json.dumps({"command": action.service, **data}))
    else:
        raise ActionRefused(f"no MQTT convention for {device.domain}.{action.service[:40]}")
    check_topic(message.topic)
    return message


def intent_message(custom: CustomIntent, action: Action) -> Message:
    """A custom intent's publish: topic and payload from home.yaml, {slot}s filled with list
    values (never words said: home.yaml is checked for that when it is read)."""
    if custom.mqtt is None:
        raise ActionRefused(
            f"intent {action.service} has no mqtt: in home.yaml intents, so the mqtt sink cannot "
            "do it"
        )
    topic = check_topic(fill(custom.mqtt.topic, action.data))
    return Message(topic, fill(custom.mqtt.payload, action.data))


def _light_payload(action: Action) -> str:
    if action.service == "turn_off":
        return json.dumps({"state": "OFF"})
    if action.service != "turn_on":
        raise ActionRefused(f"no MQTT convention for light.{action.service[:40]}")
    payload: dict[str, Any] = {"state": "ON"}
    if "brightness_pct" in action.data:
        percent = _number(action.data, "brightness_pct")
        payload["brightness"] = round(max(0.0, min(100.0, percent)) * 255 / 100)
    if "color_name" in action.data:
        name = action.data["color_name"]
        if name not in RGB:
            raise ActionRefused(f"unknown color (known: {', '.join(RGB)})")
        payload["color"] = dict(zip("rgb", RGB[name], strict=True))
    return json.dumps(payload)


def _number(data: dict[str, Any], key: str) -> int | float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ActionRefused(f"{key} must be a number")
    return value


def check_topic(topic: str) -> str:
    """A topic to publish on: not empty, no wildcard or NUL, within MQTT's length limit."""
    if not topic or _FORBIDDEN.search(topic) or len(topic.encode()) > MAX_TOPIC_BYTES:
        raise ActionRefused(f"unsafe MQTT topic {topic[:80]!r}")
    return topic
