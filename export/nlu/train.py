"""Train the fusion model on token states from the (frozen) text encoder.

Features come from the text encoder bundle through the runtime's own ``TextEncoder``, so
the model learns from exactly what it will see at run time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from edge_assistant.home.model import Home
from edge_assistant.understanding.context import Context, context_vector
from edge_assistant.understanding.encoder import TextEncoder
from edge_assistant.understanding.gazetteer import GAZETTEER_FEATURES, Gazetteer
from edge_assistant.understanding.labels import (
    INTENT_LABELS,
    KIND_LABELS,
    NOT_UNDERSTOOD,
    TAG_LABELS,
    TARGET_LABELS,
    token_tags,
)
from export.nlu.fill import PEOPLE, Sample
from export.nlu.model import Fusion, FusionModel


@dataclass
class Tensors:
    tokens: torch.Tensor  # (n, T, d) float32
    mask: torch.Tensor  # (n, T) float32
    context: torch.Tensor  # (n, c)
    intent: torch.Tensor
    kind: torch.Tensor
    target: torch.Tensor
    tags: torch.Tensor  # (n, T), -100 on padding
    gazetteer: torch.Tensor  # (n, T, g)

    def __len__(self) -> int:
        return len(self.intent)


def featurize(
    encoder: TextEncoder, samples: list[Sample], homes: list[Home], batch: int = 32
) -> Tensors:
    """Token states of every sample (batched by length; fp32 results do not depend on it)."""
    encodings = [encoder.tokenizer.encode(s.text) for s in samples]
    width = max(len(e.ids) for e in encodings)
    dim = encoder.dimension
    tokens = np.zeros((len(samples), width, dim), dtype=np.float32)
    mask = np.zeros((len(samples), width), dtype=np.float32)
    order = sorted(range(len(samples)), key=lambda i: len(encodings[i].ids))
    for start in range(0, len(order), batch):
        rows = order[start : start + batch]
        enc = encoder.tokenize([samples[i].text for i in rows])
        hidden = encoder._hidden(enc)
        for r, i in enumerate(rows):
            n = len(encodings[i].ids)
            tokens[i, :n] = hidden[r, :n]
            mask[i, :n] = 1
    tags = np.full((len(samples), width), -100, dtype=np.int64)
    gazetteer = np.zeros((len(samples), width, len(GAZETTEER_FEATURES)), dtype=np.float32)
    gazetteers: dict[int, Gazetteer] = {}
    for i, (s, e) in enumerate(zip(samples, encodings, strict=True)):
        tags[i, : len(e.ids)] = token_tags(e.offsets, s.spans)
        if s.home not in gazetteers:
            gazetteers[s.home] = Gazetteer(homes[s.home], people=PEOPLE)
        gazetteer[i, : len(e.ids)] = gazetteers[s.home].features(s.text, e.offsets)
    return Tensors(
        tokens=torch.from_numpy(tokens),
        mask=torch.from_numpy(mask),
        context=torch.from_numpy(np.stack([context_vector(Context(**s.context)) for s in samples])),
        intent=torch.tensor([INTENT_LABELS.index(s.intent or NOT_UNDERSTOOD) for s in samples]),
        kind=torch.tensor([KIND_LABELS.index(s.extra.get("kind", "none")) for s in samples]),
        target=torch.tensor([TARGET_LABELS.index(s.target) for s in samples]),
        tags=torch.from_numpy(tags),
        gazetteer=torch.from_numpy(gazetteer),
    )


def new_model(fusion: Fusion, n_ctx: int) -> FusionModel:
    return FusionModel(
        n_ctx,
        len(INTENT_LABELS),
        len(KIND_LABELS),
        len(TARGET_LABELS),
        len(TAG_LABELS),
        len(GAZETTEER_FEATURES),
        fusion=fusion,
    )


def train(
    data: Tensors,
    fusion: Fusion = "gated",
    epochs: int = 12,
    seed: int = 0,
    noise: float = 0.02,
    log: bool = False,
) -> FusionModel:
    """Adam with a cosine schedule; Gaussian noise on token states stands in for the small
    differences between encoder variants (INT8, OpenVINO) the model will meet."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = new_model(fusion, data.context.shape[1])
    optim = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = epochs * ((len(data) + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(optim, max_lr=3e-3, total_steps=steps)
    ce = nn.CrossEntropyLoss()
    tag_ce = nn.CrossEntropyLoss(ignore_index=-100)
    for epoch in range(epochs):
        model.train()
        order = list(range(len(data)))
        rng.shuffle(order)
        total = 0.0
        for start in range(0, len(order), 64):
            idx = torch.tensor(order[start : start + 64])
            tokens = data.tokens[idx]
            tokens = tokens + noise * torch.randn_like(tokens) * data.mask[idx].unsqueeze(-1)
            # Names mis-heard by the recognizer are not in the gazetteer: train for that too.
            keep = (torch.rand(len(idx), 1, 1) > 0.15).float()
            intent, kind, target, tags = model(
                tokens, data.mask[idx], data.context[idx], data.gazetteer[idx] * keep
            )
            loss = (
                ce(intent, data.intent[idx])
                + 0.5 * ce(kind, data.kind[idx])
                + 0.5 * ce(target, data.target[idx])
                + tag_ce(tags.reshape(-1, tags.shape[-1]), data.tags[idx].reshape(-1))
            )
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
            total += float(loss) * len(idx)
        if log:
            print(f"epoch {epoch + 1}/{epochs} loss {total / len(data):.4f}", flush=True)
    return model.eval()


@torch.inference_mode()
def accuracy(model: FusionModel, data: Tensors) -> dict[str, float]:
    intent, kind, target, tags = model(data.tokens, data.mask, data.context, data.gazetteer)
    real = data.tags != -100
    tag_ok = ((tags.argmax(-1) == data.tags) | ~real).all(1)
    return {
        "intent": float((intent.argmax(-1) == data.intent).float().mean()),
        "kind": float((kind.argmax(-1) == data.kind).float().mean()),
        "target": float((target.argmax(-1) == data.target).float().mean()),
        "tags_exact": float(tag_ok.float().mean()),
    }
