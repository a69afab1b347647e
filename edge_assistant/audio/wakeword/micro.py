"""microWakeWord streaming models through pymicro-wakeword (quantized TFLite, its own runtime).

All models share one feature frontend: 40 features per 10 ms of audio. Each model runs once
per ``stride`` feature windows (30 ms for the built-ins) and scores the mean of its last
``sliding_window_size`` probabilities, as ESPHome does; the default threshold is the
``probability_cutoff`` in the model's json. OpenVINO cannot read these models (their
streaming state is a TFLite RESOURCE variable), hence the package's own runtime.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from edge_assistant.audio.wakeword.base import Score, ScoringEngine, WakeWordError
from edge_assistant.config.voice import MicroWakeConfig

BUILTINS = ("okay_nabu", "hey_jarvis", "hey_mycroft", "alexa")
FEATURE_STEP = 160  # samples per feature window step (10 ms)


class MicroWakeWordEngine(ScoringEngine):
    def __init__(
        self,
        models: list[Any],  # pymicro_wakeword.MicroWakeWord
        names: list[str],
        thresholds: list[float],
        refractory_s: float,
    ) -> None:
        from pymicro_wakeword import MicroWakeWordFeatures

        super().__init__(names, thresholds, refractory_s)
        self._models = models
        self._frontend = MicroWakeWordFeatures()
        self._reset_streams()

    def _scores(self, block: np.ndarray) -> Iterator[Score]:
        backlog = len(self._pending)  # samples from earlier blocks, in front of this one
        audio = np.concatenate([self._pending, block]) if backlog else block
        usable = len(audio) - len(audio) % FEATURE_STEP
        self._pending = audio[usable:].copy()
        # One step at a time, so each feature window knows which sample completed it.
        for offset in range(0, usable, FEATURE_STEP):
            step = audio[offset : offset + FEATURE_STEP].tobytes()
            end = offset + FEATURE_STEP - backlog
            for features in self._frontend.process_streaming(step):
                for index, model in enumerate(self._models):
                    probability = model.process_streaming_prob(features)
                    self._windows[index] += 1
                    # Between inferences the library returns a placeholder 0.0, not a score.
                    if self._windows[index] % model.stride == 0 and probability is not None:
                        yield Score(index, float(probability), end)

    def _reset_scores(self) -> None:
        for model in self._models:
            model.reset()  # reloads the interpreter: its streaming state lives in the model
        self._frontend.reset()
        self._reset_streams()

    def _reset_streams(self) -> None:
        self._pending = np.zeros(0, np.int16)
        self._windows = [0] * len(self._models)

    def close(self) -> None:
        for model in self._models:
            model.close()


def model_json(model: str, key: str) -> tuple[str, Path]:
    """The name and json file of a configured model: a built-in name or a path to a json."""
    from pymicro_wakeword import microwakeword

    if model in BUILTINS:
        return model, Path(microwakeword.__file__).parent / "models" / f"{model}.json"
    path = Path(model).expanduser()
    if path.suffix != ".json" or not path.is_file():
        what = "a .json file" if path.suffix != ".json" else f"no file at {path.resolve()}"
        raise WakeWordError(
            f"{key}: unknown microWakeWord model {model!r}: not a built-in "
            f"({', '.join(BUILTINS)}) and {what} (give the model's .json, which names its "
            ".tflite and its probability_cutoff)"
        )
    return path.stem, path


def _check_json(path: Path, key: str) -> float:
    """Validate the json before the TFLite C library sees it (a bad file would crash it)."""
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        tflite = path.parent / spec["model"]
        cutoff = float(spec["micro"]["probability_cutoff"])
        int(spec["micro"]["sliding_window_size"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WakeWordError(f"{key}: {path} is not a microWakeWord model json ({exc!r})") from exc
    try:
        header = tflite.read_bytes()[:8]
    except OSError as exc:
        raise WakeWordError(f"{key}: {path} names {tflite}, which cannot be read ({exc})") from exc
    if header[4:8] != b"TFL3":
        raise WakeWordError(f"{key}: {tflite} (named in {path}) is not a TFLite model")
    return cutoff


def load(config: MicroWakeConfig) -> MicroWakeWordEngine:
    try:
        from pymicro_wakeword import MicroWakeWord
    except ImportError as exc:
        raise WakeWordError(f"wake_word type micro needs pymicro-wakeword: {exc}") from exc
    models, names, thresholds = [], [], []
    for index, entry in enumerate(config.models):
        key = f"wake_word.models[{index}].model"
        name, path = model_json(entry.model, key)
        cutoff = _check_json(path, key)
        models.append(MicroWakeWord.from_config(path))
        names.append(name)
        thresholds.append(entry.threshold if entry.threshold is not None else cutoff)
    return MicroWakeWordEngine(models, names, thresholds, config.refractory_s)
