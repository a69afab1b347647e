"""Device configs load, and every mistake is reported with file, key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_assistant.config.device import load_device_config
from edge_assistant.errors import ConfigError
from tests.conftest import CONFIGS

GOOD = (CONFIGS / "cpu.yaml").read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "target.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_config_validates(path: Path) -> None:
    loaded = load_device_config(path)
    assert loaded.config.name == path.stem
    assert {role for role, _ in loaded.config.roles.items()} == {
        "text_encoder",
        "vad",
        "understanding",
        "face_detection",
        "palm_detection",
        "hand_landmarks",
        "pose_detection",
        "pose_landmarks",
        "speaker_embedding",
    }


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_config_wakes_on_a_wake_word(path: Path) -> None:
    """Overheard speech must not become actions: no shipped config listens without one
    (`--wake-word none` is the explicit choice for files of bare commands)."""
    config = load_device_config(path)
    wake = config.config.voice.wake_word
    assert wake.type == "micro" and [m.model for m in wake.models] == ["okay_nabu"]
    bare = config.with_wake_word("none")
    assert bare.config.voice.wake_word.type == "none"
    two = config.with_wake_word("okay_nabu, hey_jarvis").config.voice.wake_word
    assert [m.model for m in two.models] == ["okay_nabu", "hey_jarvis"]


def test_config_by_name_resolves_to_device_configs() -> None:
    assert load_device_config("intel-npu").path == CONFIGS / "intel-npu.yaml"


def test_unknown_key_names_file_line_key_and_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    threads: 1\n", "    threads: 1\n    thread: 2\n", 1))
    with pytest.raises(ConfigError) as err:
        load_device_config(path)
    message = str(err.value)
    assert str(path) in message
    assert "roles.text_encoder.thread: unknown key" in message
    assert "allowed: backend, device, precision, threads, fallback, sequence_length" in message
    line = GOOD.splitlines().index("    threads: 1") + 2
    assert f"line {line}:" in message


def test_bad_value_names_key_and_choices(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("device: CPU", "device: TPU", 1))
    with pytest.raises(
        ConfigError, match=r"roles\.text_encoder\.device: .*'CPU', 'GPU', 'NPU' or 'AUTO'.*'TPU'"
    ):
        load_device_config(path)


def test_missing_role_is_named(tmp_path: Path) -> None:
    text = GOOD[: GOOD.index("  vad:")]
    with pytest.raises(ConfigError, match=r"roles\.vad: required key is missing"):
        load_device_config(write(tmp_path, text))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("precision: int8", "precision: fp16", "fp16 is exported for backend openvino only"),
        ("precision: fp32", "precision: int8", "roles.vad.precision: int8 is not exported for vad"),
        ("device: CPU", "device: NPU", "the NPU needs static shapes: set sequence_length"),
        ("threads: 1", "threads: 0", "greater than or equal to 1"),
        ("fallback: []", "fallback: [FPGA]", "roles.text_encoder.fallback.0"),
    ],
)
def test_invalid_combinations_are_explained(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    text = GOOD.replace(old, new, 1) if old != "precision: fp32" else GOOD.replace(old, new)
    with pytest.raises(ConfigError) as err:
        load_device_config(write(tmp_path, text))
    assert expected in str(err.value)


def test_understanding_must_read_the_encoders_token_length(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    precision: int8\n", "    precision: int8\n    sequence_length: 32\n", 1
    )
    with pytest.raises(ConfigError, match=r"roles\.understanding\.sequence_length must equal"):
        load_device_config(write(tmp_path, text))


def test_yaml_syntax_error_names_file(tmp_path: Path) -> None:
    path = write(tmp_path, "name: cpu\nroles: [unclosed\n")
    with pytest.raises(ConfigError, match=r"target\.yaml: not valid YAML"):
        load_device_config(path)


def test_missing_file_and_unknown_name() -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_device_config("nope.yaml")
    with pytest.raises(ConfigError, match=r"no device config of that name \(arm-board, cpu"):
        load_device_config("tpu-box")


def test_models_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "models_dir: bundles\n" + GOOD)
    loaded = load_device_config(path)
    monkeypatch.delenv("EDGE_ASSISTANT_MODELS", raising=False)
    assert loaded.models_dir() == tmp_path / "bundles"
    monkeypatch.setenv("EDGE_ASSISTANT_MODELS", "/srv/models")
    assert loaded.models_dir() == Path("/srv/models")
    assert loaded.models_dir(tmp_path / "cli") == tmp_path / "cli"
