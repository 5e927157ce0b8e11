"""Each bundled example, written from the source's account of a mode, puts that mode first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def test_there_is_an_example_for_every_mode(shipped):
    assert {path.stem for path in EXAMPLES} == set(shipped.knowledge.modes)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_leads_with_its_mode_clearly(shipped, path):
    advice = shipped.advise(json.loads(path.read_text(encoding="utf-8")))
    assert advice.leading_mode == path.stem
    assert advice.decision == "clear", advice.decision_reason
    assert advice.modes[0].verdict == "recommended"
