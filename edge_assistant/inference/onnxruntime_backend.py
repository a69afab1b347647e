"""ONNX Runtime backend: one InferenceSession per model, providers chosen per device.

onnxruntime (and onnxruntime-openvino) quietly drop a requested provider they cannot start
and run on the CPU instead; ``load`` compares the providers the session really got with the
ones asked for and turns a silent fallback into a DeviceUnavailableError.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import onnxruntime as ort

from edge_assistant.errors import BundleError, DeviceUnavailableError
from edge_assistant.inference.base import DeviceInfo
from edge_assistant.inference.bundle import Bundle

# Accelerator providers per device, most preferred first, with their provider options.
_ACCELERATORS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "GPU": [
        ("CUDAExecutionProvider", {}),
        ("ROCMExecutionProvider", {}),
        ("DmlExecutionProvider", {}),
        ("OpenVINOExecutionProvider", {"device_type": "GPU"}),
    ],
    "NPU": [
        ("OpenVINOExecutionProvider", {"device_type": "NPU"}),
        ("QNNExecutionProvider", {}),
        ("VitisAIExecutionProvider", {}),
    ],
}
_CPU = "CPUExecutionProvider"


class OrtModel:
    def __init__(self, session: ort.InferenceSession, device: str) -> None:
        self._session = session
        self.backend = "onnxruntime"
        self.device = device
        self.details = {"providers": ",".join(session.get_providers())}
        self._inputs = tuple(i.name for i in session.get_inputs())
        self._outputs = [o.name for o in session.get_outputs()]

    @property
    def input_names(self) -> tuple[str, ...]:
        return self._inputs

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        # InferenceSession.run is thread-safe.
        values = self._session.run(self._outputs, {k: feeds[k] for k in self._inputs})
        return dict(zip(self._outputs, values, strict=True))


class OrtBackend:
    name: ClassVar[str] = "onnxruntime"

    def version(self) -> str:
        return str(ort.__version__)

    def devices(self) -> list[DeviceInfo]:
        available = ort.get_available_providers()
        infos = [DeviceInfo(self.name, "CPU", "CPUExecutionProvider")]
        for device, candidates in _ACCELERATORS.items():
            for provider, _ in candidates:
                if provider in available:
                    infos.append(DeviceInfo(self.name, device, provider))
        return infos

    def providers_for(self, device: str) -> list[tuple[str, dict[str, Any]]]:
        """Providers to request for ``device``; raise when this build has none for it."""
        available = ort.get_available_providers()
        if device == "CPU":
            return [(_CPU, {})]
        if device == "AUTO":
            chosen = [p for d in ("NPU", "GPU") for p in _ACCELERATORS[d] if p[0] in available]
            return [*chosen[:1], (_CPU, {})]
        chosen = [p for p in _ACCELERATORS[device] if p[0] in available]
        if not chosen:
            wanted = ", ".join(p for p, _ in _ACCELERATORS[device])
            raise DeviceUnavailableError(
                self.name,
                device,
                f"this onnxruntime build has no execution provider for {device} "
                f"(available: {', '.join(available)}; would need one of: {wanted})",
            )
        return chosen[:1]

    def load(self, bundle: Bundle, device: str, threads: int) -> OrtModel:
        requested = self.providers_for(device)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # keep ORT's initializer-cleanup chatter out of logs
        try:
            session = ort.InferenceSession(
                str(bundle.model_path),
                sess_options=options,
                providers=[p for p, _ in requested],
                provider_options=[o for _, o in requested],
            )
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph/... types
            if device == "CPU":  # the CPU provider is always there: the model is at fault
                raise BundleError(
                    f"{bundle.model_path}: onnxruntime cannot load this model ({exc}); "
                    "re-run the export"
                ) from exc
            raise DeviceUnavailableError(self.name, device, str(exc)) from exc
        got = session.get_providers()
        if device != "AUTO":
            verify_providers(device, requested[0][0], got)
        actual = device if device != "AUTO" else _device_of(got[0])
        return OrtModel(session, actual)


def _device_of(provider: str) -> str:
    for device, candidates in _ACCELERATORS.items():
        if provider in {p for p, _ in candidates}:
            return device
    return "CPU"


def verify_providers(device: str, wanted: str, got: list[str]) -> None:
    """Raise when the session silently dropped the provider that ``device`` needs."""
    if wanted not in got:
        raise DeviceUnavailableError(
            OrtBackend.name,
            device,
            f"asked for {wanted} but the session runs on {', '.join(got)} "
            "(onnxruntime fell back silently; check the provider's drivers)",
        )
