"""The safety policy: which understood commands act at once, which need a verified speaker
and a yes, and which are refused, with a reason short enough to be spoken and journaled.

Sensitive devices are those of ``policies`` in home.yaml (locks, the alarm, the garage door).
A sensitive command needs evidence that a resident asked for it, by any one of the configured
verifiers: an enrolled resident's voice, or a face seen in the room the command came from.
Then it waits for a yes (``Confirmation``). The policy fails closed: anything it cannot make
sense of, including a bug of its own, is refused.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Literal

from edge_assistant.config.policy import PolicyConfig
from edge_assistant.home.model import Device, Home
from edge_assistant.understanding.intents import Command

log = logging.getLogger(__name__)

Decision = Literal["allow", "refuse", "confirm"]
Answer = Literal["confirmed", "cancelled"]

# Reading a lock's state changes nothing: it needs a verified speaker but no "are you sure?".
READ_ONLY_INTENTS = frozenset({"HassGetState"})
YES = frozenset({"yes", "yeah", "yep", "yes please", "confirm", "do it", "yes do it", "ok", "okay",
                 "sure"})  # fmt: skip
NO = frozenset({"no", "nope", "no thanks", "cancel", "stop", "dont", "do not", "never mind",
                "nevermind"})  # fmt: skip
GESTURE_ANSWERS: dict[str, Answer] = {"thumbs_up": "confirmed", "thumbs_down": "cancelled"}
_NOT_WORD = re.compile(r"[^\w\s]")
MAX_ANSWER_CHARS = 64  # a yes or no is short; longer speech is a new command, not an answer
MAX_NAMED = 3  # devices named in one reason


@dataclass(frozen=True)
class Evidence:
    """Who may be speaking, as far as the voice and the camera tell."""

    speaker_person: str | None = None  # person id of the closest enrolled voice
    speaker_score: float = 0.0  # its cosine similarity
    face_seen_in_area: bool = False  # a face is visible in the room the command came from
    area: str | None = None  # that room's area id


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str  # one sentence, fit to be spoken and journaled
    sensitive_targets: tuple[str, ...] = ()  # device ids that made verification necessary
    question: str = "Are you sure? Say yes or show a thumbs up."  # said for a "confirm"


class Policy:
    def __init__(self, home: Home, config: PolicyConfig | None = None) -> None:
        self.home = home
        self.config = config or PolicyConfig()
        self._devices = {d.id: d for d in home.devices}
        self._residents = {p.id: p.name for p in home.people if p.resident}
        self._areas = {a.id: a.name for a in home.areas}

    def check(self, command: Command, evidence: Evidence | None = None) -> Verdict:
        """allow, refuse or confirm ``command``; never raises."""
        try:
            return self._check(command, evidence or Evidence())
        except Exception:  # a bug here must not let a command through
            log.exception("policy check failed; refusing")
            return Verdict("refuse", "Sorry, I could not check that command, so I did nothing.")

    def _check(self, command: Command, evidence: Evidence) -> Verdict:
        if not command.understood:
            return Verdict("refuse", f"Not understood: {_clean(command.reason or 'no reason')}.")
        devices: list[Device] = []
        for target in command.targets:
            device = self._devices.get(target) if isinstance(target, str) else None
            if device is None:
                return Verdict("refuse", f"There is no device {_clean(str(target))} here.")
            devices.append(device)
        allowed = self.home.policies.voice_domains
        barred = [d for d in devices if allowed is not None and d.domain not in allowed]
        if barred:
            return Verdict(
                "refuse", f"Voice may not control {barred[0].domain} devices like {_names(barred)}."
            )
        sensitive = [d for d in devices if self.home.is_sensitive(d)]
        if command.needs_verification and not sensitive:
            sensitive = devices  # the resolver saw something sensitive: be as strict
        clarify = _clarifying(command)
        if not sensitive and not command.needs_verification:
            if clarify:
                return Verdict("confirm", "Not sure enough to act: asked first.", question=clarify)
            return Verdict("allow", "Allowed: nothing sensitive.")
        ids = tuple(d.id for d in sensitive)
        what = _names(sensitive) or "That"
        verified_by = self._verified_by(evidence)
        if verified_by is None and self.config.refuse_unverified:
            needs = "needs" if len(sensitive) <= 1 else "need"
            return Verdict("refuse", f"Not verified: {what} {needs} {self._needs()}.", ids)
        by = f"verified by {verified_by}" if verified_by else "the speaker is not verified"
        if not clarify and (
            command.intent in READ_ONLY_INTENTS or not self.config.confirm_sensitive
        ):
            return Verdict("allow", f"Allowed: {by}.", ids)
        is_ = "is" if len(sensitive) <= 1 else "are"
        verdict = Verdict("confirm", f"{what} {is_} sensitive; {by}.", ids)
        return replace(verdict, question=clarify) if clarify else verdict

    def _verified_by(self, evidence: Evidence) -> str | None:
        """What verified the speaker, in words; None when nothing did."""
        verifiers = self.config.verify_with
        person = evidence.speaker_person
        if "voice" in verifiers and isinstance(person, str) and person in self._residents:
            score = _number(evidence.speaker_score)
            if score >= self.config.voice_threshold:
                return f"{self._residents[person]}'s voice"
        if "face" in verifiers and evidence.face_seen_in_area is True:
            area = self._areas.get(evidence.area) if isinstance(evidence.area, str) else None
            return f"a face in the {area}" if area else "a face in the room"
        return None

    def _needs(self) -> str:
        ways = {"voice": "a resident's voice", "face": "a face in the room"}
        said = [ways[v] for v in self.config.verify_with]
        return " or ".join(said) if said else "a verified speaker, and no verifier is configured"


@dataclass
class Confirmation:
    """One sensitive command waiting ``confirm_s`` for a yes (words or a thumbs up) or a no.
    It settles once: a later answer, like any answer after expiry, is None."""

    command: Command
    started_at: float
    confirm_s: float
    decision_id: int | None = None  # the journaled 'confirm' decision this settles
    settled: Answer | None = field(default=None, init=False)

    def expired(self, now: float) -> bool:
        return now - self.started_at >= self.confirm_s

    def answer(
        self, text: str | None = None, gesture: str | None = None, *, now: float
    ) -> Answer | None:
        """``confirmed``, ``cancelled``, or None when ``text``/``gesture`` is no answer (or
        it is too late). A no in either wins over a yes in the other: never act on a mixed answer."""
        if self.settled is not None or self.expired(now):
            return None
        heard = {_spoken_answer(text), GESTURE_ANSWERS.get(gesture or "")}
        if "cancelled" in heard:
            self.settled = "cancelled"
        elif "confirmed" in heard:
            self.settled = "confirmed"
        return self.settled


def _clarifying(command: Command) -> str | None:
    """The yes/no question the understanding asks before acting on a guess, or None."""
    if command.decision != "ask":
        return None
    question = _clean(command.clarify or "Do you want me to do that?", limit=160)
    return f"{question} Say yes or show a thumbs up."


def is_answer(text: str | None) -> bool:
    """Whether ``text`` is a spoken yes or no (to a pending question)."""
    return _spoken_answer(text) is not None


def _spoken_answer(text: str | None) -> Answer | None:
    if not isinstance(text, str) or len(text) > MAX_ANSWER_CHARS:
        return None
    words = " ".join(_NOT_WORD.sub("", text.casefold()).split())  # "Don't!" -> "dont"
    if words in YES:
        return "confirmed"
    if words in NO:
        return "cancelled"
    return None


def _names(devices: list[Device]) -> str:
    names = [d.name for d in devices[:MAX_NAMED]]
    if not names:
        return ""
    if len(devices) > MAX_NAMED:
        names.append(f"{len(devices) - MAX_NAMED} more")
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _number(value: object) -> float:
    """A score as a finite float; anything else (NaN, None, text) counts as no match."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return -math.inf
    return number if math.isfinite(number) else -math.inf


def _clean(text: str, limit: int = 80) -> str:
    """``text`` fit to be spoken: control and format characters gone, whitespace collapsed,
    at most ``limit`` characters."""
    kept = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text[: limit * 4])
    kept = " ".join(kept.split())
    return kept if len(kept) <= limit else kept[: limit - 1].rstrip() + "…"
