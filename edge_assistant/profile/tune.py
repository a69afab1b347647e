"""``profile --tune``: per role, the fastest placement measured here that keeps accuracy.

A placement is eligible when it ran (status ok) and its bundle passed its fidelity gate at
export. Among those, the fastest p50 whose p95 fits the role's ``budget_ms`` wins; with no
budget, the fastest p50. The current placement stays unless another is clearly faster
(``KEEP_WITHIN``), so noise does not churn configs. The text encoder and the fusion model
read the same token states, so they are chosen as a pair with one token length.

The result is the profiled config with new placements, each explained in a comment at the
top of the file, validated as a DeviceConfig before it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from edge_assistant.config.device import DeviceConfig, LoadedDeviceConfig, RoleConfig
from edge_assistant.config.loading import validate_data
from edge_assistant.profile.schema import Profile, VariantResult

KEEP_WITHIN = 0.10  # another placement must be >10% faster at p50 to replace the current one
PAIRED = ("text_encoder", "understanding")  # share a token length (RoleConfig validation)


@dataclass(frozen=True)
class Choice:
    role: str
    chosen: VariantResult | None
    current: VariantResult | None
    why: str

    @property
    def changed(self) -> bool:
        return self.chosen is not None and self.chosen is not self.current


def tune(profile: Profile, device: LoadedDeviceConfig) -> list[Choice]:
    """One Choice per role of ``device`` (the config that was profiled)."""
    roles = dict(device.config.roles.items())
    choices = {}
    if all(r in roles for r in PAIRED):
        choices.update(_choose_pair(profile, roles))
    for role, cfg in roles.items():
        if role not in choices:
            choices[role] = _choose(role, cfg, _eligible(profile, role), profile.configured(role))
    return [choices[role] for role in roles]


def _eligible(profile: Profile, role: str) -> list[VariantResult]:
    return [
        v
        for v in profile.variants
        if v.role == role
        and v.status == "ok"
        and v.p50_ms is not None
        and v.fidelity is not None
        and v.fidelity.passed
    ]


def _fits(result: VariantResult, budget: float | None) -> bool:
    return budget is None or (result.p95_ms is not None and result.p95_ms <= budget)


def _choose(
    role: str, cfg: RoleConfig, options: list[VariantResult], current: VariantResult | None
) -> Choice:
    if not options:
        return Choice(role, None, current, "kept: no placement ran and passed its fidelity gate")
    fitting = [o for o in options if _fits(o, cfg.budget_ms)]
    budget = f"p95 <= {cfg.budget_ms:g} ms" if cfg.budget_ms else "no budget set"
    if not fitting:
        best = min(options, key=lambda o: o.p95_ms or float("inf"))
        return Choice(
            role, best, current, f"none fits the budget ({budget}): the lowest p95 "
            f"({best.p95_ms:.2f} ms)"
        )  # fmt: skip
    best = min(fitting, key=lambda o: o.p50_ms)
    if fitting == [current]:
        return Choice(role, current, current, f"kept: the only placement that ran ({budget})")
    if current in fitting and current.p50_ms <= best.p50_ms * (1 + KEEP_WITHIN):
        return Choice(role, current, current, f"kept: fastest within noise ({budget})")
    return Choice(role, best, current, f"fastest p50 that passes fidelity ({budget})")


def _choose_pair(profile: Profile, roles: dict[str, RoleConfig]) -> dict[str, Choice]:
    """Text encoder and fusion model with the same token length: the fastest pair by the
    sum of their p50s, each within its budget."""
    encoders, fusions = (_by_tokens(_eligible(profile, r)) for r in PAIRED)
    current = roles[PAIRED[0]].sequence_length  # tried first: kept unless clearly slower
    lengths = sorted(set(encoders) & set(fusions), key=lambda n: (n != current, n or 0))
    best: dict[str, Choice] | None = None
    cost = float("inf")
    for length in lengths:
        pair = {
            role: _choose(role, roles[role], options[length], profile.configured(role))
            for role, options in zip(PAIRED, (encoders, fusions), strict=True)
        }
        total = sum(c.chosen.p50_ms for c in pair.values() if c.chosen is not None)
        if best is None or total < cost * (1 - KEEP_WITHIN):
            best, cost = pair, total
    if best is None:
        return {
            role: Choice(role, None, profile.configured(role), "kept: no token length that both "
                         "the text encoder and the fusion model ran with")
            for role in PAIRED
        }  # fmt: skip
    return best


def _by_tokens(options: list[VariantResult]) -> dict[int | None, list[VariantResult]]:
    groups: dict[int | None, list[VariantResult]] = {}
    for option in options:
        groups.setdefault(static_length(option.variant), []).append(option)
    return groups


def static_length(variant: str) -> int | None:
    """32 for ``openvino-int8-s32``; None for a variant with dynamic shapes."""
    match = re.search(r"-s(\d+)$", variant)
    return int(match.group(1)) if match else None


# --- writing the tuned config ------------------------------------------------------------


def tuned_config(
    profile: Profile, device: LoadedDeviceConfig, choices: list[Choice]
) -> tuple[str, DeviceConfig]:
    """The tuned config's YAML text (with the reasons as comments) and its validation."""
    data = yaml.safe_load(device.path.read_text(encoding="utf-8"))
    for choice in choices:
        if choice.chosen is not None:
            data["roles"][choice.role] = _placement(data["roles"][choice.role], choice.chosen)
    data["name"] = f"{device.config.name}-tuned"
    data["description"] = (
        f"{device.config.description or device.config.name}, tuned on "
        f"{profile.system.cpu_model} ({profile.created[:10]})"
    )
    if device.config.models_dir is not None:  # the tuned file lives elsewhere: absolute
        data["models_dir"] = str((device.path.parent / device.config.models_dir).resolve())
    body = yaml.safe_dump(data, sort_keys=False)
    text = _header(profile, device, choices) + body
    return text, validate_data(data, DeviceConfig, source="the tuned config")


