"""The understanding benchmark runs end to end and its RESULT line is well formed.

Accuracy and speed targets are the benchmark's business; this test only keeps the script
working on a small in-grammar sample.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import REPO, run_bench


def load_suite_or_none():
    from bench.conformance import suite_dir

    return (suite_dir() / "_fixtures.yaml").is_file()


KEYS = {
    "paraphrase_intent_acc",
    "paraphrase_slots_acc",
    "ingrammar_intent_acc",
    "hassil_paraphrase_intent_acc",
    "p50_ms",
} | {
    f"{prefix}{key}_{metric}"
    for key in ("paraphrase", "ingrammar", "chatter")
    for prefix in ("", "hassil_")
    for metric in ("correct", "wrong_action_rate", "clarify_rate", "refusal_rate",
                   "non_command_acceptance", "ece")
}  # fmt: skip
# Home Assistant's intent tests, when they are there to read (../shared/data)
CONFORMANCE = {
    "conformance_intent_acc",
    "conformance_slots_acc",
    "conformance_wrong_action_rate",
    "hassil_conformance_intent_acc",
    "conformance_p50_ms",
    "conformance_p95_ms",
}


def test_understanding_bench_prints_table_and_result(models_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = run_bench(
        "understanding.py",
        "--models-dir",
        str(models_dir),
        "--ingrammar",
        "30",
        "--json-out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    rows = [line.split() for line in lines]
    for set_name in ("paraphrase", "in-grammar", "chatter"):
        for system in ("ours", "hassil"):
            assert any(row[:2] == [set_name, system] for row in rows), (set_name, system)
    assert any(row[:2] == ["in-grammar", "ours"] and row[-1] == "30" for row in rows)

    assert lines[-1].startswith("RESULT ")
    result = json.loads(lines[-1].removeprefix("RESULT "))
    keys = KEYS | CONFORMANCE if load_suite_or_none() else KEYS
    assert set(result) == keys
    for key in keys - {"p50_ms", "conformance_p50_ms", "conformance_p95_ms"}:
        assert 0.0 <= result[key] <= 1.0, (key, result[key])
    assert result["p50_ms"] > 0
    # chatter is no command: only a refusal is right, and it is never in the slot accuracy
    assert result["chatter_correct"] == result["chatter_refusal_rate"]

    records = json.loads(out.read_text())
    assert sum(r["set"] == "in-grammar" for r in records) == 30
    assert all({"ours", "hassil", "expected"} <= set(r) for r in records)


def test_blind_bench_scores_what_would_be_done(models_dir: Path, tmp_path: Path) -> None:
    """bench/blind.py reads the blind set and scores both systems; every line is scored
    once per system, and a wrong action is counted only for a reading that acts."""
    out = tmp_path / "blind.json"
    proc = run_bench("blind.py", "--models-dir", str(models_dir), "--json-out", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1].removeprefix("RESULT "))
    for prefix in ("", "templates_"):
        for name in ("commands", "non_commands"):
            for metric in ("correct", "wrong_action_rate", "wrong_answer_rate", "asked",
                           "refused"):  # fmt: skip
                assert 0 <= result[f"{prefix}blind_{name}_{metric}"] <= 1
    rows = json.loads(out.read_text())
    blind = REPO / "tests" / "data" / "blind"
    lines = sum(len((blind / f).read_text().splitlines()) for f in ("commands.jsonl",
                                                                     "non_commands.jsonl"))  # fmt: skip
    assert len(rows) == 2 * lines
    assert all(r["outcome"] == "act" for r in rows if r["wrong"])
    asked = [r for r in rows if r["outcome"] == "ask" and r["correct"]]
    # a right question about a request counts half; asking back on an ask line is right
    assert all(r["correct"] == (1 if r["expect"]["do"] == "ask" else 0.5) for r in asked)
    assert not any(
        r["correct"] for r in rows if r["expect"]["do"] == "ask" and r["outcome"] != "ask"
    )
    assert not any(r["correct"] for r in rows if r["set"] == "non_commands")
