"""Measure every exported variant of every model role, each in a process of its own.

A fresh spawned child per variant makes ``peak_rss_mb`` the memory of a process that did only
that, and keeps a model that crashes or hangs from taking the profiler down with it. Devices
a backend does not have here are not measured but reported with the backend's own reason;
a configured role whose device is absent is measured where the daemon would run it instead,
on the first device of its ``fallback`` list that works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from edge_assistant.config.device import LoadedDeviceConfig, RoleConfig
from edge_assistant.errors import (
    BackendUnavailableError,
    BundleError,
    ConfigError,
    DeviceUnavailableError,
)
from edge_assistant.inference.bundle import MANIFEST_NAME, Manifest, open_bundle, read_manifest
from edge_assistant.inference.registry import get_backend
from edge_assistant.profile.child import run_child
from edge_assistant.profile.feeds import variant_tokens
from edge_assistant.profile.schema import Fidelity, VariantResult

# Devices each backend could have; onnxruntime adds what its installed providers offer.
BACKEND_DEVICES: dict[str, tuple[str, ...]] = {
    "openvino": ("CPU", "GPU", "NPU"),
    "onnxruntime": ("CPU",),
}
_LOWER_IS_BETTER = {"max_abs_diff"}


@dataclass(frozen=True)
class Candidate:
    """One variant on one device, to be measured."""

    role: str
    backend: str
    device: str
    precision: str
    variant: str
    threads: int
    sequence_length: int | None
    folder: Path
    configured: bool
    fallback_of: str | None = None  # the configured device, absent here, this stands in for


class _Placed(NamedTuple):
    """A candidate with the backend's reason when its device is absent here (else None)."""

    cand: Candidate
    absent: str | None
    fidelity: Fidelity


def candidates(
    device: LoadedDeviceConfig, models_dir: Path, roles: list[str] | None = None
) -> tuple[list[Candidate], list[VariantResult]]:
    """What to measure, and what is already decided: absent devices, missing bundles."""
    todo: list[Candidate] = []
    decided: list[VariantResult] = []
    probe = _DeviceProbe()
    for role, cfg in _role_configs(device, roles):
        if not (models_dir / role / cfg.variant() / MANIFEST_NAME).is_file():
            decided.append(_missing(device, models_dir, role, cfg))
        placed: list[_Placed] = []
        for folder in sorted(p.parent for p in (models_dir / role).glob(f"*/{MANIFEST_NAME}")):
            try:
                manifest = read_manifest(folder)
            except BundleError as exc:
                decided.append(_unreadable(role, folder.name, cfg, str(exc)))
                continue
            for cand in _placements(role, cfg, folder, manifest, probe.listed(manifest.backend)):
                placed.append(_Placed(cand, probe.absent_reason(cand), _fidelity(manifest)))
        for cand, absent, fidelity in _fall_back(cfg, placed, probe):
            if absent is None:
                todo.append(cand)
            else:
                decided.append(_result(cand, "absent", absent, fidelity))
    return todo, decided


def _fall_back(cfg: RoleConfig, placed: list[_Placed], probe: _DeviceProbe) -> list[_Placed]:
    """With the configured device absent, the daemon runs the role on the first device of
    its ``fallback`` list that works: that placement becomes the configured one."""
    asked = next((p for p in placed if p.cand.configured), None)
    if asked is None or asked.absent is None:
        return placed
    for name in cfg.fallback:
        same = (p for p in placed if p.cand.folder == asked.cand.folder and p.cand.device == name)
        found = next(same, None)
        if found is None:  # a device the backend does not list (AUTO): try the variant there
            cand = replace(asked.cand, device=name, configured=False)
            found = _Placed(cand, probe.absent_reason(cand), asked.fidelity)
            placed.append(found)
        if found.absent is None:
            stand_in = replace(found.cand, configured=True, fallback_of=cfg.device)
            placed[placed.index(found)] = found._replace(cand=stand_in)
            placed[placed.index(asked)] = asked._replace(cand=replace(asked.cand, configured=False))
            return placed
    return placed


def _placements(
    role: str, cfg: RoleConfig, folder: Path, manifest: Manifest, devices: tuple[str, ...]
) -> list[Candidate]:
    """The variant in ``folder`` on every device; the configured one also where the config
    puts it (AUTO, or a device the backend does not list)."""
    is_configured = folder.name == cfg.variant()
    if is_configured:
        devices = tuple(dict.fromkeys([*devices, cfg.device]))
    return [
        Candidate(
            role=role,
            backend=manifest.backend,
            device=name,
            precision=manifest.precision,
            variant=folder.name,
            threads=cfg.threads,
            sequence_length=variant_tokens(folder.name),
            folder=folder,
            configured=is_configured and name == cfg.device,
        )
        for name in devices
    ]


def measure(
    candidate: Candidate,
    seconds: float = 1.0,
    max_runs: int = 200,
    min_runs: int = 10,
    timeout_s: float = 120.0,
) -> VariantResult:
    """Load and time ``candidate`` at batch 1 in a fresh child process."""
    try:
        fidelity = _fidelity(read_manifest(candidate.folder))
    except BundleError as exc:
        return _result(candidate, "failed", str(exc), None)
    payload = run_child(candidate, seconds, max_runs, min_runs, timeout_s)
    if "error" in payload:
        return _result(candidate, "failed", payload["error"], fidelity)
    samples = np.asarray(payload["samples_ms"])
    p50, p95, p99 = np.percentile(samples, [50, 95, 99])
    return VariantResult(
        **_identity(candidate),
        status="ok",
        load_ms=payload["load_ms"],
        first_ms=payload["first_ms"],
        p50_ms=float(p50),
        p95_ms=float(p95),
        p99_ms=float(p99),
        mean_ms=float(samples.mean()),
        throughput_per_s=len(samples) / payload["wall_s"],
        peak_rss_mb=payload["peak_rss_mb"],
        baseline_rss_mb=payload["baseline_rss_mb"],
        tokens=payload["tokens"],
        details=payload["details"],
        cpu_percent=payload["cpu_s"] / payload["wall_s"] * 100,
        runs=len(samples),
        samples_ms=[float(s) for s in samples],
        fidelity=fidelity,
    )


