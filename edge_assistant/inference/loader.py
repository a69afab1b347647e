"""Load a model role as its device config places it, taking fallbacks openly.

A device that cannot run the model is either replaced by the next device in the role's
``fallback`` list (logged once, recorded in ``placements()`` for status output) or, with no
fallback left, stops start-up quoting every backend reason.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from edge_assistant.config.device import RoleConfig
from edge_assistant.errors import BundleError, DeviceUnavailableError
from edge_assistant.inference.base import LoadedModel
from edge_assistant.inference.bundle import Bundle, open_bundle
from edge_assistant.inference.registry import get_backend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placement:
    """Where a role really runs, and why it is not where the config asked."""

    role: str
    backend: str
    variant: str
    requested_device: str
    device: str
    fallback_reason: str | None
    load_ms: float

    @property
    def fell_back(self) -> bool:
        return self.fallback_reason is not None


_lock = threading.Lock()
_placements: dict[str, Placement] = {}
_logged_fallbacks: set[tuple[str, str, str]] = set()


def placements() -> dict[str, Placement]:
    """Placements of every role loaded in this process (for status and ``devices``)."""
    with _lock:
        return dict(_placements)


def bundle_dir(models_dir: Path, role: str, cfg: RoleConfig) -> Path:
    return models_dir / role / cfg.variant()


def open_role_bundle(models_dir: Path, role: str, cfg: RoleConfig) -> Bundle:
    folder = bundle_dir(models_dir, role, cfg)
    if not folder.exists():
        raise BundleError(
            f"{folder}: no {cfg.variant()} bundle for {role}; run "
            f"`edge-assistant export --config <this config> --out {models_dir}`"
        )
    bundle = open_bundle(folder)
    if bundle.manifest.role != role or bundle.manifest.variant != cfg.variant():
        raise BundleError(
            f"{folder}: manifest says {bundle.manifest.role}/{bundle.manifest.variant}, "
            f"expected {role}/{cfg.variant()}"
        )
    return bundle


def load_role(
    models_dir: Path, role: str, cfg: RoleConfig
) -> tuple[LoadedModel, Bundle, Placement]:
    """Open and verify the bundle, then compile it on the first device that works."""
    bundle = open_role_bundle(models_dir, role, cfg)
    backend = get_backend(cfg.backend)
    failures: list[DeviceUnavailableError] = []
    for device in (cfg.device, *cfg.fallback):
        start = time.perf_counter()
        try:
            model = backend.load(bundle, device, cfg.threads)
        except DeviceUnavailableError as exc:
            failures.append(exc)
            continue
        reason = "; ".join(str(f) for f in failures) or None
        placement = Placement(
            role=role,
            backend=cfg.backend,
            variant=cfg.variant(),
            requested_device=cfg.device,
            device=model.device,
            fallback_reason=reason,
            load_ms=(time.perf_counter() - start) * 1000,
        )
        _record(placement)
        return model, bundle, placement
    tried = ", ".join((cfg.device, *cfg.fallback))
    reasons = "\n  ".join(str(f) for f in failures)
    hint = "" if cfg.fallback else " (no fallback configured for this role)"
    raise DeviceUnavailableError(
        cfg.backend, tried, f"{role} could not be loaded{hint}:\n  {reasons}"
    )


def _record(placement: Placement) -> None:
    with _lock:
        _placements[placement.role] = placement
        key = (placement.role, placement.backend, placement.requested_device)
        first_time = key not in _logged_fallbacks
        if placement.fell_back:
            _logged_fallbacks.add(key)
    if placement.fell_back and first_time:
        log.warning(
            "%s: %s %s unavailable, running on %s instead: %s",
            placement.role,
            placement.backend,
            placement.requested_device,
            placement.device,
            placement.fallback_reason,
        )
