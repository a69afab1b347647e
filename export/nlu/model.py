"""The fusion model: sentence tokens (from the frozen MiniLM, plus gazetteer marks of the
home's names) + the context vector ->
intent, kind, target source and a BIO tag per token.

Fusion styles, selectable for the comparison the docs record:
- ``gated``: a learned gate mixes the projected sentence and context embeddings
  (per feature), so the camera matters where it helps and fades where it does not;
- ``early``: the context vector is concatenated to every token before any layer;
- ``late``: text-only and context-only heads whose logits are added.
Token mixing is two masked 1-D convolutions: padding-safe (so batch training equals batch-1
inference) and cheap on a CPU.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Fusion = Literal["gated", "early", "late"]


class FusionModel(nn.Module):
    def __init__(
        self,
        n_ctx: int,
        n_intents: int,
        n_kinds: int,
        n_targets: int,
        n_tags: int,
        n_gaz: int,
        d_in: int = 384,
        hidden: int = 192,
        fusion: Fusion = "gated",
    ) -> None:
        super().__init__()
        self.fusion = fusion
        token_in = d_in + n_gaz + (n_ctx if fusion == "early" else 0)
        self.proj = nn.Sequential(nn.Linear(token_in, hidden), nn.GELU(), nn.Dropout(0.1))
        self.conv1 = nn.Conv1d(hidden, hidden, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(hidden, hidden, kernel_size=3, padding=1)
        self.ctx = nn.Sequential(nn.Linear(n_ctx, hidden), nn.GELU())
        self.gate = nn.Linear(2 * hidden, hidden)
        self.heads = nn.ModuleDict({
            "intent": nn.Linear(hidden, n_intents),
            "kind": nn.Linear(hidden, n_kinds),
            "target": nn.Linear(hidden, n_targets),
        })  # fmt: skip
        if fusion == "late":
            self.ctx_heads = nn.ModuleDict({
                "intent": nn.Linear(hidden, n_intents),
                "kind": nn.Linear(hidden, n_kinds),
                "target": nn.Linear(hidden, n_targets),
            })  # fmt: skip
        self.tags = nn.Linear(2 * hidden, n_tags)

    def forward(
        self,
        tokens: torch.Tensor,
        mask: torch.Tensor,
        context: torch.Tensor,
        gazetteer: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        m = mask.unsqueeze(-1).to(tokens.dtype)
        tokens = torch.cat([tokens, gazetteer], -1)
        if self.fusion == "early":
            tokens = torch.cat([tokens, context.unsqueeze(1).expand(-1, tokens.shape[1], -1)], -1)
        x = self.proj(tokens) * m
        x = x + torch.relu(self.conv1(x.transpose(1, 2))).transpose(1, 2) * m
        x = x + torch.relu(self.conv2(x.transpose(1, 2))).transpose(1, 2) * m
        text = (x * m).sum(1) / m.sum(1).clamp(min=1.0)
        ctx = self.ctx(context)
        if self.fusion == "gated":
            g = torch.sigmoid(self.gate(torch.cat([text, ctx], -1)))
            sentence = g * text + (1 - g) * ctx
        else:
            sentence = text
        logits = {name: head(sentence) for name, head in self.heads.items()}
        if self.fusion == "late":
            logits = {name: logits[name] + self.ctx_heads[name](ctx) for name in logits}
        tag_in = torch.cat([x, sentence.unsqueeze(1).expand(-1, x.shape[1], -1)], -1)
        return logits["intent"], logits["kind"], logits["target"], self.tags(tag_in)
