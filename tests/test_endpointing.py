"""The endpointer's state machine on hand-made probability sequences (32 ms frames)."""

from __future__ import annotations

from edge_assistant.audio.endpointing import FRAME, Endpointer
from edge_assistant.config.voice import VadConfig


def run(probabilities: list[float], **config: object) -> list[tuple[str, int]]:
    endpointer = Endpointer(VadConfig(**config))
    events = []
    for index, p in enumerate(probabilities):
        events += [(e.kind, e.sample) for e in endpointer.push(p, (index + 1) * FRAME)]
    return events


def test_start_includes_pre_roll_and_end_waits_for_long_silence() -> None:
    probs = [0.0] * 20 + [0.9] * 20 + [0.0] * 30
    events = run(probs, pre_roll_ms=320, end_silence_ms=64, max_silence_ms=320)
    kinds = [k for k, _ in events]
    # a pause at every silent frame from 64 ms on, until the end at 320 ms
    assert kinds == ["start"] + ["pause"] * 8 + ["end"]
    assert events[0][1] == 20 * FRAME - 320 * 16  # first speech frame minus 320 ms
    assert events[1][1] == 42 * FRAME  # two silent frames after the speech
    assert events[-1][1] == 50 * FRAME  # ten silent frames (320 ms)


def test_pauses_say_how_long_the_silence_is() -> None:
    endpointer = Endpointer(VadConfig(end_silence_ms=64, max_silence_ms=320))
    frames = [0.9] * 10 + [0.0] * 4
    events = [e for i, p in enumerate(frames) for e in endpointer.push(p, (i + 1) * FRAME)]
    assert [(e.kind, e.silence_ms, e.speech_end) for e in events[1:]] == [
        ("pause", 64, 10 * FRAME),
        ("pause", 96, 10 * FRAME),
        ("pause", 128, 10 * FRAME),
    ]


def test_speech_resuming_after_a_pause_continues_the_utterance() -> None:
    probs = [0.9] * 10 + [0.0] * 4 + [0.9] * 10 + [0.0] * 20
    kinds = [k for k, _ in run(probs, end_silence_ms=64, max_silence_ms=320)]
    assert kinds == ["start"] + ["pause"] * 3 + ["pause"] * 8 + ["end"]


def test_short_burst_is_discarded_and_cut_at_max_length() -> None:
    assert [k for k, _ in run([0.9] * 3 + [0.0] * 30, min_speech_ms=160)] == ["start", "discard"]
    long = run([0.9] * 400, max_utterance_s=2.0)
    assert [k for k, _ in long[:2]] == ["start", "end"]  # then the next utterance begins
    assert 2 * 16000 <= long[1][1] <= 2 * 16000 + FRAME


def test_hysteresis_between_thresholds() -> None:
    # 0.4 is below start (0.5) but above end (0.35): it neither starts nor ends speech
    assert run([0.4] * 50) == []
    kinds = [k for k, _ in run([0.9] * 10 + [0.4] * 50, max_silence_ms=320)]
    assert kinds == ["start"]
