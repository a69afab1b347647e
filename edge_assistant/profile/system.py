"""What box a profile was taken on: CPU, its inference-relevant flags, memory, OS, backends.

Numbers from two boxes are only comparable when you know the boxes differ, so every profile
carries this. Nothing here may stop a profile: a missing /proc file or a backend that cannot
be imported is recorded as such (unknown model, ``unavailable: <reason>``), never raised.
"""

from __future__ import annotations

import logging
import os
import platform
import socket
from pathlib import Path

from edge_assistant.inference.registry import backend_names, get_backend
from edge_assistant.profile.schema import SystemInfo

log = logging.getLogger(__name__)

# Module constants so tests can point them at missing or fake files.
CPUINFO = Path("/proc/cpuinfo")
MEMINFO = Path("/proc/meminfo")
OS_RELEASE = Path("/etc/os-release")

# Flags that decide which kernels ONNX Runtime / OpenVINO can use; /proc name -> report name.
X86_FLAGS = {
    name: name
    for name in (
        "avx2",
        "fma",
        "f16c",
        "avx512f",
        "avx512_vnni",
        "avx512_bf16",
        "avx_vnni",
        "amx_tile",
        "amx_int8",
        "amx_bf16",
    )
}
ARM_FLAGS = {"asimd": "neon", "asimddp": "dotprod", "i8mm": "i8mm", "sve": "sve"}

# Arm Ltd (implementer 0x41) parts seen on edge boxes, for a readable model name.
ARM_PARTS = {
    "0xd03": "Cortex-A53",
    "0xd04": "Cortex-A35",
    "0xd05": "Cortex-A55",
    "0xd07": "Cortex-A57",
    "0xd08": "Cortex-A72",
    "0xd09": "Cortex-A73",
    "0xd0a": "Cortex-A75",
    "0xd0b": "Cortex-A76",
    "0xd0c": "Neoverse-N1",
    "0xd0d": "Cortex-A77",
    "0xd40": "Neoverse-V1",
    "0xd41": "Cortex-A78",
    "0xd44": "Cortex-X1",
    "0xd46": "Cortex-A510",
    "0xd47": "Cortex-A710",
    "0xd49": "Neoverse-N2",
    "0xd4b": "Cortex-A78C",
    "0xd4f": "Neoverse-V2",
}


def system_info() -> SystemInfo:
    """Describe this box; every field degrades to 'unknown' rather than failing."""
    blocks = _cpuinfo_blocks()
    backends, devices = _backends()
    return SystemInfo(
        hostname=socket.gethostname(),
        cpu_model=_cpu_model(blocks),
        cpu_flags=_cpu_flags(blocks),
        physical_cores=_physical_cores(blocks),
        logical_cores=os.cpu_count() or 1,
        memory_total_mb=_memory_total_mb(),
        os=_os_string(),
        python=platform.python_version(),
        backends=backends,
        devices=devices,
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        log.debug("cannot read %s: %s", path, exc)
        return ""


def _cpuinfo_blocks() -> list[dict[str, str]]:
    """/proc/cpuinfo as one dict per blank-line separated block (a CPU, or Arm's trailer)."""
    blocks: list[dict[str, str]] = []
    for chunk in _read(CPUINFO).split("\n\n"):
        fields: dict[str, str] = {}
        for line in chunk.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields.setdefault(key.strip(), value.strip())
        if fields:
            blocks.append(fields)
    return blocks


def _first(blocks: list[dict[str, str]], key: str) -> str:
    return next((b[key] for b in blocks if b.get(key)), "")


def _cpu_model(blocks: list[dict[str, str]]) -> str:
    # x86 (and some 32-bit Arm kernels) say "model name"; boards say "Model" (e.g. Raspberry Pi).
    for key in ("model name", "Model", "Hardware"):
        if value := _first(blocks, key):
            return value
    part = _first(blocks, "CPU part")
    if part:
        implementer = _first(blocks, "CPU implementer")
        known = ARM_PARTS.get(part.lower()) if implementer.lower() == "0x41" else None
        return known or f"Arm implementer {implementer or '?'} part {part}"
    return platform.processor() or platform.machine() or "unknown"


def _cpu_flags(blocks: list[dict[str, str]]) -> dict[str, bool]:
    x86 = _first(blocks, "flags")
    if x86:
        present = set(x86.split())
        return {report: name in present for name, report in X86_FLAGS.items()}
    arm = _first(blocks, "Features")
    if arm:
        present = set(arm.split())
        flags = {report: name in present for name, report in ARM_FLAGS.items()}
        flags["neon"] = flags["neon"] or "neon" in present  # 32-bit kernels say "neon"
        return flags
    return {}


def _physical_cores(blocks: list[dict[str, str]]) -> int | None:
    pairs = {
        (b["physical id"], b["core id"]) for b in blocks if "physical id" in b and "core id" in b
    }
    return len(pairs) or None


def _memory_total_mb() -> float:
    for line in _read(MEMINFO).splitlines():
        key, _, value = line.partition(":")
        if key == "MemTotal":
            try:
                return float(value.split()[0]) / 1024  # always in kB
            except (IndexError, ValueError):
                return 0.0
    return 0.0


def _os_string() -> str:
    base = f"{platform.system()} {platform.release()}".strip() or "unknown"
    pretty = ""
    for line in _read(OS_RELEASE).splitlines():
        key, _, value = line.partition("=")
        if key == "PRETTY_NAME":
            pretty = value.strip().strip("\"'")
    return f"{base} ({pretty})" if pretty else base


def _backends() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Version and devices of each registered backend; a broken one says why instead."""
    versions: dict[str, str] = {}
    devices: dict[str, list[str]] = {}
    for name in backend_names():
        try:
            backend = get_backend(name)
            versions[name] = backend.version()
            devices[name] = [info.name for info in backend.devices()]
        except Exception as exc:  # any library error is a fact about the box, not a crash
            versions[name] = f"unavailable: {exc}"
            devices[name] = []
    return versions, devices
