"""Export MediaPipe's face, hand and pose models (from the mediapipe wheel) for OpenVINO.

Five roles, each one .tflite file that OpenVINO reads directly (``ov.convert_model``), saved
as fp32 IR. Each is checked against the TFLite interpreter (``ai-edge-litert``, with the
XNNPACK delegate MediaPipe itself runs on CPU) on scikit-image's sample photos, every output
compared by name; the gate is a max abs difference of 1e-2. The pose model's segmentation
logits reach about -1800, where float rounding alone moves them by ~1 (TFLite's own XNNPACK
and reference kernels differ by 1.4), so that output is compared as MediaPipe reads it:
after a sigmoid. Its raw difference is recorded beside it, ungated.

What each model takes (input size, value range) and gives is in ``export/vision_models.py``
and in every bundle's manifest (``export.input``, ``export.outputs``).

Variants not exported, and why:
- openvino fp16: these .tflite files already store their weights in fp16 (the fp32 IR keeps
  them as fp16 constants with a Convert), and ``compress_to_fp16`` writes the same bytes;
  an fp16 variant would be a copy. A GPU computes in f16 from the fp32 IR anyway.
- onnxruntime: no TFLite-to-ONNX converter works offline here. tf2onnx needs TensorFlow;
  tflite2onnx 0.4.1 (unmaintained since 2022) converts 2 of the 5 models (palm detection:
  IndexError, pose detection: DENSIFY unsupported, pose landmarks: IndexError) and turns
  the input into NCHW.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from edge_assistant.config.device import RoleConfig
from edge_assistant.errors import ExportError
from edge_assistant.inference.bundle import Bundle, Fidelity
from edge_assistant.inference.registry import get_backend
from export.fidelity import MaxAbsGate
from export.mediapipe_source import MEDIAPIPE_VERSION, MediaPipeWheel, SourceFile
from export.vision_models import VISION_MODELS, VisionModel

PROBE_IMAGES = ("astronaut", "camera", "chelsea", "coffee", "rocket")  # people, a cat, things


@dataclass(frozen=True)
class VisionSettings:
    """Gate and probe images (fingerprinted), and where the wheel is (not: same bytes anywhere)."""

    max_abs: float = 1e-2
    images: tuple[str, ...] = PROBE_IMAGES
    wheel: Path | None = None  # a mediapipe wheel to read instead of the cached download
    cache_dir: Path | None = None  # default: ~/.cache/edge-assistant/sources

    def measured(self) -> dict[str, Any]:
        return {"max_abs": self.max_abs, "images": list(self.images)}


def probe_images(names: tuple[str, ...]) -> list[np.ndarray]:
    """scikit-image's bundled sample photos as RGB uint8 (grey ones repeated on 3 channels)."""
    try:
        from skimage import data
    except ImportError as exc:
        raise ExportError("scikit-image is missing: pip install 'edge-assistant[export]'") from exc
    images = []
    for name in names:
        image = getattr(data, name)()
        images.append(np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image[..., :3])
    return images


def to_input(image: np.ndarray, model: VisionModel) -> np.ndarray:
    """Centre square crop, resized to the input, scaled to the model's value range."""
    from skimage.transform import resize

    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = image[top : top + side, left : left + side]
    unit = resize(square, (model.size, model.size), anti_aliasing=True)  # uint8 -> [0, 1]
    low, high = model.value_range
    return (unit * (high - low) + low).astype(np.float32)[None]


class TfliteReference:
    """The .tflite file run by the TFLite interpreter, outputs keyed by tensor name."""

    def __init__(self, path: Path) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ExportError(
                "ai-edge-litert is missing: pip install 'edge-assistant[export]'"
            ) from exc
        self._interpreter = Interpreter(model_path=str(path), num_threads=1)
        self._interpreter.allocate_tensors()
        (self._input,) = self._interpreter.get_input_details()
        self._outputs = self._interpreter.get_output_details()

    def run(self, tensor: np.ndarray) -> dict[str, np.ndarray]:
        self._interpreter.set_tensor(self._input["index"], tensor)
        self._interpreter.invoke()
        return {d["name"]: self._interpreter.get_tensor(d["index"]).copy() for d in self._outputs}


