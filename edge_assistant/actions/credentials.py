"""Secrets and TLS for the sinks: read at start, with errors that say what to fix.

A secret comes from an environment variable or from a file that only its owner can read;
a file others can read is refused rather than used, since whoever reads it controls the home.
"""

from __future__ import annotations

import os
import ssl
import stat
from pathlib import Path

from edge_assistant.actions.base import ActionError
from edge_assistant.config.actions import MqttBrokerConfig

MAX_SECRET_BYTES = 16384


def secret_from_file(path: Path, what: str) -> str:
    """The secret in ``path`` (surrounding whitespace removed), if only its owner can read it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ActionError(f"{what} file {path} not found") from None
    except OSError as exc:
        raise ActionError(f"{what} file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ActionError(f"{what} file {path} is not a regular file")
    if info.st_mode & 0o077:
        raise ActionError(
            f"{what} file {path} can be read by other users (mode "
            f"{stat.S_IMODE(info.st_mode):03o}); run: chmod 600 {path}"
        )
    if info.st_size > MAX_SECRET_BYTES:
        raise ActionError(f"{what} file {path} is {info.st_size} bytes: not a secret")
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ActionError(f"{what} file {path}: cannot read: {exc}") from None
    if not value:
        raise ActionError(f"{what} file {path} is empty")
    return value


def secret_from_env(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ActionError(f"{what}: environment variable {name} is not set or empty")
    return value


def tls_context(
    ca_file: Path | None, certfile: Path | None, keyfile: Path | None
) -> ssl.SSLContext:
    """A client context that verifies the server (against ``ca_file`` or the system CAs) and
    optionally presents a client certificate."""
    for kind, path in (("ca_file", ca_file), ("certfile", certfile), ("keyfile", keyfile)):
        if path is not None and not path.is_file():
            raise ActionError(f"{kind} {path} not found")
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        if certfile is not None:
            context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    except (ssl.SSLError, OSError) as exc:
        raise ActionError(f"TLS files ({ca_file or 'system CAs'}, {certfile}): {exc}") from None
    return context


def broker_login(broker: MqttBrokerConfig) -> tuple[str | None, ssl.SSLContext | None]:
    """(password, TLS context) for an MQTT broker config: the mqtt sink's and arbitration's."""
    password = None
    if broker.password_env:
        password = secret_from_env(broker.password_env, "MQTT password")
    elif broker.password_file:
        password = secret_from_file(broker.password_file, "MQTT password")
    tls = tls_context(broker.ca_file, broker.certfile, broker.keyfile) if broker.tls else None
    return password, tls
