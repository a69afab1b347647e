"""The contract every inference backend fulfils."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np

from edge_assistant.inference.bundle import Bundle


@dataclass(frozen=True)
class DeviceInfo:
    """A device a backend can see, for ``edge-assistant devices``."""

    backend: str
    name: str
    full_name: str
    details: dict[str, str] = field(default_factory=dict)


class LoadedModel(Protocol):
    """A compiled model on one device. ``run`` is thread-safe and blocking: call it from an
    executor, never on the event loop thread."""

    backend: str
    device: str
    details: dict[str, str]

    @property
    def input_names(self) -> tuple[str, ...]: ...

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]: ...


class Backend(Protocol):
    name: ClassVar[str]

    def load(self, bundle: Bundle, device: str, threads: int) -> LoadedModel:
        """Compile the bundle's model on ``device``; raise DeviceUnavailableError quoting the
        backend's own reason when the device cannot run it."""
        ...

    def devices(self) -> list[DeviceInfo]: ...

    def version(self) -> str: ...
