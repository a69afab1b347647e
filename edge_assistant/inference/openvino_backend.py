"""OpenVINO backend: compiled models on CPU, GPU, NPU or AUTO, one InferRequest per thread."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import openvino as ov

from edge_assistant.errors import BundleError, DeviceUnavailableError
from edge_assistant.inference.base import DeviceInfo
from edge_assistant.inference.bundle import Bundle

_core_lock = threading.Lock()
_core: ov.Core | None = None


def core() -> ov.Core:
    global _core
    with _core_lock:
        if _core is None:
            _core = ov.Core()
        return _core


class OvModel:
    def __init__(self, compiled: ov.CompiledModel, device: str, details: dict[str, str]) -> None:
        self._compiled = compiled
        self._local = threading.local()
        self.backend = "openvino"
        self.device = device
        self.details = details
        self._inputs = tuple(i.any_name for i in compiled.inputs)
        # Compilation can merge tensor names, so any_name may change; key by every name.
        self._outputs = [sorted(o.get_names()) for o in compiled.outputs]

    @property
    def input_names(self) -> tuple[str, ...]:
        return self._inputs

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        # An InferRequest is not thread-safe; each calling thread gets its own.
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._compiled.create_infer_request()
            self._local.request = request
        result = request.infer({k: feeds[k] for k in self._inputs})
        return {name: result[i] for i, names in enumerate(self._outputs) for name in names}


class OvBackend:
    name: ClassVar[str] = "openvino"

    def version(self) -> str:
        return str(ov.get_version())

    def devices(self) -> list[DeviceInfo]:
        infos = []
        for device in core().available_devices:
            try:
                full = str(core().get_property(device, "FULL_DEVICE_NAME"))
            except RuntimeError as exc:
                full = f"(name unavailable: {exc})"
            infos.append(DeviceInfo(self.name, device, full))
        return infos

    def load(self, bundle: Bundle, device: str, threads: int) -> OvModel:
        config = _compile_config(device, bundle.manifest.precision, threads)
        try:
            model = core().read_model(str(bundle.model_path))
        except RuntimeError as exc:  # reading does not involve a device: the file is at fault
            raise BundleError(
                f"{bundle.model_path}: openvino cannot read this model ({_short(str(exc))}); "
                "re-run the export"
            ) from exc
        try:
            compiled = core().compile_model(model, device, config)
        except RuntimeError as exc:
            raise DeviceUnavailableError(self.name, device, _short(str(exc))) from exc
        actual = device  # not every plugin reports EXECUTION_DEVICES; then asked = ran
        with contextlib.suppress(RuntimeError):
            actual = ",".join(compiled.get_property("EXECUTION_DEVICES"))
        return OvModel(
            compiled, actual, {"ov_config": ",".join(f"{k}={v}" for k, v in config.items())}
        )


def _compile_config(device: str, precision: str, threads: int) -> dict[str, Any]:
    config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY"}
    if device == "CPU":
        config["INFERENCE_NUM_THREADS"] = threads
        # CPUs with AMX default to bf16 math; keep what the fidelity gate measured.
        config["INFERENCE_PRECISION_HINT"] = "f32"
    elif device == "GPU" and precision == "fp16":
        config["INFERENCE_PRECISION_HINT"] = "f16"
    return config


def _short(message: str) -> str:
    """OpenVINO prefixes each nested frame with 'Exception from src/...'; keep the cause."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    causes = [ln for ln in lines if not ln.startswith("Exception from src/")]
    return " ".join(causes) or " ".join(lines)
