"""Write a bundle all-or-nothing: build in a staging folder, swap it in only when it passed.

A failed build or a missed fidelity gate removes the staging folder and leaves whatever
bundle was there before untouched.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from edge_assistant.errors import BundleError
from edge_assistant.inference.bundle import MANIFEST_NAME, Manifest, open_bundle


def fingerprint(parts: dict[str, Any]) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def up_to_date(final_dir: Path, expected: str) -> bool:
    """True when a verified bundle with this fingerprint is already in place."""
    if not (final_dir / MANIFEST_NAME).exists():
        return False
    try:
        return open_bundle(final_dir).manifest.fingerprint == expected
    except BundleError:
        return False


def write_manifest(folder: Path, manifest: Manifest) -> None:
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, sort_keys=False)
    (folder / MANIFEST_NAME).write_text(text + "\n", encoding="utf-8")


@contextmanager
def staged(final_dir: Path) -> Iterator[Path]:
    """Yield an empty folder next to ``final_dir``; on clean exit it replaces ``final_dir``."""
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{final_dir.name}-", dir=final_dir.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = final_dir.with_name(f".previous-{final_dir.name}")
    shutil.rmtree(previous, ignore_errors=True)
    if final_dir.exists():
        final_dir.rename(previous)
    staging.rename(final_dir)
    shutil.rmtree(previous, ignore_errors=True)
