"""The profile report: one versioned JSON document per run of ``edge-assistant profile``.

Every other output (Markdown, plots, HTML, ``--compare``, ``--tune``) is made from this
document alone, so a profile taken on another box can be rendered, compared or tuned from
here. Bump ``SCHEMA_VERSION`` when a field changes meaning; readers refuse other versions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field

from edge_assistant.config.loading import StrictModel, validate_data
from edge_assistant.errors import ConfigError

SCHEMA_VERSION = 1

VariantStatus = Literal["ok", "absent", "failed", "missing_bundle"]


class SystemInfo(StrictModel):
    """The box a profile was taken on, so profiles from different boxes can be compared."""

    hostname: str
    cpu_model: str
    cpu_flags: dict[str, bool] = Field(
        description="avx2, avx512f, avx512_vnni, avx_vnni, amx_tile, amx_int8, neon, ..."
    )
    physical_cores: int | None
    logical_cores: int
    memory_total_mb: float
    os: str = Field(description="e.g. 'Linux 6.8.0 (Ubuntu 24.04)'")
    python: str
    backends: dict[str, str] = Field(description="backend name -> library version")
    devices: dict[str, list[str]] = Field(
        description="backend name -> devices it can run on here (e.g. CPU, GPU.0, NPU)"
    )


class Fidelity(StrictModel):
    """A variant's fidelity, copied from its bundle manifest (measured at export)."""

    metric: str
    reference: str = Field("", description="What the variant was compared with at export.")
    samples: int = 0
    values: dict[str, float]
    gate: dict[str, float]
    passed: bool


class VariantResult(StrictModel):
    """One model role on one backend x device x precision, at batch 1."""

    role: str
    backend: str
    device: str
    precision: str
    variant: str = Field(description="bundle variant, e.g. openvino-int8-s32")
    threads: int
    configured: bool = Field(description="True for the placement the profiled config asks for.")
    fallback_of: str | None = Field(
        None,
        description="For a configured role whose device is absent: the device asked for; this "
        "entry is where the role really runs (its first fallback that works).",
    )
    status: VariantStatus
    reason: str = Field("", description="Why a variant is absent, failed or has no bundle.")
    load_ms: float | None = Field(None, description="Read + compile.")
    first_ms: float | None = Field(None, description="First inference after load.")
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    mean_ms: float | None = None
    throughput_per_s: float | None = Field(None, description="Back-to-back inferences a second.")
    peak_rss_mb: float | None = Field(None, description="Peak RSS of a process doing only this.")
    baseline_rss_mb: float | None = Field(
        None, description="RSS of that process before loading (Python and the libraries)."
    )
    tokens: int | None = Field(None, description="Token length fed to roles with a token axis.")
    details: dict[str, str] = Field(
        default_factory=dict, description="Where it really ran: providers, execution devices."
    )
    cpu_percent: float | None = Field(
        None, description="Process CPU time / wall time while timing (100 = one core)."
    )
    runs: int = 0
    samples_ms: list[float] = Field(default_factory=list, description="Every timed run.")
    fidelity: Fidelity | None = None

    @property
    def key(self) -> str:
        """Identity across profiles: role/backend/device/variant/threads."""
        return f"{self.role}/{self.backend}/{self.device}/{self.variant}/t{self.threads}"


class Stage(StrictModel):
    """One stage of one command, in ms from the end of speech (negative: before it)."""

    name: str = Field(description="capture, vad_end, wake, asr_final, understand, policy, action")
    start_ms: float
    end_ms: float


class CommandTrace(StrictModel):
    text: str
    decision: str
    stages: list[Stage]
    eos_to_action_ms: float | None


class Waterfall(StrictModel):
    """The end-to-end run over audio (and video) files through the real pipeline."""

    audio: str
    video: str | None
    commands: list[CommandTrace]
    stage_p50_ms: dict[str, float] = Field(description="Median duration of each stage.")
    eos_to_action_p50_ms: float | None
    eos_to_action_p95_ms: float | None
    frames: int = Field(0, description="Video frames processed during the run.")
    vision_p50_ms: float | None = Field(None, description="Median vision time per frame.")


class Profile(StrictModel):
    schema_version: Literal[1] = SCHEMA_VERSION
    created: str = Field(description="ISO 8601 time the profile finished (UTC).")
    config_name: str
    config_path: str
    models_dir: str
    duration_s: float
    system: SystemInfo
    variants: list[VariantResult]
    waterfall: Waterfall | None = None

    def configured(self, role: str) -> VariantResult | None:
        return next((v for v in self.variants if v.role == role and v.configured), None)


def load_profile(path: Path) -> Profile:
    """Read a profile JSON; a wrong schema version or field fails naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: profile not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: not a profile JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        found = data.get("schema_version") if isinstance(data, dict) else None
        raise ConfigError(
            f"{path}: profile schema_version {found!r}, this edge-assistant reads "
            f"{SCHEMA_VERSION}; profile again with this version"
        )
    return validate_data(data, Profile, source=str(path))
