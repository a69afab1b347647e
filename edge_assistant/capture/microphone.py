"""A PortAudio input device (via sounddevice) as an audio source that survives losing it.

PortAudio calls ``_on_block`` on its own thread for every block; blocks reach the event loop
through a bounded ``BlockHandover`` (see ``handover.py``) that drops the newest block when
full, counts it in ``stats.dropped`` and logs it. PortAudio's own input overflows are
counted in ``stats.overflows``.

When the device goes away (the stream stops on its own, or no audio arrives for
``STALL_S``), the stream is closed and reopened with exponential backoff, for as long as it
takes; the consumer just sees a gap, and ``stats`` (and ``down``, while it lasts) says what
happened. The first open fails loudly (a wrong device name is a configuration error that
retrying will not fix), unless ``retry_at_start``: the daemon retries a device missing at
start like a lost one, as it does a camera, and reports it down meanwhile. Closing the lost
stream and reopening run on a worker thread: PortAudio's abort waits
for a read the dead device may never finish, and a rescan probes every device, so neither
may hold up the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import numpy as np

from edge_assistant.capture.audio import (
    SAMPLE_RATE,
    AudioSource,
    AudioSourceError,
    CaptureStats,
    check_block_samples,
)
from edge_assistant.capture.handover import BlockHandover, LossReport
from edge_assistant.config.voice import CaptureConfig

log = logging.getLogger(__name__)

STALL_S = 2.0  # an open stream silent this long is treated as a lost device


class MicrophoneSource(AudioSource):
    """Blocks from ``config.device`` (an index, part of a name, or None for the default)."""

    def __init__(self, config: CaptureConfig, retry_at_start: bool = False) -> None:
        """``retry_at_start``: a device that cannot be opened at the first try is retried
        like a lost one (the daemon: a USB microphone that enumerates late) instead of
        failing (``listen``: a wrong device name is said at once)."""
        self.config = config
        self.retry_at_start = retry_at_start
        self.down: str | None = None  # why there is no audio now, while retrying
        self.block_samples = check_block_samples(config.block_ms * SAMPLE_RATE // 1000)
        self.stats = CaptureStats()
        self._handover = BlockHandover(config.buffer_blocks)
        self._report = LossReport(self.stats, config.buffer_blocks)
        self._stream: Any = None  # sounddevice.InputStream while open
        self._closed = False

    async def blocks(self) -> AsyncIterator[np.ndarray]:
        if self._closed:
            return
        self._handover.bind(asyncio.get_running_loop())
        try:
            self._open(rescan=False)
        except AudioSourceError as exc:
            if not self.retry_at_start:
                raise
            log.error("microphone unavailable at start: %s", exc)
            await self._reopen(str(exc))
        try:
            while not self._closed:
                block = await self._handover.get(STALL_S)
                if block is not None:
                    self.stats.blocks += 1
                    yield block
                elif not self._closed:
                    await self._reopen(self._handover.lost or "stream ended")
        finally:
            self._close_stream()

    def close(self) -> None:
        self._closed = True
        self._close_stream()
        self._handover.close()

    def _on_block(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's callback (its own thread): hand the block over, count what is lost."""
        lost = False
        if status.input_overflow:
            self.stats.overflows += 1
            lost = True
        if not self._handover.put(indata[:, 0].copy()):
            self.stats.dropped += 1
            lost = True
        if lost:
            self._report.lost()

    def _on_finished(self) -> None:
        """PortAudio's finished callback: the stream stopped (we stopped it, or it died)."""
        if self._stream is not None:  # not a stop we asked for
            self._handover.lose("the input stream stopped (device unplugged or failed?)")

    def _open(self, rescan: bool) -> None:
        sd = _sounddevice()
        if rescan:
            _rescan(sd)
        device = find_input_device(sd, self.config.device)
        self._handover.reset()
        try:
            stream = sd.InputStream(
                samplerate=SAMPLE_RATE,
                channels=1,
                dtype="int16",
                blocksize=self.block_samples,
                device=device,
                callback=self._on_block,
                finished_callback=self._on_finished,
            )
            self._stream = stream
            stream.start()
            if self._closed:  # close() came while this ran on a worker thread
                self._close_stream()
        except sd.PortAudioError as exc:
            self._close_stream()
            raise AudioSourceError(
                f"cannot open input device {_describe(sd, device)} at {SAMPLE_RATE} Hz mono "
                f"int16: {exc}. Pick another voice.capture.device (a 'default', 'pulse' or "
                "'plughw:' device converts the rate for you)"
            ) from exc
        log.info("capturing from %s (%d-sample blocks)", _describe(sd, device), self.block_samples)

    async def _reopen(self, reason: str) -> None:
        """Close the lost stream and retry opening, doubling the wait up to retry_max_s."""
        self.stats.last_error = reason
        self.down = reason
        delay = self.config.retry_initial_s
        log.warning("input device lost: %s; reopening in %.2f s", reason, delay)
        await asyncio.to_thread(self._close_stream)
        while not await self._handover.closed_within(delay):
            self.stats.reopen_attempts += 1
            try:
                await asyncio.to_thread(self._open, True)
            except Exception as exc:  # whatever it is, the device is still gone: keep trying
                self.stats.last_error = self.down = str(exc)
                delay = min(delay * 2, self.config.retry_max_s)
                log.warning(
                    "reopen attempt %d failed: %s; next try in %.2f s",
                    self.stats.reopen_attempts,
                    exc,
                    delay,
                    exc_info=not isinstance(exc, AudioSourceError),  # a surprise: show where
                )
            else:
                log.info("input device back after %d attempt(s)", self.stats.reopen_attempts)
                self.down = None
                return

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None  # None first: _on_finished sees our stop
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception as exc:  # a dead device may refuse to close; it is gone anyway
                log.debug("closing the input stream failed: %s", exc)


