"""The generators of benchmarks and tests read the profile's value sets from ATTRIBUTES, or (the
proposal generator, which on purpose shares no code with the advisor) agree with them."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from profiles import random_profile, rule_thresholds, shipped_number_values

from advisor import Advisor
from advisor.profile import ATTRIBUTES

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_advisor  # noqa: E402
import make_proposals  # noqa: E402


def test_proposal_generator_value_sets_are_the_profiles():
    assert set(make_proposals.ALL_ATTRIBUTES) == set(ATTRIBUTES)
    for name, spec in ATTRIBUTES.items():
        if spec.kind in ("choice", "list"):
            assert make_proposals.CHOICES[name] == spec.choices, name
        if spec.kind == "integer" and name in make_proposals.COUNTS:
            assert make_proposals.COUNTS[name] == (spec.minimum, spec.maximum), name
    assert set(make_proposals.LISTS) == {n for n, s in ATTRIBUTES.items() if s.kind == "list"}
    assert set(make_proposals.BOOLEANS) == {n for n, s in ATTRIBUTES.items() if s.kind == "boolean"}


def test_generated_proposals_with_every_attribute_are_valid(shipped):
    rng = random.Random(3)
    rows = [make_proposals.proposal(rng, n, make_proposals.ALL_ATTRIBUTES, 0.1, 0.2) for n in range(200)]
    assert any("enterprise_count" in row and "institution_count" in row for row in rows)
    for row in rows:
        shipped.advise(row, what_if=False)  # raises ProfileError on a value the profile refuses


def test_number_values_are_the_bounds_and_the_thresholds_of_the_rules(shipped):
    thresholds = rule_thresholds(shipped.rulebook)
    values = shipped_number_values()
    assert set(values) == {n for n, s in ATTRIBUTES.items() if s.kind in ("integer", "number")}
    for name, chosen in values.items():
        spec = ATTRIBUTES[name]
        assert min(chosen) == spec.minimum
        for threshold in thresholds.get(name, ()):
            assert {threshold - 1, threshold, threshold + 1} & set(chosen) >= {threshold}
    assert values == bench_advisor.number_values(shipped.rulebook)


def test_random_profiles_of_tests_and_benchmarks_are_valid_and_reach_every_attribute(shipped: Advisor):
    profiles = [random_profile(random.Random(seed), 0.6) for seed in range(60)]
    profiles += bench_advisor.random_profiles(60, 5)
    for profile in profiles:
        shipped.advise(profile, what_if=False)
    assert set().union(*profiles) == set(ATTRIBUTES)
