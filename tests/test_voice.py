"""The voice path end to end on real espeak-ng speech: listener, wake word gating, two-pass
ASR, the listen / transcribe commands, and the errors a user can cause."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from edge_assistant.audio.asr import AsrError, load_engine
from edge_assistant.audio.asr.base import AsrEngine, Stream, Transcript
from edge_assistant.audio.asr.pronounce import derive, pronunciations, read_dictionary
from edge_assistant.audio.asr.two_pass import TwoPassRecognizer
from edge_assistant.audio.listener import Listener, SpeechEvent, TranscriptEvent, WakeEvent
from edge_assistant.audio.synthesize import concatenate, silence, speak
from edge_assistant.audio.vad import SileroVad
from edge_assistant.audio.wakeword import load_wake_word
from edge_assistant.config.device import load_device_config
from edge_assistant.config.voice import (
    MicroWakeConfig,
    PocketsphinxConfig,
    WakeModel,
    WhisperConfig,
)
from edge_assistant.errors import ConfigError
from edge_assistant.home import load_home
from tests.conftest import REPO

HOME_FILE = REPO / "examples" / "home.yaml"
HOME = load_home(HOME_FILE)


@pytest.fixture(scope="module")
def grammar() -> TwoPassRecognizer:
    return TwoPassRecognizer(load_engine(PocketsphinxConfig(type="pocketsphinx"), HOME), None)


def events_of(listener: Listener, audio: np.ndarray) -> list:
    events = []
    for i in range(0, len(audio), 512):
        events += listener.process(audio[i : i + 512])
    return events + listener.flush()


def make_listener(models_dir: Path, recognizer, wake=None, **vad: int) -> Listener:
    """cpu.yaml's voice path; no wake word unless ``wake`` (the audio is bare commands)."""
    device = load_device_config("cpu").with_wake_word("none")
    voice = device.config.voice
    if wake is not None:
        voice = voice.model_copy(update={"wake_word": wake})
    if vad:
        voice = voice.model_copy(update={"vad": voice.vad.model_copy(update=vad)})
    vad = SileroVad.from_config(device, models_dir)
    return Listener(voice, vad, load_wake_word(voice.wake_word), recognizer)


def test_listener_hears_two_commands_and_has_text_soon_after_each(
    models_dir: Path, grammar: TwoPassRecognizer
) -> None:
    first, second = speak("turn on the kitchen light"), speak("lock the front door", seed=1)
    audio, spans = concatenate([first, silence(0.5), second])
    events = events_of(make_listener(models_dir, grammar), audio)
    transcripts = [e for e in events if isinstance(e, TranscriptEvent)]
    assert [t.recognition.text for t in transcripts] == [
        "turn on the kitchen light",
        "lock the front door",
    ]
    for transcript, (_, end) in zip(transcripts, spans, strict=True):
        assert transcript.recognition.engine == "pocketsphinx"
        assert 0 < transcript.latency_ms(end) < 400  # generous: timing is the bench's job
    starts = [e.sample for e in events if isinstance(e, SpeechEvent) and e.kind == "start"]
    assert len(starts) == 2 and starts[0] <= spans[0][0]


def test_a_command_ends_as_soon_as_nothing_can_follow_it(
    models_dir: Path, grammar: TwoPassRecognizer
) -> None:
    """Audio time, not wall time: a whole command that nothing in the grammar can extend
    ends at the short silence; one that longer commands begin with waits the longer one, so
    a speaker's pause before "in the kitchen" does not cut the command in two."""
    silences = {"end_silence_ms": 64, "extend_silence_ms": 192, "max_silence_ms": 400}

    def waited_ms(*parts) -> list[tuple[str, float]]:
        audio, _ = concatenate([*parts, silence(0.8)])
        events = events_of(make_listener(models_dir, grammar, **silences), audio)
        return [
            (e.recognition.text, (e.decided - e.speech_end) / 16)
            for e in events
            if isinstance(e, TranscriptEvent)
        ]

    assert waited_ms(speak("turn off the kitchen lights")) == [("turn off the kitchen lights", 64)]
    assert waited_ms(speak("turn on the lights")) == [("turn on the lights", 192)]
    lights = speak("turn on the lights", tail_s=0.0)
    kitchen = speak("in the kitchen", lead_s=0.12)
    assert [text for text, _ in waited_ms(lights, kitchen)] == ["turn on the lights in the kitchen"]


