"""Custom sentences, in Home Assistant's own format and read as it reads them.

``home.yaml`` names a folder (``custom_sentences: custom_sentences/en``) of YAML files like
Home Assistant's ``config/custom_sentences/en/*.yaml``: ``language: en``, ``intents`` (per
intent, ``data`` blocks of ``sentences`` with optional ``slots``, ``requires_context`` and
``excludes_context``), ``lists`` and ``expansion_rules``. They are merged over Home
Assistant's templates (a file may add sentences to a built-in intent, as in Home Assistant)
and go into the template layer and the speech recognizer's grammar.

An intent that Home Assistant does not have needs an entry under ``intents:`` in home.yaml
saying what it does (an MQTT publish, a Home Assistant service call, a response); the
entry's ``{slot}`` placeholders may use values from lists and ranges, never a wildcard's
words in a topic, a payload or a service (words said are only ever said back).
Every mistake is a ConfigError naming the file, the intent and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hassil import parse_sentence
from hassil.expression import Expression, ListReference, RuleReference

from edge_assistant.errors import ConfigError
from edge_assistant.home.model import Home
from edge_assistant.understanding.intents import INTENTS
from edge_assistant.understanding.phrasings import Template, local_rules

EXTRA = Path(__file__).with_name("data") / "extra_sentences_en.yaml"
TOP_KEYS = {"language", "intents", "lists", "expansion_rules", "skip_words", "responses"}
BLOCK_KEYS = {"sentences", "slots", "requires_context", "excludes_context", "response",
              "metadata", "expansion_rules"}  # fmt: skip
# Home Assistant's own list names a custom sentence may use (filled from the home)
HOME_LISTS = {"name", "area", "floor"}


@dataclass(frozen=True)
class CustomSentences:
    data: dict[str, Any]  # language, intents, lists, expansion_rules: merged over all files
    wildcards: frozenset[str]  # slots whose values are words said
    slots: dict[str, frozenset[str]]  # intent -> the slots its sentences can fill

    @property
    def intents(self) -> set[str]:
        return set(self.data["intents"])

    def templates(self) -> list[Template]:
        """Every custom sentence, for the recognizer's grammar (which skips wildcards)."""
        templates = []
        for intent, body in self.data["intents"].items():
            for b, block in enumerate(body["data"]):
                for s, text in enumerate(block["sentences"]):
                    templates.append(Template(
                        key=f"custom:{intent}:{b}:{s}", intent=intent,
                        sentence=_parse(text, block, self.data),
                        fixed=dict(block.get("slots", {})),
                        requires=dict(block.get("requires_context", {})),
                    ))  # fmt: skip
        return templates


EMPTY = CustomSentences(
    {"language": "en", "intents": {}, "lists": {}, "expansion_rules": {}}, frozenset(), {}
)


def read_custom_sentences(home: Home) -> CustomSentences:
    """The home's custom sentences (EMPTY without any), checked against its ``intents``."""
    if home.custom_sentences is None:
        return EMPTY
    folder = Path(home.custom_sentences)
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.yaml"))) if (
        folder.is_dir()
    ) else ()  # fmt: skip
    custom = _read(folder, stamp)
    _check_actions(home, custom, folder)
    return custom


@cache
def extra_sentences() -> CustomSentences:
    """The project's own sentences for intents newer than the pinned templates
    (data/extra_sentences_en.yaml), read like a home's custom sentences."""
    return _build([EXTRA])


@cache
def _read(folder: Path, stamp: tuple[tuple[str, int], ...]) -> CustomSentences:
    if not folder.is_dir():
        raise ConfigError(
            f"{folder}: the custom_sentences folder of home.yaml is not there; create it with "
            "files like custom_sentences/en/my_intents.yaml, or remove custom_sentences"
        )
    return _build([folder / name for name, _ in stamp])


