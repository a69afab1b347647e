"""List microphones and cameras without opening them, saying plainly when there are none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CaptureDevice:
    kind: str  # "audio" | "camera"
    index: str
    name: str
    details: str = ""


@dataclass(frozen=True)
class Probe:
    devices: list[CaptureDevice]
    problem: str | None = None  # why the list may be incomplete (library missing, ...)


def audio_inputs() -> Probe:
    """Input-capable PortAudio devices via sounddevice."""
    try:
        import sounddevice as sd
    except OSError as exc:  # the wheel imports but libportaudio is missing
        return Probe([], f"{exc}; apt install libportaudio2")
    except ImportError as exc:
        return Probe([], f"sounddevice not installed ({exc})")
    try:
        found = sd.query_devices()
    except Exception as exc:  # PortAudioError when the host API has no devices
        return Probe([], f"PortAudio: {exc}")
    devices = [
        CaptureDevice(
            "audio",
            str(i),
            d["name"],
            f"{d['max_input_channels']} ch, {int(d['default_samplerate'])} Hz",
        )
        for i, d in enumerate(found)
        if d["max_input_channels"] > 0
    ]
    return Probe(devices)


def cameras(dev: Path = Path("/dev"), sysfs: Path = Path("/sys/class/video4linux")) -> Probe:
    """V4L2 video nodes with their driver names (no OpenCV needed, nothing opened)."""
    devices = []
    for node in sorted(dev.glob("video*")):
        name_file = sysfs / node.name / "name"
        name = name_file.read_text().strip() if name_file.exists() else "(unnamed)"
        devices.append(CaptureDevice("camera", str(node), name))
    return Probe(devices)
