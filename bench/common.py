"""What every benchmark script shares: where bundles are, and keeping stdout clean so the
table and the final RESULT line are all it carries."""

from __future__ import annotations

import logging
import os
import sys
import warnings


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
