"""The report's two plots: latency per variant and the stages of each command.

Plots use ``matplotlib.figure.Figure`` directly (no pyplot state), so rendering is safe from
any thread and needs no display. ``by_role`` and ``stage_names`` order the plots, and the
report's tables import them, so a table and its plot list things in the same order.
"""

from __future__ import annotations

import inspect
import io
import math

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from edge_assistant.profile.schema import CommandTrace, Profile, VariantResult, Waterfall

DASH = "–"
# The daemon's stages in time order (edge_assistant/daemon/stages.py, profile/waterfall.py).
STAGE_ORDER = ("wake", "capture", "vad_end", "asr_final", "queue", "journal", "arbitrate",
               "understand", "policy", "action")  # fmt: skip
CONFIGURED_COLOUR = "tab:orange"
OTHER_COLOUR = "#9ecae1"
DPI = 110
# matplotlib 3.10 replaced ``vert=False`` by ``orientation``; pyproject still allows 3.8.
_HORIZONTAL = (
    {"orientation": "horizontal"}
    if "orientation" in inspect.signature(Axes.boxplot).parameters
    else {"vert": False}
)


def by_role(p: Profile) -> dict[str, list[VariantResult]]:
    """Variants per role in order of first appearance, ok ones fastest first."""
    roles: dict[str, list[VariantResult]] = {}
    for v in p.variants:
        roles.setdefault(v.role, []).append(v)
    for variants in roles.values():
        variants.sort(key=lambda v: (v.status != "ok", v.p50_ms is None, v.p50_ms or 0.0))
    return roles


def stage_names(w: Waterfall) -> list[str]:
    seen = dict.fromkeys([*w.stage_p50_ms, *(s.name for c in w.commands for s in c.stages)])
    return sorted(seen, key=lambda n: STAGE_ORDER.index(n) if n in STAGE_ORDER else 99)


def format_ms(value: float | None) -> str:
    """Milliseconds to three significant digits or so: 0.21, 12.3, 140."""
    if value is None:
        return DASH
    return format(value, ".2f" if abs(value) < 10 else ".1f" if abs(value) < 100 else ".0f")


def latency_png(profile: Profile) -> bytes:
    """Box plots of every ok variant's samples, one panel per role, configured in orange."""
    roles = list(by_role(profile).items()) or [("no variants", [])]
    ncols = 1 if len(roles) == 1 else 2
    nrows = math.ceil(len(roles) / ncols)
    sizes = [max(1, len(_plotted(vs))) for _, vs in roles]
    heights = [max(sizes[r * ncols : (r + 1) * ncols]) for r in range(nrows)]
    fig = Figure(
        figsize=(7 * ncols, 1.2 + sum(0.4 * h + 1.0 for h in heights)), layout="constrained"
    )
    axes = fig.subplots(nrows, ncols, squeeze=False, gridspec_kw={"height_ratios": heights})
    for ax, (role, variants) in zip(axes.flat, roles, strict=False):
        _latency_axis(ax, role, _plotted(variants))
    for ax in list(axes.flat)[len(roles) :]:
        ax.set_axis_off()
    fig.suptitle(_plain(f"{profile.config_name} on {profile.system.cpu_model}"))
    legend = [
        Patch(color=CONFIGURED_COLOUR, label="configured placement"),
        Patch(color=OTHER_COLOUR, label="other variants"),
    ]
    fig.legend(handles=legend, loc="outside lower center", ncols=2, frameon=False)
    return _png(fig)


def _plotted(variants: list[VariantResult]) -> list[VariantResult]:
    return [v for v in variants if v.status == "ok" and v.samples_ms]


def _latency_axis(ax: Axes, role: str, variants: list[VariantResult]) -> None:
    ax.set_title(_plain(role), loc="left", fontweight="bold")
    if not variants:
        ax.text(0.5, 0.5, "no variant ran", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    variants = variants[::-1]  # fastest at the top
    positions = list(range(1, len(variants) + 1))
    boxes = ax.boxplot(
        [v.samples_ms for v in variants],
        positions=positions,
        widths=0.6,
        patch_artist=True,
        flierprops={"markersize": 2, "alpha": 0.5},
        medianprops={"color": "black"},
        **_HORIZONTAL,
    )
    for patch, v in zip(boxes["boxes"], variants, strict=True):
        patch.set_facecolor(CONFIGURED_COLOUR if v.configured else OTHER_COLOUR)
    ax.set_yticks(positions, [_plain(label) for label in _labels(variants)])
    samples = [s for v in variants for s in v.samples_ms if s > 0]
    if samples and max(samples) / min(samples) > 20:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))  # 0.1, not 10⁻¹
    ax.set_xlabel("ms per inference")
    ax.grid(axis="x", alpha=0.3)


