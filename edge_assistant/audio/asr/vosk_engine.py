"""Vosk (Kaldi): limited to the home's commands (``grammar``) or open vocabulary (``free``).

A Vosk "grammar" is not a finite-state grammar: Vosk estimates a bigram language model (with
backoff) from the phrase list, so the decoder hears any sequence of the listed words, only
weighted towards the listed word pairs. That is why the home's grammar is handed over as
sentences covering every word pair it allows (``PhraseGraph.cover``), not as a bag of words
(a bag gives no word order at all), and why a result is accepted only when it is a whole
sentence of the grammar, with mean word confidence at least ``min_confidence``.

Words the model does not know are dropped by Vosk with only a log line, which would make
commands silently impossible to say; here they are checked with the model and named.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from edge_assistant.audio.asr.base import SAMPLE_RATE, AsrEngine, AsrError, Stream, Transcript
from edge_assistant.audio.asr.phrase_graph import PhraseGraph
from edge_assistant.config.voice import VoskConfig
from edge_assistant.home.model import Home
from edge_assistant.understanding.grammar import build_jsgf

if TYPE_CHECKING:
    import vosk

log = logging.getLogger(__name__)

NAME = "vosk"
INSTALL_HINT = (
    "download a model from https://alphacephei.com/vosk/models (a small or -lgraph model for "
    "grammar mode), unpack it and set voice.asr.<engine>.model_dir to the unpacked folder"
)
# The word a model uses for out-of-vocabulary speech, by model family; some have none.
UNKNOWN_WORDS = ("[unk]", "<UNK>", "<unk>")
_NON_WORD = re.compile(r"^(\[.*\]|<.*>)$")  # [unk], <UNK>, noise marks such as [4]
_WARMUP_S = 0.5
_POOL_SIZE = 2  # idle recognizers kept for reuse; more are made when streams overlap
_models: weakref.WeakValueDictionary[tuple[str, int], vosk.Model] = weakref.WeakValueDictionary()
_models_lock = threading.Lock()


class VoskEngine(AsrEngine):
    name = NAME

    def __init__(self, config: VoskConfig, model: vosk.Model, phrases: list[str] | None) -> None:
        self.config = config
        self.model = model
        self.phrases = phrases  # what Vosk is given in grammar mode; None in free mode
        self.graph: PhraseGraph | None = None
        self._grammar_json = json.dumps(phrases, ensure_ascii=False) if phrases else None
        self._pool: list[vosk.KaldiRecognizer] = []
        self._lock = threading.Lock()
        self._closed = False
        # The first decode of a recognizer expands its lazily composed graph (about a second
        # in free mode); do it now rather than on the first command.
        warm = self._acquire()
        warm.AcceptWaveform(np.zeros(int(_WARMUP_S * SAMPLE_RATE), np.int16).tobytes())
        warm.FinalResult()
        self._release(warm)

    def stream(self) -> Stream:
        return _VoskStream(self, self._acquire())

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._pool.clear()

    def _acquire(self) -> vosk.KaldiRecognizer:
        with self._lock:
            if self._pool:
                return self._pool.pop()
        import vosk

        if self._grammar_json is None:
            recognizer = vosk.KaldiRecognizer(self.model, SAMPLE_RATE)
        else:
            recognizer = vosk.KaldiRecognizer(self.model, SAMPLE_RATE, self._grammar_json)
        recognizer.SetWords(True)
        # Alternatives would replace the per-word confidences the acceptance test reads.
        recognizer.SetMaxAlternatives(0)
        return recognizer

    def _release(self, recognizer: vosk.KaldiRecognizer) -> None:
        # Only after FinalResult: it starts the next utterance from scratch (Reset() does
        # not; it keeps the audio already fed to the feature pipeline).
        with self._lock:
            if not self._closed and len(self._pool) < _POOL_SIZE:
                self._pool.append(recognizer)


class _VoskStream(Stream):
    def __init__(self, engine: VoskEngine, recognizer: vosk.KaldiRecognizer) -> None:
        self.engine = engine
        self.recognizer = recognizer
        self.decode_ms = 0.0
        self.done = False

    def feed(self, block: np.ndarray) -> None:
        if self.done:  # its recognizer may already decode another utterance
            raise AsrError("this vosk stream is finished; start another with engine.stream()")
        start = time.perf_counter()
        # The endpoint flag is ignored: the VAD already cut one utterance, decode it whole.
        self.recognizer.AcceptWaveform(np.ascontiguousarray(block, dtype=np.int16).tobytes())
        self.decode_ms += (time.perf_counter() - start) * 1000

    def cancel(self) -> None:
        """Drop the utterance: FinalResult clears the recognizer (Reset() would keep the
        audio already in its feature pipeline), then it goes back to the pool."""
        if self.done:
            return
        self.done = True
        try:
            self.recognizer.FinalResult()
        except Exception:  # a broken recognizer is not reused
            log.warning("vosk: a cancelled recognizer failed to clear; dropping it")
            return
        self.engine._release(self.recognizer)

    def finish(self) -> Transcript:
        if self.done:
            raise AsrError("this vosk stream is finished; start another with engine.stream()")
        start = time.perf_counter()
        result = json.loads(self.recognizer.FinalResult())
        self.done = True
        self.engine._release(self.recognizer)
        timings = {"decode": self.decode_ms, "finalize": (time.perf_counter() - start) * 1000}
        return _transcript(result, self.engine, timings)


def _transcript(result: dict, engine: VoskEngine, timings: dict[str, float]) -> Transcript:
    tokens = [(w["word"], float(w["conf"])) for w in result.get("result", [])]
    kept = [(word.lower(), conf) for word, conf in tokens if not _NON_WORD.match(word)]
    words = [word for word, _ in kept]
    score = float(np.mean([conf for _, conf in kept])) if kept else 0.0
    text = " ".join(words)
    minimum = engine.config.min_confidence
    if not text:
        reason = "nothing recognised" if not tokens else "only unknown words"
    elif engine.graph is not None and len(words) < len(tokens):
        reason = "part of the speech is outside the grammar"
    elif engine.graph is not None and not engine.graph.accepts(words):
        reason = "not a whole sentence of the grammar"
    elif score < minimum:
        reason = f"confidence {score:.2f} below min_confidence {minimum}"
    else:
        reason = ""
    return Transcript(text, NAME, not reason, score, timings=timings, reason=reason)


def load(config: VoskConfig, home: Home | None) -> VoskEngine:
    model_dir = Path(config.model_dir).expanduser()
    if config.mode == "free":
        if config.phrases:
            log.warning("vosk: phrases are ignored in free mode (set mode: grammar to use them)")
        return VoskEngine(config, _load_model(model_dir), None)
    if (model_dir / "graph" / "HCLG.fst").exists() and not (model_dir / "graph/HCLr.fst").exists():
        raise AsrError(
            f"vosk model {model_dir} has a static graph (graph/HCLG.fst): it ignores a grammar. "
            "Use mode: free with it, or a small or -lgraph model for grammar mode"
        )
    if config.phrases is not None:
        # "[unk]" is Vosk's convention in phrase lists; the model's own unknown word is added
        spelled = [[w for w in p.lower().split() if not _NON_WORD.match(w)] for p in config.phrases]
        phrases = list(dict.fromkeys(" ".join(words) for words in spelled if words))
        if not phrases:
            raise AsrError("vosk phrases: the list has no words")
        graph = PhraseGraph.from_phrases(phrases)
    elif home is not None:
        graph = PhraseGraph.from_jsgf(build_jsgf(home, speech=True))
    else:
        raise AsrError("vosk grammar mode needs phrases in its config or a home (--home)")
    model = _load_model(model_dir)
    missing = {w for w in graph.vocabulary() if model.vosk_model_find_word(w) < 0}
    graph = graph.without(missing) if missing else graph
    if config.phrases is None:
        usable = graph.cover()  # sentences using every word pair the grammar allows
    else:
        usable = [p for p in phrases if not missing.intersection(p.split())]
    if missing:
        _report_missing(model_dir, missing, usable)
    unknown = next((w for w in UNKNOWN_WORDS if model.vosk_model_find_word(w) >= 0), None)
    if unknown is None:
        log.info("vosk model %s has no unknown-word entry; all speech maps to phrases", model_dir)
    engine = VoskEngine(config, model, usable + ([unknown] if unknown else []))
    engine.graph = graph
    return engine


def _report_missing(model_dir: Path, missing: set[str], usable: list[str]) -> None:
    names = sorted(missing)
    shown = ", ".join(names[:40]) + (f" and {len(names) - 40} more" if len(names) > 40 else "")
    message = (
        f"vosk model {model_dir} lacks {len(names)} grammar word(s): {shown}. Phrases with "
        "them cannot be heard; use another model or other words"
    )
    if not usable:
        raise AsrError(message)
    log.warning("%s (%d phrases remain)", message, len(usable))


def _load_model(model_dir: Path) -> vosk.Model:
    """One loaded model per directory while any engine uses it (a grammar and a free engine
    on the same model share its ~550 MB); a changed model file gets a fresh load."""
    if not model_dir.is_dir():
        raise AsrError(f"vosk model_dir {model_dir} is not a directory: {INSTALL_HINT}")
    marker = next(
        (p for p in (model_dir / "am/final.mdl", model_dir / "final.mdl") if p.exists()), None
    )
    if marker is None:
        raise AsrError(f"vosk model_dir {model_dir} has no am/final.mdl: {INSTALL_HINT}")
    import vosk

    vosk.SetLogLevel(-1)  # Kaldi's progress log; warnings and errors still reach stderr
    key = (str(model_dir.resolve()), marker.stat().st_mtime_ns)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            try:
                model = vosk.Model(str(model_dir))
            except Exception as exc:  # vosk raises a bare Exception on any load failure
                raise AsrError(
                    f"vosk could not load a model from {model_dir} ({exc}; Kaldi's reason is on "
                    f"stderr): {INSTALL_HINT}"
                ) from exc
            _models[key] = model
    return model
