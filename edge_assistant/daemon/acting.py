"""Carrying a command out: the actions it maps to, each journaled before and after it goes
to the sink (so a kill -9 in between leaves a pending row), with one deadline for all; and
answering a question about a device's state from the sink."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

from edge_assistant.actions.base import ActionError, ActionResult, Sink, actions_for
from edge_assistant.daemon import metrics
from edge_assistant.home.model import Home
from edge_assistant.journal.journal import Journal
from edge_assistant.understanding.intents import Command

log = logging.getLogger("edge_assistant.daemon.assistant")


class Actor:
    def __init__(self, sink: Sink, journal: Journal, pool: Executor, ttl_s: float) -> None:
        self.sink, self.journal, self.pool, self.ttl_s = sink, journal, pool, ttl_s

    async def act(
        self, command: Command, home: Home, decision_id: int | None, deadline: float
    ) -> list[dict[str, Any]]:
        """Carry out the command's actions, each journaled before it is sent and after, by
        ``deadline`` (``time.monotonic()``: the end of its speech plus ``actions.ttl_s``); an
        action whose time has passed before it is sent fails without being sent."""
        loop = asyncio.get_running_loop()
        done = []
        try:
            planned = [a for c in await self._absolute(command) for a in actions_for(c, home)]
        except ActionError as exc:  # e.g. brightness for a lamp that cannot dim
            return [{"device": None, "service": None, "data": {}, "ok": False,
                     "error": str(exc), "ms": 0.0}]  # fmt: skip
        for action in planned:
            action_id = await loop.run_in_executor(
                self.pool, lambda a=action: self.journal.action_started(
                    decision_id=decision_id, device_id=a.device_id, service=a.service,
                    data=a.data,
                ),
            )  # fmt: skip
            late = time.monotonic() - deadline
            if late >= 0:
                result = ActionResult(
                    action, ok=False, error=f"not sent: its time to live ({self.ttl_s:g} s from the end "
                    f"of speech) had passed {late:.1f} s before", attempts=0, ms=0.0,
                )  # fmt: skip
            else:
                result = await self.sink.execute(action, deadline)
            await loop.run_in_executor(
                self.pool, lambda r=result, i=action_id: self.journal.action_finished(
                    i, ok=r.ok, error=r.error, attempts=r.attempts, ms=r.ms,
                ),
            )  # fmt: skip
            (metrics.ACTIONS_OK if result.ok else metrics.ACTIONS_FAILED).inc()
            done.append({"device": action.device_id, "service": action.service,
                         "data": action.data, "ok": result.ok, "error": result.error,
                         "ms": round(result.ms, 1)})  # fmt: skip
        return done

    async def _absolute(self, command: Command) -> list[Command]:
        """A relative change the sink needs a level for ("turn the volume up by 10", "a
        couple of degrees warmer", "close the curtains another 20 percent") as the level it
        gives from each device's current state, when the sink knows it (as Home Assistant
        does); otherwise the command as it is (refused by actions_for: never guessed)."""
        for slot, (attribute, scale, low, high, default, intent, level_slot) in _CHANGES.items():
            step = command.slots.get(slot)
            if step is None or (slot == "volume_step" and not _is_number(step)):
                continue
            delta = default if step == "up" else -default if step == "down" else step
            if not _is_number(delta):
                return [command]
            levels = []
            for device_id in command.targets:
                attributes = ((await self._state(device_id)) or {}).get("attributes") or {}
                level = _number(attributes.get(attribute))
                if level is None or not low <= level * scale <= high:
                    return [command]  # not known: refused, not guessed
                levels.append((device_id, min(high, max(low, level * scale + delta))))
            slots = {k: v for k, v in command.slots.items() if k != slot}
            return [
                replace(
                    command,
                    intent=intent,
                    targets=(device_id,),
                    slots={**slots, level_slot: _level(level, level_slot)},
                )
                for device_id, level in levels
            ]
        return [command]

    async def answer_state(self, command: Command, home: Home) -> str:
        """A question, answered from the sink's states as a sentence: HassGetState (each
        target's state), HassClimateGetTemperature (the thermostat's reading, else the area's
        temperature sensors), HassGetWeather (the weather entity's condition and
        temperature)."""
        if command.intent == "HassClimateGetTemperature":
            return await self._temperature(command, home)
        if command.intent == "HassGetWeather":
            return await self._weather(command, home)
        parts = []
        for device_id in command.targets:
            state = await self._state(device_id)
            name = home.device(device_id).name
            value = (state or {}).get("state")
            parts.append(f"{name} is {value}" if value else f"I do not know the state of {name}")
        return ". ".join(parts) or "I do not know."

    async def _state(self, device_id: str) -> dict | None:
        try:
            return await self.sink.get_state(device_id)
        except ActionError as exc:
            log.warning("state of %s unknown: %s", device_id, exc)
            return None

    async def _temperature(self, command: Command, home: Home) -> str:
        devices = [home.device(d) for d in command.targets]
        if not devices:  # no thermostat there: the area's temperature sensors
            area = next((a.id for a in home.areas if a.name == command.slots.get("area")), None)
            devices = [d for d in home.devices if d.domain == "sensor"
                       and d.device_class == "temperature" and (area is None or d.area == area)]  # fmt: skip
        for device in devices:
            state = await self._state(device.id) or {}
            attributes = state.get("attributes") or {}
            value = attributes.get("current_temperature") if device.domain == "climate" else (
                state.get("state"))  # fmt: skip
            if _number(value) is not None:
                unit = attributes.get("unit_of_measurement", "degrees")
                return f"It is {_number(value):g} {unit.replace('°C', 'degrees')}."
        return "I do not know the temperature there."

    async def _weather(self, command: Command, home: Home) -> str:
        devices = [home.device(d) for d in command.targets] or [
            d for d in home.devices if d.domain == "weather"
        ]
        for device in devices:
            state = await self._state(device.id) or {}
            condition = (
                str(state.get("state") or "")
                .replace("_", " ")
                .replace("partlycloudy", "partly cloudy")
            )
            temperature = _number((state.get("attributes") or {}).get("temperature"))
            if condition:
                said = f"It is {condition}" + (f", {temperature:g} degrees" if
                                               temperature is not None else "")  # fmt: skip
                return said + "."
        return "I do not know the weather."


# slot: (state attribute, its scale to the slot's unit, lowest, highest, the step of a bare
# "up"/"down", the intent that sets a level, its slot)
_CHANGES = {
    "volume_step": ("volume_level", 100, 0, 100, 10, "HassSetVolume", "volume_level"),
    "temperature_change": ("temperature", 1, 5, 35, 1, "HassClimateSetTemperature", "temperature"),
    "position_change": ("current_position", 1, 0, 100, 25, "HassSetPosition", "position"),
}


def _level(value: float, slot: str) -> float | int:
    """Percent levels are whole numbers; a temperature keeps its half degree."""
    return round(value * 2) / 2 if slot == "temperature" else round(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # not NaN
