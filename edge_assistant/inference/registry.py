"""The inference backend registry, keyed by the ``backend`` string used in device configs.

Registration is explicit (see ``register_builtin_backends``): a backend whose library cannot
be imported does not vanish, it fails with its import error when a config asks for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from edge_assistant.errors import BackendUnavailableError
from edge_assistant.inference.base import Backend

BackendFactory = Callable[[], Backend]

_FACTORIES: dict[str, BackendFactory] = {}
_INSTANCES: dict[str, Backend] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    if name in _FACTORIES:
        raise ValueError(f"backend {name!r} is already registered")
    _FACTORIES[name] = factory


def _lazy(module: str, cls: str) -> BackendFactory:
    """Import the backend module only when asked, so one broken library spares the other."""

    def factory() -> Backend:
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            raise BackendUnavailableError(f"backend cannot be imported: {exc}") from exc
        backend: Backend = getattr(mod, cls)()
        return backend

    return factory


def register_builtin_backends() -> None:
    register_backend(
        "onnxruntime", _lazy("edge_assistant.inference.onnxruntime_backend", "OrtBackend")
    )
    register_backend("openvino", _lazy("edge_assistant.inference.openvino_backend", "OvBackend"))


def backend_names() -> list[str]:
    return sorted(_FACTORIES)


def get_backend(name: str) -> Backend:
    if name not in _INSTANCES:
        factory = _FACTORIES.get(name)
        if factory is None:
            known = ", ".join(backend_names())
            raise BackendUnavailableError(f"unknown backend {name!r} (registered: {known})")
        try:
            _INSTANCES[name] = factory()
        except BackendUnavailableError as exc:
            raise BackendUnavailableError(f"{name}: {exc}") from exc
    return _INSTANCES[name]


register_builtin_backends()
