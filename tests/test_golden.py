"""Rendered text advice for representative profiles, pinned in reviewed golden files.

A change of wording, ranking or scores shows up as a diff. After reviewing the change, refresh
the files with:  UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor.profile_files import read_profile
from advisor.render import render_text

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
PROFILES = sorted((ROOT / "examples").glob("*.json")) + sorted((GOLDEN / "profiles").glob("*"))


@pytest.mark.parametrize("path", PROFILES, ids=[p.stem for p in PROFILES])
def test_rendered_advice_matches_golden_file(shipped, path):
    advice = shipped.advise(read_profile(str(path)))
    # The advisor's own version is left out so that a release does not rewrite every file.
    text = render_text(advice).replace(f"advisor {advice.versions.advisor}", "advisor <version>")
    golden = GOLDEN / f"{path.stem}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}; create it with UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8")


def test_there_are_at_least_eight_pinned_profiles():
    assert len(PROFILES) >= 8
