"""Device configs: where each model role runs (backend, device, precision, threads, fallback).

One YAML per target lives in ``device_configs/``. Everything is validated before any model
loads; a wrong key or value fails with the file, the key path and what is allowed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from edge_assistant.config.actions import ActionsConfig
from edge_assistant.config.arbitration import ArbitrationConfig
from edge_assistant.config.daemon import DaemonConfig
from edge_assistant.config.decisions import DecisionsConfig
from edge_assistant.config.feedback import FeedbackConfig
from edge_assistant.config.journal import JournalConfig
from edge_assistant.config.loading import StrictModel, load_yaml_model, validate_data
from edge_assistant.config.policy import PolicyConfig
from edge_assistant.config.vision import VisionConfig
from edge_assistant.config.voice import VoiceConfig
from edge_assistant.errors import ConfigError

Backend = Literal["onnxruntime", "openvino"]
Device = Literal["CPU", "GPU", "NPU", "AUTO"]
Precision = Literal["fp32", "fp16", "int8"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEVICE_CONFIG_DIR = REPO_ROOT / "device_configs"
MODELS_DIR_ENV = "EDGE_ASSISTANT_MODELS"


@dataclass(frozen=True)
class RoleSpec:
    """What a model role supports, independent of any target."""

    precisions: frozenset[str]
    # Roles with a token axis can be padded to a static length (needed by the NPU).
    has_sequence_axis: bool


ROLE_SPECS: dict[str, RoleSpec] = {
    "text_encoder": RoleSpec(frozenset({"fp32", "fp16", "int8"}), has_sequence_axis=True),
    "vad": RoleSpec(frozenset({"fp32"}), has_sequence_axis=False),
    # The fusion model reads the text encoder's token states, so it shares their length.
    "understanding": RoleSpec(frozenset({"fp32", "int8"}), has_sequence_axis=True),
    # MediaPipe's vision models: their weights are fp16 already; see export/vision.py.
    "face_detection": RoleSpec(frozenset({"fp32"}), has_sequence_axis=False),
    "palm_detection": RoleSpec(frozenset({"fp32"}), has_sequence_axis=False),
    "hand_landmarks": RoleSpec(frozenset({"fp32"}), has_sequence_axis=False),
    "pose_detection": RoleSpec(frozenset({"fp32"}), has_sequence_axis=False),
    "pose_landmarks": RoleSpec(frozenset({"fp32"}), has_sequence_axis=False),
    # Resemblyzer's voice encoder: fixed 160-frame partials, so static shapes but a batch.
    "speaker_embedding": RoleSpec(frozenset({"fp32"}), has_sequence_axis=False),
}


class RoleConfig(StrictModel):
    """Placement of one model role on the target."""

    backend: Backend = Field(description="Inference backend that runs the model.")
    device: Device = Field("CPU", description="Device to run on; AUTO lets the backend pick.")
    precision: Precision = Field("fp32", description="Which exported variant to load.")
    threads: int = Field(1, ge=1, le=64, description="Intra-op threads on CPU.")
    fallback: tuple[Device, ...] = Field(
        (), description="Devices to try, in order, when `device` cannot load the model."
    )
    sequence_length: int | None = Field(
        None, ge=8, le=512, description="Static token length (pad/truncate); NPU needs it."
    )
    budget_ms: float | None = Field(
        None,
        gt=0,
        description="p95 latency one inference may take here; `profile --tune` keeps to it.",
    )

    @model_validator(mode="after")
    def _fp16_needs_openvino(self) -> RoleConfig:
        if self.precision == "fp16" and self.backend != "openvino":
            raise ValueError("precision fp16 is exported for backend openvino only")
        return self

    def variant(self) -> str:
        """Name of the bundle variant this placement loads, e.g. ``openvino-int8-s32``."""
        name = f"{self.backend}-{self.precision}"
        return f"{name}-s{self.sequence_length}" if self.sequence_length else name


class Roles(StrictModel):
    """One entry per model role; later capabilities add their roles here."""

    text_encoder: RoleConfig
    vad: RoleConfig
    understanding: RoleConfig
    face_detection: RoleConfig
    palm_detection: RoleConfig
    hand_landmarks: RoleConfig
    pose_detection: RoleConfig
    pose_landmarks: RoleConfig
    speaker_embedding: RoleConfig

    @model_validator(mode="after")
    def _check_roles(self) -> Roles:
        for role, cfg in self.items():
            spec = ROLE_SPECS[role]
            if cfg.precision not in spec.precisions:
                allowed = ", ".join(sorted(spec.precisions))
                raise ValueError(
                    f"roles.{role}.precision: {cfg.precision} is not exported for {role} "
                    f"(allowed: {allowed})"
                )
            if cfg.sequence_length is not None and not spec.has_sequence_axis:
                raise ValueError(f"roles.{role}.sequence_length: {role} has no token axis")
            uses_npu = "NPU" in (cfg.device, *cfg.fallback)
            if uses_npu and spec.has_sequence_axis and cfg.sequence_length is None:
                raise ValueError(
                    f"roles.{role}: the NPU needs static shapes: set sequence_length (e.g. 32)"
                )
        tokens = (self.text_encoder.sequence_length, self.understanding.sequence_length)
        if tokens[0] != tokens[1]:
            raise ValueError(
                "roles.understanding.sequence_length must equal roles.text_encoder's "
                f"(got {tokens[1]} and {tokens[0]}): it reads the encoder's token states"
            )
        return self

    def items(self) -> list[tuple[str, RoleConfig]]:
        return [(name, getattr(self, name)) for name in type(self).model_fields]


class DeviceConfig(StrictModel):
    """A validated ``device_configs/<target>.yaml``."""

    name: str = Field(description="Short name of the target.")
    description: str = Field("", description="What hardware this config is for.")
    models_dir: Path | None = Field(
        None, description="Where exported bundles live; relative to this file."
    )
    roles: Roles
    voice: VoiceConfig = Field(
        default_factory=VoiceConfig, description="Capture, VAD, wake word and ASR settings."
    )
    vision: VisionConfig = Field(
        default_factory=VisionConfig, description="Camera, privacy switch, zones, detectors."
    )
    actions: ActionsConfig = Field(
        default_factory=ActionsConfig, description="Where commands go: log, mqtt, home_assistant."
    )
    policy: PolicyConfig = Field(
        default_factory=PolicyConfig,
        description="Verification and confirmation of sensitive commands.",
    )
    decisions: DecisionsConfig = Field(
        default_factory=DecisionsConfig,
        description="How sure a reading of the understanding model must be to act, or to "
        "ask a yes/no question first; per kind: control, answer, timer.",
    )
    journal: JournalConfig = Field(
        default_factory=JournalConfig, description="The SQLite journal of commands and outcomes."
    )
    daemon: DaemonConfig = Field(
        default_factory=DaemonConfig, description="Name, area, queues, health endpoint, stop."
    )
    feedback: FeedbackConfig = Field(
        default_factory=FeedbackConfig,
        description="Spoken responses (espeak-ng or a Piper voice) and the wake chime.",
    )
    arbitration: ArbitrationConfig = Field(
        default_factory=ArbitrationConfig,
        description="Several devices, one wake word: the one that heard it best acts.",
    )

    @model_validator(mode="after")
    def _arbitration_broker(self) -> DeviceConfig:
        arbitration = self.arbitration
        if arbitration.enabled and arbitration.broker is None and self.actions.sink.type != "mqtt":
            raise ValueError(
                "arbitration.broker: arbitration needs an MQTT broker; give arbitration.broker "
                "(host, port, ...) or use the mqtt sink, whose broker it then shares"
            )
        return self

    def arbitration_broker(self):  # -> MqttBrokerConfig | None
        """The broker arbitration connects to, or None when it is off."""
        if not self.arbitration.enabled:
            return None
        return self.arbitration.broker or self.actions.sink


@dataclass(frozen=True)
class LoadedDeviceConfig:
    """A device config together with the file it came from."""

    path: Path
    config: DeviceConfig

    def with_overrides(self, role: str, **changes: object) -> LoadedDeviceConfig:
        """The same config with some keys of one role replaced (CLI flags), re-validated."""
        data = self.config.model_dump(mode="json")
        data["roles"][role].update(changes)
        flags = ", ".join(f"{k}={v}" for k, v in changes.items())
        config = validate_data(data, DeviceConfig, source=f"{self.path} with {flags}")
        return LoadedDeviceConfig(path=self.path, config=config)

    def with_wake_word(self, spec: str | None) -> LoadedDeviceConfig:
        """The config with ``voice.wake_word`` replaced from a CLI flag: ``none`` (every
        utterance is a command: push-to-talk, a file of commands) or microWakeWord models, a
        comma-separated list of built-in names or .json files (``okay_nabu``)."""
        if spec is None:
            return self
        data = self.config.model_dump(mode="json")
        if spec.strip() == "none":
            data["voice"]["wake_word"] = {"type": "none"}
        else:
            models = [{"model": m.strip()} for m in spec.split(",") if m.strip()]
            data["voice"]["wake_word"] = {"type": "micro", "models": models}
        config = validate_data(data, DeviceConfig, source=f"{self.path} with --wake-word {spec}")
        return LoadedDeviceConfig(path=self.path, config=config)

    def models_dir(self, override: Path | None = None) -> Path:
        """Bundle root: ``override`` > $EDGE_ASSISTANT_MODELS > config > user cache."""
        if override is not None:
            return override
        if env := os.environ.get(MODELS_DIR_ENV):
            return Path(env)
        if self.config.models_dir is not None:
            return (self.path.parent / self.config.models_dir).resolve()
        return default_models_dir()


def models_dir_from_env(override: Path | None = None) -> Path:
    """Bundle root without a device config: ``override`` > $EDGE_ASSISTANT_MODELS > cache."""
    if override is not None:
        return override
    if env := os.environ.get(MODELS_DIR_ENV):
        return Path(env)
    return default_models_dir()


def default_models_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "edge-assistant" / "models"


def resolve_config_path(name_or_path: str | Path) -> Path:
    """Accept a file path or the name of a config in ``device_configs/`` (``cpu``)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix in {".yaml", ".yml"}:
        return path
    candidate = DEVICE_CONFIG_DIR / f"{name_or_path}.yaml"
    if candidate.exists():
        return candidate
    known = ", ".join(sorted(p.stem for p in DEVICE_CONFIG_DIR.glob("*.yaml")))
    raise ConfigError(f"{name_or_path}: no such file and no device config of that name ({known})")


def load_device_config(name_or_path: str | Path) -> LoadedDeviceConfig:
    path = resolve_config_path(name_or_path)
    return LoadedDeviceConfig(path=path, config=load_yaml_model(path, DeviceConfig))
