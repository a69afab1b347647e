"""Sentence templates (Home Assistant's and our own): one source for the model's training
data (export/nlu) and the speech recognizer's grammar (grammar.py), so the two never drift.

A random walk expands a template.

Expanding every alternative of Home Assistant's templates explodes combinatorially and
favours the first alternatives; a random walk gives an unbiased sample. Lists (``{area}``,
``{brightness}``) stay as placeholders so the filler can put a home's names in and record
exactly where each slot value sits in the text.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hassil import parse_sentence
from hassil.expression import (
    Alternative,
    Expression,
    ListReference,
    Permutation,
    RuleReference,
    Sentence,
    Sequence,
    TextChunk,
)

from edge_assistant.understanding.intents import MODEL_INTENTS

OWN_TEMPLATES = Path(__file__).with_name("rephrasings.yaml")
_RULE = re.compile(r"<([a-z_]+)>")
# Words glued onto a name ("<name>['s]") or an optional space ("any[ ]sensor"): the speech
# grammar's words are whole, so it cannot say them, and the model does not learn what the
# recognizer can never hear. The template layer (templates.py) still matches them exactly.
GLUED = re.compile(r"[>}]\['s\]|\[ \]")
SPEECH_TO_PHRASE = Path(__file__).with_name("data") / "speech_to_phrase_en.json"
# Lists whose values come from free text: no spans can be drawn from them.
WILDCARDS = {"message", "search_query", "zone", "timer_name", "timer_command",
             "shopping_list_item", "todo_list_item"}  # fmt: skip
# Lists for slots this project does not support yet (colour temperature, fan modes).
UNSUPPORTED = {"color_temperature", "color_temperature_names", "fan_mode", "fan_speed"}


@dataclass(frozen=True)
class Template:
    key: str  # stable id, used to split train and evaluation by template
    intent: str | None
    sentence: Sentence
    fixed: dict[str, Any] = field(default_factory=dict)  # slots the template implies
    requires: dict[str, Any] = field(default_factory=dict)  # requires_context
    target: str | None = None  # own templates: "context" | "pointing" | None (from lists)


@dataclass(frozen=True)
class Piece:
    """One piece of an expanded sentence: literal text, or a list to fill."""

    text: str = ""
    list_name: str | None = None
    slot: str | None = None


@cache
def ha_data() -> dict[str, Any]:
    from home_assistant_intents import get_intents

    data = get_intents("en")
    if data is None:
        raise RuntimeError("home-assistant-intents has no English data")
    return data


@cache
def speech_data() -> dict[str, Any]:
    """Home Assistant's speech-to-phrase subset: the phrasings its grammar recognizer hears
    (vendored: see data/README.md)."""
    return json.loads(SPEECH_TO_PHRASE.read_text(encoding="utf-8"))


@cache
def expansion_rules(speech: bool = False) -> dict[str, Sentence]:
    """Rules of the full templates, or (``speech``) the speech subset's over the full ones."""
    texts = dict(ha_data()["expansion_rules"])
    if speech:
        texts.update(speech_data()["expansion_rules"])
    rules = {name: parse_sentence(text) for name, text in texts.items()}
    own = yaml.safe_load(OWN_TEMPLATES.read_text())
    rules.update({name: parse_sentence(text) for name, text in own.get("rules", {}).items()})
    return rules


def ha_templates(
    speech: bool = False,
    intents: tuple[str, ...] = MODEL_INTENTS,
    wildcards: frozenset[str] = frozenset(),
) -> list[Template]:
    """Home Assistant's templates for ``intents`` (the model's, unless told); ``speech``: its
    speech-to-phrase subset. Templates with free-text lists are left out, except those in
    ``wildcards`` (the caller gives their values)."""
    data = speech_data() if speech else ha_data()
    templates = []
    for intent in intents:
        for b, block in enumerate(data["intents"].get(intent, {}).get("data", [])):
            for s, text in enumerate(block["sentences"]):
                text = local_rules(text, block.get("expansion_rules", {}))
                if GLUED.search(text):
                    continue
                sentence = parse_sentence(text)
                if _lists(sentence.expression) & ((WILDCARDS - wildcards) | UNSUPPORTED):
                    continue
                templates.append(Template(
                    key=f"{'stp' if speech else 'ha'}:{intent}:{b}:{s}", intent=intent, sentence=sentence,
                    fixed=dict(block.get("slots", {})),
                    requires=dict(block.get("requires_context", {})),
                ))  # fmt: skip
    return templates


