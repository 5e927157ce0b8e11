"""Profile generators shared by the tests: seeded, valid, spread over what the rules test."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable
from typing import Any

from advisor.paths import default_rules_dir
from advisor.profile import ATTRIBUTES
from advisor.rulebook import Rulebook, attribute_tests, load_rulebook


def number_values(name: str, thresholds: Iterable[float]) -> list[int | float]:
    """The values worth trying for a number attribute: its bounds (from ATTRIBUTES; 10^8 when it
    has no upper bound) and each of `thresholds` with its neighbours, within the bounds."""
    spec = ATTRIBUTES[name]
    low = spec.minimum if spec.minimum is not None else 0
    high = spec.maximum if spec.maximum is not None else 10**8
    values = {low, high} | {t + d for t in thresholds for d in (-1, 0, 1) if low <= t + d <= high}
    return sorted(int(v) if spec.kind == "integer" or float(v).is_integer() else v for v in values)


@functools.cache
def shipped_number_values() -> dict[str, list[int | float]]:
    """`number_values` of every number attribute, at the thresholds of the shipped rules."""
    found = rule_thresholds(load_rulebook(default_rules_dir()))
    return {
        name: number_values(name, found.get(name, ()))
        for name, spec in ATTRIBUTES.items()
        if spec.kind in ("integer", "number")
    }


def random_profile(rng: random.Random, density: float = 0.5) -> dict[str, Any]:
    """Each attribute answered with probability `density`: values from ATTRIBUTES, numbers at
    their bounds and at and beside the shipped rules' thresholds."""
    numbers = shipped_number_values()
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
        else:
            profile[name] = rng.choice(numbers[name])
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
