"""Home Assistant's WebSocket API, as the home_assistant sink uses it: the auth handshake,
one connection's requests (ids increasing from 1, as Home Assistant requires) and its reader,
which hands each result to the request waiting for it and keeps a cache of the home's
entity states fresh from ``state_changed`` events."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

log = logging.getLogger("edge_assistant.actions.home_assistant")

SNIPPET = 200
WS_HEARTBEAT_S = 30.0  # a Home Assistant that vanished without closing is noticed this late
MAX_WS_MESSAGE_BYTES = 16 * 1024 * 1024  # get_states of a large home; larger closes the socket
# Error results worth another try, as a 5xx is: the rest (not_found, invalid_format,
# unauthorized, service_validation_error, ...) would fail the same way again.
WS_RETRIED = frozenset({"home_assistant_error", "unknown_error", "timeout"})

_OnResult = Callable[[dict[str, Any]], None]


class SocketError(ConnectionError):
    """The WebSocket closed, or Home Assistant broke the protocol: REST until it is back."""


class TokenRefused(Exception):
    """``auth_invalid``: the message Home Assistant gave."""


class Socket:
    """One authenticated WebSocket connection. Ids increase from 1 on each, as Home Assistant
    requires; one reader hands each result to the request waiting for its id and each
    ``state_changed`` of the home's entities to the cache."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, entities: frozenset[str]) -> None:
        self.ws = ws
        self.entities = entities
        self.states: dict[str, dict[str, Any]] = {}  # entity_id -> {"state", "attributes"}
        self.lost: str | None = None  # why it ended
        self._next_id = 0
        self._sending = asyncio.Lock()  # ids reach Home Assistant in increasing order
        self._pending: dict[int, tuple[asyncio.Future[dict[str, Any]], _OnResult | None]] = {}
        self._subscriptions: set[int] = set()

    async def request(
        self,
        message: dict[str, Any],
        limit_s: float,
        on_result: _OnResult | None = None,
    ) -> dict[str, Any]:
        """Home Assistant's result for ``message``. ``on_result`` runs in the reader on a
        success, before any later message is handled (a state snapshot is then never older
        than the events after it). Raises TimeoutError, SocketError, aiohttp.ClientError."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        message_id = 0
        try:
            async with asyncio.timeout(limit_s):
                async with self._sending:
                    if self.lost is not None:
                        raise SocketError(self.lost)
                    self._next_id += 1
                    message_id = self._next_id
                    self._pending[message_id] = (future, on_result)
                    await self.ws.send_str(json.dumps({"id": message_id, **message}))
                return await future
        finally:
            self._pending.pop(message_id, None)

    async def subscribe_and_fill(self, limit_s: float) -> None:
        """Subscribe to state changes first, then take the snapshot: no change falls between."""
        subscribe = {"type": "subscribe_events", "event_type": "state_changed"}
        for message, on_result in (
            (subscribe, lambda m: self._subscriptions.add(m["id"])),
            ({"type": "get_states"}, self._fill),
        ):
            answer = await self.request(message, limit_s, on_result)
            if answer.get("success") is not True:
                code, text = error_of(answer)
                raise SocketError(f"{message['type']} failed ({code}): {text}")

    async def read(self) -> str:
        """Hands messages out until the connection ends; why it ended."""
        reason = "closed by the sink"
        try:
            while True:
                message = await self.ws.receive()
                if message.type is aiohttp.WSMsgType.TEXT:
                    self._handle(message.data)
                elif message.type is aiohttp.WSMsgType.ERROR:  # too big, broken frame
                    reason = f"WebSocket error: {describe_error(message.data)}"
                    break
                elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    reason = f"WebSocket closed by Home Assistant (code {self.ws.close_code})"
                    break
        finally:
            self.lost = reason
            self.states.clear()  # no longer kept fresh
            for future, _ in self._pending.values():
                if not future.done():
                    future.set_exception(SocketError(reason))
            self._pending.clear()
        return reason

    def _handle(self, text: str) -> None:
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("Home Assistant sent a WebSocket message that is not JSON; ignored")
            return
        for message in data if isinstance(data, list) else [data]:  # coalesced messages
            message_id = message.get("id") if isinstance(message, dict) else None
            if type(message_id) is not int:
                continue
            kind = message.get("type")
            if kind == "event" and message_id in self._subscriptions:
                self._on_event(message.get("event"))
            elif kind in ("result", "pong") and message_id in self._pending:
                future, on_result = self._pending.pop(message_id)
                if not future.done():
                    if on_result is not None and message.get("success") is True:
                        on_result(message)
                    future.set_result(message)

    def _on_event(self, event: Any) -> None:
        if not isinstance(event, dict) or event.get("event_type") != "state_changed":
            return
        data = event.get("data")
        entity_id = data.get("entity_id") if isinstance(data, dict) else None
        if not isinstance(entity_id, str) or entity_id not in self.entities:
            return  # not ours: the house has far more entities than voice controls
        state = state_of(data.get("new_state"))
        if state is None:  # removed (new_state null): Home Assistant no longer knows it
            self.states.pop(entity_id, None)
        else:
            self.states[entity_id] = state

    def _fill(self, answer: dict[str, Any]) -> None:
        result = answer.get("result")
        self.states = {
            item["entity_id"]: state
            for item in (result if isinstance(result, list) else [])
            if isinstance(item, dict)
            and isinstance(item.get("entity_id"), str)
            and item["entity_id"] in self.entities
            and (state := state_of(item)) is not None
        }


async def authenticate(ws: aiohttp.ClientWebSocketResponse, token: str) -> None:
    """auth_required -> auth -> auth_ok; TokenRefused on auth_invalid."""
    hello = await _receive_object(ws)
    if hello.get("type") != "auth_required":
        raise SocketError(f"expected auth_required, got {str(hello.get('type'))[:40]!r}")
    await ws.send_str(json.dumps({"type": "auth", "access_token": token}))
    answer = await _receive_object(ws)
    if answer.get("type") == "auth_invalid":
        raise TokenRefused(str(answer.get("message", "no reason given"))[:SNIPPET])
    if answer.get("type") != "auth_ok":
        raise SocketError(f"expected auth_ok, got {str(answer.get('type'))[:40]!r}")


async def _receive_object(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive()
    if message.type is not aiohttp.WSMsgType.TEXT:
        raise SocketError(f"WebSocket {message.type.name.lower()} during authentication")
    try:
        data = json.loads(message.data)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SocketError("Home Assistant sent a WebSocket message that is not a JSON object")
    return data


def state_of(data: Any) -> dict[str, Any] | None:
    """``{"state", "attributes"}`` of a Home Assistant state object; None if it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("state"), str):
        return None
    attributes = data.get("attributes")
    return {
        "state": data["state"],
        "attributes": attributes if isinstance(attributes, dict) else {},
    }


def error_of(answer: dict[str, Any]) -> tuple[str, str]:
    """(code, message) of a failed result, both cut short."""
    error = answer.get("error")
    error = error if isinstance(error, dict) else {}
    return str(error.get("code", "unknown"))[:64], str(error.get("message", ""))[:SNIPPET]


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, SocketError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
