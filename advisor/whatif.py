"""What-if: which unanswered attributes could change the advice, found by re-running the rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .advice import NextQuestion, WhatIfAnswer
from .engine import RuleEngine
from .profile import ATTRIBUTES, AttributeSpec
from .rulebook import AttributeTest, Rulebook, attribute_tests
from .scoring import Scorer, Standing


def _holds(test: AttributeTest, value: Any) -> bool:
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


def _raw_candidates(spec: AttributeSpec, tests: list[AttributeTest]) -> list[Any]:
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
    tests_by_attribute: dict[str, list[AttributeTest]] = {}
    for rule in rulebook.rules.values():
        for test in attribute_tests(rule.when):
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


class WhatIf:
    """Re-runs the rules on every candidate answer of every unanswered attribute.

    NOTE: a rule that does not read attribute A fires on "profile + an answer for A" exactly when
    it fires on the profile. So each attribute gets its own durable ruleset holding only the
    rules that read it: the engine re-evaluates those on each candidate answer, and the other
    rules keep the result the engine gave for the profile. Same answer as re-running every
    rule (tests check this), at a fraction of the cost.
    """

    def __init__(self, rulebook: Rulebook, scorer: Scorer):
        self.scorer = scorer
        self.candidates = candidate_answers(rulebook)
        readers: dict[str, set[str]] = {}
        for rule_id, rule in rulebook.rules.items():
            for attribute in rule.attributes():
                readers.setdefault(attribute, set()).add(rule_id)
        self.readers = {attribute: frozenset(ids) for attribute, ids in readers.items()}
        self.engines = {attribute: RuleEngine(rulebook, ids) for attribute, ids in self.readers.items()}

    def fired_with(self, known: Mapping[str, Any], fired: frozenset[str], attribute: str) -> list[frozenset[str]]:
        """The rules that fire on `known` plus each candidate answer for `attribute`."""
        variants = [{**known, attribute: value} for value in self.candidates[attribute]]
        unaffected = fired - self.readers[attribute]
        return [unaffected | ids for ids in self.engines[attribute].fired_many(variants)]

    def explore(self, known: Mapping[str, Any], fired: frozenset[str], current: Standing) -> list[NextQuestion]:
        """Every unanswered attribute the rules read, ranked by how much its answer could change the advice."""
        leader = current.ranking[0][0]
        now = dict(current.ranking)
        questions = []
        for attribute, values in self.candidates.items():
            if attribute in known:
                continue
            swing: int | None = None
            impact = 0
            changes_leader = False
            answers = []
            for value, ids in zip(values, self.fired_with(known, fired, attribute), strict=True):
                standing = self.scorer.standing(ids, len(known) + 1, explain=False)
                best_other = max(score for mode, score in standing.ranking if mode != leader)
                gap = best_other - standing.score(leader)
                swing = gap if swing is None else max(swing, gap)
                impact = max(impact, max(abs(score - now[mode]) for mode, score in standing.ranking))
                # NOTE: among modes tied with no evidence the "leader" is arbitrary; a new leader
                # counts only when the new advice is firm enough to act on.
                moved = standing.leader != current.leader and standing.decision != "insufficient_information"
                if moved or standing.decision != current.decision:
                    changes_leader = changes_leader or moved
                    answers.append(
                        WhatIfAnswer(
                            value=value,
                            leading_mode=standing.leader,
                            leading_score=standing.leader_score,
                            decision=standing.decision,
                        )
                    )
            questions.append(
                NextQuestion(
                    attribute=attribute,
                    question=ATTRIBUTES[attribute].description,
                    changes_leader=changes_leader,
                    swing=swing if swing is not None else 0,
                    impact=impact,
                    answers=answers,
                )
            )
        order = {name: index for index, name in enumerate(ATTRIBUTES)}
        # NOTE: without firm advice the leader is arbitrary, so rank by how far any score can move.
        firm = current.decision != "insufficient_information"
        questions.sort(
            key=lambda q: (not q.changes_leader, not q.answers, -(q.swing if firm else q.impact), order[q.attribute])
        )
        return questions
