"""What every benchmark script shares: where bundles are, and keeping stdout clean so the
table and the final RESULT line are all it carries."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path


def progress(message: str) -> None:
    """Progress goes to stderr; stdout carries only the table and the RESULT line."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def quiet_libraries() -> None:
    """Keep library chatter off stdout so RESULT stays the last line."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    warnings.simplefilter("ignore", FutureWarning)


def argument_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser described by the script's docstring, with the shared --models-dir flag."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="Bundle root (default: $EDGE_ASSISTANT_MODELS, else ${XDG_CACHE_HOME:-~/.cache}/edge-assistant/models).",
    )
    return parser


def require_bundles(folders: list[Path], export_hint: str, models_dir: Path) -> None:
    """Exit with the export command to run when a bundle the benchmark needs is missing."""
    missing = [path for path in folders if not (path / "manifest.json").is_file()]
    if missing:
        names = "\n  ".join(str(p) for p in missing)
        sys.exit(
            f"error: missing bundle(s):\n  {names}\n"
            f"Export them first: `{export_hint} --out {models_dir}` "
            f"(or set EDGE_ASSISTANT_MODELS / pass --models-dir to where they are)."
        )
