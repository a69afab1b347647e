"""The label sets the understanding model predicts, shared by training and the runtime."""

from __future__ import annotations

from edge_assistant.understanding.intents import MODEL_INTENTS

NOT_UNDERSTOOD = "none"
INTENT_LABELS: tuple[str, ...] = (*MODEL_INTENTS, NOT_UNDERSTOOD)
# What the command is about when no single device is named (and, when one is, its domain).
KIND_LABELS: tuple[str, ...] = (
    "none", "light", "switch", "fan", "cover", "lock", "climate", "media_player", "vacuum",
    "sensor", "binary_sensor", "alarm_control_panel", "person",
)  # fmt: skip
# Where the target comes from: a named device/person, a named area/floor, the context's
# area, the pointed-at device, the home's only device of that kind, or nothing.
TARGET_LABELS: tuple[str, ...] = ("none", "name", "area", "context", "pointing", "only")
SPAN_KINDS: tuple[str, ...] = ("NAME", "AREA", "FLOOR", "VALUE", "STATE", "CLASS")
TAG_LABELS: tuple[str, ...] = ("O", *(f"{p}-{k}" for k in SPAN_KINDS for p in ("B", "I")))


def token_tags(offsets: list[tuple[int, int]], spans: list[tuple[int, int, str]]) -> list[int]:
    """BIO tag index per token; special tokens (offset (0, 0)) and unspanned tokens are O."""
    tags = [0] * len(offsets)
    for start, end, kind in spans:
        inside = [i for i, (a, b) in enumerate(offsets) if b > a and a >= start and b <= end]
        for n, i in enumerate(inside):
            tags[i] = TAG_LABELS.index(f"{'B' if n == 0 else 'I'}-{kind}")
    return tags


def decode_spans(
    text: str, offsets: list[tuple[int, int]], tags: list[int]
) -> list[tuple[str, str]]:
    """(kind, text) of each tagged span, in order. An I- without a B- starts a span, and
    spans of one kind with only spaces between them are one span ("the" + "front door")."""
    spans: list[tuple[str, int, int]] = []
    for (a, b), tag in zip(offsets, tags, strict=True):
        if tag == 0 or b <= a:
            continue
        kind = TAG_LABELS[tag].split("-", 1)[1]
        if spans and spans[-1][0] == kind and not text[spans[-1][2] : a].strip():
            spans[-1] = (kind, spans[-1][1], b)
        else:
            spans.append((kind, a, b))
    return [(kind, text[a:b]) for kind, a, b in (_whole_words(text, *span) for span in spans)]


def _whole_words(text: str, kind: str, a: int, b: int) -> tuple[str, int, int]:
    """Widen a span cut inside a word ("tell" + "##y" tagged only on "##y") to whole words."""
    while a > 0 and text[a - 1].isalnum():
        a -= 1
    while b < len(text) and text[b].isalnum():
        b += 1
    return kind, a, b
