"""Inputs for timing a model: plausible batch-1 feeds made from its bundle manifest alone.

The profiler measures every exported variant without the audio, text or images the daemon
would feed it, so each input is synthesized from its spec: token ids, masks, recurrent state,
audio, images or features, with a fixed seed so every run of a profile feeds the same values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from edge_assistant.config.device import ROLE_SPECS
from edge_assistant.inference.bundle import Manifest, TensorSpec

DEFAULT_TOKENS = 12  # a typical command ("turn on the kitchen light in the evening, please"), as bench/encoder.py
# Inputs whose axis 1 is the token axis (text encoder and understanding models).
TOKEN_INPUTS = ("input_ids", "attention_mask", "mask", "tokens")


def variant_tokens(variant: str) -> int | None:
    """``-s32`` ends the name of a variant with a static token length (RoleConfig.variant)."""
    match = re.search(r"-s(\d+)$", variant)
    return int(match.group(1)) if match else None


def token_length(role: str, feeds: Mapping[str, np.ndarray]) -> int | None:
    """The token length ``feeds`` really carry, for roles with a token axis; else None."""
    spec = ROLE_SPECS.get(role)
    if spec is None or not spec.has_sequence_axis:
        return None
    for name in TOKEN_INPUTS:
        if name in feeds and feeds[name].ndim >= 2:
            return int(feeds[name].shape[1])
    return None


def synthesize_feeds(manifest: Manifest, folder: Path, tokens: int | None) -> dict[str, np.ndarray]:
    """Plausible batch-1 inputs for the manifest's input specs (a fixed seed: same every run)."""
    rng = np.random.default_rng(0)
    features = _feature_sizes(manifest, folder)
    value_range = tuple(manifest.export.get("input", {}).get("value_range", (0.0, 1.0)))
    return {
        spec.name: _fill(spec, _shape(spec, tokens or DEFAULT_TOKENS, features), value_range, rng)
        for spec in manifest.inputs
    }


def _feature_sizes(manifest: Manifest, folder: Path) -> dict[str, int]:
    # The static understanding export leaves its feature axes dynamic in the manifest; the
    # bundle's labels.json names every context and gazetteer feature, so it knows their count.
    if not any(f.path == "labels.json" for f in manifest.files):
        return {}
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    return {name: len(values) for name, values in labels.items() if isinstance(values, list)}


def _shape(spec: TensorSpec, tokens: int, features: dict[str, int]) -> tuple[int, ...]:
    return tuple(_dim(spec, axis, tokens, features) for axis in range(len(spec.shape)))


def _dim(spec: TensorSpec, axis: int, tokens: int, features: dict[str, int]) -> int:
    """A dynamic axis is the batch when first, a named feature axis when last, else tokens."""
    dim = spec.shape[axis]
    if isinstance(dim, int):
        return dim
    if axis == 0:
        return 1  # batch 1 (the speaker model's partials axis is its batch)
    if axis == len(spec.shape) - 1 and spec.name in features:
        return features[spec.name]
    return tokens


def _fill(
    spec: TensorSpec,
    shape: tuple[int, ...],
    value_range: tuple[float, ...],
    rng: np.random.Generator,
) -> np.ndarray:
    """Values by input name: token ids, masks, recurrent state, audio, images, features."""
    dtype = np.dtype(spec.dtype)
    if spec.name == "input_ids":
        ids = rng.integers(1000, 2000, size=shape)
        ids[..., 0], ids[..., -1] = 101, 102  # [CLS] ... [SEP]
        return ids.astype(dtype)
    if spec.name in {"attention_mask", "mask"}:
        return np.ones(shape, dtype=dtype)
    if spec.name == "sr":
        return np.full(shape, 16000, dtype=dtype)
    if spec.name in {"token_type_ids", "state", "context", "gazetteer"} or dtype.kind in "iub":
        return np.zeros(shape, dtype=dtype)
    if spec.name == "tokens":  # the text encoder's token states
        return (rng.standard_normal(shape) * 0.5).astype(dtype)
    if spec.name == "input":  # 16 kHz audio samples
        return rng.uniform(-0.3, 0.3, size=shape).astype(dtype)
    low, high = value_range  # images in the range their export recorded; mel power in [0, 1)
    return rng.uniform(low, high, size=shape).astype(dtype)
