"""Home Assistant's English intent tests (read at run time from
``../shared/data/ha-intents-tests-en``, never trained on) through ``understand``: the
figures of issue 15's "Done when", and Home Assistant's own matcher in the same harness as
the check that the harness and the pinned templates are the pair the tests were written for.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.conformance import Reading, Suite, context_for, hassil_reader, load_suite, run_suite
from edge_assistant.config.device import load_device_config
from edge_assistant.home.model import Home
from edge_assistant.understanding.understand import Understander


@pytest.fixture(scope="module")
def suite() -> Suite:
    try:
        return load_suite()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


def test_home_assistants_matcher_passes_its_own_tests_here(suite: Suite) -> None:
    rows = run_suite(suite, hassil_reader(suite))
    failed = [(r.case.text, r.reading) for r in rows if not r.slots_ok]
    assert len(rows) > 1000
    assert 1 - len(failed) / len(rows) >= 0.98, failed[:20]
    assert not any(r.wrong_action for r in rows)


def test_every_home_assistant_sentence_is_understood(suite: Suite, models_dir: Path) -> None:
    config = load_device_config("cpu")
    understanders: dict[str, Understander] = {}

    def read(case, home: Home) -> Reading:
        if case.home not in understanders:
            understanders[case.home] = Understander.from_config(config, home, models_dir)
        command = understanders[case.home].understand(case.text, context_for(case, home))
        return Reading(command.intent, dict(command.slots), command.layer)

    rows = run_suite(suite, read)
    n = len(rows)
    wrong = [(r.case.text, r.reading) for r in rows if r.wrong_action]
    assert sum(r.intent_ok for r in rows) / n >= 0.98
    assert sum(r.slots_ok for r in rows) / n >= 0.95
    assert len(wrong) / n <= 0.005, wrong
    # Home Assistant's own reading is never a wrong action
    assert not [w for w in wrong if w[1].layer == "templates"]