def _labels(variants: list[VariantResult]) -> list[str]:
    """'backend device precision', then the tokens and the threads where that is ambiguous."""
    labels = [f"{v.backend} {v.device} {v.precision}" for v in variants]
    for extra in (lambda v: f" {v.tokens} tok" if v.tokens else "", lambda v: f" t{v.threads}"):
        labels = [
            label + extra(v) if labels.count(label) > 1 else label
            for label, v in zip(labels, variants, strict=True)
        ]
    return labels


def waterfall_png(profile: Profile) -> bytes:
    """A Gantt chart: a row per command, a lane per stage, ms from the end of speech.

    Listening before the end of speech takes seconds, the work after it tens of ms; on one
    linear axis the part that matters would be a sliver. So with stages before the end of
    speech the chart has two panels, before and after, each on its own scale."""
    w = profile.waterfall
    commands = w.commands if w else []
    names = stage_names(w) if w else []
    colours = {name: f"C{i % 10}" for i, name in enumerate(names)}
    first = min((s.start_ms for c in commands for s in c.stages), default=0.0)
    last = max((s.end_ms for c in commands for s in c.stages), default=0.0)
    fig = Figure(figsize=(11, 1.8 + 0.75 * max(1, len(commands))), layout="constrained")
    axes, spans = _waterfall_axes(fig, first, last)
    for ax, span in zip(axes, spans, strict=True):
        _draw_stages(ax, commands, names, colours, span)
    _label_commands(axes, commands, last)
    title = f"{profile.config_name}: stages of each command"
    fig.suptitle(_plain(f"{title} on {profile.system.cpu_model}"))
    handles = [Patch(color=colours[n], label=n) for n in names]
    fig.legend(handles=handles, loc="outside lower center", ncols=max(1, len(names)), frameon=False)
    return _png(fig)


def _waterfall_axes(
    fig: Figure, first: float, last: float
) -> tuple[list[Axes], list[tuple[float, float]]]:
    """One panel after the end of speech, and one before it when any stage starts earlier."""
    after = (0.0, max(last, 1.0) * 1.15)  # room for the eos→action labels
    if first >= 0:
        ax = fig.subplots()
        ax.set_xlabel("ms after end of speech")
        ax.set_title("end of speech", loc="left", fontsize=10)
        return [ax], [after]
    before, ax = fig.subplots(1, 2, sharey=True, width_ratios=[1, 2])
    ax.tick_params(axis="y", left=False, labelleft=False)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(wspace=0.0, w_pad=0.02)  # the panels meet at the end of speech
    before.set_xlabel("ms before end of speech")
    # "1500 ms before"; 0 is labelled by the panel after it.
    before.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{-x:g}" if x else ""))
    ax.set_xlabel("ms after end of speech")
    ax.set_title("end of speech", loc="left", fontsize=10)
    return [before, ax], [(first, 0.0), after]


def _label_commands(axes: list[Axes], commands: list[CommandTrace], last: float) -> None:
    """Transcripts on the left, first command at the top, eos→action at the right."""
    for row, command in enumerate(commands):
        if command.eos_to_action_ms is not None:
            label = f" {format_ms(command.eos_to_action_ms)} ms"
            axes[-1].text(last, row, label, va="center", fontsize=8, color="0.3")
    axes[0].set_yticks(range(len(commands)), [_plain(_short(c.text)) for c in commands])
    if commands:
        axes[0].set_ylim(len(commands) - 0.5, -0.5)
    else:
        axes[0].text(0.5, 0.5, "no commands", ha="center", transform=axes[0].transAxes)


def _draw_stages(
    ax: Axes,
    commands: list[CommandTrace],
    names: list[str],
    colours: dict[str, str],
    span: tuple[float, float],
) -> None:
    min_width = (span[1] - span[0]) * 0.004  # a stage of ~0 ms stays visible
    lane = 0.8 / max(1, len(names))
    for row, command in enumerate(commands):
        for stage in command.stages:
            y = row - 0.4 + lane * (names.index(stage.name) + 0.5)
            width = max(stage.end_ms - stage.start_ms, min_width)
            ax.barh(y, width, left=stage.start_ms, height=lane * 0.9, color=colours[stage.name])
    ax.set_xlim(*span)
    ax.axvline(0, color="black", linestyle="--", linewidth=1)
    ax.grid(axis="x", alpha=0.3)


def _short(text: str, limit: int = 36) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str) -> str:
    """Keep matplotlib from reading '$...$' in transcripts or model names as mathtext."""
    return text.replace("$", r"\$")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
