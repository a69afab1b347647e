"""Two passes over one utterance: the grammar engine streams while the speaker talks; when
it rejects (not a command it knows, or a poor score) the open-vocabulary engine reads the
same buffered audio. The result says which engine produced the text, with both readings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from edge_assistant.audio.asr import load_engine
from edge_assistant.audio.asr.base import AsrEngine, SentenceStatus, Stream, Transcript
from edge_assistant.config.voice import AsrConfig
from edge_assistant.home.model import Home

MAX_BUFFER_S = 30


@dataclass(frozen=True)
class Recognition:
    """The chosen reading of an utterance and every pass that ran."""

    text: str
    engine: str  # the engine whose text was chosen; "" when every pass rejected
    accepted: bool
    passes: tuple[Transcript, ...]
    timings: dict[str, float] = field(default_factory=dict)  # ms after the end of speech
    error: str = ""  # an engine failed on this utterance (it was dropped, hearing went on)

    @classmethod
    def failed(cls, error: str) -> Recognition:
        return cls("", "", False, (), error=error)

    @property
    def reason(self) -> str:
        """Why nothing was accepted: the engine error, else the last pass's reason."""
        if self.accepted:
            return ""
        if self.error:
            return f"recognizer error: {self.error}"
        reasons = [f"{t.engine}: {t.reason}" for t in self.passes if t.reason]
        return "; ".join(reasons) or "nothing recognised"

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "engine": self.engine,
            "accepted": self.accepted,
            **({"error": self.error} if self.error else {}),
            "timings_ms": {k: round(v, 1) for k, v in self.timings.items()},
            "passes": [
                {
                    "engine": t.engine,
                    "text": t.text,
                    "accepted": t.accepted,
                    "score": round(t.score, 3) if np.isfinite(t.score) else None,
                    "reason": t.reason,
                    "alternatives": [{"text": a.text, "score": a.score} for a in t.alternatives],
                    "timings_ms": {k: round(v, 1) for k, v in t.timings.items()},
                }
                for t in self.passes
            ],
        }


class TwoPassRecognizer:
    def __init__(self, grammar: AsrEngine | None, open_vocabulary: AsrEngine | None) -> None:
        if grammar is None and open_vocabulary is None:
            raise ValueError("a recognizer needs at least one engine")
        self.grammar = grammar
        self.open_vocabulary = open_vocabulary

    @classmethod
    def from_config(cls, config: AsrConfig, home: Home | None) -> TwoPassRecognizer:
        grammar = load_engine(config.grammar, home) if config.grammar else None
        open_vocabulary = (
            load_engine(config.open_vocabulary, home) if config.open_vocabulary else None
        )
        return cls(grammar, open_vocabulary)

    def utterance(self) -> Utterance:
        return Utterance(self)

    def transcribe(self, audio: np.ndarray) -> Recognition:
        utterance = self.utterance()
        utterance.feed(audio)
        return utterance.finish()

    def close(self) -> None:
        for engine in (self.grammar, self.open_vocabulary):
            if engine is not None:
                engine.close()


class Utterance:
    """One utterance in progress: streams into the grammar engine, keeps the audio."""

    def __init__(self, recognizer: TwoPassRecognizer) -> None:
        self.recognizer = recognizer
        self._audio: list[np.ndarray] = []
        self._samples = 0
        self._stream: Stream | None = self._new_stream()
        self._checked = False  # one early check per utterance: a re-read costs its length

    def _new_stream(self) -> Stream | None:
        grammar = self.recognizer.grammar
        return grammar.stream() if grammar is not None else None

    def feed(self, block: np.ndarray) -> None:
        if self._samples < MAX_BUFFER_S * 16000:
            self._audio.append(block)
            self._samples += len(block)
        if self._stream is not None:
            self._stream.feed(block)

    @property
    def audio(self) -> np.ndarray:
        return np.concatenate(self._audio) if self._audio else np.zeros(0, np.int16)

    def finish_if_complete(
        self, silence_ms: int = 0, extend_silence_ms: int = 0
    ) -> Recognition | None:
        """At a pause of ``silence_ms``: the grammar's reading if it is a whole accepted
        command that nothing can follow, or that longer ones begin with and the pause has
        reached ``extend_silence_ms``; else None and the utterance goes on. Looking at the
        reading so far is cheap; finishing it ends the search, so when the final reading is
        not accepted the engine re-reads the audio so far, once (later pauses of the same
        utterance wait for the long silence)."""
        if self._stream is None or self._checked:
            return None
        status = self._stream.status()
        if status is SentenceStatus.INCOMPLETE or (
            status is SentenceStatus.EXTENDABLE and silence_ms < extend_silence_ms
        ):
            return None
        self._checked = True
        start = time.perf_counter()
        first = self._stream.finish()
        if first.accepted:
            ms = (time.perf_counter() - start) * 1000
            return Recognition(first.text, first.engine, True, (first,), {"total": ms})
        self._stream = None  # if the new one fails to start, there is nothing left to end
        self._stream = self._new_stream()
        self._stream.feed(self.audio)
        return None

    def cancel(self) -> None:
        """Drop the utterance (too short, or an engine failed): the grammar engine's
        utterance is ended so the next one can start. Safe to call more than once."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.cancel()

    def finish(self) -> Recognition:
        start = time.perf_counter()
        passes: list[Transcript] = []
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                passes.append(stream.finish())
            except BaseException:
                stream.cancel()
                raise
        chosen = passes[0] if passes and passes[0].accepted else None
        open_vocabulary = self.recognizer.open_vocabulary
        if chosen is None and open_vocabulary is not None:
            passes.append(open_vocabulary.transcribe(self.audio))
            chosen = passes[-1] if passes[-1].accepted else None
        timings = {"total": (time.perf_counter() - start) * 1000}
        if chosen is None:
            return Recognition("", "", False, tuple(passes), timings)
        return Recognition(chosen.text, chosen.engine, True, tuple(passes), timings)