def test_wake_word_gates_commands(models_dir: Path, grammar: TwoPassRecognizer) -> None:
    wake = MicroWakeConfig(type="micro", models=[WakeModel(model="okay_nabu")])
    command = speak("turn on the kitchen light", tail_s=0.8)
    unwoken = events_of(make_listener(models_dir, grammar, wake), command.audio)
    assert not [e for e in unwoken if isinstance(e, TranscriptEvent)]
    phrase = speak("okay nabu", "en-us+klatt2", lead_s=0.5, tail_s=0.4)
    audio, _ = concatenate([phrase, command])
    events = events_of(make_listener(models_dir, grammar, wake), audio)
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("WakeEvent") < kinds.index("TranscriptEvent")
    assert [e.recognition.text for e in events if isinstance(e, TranscriptEvent)] == [
        "turn on the kitchen light"
    ]
    assert [e.detection.name for e in events if isinstance(e, WakeEvent)] == ["okay_nabu"]


def test_second_pass_runs_on_what_the_grammar_rejects() -> None:
    strict = load_engine(PocketsphinxConfig(type="pocketsphinx", min_score=0.0), HOME)
    whisper = load_engine(WhisperConfig(type="whisper"), HOME)
    recognizer = TwoPassRecognizer(strict, whisper)
    result = recognizer.transcribe(speak("turn on the kitchen light", "en-us+klatt4").audio)
    assert [p.engine for p in result.passes] == ["pocketsphinx", "whisper"]
    assert not result.passes[0].accepted and result.passes[0].reason
    assert result.engine == "whisper" and "kitchen" in result.text
    assert json.loads(json.dumps(result.to_json()))["passes"][1]["engine"] == "whisper"


def test_missing_pronunciations_are_derived_or_named() -> None:
    import pocketsphinx

    cmudict = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    words = read_dictionary(cmudict)
    assert derive("nightlight", words) == f"{words['night']} {words['light']}"
    assert derive("wheres", words) == words["where's"]
    assert derive("awnings", words).endswith("Z")
    with pytest.raises(AsrError, match=r"xqzzv.*pronunciations"):
        pronunciations(["light", "xqzzv"], words, {}, "voice.asr.grammar.pronunciations")
    assert pronunciations(["xqzzv"], words, {"xqzzv": "K S"}, "x") == {"xqzzv": "K S"}


def test_voice_config_errors_name_the_key(tmp_path: Path) -> None:
    text = (REPO / "device_configs" / "cpu.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text.replace("grammar: {type: pocketsphinx}", "grammar: {type: pocketsphinx, beam: 3}")
    )
    with pytest.raises(ConfigError, match="beam"):
        load_device_config(bad)
    assert "type: micro\n" in text
    bad.write_text(text.replace("type: micro\n", "type: snowboy\n"))
    with pytest.raises(ConfigError, match=r"snowboy|micro"):
        load_device_config(bad)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_assistant", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_transcribe_and_listen_commands(tmp_path: Path, models_dir: Path) -> None:
    wav = tmp_path / "cmd.wav"
    sf.write(wav, speak("set the bedroom light to fifty percent").audio, 16000)
    proc = cli("transcribe", str(wav), "--engine", "pocketsphinx", "--home", str(HOME_FILE))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["engine"] == "pocketsphinx" and result["accepted"]
    assert "bedroom" in result["text"] and "fifty percent" in result["text"]
    proc = cli(
        "listen", "--audio-file", str(wav), "--models-dir", str(models_dir), "--wake-word", "none"
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["event"] for line in lines] == ["speech_start", "speech_end", "transcript"]
    assert lines[-1]["engine"] == "pocketsphinx"


