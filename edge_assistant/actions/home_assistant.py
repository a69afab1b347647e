"""The ``home_assistant`` sink: Home Assistant's WebSocket and REST APIs, with a long-lived
access token.

While the WebSocket API (``/api/websocket``) is up, an action is one ``call_service`` message
and a state is read from a cache of the home's entities, filled by ``get_states`` and kept
fresh by ``state_changed`` events, so a question costs no round trip. While it is down (Home
Assistant restarting; a background task reconnects with doubling waits), ``POST
{url}/api/services/{domain}/{service}`` carries an action out and ``GET
{url}/api/states/{entity_id}`` reads a state. Only entity_ids of home.yaml are used, and
only values from a closed list are sent: nothing that was spoken.

A rejected token (401/403, ``auth_invalid``) and a rejected call (other 4xx, an error result
such as ``not_found``) fail at once; timeouts, lost connections and server failures are
retried until the deadline (a retried call whose first try did reach Home Assistant runs
twice: every service voice issues sets a state, except "next track").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import ssl
import time
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from edge_assistant.actions.base import (
    BROADCAST_DOMAIN,
    INTENT_DOMAIN,
    Action,
    ActionError,
    ActionRefused,
    ActionResult,
    Sink,
    check_action,
    checked_device,
    device_in,
    fill,
    intent_of,
)
from edge_assistant.actions.credentials import secret_from_env, secret_from_file, tls_context
from edge_assistant.actions.ha_socket import (
    MAX_WS_MESSAGE_BYTES,
    SNIPPET,
    WS_HEARTBEAT_S,
    WS_RETRIED,
    Socket,
    SocketError,
    TokenRefused,
    authenticate,
    describe_error,
    error_of,
    state_of,
)
from edge_assistant.config.actions import HomeAssistantSinkConfig
from edge_assistant.home.model import CustomIntent, Device, Home

log = logging.getLogger("edge_assistant.actions.home_assistant")

_ENTITY = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
_SERVICE = re.compile(r"^[a-z0-9_]{1,64}$")
_TOKEN = re.compile(r"^[\x21-\x7e]+$")  # what an HTTP header may carry
RETRY_INITIAL_S = 0.2
RETRY_MAX_S = 2.0
MAX_BODY_BYTES = 262144
Outcome = Literal["done", "refused", "retry"]


@dataclass(frozen=True)
class _Done:
    ok: bool
    error: str | None
    attempts: int
    response: Any = None  # Home Assistant's service response, when asked for


class HomeAssistantSink(Sink):
    type = "home_assistant"

    def __init__(self, config: HomeAssistantSinkConfig, home: Home) -> None:
        super().__init__(home)
        self.config = config
        self.token_source = (
            f"token file {config.token_file}" if config.token_file else f"${config.token_env}"
        )
        self.ws_url = "ws" + config.url.removeprefix("http") + "/api/websocket"
        self._entities = frozenset(
            d.entity_id for d in home.devices if d.entity_id and _ENTITY.match(d.entity_id)
        )
        self._session: aiohttp.ClientSession | None = None
        self._socket: Socket | None = None  # only while up: authenticated, subscribed, filled
        self._task: asyncio.Task[None] | None = None
        self._down_logged = False
        self.ws_connects = 0
        self.ws_error: str | None = None  # why the WebSocket is down, for status

    @property
    def websocket_up(self) -> bool:
        return self._socket is not None and self._socket.lost is None

    @property
    def cached_entities(self) -> frozenset[str]:
        """The entity_ids whose state is answered from the WebSocket's cache."""
        socket = self._socket
        return frozenset(socket.states if socket is not None and socket.lost is None else ())

    # -- connection --------------------------------------------------------------------

    async def start(self) -> None:
        what = "Home Assistant token"
        token = (
            secret_from_file(self.config.token_file, what)
            if self.config.token_file
            else secret_from_env(self.config.token_env, what)
        )
        if not _TOKEN.match(token):
            raise ActionError(
                f"the token from {self.token_source} has spaces or control characters"
            )
        verify: ssl.SSLContext | bool = self.config.verify_tls
        if self.config.verify_tls and self.config.ca_file:
            verify = tls_context(self.config.ca_file, None, None)
        self._session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {token}"},
            connector=aiohttp.TCPConnector(ssl=verify, limit=8),
        )
        # A wrong token is a configuration error: found now, not at the first command.
        if self.config.websocket:
            first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._task = asyncio.create_task(self._keep_socket(token, first), name="hass-ws")
            try:
                await first
            except ActionError:
                await self.close()
                raise
            if self.websocket_up:
                return  # the token was checked by the WebSocket's auth
        await self._check_token()

    async def _check_token(self) -> None:
        try:
            status, _ = await self._call(
                "GET", f"{self.config.url}/api/", None, self.config.timeout_s
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning(
                "Home Assistant unreachable (%s): %s; retried per action",
                self.config.url,
                describe_error(exc),
            )
            return
        if status in (401, 403):
            await self.close()
            raise ActionError(self._rejected(str(status)))

    async def _keep_socket(self, token: str, first: asyncio.Future[None]) -> None:
        """Holds the WebSocket while the sink runs: reconnects with doubling waits."""
        delay = self.config.reconnect_initial_s
        while True:
            try:
                socket, reader = await self._connect(token)
            except TokenRefused as exc:
                self.ws_error = self._rejected(f"auth_invalid at {self.ws_url}: {exc}")
                if not first.done():
                    first.set_exception(ActionError(self.ws_error))
                    return
            except (TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
                self.ws_error = describe_error(exc)
            except Exception as exc:  # a bug, not the network: logged, and REST carries on
                self.ws_error = f"{type(exc).__name__}: {exc}"
                log.exception("Home Assistant WebSocket API: unexpected error")
            else:
                delay = self.config.reconnect_initial_s
                self._up(socket)
                if not first.done():
                    first.set_result(None)
                self.ws_error = await self._until_lost(socket, reader)
            if not first.done():
                first.set_result(None)
            self._log_down()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.config.reconnect_max_s)

    async def _connect(self, token: str) -> tuple[Socket, asyncio.Task[str]]:
        """An authenticated WebSocket, subscribed to state changes, its cache filled; and its
        reader."""
        if self._session is None:
            raise SocketError("the Home Assistant sink is not started")
        limit_s = self.config.timeout_s
        async with asyncio.timeout(limit_s):
            ws = await self._session.ws_connect(
                self.ws_url,
                max_msg_size=MAX_WS_MESSAGE_BYTES,
                heartbeat=WS_HEARTBEAT_S,
                timeout=aiohttp.ClientWSTimeout(ws_close=limit_s),
            )
        socket = Socket(ws, self._entities)
        reader: asyncio.Task[str] | None = None
        try:
            async with asyncio.timeout(limit_s):
                await authenticate(ws, token)
            reader = asyncio.create_task(socket.read(), name="hass-ws-reader")
            await socket.subscribe_and_fill(limit_s)
        except BaseException:
            if reader is not None:
                reader.cancel()
            await ws.close()
            raise
        return socket, reader

    async def _until_lost(self, socket: Socket, reader: asyncio.Task[str]) -> str:
        """Why the connection ended; it is closed then, and calls go over REST."""
        try:
            return await reader
        except Exception as exc:  # a bug in the reader: logged, then reconnect
            log.exception("Home Assistant WebSocket reader failed")
            return f"{type(exc).__name__}: {exc}"
        finally:
            self._socket = None
            reader.cancel()
            await socket.ws.close()

    def _up(self, socket: Socket) -> None:
        self._socket = socket
        self.ws_connects += 1
        self.ws_error = None
        self._down_logged = False
        log.info(
            "Home Assistant WebSocket API connected (%s, connection %d, %d of %d entities known)",
            self.ws_url,
            self.ws_connects,
            len(socket.states),
            len(self._entities),
        )

    def _log_down(self) -> None:
        """Once per outage: calls and states go over REST until the socket is back."""
        if self._down_logged:
            log.debug("Home Assistant WebSocket API still down: %s", self.ws_error)
            return
        self._down_logged = True
        was = "lost" if self.ws_connects else "unavailable"
        log.warning(
            "Home Assistant WebSocket API %s (%s): %s; using REST until it is back",
            was,
            self.ws_url,
            self.ws_error,
        )

    def background(self) -> dict[str, asyncio.Task[Any] | None]:
        return {"hass-ws": self._task}

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        session, self._session = self._session, None  # calls racing the close fail cleanly
        if session is not None:
            await session.close()

    # -- actions and states ------------------------------------------------------------

    async def execute(self, action: Action, deadline: float) -> ActionResult:
        start = time.monotonic()
        call = action
        try:
            if action.domain == INTENT_DOMAIN:
                call, entity_id = _intent_call(intent_of(self.home, action), action)
            elif action.domain == BROADCAST_DOMAIN:
                check_action(self.home, action)
                entity_id = "all"  # every satellite of the home (Home Assistant's broadcast)
            else:
                entity_id = _entity_id(checked_device(self.home, action))
            if not _SERVICE.match(call.service):
                raise ActionRefused(f"not a service name: {call.service[:40]!r}")
            _json(call.data)
        except ActionRefused as exc:
            return ActionResult(action, ok=False, error=str(exc))
        detail: dict[str, Any] = {"entity_id": entity_id}
        searched = (call.domain, call.service) == ("media_player", "play_media") and (
            "search_query" in call.data
        )
        if searched:  # Home Assistant plays what its search finds: two calls
            search = Action(call.device_id, "media_player", "search_media", _search(call.data))
            done = await self._retrying(search, entity_id, deadline, detail, response=True)
            if done.ok:
                found = _first_playable(done.response, entity_id, call.data["search_query"])
                if isinstance(found, str):
                    done = _Done(False, found, done.attempts)
                else:
                    detail["found"] = found
                    play = Action(call.device_id, "media_player", "play_media", found)
                    more = await self._retrying(play, entity_id, deadline, detail)
                    done = _Done(more.ok, more.error, done.attempts + more.attempts)
        else:
            done = await self._retrying(call, entity_id, deadline, detail)
        if done.ok:
            log.info("did %s: %s.%s %s", action.device_id, call.domain, call.service, call.data)
        ms = (time.monotonic() - start) * 1000
        return ActionResult(action, done.ok, done.error, done.attempts, ms, detail)

    async def _retrying(
        self,
        call: Action,
        entity_id: str | None,
        deadline: float,
        detail: dict[str, Any],
        response: bool = False,
    ) -> _Done:
        """One service call, over the WebSocket while it is up, else REST, retried until
        ``deadline``; with ``response``, Home Assistant's service response too."""
        body = {**call.data, **({"entity_id": entity_id} if entity_id else {})}
        attempts, error, pause = 0, "deadline passed before the first try", RETRY_INITIAL_S
        while (remaining := deadline - time.monotonic()) > 0:
            attempts += 1
            socket = self._socket
            if socket is not None and socket.lost is None:
                outcome, why, answer = await self._over_socket(
                    socket, call, entity_id, remaining, detail, response
                )
            else:
                outcome, why, answer = await self._over_rest(
                    call, body, remaining, detail, response
                )
            if outcome == "done":
                return _Done(True, None, attempts, answer)
            if outcome == "refused":
                return _Done(False, why, attempts)
            error = why
            await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))
            pause = min(pause * 2, RETRY_MAX_S)
        return _Done(False, error, attempts)

    async def _over_socket(
        self,
        socket: Socket,
        action: Action,
        entity_id: str | None,
        limit_s: float,
        detail: dict[str, Any],
        response: bool = False,
    ) -> tuple[Outcome, str, Any]:
        detail.update(transport="websocket", url=self.ws_url)
        detail.pop("status", None)
        message = {
            "type": "call_service",
            "domain": action.domain,
            "service": action.service,
            "service_data": dict(action.data),
            **({"target": {"entity_id": entity_id}} if entity_id else {}),
            **({"return_response": True} if response else {}),
        }
        try:
            answer = await socket.request(message, min(self.config.timeout_s, limit_s))
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
            why = f"Home Assistant unreachable ({self.config.url}): {describe_error(exc)}"
            return "retry", why, None
        if answer.get("success") is True:
            result = answer.get("result")
            return "done", "", result.get("response") if isinstance(result, dict) else None
        code, text = error_of(answer)
        detail["code"] = code
        if code in WS_RETRIED:
            return "retry", f"Home Assistant failed ({self.config.url}, {code}): {text}", None
        what = f"{action.domain}.{action.service} on {entity_id}"
        return "refused", f"Home Assistant refused {what} ({code}): {text}", None

    async def _over_rest(
        self,
        action: Action,
        body: dict[str, Any],
        limit_s: float,
        detail: dict[str, Any],
        response: bool = False,
    ) -> tuple[Outcome, str, Any]:
        url = f"{self.config.url}/api/services/{action.domain}/{action.service}"
        detail.update(transport="rest", url=url)
        detail.pop("code", None)
        try:
            status, text = await self._call(
                "POST", url + ("?return_response" if response else ""), body, limit_s, response
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            why = f"Home Assistant unreachable ({self.config.url}): {describe_error(exc)}"
            return "retry", why, None
        detail["status"] = status
        if status < 300:
            return "done", "", _service_response(text) if response else None
        if status in (401, 403):
            return "refused", self._rejected(str(status)), None
        if status < 500:
            what = f"{action.domain}.{action.service} on {body.get('entity_id', 'no entity')}"
            return "refused", f"Home Assistant refused {what} ({status}): {text}", None
        return "retry", f"Home Assistant failed ({self.config.url}, {status}): {text}", None

    async def get_state(self, device_id: str) -> dict[str, Any] | None:
        """The entity's state and attributes: from the WebSocket's cache while it is up, else
        over REST; None when Home Assistant does not know it or cannot be reached (logged).
        A rejected token raises ActionError."""
        entity_id = _entity_id(device_in(self.home, device_id))
        socket = self._socket
        if socket is not None and socket.lost is None and entity_id in socket.states:
            cached = socket.states[entity_id]
            return {"state": cached["state"], "attributes": dict(cached["attributes"])}
        url = f"{self.config.url}/api/states/{entity_id}"
        try:
            status, text = await self._call("GET", url, None, self.config.timeout_s, full=True)
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("state of %s unknown: %s", entity_id, describe_error(exc))
            return None
        if status in (401, 403):
            raise ActionError(self._rejected(str(status)))
        if status != 200:
            if status != 404:
                log.warning("state of %s unknown: HTTP %d %s", entity_id, status, text[:SNIPPET])
            return None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        state = state_of(data)
        if state is None:
            log.warning("state of %s unknown: not a Home Assistant state object", entity_id)
        return state

    async def _call(
        self, method: str, url: str, body: dict[str, Any] | None, limit_s: float, full: bool = False
    ) -> tuple[int, str]:
        """(HTTP status, the body: whole when ``full``, else the start of it for messages)."""
        if self._session is None:
            raise aiohttp.ClientConnectionError("the Home Assistant sink is not started")
        timeout = aiohttp.ClientTimeout(total=min(self.config.timeout_s, limit_s))
        async with self._session.request(
            method, url, json=body, timeout=timeout, allow_redirects=False
        ) as response:
            raw = await _read(response, MAX_BODY_BYTES if full else SNIPPET)
            return response.status, raw.decode("utf-8", errors="replace")

    def _rejected(self, why: str) -> str:
        return (
            f"Home Assistant rejected the token from {self.token_source} ({why}): create a "
            f"long-lived access token in your Home Assistant profile"
        )


def _search(data: dict[str, Any]) -> dict[str, Any]:
    """media_player.search_media's data for a play-what-was-said action."""
    media_class = data.get("media_class")
    return {"search_query": data["search_query"]} | (
        {"media_filter_classes": [media_class]} if media_class else {}
    )


def _service_response(text: str) -> Any:
    """The service response of a REST call made with ``?return_response``."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body.get("service_response") if isinstance(body, dict) else None


def _first_playable(response: Any, entity_id: str | None, query: str) -> dict[str, str] | str:
    """play_media's data for the first playable result of search_media's response, or why
    there is none (what Home Assistant's HassMediaSearchAndPlay does)."""
    results = response.get(entity_id) if isinstance(response, dict) else None
    items = results.get("result") if isinstance(results, dict) else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("can_play") is False:
            continue
        content_id, content_type = item.get("media_content_id"), item.get("media_content_type")
        if isinstance(content_id, str) and isinstance(content_type, str) and content_id:
            return {"media_content_id": content_id, "media_content_type": content_type}
    return f"found nothing to play for {query!r} on {entity_id}"


def _intent_call(custom: CustomIntent, action: Action) -> tuple[Action, str | None]:
    """A custom intent's service call (home.yaml ``intents``), its {slot}s filled."""
    if custom.service is None:
        raise ActionRefused(
            f"intent {action.service} has no service: in home.yaml intents, so the "
            "home_assistant sink cannot do it"
        )
    domain, service = custom.service.name.split(".", 1)
    data = {k: fill(v, action.data) if isinstance(v, str) else v
            for k, v in custom.service.data.items()}  # fmt: skip
    entity_id = fill(custom.service.entity_id, action.data) if custom.service.entity_id else None
    if entity_id is not None and not _ENTITY.match(entity_id):
        raise ActionRefused(f"intent {action.service}: {entity_id[:80]!r} is not an entity_id")
    return Action(action.device_id, domain, service, data), entity_id


def _entity_id(device: Device) -> str:
    if device.entity_id is None:
        raise ActionRefused(
            f"{device.id} has no entity_id in home.yaml, so the home_assistant sink cannot "
            "control it"
        )
    if not _ENTITY.match(device.entity_id):
        raise ActionRefused(f"{device.id}: {device.entity_id!r} is not a Home Assistant entity_id")
    return device.entity_id


def _json(body: dict[str, Any]) -> None:
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ActionRefused(f"service data is not JSON: {exc}") from None


async def _read(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """At most ``limit`` bytes of the body: a misbehaving server cannot fill memory."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def load(config: HomeAssistantSinkConfig, home: Home) -> HomeAssistantSink:
    return HomeAssistantSink(config, home)
