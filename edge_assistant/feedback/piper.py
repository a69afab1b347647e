"""A Piper voice of the user's: a ``.onnx`` model with its ``.onnx.json`` beside it, run by
onnxruntime through piper-tts (whose phonemizer is a bundled espeak-ng library, so the text
never reaches a command line).

Everything that can be wrong with a voice file shows at load, with the file named: missing,
unreadable, not a Piper voice, or a model that its config does not fit (a warm-up sentence
is synthesized to find out) — not at the first response."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from edge_assistant.feedback.speech import VoiceLoadError

if TYPE_CHECKING:
    from piper import PiperConfig, PiperVoice

PIPER_INPUTS = {"input", "input_lengths", "scales"}  # what every Piper VITS export takes


class PiperEngine:
    """Piper synthesis with one ONNX session, created once (``load``)."""

    name = "piper"

    def __init__(self, voice: PiperVoice, model_path: Path) -> None:
        self.voice = voice
        self.model_path = model_path
        self.sample_rate: int = voice.config.sample_rate

    @classmethod
    def load(cls, model_path: Path, threads: int = 1) -> PiperEngine:
        """The voice in ``model_path`` (+ ``.onnx.json``); VoiceLoadError names what is wrong."""
        try:
            import onnxruntime as ort
            from piper import PiperConfig, PiperVoice
        except ImportError as exc:
            raise VoiceLoadError(
                f"engine piper needs the piper-tts package ({exc}): pip install piper-tts, "
                "or set feedback.engine: espeak"
            ) from None
        config_path = model_path.with_name(model_path.name + ".json")
        if not model_path.is_file():
            raise VoiceLoadError(
                f"{model_path}: Piper voice model not found: download the voice's .onnx and "
                ".onnx.json and set feedback.piper_model to the .onnx"
            )
        if not config_path.is_file():
            raise VoiceLoadError(
                f"{config_path}: the voice config is missing: put the voice's .onnx.json "
                f"beside {model_path.name}"
            )
        config = _read_config(config_path, PiperConfig)
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        try:
            session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise VoiceLoadError(
                f"{model_path}: not a loadable ONNX model ({_first_line(exc)}): the file is "
                "corrupt or incomplete; download the voice again"
            ) from None
        inputs = {i.name for i in session.get_inputs()}
        if not PIPER_INPUTS.issubset(inputs):
            raise VoiceLoadError(
                f"{model_path}: not a Piper voice (inputs {sorted(inputs)}, a Piper voice "
                f"takes {sorted(PIPER_INPUTS)})"
            )
        engine = cls(PiperVoice(session=session, config=config), model_path)
        engine._warm_up(config_path)
        return engine

    def synthesize(self, text: str) -> np.ndarray:
        """int16 speech for ``text`` at ``sample_rate``, sentences joined."""
        # [[ ... ]] is Piper's raw-phoneme syntax: spoken text is never phonemes
        text = text.replace("[[", "[ [").replace("]]", "] ]")
        chunks = [chunk.audio_int16_array for chunk in self.voice.synthesize(text)]
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)

    def _warm_up(self, config_path: Path) -> None:
        """One short sentence now: a config from another voice (phoneme ids past the model's
        table) fails here, and the first response does not pay the session's first run."""
        try:
            audio = self.synthesize("Ready.")
        except Exception as exc:
            raise VoiceLoadError(
                f"{self.model_path}: the voice does not run with {config_path.name} "
                f"({_first_line(exc)}): use the .onnx.json that came with this .onnx"
            ) from None
        if len(audio) == 0:
            raise VoiceLoadError(f"{self.model_path}: the voice made no audio for a test word")


def _read_config(path: Path, piper_config: type[PiperConfig]) -> PiperConfig:
    """The voice config, or VoiceLoadError naming the file and what is wrong in it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VoiceLoadError(f"{path}: not a readable voice config: {exc}") from None
    try:
        return piper_config.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise VoiceLoadError(
            f"{path}: not a Piper voice config (missing or bad {exc}): use the .onnx.json "
            "that came with the voice"
        ) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
