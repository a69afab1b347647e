"""The sentence encoder: tokenizer + exported MiniLM + mean pooling + L2 normalisation.

Runs any text_encoder bundle on any backend; a bundle exported with a static sequence
length (for the NPU) is fed padded batches of exactly that length, one sentence at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from edge_assistant.config.device import LoadedDeviceConfig, RoleConfig
from edge_assistant.errors import BundleError
from edge_assistant.inference.base import LoadedModel
from edge_assistant.inference.bundle import Bundle
from edge_assistant.inference.loader import Placement, load_role

ROLE = "text_encoder"
DEFAULT_MAX_TOKENS = 256


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of token vectors where ``mask`` is 1, L2-normalised (sentence-transformers' way)."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden.astype(np.float32) * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def load_tokenizer(path: Path, max_tokens: int) -> Tokenizer:
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
        raise BundleError(f"{path}: cannot read tokenizer: {exc}") from exc
    tokenizer.no_padding()  # the shipped tokenizer.json pads to 128, which costs 10x
    tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer


@dataclass
class Encoded:
    input_ids: np.ndarray
    attention_mask: np.ndarray
    offsets: list[list[tuple[int, int]]] = field(default_factory=list)  # chars per real token

    def feeds(self) -> dict[str, np.ndarray]:
        return {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
            "token_type_ids": np.zeros_like(self.input_ids),
        }


class TextEncoder:
    def __init__(self, model: LoadedModel, bundle: Bundle, placement: Placement | None = None):
        self.model = model
        self.bundle = bundle
        self.placement = placement
        settings = bundle.manifest.export
        self.static_length: int | None = settings.get("sequence_length")
        max_tokens = self.static_length or int(settings.get("max_tokens", DEFAULT_MAX_TOKENS))
        self.tokenizer = load_tokenizer(bundle.file("tokenizer.json"), max_tokens)

    @classmethod
    def from_config(
        cls,
        device_config: LoadedDeviceConfig,
        role: RoleConfig | None = None,
        models_dir: Path | None = None,
    ) -> TextEncoder:
        cfg = role or device_config.config.roles.text_encoder
        model, bundle, placement = load_role(device_config.models_dir(models_dir), ROLE, cfg)
        return cls(model, bundle, placement)

    @property
    def dimension(self) -> int:
        return int(self.bundle.manifest.outputs[0].shape[-1])

    def tokenize(self, texts: Sequence[str]) -> Encoded:
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError("TextEncoder expects a sequence of str")
        encodings = self.tokenizer.encode_batch(list(texts))
        width = self.static_length or max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        return Encoded(ids, mask, [list(e.offsets) for e in encodings])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length sentence embeddings, shape (len(texts), dimension). Blocking."""
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        batch = self.tokenize(texts)
        if self.static_length is None:
            return self._run(batch)
        rows = [
            self._run(Encoded(batch.input_ids[i : i + 1], batch.attention_mask[i : i + 1]))
            for i in range(len(texts))
        ]
        return np.concatenate(rows)

    def token_states(self, text: str) -> tuple[np.ndarray, Encoded]:
        """Contextual token vectors (1, tokens, dimension) of one sentence, with its
        encoding (ids, mask). Blocking."""
        batch = self.tokenize([text])
        return self._hidden(batch), batch

    def _hidden(self, batch: Encoded) -> np.ndarray:
        return self.model.run(batch.feeds())[self.bundle.manifest.outputs[0].name]

    def _run(self, batch: Encoded) -> np.ndarray:
        return mean_pool(self._hidden(batch), batch.attention_mask)
