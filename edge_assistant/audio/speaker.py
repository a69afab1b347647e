"""Who is speaking: Resemblyzer's voice encoder, enrolled voiceprints, verification.

Resemblyzer's preprocessing is re-implemented in numpy so nothing of librosa or webrtcvad
runs on the device: volume raised to -30 dBFS, long silences cut, a 40-band slaney mel power
spectrogram (librosa's ``melspectrogram`` with a 25 ms window every 10 ms), partials of 160
frames (1.6 s) at 1.3 per second. Each partial goes through the exported LSTM to a unit
256-d vector; the utterance's embedding is their normalised mean. The one deliberate change:
webrtcvad's voice flags are replaced by an energy test, with Resemblyzer's smoothing and
dilation kept, so the same pauses survive and the same silences go.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.errors import BundleError, EdgeAssistantError
from edge_assistant.home.model import Home
from edge_assistant.inference.base import LoadedModel
from edge_assistant.inference.loader import Placement, load_role

ROLE = "speaker_embedding"
SAMPLE_RATE = 16000
# What the exported model was trained on; recorded in every bundle and checked at load.
FEATURES: dict[str, Any] = {
    "sample_rate": SAMPLE_RATE,
    "n_fft": 400,  # 25 ms Hann window (periodic), centred with zero padding
    "hop_length": 160,  # 10 ms
    "n_mels": 40,
    "mel_scale": "slaney",  # librosa htk=False, norm="slaney", fmin 0, fmax sr/2
    "power": 2.0,  # a power spectrogram, not log-mel
    "partial_frames": 160,
    "partial_rate": 1.3,  # partials per second of audio
    "min_coverage": 0.75,  # a last partial less covered than this is dropped
    "volume_dbfs": -30.0,  # raised to this, never lowered
}
EMBEDDING_SIZE = 256
_N_FFT, _HOP, _N_MELS = FEATURES["n_fft"], FEATURES["hop_length"], FEATURES["n_mels"]
_PARTIAL = FEATURES["partial_frames"]
# Silence cutting, Resemblyzer's values: 30 ms windows, moving average of 8, 6 windows kept.
_VAD_WINDOW, _VAD_AVERAGE, _VAD_MAX_SILENCE = 480, 8, 6
_VAD_RANGE_DB = 40.0  # a window this far below the loudest one is silence...
_VAD_ABOVE_FLOOR_DB = 8.0  # ...and so is one this close to the quietest tenth
# Between espeak voices, measured (tests/test_speaker.py): a voiceprint of two clips scores a
# new sentence 0.91-0.93 in its own voice and at most 0.69 in another. Real rooms and people
# differ: sensitive commands still ask for confirmation.
DEFAULT_THRESHOLD = 0.80
_PERSON_ID = re.compile(r"^[a-z0-9_]+$")


class SpeakerError(EdgeAssistantError):
    """Enrollment or verification cannot go on with this audio or these voiceprints."""


class AudioTooShortError(SpeakerError):
    """Too little speech to tell a voice from."""


class NoEnrollmentError(SpeakerError):
    """Nobody has enrolled a voice yet."""


class UnknownPersonError(SpeakerError):
    """The person id is not one of the home's people (or not an id at all)."""


