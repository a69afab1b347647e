"""Typed commands, one per line, from a file or standard input (``run --text-file``): what
Home Assistant's conversation API is to its voice pipeline. Each line goes down the same path
as a heard transcript (journal, understanding, policy, action); blank lines and lines that
start with ``#`` are skipped. For scripts, tests and a home without a microphone.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TextIO

from edge_assistant.errors import EdgeAssistantError

MAX_LINE_CHARS = 10_000  # longer is not a command; understanding refuses past its own limit


class TextSourceError(EdgeAssistantError):
    """A text file that cannot be read."""


class TextSource:
    down: str | None = None  # never "missing", as a microphone can be

    def __init__(self, path: Path | str) -> None:
        """``path``: a UTF-8 text file, or ``-`` for standard input. A file that does not
        exist or is not text fails here, naming it."""
        self.name = str(path)
        self._stream: TextIO
        if self.name == "-":
            self._stream = sys.stdin
            return
        path = Path(path)
        if not path.is_file():
            raise TextSourceError(f"{path}: no such file; give a text file, one command a line")
        head = path.read_bytes()[:4096]
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not a character cut at the 4 kB mark
                raise TextSourceError(
                    f"{path}: not UTF-8 text (byte {exc.start}); give a text file, one "
                    "command a line"
                ) from None
        if b"\0" in head:
            raise TextSourceError(f"{path}: a binary file; give a text file, one command a line")
        self._stream = path.open(encoding="utf-8", errors="replace")

    async def lines(self) -> AsyncIterator[str]:
        """Each command, as it is read (a pipe is read as it is written). The reading is done
        on a daemon thread, so a stop never waits for a terminal that says nothing."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue(maxsize=64)

        def read() -> None:
            end: BaseException | None = None
            try:
                for line in self._lines():
                    asyncio.run_coroutine_threadsafe(queue.put(line), loop).result()
            except (OSError, ValueError) as exc:  # a read error, or closed under us
                end = exc
            finally:
                with contextlib.suppress(RuntimeError):  # the loop is gone: nobody listens
                    asyncio.run_coroutine_threadsafe(queue.put(end), loop)

        threading.Thread(target=read, name="text-source", daemon=True).start()
        while (text := await queue.get()) is not None:
            if isinstance(text, BaseException):  # not the end of the input: a failure
                raise TextSourceError(f"{self.name}: reading failed: {text}") from text
            yield text

    def _lines(self) -> Iterator[str]:
        """Commands: stripped, not blank, not comments; a line longer than MAX_LINE_CHARS is
        cut there (understanding refuses it as too long) and the rest of it skipped."""
        while line := self._stream.readline(MAX_LINE_CHARS):
            if len(line) == MAX_LINE_CHARS and not line.endswith("\n"):
                while (rest := self._stream.readline(MAX_LINE_CHARS)) and not rest.endswith("\n"):
                    pass
            text = line.strip()
            if text and not text.startswith("#"):
                yield text

    def close(self) -> None:
        if self._stream is not sys.stdin:
            self._stream.close()