class VisionExporter:
    """One MediaPipe model as one role; the five share a MediaPipeWheel."""

    def __init__(self, model: VisionModel, settings: VisionSettings, wheel: MediaPipeWheel) -> None:
        self.role = model.role
        self.model = model
        self.settings = settings
        self.wheel = wheel

    def close(self) -> None:
        self.wheel.close()

    @cached_property
    def source(self) -> SourceFile:
        return self.wheel.extract(self.model.member)

    def fingerprint_parts(self, variant: RoleConfig) -> dict[str, Any]:
        return {
            "source": self.source.sha256,
            "model": asdict(self.model),
            "settings": self.settings.measured(),
            "reference": _litert_version(),
            "variant": variant.variant(),
        }

    def source_info(self) -> dict[str, str]:
        return {
            "model": f"MediaPipe {self.model.title}",
            "package": f"mediapipe=={MEDIAPIPE_VERSION}",
            "path": self.source.member,
            "identity": self.source.sha256,
            "wheel": self.source.wheel.name,
            "wheel_sha256": self.source.wheel_sha256,
        }

    def export_settings(self, variant: RoleConfig) -> dict[str, Any]:
        low, high = self.model.value_range
        return {
            **self.settings.measured(),
            "input": {
                "layout": "NHWC",
                "size": [self.model.size, self.model.size],
                "channels": "RGB",
                "value_range": [low, high],
                "normalization": _normalization(low, high),
            },
            "outputs": self.model.outputs,
            "compared_after_sigmoid": list(self.model.compare_after_sigmoid),
            "reference": f"ai-edge-litert {_litert_version()} (XNNPACK)",
        }

    def build(self, variant: RoleConfig, folder: Path) -> str:
        import openvino as ov

        try:
            converted = ov.convert_model(str(self.source.path))
        except Exception as exc:  # OpenVINO's frontends raise several unrelated types
            raise ExportError(
                f"{self.source.label}: openvino cannot convert it ({type(exc).__name__}: "
                f"{_last_line(str(exc))})"
            ) from exc
        ov.save_model(converted, folder / "model.xml", compress_to_fp16=False)
        return "model.xml"

    def evaluate(self, variant: RoleConfig, bundle: Bundle) -> Fidelity:
        model = get_backend(variant.backend).load(bundle, "CPU", threads=1)
        reference = TfliteReference(self.source.path)
        got: dict[str, list[np.ndarray]] = {}
        ref: dict[str, list[np.ndarray]] = {}
        for image in probe_images(self.settings.images):
            tensor = to_input(image, self.model)
            outputs = model.run({model.input_names[0]: tensor})
            for name, expected in reference.run(tensor).items():
                if name not in outputs:
                    raise ExportError(
                        f"{variant.variant()}: output {name} of {self.source.member} is not "
                        f"among the exported model's outputs ({', '.join(sorted(outputs))})"
                    )
                got.setdefault(name, []).append(outputs[name])
                ref.setdefault(name, []).append(expected)
        stacked = {name: (np.stack(got[name]), np.stack(ref[name])) for name in got}
        return self._gate(variant, stacked)

    def _gate(
        self, variant: RoleConfig, outputs: dict[str, tuple[np.ndarray, np.ndarray]]
    ) -> Fidelity:
        """Each output against TFLite's, by name; the first past the gate stops the export."""
        gate = MaxAbsGate(self.settings.max_abs)
        reference = f"tflite (ai-edge-litert {_litert_version()})"
        values: dict[str, float] = {}
        for name, (ours, theirs) in outputs.items():
            if name in self.model.compare_after_sigmoid:
                values[f"max_abs_{name}_logits"] = _max_abs(ours, theirs)
                ours, theirs = _sigmoid(ours), _sigmoid(theirs)
            checked = gate.check(f"{variant.variant()} output {name}", reference, ours, theirs)
            values[f"max_abs_{name}"] = checked.values["max_abs"]
        worst = max(v for k, v in values.items() if not k.endswith("_logits"))
        return Fidelity(
            metric="max_abs_diff",
            reference=reference,
            samples=len(self.settings.images),
            values={"max_abs": worst, **values},
            gate={"max_abs": self.settings.max_abs},
        )


def make_exporters(settings: VisionSettings) -> dict[str, VisionExporter]:
    wheel = MediaPipeWheel(settings.wheel, settings.cache_dir)
    return {role: VisionExporter(m, settings, wheel) for role, m in VISION_MODELS.items()}


def _litert_version() -> str:
    try:
        return metadata.version("ai-edge-litert")
    except metadata.PackageNotFoundError:
        return "not installed"


def _last_line(message: str) -> str:
    """OpenVINO's frontends put the cause last, after the check that failed."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[-1] if lines else "no reason given"


def _normalization(low: float, high: float) -> str:
    """The formula a caller applies to 0..255 pixels, e.g. ``pixel / 127.5 - 1``."""
    formula = f"pixel / {255 / (high - low):g}"
    return f"{formula} {'-' if low < 0 else '+'} {abs(low):g}" if low else formula


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x.astype(np.float64), -100.0, 100.0)))