def mel_filterbank() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40), slaney scale and area norm."""
    edges = _mel_to_hz(np.linspace(0.0, _hz_to_mel(SAMPLE_RATE / 2), _N_MELS + 2))
    fft_hz = np.fft.rfftfreq(_N_FFT, 1.0 / SAMPLE_RATE)
    ramps = edges[:, None] - fft_hz[None, :]
    widths = np.diff(edges)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


def _hz_to_mel(hz: float | np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)  # slaney: linear below 1 kHz, logarithmic above
    log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    linear = mel * (200.0 / 3)
    log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log, linear)


_FILTERBANK = mel_filterbank()
_WINDOW = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_N_FFT) / _N_FFT)  # periodic Hann


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """frames x 40 mel power, frames = 1 + len(wav) // 160 (as librosa, centred)."""
    padded = np.pad(wav.astype(np.float64), _N_FFT // 2)
    frames = sliding_window_view(padded, _N_FFT)[::_HOP] * _WINDOW
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return (power @ _FILTERBANK.T).astype(np.float32)


def partial_slices(n_samples: int) -> list[slice]:
    """Mel-frame slices of the partials, as Resemblyzer's ``compute_partial_slices``."""
    n_frames = int(np.ceil((n_samples + 1) / _HOP))
    step = round(SAMPLE_RATE / FEATURES["partial_rate"] / _HOP)
    starts = range(0, max(1, n_frames - _PARTIAL + step + 1), step)
    slices = [slice(i, i + _PARTIAL) for i in starts]
    coverage = (n_samples - slices[-1].start * _HOP) / (_PARTIAL * _HOP)
    if coverage < FEATURES["min_coverage"] and len(slices) > 1:
        slices.pop()
    return slices


def partial_mels(wav: np.ndarray) -> np.ndarray:
    """partials x 160 x 40 float32; the audio is zero-padded to cover the last partial."""
    slices = partial_slices(len(wav))
    wav = np.pad(wav, (0, max(0, slices[-1].stop * _HOP - len(wav))))
    mel = mel_spectrogram(wav)
    return np.stack([mel[s] for s in slices])


def normalize_volume(wav: np.ndarray) -> np.ndarray:
    """Raise (never lower) the whole clip's RMS to -30 dBFS."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64))))
    change = FEATURES["volume_dbfs"] - 20 * np.log10(max(rms, 1e-10))
    return wav * np.float32(10 ** (change / 20)) if change > 0 else wav


def trim_long_silences(wav: np.ndarray) -> np.ndarray:
    """Cut silences longer than about 200 ms; short pauses inside speech stay."""
    wav = wav[: len(wav) - len(wav) % _VAD_WINDOW]
    if not len(wav):
        return wav
    windows = wav.reshape(-1, _VAD_WINDOW).astype(np.float64)
    level = 10 * np.log10(np.mean(windows**2, axis=1) + 1e-12)
    floor = np.percentile(level, 10)
    # Steady sound (silence, hum, fan) has no window 8 dB above its quietest: none is voiced.
    voiced = (level > level.max() - _VAD_RANGE_DB) & (level > floor + _VAD_ABOVE_FLOOR_DB)
    width = _VAD_AVERAGE
    padded = np.concatenate([np.zeros((width - 1) // 2), voiced, np.zeros(width // 2)])
    smoothed = np.convolve(padded, np.ones(width) / width, mode="valid")
    mask = np.round(smoothed).astype(bool)
    # scipy's binary_dilation with a centred structure of 7 ones: 3 windows either side
    mask = np.convolve(mask, np.ones(_VAD_MAX_SILENCE + 1), mode="same") > 0
    return wav[np.repeat(mask, _VAD_WINDOW)]


def preprocess(audio_int16: np.ndarray) -> np.ndarray:
    """16 kHz int16 -> float32 in [-1, 1], volume raised, long silences cut."""
    wav = np.asarray(audio_int16).astype(np.float32) / 32768.0
    return trim_long_silences(normalize_volume(wav))


def people_ids(home: Home | None) -> tuple[str, ...] | None:
    return None if home is None else tuple(p.id for p in home.people)


def check_person(person_id: str, people_ids: tuple[str, ...] | None) -> str:
    """``person_id`` if it is an id and, when ``people_ids`` is given, one of them."""
    if people_ids is not None and person_id not in people_ids:
        known = ", ".join(people_ids) or "none"
        raise UnknownPersonError(f"{person_id!r} is not one of the home's people ({known})")
    if not _PERSON_ID.match(person_id):
        raise UnknownPersonError(f"{person_id!r} is not an id: use a-z, 0-9 and _")
    return person_id


class SpeakerEncoder:
    """Audio -> unit 256-d voice embedding. ``embed`` is blocking: run it off the event loop."""

    def __init__(self, model: LoadedModel, placement: Placement | None = None) -> None:
        self.model = model
        self.placement = placement

    @classmethod
    def from_config(
        cls, device_config: LoadedDeviceConfig, models_dir: Path | None = None
    ) -> SpeakerEncoder:
        cfg = device_config.config.roles.speaker_embedding
        model, bundle, placement = load_role(device_config.models_dir(models_dir), ROLE, cfg)
        recorded = {k: bundle.manifest.export.get(k) for k in FEATURES}
        if recorded != FEATURES:
            raise BundleError(
                f"{bundle.folder}: exported for features {recorded}, this code computes "
                f"{FEATURES}; export it again"
            )
        return cls(model, placement)

    def embed_partials(self, mels: np.ndarray) -> np.ndarray:
        """partials x 160 x 40 mel power -> partials x 256 unit vectors."""
        return self.model.run({"mels": mels.astype(np.float32)})["embedding"]

    def embed_speech(self, wav: np.ndarray) -> np.ndarray:
        """Embedding of already preprocessed float32 audio (see ``preprocess``)."""
        mean = self.embed_partials(partial_mels(wav)).mean(axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32)

    def embed(self, audio_int16_16k: np.ndarray) -> np.ndarray:
        """Unit (256,) embedding of 16 kHz mono int16 speech; shorter than 1.6 s is padded."""
        wav = preprocess(audio_int16_16k)
        if not len(wav):
            seconds = len(audio_int16_16k) / SAMPLE_RATE
            raise AudioTooShortError(f"no speech found in {seconds:.2f} s of audio")
        return self.embed_speech(wav)


class Enrollment:
    """Voiceprints on disk, one ``<person>.npy`` each: a row per enrolled clip's embedding.

    A person's voiceprint is the normalised mean of their rows (Resemblyzer's
    ``embed_speaker``), so every clip enrolled adds to it.
    """

    def __init__(
        self,
        dir: Path,
        encoder: SpeakerEncoder,
        *,
        home: Home | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        min_seconds: float = 1.0,
    ) -> None:
        self.dir = Path(dir)
        self.encoder = encoder
        self.people_ids = people_ids(home)
        self.threshold = threshold
        self.min_seconds = min_seconds

    def path(self, person_id: str) -> Path:
        return self.dir / f"{check_person(person_id, self.people_ids)}.npy"

    def enrolled(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        names = (p.stem for p in self.dir.glob("*.npy") if _PERSON_ID.match(p.stem))
        return sorted(n for n in names if self.people_ids is None or n in self.people_ids)

    def clips(self, person_id: str) -> np.ndarray:
        """clips x 256: the embedding of every clip this person enrolled."""
        path = self.path(person_id)
        if not path.exists():
            raise NoEnrollmentError(f"{person_id} has not enrolled a voice (no {path})")
        try:
            rows = np.load(path)
        except (OSError, ValueError) as exc:
            raise SpeakerError(f"{path}: unreadable voiceprint ({exc}); enroll again") from exc
        if rows.ndim != 2 or rows.shape[1] != EMBEDDING_SIZE:
            raise SpeakerError(f"{path}: expected clips x {EMBEDDING_SIZE}, got {rows.shape}")
        return rows

    def voiceprint(self, person_id: str) -> np.ndarray:
        mean = self.clips(person_id).mean(axis=0)
        return mean / np.linalg.norm(mean)

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """The clip's embedding, refusing clips with under ``min_seconds`` of speech."""
        seconds = len(audio) / SAMPLE_RATE
        wav = preprocess(audio)
        speech = len(wav) / SAMPLE_RATE
        if seconds < self.min_seconds or speech < self.min_seconds:
            found = f"{seconds:.2f} s long" + (
                "" if speech >= seconds else f", {speech:.2f} s of it speech"
            )
            raise AudioTooShortError(
                f"the audio is {found}: at least {self.min_seconds:.1f} s of speech is needed "
                "to tell voices apart; record a whole sentence"
            )
        return self.encoder.embed_speech(wav)

    def enroll(self, person_id: str, audio: np.ndarray) -> Path:
        """Add one clip of ``person_id`` speaking; returns their voiceprint file."""
        path = self.path(person_id)
        row = self.embed(audio)[None]
        rows = np.concatenate([self.clips(person_id), row]) if path.exists() else row
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, rows.astype(np.float32))
        tmp.replace(path)  # never a half-written voiceprint
        return path

    def verify(self, audio: np.ndarray) -> tuple[str | None, float]:
        """The enrolled person closest to this voice and the cosine; None under threshold."""
        people = self.enrolled()
        if not people:
            raise NoEnrollmentError(
                f"no voice enrolled in {self.dir}; run `edge-assistant enroll --person ID "
                "--audio-file FILE` first"
            )
        embedding = self.embed(audio)
        scores = {p: float(self.voiceprint(p) @ embedding) for p in people}
        best = max(scores, key=scores.__getitem__)
        return (best if scores[best] >= self.threshold else None), scores[best]
