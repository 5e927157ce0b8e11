"""The generic runner for the test cases written beside every rule (`pytest -k TT001_...`)."""

from __future__ import annotations

import pytest

from advisor.core import validate_profile
from advisor.paths import default_rules_dir
from advisor.rulebook import load_rulebook

RULEBOOK = load_rulebook(default_rules_dir())
CASES = [
    pytest.param(rule_id, case, id=f"{rule_id}_{case.name}")
    for rule_id, rule in RULEBOOK.rules.items()
    for case in rule.cases
]


@pytest.mark.parametrize(("rule_id", "case"), CASES)
def test_rule_case(shipped, rule_id, case):
    fired = shipped.fired_rules(validate_profile(case.profile))
    assert (rule_id in fired) == case.fires, f"{rule_id} case {case.name}: expected fires={case.fires}"


@pytest.mark.parametrize("rule_id", sorted(RULEBOOK.rules))
def test_every_rule_has_a_firing_and_a_silent_case(rule_id):
    outcomes = {case.fires for case in RULEBOOK.rules[rule_id].cases}
    assert outcomes == {True, False}, f"{rule_id} needs a case that fires and one that does not"
