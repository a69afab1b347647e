"""The ``home_assistant`` sink: Home Assistant's REST API with a long-lived access token.

``POST {url}/api/services/{domain}/{service}`` with ``{"entity_id": ..., **data}`` carries an
action out, ``GET {url}/api/states/{entity_id}`` reads a state. Only entity_ids of home.yaml
are used. A rejected token (401/403) and a rejected call (other 4xx) fail at once; timeouts,
connection errors and 5xx are retried until the deadline (a retried call whose first try
did reach Home Assistant runs twice: every service voice issues sets a state, except
"next track").
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
import time
from typing import Any

import aiohttp

from edge_assistant.actions.base import (
    Action,
    ActionError,
    ActionRefused,
    ActionResult,
    Sink,
    checked_device,
    device_in,
)
from edge_assistant.actions.credentials import secret_from_env, secret_from_file, tls_context
from edge_assistant.config.actions import HomeAssistantSinkConfig
from edge_assistant.home.model import Device, Home

log = logging.getLogger("edge_assistant.actions.home_assistant")

_ENTITY = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
_SERVICE = re.compile(r"^[a-z0-9_]{1,64}$")
_TOKEN = re.compile(r"^[\x21-\x7e]+$")  # what an HTTP header may carry
RETRY_INITIAL_S = 0.2
RETRY_MAX_S = 2.0
MAX_BODY_BYTES = 262144
SNIPPET = 200


class HomeAssistantSink(Sink):
    type = "home_assistant"

    def __init__(self, config: HomeAssistantSinkConfig, home: Home) -> None:
        super().__init__(home)
        self.config = config
        self.token_source = (
            f"token file {config.token_file}" if config.token_file else f"${config.token_env}"
        )
        self._session: aiohttp.ClientSession | None = None

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
        try:
            status, _ = await self._call(
                "GET", f"{self.config.url}/api/", None, self.config.timeout_s
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning(
                "Home Assistant unreachable (%s): %s; retried per action",
                self.config.url,
                _reason(exc),
            )
            return
        if status in (401, 403):
            await self.close()
            raise ActionError(self._rejected(status))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def execute(self, action: Action, deadline: float) -> ActionResult:
        start = time.monotonic()
        try:
            entity_id = _entity_id(checked_device(self.home, action))
            if not _SERVICE.match(action.service):
                raise ActionRefused(f"not a service name: {action.service[:40]!r}")
            body = {**action.data, "entity_id": entity_id}
            _json(body)
        except ActionRefused as exc:
            return ActionResult(action, ok=False, error=str(exc))
        url = f"{self.config.url}/api/services/{action.domain}/{action.service}"
        attempts, error, pause = 0, "deadline passed before the first try", RETRY_INITIAL_S
        detail: dict[str, Any] = {"url": url, "entity_id": entity_id}

        def result(ok: bool, error: str | None = None) -> ActionResult:
            ms = (time.monotonic() - start) * 1000
            return ActionResult(action, ok, error, attempts, ms, detail)

        while (remaining := deadline - time.monotonic()) > 0:
            attempts += 1
            try:
                status, text = await self._call("POST", url, body, remaining)
            except (TimeoutError, aiohttp.ClientError) as exc:
                error = f"Home Assistant unreachable ({self.config.url}): {_reason(exc)}"
            else:
                detail["status"] = status
                if status < 300:
                    log.info(
                        "did %s: %s.%s %s", action.device_id, action.domain, action.service, body
                    )
                    return result(True)
                if status in (401, 403):
                    return result(False, self._rejected(status))
                if status < 500:
                    return result(
                        False,
                        f"Home Assistant refused {action.domain}.{action.service} on {entity_id} ({status}): {text}",
                    )
                error = f"Home Assistant failed ({self.config.url}, {status}): {text}"
            await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))
            pause = min(pause * 2, RETRY_MAX_S)
        return result(False, error)

    async def get_state(self, device_id: str) -> dict[str, Any] | None:
        """The entity's state and attributes; None when Home Assistant does not know it or
        cannot be reached (logged). A rejected token raises ActionError."""
        entity_id = _entity_id(device_in(self.home, device_id))
        url = f"{self.config.url}/api/states/{entity_id}"
        try:
            status, text = await self._call("GET", url, None, self.config.timeout_s, full=True)
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("state of %s unknown: %s", entity_id, _reason(exc))
            return None
        if status in (401, 403):
            raise ActionError(self._rejected(status))
        if status != 200:
            if status != 404:
                log.warning("state of %s unknown: HTTP %d %s", entity_id, status, text[:SNIPPET])
            return None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("state"), str):
            log.warning("state of %s unknown: not a Home Assistant state object", entity_id)
            return None
        attributes = data.get("attributes")
        return {
            "state": data["state"],
            "attributes": attributes if isinstance(attributes, dict) else {},
        }

    async def _call(
        self, method: str, url: str, body: dict[str, Any] | None, limit_s: float, full: bool = False
    ) -> tuple[int, str]:
        """(HTTP status, the body: whole when ``full``, else the start of it for messages)."""
        if self._session is None:
            raise aiohttp.ClientConnectionError("the Home Assistant sink is not started")
        timeout = self._timeout(min(self.config.timeout_s, limit_s))
        async with self._session.request(
            method, url, json=body, timeout=timeout, allow_redirects=False
        ) as response:
            raw = await _read(response, MAX_BODY_BYTES if full else SNIPPET)
            return response.status, raw.decode("utf-8", errors="replace")

    @staticmethod
    def _timeout(seconds: float) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=seconds)

    def _rejected(self, status: int) -> str:
        return (
            f"Home Assistant rejected the token from {self.token_source} ({status}): create a "
            f"long-lived access token in your Home Assistant profile"
        )


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


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def load(config: HomeAssistantSinkConfig, home: Home) -> HomeAssistantSink:
    return HomeAssistantSink(config, home)
