"""A plain-Python reference evaluator for rule conditions, written independently of advisor.engine.

It exists to be compared with the durable-rules adapter (tests/test_engine_differential.py), so it
deliberately shares no code with it beyond the rulebook models. The semantics:

* a test on an attribute missing from the profile is False, except `known: false`, which is True
  exactly when the attribute is missing (`known: true`: exactly when present);
* `not` never turns "unknown" into "no": negation is pushed down to the tests (De Morgan), a
  negated test on a present attribute is the plain boolean negation of the test, and a negated
  test on a missing attribute is False; a negated `known` simply flips;
* `contains v` on a list is `v in list`, negated `v not in list` (so True on an empty list);
* eq / ne / in compare values (a boolean never equals a number); gt / gte / lt / lte compare numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import Any

from advisor.rulebook import AllOf, AnyOf, AttributeTest, NotOf, Rulebook


def _same(a: Any, b: Any) -> bool:
    """Value equality in which booleans are not numbers (Python's True == 1 is not wanted here)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"ordering test on a non-number {value!r}")
    return value


def _holds(test: AttributeTest, value: Any) -> bool:
    """The un-negated test on a present value."""
    op, operand = test.operator, test.operand
    if op == "eq":
        return _same(value, operand)
    if op == "ne":
        return not _same(value, operand)
    if op == "in":
        return any(_same(value, item) for item in operand)
    if op == "contains":
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"'contains' on a non-list {value!r}")
        return operand in value
    if op == "gt":
        return _number(value) > operand
    if op == "gte":
        return _number(value) >= operand
    if op == "lt":
        return _number(value) < operand
    if op == "lte":
        return _number(value) <= operand
    raise ValueError(f"unknown operator {op!r}")


def _test(test: AttributeTest, known: Mapping[str, Any], negated: bool) -> bool:
    present = test.attr in known
    if test.operator == "known":
        wanted = bool(test.operand) != negated
        return present == wanted
    if not present:
        return False  # unknown is never "yes", and never "no" either
    result = _holds(test, known[test.attr])
    return not result if negated else result


def _evaluate(condition: Any, known: Mapping[str, Any], negated: bool) -> bool:
    if isinstance(condition, AttributeTest):
        return _test(condition, known, negated)
    if isinstance(condition, NotOf):
        return _evaluate(condition.not_, known, not negated)
    if isinstance(condition, AllOf):
        parts = [_evaluate(part, known, negated) for part in condition.all]
        return any(parts) if negated else all(parts)  # not all(x) == any(not x)
    if isinstance(condition, AnyOf):
        parts = [_evaluate(part, known, negated) for part in condition.any]
        return all(parts) if negated else any(parts)  # not any(x) == all(not x)
    raise TypeError(f"not a condition: {condition!r}")


def fires(condition: Any, known: Mapping[str, Any]) -> bool:
    """Whether a rule condition holds for a profile's known values (`Profile.known()`)."""
    return _evaluate(condition, known, False)


def fired_rules(rulebook: Rulebook, known: Mapping[str, Any]) -> frozenset[str]:
    """The ids of the rulebook's rules whose conditions hold for the known values."""
    return frozenset(rule_id for rule_id, rule in rulebook.rules.items() if fires(rule.when, known))
