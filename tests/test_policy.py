"""The safety policy on examples/home.yaml: the front door is a lock, the alarm an alarm panel
and the garage door a cover of class garage, all sensitive; Alice and Bob are residents, the
guest is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_assistant.config.loading import validate_data
from edge_assistant.config.policy import PolicyConfig
from edge_assistant.errors import ConfigError
from edge_assistant.home.model import Home, Policies, load_home
from edge_assistant.policy import Confirmation, Evidence, Policy
from edge_assistant.understanding.intents import Command

HOME = Path(__file__).resolve().parents[1] / "examples" / "home.yaml"
ALICE = Evidence(speaker_person="alice", speaker_score=0.82, area="hallway")
FACE = Evidence(face_seen_in_area=True, area="hallway")
NOBODY = Evidence(area="hallway")


@pytest.fixture(scope="module")
def home() -> Home:
    return load_home(HOME)


@pytest.fixture
def policy(home: Home) -> Policy:
    return Policy(home, PolicyConfig())


def command(text: str, intent: str | None, *targets: str, **extra) -> Command:
    return Command(text=text, intent=intent, targets=targets, confidence=0.9, **extra)


UNLOCK = command("unlock the front door", "HassTurnOff", "front_door", needs_verification=True)
GARAGE = command("open the garage door", "HassTurnOn", "garage_door", needs_verification=True)
LIGHT = command("turn on the kitchen light", "HassTurnOn", "kitchen_ceiling")


def test_sensitive_devices_of_the_example_home(home: Home) -> None:
    sensitive = {d.id for d in home.devices if home.is_sensitive(d)}
    assert sensitive == {"front_door", "alarm", "garage_door"}


def test_non_sensitive_command_is_allowed_without_evidence(policy: Policy) -> None:
    verdict = policy.check(LIGHT, NOBODY)
    assert verdict.decision == "allow" and verdict.sensitive_targets == ()
    assert policy.check(command("set a timer", "HassStartTimer"), NOBODY).decision == "allow"
    garage_light = command("turn on the garage light", "HassTurnOn", "garage_light")
    assert policy.check(garage_light).decision == "allow"  # in the garage, but a light


def test_not_understood_is_refused_with_its_reason(policy: Policy) -> None:
    verdict = policy.check(Command(text="blorp", intent=None, reason="no intent matched"))
    assert verdict.decision == "refuse"
    assert verdict.reason == "Not understood: no intent matched."


def test_unknown_target_is_refused(policy: Policy) -> None:
    for target in ("lock.front_door", "back_door", "", "x" * 10_000):
        verdict = policy.check(command("unlock it", "HassTurnOff", target), ALICE)
        assert verdict.decision == "refuse"
        assert verdict.reason.startswith("There is no device") and len(verdict.reason) < 120


def test_voice_domains_allowlist_refuses_naming_the_domain(home: Home) -> None:
    lights_only = home.model_copy(update={"policies": Policies(voice_domains=("light",))})
    policy = Policy(lights_only, PolicyConfig())
    assert policy.check(LIGHT).decision == "allow"
    coffee = command("turn on the coffee machine", "HassTurnOn", "coffee_machine")
    verdict = policy.check(coffee, ALICE)
    assert verdict.decision == "refuse"
    assert verdict.reason == "Voice may not control switch devices like Coffee Machine."
    both = command("turn on the lights and the coffee", "HassTurnOn", "kitchen_ceiling",
                   "coffee_machine")  # fmt: skip
    assert policy.check(both).decision == "refuse"  # all or nothing


@pytest.mark.parametrize("sensitive", [UNLOCK, GARAGE])
def test_sensitive_command_from_nobody_is_refused(policy: Policy, sensitive: Command) -> None:
    verdict = policy.check(sensitive, NOBODY)
    assert verdict.decision == "refuse" and verdict.reason.startswith("Not verified:")
    assert verdict.sensitive_targets == sensitive.targets
    assert "a resident's voice or a face in the room" in verdict.reason


def test_resident_voice_verifies_and_asks_to_confirm(policy: Policy) -> None:
    verdict = policy.check(UNLOCK, ALICE)
    assert verdict.decision == "confirm"
    assert verdict.reason == "Front Door is sensitive; verified by Alice's voice."
    assert verdict.sensitive_targets == ("front_door",)


@pytest.mark.parametrize(
    "evidence",
    [
        Evidence(speaker_person="alice", speaker_score=0.74),  # below the threshold
        Evidence(speaker_person="guest", speaker_score=0.99),  # enrolled but not a resident
        Evidence(speaker_person="mallory", speaker_score=0.99),  # not in the home
        Evidence(speaker_person="alice", speaker_score=float("nan")),
        Evidence(speaker_person=None, speaker_score=1.0),
    ],
)
def test_weak_or_unknown_voice_does_not_verify(policy: Policy, evidence: Evidence) -> None:
    assert policy.check(GARAGE, evidence).decision == "refuse"


def test_face_in_the_room_verifies(policy: Policy) -> None:
    verdict = policy.check(GARAGE, FACE)
    assert verdict.decision == "confirm"
    assert verdict.reason == "Garage Door is sensitive; verified by a face in the Hallway."


def test_only_configured_verifiers_count(home: Home) -> None:
    voice_only = Policy(home, PolicyConfig(verify_with=("voice",)))
    assert voice_only.check(UNLOCK, FACE).decision == "refuse"
    assert voice_only.check(UNLOCK, ALICE).decision == "confirm"
    face_only = Policy(home, PolicyConfig(verify_with=("face",)))
    assert face_only.check(UNLOCK, ALICE).decision == "refuse"
    assert face_only.check(UNLOCK, FACE).decision == "confirm"
    strict = Policy(home, PolicyConfig(voice_threshold=0.9))
    assert strict.check(UNLOCK, ALICE).decision == "refuse"
    nobody_can = Policy(home, PolicyConfig(verify_with=()))
    verdict = nobody_can.check(UNLOCK, ALICE)
    assert verdict.decision == "refuse" and "no verifier is configured" in verdict.reason


def test_confirmation_and_refusal_switches(home: Home) -> None:
    no_confirm = Policy(home, PolicyConfig(confirm_sensitive=False))
    verdict = no_confirm.check(UNLOCK, ALICE)
    assert verdict.decision == "allow" and verdict.reason == "Allowed: verified by Alice's voice."
    lenient = Policy(home, PolicyConfig(refuse_unverified=False))
    verdict = lenient.check(UNLOCK, NOBODY)
    assert verdict.decision == "confirm" and "not verified" in verdict.reason


def test_state_of_a_sensitive_device_needs_verification_but_no_confirmation(
    policy: Policy,
) -> None:
    query = command("is the front door locked", "HassGetState", "front_door")
    assert policy.check(query, NOBODY).decision == "refuse"
    assert policy.check(query, ALICE).decision == "allow"


def test_needs_verification_flag_is_honoured(policy: Policy) -> None:
    flagged = command("turn on the tv", "HassTurnOn", "tv", needs_verification=True)
    assert policy.check(flagged, NOBODY).decision == "refuse"


def test_many_targets_are_named_briefly(policy: Policy) -> None:
    everything = command("lock up", "HassTurnOn", "front_door", "alarm", "garage_door",
                         "kitchen_ceiling")  # fmt: skip
    verdict = policy.check(everything, ALICE)
    assert verdict.decision == "confirm"
    assert verdict.sensitive_targets == ("front_door", "alarm", "garage_door")
    assert verdict.reason.startswith("Front Door, Alarm and Garage Door are sensitive")


def test_hostile_input_is_refused_never_raised(policy: Policy) -> None:
    huge = "unlock the front door " * 500  # 11 kB
    control = "open\x00 the\x1b[2J garage\u202e door\r\n"
    cases = [
        Command(text=huge, intent=None, reason=huge),
        Command(text=control, intent=None, reason=control),
        command(huge, "HassTurnOff", "front_door\x00; DROP TABLE"),
        command(control, "HassTurnOn", "garage_door", slots={"position": control}),
        command("x", "HassTurnOn", 42),  # type: ignore[arg-type]
    ]
    for case in cases:
        verdict = policy.check(case, Evidence(speaker_person=control, speaker_score=1.0))
        assert verdict.decision == "refuse"
        assert len(verdict.reason) <= 120
        assert verdict.reason.isprintable()
    weird = Evidence(speaker_person=["alice"], speaker_score="high", area=control)  # type: ignore[arg-type]
    assert policy.check(UNLOCK, weird).decision == "refuse"


# --- confirmation ---------------------------------------------------------------------------


def pending(started_at: float = 100.0) -> Confirmation:
    return Confirmation(UNLOCK, started_at, 8.0)


@pytest.mark.parametrize(
    "text",
    ["yes", "Yes.", "YEAH!", "yes please", "Yes, please.", "confirm", "do it", "OK", "o.k.",
     "okay", "sure", "  sure  ", "\x00yes\x07"],
)  # fmt: skip
def test_yes_confirms(text: str) -> None:
    assert pending().answer(text=text, now=101.0) == "confirmed"


@pytest.mark.parametrize(
    "text", ["no", "No!", "nope", "cancel", "stop", "don't", "Don’t.", "never mind", "Nevermind"]
)
def test_no_cancels(text: str) -> None:
    assert pending().answer(text=text, now=101.0) == "cancelled"


@pytest.mark.parametrize(
    "text",
    ["turn on the light", "yes no", "yesterday", "not sure", "", "yes " * 2000, "no\nyes"],
)
def test_anything_else_is_no_answer(text: str) -> None:
    waiting = pending()
    assert waiting.answer(text=text, now=101.0) is None and waiting.settled is None


def test_gestures_answer() -> None:
    assert pending().answer(gesture="thumbs_up", now=101.0) == "confirmed"
    assert pending().answer(gesture="thumbs_down", now=101.0) == "cancelled"
    assert pending().answer(gesture="open_palm", now=101.0) is None
    assert pending().answer(gesture="none", now=101.0) is None
    # a no in either the words or the hand wins: never act on a mixed answer
    assert pending().answer(text="yes", gesture="thumbs_down", now=101.0) == "cancelled"
    assert pending().answer(text="no", gesture="thumbs_up", now=101.0) == "cancelled"


def test_expiry() -> None:
    waiting = pending(started_at=100.0)
    assert not waiting.expired(107.9)
    assert waiting.expired(108.0)
    assert waiting.answer(text="yes", now=108.5) is None
    assert waiting.answer(gesture="thumbs_up", now=200.0) is None


def test_settles_once() -> None:
    waiting = Confirmation(UNLOCK, 100.0, 8.0, decision_id=7)
    assert waiting.answer(text="what", now=101.0) is None  # still waiting
    assert waiting.answer(text="yes", now=102.0) == "confirmed"
    assert waiting.answer(text="no", now=103.0) is None
    assert waiting.settled == "confirmed" and waiting.decision_id == 7


def test_policy_config() -> None:
    config = PolicyConfig()
    assert config.verify_with == ("voice", "face") and config.voice_threshold == 0.75
    assert config.confirm_s == 8 and config.confirm_sensitive and config.refuse_unverified
    assert validate_data({"verify_with": ["face"]}, PolicyConfig, "p").verify_with == ("face",)
    with pytest.raises(ConfigError, match="verify_with"):
        validate_data({"verify_with": ["fingerprint"]}, PolicyConfig, "p")
    with pytest.raises(ConfigError, match="twice"):
        validate_data({"verify_with": ["voice", "voice"]}, PolicyConfig, "p")
    with pytest.raises(ConfigError, match="unknown key"):
        validate_data({"verify": ["voice"]}, PolicyConfig, "p")