def _placement(old: dict[str, Any], chosen: VariantResult) -> dict[str, Any]:
    placement = dict(old)
    placement.update(backend=chosen.backend, device=chosen.device, precision=chosen.precision)
    placement["fallback"] = [] if chosen.device == "CPU" else ["CPU"]
    length = static_length(chosen.variant)
    if length is None:
        placement.pop("sequence_length", None)
    else:
        placement["sequence_length"] = length
    return placement


def _header(profile: Profile, device: LoadedDeviceConfig, choices: list[Choice]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# Tuned by `edge-assistant profile --tune` from {device.path} on {when}",
        f"# CPU: {profile.system.cpu_model}; profile of {profile.created}",
        "# Per role: the fastest placement measured here that passed its fidelity gate and",
        "# fits its budget_ms (p95). Latencies are per inference at batch 1.",
    ]
    for choice in choices:
        lines.append(f"#   {choice.role}: {describe(choice)}")
    return "\n".join(lines) + "\n"


def describe(choice: Choice) -> str:
    chosen, current = choice.chosen, choice.current
    if chosen is None:
        return choice.why
    where = f"{chosen.backend} {chosen.device} {chosen.variant.split('-', 1)[1]}"
    timing = f"p50 {chosen.p50_ms:.2f} / p95 {chosen.p95_ms:.2f} ms"
    if choice.changed and current is not None and current.p50_ms is not None:
        was = f"{current.backend} {current.device} {current.variant.split('-', 1)[1]}"
        return f"{where} ({timing}) instead of {was} (p50 {current.p50_ms:.2f}): {choice.why}"
    return f"{where} ({timing}): {choice.why}"


def write_tuned(text: str, out: Path, name: str) -> Path:
    path = out / f"{name}-tuned.yaml"
    path.write_text(text, encoding="utf-8")
    return path