def _build(paths: list[Path]) -> CustomSentences:
    merged: dict[str, Any] = {"language": "en", "intents": {}, "lists": {}, "expansion_rules": {}}
    for path in paths:
        data = _load(path)
        merged["lists"].update(data.get("lists") or {})
        merged["expansion_rules"].update(data.get("expansion_rules") or {})
        for intent, body in (data.get("intents") or {}).items():
            blocks = _blocks(path, intent, body)
            merged["intents"].setdefault(intent, {"data": []})["data"].extend(blocks)
    wildcards = frozenset(n for n, spec in merged["lists"].items()
                          if isinstance(spec, dict) and spec.get("wildcard"))  # fmt: skip
    slots = {intent: frozenset(_slots(body["data"], merged)) for intent, body
             in merged["intents"].items()}  # fmt: skip
    slot_wildcards = frozenset(
        slot
        for body in merged["intents"].values()
        for block in body["data"]
        for text in block["sentences"]
        for list_name, slot in _list_slots(_parse(text, block, merged).expression)
        if list_name in wildcards
    )
    return CustomSentences(merged, slot_wildcards, slots)


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read it as YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with language, intents and lists")
    if data.get("language") != "en":
        raise ConfigError(f"{path}: language must be 'en' (got {data.get('language')!r})")
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)} (allowed: "
                          f"{', '.join(sorted(TOP_KEYS))})")  # fmt: skip
    for key in ("intents", "lists", "expansion_rules"):
        if not isinstance(data.get(key) or {}, dict):
            raise ConfigError(f"{path}: {key} must be a mapping")
    return data


def _blocks(path: Path, intent: str, body: Any) -> list[dict[str, Any]]:
    where = f"{path}: intents.{intent}"
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ConfigError(f"{where}: expected data: a list of blocks with sentences")
    for n, block in enumerate(body["data"]):
        if not isinstance(block, dict) or not isinstance(block.get("sentences"), list):
            raise ConfigError(f"{where}.data[{n}]: expected sentences: a list of templates")
        unknown = sorted(set(block) - BLOCK_KEYS)
        if unknown:
            raise ConfigError(f"{where}.data[{n}]: unknown key(s) {', '.join(unknown)}")
        for text in block["sentences"]:
            if not isinstance(text, str):
                raise ConfigError(f"{where}.data[{n}]: sentence {text!r} is not text")
            try:
                parse_sentence(text)
            except Exception as exc:  # hassil raises several kinds for a bad template
                raise ConfigError(f"{where}.data[{n}]: cannot parse {text!r}: {exc}") from None
    return body["data"]


def _parse(text: str, block: dict[str, Any], merged: dict[str, Any]) -> Any:
    rules = {**merged["expansion_rules"], **block.get("expansion_rules", {})}
    return parse_sentence(local_rules(text, rules))


def _list_slots(expression: Expression) -> list[tuple[str, str]]:
    if isinstance(expression, ListReference):
        return [(expression.list_name, expression.slot_name or expression.list_name)]
    if isinstance(expression, RuleReference):
        return []
    return [pair for item in getattr(expression, "items", []) for pair in _list_slots(item)]


def _slots(blocks: list[dict[str, Any]], merged: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for block in blocks:
        found |= set(block.get("slots") or {})
        for text in block["sentences"]:
            found |= {slot for _, slot in _list_slots(_parse(text, block, merged).expression)}
    return found


def _check_actions(home: Home, custom: CustomSentences, folder: Path) -> None:
    for intent in sorted(custom.intents - set(INTENTS)):
        if intent not in home.intents:
            raise ConfigError(
                f"{folder}: intent {intent} has no action: add it to home.yaml under intents: "
                f"({intent}: {{response: ..., mqtt: {{topic: ..., payload: ...}}}} or "
                "service: {name: domain.service, ...})"
            )
    for intent, action in home.intents.items():
        if intent not in custom.intents:
            raise ConfigError(
                f"home.yaml intents.{intent}: no file in {folder} has sentences for it"
            )
        unknown = action.placeholders() - custom.slots[intent]
        if unknown:
            raise ConfigError(
                f"home.yaml intents.{intent}: {{{', '.join(sorted(unknown))}}} is no slot of its "
                f"sentences (they fill: {', '.join(sorted(custom.slots[intent])) or 'none'})"
            )
        acting = set()
        if action.mqtt:
            acting |= {p for p in custom.wildcards if f"{{{p}}}" in action.mqtt.topic
                       + action.mqtt.payload}  # fmt: skip
        if action.service:
            texts = [action.service.entity_id or "", *map(str, action.service.data.values())]
            acting |= {p for p in custom.wildcards if any(f"{{{p}}}" in t for t in texts)}
        if acting:
            raise ConfigError(
                f"home.yaml intents.{intent}: {{{', '.join(sorted(acting))}}} holds words said "
                "(a wildcard); it may be said back in the response, never put in a topic, a "
                "payload or a service call: use a list of values instead"
            )