def list_value(value: str | dict[str, Any]) -> dict[str, Any]:
    """A list value as ``{"in": spoken, "out": value}``: releases write a plain string for a
    value said as it is stored ("red")."""
    return {"in": value, "out": value} if isinstance(value, str) else value


def local_rules(text: str, rules: dict[str, str]) -> str:
    """A block's own expansion rules (``<class>`` defined beside its sentences) written into
    the sentence, and so are the language-wide rules that use them
    (``<what_is_the_class_of_name>``), so every rule left to look up is a language-wide one
    that means the same everywhere."""
    if not rules:
        return text
    language = ha_data()["expansion_rules"]
    for _ in range(20):  # rules use rules; twenty rounds is far deeper than any template
        expanded = _RULE.sub(lambda m: _inline(m, rules, language), text)
        if expanded == text:
            return text
        text = expanded
    raise RecursionError(f"local expansion rules nest too deeply in {text[:80]!r}")


def _inline(match: re.Match[str], local: dict[str, str], language: dict[str, str]) -> str:
    name = match.group(1)
    if name in local:
        return f"({local[name]})"
    body = language.get(name, "")
    uses_local = any(f"<{rule}>" in body for rule in local)
    return f"({body})" if uses_local else match.group(0)


def own_templates() -> list[Template]:
    """Our rephrasings (rephrasings.yaml): indirect requests, slang, pointing, not-understood."""
    own = yaml.safe_load(OWN_TEMPLATES.read_text())
    templates = []
    for g, group in enumerate(own["templates"]):
        for s, text in enumerate(group["sentences"]):
            templates.append(Template(
                key=f"own:{g}:{s}", intent=group["intent"], sentence=parse_sentence(text),
                fixed=dict(group.get("slots", {})), requires=dict(group.get("requires", {})),
                target=group.get("target"),
            ))  # fmt: skip
    return templates


def expand(expression: Expression, rng: random.Random, depth: int = 0) -> list[Piece]:
    """One random expansion of ``expression`` into text pieces and list placeholders."""
    if depth > 50:
        raise RecursionError("expansion rules nest too deeply")
    if isinstance(expression, TextChunk):
        return [Piece(text=expression.original_text)]
    if isinstance(expression, ListReference):
        return [Piece(list_name=expression.list_name, slot=expression.slot_name)]
    if isinstance(expression, RuleReference):
        return expand(_rule(expression.rule_name).expression, rng, depth + 1)
    if isinstance(expression, Alternative):
        if expression.is_optional and rng.random() < 0.5:
            return []
        options = [i for i in expression.items if not _is_empty(i)] or expression.items
        return expand(rng.choice(options), rng, depth + 1)
    if isinstance(expression, Permutation):
        items = list(expression.items)
        rng.shuffle(items)
        pieces: list[Piece] = []
        for item in items:
            pieces += [Piece(text=" "), *expand(item, rng, depth + 1)]
        return pieces
    if isinstance(expression, Sequence):
        return [p for item in expression.items for p in expand(item, rng, depth + 1)]
    raise TypeError(f"unexpected template expression {expression!r}")


def _rule(name: str) -> Sentence:
    """A rule of the full templates, else of the speech subset (which names a few of its own,
    like ``<track>``)."""
    rules = expansion_rules()
    return rules[name] if name in rules else expansion_rules(speech=True)[name]


def _is_empty(expression: Expression) -> bool:
    return isinstance(expression, TextChunk) and not expression.original_text.strip()


def _lists(expression: Expression) -> set[str]:
    if isinstance(expression, ListReference):
        return {expression.list_name}
    if isinstance(expression, RuleReference):
        rule = expansion_rules().get(expression.rule_name)
        return _lists(rule.expression) if rule else set()
    items = getattr(expression, "items", [])
    return set().union(*(_lists(i) for i in items)) if items else set()
