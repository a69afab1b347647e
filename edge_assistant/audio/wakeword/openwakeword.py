"""openWakeWord: a shared mel + speech-embedding frontend and small per-word classifiers.

The pipeline, as openWakeWord's own ``AudioFeatures`` streams it:

- every 1280 samples (80 ms), the melspectrogram model runs on those samples plus the 480
  before them (int16 values as float32), giving 8 frames of 32 mel bins; each is scaled
  ``x / 10 + 2`` to match the TensorFlow embedding model it feeds;
- the embedding model runs on the newest 76 mel frames, giving one 96-d embedding per 80 ms;
- each word model scores its newest N embeddings (N from its input shape, usually 16).

Before any audio the history is silence (mel and embeddings of zeros), so the first scores
are those of real silence rather than of arbitrary fill. Models are the user's own files
(openWakeWord's pretrained word models are CC BY-NC-SA, so none is a default), run on the
CPU by OpenVINO (.tflite, .onnx, .xml) or ONNX Runtime (.onnx).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from edge_assistant.audio.wakeword.base import Score, ScoringEngine, WakeWordError
from edge_assistant.config.voice import OpenWakeWordConfig

CHUNK = 1280  # samples per step (80 ms)
MEL_CONTEXT = 480  # earlier samples each mel step sees, so a step yields exactly 8 frames
MEL_FRAMES_PER_CHUNK = 8
MEL_BINS = 32
EMBEDDING_WINDOW = 76  # mel frames per embedding (775 ms)
EMBEDDING_DIM = 96
DEFAULT_THRESHOLD = 0.5  # openWakeWord's recommended starting point

Network = Callable[[np.ndarray], np.ndarray]
SUFFIXES = {"openvino": (".tflite", ".onnx", ".xml"), "onnxruntime": (".onnx",)}


class OpenWakeWordEngine(ScoringEngine):
    def __init__(
        self,
        melspectrogram: Network,
        embedding: Network,
        words: list[tuple[Network, int]],  # each word model and how many embeddings it reads
        names: list[str],
        thresholds: list[float],
        refractory_s: float,
    ) -> None:
        super().__init__(names, thresholds, refractory_s)
        self._mel = melspectrogram
        self._embed = embedding
        self._words = words
        self._history = max(n for _, n in words)
        silence = self._mel_frames(np.zeros(CHUNK + MEL_CONTEXT, np.float32))
        self._silent_mels = np.repeat(silence[-1:], EMBEDDING_WINDOW, axis=0)
        self._silent_embedding = self._embed(self._silent_mels[None, :, :, None]).reshape(-1)
        self._reset_streams()
        for name, (word, n) in zip(names, words, strict=True):
            outputs = word(self._embeddings[None, -n:, :]).size
            if outputs != 1:
                raise WakeWordError(
                    f"wake_word.models: {name} gives {outputs} scores; only single-score "
                    "word models are supported"
                )

    def _scores(self, block: np.ndarray) -> Iterator[Score]:
        backlog = len(self._pending)
        audio = np.concatenate([self._pending, block]) if backlog else block
        usable = len(audio) - len(audio) % CHUNK
        self._pending = audio[usable:].copy()
        for offset in range(0, usable, CHUNK):
            chunk = audio[offset : offset + CHUNK].astype(np.float32)
            self._step(chunk)
            for index, (word, n) in enumerate(self._words):
                window = self._embeddings[None, -n:, :]
                yield Score(index, float(word(window).reshape(-1)[0]), offset + CHUNK - backlog)

    def _step(self, chunk: np.ndarray) -> None:
        """One 80 ms step: 8 new mel frames, one new embedding."""
        mels = self._mel_frames(np.concatenate([self._context, chunk]))
        self._context = chunk[-MEL_CONTEXT:]
        self._mels = np.concatenate([self._mels[MEL_FRAMES_PER_CHUNK:], mels])
        embedding = self._embed(self._mels[None, :, :, None]).reshape(1, EMBEDDING_DIM)
        self._embeddings = np.concatenate([self._embeddings[1:], embedding])

    def _mel_frames(self, audio: np.ndarray) -> np.ndarray:
        frames = self._mel(audio[None, :]).reshape(-1, MEL_BINS)
        if len(frames) != MEL_FRAMES_PER_CHUNK:
            raise WakeWordError(
                f"wake_word.melspectrogram gave {len(frames)} frames for {len(audio)} "
                f"samples, expected {MEL_FRAMES_PER_CHUNK}: not openWakeWord's mel model?"
            )
        return frames / 10.0 + 2.0

    def _reset_scores(self) -> None:
        self._reset_streams()

    def _reset_streams(self) -> None:
        self._pending = np.zeros(0, np.int16)
        self._context = np.zeros(MEL_CONTEXT, np.float32)
        self._mels = self._silent_mels.copy()
        self._embeddings = np.tile(self._silent_embedding, (self._history, 1))


def _check_file(path: Path, key: str, backend: str) -> Path:
    path = path.expanduser()
    if not path.is_file():
        raise WakeWordError(f"{key}: model file not found: {path.resolve()}")
    if path.suffix not in SUFFIXES[backend]:
        other = "; use backend: openvino" if backend == "onnxruntime" else ""
        raise WakeWordError(
            f"{key}: {path}: the {backend} backend reads {', '.join(SUFFIXES[backend])} files, "
            f"not {path.suffix or 'files without a suffix'}{other}"
        )
    return path


Compile = Callable[[tuple[int, ...]], Network]
Dims = list[int | None]  # declared input dimensions, None where dynamic


def _network(
    path: Path,
    key: str,
    backend: str,
    shape: Callable[[Dims], tuple[int, ...] | None],
    wants: str,
) -> tuple[Network, tuple[int, ...]]:
    """``path`` compiled on the CPU for the input shape ``shape`` picks from its declared
    dimensions (None: the model does not fit, and the error says what the role ``wants``)."""
    dims, compile_for = _open_ort(path, key) if backend == "onnxruntime" else _open_ov(path, key)
    fixed = shape(dims)
    if fixed is None:
        raise WakeWordError(f"{key}: {path} takes input {dims}; openWakeWord's {wants}")
    return compile_for(fixed), fixed


def _exactly(wanted: tuple[int, ...]) -> Callable[[Dims], tuple[int, ...] | None]:
    def pick(dims: Dims) -> tuple[int, ...] | None:
        if len(dims) != len(wanted):
            return None
        fits = all(d in (None, w) for d, w in zip(dims, wanted, strict=True))
        return wanted if fits else None

    return pick


def _word_shape(dims: Dims) -> tuple[int, ...] | None:
    """[1, N, 96]: N, how many embeddings the word model reads, comes from the model."""
    if len(dims) != 3 or dims[0] not in (None, 1) or dims[2] != EMBEDDING_DIM:
        return None
    return None if dims[1] is None else (1, dims[1], EMBEDDING_DIM)


def _open_ort(path: Path, key: str) -> tuple[Dims, Compile]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # tiny models run every 80 ms: more threads only cost
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own Fail/InvalidGraph/... types
        raise WakeWordError(f"{key}: onnxruntime cannot load {path}: {exc}") from exc
    declared = session.get_inputs()[0]

    def compile_for(shape: tuple[int, ...]) -> Network:
        return lambda x: session.run(None, {declared.name: x.astype(np.float32)})[0]

    return [d if isinstance(d, int) else None for d in declared.shape], compile_for


def _open_ov(path: Path, key: str) -> tuple[Dims, Compile]:
    from edge_assistant.inference.openvino_backend import core

    try:
        model = core().read_model(str(path))
    except RuntimeError as exc:
        raise WakeWordError(f"{key}: openvino cannot read {path}: {_last_line(exc)}") from exc
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": 1}
    config["INFERENCE_PRECISION_HINT"] = "f32"  # CPUs with AMX would otherwise use bf16

    def compile_for(shape: tuple[int, ...]) -> Network:
        try:
            model.reshape({0: shape})  # static shapes compile to faster kernels
            request = core().compile_model(model, "CPU", config).create_infer_request()
        except RuntimeError as exc:
            reason = _last_line(exc)
            message = f"{key}: openvino cannot compile {path} for {shape}: {reason}"
            raise WakeWordError(message) from exc

        def run(x: np.ndarray) -> np.ndarray:
            request.infer({0: x.astype(np.float32)})
            return request.get_output_tensor(0).data.copy()

        return run

    dims = model.inputs[0].get_partial_shape()
    return [d.get_length() if d.is_static else None for d in dims], compile_for


def _last_line(exc: Exception) -> str:
    """OpenVINO nests 'Exception from src/...' frames; the last line holds the cause."""
    return [line for line in str(exc).splitlines() if line.strip()][-1]


def load(config: OpenWakeWordConfig) -> OpenWakeWordEngine:
    backend = config.backend
    keys = ["wake_word.melspectrogram", "wake_word.embedding"]
    keys += [f"wake_word.models[{i}].model" for i in range(len(config.models))]
    files = [config.melspectrogram, config.embedding, *(Path(m.model) for m in config.models)]
    paths = [_check_file(path, key, backend) for path, key in zip(files, keys, strict=True)]
    mel, _ = _network(
        paths[0],
        keys[0],
        backend,
        _exactly((1, CHUNK + MEL_CONTEXT)),
        "melspectrogram model takes [batch, samples] audio",
    )
    embedding, _ = _network(
        paths[1],
        keys[1],
        backend,
        _exactly((1, EMBEDDING_WINDOW, MEL_BINS, 1)),
        f"embedding model takes [batch, {EMBEDDING_WINDOW}, {MEL_BINS}, 1] mel frames",
    )
    words = []
    for path, key in zip(paths[2:], keys[2:], strict=True):
        wants = f"word models take [1, N, {EMBEDDING_DIM}] embeddings"
        word, shape = _network(path, key, backend, _word_shape, wants)
        words.append((word, shape[1]))
    return OpenWakeWordEngine(
        mel,
        embedding,
        words,
        names=[path.stem for path in paths[2:]],
        thresholds=[
            DEFAULT_THRESHOLD if m.threshold is None else m.threshold for m in config.models
        ],
        refractory_s=config.refractory_s,
    )
