"""Text (+ context) -> Command: the encoder, the fusion model and the resolver in a row."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

from edge_assistant.config.decisions import DecisionsConfig
from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.home.model import Home
from edge_assistant.inference.loader import load_role
from edge_assistant.understanding.context import Context, context_vector
from edge_assistant.understanding.decide import Decider
from edge_assistant.understanding.encoder import TextEncoder
from edge_assistant.understanding.fusion import FusionRunner
from edge_assistant.understanding.intents import Command
from edge_assistant.understanding.relative import apply_change
from edge_assistant.understanding.resolver import Resolver
from edge_assistant.understanding.templates import TemplateLayer

ROLE = "understanding"
MAX_CHARS = 500
# Recognizers write "of" for "off" ("switch of the lights", "turn the tv of"); the two are
# one sound, and after these verbs or at the end only "off" makes sense.
_OF_AFTER_VERB = re.compile(r"\b(turn|switch|shut|turned|switched)( it| them)? of\b")
_VERB = re.compile(r"\b(turn|switch|shut|flip|put)\b")
_OF_AT_END = re.compile(r"\bof( (pls|please|now|thanks|thank you))?$")


def normalize_transcript(text: str) -> str:
    cleaned = " ".join(text.split()).replace("1/2", "half")
    cleaned = _OF_AFTER_VERB.sub(lambda m: f"{m.group(1)}{m.group(2) or ''} off", cleaned)
    return _OF_AT_END.sub(
        lambda m: "off" + (m.group(1) or ""), cleaned
    )  # a transcript longer than this is not a command; refuse, do not truncate


class Understander:
    """Two layers, as Home Assistant reads and then further: its own templates first (an
    in-grammar sentence gets exactly its reading), the fusion model for the rest. Each
    Command says which layer read it; both resolve through one Resolver, and one Decider
    says whether to act, ask first or refuse (``Command.decision``)."""

    def __init__(
        self,
        encoder: TextEncoder,
        fusion: FusionRunner,
        home: Home,
        decisions: DecisionsConfig | None = None,
    ) -> None:
        self.encoder = encoder
        self.fusion = fusion
        self.templates = TemplateLayer(home)
        self.resolver = Resolver(home, embed=encoder.encode)
        self.decider = Decider(home, decisions)
        self.gazetteer = self.resolver.gazetteer
        self.last_ms = 0.0

    @classmethod
    def from_config(
        cls, device_config: LoadedDeviceConfig, home: Home, models_dir: Path | None = None
    ) -> Understander:
        encoder = TextEncoder.from_config(device_config, models_dir=models_dir)
        cfg = device_config.config.roles.understanding
        model, bundle, _ = load_role(device_config.models_dir(models_dir), ROLE, cfg)
        return cls(encoder, FusionRunner(model, bundle), home, device_config.config.decisions)

    def understand(self, text: str, context: Context | None = None) -> Command:
        """Blocking; call it from an executor in async code."""
        start = time.perf_counter()
        context = context or Context()
        cleaned = normalize_transcript(text)
        if not cleaned or len(cleaned) > MAX_CHARS:
            reason = "empty transcript" if not cleaned else f"longer than {MAX_CHARS} characters"
            command = Command(text=text, intent=None, reason=reason)
        elif (matched := self.templates.match(cleaned, context)) is not None:
            command = self.resolver.from_slots(cleaned, matched.intent, matched.slots)
            if matched.intent == "HassRespond":
                command = replace(command, response=matched.response)
        else:
            tokens, encoded = self.encoder.token_states(cleaned)
            prediction = self.fusion.predict(
                cleaned, tokens, encoded, context_vector(context), self.gazetteer
            )
            command = replace(self.resolver.resolve(cleaned, prediction, context), layer="model")
        command = self.decider.decide(apply_change(command, self.resolver.home), context)
        self.last_ms = (time.perf_counter() - start) * 1000
        return command
