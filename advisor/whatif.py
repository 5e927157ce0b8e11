"""What-if: which unanswered attributes could change the advice, found by re-running the rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .advice import NextQuestion, WhatIfAnswer
from .profile import ATTRIBUTES, AttributeSpec
from .rulebook import Rulebook, Test, tests_in
from .scoring import Standing


def _holds(test: Test, value: Any) -> bool:
    """Whether a test holds for one known value of its attribute (used only to group answers)."""
    op, operand = test.operator, test.operand
    if op == "known":
        return bool(operand)
    if op == "contains":
        return operand in value
    if op == "eq":
        return value == operand
    if op == "ne":
        return value != operand
    if op == "in":
        return value in operand
    if isinstance(value, (list, str, bool)):
        return False
    return {"gt": value > operand, "gte": value >= operand, "lt": value < operand, "lte": value <= operand}[op]


def _raw_candidates(spec: AttributeSpec, tests: list[Test]) -> list[Any]:
    if spec.kind == "boolean":
        return [True, False]
    if spec.kind == "choice":
        return list(spec.choices)
    if spec.kind == "list":
        return [[]] + [[choice] for choice in spec.choices] + [list(spec.choices)]
    thresholds = sorted(
        {t.operand for t in tests if t.operator in ("gt", "gte", "lt", "lte", "eq", "ne")}
        | {item for t in tests if t.operator == "in" for item in t.operand}
    )
    low = spec.minimum if spec.minimum is not None else 0
    high = spec.maximum
    values = [low]
    for threshold in thresholds:
        for value in (threshold - 1, threshold, threshold + 1):
            if value >= low and (high is None or value <= high):
                values.append(int(value) if spec.kind == "integer" or float(value).is_integer() else value)
    return sorted(set(values))


def candidate_answers(rulebook: Rulebook) -> dict[str, list[Any]]:
    """For each attribute the rules read: one answer per class of answers the rules can tell apart.

    NOTE: answers that make every test on the attribute come out the same make every rule come
    out the same, so trying one of them is enough; the engine still evaluates each candidate.
    """
    tests_by_attribute: dict[str, list[Test]] = {}
    for rule in rulebook.rules.values():
        for test in tests_in(rule.when):
            tests_by_attribute.setdefault(test.attr, []).append(test)
    candidates = {}
    for name, spec in ATTRIBUTES.items():
        tests = tests_by_attribute.get(name)
        if not tests:
            continue
        seen: set[tuple[bool, ...]] = set()
        chosen = []
        for value in _raw_candidates(spec, tests):
            signature = tuple(_holds(test, value) for test in tests)
            if signature not in seen:
                seen.add(signature)
                chosen.append(value)
        candidates[name] = chosen
    return candidates


def explore(
    known: Mapping[str, Any],
    current: Standing,
    candidates: Mapping[str, list[Any]],
    evaluate: Callable[[list[dict[str, Any]]], list[Standing]],
) -> list[NextQuestion]:
    """Try every candidate answer of every unanswered attribute; rank attributes by their effect."""
    leader = current.ranking[0][0]
    variants: list[tuple[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    for attribute, values in candidates.items():
        if attribute in known:
            continue
        for value in values:
            variants.append((attribute, value))
            profiles.append({**known, attribute: value})
    standings = evaluate(profiles)
    by_attribute: dict[str, dict[str, Any]] = {}
    for (attribute, value), standing in zip(variants, standings):
        entry = by_attribute.setdefault(attribute, {"swing": None, "answers": [], "changes_leader": False})
        best_other = max(score for mode, score in standing.ranking if mode != leader)
        swing = best_other - standing.score(leader)
        entry["swing"] = swing if entry["swing"] is None else max(entry["swing"], swing)
        moved = standing.leader != current.leader
        if moved or standing.decision != current.decision:
            entry["changes_leader"] = entry["changes_leader"] or moved
            entry["answers"].append(
                WhatIfAnswer(
                    value=value,
                    leading_mode=standing.leader,
                    leading_score=standing.leader_score,
                    decision=standing.decision,
                )
            )
    questions = [
        NextQuestion(
            attribute=attribute,
            question=ATTRIBUTES[attribute].description,
            changes_leader=entry["changes_leader"],
            swing=entry["swing"],
            answers=entry["answers"],
        )
        for attribute, entry in by_attribute.items()
    ]
    order = {name: index for index, name in enumerate(ATTRIBUTES)}
    questions.sort(key=lambda q: (not q.changes_leader, not q.answers, -q.swing, order[q.attribute]))
    return questions
