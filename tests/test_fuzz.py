"""A derandomised fuzz budget through every surface (benchmarks/fuzz.py; issue 12, item 5).

Other branches are fixing the surfaces' handling of hostile input (issue 12's table: huge integers,
lone surrogates, deep nesting); until they land, this budget checks the invariants that hold
here: schema-derived profiles never break any invariant on any surface, and for every profile,
hostile or not, the advice is deterministic, a batch row equals `advise()`, the HTTP app agrees
with the library, and no command prints a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import fuzz  # noqa: E402

HELD_FOR_EVERY_PROFILE = {
    "library: not deterministic",
    "batch: row differs from advise()",
    "batch: rejects a row advise() accepts",
    "http: differs from advise()",
    "http: traceback in body",
    "cli: traceback printed",
    "ask: traceback printed",
    "batch: traceback printed",
}


def test_schema_profiles_keep_every_invariant_on_every_surface():
    report = fuzz.run(60, seed=11, kinds=("schema",))
    assert report.counts["schema"] == 60
    assert report.counts["batch rows"] == 60 and report.counts["http"] == 60 and report.counts["ask"] == 60
    assert dict(report.violations) == {}, report.examples


def test_mutated_and_hostile_profiles_keep_the_invariants_that_hold_here():
    report = fuzz.run(80, seed=5)
    assert report.counts["mutated"] > 10 and report.counts["hostile"] > 5
    broken = {kind: report.examples[kind] for kind in report.violations if kind in HELD_FOR_EVERY_PROFILE}
    assert broken == {}


def test_the_fuzzer_finds_a_planted_violation(monkeypatch):
    """The checks can fail: a library that answers differently each time is caught."""
    from advisor.core import Advisor

    calls = iter(range(10**6))
    original = Advisor.advise

    def flaky(self, profile, **options):
        advice = original(self, profile, **options)
        return advice.model_copy(update={"decision_reason": f"call {next(calls)}"})

    monkeypatch.setattr(Advisor, "advise", flaky)
    report = fuzz.run(5, seed=1, surfaces=("library",), kinds=("schema",))
    assert report.violations["library: not deterministic"] == 5


def _nested(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [{"x": value}]
    return value


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({"funding_sources": ["\ud800", "a\udfffb"]}, "funding_sources[0]"),
        ({"duration_months": 10**5000}, "duration_months"),
        ({"enterprise_count": -(10**4400)}, "enterprise_count"),
        ({"duration_months": _nested(5000)}, "duration_months"),
    ],
    ids=["surrogate-in-a-list", "5000-digit-int", "huge-negative-int", "nested-5000-deep"],
)
def test_the_library_refuses_what_the_fuzzer_found_with_a_clear_message(profile, field):
    """Found by benchmarks/fuzz.py after the branches merged: these were ValueError and
    UnicodeEncodeError (exit 70, HTTP 500) instead of a ProfileError naming the field."""
    from advisor.core import validate_profile
    from advisor.errors import ProfileError

    with pytest.raises(ProfileError) as caught:
        validate_profile(profile)
    message = str(caught.value)
    message.encode("utf-8")  # printable anywhere: no lone surrogate left in it
    assert caught.value.problems[0].field == field


def test_advice_without_the_what_if_is_the_advice_less_its_next_questions():
    """fuzz.py derives a batch row's expected advice this way instead of advising a third time."""
    from advisor.core import default_advisor

    advisor = default_advisor()
    compared = 0
    for _, profile in fuzz.profiles(150, seed=21, kinds=("schema",)):
        full = fuzz._advice_json(advisor.advise(profile))
        plain = fuzz._advice_json(advisor.advise(profile, what_if=False))
        assert {**full, "next_questions": []} == plain
        compared += bool(full["next_questions"])
    assert compared > 50  # the what-if did add questions, so the comparison meant something


def test_every_unknown_attribute_is_reported_and_only_the_first_get_a_hint():
    from advisor.core import SUGGESTED_UNKNOWN, validate_profile
    from advisor.errors import ProfileError

    document = {f"duration_month{index}": 1 for index in range(3000)}
    with pytest.raises(ProfileError) as caught:
        validate_profile(document)
    problems = caught.value.problems
    assert [problem.field for problem in problems] == list(document)
    hinted = [problem for problem in problems if "did you mean 'duration_months'" in problem.message]
    assert len(hinted) == SUGGESTED_UNKNOWN
