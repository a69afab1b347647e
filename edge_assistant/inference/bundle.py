"""Model bundles: a folder of model files described by ``manifest.json``.

The manifest records every file with its sha256 and size, the model's inputs and outputs,
its precision, where it came from, how it was exported and the fidelity measured at export.
Opening a bundle verifies every file, so a missing, truncated or tampered file stops
start-up with a message naming that file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from edge_assistant.config.device import Backend, Precision
from edge_assistant.config.loading import StrictModel
from edge_assistant.errors import BundleError

MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = 1


class TensorSpec(StrictModel):
    name: str
    shape: tuple[int | str, ...] = Field(description="Dimensions; strings name dynamic axes.")
    dtype: str


class BundleFile(StrictModel):
    path: str
    sha256: str
    size: int


class Fidelity(StrictModel):
    """How close the variant is to its reference, measured at export on held-out data."""

    metric: Literal["cosine", "max_abs_diff", "agreement"]
    reference: str = Field(description="What the variant was compared with.")
    samples: int
    values: dict[str, float] = Field(description="e.g. {'mean': 0.991, 'min': 0.985}")
    gate: dict[str, float] = Field(description="Thresholds the values had to meet.")


class Manifest(StrictModel):
    schema_version: Literal[1] = SCHEMA_VERSION
    role: str
    variant: str
    backend: Backend
    precision: Precision
    model_file: str
    files: tuple[BundleFile, ...]
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    source: dict[str, str]
    export: dict[str, Any]
    fidelity: Fidelity
    fingerprint: str = Field(description="Hash of sources + settings; equal means up to date.")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def describe_files(folder: Path, names: list[str]) -> tuple[BundleFile, ...]:
    return tuple(
        BundleFile(
            path=name, sha256=sha256_file(folder / name), size=(folder / name).stat().st_size
        )
        for name in sorted(names)
    )


@dataclass(frozen=True)
class Bundle:
    """An opened, verified bundle."""

    path: Path
    manifest: Manifest

    @property
    def model_path(self) -> Path:
        return self.path / self.manifest.model_file

    def file(self, name: str) -> Path:
        if name not in {f.path for f in self.manifest.files}:
            raise BundleError(f"{self.path}: the manifest lists no file {name!r}")
        return self.path / name


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise BundleError(f"{folder}: bundle folder not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{path}: manifest missing; re-run the export") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path}: manifest unreadable ({exc}); re-run the export") from None
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise BundleError(f"{path}: invalid manifest at {key}: {first['msg']}") from None


def open_bundle(folder: Path, verify: bool = True) -> Bundle:
    """Read the manifest and (by default) check every file's size and sha256."""
    manifest = read_manifest(folder)
    if verify:
        for entry in manifest.files:
            _verify_file(folder, entry)
    return Bundle(path=folder, manifest=manifest)


def _verify_file(folder: Path, entry: BundleFile) -> None:
    path = folder / entry.path
    if not path.is_file():
        raise BundleError(f"{path}: file listed in the manifest is missing; re-run the export")
    size = path.stat().st_size
    if size != entry.size:
        raise BundleError(
            f"{path}: size {size} bytes, manifest says {entry.size} (truncated or replaced); "
            "re-run the export"
        )
    if sha256_file(path) != entry.sha256:
        raise BundleError(
            f"{path}: sha256 does not match the manifest (tampered or corrupt); re-run the export"
        )
