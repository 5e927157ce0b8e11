"""Profile generators shared by the tests: seeded, valid, spread over what the rules test."""

from __future__ import annotations

import random
from typing import Any

from advisor.profile import ATTRIBUTES
from advisor.rulebook import Rulebook, attribute_tests

DURATIONS = [1, 3, 6, 11, 12, 13, 18, 24, 25, 36, 37, 60, 120]
AMOUNTS = [0, 50_000, 200_000, 500_000, 1_000_000, 5_000_000, 20_000_000]


def random_profile(rng: random.Random, density: float = 0.5) -> dict[str, Any]:
    """Each attribute answered with probability `density`; numbers near the rules' thresholds."""
    profile: dict[str, Any] = {}
    for name, spec in ATTRIBUTES.items():
        if rng.random() > density:
            continue
        if spec.kind == "boolean":
            profile[name] = rng.random() < 0.5
        elif spec.kind == "choice":
            profile[name] = rng.choice(spec.choices)
        elif spec.kind == "list":
            profile[name] = [choice for choice in spec.choices if rng.random() < 0.4]
        elif spec.kind == "integer":
            profile[name] = rng.choice(DURATIONS)
        else:
            profile[name] = rng.choice(AMOUNTS)
    return profile


def rule_thresholds(rulebook: Rulebook) -> dict[str, set[float]]:
    """Every number the rules compare each attribute with (ordering, eq/ne and `in` operands)."""
    found: dict[str, set[float]] = {}
    for rule in rulebook.rules.values():
        for test in attribute_tests(rule.when):
            operands = test.operand if test.operator == "in" else [test.operand]
            for value in operands:
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    found.setdefault(test.attr, set()).add(float(value))
    return found
