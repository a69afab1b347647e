"""Keep the export's own table and progress readable: converters narrate a lot.

Tracer, deprecation and future warnings from torch/transformers/optimum, NNCF's statistics
table and optimum's info logs say nothing a user of ``export`` can act on; real failures
still raise. ``EDGE_ASSISTANT_EXPORT_VERBOSE=1`` shows them all.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

# "" is the root logger: onnxruntime's quantizer logs its advice there.
_NOISY_LOGGERS = ("", "optimum", "transformers", "nncf", "torch.onnx")


@contextmanager
def quiet_converters() -> Iterator[None]:
    if os.environ.get("EDGE_ASSISTANT_EXPORT_VERBOSE") == "1":
        yield
        return
    # Their first get_logger() configures (and levels) their root loggers: do it first so
    # our levels stick.
    from optimum.utils import logging as optimum_logging
    from transformers.utils import logging as transformers_logging

    optimum_logging.get_logger()
    transformers_logging.get_logger()
    import nncf  # noqa: F401  (sets its logger's level on import)

    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)