@pytest.mark.parametrize("content", [b"", b"not audio at all", b"RIFF\x00\x00"])
def test_bad_audio_files_give_clear_errors(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    proc = cli("transcribe", str(bad), "--engine", "pocketsphinx")
    assert proc.returncode == 2
    assert "bad.wav" in proc.stderr and "Traceback" not in proc.stderr


def test_vosk_engine_must_be_configured_for_transcribe(tmp_path: Path) -> None:
    wav = tmp_path / "cmd.wav"
    sf.write(wav, speak("lock the front door").audio, 16000)
    proc = cli("transcribe", str(wav), "--engine", "vosk")
    assert proc.returncode == 2 and "model_dir" in proc.stderr


def test_garbage_model_rejects_speech_that_is_not_a_command() -> None:
    plain = load_engine(PocketsphinxConfig(type="pocketsphinx"), HOME)
    guarded = load_engine(PocketsphinxConfig(type="pocketsphinx", garbage_model=True), HOME)
    chatter = [
        speak(text, voice).audio
        for text in ("my sister bought a new car on friday", "the doctor said it will rain")
        for voice in ("en-us+klatt2", "en-us+klatt4")
    ]
    accepted = [sum(e.transcribe(a).accepted for a in chatter) for e in (plain, guarded)]
    assert accepted[0] > 0  # the plain grammar forces chatter onto commands...
    assert accepted[1] < accepted[0]  # ...the garbage model rejects more of it
    command = guarded.transcribe(speak("turn on the kitchen light").audio)
    assert command.accepted and command.text == "turn on the kitchen light"


def test_pocketsphinx_recovers_an_utterance_left_open_or_cancelled(
    grammar: TwoPassRecognizer,
) -> None:
    """One decoder, one utterance at a time: a stream dropped without finish (the burst bug)
    or cancelled must not make the next start_utt fail."""
    engine = grammar.grammar
    assert engine is not None
    audio = speak("turn on the kitchen light").audio
    engine.transcribe(audio)  # a fresh decoder's first utterance adapts its cepstral mean
    left_open = engine.stream()
    left_open.feed(audio[:4000])  # then forgotten, as the listener's discard path did
    after = engine.stream()
    after.feed(audio)
    assert after.finish().text == "turn on the kitchen light"
    cancelled = engine.stream()
    cancelled.feed(audio[:4000])
    cancelled.cancel()
    cancelled.cancel()  # idempotent
    assert engine.transcribe(audio).text == "turn on the kitchen light"
    with pytest.raises(AsrError, match="finished"):
        cancelled.finish()


class FailingOnce(AsrEngine):
    """The real pocketsphinx engine, except that the ``fail_at``-th utterance raises in the
    middle of its audio (a native library error that no clean input reproduces)."""

    name = "pocketsphinx"

    def __init__(self, engine: AsrEngine, fail_at: int) -> None:
        self.engine, self.fail_at, self.started = engine, fail_at, 0

    def stream(self) -> Stream:
        self.started += 1
        inner, failing = self.engine.stream(), self.started == self.fail_at

        class Failing(Stream):
            def feed(self, block: np.ndarray) -> None:
                if failing:
                    raise RuntimeError("decoder state corrupt")
                inner.feed(block)

            def finish(self) -> Transcript:
                return inner.finish()

            def cancel(self) -> None:
                inner.cancel()

            def status(self):
                return inner.status()

        return Failing()


def test_an_engine_error_drops_one_utterance_and_hearing_goes_on(
    models_dir: Path, grammar: TwoPassRecognizer
) -> None:
    assert grammar.grammar is not None
    recognizer = TwoPassRecognizer(FailingOnce(grammar.grammar, fail_at=2), None)
    listener = make_listener(models_dir, recognizer)
    texts = ["turn on the kitchen light", "close the kitchen blind", "turn off the kitchen light"]
    parts = [silence(0.5)]
    for index, text in enumerate(texts):
        parts += [speak(text, seed=index), silence(1.0)]
    audio, _ = concatenate(parts)
    events = [e for e in events_of(listener, audio) if isinstance(e, TranscriptEvent)]
    assert [e.recognition.text for e in events] == [texts[0], "", texts[2]]
    failed = events[1].recognition
    assert not failed.accepted and failed.error == "RuntimeError: decoder state corrupt"
    assert failed.reason == "recognizer error: RuntimeError: decoder state corrupt"
    assert listener.errors == 1