def profile_models(
    device: LoadedDeviceConfig,
    models_dir: Path,
    roles: list[str] | None = None,
    seconds: float = 1.0,
    on_progress: Callable[[str], None] | None = None,
    planned: tuple[list[Candidate], list[VariantResult]] | None = None,
) -> list[VariantResult]:
    """Every variant measured one after another (they would disturb each other's timing).
    ``planned``: what ``candidates()`` returned, when the caller has it already (it probes
    every absent device, which takes a while)."""
    todo, results = planned or candidates(device, models_dir, roles)
    results = list(results)
    for index, cand in enumerate(todo, start=1):
        if on_progress is not None:
            on_progress(f"{cand.role} {cand.variant} {cand.device} ({index}/{len(todo)})")
        results.append(measure(cand, seconds=seconds))
    order = {name: i for i, (name, _) in enumerate(device.config.roles.items())}
    return sorted(
        results,
        key=lambda r: (order[r.role], not r.configured, r.p50_ms is None, r.p50_ms or 0.0),
    )


def _role_configs(
    device: LoadedDeviceConfig, roles: list[str] | None
) -> list[tuple[str, RoleConfig]]:
    known = dict(device.config.roles.items())
    unknown = [r for r in roles or [] if r not in known]
    if unknown:
        raise ConfigError(
            f"unknown role {', '.join(unknown)} (roles of {device.config.name}: {', '.join(known)})"
        )
    return [(r, c) for r, c in known.items() if roles is None or r in roles]


class _DeviceProbe:
    """Which devices each backend has here, and the backend's reason for those it lacks."""

    def __init__(self) -> None:
        self._have: dict[str, set[str] | BackendUnavailableError] = {}
        self._reasons: dict[tuple[str, str], str | None] = {}

    def listed(self, backend: str) -> tuple[str, ...]:
        """The devices to profile ``backend`` on: all it could have, plus any it offers."""
        have = self._available(backend)
        extra = sorted(have - {"AUTO"}) if isinstance(have, set) else []
        return tuple(dict.fromkeys([*BACKEND_DEVICES[backend], *extra]))

    def absent_reason(self, cand: Candidate) -> str | None:
        key = (cand.backend, cand.device)
        if key not in self._reasons:
            self._reasons[key] = self._probe(cand)
        return self._reasons[key]

    def _available(self, backend: str) -> set[str] | BackendUnavailableError:
        if backend not in self._have:
            try:
                names = {d.name.split(".")[0] for d in get_backend(backend).devices()}
                self._have[backend] = names | {"AUTO"}
            except BackendUnavailableError as exc:
                self._have[backend] = exc
        return self._have[backend]

    def _probe(self, cand: Candidate) -> str | None:
        have = self._available(cand.backend)
        if isinstance(have, BackendUnavailableError):
            return str(have)
        if cand.device in have:
            return None
        try:  # the load's error is the backend's own account of why the device is missing
            get_backend(cand.backend).load(
                open_bundle(cand.folder, verify=False), cand.device, cand.threads
            )
        except DeviceUnavailableError as exc:
            listed = ", ".join(sorted(have - {"AUTO"})) or "none"
            return (
                f"{cand.backend} lists no {cand.device} device (available: {listed}): {exc.reason}"
            )
        except BundleError:
            return None  # the device loads models; this bundle's fault shows when measured
        return None  # not listed, yet it loads: measure it


def _missing(
    device: LoadedDeviceConfig, models_dir: Path, role: str, cfg: RoleConfig
) -> VariantResult:
    folder = models_dir / role / cfg.variant()
    return VariantResult(
        role=role,
        backend=cfg.backend,
        device=cfg.device,
        precision=cfg.precision,
        variant=cfg.variant(),
        threads=cfg.threads,
        configured=True,
        status="missing_bundle",
        reason=f"{folder}: no {cfg.variant()} bundle for {role}; run "
        f"`edge-assistant export --config {device.path} --out {models_dir}`",
    )


def _unreadable(role: str, variant: str, cfg: RoleConfig, reason: str) -> VariantResult:
    backend, _, rest = variant.partition("-")
    return VariantResult(
        role=role,
        backend=backend,
        device=cfg.device,
        precision=rest.split("-")[0],
        variant=variant,
        threads=cfg.threads,
        configured=variant == cfg.variant(),
        status="failed",
        reason=reason,
    )


def _identity(cand: Candidate) -> dict[str, Any]:
    keys = ("role", "backend", "device", "precision", "variant", "threads", "configured")
    return {k: getattr(cand, k) for k in (*keys, "fallback_of")}


def _result(cand: Candidate, status: str, reason: str, fidelity: Fidelity | None) -> VariantResult:
    return VariantResult(**_identity(cand), status=status, reason=reason, fidelity=fidelity)


def _fidelity(manifest: Manifest) -> Fidelity:
    f = manifest.fidelity
    lower = f.metric in _LOWER_IS_BETTER  # see export/fidelity.py: which way each gate points
    passed = all(
        key in f.values and (f.values[key] <= gate if lower else f.values[key] >= gate)
        for key, gate in f.gate.items()
    )
    return Fidelity(
        metric=f.metric,
        reference=f.reference,
        samples=f.samples,
        values=f.values,
        gate=f.gate,
        passed=passed,
    )
