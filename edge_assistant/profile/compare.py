"""Compare two profiles variant by variant: did a change make a model role slower?

Variants are matched by ``VariantResult.key`` (role/backend/device/variant/threads). A change
counts only when it is larger than both a relative threshold and an absolute one, so timer
noise on sub-millisecond models does not read as a regression. Two profiles from different
CPUs or backend versions can still be compared, but the rendering says so first: then a
difference may be the box, not the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from edge_assistant.profile.schema import Profile, VariantResult, Waterfall

Verdict = Literal["regressed", "improved", "same", "new", "gone", "not ok"]
E2E_KEY = "e2e/eos_to_action"
DASH = "–"


@dataclass(frozen=True)
class CompareRow:
    key: str
    role: str
    old_p50: float | None
    new_p50: float | None
    p50_delta_pct: float | None
    old_p95: float | None
    new_p95: float | None
    p95_delta_pct: float | None
    verdict: Verdict


def compare(
    old: Profile, new: Profile, threshold_pct: float = 10.0, min_delta_ms: float = 0.05
) -> list[CompareRow]:
    """One row per variant in either profile (old order, then new-only ones), plus the
    end-to-end eos→action row when both profiles have a waterfall.

    A variant that ran in old but not in new is "not ok"; one that did not run in old but
    runs in new is "new" (there is nothing to compare it with)."""
    old_by = {v.key: v for v in old.variants}
    new_by = {v.key: v for v in new.variants}
    keys = [*old_by, *(k for k in new_by if k not in old_by)]
    rows = [
        _variant_row(k, old_by.get(k), new_by.get(k), threshold_pct, min_delta_ms) for k in keys
    ]
    e2e = _e2e_row(old.waterfall, new.waterfall, threshold_pct, min_delta_ms)
    return [*rows, e2e] if e2e else rows


def has_regressions(rows: list[CompareRow]) -> bool:
    """True when a variant got slower or stopped running."""
    return any(r.verdict in ("regressed", "not ok") for r in rows)


def _variant_row(
    key: str,
    old: VariantResult | None,
    new: VariantResult | None,
    threshold_pct: float,
    min_delta_ms: float,
) -> CompareRow:
    old_ok = old is not None and old.status == "ok"
    new_ok = new is not None and new.status == "ok"
    if old is None or (not old_ok and new_ok):
        verdict: Verdict = "new"
    elif new is None:
        verdict = "gone"
    elif not new_ok:
        verdict = "not ok"
    else:
        verdict = _judge(old.p50_ms, new.p50_ms, threshold_pct, min_delta_ms)
    role = old.role if old is not None else new.role if new is not None else ""
    return _row(key, role, _percentiles(old), _percentiles(new), verdict)


def _percentiles(v: VariantResult | None) -> tuple[float | None, float | None]:
    """p50 and p95 of a variant that ran; a failed run's numbers mean nothing."""
    return (v.p50_ms, v.p95_ms) if v is not None and v.status == "ok" else (None, None)


def _e2e_row(
    old: Waterfall | None, new: Waterfall | None, threshold_pct: float, min_delta_ms: float
) -> CompareRow | None:
    if old is None or new is None:
        return None
    if old.eos_to_action_p50_ms is None or new.eos_to_action_p50_ms is None:
        return None
    verdict = _judge(
        old.eos_to_action_p50_ms, new.eos_to_action_p50_ms, threshold_pct, min_delta_ms
    )
    return _row(
        E2E_KEY,
        "e2e",
        (old.eos_to_action_p50_ms, old.eos_to_action_p95_ms),
        (new.eos_to_action_p50_ms, new.eos_to_action_p95_ms),
        verdict,
    )


def _row(
    key: str,
    role: str,
    old: tuple[float | None, float | None],
    new: tuple[float | None, float | None],
    verdict: Verdict,
) -> CompareRow:
    return CompareRow(
        key=key,
        role=role,
        old_p50=old[0],
        new_p50=new[0],
        p50_delta_pct=_delta_pct(old[0], new[0]),
        old_p95=old[1],
        new_p95=new[1],
        p95_delta_pct=_delta_pct(old[1], new[1]),
        verdict=verdict,
    )


def _judge(
    old: float | None, new: float | None, threshold_pct: float, min_delta_ms: float
) -> Verdict:
    if old is None or new is None:
        return "same"  # ok without a median: nothing measurable changed
    diff = new - old
    if abs(diff) <= min_delta_ms or abs(diff) <= old * threshold_pct / 100:
        return "same"
    return "regressed" if diff > 0 else "improved"


def _delta_pct(old: float | None, new: float | None) -> float | None:
    if old is None or new is None or old <= 0:
        return None
    return (new - old) / old * 100


def render_compare(rows: list[CompareRow], old: Profile, new: Profile) -> str:
    """A Markdown report: what was compared, box differences, the table, a summary line."""
    lines = [
        "# Profile comparison",
        "",
        f"- old: {_describe(old)}",
        f"- new: {_describe(new)}",
        "",
    ]
    for warning in _box_differences(old, new):
        lines += [f"> **Note:** {warning}", ""]
    lines += [*_table(rows), "", _summary(rows)]
    return "\n".join(lines) + "\n"


def _describe(p: Profile) -> str:
    return f"{p.config_name}, {p.created} on {p.system.hostname} ({p.system.cpu_model})"


def _box_differences(old: Profile, new: Profile) -> list[str]:
    """Why the two numbers may differ for reasons other than the code."""
    notes = []
    if old.system.cpu_model != new.system.cpu_model:
        notes.append(
            f"different CPU models ({old.system.cpu_model} → {new.system.cpu_model}); "
            "differences may be the box, not the code."
        )
    changed = [
        f"{name} {old.system.backends.get(name, 'absent')} → {new.system.backends.get(name, 'absent')}"
        for name in sorted({*old.system.backends, *new.system.backends})
        if old.system.backends.get(name) != new.system.backends.get(name)
    ]
    if changed:
        notes.append(
            f"different backend versions ({'; '.join(changed)}); "
            "differences may be the libraries, not the code."
        )
    return notes


def _table(rows: list[CompareRow]) -> list[str]:
    lines = [
        "| variant | verdict | p50 old | p50 new | Δ p50 | p95 old | p95 new | Δ p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        verdict = f"**{r.verdict}**" if r.verdict in ("regressed", "not ok") else r.verdict
        cells = [
            r.key.replace("|", "\\|"),
            verdict,
            _ms(r.old_p50),
            _ms(r.new_p50),
            _pct(r.p50_delta_pct),
            _ms(r.old_p95),
            _ms(r.new_p95),
            _pct(r.p95_delta_pct),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _summary(rows: list[CompareRow]) -> str:
    count = {v: sum(r.verdict == v for r in rows) for v in ("regressed", "improved", "same")}
    line = f"{count['regressed']} regressed, {count['improved']} improved, {count['same']} same"
    others = [
        f"{n} {v}" for v in ("new", "gone", "not ok") if (n := sum(r.verdict == v for r in rows))
    ]
    return ", ".join([line, *others])


def _ms(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{value:+.1f}%"