def find_input_device(sd: ModuleType, wanted: str | int | None) -> int | None:
    """The PortAudio index for ``wanted`` (an index, a digit string, or a case-insensitive
    part of a name; an exact name wins over partial ones), or None for the default input.

    Raises AudioSourceError naming ``wanted`` and listing the input devices there are.
    """
    try:
        devices = list(sd.query_devices())
        apis = ", ".join(api["name"] for api in sd.query_hostapis())
        problem = f" (PortAudio searched {apis or 'no host APIs'})"
    except sd.PortAudioError as exc:
        devices, problem = [], f" (PortAudio: {exc})"
    inputs = {i: d["name"] for i, d in enumerate(devices) if d["max_input_channels"] > 0}
    if not inputs:
        raise AudioSourceError(
            f"no audio input devices{problem}; voice.capture.device is {wanted!r}. Connect a "
            "microphone (check `arecord -l`) or give an audio file instead"
        )
    listing = ", ".join(f"{i}: {name!r}" for i, name in inputs.items())
    if wanted is None:
        try:
            sd.query_devices(kind="input")
        except sd.PortAudioError as exc:
            raise AudioSourceError(
                f"there is no default input device (PortAudio: {exc}); set "
                f"voice.capture.device to one of: {listing}"
            ) from exc
        return None
    if isinstance(wanted, int) or wanted.isdigit():
        if int(wanted) in inputs:
            return int(wanted)
        raise AudioSourceError(
            f"voice.capture.device {wanted!r} is not an input device index; "
            f"input devices are {listing}"
        )
    matches = [i for i, name in inputs.items() if wanted.lower() in name.lower()]
    exact = [i for i in matches if inputs[i].lower() == wanted.lower()]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    which = "no input device matches" if not matches else f"{len(matches)} input devices match"
    raise AudioSourceError(
        f"{which} voice.capture.device {wanted!r}; input devices are {listing}. "
        "Give an index or a longer part of the name"
    )


def _rescan(sd: ModuleType) -> None:
    """Re-initialise PortAudio so it lists devices again: it lists them only once, and a
    replugged microphone may come back under another index or name. This would also stop any
    other PortAudio stream in the process (edge-assistant has none)."""
    try:
        if sd._initialized:
            sd._terminate()
        sd._initialize()
    except sd.PortAudioError as exc:
        raise AudioSourceError(f"PortAudio could not rescan the audio devices: {exc}") from exc


def _describe(sd: ModuleType, device: int | None) -> str:
    try:
        return repr(sd.query_devices(device, "input")["name"])
    except Exception:
        return "the default input" if device is None else f"device {device}"


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as exc:  # the wheel imports, libportaudio does not load
        raise AudioSourceError(f"PortAudio is missing ({exc}); apt install libportaudio2") from exc
    return sounddevice
