"""What-if: which unanswered attributes could change the advice, found by re-running the rules.

Also the exhaustive searches built on the same candidate answers: whether a rule can fire at all
(`can_fire`, for `advisor validate`), whether an answer can still change whether some rule fires
(`WhatIf.can_still_matter`), and which pairs of answers change the standing (`WhatIf.pair_movers`),
for the interview.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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


#: Stands for "no answer" among the candidate answers of a search: the attribute stays unknown.
NO_ANSWER: Any = object()

#: Past this many variants the search for whether an answer can still matter assumes it can
#: (the interview then asks rather than wrongly skipping a question).
MAX_VARIANTS_PER_RULE = 4096


def combination_count(candidates: Mapping[str, list[Any]], attributes: Iterable[str]) -> int:
    """How many profiles `combinations` yields for these attributes."""
    return math.prod(len(candidates[name]) + 1 for name in attributes)


def combinations(
    candidates: Mapping[str, list[Any]], attributes: Sequence[str], base: Mapping[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """`base` plus every combination of a candidate answer or no answer to each of `attributes`.

    The last attribute varies fastest, so consecutive runs of `len(candidates[last]) + 1` profiles
    differ only in it (the last of each run leaves it unknown)."""
    options = [candidates[name] + [NO_ANSWER] for name in attributes]
    for answers in itertools.product(*options):
        profile = dict(base or {})
        profile.update((name, value) for name, value in zip(attributes, answers, strict=True) if value is not NO_ANSWER)
        yield profile


def can_fire(engine: RuleEngine, rule_id: str, attributes: Sequence[str], candidates: Mapping[str, list[Any]]) -> bool:
    """Whether some combination of answers to what a rule reads makes it fire (evaluated by the engine)."""
    return any(rule_id in fired for fired in engine.fired_many(combinations(candidates, attributes)))


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
        self.rules_attributes = {rule_id: rule.attributes() for rule_id, rule in rulebook.rules.items()}
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

    def can_still_matter(self, known: Mapping[str, Any], closed: Iterable[str], attribute: str) -> bool:
        """Whether some rule reading `attribute` fires for one of its answers and not for another (or
        for "don't know"), for some answers to the rule's other open attributes, as the engine says.

        `closed` are attributes that stay unknown (skipped or not applicable)."""
        if attribute not in self.readers:
            return False
        candidates = self.candidates
        engine = self.engines[attribute]
        width = len(candidates[attribute]) + 1
        stays_unknown = set(closed)
        for rule_id in sorted(self.readers[attribute]):
            others = [
                name
                for name in self.rules_attributes[rule_id]
                if name != attribute and name not in known and name not in stays_unknown and name in candidates
            ]
            if combination_count(candidates, others) * width > MAX_VARIANTS_PER_RULE:
                return True
            fired = engine.fired_many(combinations(candidates, [*others, attribute], known))
            for start in range(0, len(fired), width):
                if len({rule_id in ids for ids in fired[start : start + width]}) > 1:
                    return True
        return False

    def pair_movers(
        self,
        known: Mapping[str, Any],
        fired: frozenset[str],
        attributes: Iterable[str],
        moves: Callable[[Standing], bool],
    ) -> set[str]:
        """The attributes that, answered together with one other of `attributes`, give a standing
        that `moves` says is a change (e.g. another leader).

        NOTE: the what-if looks one answer ahead; two answers can move a mode that neither moves
        alone (rules with two unknown conditions), so every pair of candidate answers is evaluated.
        As in `fired_with`, only the rules reading one of the two are re-run."""
        candidates, readers, engines = self.candidates, self.readers, self.engines
        names = [name for name in attributes if name in candidates and name not in known]
        answered = len(known) + 2
        movers: set[str] = set()
        for first, second in itertools.combinations(names, 2):
            if first in movers and second in movers:
                continue
            variants = [{**known, first: one, second: two} for one in candidates[first] for two in candidates[second]]
            unaffected = fired - readers[first] - readers[second]
            by_first = engines[first].fired_many(variants)
            by_second = engines[second].fired_many(variants)
            for ids_first, ids_second in zip(by_first, by_second, strict=True):
                if moves(self.scorer.standing(unaffected | ids_first | ids_second, answered, explain=False)):
                    movers.update((first, second))
                    break
        return movers

    def single_movers(
        self,
        known: Mapping[str, Any],
        fired: frozenset[str],
        attributes: Iterable[str],
        moves: Callable[[Standing], bool],
    ) -> set[str]:
        """The attributes one of whose answers alone gives a standing that `moves` says is a change."""
        movers = set()
        answered = len(known) + 1
        for name in attributes:
            if name in known or name not in self.candidates:
                continue
            for ids in self.fired_with(known, fired, name):
                if moves(self.scorer.standing(ids, answered, explain=False)):
                    movers.add(name)
                    break
        return movers
