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
        return bool(operand in value)
    if op == "eq":
        return bool(value == operand)
    if op == "ne":
        return bool(value != operand)
    if op == "in":
        return value in operand
    if isinstance(value, (list, str, bool)):
        return False
    return bool({"gt": value > operand, "gte": value >= operand, "lt": value < operand, "lte": value <= operand}[op])


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


def _tests_by_attribute(rulebook: Rulebook) -> dict[str, list[AttributeTest]]:
    tests: dict[str, list[AttributeTest]] = {}
    for rule in rulebook.rules.values():
        for test in attribute_tests(rule.when):
            tests.setdefault(test.attr, []).append(test)
    return tests


def candidate_answers(rulebook: Rulebook) -> dict[str, list[Any]]:
    """For each attribute the rules read: one answer per class of answers the rules can tell apart.

    NOTE: answers that make every test on the attribute come out the same make every rule come
    out the same, so trying one of them is enough; the engine still evaluates each candidate.
    """
    tests_by_attribute = _tests_by_attribute(rulebook)
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


_ATTRIBUTE_ORDER = {name: index for index, name in enumerate(ATTRIBUTES)}

#: How many engine answers the what-if keeps (about 1 KB each); the memo starts over when full.
_MEMO_SIZE = 20000

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
        # NOTE: an attribute's engine holds only the rules that read it, so its facts need only the
        # attributes those rules read: smaller facts are quicker to write and to match.
        self.read_with = {
            attribute: frozenset(name for rule_id in ids for name in self.rules_attributes[rule_id])
            for attribute, ids in self.readers.items()
        }
        self.read_order = {
            attribute: tuple(name for name in ATTRIBUTES if name in read) for attribute, read in self.read_with.items()
        }
        self.engines = {attribute: RuleEngine(rulebook, ids) for attribute, ids in self.readers.items()}
        self._memo: dict[tuple[Any, ...], list[frozenset[str]]] = {}
        self._matters: dict[tuple[Any, ...], bool] = {}
        self._classes: dict[tuple[str, Any], tuple[str, tuple[bool, ...]]] = {}
        tests = _tests_by_attribute(rulebook)
        self._number_tests = {
            name: tests.get(name, []) for name, spec in ATTRIBUTES.items() if spec.kind in ("integer", "number")
        }

    def _class_of(self, name: str, value: Any) -> Any:
        """A hashable stand-in for a value that the rules cannot tell from any other with the same
        stand-in: a number by which side of each threshold it falls on, a list as a tuple."""
        tests = self._number_tests.get(name)
        if tests is None:
            return (name, tuple(value) if isinstance(value, list) else value)
        known = self._classes.get((name, value))
        if known is None:
            if len(self._classes) >= _MEMO_SIZE:
                self._classes.clear()
            known = self._classes[(name, value)] = (name, tuple(_holds(test, value) for test in tests))
        return known

    def fired_with(self, known: Mapping[str, Any], fired: frozenset[str], attribute: str) -> list[frozenset[str]]:
        """The rules that fire on `known` plus each candidate answer for `attribute`."""
        unaffected = fired - self.readers[attribute]
        return [unaffected | ids for ids in self._readers_fired(known, attribute)]

    def _readers_fired(
        self, known: Mapping[str, Any], attribute: str, classes: Mapping[str, Any] | None = None
    ) -> list[frozenset[str]]:
        """Which of the rules reading `attribute` fire on `known` plus each of its candidate answers.

        NOTE: that depends only on the values of the attributes those rules read, which profiles
        share far more often than whole profiles: the engine's answers are kept by those values
        (a bounded memo; a pure function of its key, so sharing it between threads is safe).
        `classes` are `_class_of` of the known values, when the caller has them already."""
        read = self.read_order[attribute]
        if classes is None:
            key = (attribute, *(self._class_of(name, known[name]) if name in known else None for name in read))
        else:
            key = (attribute, *(classes.get(name) for name in read))
        result = self._memo.get(key)
        if result is None:
            relevant = {name: known[name] for name in read if name in known}
            variants = [{**relevant, attribute: value} for value in self.candidates[attribute]]
            result = self.engines[attribute].fired_many(variants)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = result
        return result

    def standings_with(
        self,
        known: Mapping[str, Any],
        fired: frozenset[str],
        attribute: str,
        answered: int,
        seen: dict[frozenset[str], Standing] | None = None,
        classes: Mapping[str, Any] | None = None,
    ) -> list[Standing]:
        """The standing (numbers only) for `known` plus each candidate answer for `attribute`.

        NOTE: most answers fire the same rules as some other answer (often as no answer at all), so
        standings are kept in `seen` by the rules fired; the rules that do not read the attribute
        are tallied once, and each new set of fired rules adds only the few reading it."""
        scorer = self.scorer
        seen = {} if seen is None else seen
        readers = self.readers[attribute]
        now = fired & readers
        unchanged = seen.get(fired)
        unaffected: frozenset[str] | None = None
        base: tuple[dict[str, int], dict[str, int], set[str]] | None = None
        standings = []
        for ids in self._readers_fired(known, attribute, classes):
            if unchanged is not None and ids == now:  # the answer changes no rule
                standings.append(unchanged)
                continue
            if unaffected is None:
                unaffected = fired - readers
            key = unaffected | ids
            standing = seen.get(key)
            if standing is None:
                if base is None:
                    base = scorer.tally(unaffected)
                support, opposition, excluded = scorer.tally(ids)
                for mode, weight in base[0].items():
                    support[mode] += weight
                for mode, weight in base[1].items():
                    opposition[mode] += weight
                standing = seen[key] = scorer.rank(support, opposition, excluded | base[2], answered, explain=False)
            standings.append(standing)
        return standings

    def explore(self, known: Mapping[str, Any], fired: frozenset[str], current: Standing) -> list[NextQuestion]:
        """Every unanswered attribute the rules read, ranked by how much its answer could change the advice."""
        leader = current.ranking[0][0]
        now = current.ranking
        firm = current.decision != "insufficient_information"
        answered = len(known) + 1
        current_gap = max(score for mode, score in now if mode != leader) - now[0][1]
        seen: dict[frozenset[str], Standing] = {}
        classes = {name: self._class_of(name, value) for name, value in known.items()}
        minimum = self.scorer.policy.min_answered
        if (len(known) >= minimum) == (answered >= minimum):
            # NOTE: an answer that changes no rule leaves the standing as it is (the decision
            # counts answers only against min_answered): most answers are such.
            seen[fired] = current
        questions = []
        for attribute, values in self.candidates.items():
            if attribute in known:
                continue
            swing: int | None = None
            impact = 0
            changes_leader = False
            answers = []
            for value, standing in zip(
                values, self.standings_with(known, fired, attribute, answered, seen, classes), strict=True
            ):
                ranking = standing.ranking
                if ranking == now:  # the common case: the answer moves nothing
                    gap = current_gap
                else:
                    scores = dict(ranking)
                    gap = max(score for mode, score in ranking if mode != leader) - scores[leader]
                    impact = max(impact, max(abs(scores[mode] - score) for mode, score in now))
                swing = gap if swing is None else max(swing, gap)
                # NOTE: among modes tied with no evidence the "leader" is arbitrary; a new leader
                # counts only when the new advice is firm enough to act on.
                moved = standing.leader != current.leader and standing.decision != "insufficient_information"
                if moved or standing.decision != current.decision:
                    changes_leader = changes_leader or moved
                    # NOTE: built without validation: every value here comes from the pack itself.
                    answers.append(
                        WhatIfAnswer.model_construct(
                            value=value,
                            leading_mode=standing.leader,
                            leading_score=standing.leader_score,
                            decision=standing.decision,
                        )
                    )
            questions.append(
                NextQuestion.model_construct(
                    attribute=attribute,
                    question=ATTRIBUTES[attribute].description,
                    changes_leader=changes_leader,
                    swing=swing if swing is not None else 0,
                    impact=impact,
                    answers=answers,
                )
            )
        # NOTE: without firm advice the leader is arbitrary, so rank by how far any score can move.
        questions.sort(
            key=lambda q: (
                not q.changes_leader,
                not q.answers,
                -(q.swing if firm else q.impact),
                _ATTRIBUTE_ORDER[q.attribute],
            )
        )
        return questions

    def can_still_matter(self, known: Mapping[str, Any], closed: Iterable[str], attribute: str) -> bool:
        """Whether some rule reading `attribute` fires for one of its answers and not for another (or
        for "don't know"), for some answers to the rule's other open attributes, as the engine says.

        `closed` are attributes that stay unknown (skipped or not applicable)."""
        if attribute not in self.readers:
            return False
        # NOTE: only what the rules reading the attribute read matters; the answer is kept by that.
        read = self.read_with[attribute]
        relevant = {name: value for name, value in known.items() if name in read}
        stays_unknown = frozenset(name for name in closed if name in read)
        key = (attribute, stays_unknown, *(self._class_of(name, value) for name, value in relevant.items()))
        answer = self._matters.get(key)
        if answer is None:
            if len(self._matters) >= _MEMO_SIZE:
                self._matters.clear()
            answer = self._matters[key] = self._can_still_matter(relevant, stays_unknown, attribute)
        return answer

    def _can_still_matter(self, known: Mapping[str, Any], stays_unknown: frozenset[str], attribute: str) -> bool:
        candidates = self.candidates
        engine = self.engines[attribute]
        width = len(candidates[attribute]) + 1
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

    def pairs(
        self,
        known: Mapping[str, Any],
        fired: frozenset[str],
        attributes: Iterable[str],
        moves: Callable[[Standing], bool],
    ) -> PairSearch:
        """A search over pairs of answers to `attributes` for a standing that `moves` says is a change."""
        return PairSearch(self, known, fired, attributes, moves)

    def pair_movers(
        self,
        known: Mapping[str, Any],
        fired: frozenset[str],
        attributes: Iterable[str],
        moves: Callable[[Standing], bool],
    ) -> set[str]:
        """The attributes that, answered together with one other of `attributes`, give a standing
        that `moves` says is a change (e.g. another leader)."""
        return self.pairs(known, fired, attributes, moves).movers()

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


