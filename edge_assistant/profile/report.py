"""Render a profile as the files people read: JSON, Markdown, two plots, one HTML page.

Everything is made from the Profile alone, never from the live box, so a profile copied from
another machine renders the same here. Markdown and HTML are rendered from one list of
sections, so they cannot disagree. The HTML page embeds its images and style: it can be
mailed or attached to a ticket as one file. The plots are drawn in ``plots.py``.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from pathlib import Path

from edge_assistant.profile.plots import (
    DASH,
    by_role,
    format_ms,
    latency_png,
    stage_names,
    waterfall_png,
)
from edge_assistant.profile.schema import Fidelity, Profile, VariantResult, Waterfall

CONFIG_MARK = "← config"


@dataclass(frozen=True)
class Cell:
    """A table cell with a note: a tooltip in HTML; Markdown has no hover and shows the text."""

    text: str
    note: str = ""


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str | Cell, ...], ...]
    marked: frozenset[int] = frozenset()  # rows to emphasise: the configured placement


@dataclass(frozen=True)
class Image:
    key: str  # key in write_reports' result, e.g. "latency_png"
    alt: str


Block = Table | Image | str  # str: a paragraph


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]


def write_reports(profile: Profile, out: Path) -> dict[str, Path]:
    """Write profile.json, profile.md, latency.png, waterfall.png (only with a waterfall) and
    report.html into ``out``; return their paths under json, markdown, html, latency_png and
    waterfall_png (absent without a waterfall)."""
    out.mkdir(parents=True, exist_ok=True)
    pngs = {"latency_png": latency_png(profile)}
    if profile.waterfall is not None:
        pngs["waterfall_png"] = waterfall_png(profile)
    else:
        (out / "waterfall.png").unlink(missing_ok=True)  # a stale one would mislead
    paths = {"json": out / "profile.json", "markdown": out / "profile.md"}
    paths |= {key: out / f"{key.removesuffix('_png')}.png" for key in pngs}
    paths["html"] = out / "report.html"
    sections = build_sections(profile)
    paths["json"].write_text(profile.model_dump_json(indent=2) + "\n", encoding="utf-8")
    for key, data in pngs.items():
        paths[key].write_bytes(data)
    files = {key: paths[key].name for key in pngs}
    paths["markdown"].write_text(render_markdown(sections, files), encoding="utf-8")
    paths["html"].write_text(render_html(sections, pngs), encoding="utf-8")
    return paths


# Sections: what the report says, independent of Markdown or HTML.


def build_sections(profile: Profile) -> list[Section]:
    sections = [_title_section(profile), _system_section(profile)]
    sections += [_role_section(role, vs) for role, vs in by_role(profile).items()]
    sections.append(Section("Latency", (Image("latency_png", "latency per variant"),)))
    sections.append(_problems_section(profile))
    if profile.waterfall is not None:
        sections.append(_waterfall_section(profile.waterfall))
    return sections


def _title_section(p: Profile) -> Section:
    return Section(
        f"Profile of {p.config_name}, {p.created[:10]}",
        (
            f"Taken {p.created} on {p.system.hostname} in {p.duration_s:.0f} s; "
            f"config {p.config_path}, models {p.models_dir}.",
        ),
    )


def _system_section(p: Profile) -> Section:
    s = p.system
    flags = ", ".join(name for name, on in s.cpu_flags.items() if on)
    rows = [
        ("CPU", s.cpu_model),
        ("CPU flags", flags or ("none of the tracked ones" if s.cpu_flags else "unknown")),
        ("Cores", f"{s.physical_cores or '?'} physical / {s.logical_cores} logical"),
        ("Memory", f"{s.memory_total_mb:,.0f} MB" if s.memory_total_mb else "unknown"),
        ("OS", s.os),
        ("Python", s.python),
    ]
    for name, version in s.backends.items():
        devices = ", ".join(s.devices.get(name, [])) or "none"
        rows.append((name, f"{version}; devices: {devices}"))
    return Section("System", (Table(("", ""), tuple(rows)),))


ROLE_HEADERS = (
    "variant",
    "backend",
    "device",
    "threads",
    "status",
    "load ms",
    "first ms",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "per s",
    "RSS MB peak (base)",
    "CPU %",
    "fidelity",
)


def _role_section(role: str, variants: list[VariantResult]) -> Section:
    """The variants that ran or failed (and the configured one, whatever it is); devices the
    backends do not have here are one line under the table, their reasons further down."""
    shown = [v for v in variants if v.status != "absent" or v.configured]
    rows = tuple(_variant_row(v) for v in shown)
    marked = frozenset(i for i, v in enumerate(shown) if v.configured)
    blocks: list[str | Table] = [Table(ROLE_HEADERS, rows, marked)]
    absent = sorted({f"{v.backend} {v.device}" for v in variants if v.status == "absent"})
    if absent:
        blocks.append(f"Not on this box: {', '.join(absent)} (reasons under Absent or failed).")
    return Section(f"Role: {role}", tuple(blocks))


def _variant_row(v: VariantResult) -> tuple[str | Cell, ...]:
    return (
        _variant_name(v),
        v.backend,
        Cell(v.device, "; ".join(f"{key}: {value}" for key, value in v.details.items())),
        str(v.threads),
        v.status,
        format_ms(v.load_ms),
        format_ms(v.first_ms),
        format_ms(v.p50_ms),
        format_ms(v.p95_ms),
        format_ms(v.p99_ms),
        _fmt(v.throughput_per_s, ".1f" if (v.throughput_per_s or 0) < 100 else ".0f"),
        _rss(v),
        _fmt(v.cpu_percent, ".0f"),
        _fidelity(v.fidelity),
    )


def _variant_name(v: VariantResult) -> str:
    """'openvino-int8-s32 (32 tok) ← config (fallback from NPU)'."""
    name = f"{v.variant} ({v.tokens} tok)" if v.tokens else v.variant
    if not v.configured:
        return name
    fallback = f" (fallback from {v.fallback_of})" if v.fallback_of else ""
    return f"{name} {CONFIG_MARK}{fallback}"


def _rss(v: VariantResult) -> str:
    """Peak RSS, and in brackets what the process held before loading the model."""
    if v.baseline_rss_mb is None:
        return _fmt(v.peak_rss_mb, ".0f")
    return f"{_fmt(v.peak_rss_mb, '.0f')} ({v.baseline_rss_mb:.0f})"


def _problems_section(p: Profile) -> Section:
    """Absent devices once per backend, device and reason (with how many variants that
    leaves unmeasured); failed and missing bundles one by one."""
    bad = [v for v in p.variants if v.status != "ok"]
    if not bad:
        return Section("Absent or failed", ("Every variant ran.",))
    groups: dict[tuple[str, str, str], list[VariantResult]] = {}
    for v in bad:
        if v.status == "absent":
            groups.setdefault((v.backend, v.device, v.reason), []).append(v)
    rows = [
        (f"{backend} {device}", "absent", f"{len(vs)} variants of {len({v.role for v in vs})} "
         "roles", reason or "no reason given")
        for (backend, device, reason), vs in groups.items()
    ]  # fmt: skip
    rows += [(v.key, v.status, "", v.reason or "no reason given")
             for v in bad if v.status != "absent"]  # fmt: skip
    headers = ("what", "status", "not measured", "reason")
    return Section("Absent or failed", (Table(headers, tuple(rows)),))


def _waterfall_section(w: Waterfall) -> Section:
    stages = tuple((name, format_ms(w.stage_p50_ms.get(name))) for name in stage_names(w))
    commands = tuple(
        (str(i), c.text, c.decision, format_ms(c.eos_to_action_ms))
        for i, c in enumerate(w.commands, 1)
    )
    source = f"Audio {w.audio}" + (f", video {w.video}" if w.video else "") + "."
    return Section(
        "End to end",
        (
            source,
            f"End of speech → action over {len(w.commands)} commands: "
            f"p50 {format_ms(w.eos_to_action_p50_ms)} ms, p95 {format_ms(w.eos_to_action_p95_ms)} ms.",
            _video_line(w),
            Table(("stage", "p50 ms"), stages),
            Table(("#", "command", "decision", "eos → action ms"), commands),
            Image("waterfall_png", "stages of each command"),
        ),
    )


def _video_line(w: Waterfall) -> str:
    if w.video is None and not w.frames:
        return "No video in this run."
    return f"Video: {w.frames} frames, vision p50 {format_ms(w.vision_p50_ms)} ms per frame."


def _fmt(value: float | None, spec: str) -> str:
    return DASH if value is None else format(value, spec)


def _fidelity(f: Fidelity | None) -> str | Cell:
    if f is None:
        return DASH
    gated = [key for key in f.values if key in f.gate] or list(f.values)
    parts = [
        f"{key} {f.values[key]:.4g}" + (f" (gate {f.gate[key]:.4g})" if key in f.gate else "")
        for key in gated[:2]
    ]
    more = f" +{len(gated) - 2}" if len(gated) > 2 else ""
    text = f"{'pass' if f.passed else 'FAIL'}: {', '.join(parts)}{more}"
    samples = f" on {f.samples} samples" if f.samples else ""
    every = ", ".join(f"{key} {value:.4g}" for key, value in f.values.items())
    source = f"; compared with {f.reference}{samples} at export" if f.reference else ""
    return Cell(text, f"{f.metric}: {every}{source}")


# Markdown.


def render_markdown(sections: list[Section], files: dict[str, str]) -> str:
    lines: list[str] = []
    for i, section in enumerate(sections):
        lines += [f"{'#' if i == 0 else '##'} {_md_text(section.heading)}", ""]
        for block in section.blocks:
            lines += [*_md_block(block, files), ""]
    return "\n".join(lines)


def _md_block(block: Block, files: dict[str, str]) -> list[str]:
    if isinstance(block, Table):
        return _md_table(block)
    if isinstance(block, Image):
        return [f"![{block.alt}]({files[block.key]})"] if block.key in files else []
    return [_md_text(block)]


def _md_table(t: Table) -> list[str]:
    lines = [_md_row(t.headers), "|" + "---|" * len(t.headers)]
    for i, row in enumerate(t.rows):
        first = f"**{_md_cell(row[0])}**" if i in t.marked else _md_cell(row[0])
        lines.append("| " + " | ".join([first, *(_md_cell(c) for c in row[1:])]) + " |")
    return lines


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(_md_cell(c) for c in cells) + " |"


def _md_cell(cell: str | Cell) -> str:
    text = cell.text if isinstance(cell, Cell) else cell
    return _md_text(" ".join(text.split())).replace("|", "\\|")


def _md_text(text: str) -> str:
    """Transcripts may hold anything; '<script>' must show as text, not become HTML."""
    return html.escape(text, quote=False)


# HTML.

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.config td { background: #fff1dc; font-weight: bold; }
img { max-width: 100%; }
"""
_NUMBER = re.compile(r"[-+–]?[\d.,]+( \([\d.,]+\))?")  # 12.5, or RSS "145 (66)"


