"""The voice section of a device config: capture, VAD and endpointing, wake word, ASR.

Each plugin kind (wake word engine, ASR engine) is picked by its ``type`` key; the options
of one type are validated by that type's own model, so a misspelt option fails with the
key path and the allowed keys before any audio is opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from edge_assistant.config.loading import StrictModel

InferenceBackend = Literal["onnxruntime", "openvino"]


class CaptureConfig(StrictModel):
    """Where audio comes from when no file is given."""

    device: str | int | None = Field(
        None, description="Input device: index, or a part of its name; null = system default."
    )
    block_ms: int = Field(32, ge=20, le=32, description="Block length handed over per callback.")
    buffer_blocks: int = Field(
        64, ge=4, le=4096, description="Bounded hand-over buffer; a full buffer drops and counts."
    )
    retry_initial_s: float = Field(0.5, gt=0, description="First wait after losing the device.")
    retry_max_s: float = Field(30.0, gt=0, description="Longest wait between reopen attempts.")


class VadConfig(StrictModel):
    """Speech start and end from silero VAD probabilities (32 ms frames)."""

    start_threshold: float = Field(0.5, gt=0, lt=1, description="Speech when p >= this.")
    end_threshold: float = Field(0.35, gt=0, lt=1, description="Silence when p < this.")
    start_ms: int = Field(64, ge=32, description="Speech this long opens an utterance.")
    pre_roll_ms: int = Field(320, ge=0, le=2000, description="Audio kept before the start.")
    end_silence_ms: int = Field(
        96,
        ge=32,
        description="Silence that ends an utterance the grammar reads as a whole command that "
        "nothing can follow.",
    )
    extend_silence_ms: int = Field(
        192,
        ge=32,
        description="Silence that ends a whole command which longer ones begin with "
        "('turn on the lights' ... 'in the kitchen').",
    )
    max_silence_ms: int = Field(
        600, ge=32, description="Silence that ends any utterance (a pause mid-command)."
    )
    min_speech_ms: int = Field(160, ge=32, description="Shorter bursts are dropped as noise.")
    max_utterance_s: float = Field(10.0, gt=0, le=60, description="Cut an utterance here.")

    @model_validator(mode="after")
    def _ordered(self) -> VadConfig:
        if self.end_threshold > self.start_threshold:
            raise ValueError("vad.end_threshold must not exceed vad.start_threshold")
        if not self.end_silence_ms <= self.extend_silence_ms <= self.max_silence_ms:
            raise ValueError(
                "vad silences must be ordered: end_silence_ms <= extend_silence_ms <= "
                "max_silence_ms"
            )
        return self


class WakeModel(StrictModel):
    """One wake word model and its detection threshold."""

    model: str = Field(
        description="micro: a built-in name (okay_nabu, hey_jarvis, hey_mycroft, alexa) or a "
        "microWakeWord .json; openwakeword: the word model file (.onnx, .tflite or .xml)."
    )
    threshold: float | None = Field(
        None, gt=0, lt=1, description="Detection threshold; null = the model's own default."
    )


class MicroWakeConfig(StrictModel):
    type: Literal["micro"]
    models: list[WakeModel] = Field(min_length=1)
    refractory_s: float = Field(2.0, ge=0, description="Ignore detections this long after one.")


class OpenWakeWordConfig(StrictModel):
    type: Literal["openwakeword"]
    models: list[WakeModel] = Field(min_length=1)
    melspectrogram: Path = Field(description="openWakeWord's melspectrogram model file.")
    embedding: Path = Field(description="openWakeWord's speech embedding model file.")
    backend: InferenceBackend = "openvino"
    refractory_s: float = Field(2.0, ge=0)


class NoWakeConfig(StrictModel):
    """No wake word: every utterance the VAD finds is a command (push-to-talk, files)."""

    type: Literal["none"]


WakeConfig = Annotated[
    MicroWakeConfig | OpenWakeWordConfig | NoWakeConfig, Field(discriminator="type")
]


class PocketsphinxConfig(StrictModel):
    type: Literal["pocketsphinx"]
    model_dir: Path | None = Field(None, description="Acoustic model; null = packaged en-us.")
    dictionary: Path | None = Field(None, description="Pronunciations; null = packaged cmudict.")
    pronunciations: dict[str, str] = Field(
        default_factory=dict, description="Extra words: word -> phones (e.g. 'R UW M B AH')."
    )
    garbage_model: bool = Field(
        False,
        description="Let everyday words compete with the grammar, so speech that is not a "
        "command is rejected instead of forced onto the nearest one (fewer false accepts, "
        "a few more correct commands sent to the second pass).",
    )
    min_score: float = Field(
        -5.0,
        description="Mean log acoustic score per frame (x1000) below which a result is rejected.",
    )


class VoskConfig(StrictModel):
    type: Literal["vosk"]
    model_dir: Path = Field(description="An unpacked Vosk model directory.")
    mode: Literal["grammar", "free"] = "grammar"
    phrases: list[str] | None = Field(
        None, description="grammar mode: phrases to allow; null = the home's command grammar."
    )
    min_confidence: float = Field(0.6, ge=0, le=1, description="Mean word confidence to accept.")


class WhisperConfig(StrictModel):
    type: Literal["whisper"]
    model_dir: Path | None = Field(
        None, description="CTranslate2 Whisper model dir; null = packaged tiny.en."
    )
    compute_type: Literal["int8", "int8_float32", "float32"] = "int8"
    threads: int = Field(2, ge=1, le=64)
    beam_size: int = Field(1, ge=1, le=10)
    language: str | None = "en"


AsrEngineConfig = Annotated[
    PocketsphinxConfig | VoskConfig | WhisperConfig, Field(discriminator="type")
]


class AsrConfig(StrictModel):
    """Two passes: the grammar engine, then the open-vocabulary one when it rejects."""

    grammar: AsrEngineConfig | None = Field(
        None, description="Fast engine limited to the home's command grammar."
    )
    open_vocabulary: AsrEngineConfig | None = Field(
        None, description="Runs on the same audio when the grammar engine rejects."
    )

    @model_validator(mode="after")
    def _some_engine(self) -> AsrConfig:
        if self.grammar is None and self.open_vocabulary is None:
            raise ValueError("asr needs a grammar engine, an open_vocabulary engine or both")
        if isinstance(self.grammar, WhisperConfig):
            raise ValueError("asr.grammar: whisper has no grammar mode; use it as open_vocabulary")
        return self


class VoiceConfig(StrictModel):
    capture: CaptureConfig = CaptureConfig()
    vad: VadConfig = VadConfig()
    wake_word: WakeConfig = Field(
        default_factory=lambda: MicroWakeConfig(
            type="micro", models=[WakeModel(model="okay_nabu")]
        ),
        description="What opens the command window. Default: microWakeWord okay_nabu, so "
        "speech not meant for the assistant never becomes an action; {type: none} makes every "
        "utterance a command (push-to-talk, files of commands).",
    )
    command_window_s: float = Field(
        5.0, gt=0, le=30, description="After a wake word, how long to wait for the command."
    )
    asr: AsrConfig = Field(
        default_factory=lambda: AsrConfig(grammar=PocketsphinxConfig(type="pocketsphinx"))
    )