class PairSearch:
    """Which pairs of answers to open attributes give a standing that `moves` says is a change.

    NOTE: the what-if looks one answer ahead; two answers can move a mode that neither moves alone
    (rules with two unknown conditions), so every pair of candidate answers is evaluated, lazily
    (`mover_among` stops at the first attribute found). As in `WhatIf.fired_with`, only the rules
    reading one of the two are re-run, from the what-if's memo of engine answers.
    """

    def __init__(
        self,
        what_if: WhatIf,
        known: Mapping[str, Any],
        fired: frozenset[str],
        attributes: Iterable[str],
        moves: Callable[[Standing], bool],
    ):
        self.what_if = what_if
        self.known = known
        self.fired = fired
        self.names = [name for name in attributes if name in what_if.candidates and name not in known]
        self.moves = moves
        self.answered = len(known) + 2
        self._seen: dict[frozenset[str], bool] = {}
        self._alone: dict[str, list[frozenset[str]]] = {}
        self._alone_moves: dict[str, bool] = {}
        self._pairs: dict[tuple[str, str], bool] = {}

    def _moved(self, ids: frozenset[str]) -> bool:
        verdict = self._seen.get(ids)
        if verdict is None:
            standing = self.what_if.scorer.standing(ids, self.answered, explain=False)
            verdict = self._seen[ids] = self.moves(standing)
        return verdict

    def _answers_alone(self, name: str) -> list[frozenset[str]]:
        alone = self._alone.get(name)
        if alone is None:
            alone = self._alone[name] = self.what_if._readers_fired(self.known, name)
        return alone

    def _inert(self, name: str) -> bool:
        """No answer to it changes whether any rule fires."""
        now = self.fired & self.what_if.readers[name]
        return all(ids == now for ids in self._answers_alone(name))

    def _moves_alone(self, name: str) -> bool:
        verdict = self._alone_moves.get(name)
        if verdict is None:
            if self._inert(name):
                verdict = self._moved(self.fired)
            else:
                rest = self.fired - self.what_if.readers[name]
                verdict = any(self._moved(rest | ids) for ids in self._answers_alone(name))
            self._alone_moves[name] = verdict
        return verdict

    def together(self, first: str, second: str) -> bool:
        """Whether some answer to `first` with some answer to `second` moves."""
        key = (first, second) if first < second else (second, first)
        verdict = self._pairs.get(key)
        if verdict is None:
            verdict = self._pairs[key] = self._together(*key)
        return verdict

    def _together(self, first: str, second: str) -> bool:
        what_if = self.what_if
        candidates, readers, known = what_if.candidates, what_if.readers, self.known
        # NOTE: with an inert attribute and no rule reading both, the pair fires what the other
        # answer alone fires.
        if second not in what_if.read_with[first]:
            if self._inert(first):
                return self._moves_alone(second)
            if self._inert(second):
                return self._moves_alone(first)
        unaffected = self.fired - readers[first] - readers[second]
        # The rules reading `first` on each answer to it, given each answer to `second`, and the
        # other way round: memoised like the single answers (the same, when no rule reads both).
        by_second = [what_if._readers_fired({**known, second: two}, first) for two in candidates[second]]
        by_first = [what_if._readers_fired({**known, first: one}, second) for one in candidates[first]]
        return any(
            self._moved(unaffected | by_second[j][i] | by_first[i][j])
            for i in range(len(candidates[first]))
            for j in range(len(candidates[second]))
        )

    def mover_among(self, ordered: Iterable[str]) -> str | None:
        """The first of `ordered` that moves together with some other open attribute, if any."""
        for name in ordered:
            if name in self.names and any(self.together(name, other) for other in self.names if other != name):
                return name
        return None

    def movers(self) -> set[str]:
        """Every open attribute that moves together with some other."""
        found: set[str] = set()
        for first, second in itertools.combinations(self.names, 2):
            if first in found and second in found:
                continue
            if self.together(first, second):
                found.update((first, second))
        return found