def render_html(sections: list[Section], pngs: dict[str, bytes]) -> str:
    title = html.escape(sections[0].heading) if sections else "profile"
    body = "\n".join(_html_section(i, s, pngs) for i, s in enumerate(sections))
    return (
        f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n"
        "</html>\n"
    )


def _html_section(index: int, section: Section, pngs: dict[str, bytes]) -> str:
    tag = "h1" if index == 0 else "h2"
    blocks = [_html_block(b, pngs) for b in section.blocks]
    return f"<{tag}>{html.escape(section.heading)}</{tag}>\n" + "\n".join(b for b in blocks if b)


def _html_block(block: Block, pngs: dict[str, bytes]) -> str:
    if isinstance(block, Table):
        return _html_table(block)
    if isinstance(block, Image):
        if block.key not in pngs:
            return ""
        data = base64.b64encode(pngs[block.key]).decode("ascii")
        return f'<img alt="{html.escape(block.alt)}" src="data:image/png;base64,{data}">'
    return f"<p>{html.escape(block)}</p>"


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.headers)
    rows = [f"<tr>{head}</tr>"] if any(t.headers) else []
    for i, row in enumerate(t.rows):
        cells = "".join(_html_cell(c) for c in row)
        rows.append(f'<tr class="config">{cells}</tr>' if i in t.marked else f"<tr>{cells}</tr>")
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def _html_cell(cell: str | Cell) -> str:
    text, note = (cell.text, cell.note) if isinstance(cell, Cell) else (cell, "")
    css = ' class="num"' if _NUMBER.fullmatch(text) or text == DASH else ""
    title = f' title="{html.escape(note)}"' if note else ""
    return f"<td{css}{title}>{html.escape(text)}</td>"
