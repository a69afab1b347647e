"""Audio capture: real files of every bad kind, and the real sounddevice path on a fake mic.

There is no microphone here, so the microphone tests give PortAudio one: an ALSA ``file``
plugin that "records" a raw file. ALSA reads its config when PortAudio starts, so those
tests run a small script in a fresh process with HOME pointing at a private ``.asoundrc``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sounddevice as sd
import soundfile as sf
from numpy.lib.stride_tricks import sliding_window_view

from edge_assistant.audio.synthesize import speak
from edge_assistant.capture.audio import AudioSourceError
from edge_assistant.capture.file_source import FileSource, read_audio
from edge_assistant.capture.handover import BlockHandover, LossReport
from edge_assistant.capture.microphone import MicrophoneSource
from edge_assistant.config.voice import CaptureConfig

REPO = Path(__file__).resolve().parents[1]


def tone(rate: int, seconds: float, hz: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def dominant_hz(audio: np.ndarray, rate: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(audio.astype(np.float64)))
    return float(np.fft.rfftfreq(len(audio), 1 / rate)[np.argmax(spectrum)])


def offset_in(haystack: np.ndarray, needle: np.ndarray) -> int | None:
    """Where ``needle`` first occurs exactly in ``haystack``."""
    hits = np.flatnonzero((sliding_window_view(haystack, len(needle)) == needle).all(axis=1))
    return int(hits[0]) if len(hits) else None


# --- files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rate", "channels", "subtype"),
    [
        ("tone.wav", 44100, 2, "FLOAT"),
        ("tone.flac", 48000, 3, "PCM_16"),
        ("tone.wav", 8000, 1, "PCM_24"),
    ],
)
def test_read_audio_converts_to_16k_mono_int16(tmp_path, caplog, name, rate, channels, subtype):
    mono = tone(rate, 1.0)
    # channels at different levels, so a downmix that took one channel would be caught
    frames = np.stack([mono * (1 - 0.5 * c / channels) for c in range(channels)], axis=1)
    path = tmp_path / name
    sf.write(path, frames, rate, subtype=subtype)
    caplog.set_level(logging.INFO)

    audio = read_audio(path)

    assert audio.dtype == np.int16 and audio.ndim == 1
    assert len(audio) == 16000
    assert dominant_hz(audio) == pytest.approx(440, abs=1)
    level = frames.mean(axis=1).std() * 32768  # RMS of the mean channel
    assert audio[100:-100].std() == pytest.approx(level, rel=0.02)
    assert (f"resampling {rate} Hz to 16000 Hz" in caplog.text) == (rate != 16000)
    assert (f"mixed {channels} channels down to mono" in caplog.text) == (channels > 1)


def test_16k_mono_int16_file_is_read_unchanged(tmp_path, caplog):
    clip = speak("turn on the light")
    path = tmp_path / "speech.wav"
    sf.write(path, clip.audio, 16000, subtype="PCM_16")
    caplog.set_level(logging.INFO)
    assert np.array_equal(read_audio(path), clip.audio)
    assert caplog.text == ""  # nothing converted, nothing clipped


def png_bytes() -> bytes:
    """A valid 1x1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def cut(path: Path, keep: float) -> Path:
    """A real 1 s file with only the first ``keep`` of its bytes left."""
    sf.write(path, tone(16000, 1.0), 16000, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def made(path: Path, write: Callable[[Path], object]) -> Path:
    write(path)
    return path


BAD_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (lambda d: d / "nothing.wav", "no such file"),
    "directory": (lambda d: made(d / "folder.wav", Path.mkdir), "not a file"),
    "empty": (lambda d: made(d / "empty.wav", lambda p: p.write_bytes(b"")), "empty (0 bytes)"),
    "no frames": (
        lambda d: made(d / "none.wav", lambda p: sf.write(p, np.zeros(0, np.int16), 16000)),
        "0 frames",
    ),
    # a 44-byte header promising 32000 bytes of samples, cut to 16022 bytes in all
    "truncated wav": (lambda d: cut(d / "cut.wav", 0.5), "truncated WAV, 16022 bytes"),
    "truncated flac": (lambda d: cut(d / "cut.flac", 0.5), "corrupt or truncated"),
    "text": (
        lambda d: made(d / "notes.wav", lambda p: p.write_text("turn on the light\n" * 20)),
        "cannot be read as audio (Format not recognised.)",
    ),
    "png": (
        lambda d: made(d / "photo.png", lambda p: p.write_bytes(png_bytes())),
        "cannot be read as audio (Format not recognised.)",
    ),
    "nan": (
        lambda d: made(
            d / "nan.wav",
            lambda p: sf.write(
                p, np.array([0.1, np.nan, 0.2, np.inf] * 100, np.float32), 16000, subtype="FLOAT"
            ),
        ),
        "200 samples are NaN or infinite (first at 0.000 s)",
    ),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_files_say_which_file_and_what_is_wrong(tmp_path, kind):
    make, reason = BAD_FILES[kind]
    path = make(tmp_path)
    with pytest.raises(AudioSourceError) as err:
        read_audio(path)
    assert str(path) in str(err.value)
    assert reason in str(err.value)
    with pytest.raises(AudioSourceError):
        FileSource(path)


def test_clipped_samples_are_counted_and_the_audio_still_used(tmp_path, caplog):
    audio = np.full(1600, 0.1, np.float32)
    audio[:100] = 1.5  # past full scale: only a float file can hold these
    audio[100:150] = -1.0
    path = tmp_path / "loud.wav"
    sf.write(path, audio, 16000, subtype="FLOAT")

    out = read_audio(path)

    assert "150 samples (9.38%) at or past full scale" in caplog.text
    assert out[:100].tolist() == [32767] * 100
    assert out[100:150].tolist() == [-32768] * 50
    assert np.all(out[150:] == round(0.1 * 32768))


# --- the file source ---------------------------------------------------------------------


async def collect(source: FileSource, stall_at: int | None = None) -> tuple[list, list[float]]:
    """Every block and when it arrived (loop time since the start)."""
    loop = asyncio.get_running_loop()
    start, blocks, arrivals = loop.time(), [], []
    async for block in source.blocks():
        arrivals.append(loop.time() - start)
        blocks.append(block)
        if len(blocks) == stall_at:
            time.sleep(0.06)  # a consumer busy for three blocks' time, holding the loop
    return blocks, arrivals


def test_file_source_blocks_with_the_last_one_padded(tmp_path):
    samples = np.arange(1000, dtype=np.int16)
    path = tmp_path / "ramp.wav"
    sf.write(path, samples, 16000, subtype="PCM_16")
    source = FileSource(path, block_samples=320)

    started = time.monotonic()
    blocks, _ = asyncio.run(collect(source))

    assert time.monotonic() - started < 0.5  # not paced
    assert [len(b) for b in blocks] == [320] * 4
    assert all(b.dtype == np.int16 for b in blocks)
    joined = np.concatenate(blocks)
    assert np.array_equal(joined[:1000], samples) and not joined[1000:].any()
    assert source.stats.blocks == 4


def test_realtime_file_source_keeps_wall_clock_pace_without_drift(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, tone(16000, 0.4), 16000, subtype="PCM_16")  # 20 blocks of 20 ms
    source = FileSource(path, block_samples=320, realtime=True)

    blocks, arrivals = asyncio.run(collect(source, stall_at=5))

    assert len(blocks) == 20
    due = [0.02 * (i + 1) for i in range(20)]
    assert all(t >= d - 0.002 for t, d in zip(arrivals, due, strict=True))  # never early
    # the 60 ms stall after block 5 is caught up: the schedule is absolute, not relative
    assert arrivals[-1] == pytest.approx(0.4, abs=0.03)
    assert arrivals[5] == pytest.approx(arrivals[4] + 0.06, abs=0.015)  # late ones come at once


def test_file_source_close_ends_blocks(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, tone(16000, 1.0), 16000, subtype="PCM_16")
    source = FileSource(path)

    async def first_three() -> int:
        count = 0
        async for _ in source.blocks():
            count += 1
            if count == 3:
                source.close()
        return count

    assert asyncio.run(first_three()) == 3


@pytest.mark.parametrize("block_samples", [319, 513])
def test_block_length_outside_20_to_32_ms_is_refused(tmp_path, block_samples):
    path = tmp_path / "tone.wav"
    sf.write(path, tone(16000, 0.1), 16000)
    with pytest.raises(ValueError, match=f"block_samples={block_samples}: must be 320..512"):
        FileSource(path, block_samples=block_samples)


# --- the microphone's hand-over, driven the way PortAudio's thread drives it ----------------


def test_full_handover_drops_the_newest_block_counts_and_warns(caplog):
    source = MicrophoneSource(CaptureConfig(buffer_blocks=4))
    overflow = sd.CallbackFlags()
    overflow.input_overflow = True

    def portaudio_thread() -> None:
        for i in range(10):
            block = np.full((512, 1), i, np.int16)
            source._on_block(block, 512, None, overflow if i == 9 else sd.CallbackFlags())

    thread = threading.Thread(target=portaudio_thread)
    thread.start()
    thread.join()

    assert (source.stats.dropped, source.stats.overflows) == (6, 1)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    # every loss came within a second of the first: one warning, at the first drop
    assert warnings == [
        "audio lost so far: 1 blocks dropped (hand-over buffer of 4 blocks full: the "
        "consumer is too slow), 0 input overflows reported by PortAudio"
    ]

    async def drain() -> list[int]:
        source._handover.bind(asyncio.get_running_loop())
        kept = []
        while (block := await source._handover.get(timeout=0.05)) is not None:
            kept.append(int(block[0]))
        return kept

    assert asyncio.run(drain()) == [0, 1, 2, 3]  # what was queued stays contiguous


def test_loss_report_is_rate_limited_with_running_totals(caplog):
    source = MicrophoneSource(CaptureConfig(buffer_blocks=4))
    now = [0.0]
    report = LossReport(source.stats, 4, every_s=1.0, clock=lambda: now[0])
    for t in (0.0, 0.5, 0.99, 1.0, 1.5, 2.2):
        now[0] = t
        source.stats.dropped += 1
        report.lost()
    dropped = [int(re.search(r"so far: (\d+) blocks", r.getMessage())[1]) for r in caplog.records]
    assert dropped == [1, 4, 6]


def test_handover_reports_a_silent_stream_and_wakes_on_close():
    async def scenario() -> tuple[np.ndarray | None, str | None, bool, float]:
        handover = BlockHandover(4)
        handover.bind(asyncio.get_running_loop())
        silent = await handover.get(timeout=0.05)
        reason = handover.lost
        threading.Timer(0.05, handover.close).start()  # close() from another thread
        started = time.monotonic()
        closed = await handover.closed_within(5.0)
        return silent, reason, closed, time.monotonic() - started

    silent, reason, closed, waited = asyncio.run(scenario())
    assert silent is None and reason == "no audio for 0.05 s"
    assert closed and waited < 1.0


# --- the microphone on a fake ALSA device, in a fresh process --------------------------------

PRELUDE = """
import asyncio, json, logging, os, sys, time
from contextlib import aclosing
from dataclasses import asdict

import numpy as np
import sounddevice as sd

from edge_assistant.capture.audio import AudioSourceError
from edge_assistant.capture.microphone import MicrophoneSource
from edge_assistant.config.voice import CaptureConfig

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
ARGS = json.loads(sys.argv[1])


def done(source, blocks, **extra):
    if blocks:
        np.save(ARGS["out"], np.stack(blocks))
    print(json.dumps({"stats": asdict(source.stats), "blocks": len(blocks), **extra}))
"""


def asoundrc(devices: dict[str, Path]) -> str:
    """ALSA config: each device "records" its raw S16_LE file; default is the first one.

    The ``file`` plugin needs an output ``file`` even for capture ("file is not defined"
    otherwise); its ``null`` slave accepts 16 kHz mono int16 as is and never blocks, so
    PortAudio gets the file's samples as fast as it asks for them.
    """
    config = f'pcm.!default {{\n  type plug\n  slave.pcm "{next(iter(devices))}"\n}}\n'
    for name, raw in devices.items():
        config += (
            f'pcm.{name} {{\n  type file\n  slave.pcm "null"\n  file "/dev/null"\n'
            f'  infile "{raw}"\n  format "raw"\n}}\n'
        )
    return config


def fake_mic(tmp_path: Path, audio: dict[str, np.ndarray]) -> Path:
    """A HOME whose .asoundrc has one fake microphone per entry; returns the HOME."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    devices = {}
    for name, samples in audio.items():
        devices[name] = home / f"{name}.raw"
        samples.astype("<i2").tofile(devices[name])
    (home / ".asoundrc").write_text(asoundrc(devices))
    return home


def run_snippet(home: Path, body: str, **args) -> tuple[dict, np.ndarray | None, str]:
    """Run PRELUDE + ``body`` with HOME=``home``; its JSON result, its blocks, its log."""
    out = home / "blocks.npy"
    env = {k: v for k, v in os.environ.items() if k != "ALSA_CONFIG_PATH"}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            PRELUDE + textwrap.dedent(body),
            json.dumps({**args, "out": str(out)}),
        ],
        env={**env, "HOME": str(home)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    blocks = np.load(out) if out.exists() else None
    return json.loads(proc.stdout.splitlines()[-1]), blocks, proc.stderr


READ = """
async def main():
    device = ARGS["device"]
    if "index_of" in ARGS:
        names = [d["name"] for d in sd.query_devices()]
        device = names.index(ARGS["index_of"])
    source = MicrophoneSource(CaptureConfig(device=device, buffer_blocks=ARGS["buffer"]))
    blocks = []
    async with aclosing(source.blocks()) as stream:
        async for block in stream:
            blocks.append(block)
            if len(blocks) == 1:
                await asyncio.sleep(ARGS["stall_s"])  # the consumer busy elsewhere
            if len(blocks) == ARGS["n"]:
                break
    done(source, blocks)

asyncio.run(main())
"""


@pytest.mark.parametrize(
    "pick",
    [{"device": None}, {"device": "FakeMic"}, {"device": None, "index_of": "fakemic"}],
    ids=["default", "name-part", "index"],
)
def test_fake_microphone_delivers_the_files_samples(tmp_path, pick):
    clip = speak("turn on the kitchen light")
    home = fake_mic(tmp_path, {"fakemic": clip.audio})

    result, blocks, log = run_snippet(home, READ, n=40, buffer=64, stall_s=0, **pick)

    assert result["blocks"] == result["stats"]["blocks"] == 40
    assert blocks.shape == (40, 512) and blocks.dtype == np.int16
    start = offset_in(clip.audio, blocks[0])
    assert start is not None, "the first block is not in the file"
    assert np.array_equal(blocks.ravel(), clip.audio[start : start + 40 * 512])
    assert re.search(r"INFO capturing from '(default|fakemic)' \(512-sample blocks\)", log)


def test_slow_consumer_on_the_fake_microphone_loses_counted_and_logged_blocks(tmp_path):
    clip = speak("turn on the kitchen light")
    home = fake_mic(tmp_path, {"fakemic": clip.audio})

    result, blocks, log = run_snippet(home, READ, device="fakemic", n=5, buffer=4, stall_s=0.3)

    # the fake device delivers far faster than real time: the first four blocks fill the
    # buffer and are kept, later ones are dropped while the consumer sleeps
    assert result["stats"]["dropped"] > 0
    assert result["stats"]["blocks"] == 5
    assert np.array_equal(blocks[:4].ravel(), clip.audio[: 4 * 512])
    assert re.search(r"WARNING audio lost so far: [1-9]\d* blocks dropped", log)


def test_unknown_device_name_lists_the_input_devices(tmp_path):
    home = fake_mic(tmp_path, {"fakemic": np.zeros(16000, np.int16)})
    body = """
    async def main():
        source = MicrophoneSource(CaptureConfig(device="does-not-exist"))
        try:
            await anext(source.blocks())
        except AudioSourceError as exc:
            print(json.dumps({"error": str(exc)}))

    asyncio.run(main())
    """
    result, _, _ = run_snippet(home, body)
    assert result["error"].startswith(
        "no input device matches voice.capture.device 'does-not-exist'; input devices are "
    )
    assert "'fakemic'" in result["error"] and "'default'" in result["error"]


def test_no_input_devices_at_all_says_so(tmp_path):
    home = tmp_path / "home"
    home.mkdir()  # no .asoundrc: the machine's own devices
    body = """
    async def main():
        names = [d["name"] for d in sd.query_devices() if d["max_input_channels"]]
        try:
            await anext(MicrophoneSource(CaptureConfig()).blocks())
        except AudioSourceError as exc:
            print(json.dumps({"inputs": names, "error": str(exc)}))
        else:
            print(json.dumps({"inputs": names}))

    asyncio.run(main())
    """
    result, _, _ = run_snippet(home, body)
    if result["inputs"]:
        pytest.skip(f"this machine has audio inputs: {result['inputs']}")
    error = result["error"]
    assert error.startswith("no audio input devices (PortAudio searched ALSA"), error
    assert "voice.capture.device is None" in error


LOSS = """
HOME = os.environ["HOME"]


class Unplugged(MicrophoneSource):
    \"\"\"Pulled out after 5 blocks: its stream aborts, and when it comes back it has
    another name (``fakemic_b``, which PortAudio only sees after a rescan).\"\"\"

    callbacks = 0

    def _on_block(self, indata, frames, time_info, status):
        self.callbacks += 1
        if self.callbacks == 6:
            with open(f"{HOME}/.asoundrc", "w") as rc:
                rc.write(ARGS["unplugged_asoundrc"])
            raise sd.CallbackAbort  # what PortAudio's stream does when the device fails
        super()._on_block(indata, frames, time_info, status)


async def plug_in_or_give_up(source):
    while source.stats.reopen_attempts < 3:
        await asyncio.sleep(0.01)
    if ARGS["replug"]:
        os.rename(f"{HOME}/b.pending", f"{HOME}/fakemic_b.raw")
    else:
        source.close()
        return time.monotonic()


async def main():
    config = CaptureConfig(device="fakemic", buffer_blocks=4096, retry_initial_s=0.05,
                           retry_max_s=0.2)
    source = Unplugged(config)
    blocks = []
    helper = asyncio.create_task(plug_in_or_give_up(source))
    async with aclosing(source.blocks()) as stream:
        async for block in stream:
            blocks.append(block)
            if len(blocks) == 25:
                break
    ended = time.monotonic()
    closed = await asyncio.wait_for(helper, 5)  # fails if there were never 3 reopen attempts
    done(source, blocks, after_close_s=None if closed is None else ended - closed)

asyncio.run(main())
"""


@pytest.mark.parametrize("replug", [True, False], ids=["comes-back", "never-comes-back"])
def test_lost_device_is_reopened_with_backoff(tmp_path, replug):
    first, second = speak("turn on the light"), speak("turn off the light", seed=1)
    home = fake_mic(tmp_path, {"fakemic": first.audio})
    second.audio.astype("<i2").tofile(home / "b.pending")  # not plugged in yet
    unplugged = asoundrc({"fakemic_b": home / "fakemic_b.raw"})

    result, blocks, log = run_snippet(home, LOSS, unplugged_asoundrc=unplugged, replug=replug)

    stats = result["stats"]
    assert np.array_equal(blocks[:5].ravel(), first.audio[: 5 * 512])
    assert "input device lost: the input stream stopped" in log
    waits = [
        float(s) for s in re.findall(r"reopen attempt \d failed: .*; next try in ([\d.]+) s", log)
    ]
    assert waits == [0.1, 0.2, 0.2]  # doubling from 0.05, capped at retry_max_s
    assert "'fakemic'" in stats["last_error"]  # no device of that name (for now)
    if replug:
        assert stats["reopen_attempts"] == 4 and stats["blocks"] == 25
        start = offset_in(second.audio, blocks[5])
        assert start is not None, "blocks after the reopen are not from the replugged device"
        assert np.array_equal(blocks[5:].ravel(), second.audio[start : start + 20 * 512])
        assert "capturing from 'fakemic_b'" in log and "back after 4 attempt(s)" in log
    else:
        assert stats["reopen_attempts"] == 3 and stats["blocks"] == len(blocks) == 5
        assert result["after_close_s"] < 0.1  # close() cut the 0.2 s backoff short


# -- typed commands (run --text-file) ---------------------------------------------------------


def test_text_source_gives_commands_and_explains_bad_files(tmp_path: Path) -> None:
    from edge_assistant.capture.text_source import MAX_LINE_CHARS, TextSource, TextSourceError

    path = tmp_path / "commands.txt"
    huge = "x" * (3 * MAX_LINE_CHARS)
    path.write_text(f"# a comment\n\n  turn on the light  \n{huge}\nwhat time is it")

    async def read() -> list[str]:
        return [line async for line in TextSource(path).lines()]

    lines = asyncio.run(read())
    assert lines == ["turn on the light", "x" * MAX_LINE_CHARS, "what time is it"]
    binary = tmp_path / "model.onnx"
    binary.write_bytes(b"\x08\x07\x12\x00\xff\xfe" * 10)
    for bad, why in ((tmp_path / "missing.txt", "no such file"), (binary, "not UTF-8")):
        with pytest.raises(TextSourceError, match=why) as raised:
            TextSource(bad)
        assert str(bad) in str(raised.value)
