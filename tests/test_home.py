"""home.yaml loads, and every broken reference or unsafe value names the key and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
import yaml

from edge_assistant.errors import ConfigError
from edge_assistant.home import load_home
from edge_assistant.home.model import Domain
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "home.yaml"


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "home.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def test_example_home_loads() -> None:
    home = load_home(EXAMPLE)
    assert len(home.areas) == 10 and len(home.devices) >= 25
    every = load_home(REPO / "examples" / "home-all-domains.yaml")
    assert {d.domain for d in every.devices} == set(get_args(Domain))  # every domain once
    assert {d.id for d in home.devices} < {d.id for d in every.devices}
    sensitive = {d.id for d in home.devices if home.is_sensitive(d)}
    assert sensitive == {"front_door", "alarm", "garage_door"}
    assert home.area("living_room").spoken_names() == ("Living Room", "lounge", "family room")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda h: h["devices"][0].update(area="attic"),
            "device kitchen_ceiling: unknown area 'attic' (known: bathroom, bedroom",
        ),
        (
            lambda h: h["areas"][0].update(floor="basement"),
            "area kitchen: unknown floor 'basement' (known: first, ground)",
        ),
        (
            lambda h: h["devices"][0].update(mqtt={"command_topic": "home/+/set"}),
            "must be non-empty with no + or # wildcard",
        ),
        (
            lambda h: h["devices"][0].update(capabilities=["volume"]),
            "device kitchen_ceiling: light cannot have volume (allowed: brightness, color, color_temp)",
        ),
        (
            lambda h: h["devices"][4].update(entity_id="switch.ceiling"),
            "entity_id must start with 'light.'",
        ),
        (
            lambda h: h["devices"][1].update(name="Kitchen Ceiling Light"),
            "duplicate device name for the same domain and class: 'kitchen ceiling light (light )'",
        ),
        (
            lambda h: h["areas"][1].update(aliases=["kitchen"]),
            "duplicate area name or alias: 'kitchen'",
        ),
        (lambda h: h["devices"][0].update(id="Kitchen Light"), "'Kitchen Light' is not an id"),
        (lambda h: h["devices"][0].update(domain="toaster"), "devices.0.domain"),
        (
            lambda h: h["devices"][0].update(colour="red"),
            "devices.0.colour: unknown key (allowed: id, name, aliases, domain, area",
        ),
        (
            lambda h: h["policies"].update(sensitive_devices=["shed"]),
            "policies.sensitive_devices: unknown device 'shed'",
        ),
        (lambda h: h["devices"][0].pop("mqtt"), "give mqtt topics or a Home Assistant entity_id"),
        (lambda h: h["devices"][0].update(items=["milk"]), "only a todo list has items"),
    ],
)
def test_broken_home_is_explained(tmp_path: Path, example: dict, mutate, expected: str) -> None:
    mutate(example)
    path = write(tmp_path, example)
    with pytest.raises(ConfigError) as err:
        load_home(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


@pytest.mark.parametrize("item", ["", "milk; rm -rf /", "x" * 101, "#milk", "milk\n"])
def test_a_lists_items_are_plain_words(tmp_path: Path, item: str) -> None:
    """Items go into the recognizer's grammar: plain words only."""
    from edge_assistant.home.model import Device

    with pytest.raises(ValueError, match="must be 1-100 characters"):
        Device(id="groceries", name="Groceries", domain="todo", entity_id="todo.groceries",
               items=("milk", item))  # fmt: skip
