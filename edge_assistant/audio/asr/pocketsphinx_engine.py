"""pocketsphinx limited to the home's command grammar: the embedded default recognizer.

The grammar is ``build_jsgf(home, speech=True)``, the same phrasings the understanding model
is trained on, with this home's names. Decoding is streaming (each block is searched as it
arrives), so at the end of speech only the final search step remains. A result is accepted
only when it is a whole sentence of the grammar and its acoustic score per frame is above
``min_score``: a grammar recognizer always returns *some* in-grammar text, even for speech
that is not a command.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from edge_assistant.audio.asr.base import AsrEngine, AsrError, SentenceStatus, Stream, Transcript
from edge_assistant.audio.asr.phrase_graph import PhraseGraph
from edge_assistant.audio.asr.pronounce import pronunciations, read_dictionary, read_variants
from edge_assistant.config.voice import PocketsphinxConfig
from edge_assistant.home.model import Home
from edge_assistant.understanding.grammar import REQUEST_RULE, build_jsgf

log = logging.getLogger(__name__)

NAME = "pocketsphinx"
RULE = "commands.command"
LISTEN_RULE = "commands.listen"
# Everyday words outside any home grammar: with garbage_model they compete with the commands,
# and a best path through them is rejected (checked against RULE, which lacks them).
GARBAGE_WORDS = [
    "yes",
    "no",
    "maybe",
    "okay",
    "well",
    "so",
    "but",
    "because",
    "people",
    "think",
    "know",
    "really",
    "very",
    "much",
    "many",
    "good",
    "bad",
    "new",
    "old",
    "big",
    "small",
    "long",
    "short",
    "year",
    "week",
    "month",
    "money",
    "food",
    "car",
    "book",
    "phone",
    "friend",
    "family",
    "school",
    "house",
    "street",
    "world",
    "country",
    "music",
    "movie",
    "game",
    "show",
    "news",
    "problem",
    "idea",
    "question",
    "answer",
    "reason",
    "word",
    "paper",
    "picture",
    "shop",
    "market",
    "price",
    "dinner",
    "lunch",
    "breakfast",
    "coffee",
    "tea",
    "bread",
    "cheese",
    "apple",
    "chicken",
    "fish",
    "dog",
    "cat",
    "bird",
    "horse",
    "tree",
    "flower",
    "river",
    "sea",
    "beach",
    "sun",
    "moon",
    "star",
    "rain",
    "snow",
    "wind",
    "cold",
    "hot",
    "happy",
    "sad",
    "funny",
    "crazy",
    "quick",
    "slow",
    "early",
    "late",
    "always",
    "never",
    "sometimes",
    "often",
    "usually",
    "yesterday",
    "monday",
    "friday",
    "weekend",
    "holiday",
    "birthday",
    "party",
    "doctor",
    "hospital",
    "police",
    "teacher",
    "student",
    "meeting",
    "email",
    "computer",
    "internet",
    "video",
    "photo",
    "camera",
]
_FILLER = re.compile(r"^(<.*>|\[.*\]|\(NULL\))$")
_VARIANT = re.compile(r"\(\d+\)$")


class PocketsphinxEngine(AsrEngine):
    name = NAME

    def __init__(self, config: PocketsphinxConfig, jsgf: str) -> None:
        import pocketsphinx

        model_dir = config.model_dir or Path(pocketsphinx.get_model_path()) / "en-us" / "en-us"
        dictionary_path = config.dictionary or model_dir.parent / "cmudict-en-us.dict"
        for path, key in ((model_dir, "model_dir"), (dictionary_path, "dictionary")):
            if not path.exists():
                raise AsrError(f"asr pocketsphinx {key}: {path} does not exist")
        self.config = config
        # where a partial reading stands, without the skip words that may trail a command
        self.requests = PhraseGraph.from_jsgf(jsgf, REQUEST_RULE)
        self._dir = tempfile.TemporaryDirectory(prefix="edge-assistant-sphinx-")
        grammar_path = Path(self._dir.name) / "commands.jsgf"
        decode_rule = RULE
        if config.garbage_model:
            jsgf, decode_rule = _with_garbage(jsgf), LISTEN_RULE
        grammar_path.write_text(jsgf, encoding="utf-8")
        # Only the grammar's words: a 130k-word dictionary costs a second at every start.
        words = _grammar_words(jsgf)
        phones = pronunciations(
            words,
            read_dictionary(dictionary_path),
            {w.lower(): p for w, p in config.pronunciations.items()},
            source="voice.asr.<engine>.pronunciations in the device config",
        )
        dict_path = Path(self._dir.name) / "commands.dict"
        variants = read_variants(dictionary_path)
        lines = [
            f"{word}{f'({n + 1})' if n else ''} {pron}\n"
            for word, first in phones.items()
            for n, pron in enumerate(_all_prons(word, first, variants, config.pronunciations))
        ]
        dict_path.write_text("".join(lines), encoding="utf-8")
        try:
            self._decoder = pocketsphinx.Decoder(
                hmm=str(model_dir),
                dict=str(dict_path),
                jsgf=str(grammar_path),
                toprule=decode_rule,
                bestpath=False,
                loglevel="FATAL",
            )
            jsgf_model = pocketsphinx.Jsgf(str(grammar_path))
            self._fsg = jsgf_model.build_fsg(
                jsgf_model.get_rule(RULE), self._decoder.get_logmath(), 7.5
            )
        except (RuntimeError, ValueError) as exc:
            raise AsrError(
                f"pocketsphinx could not load {model_dir} with the grammar: {exc}"
            ) from exc
        self.vocabulary = words
        self._active: _SphinxStream | None = None  # the stream that owns the decoder

    def stream(self) -> Stream:
        return _SphinxStream(self)

    def in_grammar(self, text: str) -> bool:
        return bool(text) and bool(self._fsg.accept(text))

    def close(self) -> None:
        self._dir.cleanup()


class _SphinxStream(Stream):
    """One utterance on the engine's single decoder. The decoder holds one utterance at a
    time: a stream that was neither finished nor cancelled (a bug, an error mid-way) is
    ended here before the next one starts, so one lost utterance never makes every later
    ``start_utt`` fail."""

    def __init__(self, engine: PocketsphinxEngine) -> None:
        self.engine = engine
        self.decoder = engine._decoder
        self.decode_ms = 0.0
        self.ended = False
        previous = engine._active
        if previous is not None and not previous.ended:
            log.warning("pocketsphinx: an utterance was left open; ending it")
            previous.cancel()
        try:
            self.decoder.start_utt()
        except RuntimeError:
            # the decoder is still in an utterance nobody owns: end it, then start again
            with contextlib.suppress(RuntimeError):
                self.decoder.end_utt()
            self.decoder.start_utt()
        engine._active = self

    def feed(self, block: np.ndarray) -> None:
        start = time.perf_counter()
        self.decoder.process_raw(np.ascontiguousarray(block, dtype=np.int16).tobytes())
        self.decode_ms += (time.perf_counter() - start) * 1000

    def status(self) -> SentenceStatus:
        """The best path so far (a partial search result, cheap: no end of utterance)."""
        hyp = self.decoder.hyp()
        return self.engine.requests.status(hyp.hypstr.split() if hyp is not None else [])

    def cancel(self) -> None:
        if self.ended:
            return
        self.ended = True
        with contextlib.suppress(RuntimeError):  # not in an utterance: nothing to end
            self.decoder.end_utt()

    def finish(self) -> Transcript:
        if self.ended:
            raise AsrError("this pocketsphinx stream is finished; start another with stream()")
        start = time.perf_counter()
        self.ended = True
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        text = hyp.hypstr.strip() if hyp is not None else ""
        score = _score_per_frame(self.decoder) if text else -math.inf
        finalize_ms = (time.perf_counter() - start) * 1000
        accepted, reason = True, ""
        if not text:
            accepted, reason = False, "nothing recognised"
        elif not self.engine.in_grammar(text):
            accepted, reason = False, "not a whole sentence of the grammar"
        elif score < self.engine.config.min_score:
            accepted = False
            reason = f"score {score:.2f} below min_score {self.engine.config.min_score}"
        timings = {"decode": self.decode_ms, "finalize": finalize_ms}
        return Transcript(text, NAME, accepted, score, timings=timings, reason=reason)


def load(config: PocketsphinxConfig, home: Home | None) -> PocketsphinxEngine:
    if home is None:
        raise AsrError("pocketsphinx builds its grammar from a home: pass --home home.yaml")
    return PocketsphinxEngine(config, build_jsgf(home, speech=True))


def _with_garbage(jsgf: str) -> str:
    """The grammar with a public <listen> rule: a command, or a run of everyday words."""
    words = _grammar_words(jsgf)
    garbage = " | ".join(w for w in GARBAGE_WORDS if w not in words)
    lines = jsgf.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("public <command>"))
    lines[index] = lines[index].removeprefix("public ")
    lines.insert(index, "public <listen> = <command> | <garbage>;")
    lines.append(f"<garbage> = ( {garbage} )+;")
    return "\n".join(lines) + "\n"


def _all_prons(word: str, first: str, variants: dict, user: dict[str, str]) -> list[str]:
    """The user's pronunciation alone, else every dictionary variant, else the derived one."""
    if word in {w.lower() for w in user}:
        return [first]
    return variants.get(word) or [first]


def _grammar_words(jsgf: str) -> set[str]:
    body = "\n".join(line for line in jsgf.splitlines()[2:])
    body = re.sub(r"<[^>]*>|/[0-9.eE-]+/", " ", body)  # rule names, weights
    return {w for w in re.findall(r"[a-z0-9'][a-z0-9'_.-]*", body)}


def _score_per_frame(decoder) -> float:
    """Mean log acoustic score per frame over the words (fillers and silence excluded), x1000:
    near -3 for clear in-grammar speech, lower for speech the grammar had to force."""
    log_score, frames = 0.0, 0
    for seg in decoder.seg():
        word = _VARIANT.sub("", seg.word)
        if _FILLER.match(word) or seg.end_frame < seg.start_frame:
            continue
        log_score += math.log(max(seg.ascore, 1e-300))
        frames += seg.end_frame - seg.start_frame + 1
    return 1000 * log_score / frames if frames else -math.inf
