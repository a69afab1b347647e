"""Speaker embedding: Resemblyzer's encoder, exported, on real espeak-ng voices.

Measured here (cosine of single-sentence embeddings, 3 sentences per voice): the same voice
across different sentences 0.80-0.89; different voices 0.54-0.68 (m3~f2), 0.62-0.75
(m3~klatt4), 0.54-0.63 (f2~klatt4). A voiceprint of two clips against a third sentence:
0.91-0.93 for its own voice, at most 0.69 for the others. espeak voices are not people: these
say the pipeline works, not how well it tells people apart.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge_assistant.audio.speaker import (
    AudioTooShortError,
    Enrollment,
    NoEnrollmentError,
    SpeakerEncoder,
    UnknownPersonError,
    mel_filterbank,
    mel_spectrogram,
    partial_slices,
)
from edge_assistant.audio.synthesize import SAMPLE_RATE, silence, speak
from edge_assistant.config.device import load_device_config
from edge_assistant.home.model import load_home
from edge_assistant.inference.bundle import open_bundle
from tests.conftest import REPO

HOME = REPO / "examples" / "home.yaml"
# The home's people, each given a voice espeak-ng makes clearly different.
VOICES = {"alice": "en-us+m3", "bob": "en-us+f2", "guest": "en-us+klatt4"}
SENTENCES = (
    "Good morning, this is my voice for the assistant.",
    "Please turn off all the lights downstairs.",
    "Lock the back door and arm the alarm.",
)
HELD_OUT = "I would like the heating a little warmer tonight."


@pytest.fixture(scope="module")
def encoder(models_dir: Path) -> SpeakerEncoder:
    return SpeakerEncoder.from_config(load_device_config("cpu"), models_dir)


@pytest.fixture(scope="module")
def clips() -> dict[str, list[np.ndarray]]:
    """person -> the sentences, then the held-out one, in their voice (16 kHz int16)."""
    texts = (*SENTENCES, HELD_OUT)
    return {
        person: [speak(text, voice, seed=i).audio for i, text in enumerate(texts)]
        for person, voice in VOICES.items()
    }


def test_mel_matches_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    expected = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=400, n_mels=40)
    np.testing.assert_allclose(mel_filterbank(), expected, rtol=0, atol=1e-8)
    for audio in (speak("Open the garage door.").audio / 32768, np.ones(16037) * 0.1):
        wav = audio.astype(np.float32)
        want = librosa.feature.melspectrogram(
            y=wav, sr=SAMPLE_RATE, n_fft=400, hop_length=160, n_mels=40
        ).T
        got = mel_spectrogram(wav)
        assert got.shape == want.shape
        assert np.max(np.abs(got - want)) < 1e-5 * np.max(want)


@pytest.mark.parametrize(
    ("seconds", "starts"),
    [
        (0.5, [0]),  # shorter than one partial: one, padded
        (1.0, [0]),
        (2.5, [0, 77]),  # the third would cover only 60%: dropped
        (3.0, [0, 77, 154]),
    ],
)
def test_partials_are_resemblyzers(seconds: float, starts: list[int]) -> None:
    slices = partial_slices(int(seconds * SAMPLE_RATE))
    assert [(s.start, s.stop) for s in slices] == [(i, i + 160) for i in starts]


def test_both_backends_embed_alike(models_dir: Path, clips) -> None:
    config = load_device_config("cpu")
    ov = config.with_overrides("speaker_embedding", backend="openvino")
    audio = clips["alice"][0]
    ort_vec = SpeakerEncoder.from_config(config, models_dir).embed(audio)
    ov_vec = SpeakerEncoder.from_config(ov, models_dir).embed(audio)
    assert ort_vec.shape == (256,)
    assert abs(float(np.linalg.norm(ort_vec)) - 1) < 1e-5
    assert np.max(np.abs(ort_vec - ov_vec)) < 1e-5
    for variant in ("onnxruntime-fp32", "openvino-fp32"):
        manifest = open_bundle(models_dir / "speaker_embedding" / variant).manifest
        assert manifest.fidelity.values["max_abs"] < 1e-4
        assert manifest.fidelity.reference == "resemblyzer pytorch"
        assert manifest.export["n_mels"] == 40 and manifest.export["hop_length"] == 160


def test_same_voice_is_closer_than_other_voices(encoder: SpeakerEncoder, clips) -> None:
    vectors = {p: [encoder.embed(a) for a in audios[:3]] for p, audios in clips.items()}
    same = {p: [float(a @ b) for a, b in itertools.combinations(v, 2)] for p, v in vectors.items()}
    other = {
        (p, q): [float(a @ b) for a in vectors[p] for b in vectors[q]]
        for p, q in itertools.combinations(vectors, 2)
    }
    report = {p: round(min(s), 3) for p, s in same.items()} | {
        f"{p}~{q}": round(max(c), 3) for (p, q), c in other.items()
    }
    assert min(min(s) for s in same.values()) > 0.75, report
    assert max(max(c) for c in other.values()) < 0.78, report
    assert np.mean([*same.values()]) - np.mean([*other.values()]) > 0.15, report


def test_enroll_then_verify_picks_the_speaker(tmp_path: Path, encoder, clips) -> None:
    enrollment = Enrollment(tmp_path, encoder, home=load_home(HOME))
    for person, audios in clips.items():
        for audio in audios[:2]:
            path = enrollment.enroll(person, audio)
        assert path == tmp_path / f"{person}.npy"
        assert np.load(path).shape == (2, 256)
    assert enrollment.enrolled() == ["alice", "bob", "guest"]
    for person, audios in clips.items():
        who, cosine = enrollment.verify(audios[3])  # a sentence none of them enrolled
        assert (who, person) == (person, person), cosine
        assert cosine >= enrollment.threshold


def test_unenrolled_voice_is_nobody(tmp_path: Path, encoder, clips) -> None:
    enrollment = Enrollment(tmp_path, encoder)
    for person in ("alice", "bob"):
        for audio in clips[person][:2]:
            enrollment.enroll(person, audio)
    who, cosine = enrollment.verify(clips["guest"][3])
    assert who is None and cosine < enrollment.threshold


def test_clear_errors(tmp_path: Path, encoder, clips) -> None:
    enrollment = Enrollment(tmp_path, encoder, home=load_home(HOME))
    with pytest.raises(NoEnrollmentError, match="no voice enrolled"):
        enrollment.verify(clips["alice"][0])
    with pytest.raises(
        UnknownPersonError, match=r"'carol' is not one of the home's people \(alice, bob, guest\)"
    ):
        enrollment.enroll("carol", clips["alice"][0])
    short = speak("Hi.", "en-us+m3", lead_s=0.1, tail_s=0.1).audio
    with pytest.raises(AudioTooShortError, match=rf"{len(short) / SAMPLE_RATE:.2f} s long"):
        enrollment.enroll("alice", short)
    with pytest.raises(AudioTooShortError, match=r"3\.00 s long, 0\.00 s of it speech"):
        enrollment.enroll("alice", silence(3.0))
    with pytest.raises(AudioTooShortError, match=r"no speech found in 3\.00 s"):
        encoder.embed(silence(3.0))
    assert enrollment.enrolled() == []


def test_cli_enroll_end_to_end(tmp_path: Path, models_dir: Path, clips) -> None:
    import soundfile as sf

    wav = tmp_path / "alice.wav"
    sf.write(wav, clips["alice"][0], SAMPLE_RATE, subtype="PCM_16")
    voices = tmp_path / "data" / "edge-assistant" / "voices"  # the default under XDG_DATA_HOME
    args = ["enroll", "--person", "alice", "--audio-file", str(wav), "--home", str(HOME)]
    for clips_expected, more in ((1, []), (2, ["--dir", str(voices)])):
        proc = enroll(tmp_path, models_dir, *args, *more)
        assert proc.returncode == 0, proc.stderr
        line = json.loads(proc.stdout)
        assert line["person"] == "alice" and line["file"] == str(wav)
        assert line["seconds"] == round(len(clips["alice"][0]) / SAMPLE_RATE, 3)
        assert abs(line["embedding_norm"] - 1) < 1e-5
        assert (line["voiceprint"], line["clips"]) == (str(voices / "alice.npy"), clips_expected)
    assert np.load(voices / "alice.npy").shape == (2, 256)

    proc = enroll(tmp_path, models_dir, *args[:2], "mallory", *args[3:])
    assert proc.returncode == 2
    assert "'mallory' is not one of the home's people (alice, bob, guest)" in proc.stderr


def enroll(tmp_path: Path, models: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "200"}
    env["EDGE_ASSISTANT_MODELS"] = str(models)
    command = [sys.executable, "-m", "edge_assistant", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
