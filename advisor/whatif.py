"""What-if: which unanswered attributes could change the advice, found by re-running the rules.

Also the exhaustive searches built on the same candidate answers: whether a rule can fire at all
(`can_fire`, for `advisor validate`), whether an answer can still change whether some rule fires
(`WhatIf.can_still_matter`), and which pairs of answers change the standing (`WhatIf.pair_movers`),
for the interview.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, cast

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
        # NOTE: every subset, fewest items first: a rule may test two items together (SC003 reads
        # `fundamental` and `applied`), and only an answer holding both tells it apart. Lists
        # have at most five choices, and `candidate_answers` keeps one subset per class.
        return [
            list(chosen)
            for size in range(len(spec.choices) + 1)
            for chosen in itertools.combinations(spec.choices, size)
        ]
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
    """The different tests of each attribute (one of each, in the order the rules first use them).

    NOTE: answers are grouped by which tests hold for them, so a test repeated in many rules
    counts once: comparing every candidate with every *repeated* test grew with the square of a
    big pack's rules (docs/engine.md)."""
    tests: dict[str, dict[tuple[Any, ...], AttributeTest]] = {}
    for rule in rulebook.rules.values():
        for test in attribute_tests(rule.when):
            operand = test.operand
            shown = tuple(operand) if isinstance(operand, list) else operand
            tests.setdefault(test.attr, {}).setdefault((test.operator, type(operand).__name__, shown), test)
    return {name: list(found.values()) for name, found in tests.items()}


_ABOVE = ("gt", "lte")  # each holds, or fails, exactly when the value is above its operand
_AT_LEAST = ("gte", "lt")  # each exactly when the value is at least its operand


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_signature(tests: list[AttributeTest]) -> Callable[[Any], Any] | None:
    """For tests of a number attribute: a key equal for two numbers exactly when every test holds
    alike for them (as `_holds` says); None when some test is not a plain test of numbers.

    NOTE: the key is where the number falls among the sorted thresholds, which equal test it
    meets and which `in` lists hold it: found by bisection and lookups, so a pack of thousands of
    different thresholds costs thousands of steps per candidate, not millions (docs/engine.md)."""
    above: list[Any] = []
    at_least: list[Any] = []
    equal: set[Any] = set()
    lists: dict[Any, list[int]] = {}
    for index, test in enumerate(tests):
        op, operand = test.operator, test.operand
        if op == "known":
            continue  # holds alike for every value
        if op == "in":
            if not all(_is_number(item) for item in operand):
                return None
            for item in operand:
                holding = lists.setdefault(item, [])
                if not holding or holding[-1] != index:  # a list may name a number twice (5, 5.0)
                    holding.append(index)
            continue
        if not _is_number(operand):
            return None
        if op in _ABOVE:
            above.append(operand)
        elif op in _AT_LEAST:
            at_least.append(operand)
        elif op in ("eq", "ne"):
            equal.add(operand)
        else:
            return None
    above.sort()
    at_least.sort()
    member_of = {item: tuple(indices) for item, indices in lists.items()}

    def signature(value: Any) -> Any:
        return (
            bisect.bisect_left(above, value),
            bisect.bisect_right(at_least, value),
            value if value in equal else None,
            member_of.get(value, ()),
        )

    return signature


def _number_key(tests: list[AttributeTest]) -> Callable[[Any], Any]:
    """A key equal for two numbers exactly when every test holds alike for them: by bisection
    (`_number_signature`) when the tests allow, else test by test."""
    by_signature = _number_signature(tests)
    if by_signature is not None:
        return by_signature
    return lambda value: tuple(_holds(test, value) for test in tests)


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
        seen: set[Any] = set()
        chosen = []
        raw = _raw_candidates(spec, tests)
        by_number = _number_key(tests) if all(_is_number(value) for value in raw) else None
        for value in raw:
            signature = by_number(value) if by_number is not None else tuple(_holds(test, value) for test in tests)
            if signature not in seen:
                seen.add(signature)
                chosen.append(value)
        candidates[name] = chosen
    return candidates


_ATTRIBUTE_ORDER = {name: index for index, name in enumerate(ATTRIBUTES)}


Picker = Callable[[Sequence[Any]], tuple[Any, ...]]


def _picker(names: Sequence[str]) -> Picker:
    """Picks the entries of `names` out of a row in the order of ATTRIBUTES, as a tuple."""
    positions = [_ATTRIBUTE_ORDER[name] for name in names]
    if len(positions) == 1:
        (only,) = positions
        return lambda row: (row[only],)
    return operator.itemgetter(*positions)


class Explored(NamedTuple):
    """One explored attribute: a NextQuestion's numbers, each answer with the standing it gives."""

    attribute: str
    changes_leader: bool
    swing: int
    impact: int
    answers: list[tuple[Any, Standing]]


#: How many engine answers the what-if keeps (about 1 KB each); the memo starts over when full.
_MEMO_SIZE = 20000
#: ... and how many rule ids its answers may hold together (a memo starts over past it). NOTE: an
#: answer is a set of fired rules per candidate; with a big pack those sets hold hundreds of
#: rules, and 20,000 answers were gigabytes: a 5,000-rule pack grew by 16 MB an advice (measured).
#: The shipped pack's memo holds about 140,000 after 20,000 profiles.
_MEMO_RULE_IDS = 2_000_000
#: How many bits (one per candidate answer) the memos of each rule may hold together before they
#: all start over. NOTE: with a big pack an attribute has thousands of candidates (6,668 amounts
#: at 20,000 rules) and thousands of rules read it. The shipped pack's hold about 260,000.
_RULE_MEMO_BITS = 4_000_000

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
    return any(engine.fires(profile, rule_id) for profile in combinations(candidates, attributes))


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
        self._mode_positions = {mode: position for position, mode in enumerate(scorer.mode_order)}
        # Per attribute, the effect on a score of each rule reading it (raising rules have none).
        self._score_effects = {
            attribute: tuple(
                (rule_id, *scorer._effects[rule_id]) for rule_id in sorted(ids) if rule_id in scorer._effects
            )
            for attribute, ids in self.readers.items()
        }
        # The memos' keys are cut from a profile's class row (`class_row`): per attribute, the
        # classes of what its readers read; per reader of it, the classes of what that rule reads.
        self._read_key = {attribute: _picker(read) for attribute, read in self.read_order.items()}
        # Per attribute, each rule reading it: its id, its own memo (the classes of what the rule
        # reads -> its bit for each candidate answer it fires on), and how to cut that memo's key.
        self._rule_memos: dict[str, tuple[tuple[str, dict[tuple[Any, ...], tuple[int, ...]], Picker], ...]] = {
            attribute: tuple((rule_id, {}, _picker(self.rules_attributes[rule_id])) for rule_id in sorted(ids))
            for attribute, ids in self.readers.items()
        }
        self._rule_bits = {attribute: [1 << bit for bit in range(len(ids))] for attribute, ids in self.readers.items()}
        self._fired_sets: dict[str, dict[int, frozenset[str]]] = {attribute: {} for attribute in self.readers}
        self._memo: dict[tuple[Any, ...], list[frozenset[str]]] = {}
        # The rule ids held by `_memo`'s answers, and by each attribute's `_fired_sets` (_MEMO_RULE_IDS).
        self._memo_held = 0
        self._sets_held = dict.fromkeys(self.readers, 0)
        self._rule_memo_bits = 0  # held by all of `_rule_memos` (_RULE_MEMO_BITS)
        self._matters: dict[tuple[Any, ...], bool] = {}
        self._classes: dict[tuple[str, Any], int] = {}
        self._class_ids: dict[tuple[str, Any], int] = {}
        tests = _tests_by_attribute(rulebook)
        # Per number attribute, its class key (the key candidate_answers groups its answers by).
        self._number_keys = {
            name: _number_key(tests.get(name, []))
            for name, spec in ATTRIBUTES.items()
            if spec.kind in ("integer", "number")
        }

    def _class_of(self, name: str, value: Any) -> int:
        """A number standing for a value that the rules cannot tell from any other with the same
        number: a number by which side of each threshold it falls on, any other value by itself.

        NOTE: a small int rather than the tuple it stands for, because the memos' keys are
        tuples of these, and Python hashes a tuple afresh, all the way down, at every lookup."""
        hashable = tuple(value) if isinstance(value, list) else value
        found = self._classes.get((name, hashable))
        if found is None:
            key = self._number_keys.get(name)
            meaning = (name, hashable) if key is None else (name, key(value))
            # NOTE: finite: choices, booleans and lists of choices, and numbers by their side of
            # each of the pack's thresholds.
            found = self._class_ids.setdefault(meaning, len(self._class_ids))
            if len(self._classes) >= _MEMO_SIZE:
                self._classes.clear()
            self._classes[(name, hashable)] = found
        return found

    def fired_with(self, known: Mapping[str, Any], fired: frozenset[str], attribute: str) -> list[frozenset[str]]:
        """The rules that fire on `known` plus each candidate answer for `attribute`."""
        unaffected = fired - self.readers[attribute]
        return [unaffected | ids for ids in self._readers_fired(known, attribute)]

    def class_row(self, known: Mapping[str, Any]) -> list[Any]:
        """The `_class_of` of each known value, in the order of ATTRIBUTES (None where unknown)."""
        row: list[Any] = [None] * len(_ATTRIBUTE_ORDER)
        for name, value in known.items():
            row[_ATTRIBUTE_ORDER[name]] = self._class_of(name, value)
        return row

    def row_with(self, row: Sequence[Any], name: str, value: Any) -> list[Any]:
        """`class_row` of a profile with one more answer, from the profile's row."""
        changed = list(row)
        changed[_ATTRIBUTE_ORDER[name]] = self._class_of(name, value)
        return changed

    def _readers_fired(
        self, known: Mapping[str, Any], attribute: str, row: Sequence[Any] | None = None
    ) -> list[frozenset[str]]:
        """Which of the rules reading `attribute` fire on `known` plus each of its candidate answers.

        NOTE: that depends only on the values of the attributes those rules read, which profiles
        share far more often than whole profiles: the engine's answers are kept by those values
        (a bounded memo; a pure function of its key, so sharing it between threads is safe).
        `row` is `class_row(known)`, when the caller has it already."""
        if row is None:
            row = self.class_row(known)
        key = (attribute, self._read_key[attribute](row))
        result = self._memo.get(key)
        if result is None:
            result = self._by_rule(known, attribute, row)
            held = sum(map(len, result))
            if len(self._memo) >= _MEMO_SIZE or self._memo_held + held > _MEMO_RULE_IDS:
                self._memo.clear()
                self._memo_held = 0
            self._memo[key] = result
            self._memo_held += held
        return result

    def _by_rule(self, known: Mapping[str, Any], attribute: str, row: Sequence[Any]) -> list[frozenset[str]]:
        """`_readers_fired` from the second memo, of each rule by the values it reads; from the
        engine when one of the rules is missing there (its answers then fill in every rule's entry).

        NOTE: whether one rule fires depends only on the two or three attributes it reads, whose
        values recur across profiles far more than those of all the readers of an attribute
        together (the first memo's key): after a few thousand profiles most misses of the first
        memo are answered here without the engine."""
        readers = self._rule_memos[attribute]
        keys = [pick(row) for _, _, pick in readers]
        rows = [memo.get(key) for (_, memo, _), key in zip(readers, keys, strict=True)]
        sets = self._fired_sets[attribute]
        if None not in rows:
            # NOTE: each entry holds the rule's bit for each candidate answer it fires on, so the
            # rules fired by an answer are the sum of a column (C loops, no Python one per rule).
            masks = map(sum, zip(*cast(list[tuple[int, ...]], rows), strict=True))
            return [sets[mask] if mask in sets else self._fired_set(attribute, mask) for mask in masks]
        read = self.read_order[attribute]
        relevant = {name: known[name] for name in read if name in known and name != attribute}
        result = self.engines[attribute].fired_with_each(relevant, attribute, self.candidates[attribute])
        if self._rule_memo_bits + len(readers) * len(result) > _RULE_MEMO_BITS:
            for memos in self._rule_memos.values():
                for _, memo, _ in memos:
                    memo.clear()
            self._rule_memo_bits = 0
        for (rule_id, memo, _), key, bit in zip(readers, keys, self._rule_bits[attribute], strict=True):
            if len(memo) >= _MEMO_SIZE:
                memo.clear()  # NOTE: the count above then runs ahead of what is held: it only clears sooner
            memo[key] = tuple([bit if rule_id in ids else 0 for ids in result])
        self._rule_memo_bits += len(readers) * len(result)
        return result

    def _fired_set(self, attribute: str, mask: int) -> frozenset[str]:
        """The rules reading `attribute` whose bits are set in `mask` (kept: a few dozen per attribute)."""
        fired = frozenset(
            rule_id
            for (rule_id, _, _), bit in zip(self._rule_memos[attribute], self._rule_bits[attribute], strict=True)
            if mask & bit
        )
        sets = self._fired_sets[attribute]
        if len(sets) >= _MEMO_SIZE or self._sets_held[attribute] + len(fired) > _MEMO_RULE_IDS:
            sets.clear()
            self._sets_held[attribute] = 0
        sets[mask] = fired
        self._sets_held[attribute] += len(fired)
        return fired

    def standings_with(
        self,
        known: Mapping[str, Any],
        fired: frozenset[str],
        attribute: str,
        answered: int,
        seen: dict[frozenset[str], Standing] | None = None,
        row: Sequence[Any] | None = None,
        tally: tuple[dict[str, int], dict[str, int], set[str]] | None = None,
    ) -> list[Standing]:
        """The standing (numbers only) for `known` plus each candidate answer for `attribute`.

        NOTE: most answers fire the same rules as some other answer (often as no answer at all), so
        standings are kept in `seen` by the rules fired. An answer changes whether only a few rules
        fire, so each new set of fired rules is tallied from `tally` (the tally of `fired`, computed
        here when not given) by adding and taking away the weights of those few rules; only when one
        of them excludes a mode is the set tallied afresh."""
        scorer = self.scorer
        effects = scorer._effects
        seen = {} if seen is None else seen
        readers = self.readers[attribute]
        now = fired & readers
        unchanged = seen.get(fired)
        unaffected = fired - readers
        each = self._readers_fired(known, attribute, row)
        # NOTE: a list's 8-32 answers mostly fire the same readers as another answer: each set of
        # readers is ranked once (grouped in C), and the answers take their set's standing.
        by_ids: dict[frozenset[str], Standing | None] = dict.fromkeys(each)
        for ids in by_ids:
            if ids == now and unchanged is not None:  # the answer changes no rule
                by_ids[ids] = unchanged
                continue
            key = unaffected | ids
            standing = seen.get(key)
            if standing is None:
                if tally is None:
                    tally = scorer.tally(fired)
                support, opposition, excluded = dict(tally[0]), dict(tally[1]), tally[2]
                scored = False  # whether a changed rule weighs on a score
                for rule_ids, sign in ((ids - now, 1), (now - ids, -1)):
                    for rule_id in rule_ids:
                        effect = effects.get(rule_id)
                        if effect is None:  # raises a difficulty: no score depends on it
                            continue
                        scored = True
                        mode, plus, minus, excludes = effect
                        if excludes:
                            support, opposition, excluded = scorer.tally(key)
                            break
                        support[mode] += sign * plus
                        opposition[mode] += sign * minus
                    else:
                        continue
                    break
                if not scored and unchanged is not None:  # only difficulties change: the same standing
                    standing = seen[key] = unchanged
                else:
                    standing = seen[key] = scorer.rank(support, opposition, excluded, answered, explain=False)
            by_ids[ids] = standing
        return cast(list[Standing], list(map(by_ids.__getitem__, each)))

    def explore(
        self,
        known: Mapping[str, Any],
        fired: frozenset[str],
        current: Standing,
        *,
        worth_asking: bool = False,
        limit: int | None = None,
    ) -> list[NextQuestion]:
        """Every unanswered attribute the rules read, ranked by how much its answer could change the advice.

        With `worth_asking`, only the questions worth asking: those with an answer that changes the
        leader or the decision, or (without firm advice) that moves some score; at most `limit`."""
        # NOTE: built only for the questions returned. Validated, not `model_construct`ed: pydantic's
        # validation runs in Rust and took 3.9 µs a question where model_construct took 6.8 (measured).
        return [
            NextQuestion(
                attribute=found.attribute,
                question=ATTRIBUTES[found.attribute].description,
                changes_leader=found.changes_leader,
                swing=found.swing,
                impact=found.impact,
                answers=[
                    WhatIfAnswer(
                        value=value,
                        leading_mode=standing.leader,
                        leading_score=standing.leader_score,
                        decision=standing.decision,
                    )
                    for value, standing in found.answers
                ],
            )
            for found in self.explored(known, fired, current, worth_asking=worth_asking)[:limit]
        ]

    def explored(
        self,
        known: Mapping[str, Any],
        fired: frozenset[str],
        current: Standing,
        *,
        worth_asking: bool = False,
        shortcuts: bool = True,
    ) -> list[Explored]:
        """What `explore` returns, as plain records (each answer with its standing), for callers
        that read them rather than hand them on (the interview). `shortcuts=False` ranks every
        answer that changes a rule (the reference the tests compare the shortcuts with)."""
        leader = current.ranking[0][0]
        now = current.ranking
        firm = current.decision != "insufficient_information"
        answered = len(known) + 1
        current_gap = max(score for mode, score in now if mode != leader) - now[0][1]
        seen: dict[frozenset[str], Standing] = {}
        row = self.class_row(known)
        minimum = self.scorer.policy.min_answered
        if (len(known) >= minimum) == (answered >= minimum):
            # NOTE: an answer that changes no rule leaves the standing as it is (the decision
            # counts answers only against min_answered): most answers are such.
            seen[fired] = current
        tally = self.scorer.tally(fired)
        current_scores = dict(now)
        found: list[Explored] = []
        for attribute, values in self.candidates.items():
            if attribute in known:
                continue
            if firm and shortcuts:
                if worth_asking and self._steady(attribute, fired, current):
                    continue
                kept = self._kept(known, fired, current, attribute, row, current_gap, current_scores)
                if kept is not None:  # no answer changes the leader or the decision
                    if not worth_asking:
                        found.append(Explored(attribute, False, kept[0], kept[1], []))
                    continue
            swing: int | None = None
            impact = 0
            changes_leader = False
            answers: list[tuple[Any, Standing]] = []
            listed: dict[int, bool] = {}  # by id(standing): whether its answers are listed (seen once)
            for value, standing in zip(
                values, self.standings_with(known, fired, attribute, answered, seen, row, tally), strict=True
            ):
                if standing is current:  # the common case: the answer changes no rule
                    if swing is None or current_gap > swing:
                        swing = current_gap
                    continue
                was_listed = listed.get(id(standing))
                if was_listed is not None:  # another answer with the same standing
                    if was_listed:
                        answers.append((value, standing))
                    continue
                listed[id(standing)] = False
                ranking = standing.ranking
                if ranking == now:  # the answer changes rules, but no score
                    gap = current_gap
                else:
                    scores = dict(ranking)
                    gap = max(score for mode, score in ranking if mode != leader) - scores[leader]
                    impact = max(impact, max(abs(scores[mode] - score) for mode, score in current_scores.items()))
                swing = gap if swing is None else max(swing, gap)
                # NOTE: among modes tied with no evidence the "leader" is arbitrary; a new leader
                # counts only when the new advice is firm enough to act on.
                moved = standing.leader != current.leader and standing.decision != "insufficient_information"
                if moved or standing.decision != current.decision:
                    changes_leader = changes_leader or moved
                    listed[id(standing)] = True
                    answers.append((value, standing))
            if worth_asking and not (answers or (not firm and impact > 0)):
                continue
            found.append(Explored(attribute, changes_leader, swing if swing is not None else 0, impact, answers))
        # NOTE: without firm advice the leader is arbitrary, so rank by how far any score can move.
        found.sort(key=lambda q: (not q[1], not q[4], -(q[2] if firm else q[3]), _ATTRIBUTE_ORDER[q[0]]))
        return found

    def _steady(self, attribute: str, fired: frozenset[str], current: Standing) -> bool:
        """True only if no answer to `attribute` can change the leader or the decision of the firm
        standing `current` (a question not worth asking); False when that cannot be ruled out.

        NOTE: as in LeaderBound, an answer changes only whether the rules reading the attribute
        fire, so each mode's net weight can rise at most by the weights of those rules that could
        start supporting it or stop opposing it, and fall at most by the others. If even at those
        extremes the leader keeps its place, its lead on the same side of the close-call margin
        and enough support and score to stay firm, no answer needs the engine: most questions of
        a clear advice are settled this way. Only the advice's questions worth asking use it;
        a test compares them with the full exploration."""
        scorer = self.scorer
        policy = scorer.policy
        leader = current.leader
        if leader is None:
            return False
        up: dict[str, int] = {}
        down: dict[str, int] = {}
        lost_support = 0
        for rule_id, mode, plus, minus, excludes in self._score_effects[attribute]:
            if excludes:
                return False
            if rule_id in fired:  # it may stop firing
                down[mode] = down.get(mode, 0) + plus
                up[mode] = up.get(mode, 0) + minus
                if mode == leader:
                    lost_support += plus
            else:  # it may start firing
                up[mode] = up.get(mode, 0) + plus
                down[mode] = down.get(mode, 0) + minus
        if not up and not down:
            return True
        support, opposition = current.support, current.opposition
        score = scorer.score_of
        remaining = support[leader] - lost_support
        if remaining <= 0 or remaining < policy.min_support:
            return False
        leader_net = support[leader] - opposition[leader]
        lowest_leader = score(leader_net - down.get(leader, 0))
        if lowest_leader < policy.possible:
            return False
        highest_other = self._best_other(current, leader, up, 1)
        if highest_other < 0:  # every other mode is excluded, and stays so
            return True
        if highest_other >= lowest_leader:
            return False
        if current.decision == "clear":
            return lowest_leader - highest_other >= policy.close_call_margin
        highest_leader = score(leader_net + up.get(leader, 0))
        runner_at_least = self._best_other(current, leader, down, -1)
        return highest_leader - runner_at_least < policy.close_call_margin

    def _best_other(self, current: Standing, leader: str, moved: Mapping[str, int], sign: int) -> int:
        """The highest score of a mode but `leader` and the excluded ones once the net weight of
        each mode in `moved` has moved by `sign` times its amount; -1 if there is none.

        NOTE: the ranking is best first, so the first mode in it that does not move is the
        highest of those that do not."""
        support, opposition, excluded = current.support, current.opposition, current.excluded
        score = self.scorer.score_of
        best = -1
        for mode, now in current.ranking:
            if mode != leader and mode not in excluded and mode not in moved:
                best = now
                break
        for mode, amount in moved.items():
            if mode != leader and mode not in excluded:
                best = max(best, score(support[mode] - opposition[mode] + sign * amount))
        return best

    def _kept(
        self,
        known: Mapping[str, Any],
        fired: frozenset[str],
        current: Standing,
        attribute: str,
        row: Sequence[Any],
        current_gap: int,
        current_scores: Mapping[str, int] | None = None,
    ) -> tuple[int, int] | None:
        """If every answer to `attribute` keeps the leader and the decision of the firm standing
        `current`: the question's swing and impact (as the full exploration finds them); else None.
        `current_gap` and `current_scores` (by mode) are the exploration's own figures of `current`.

        NOTE: from the engine's answers (the memo), without ranking: an answer changes the scores
        of the few modes whose changed rules weigh on them, so the leader and the runner-up are
        found among those and the best unchanged mode (the first of the ranking, which is ordered
        by the same key). Anything it cannot settle (an exclusion, a new leader, another
        decision) is left to the full exploration; a test compares the two."""
        scorer = self.scorer
        effects = scorer._effects
        policy = scorer.policy
        score = scorer.score_of
        leader = current.ranking[0][0]
        support, opposition = current.support, current.opposition
        positions = self._mode_positions
        excluded = current.excluded
        close_now = current.decision == "close_call"
        if current_scores is None:
            current_scores = dict(current.ranking)
        now = fired & self.readers[attribute]
        swing: int | None = None
        impact = 0
        # NOTE: answers firing the same readers give the same figures: each set is checked once.
        for ids in dict.fromkeys(self._readers_fired(known, attribute, row)):
            if ids == now:
                swing = current_gap if swing is None else max(swing, current_gap)
                continue
            gained: dict[str, int] = {}
            opposed: dict[str, int] = {}
            for rule_id in ids ^ now:
                effect = effects.get(rule_id)
                if effect is None:  # raises a difficulty: no score depends on it
                    continue
                mode, plus, minus, excludes = effect
                if excludes:
                    return None
                sign = 1 if rule_id in ids else -1
                gained[mode] = gained.get(mode, 0) + sign * plus
                opposed[mode] = opposed.get(mode, 0) + sign * minus
            if not gained:
                swing = current_gap if swing is None else max(swing, current_gap)
                continue
            # The same order as Scorer.rank: score, then supporting weight, then the pack's order;
            # excluded modes (they stay so, at 0) come last, and a leader cannot be one.
            best_other: tuple[int, int, int] | None = None
            for mode, now_score in current.ranking:
                if mode != leader and mode not in gained and mode not in excluded:
                    best_other = (-now_score, -support[mode], positions[mode])
                    break
            moved = 0
            for mode, more in gained.items():
                if mode != leader and mode not in excluded:
                    then = score(support[mode] + more - opposition[mode] - opposed[mode])
                    moved = max(moved, abs(then - current_scores[mode]))
                    key = (-then, -(support[mode] + more), positions[mode])
                    if best_other is None or key < best_other:
                        best_other = key
            leader_support = support[leader] + gained.get(leader, 0)
            leader_score = score(leader_support - opposition[leader] - opposed.get(leader, 0))
            if best_other is not None and (-leader_score, -leader_support, positions[leader]) > best_other:
                return None  # another leader
            if leader_support <= 0 or leader_support < policy.min_support or leader_score < policy.possible:
                return None  # the advice would no longer be firm
            # With every other mode excluded the advice is clear.
            runner_score = -best_other[0] if best_other is not None else 0
            if (best_other is not None and leader_score - runner_score < policy.close_call_margin) != close_now:
                return None
            gap = runner_score - leader_score
            swing = gap if swing is None else max(swing, gap)
            impact = max(impact, moved, abs(leader_score - current.ranking[0][1]))
        return (swing if swing is not None else 0), impact

    def can_still_matter(
        self, known: Mapping[str, Any], closed: Iterable[str], attribute: str, row: Sequence[Any] | None = None
    ) -> bool:
        """Whether some rule reading `attribute` fires for one of its answers and not for another (or
        for "don't know"), for some answers to the rule's other open attributes, as the engine says.

        `closed` are attributes that stay unknown (skipped or not applicable); `row` is
        `class_row(known)`, when the caller has it already."""
        if attribute not in self.readers:
            return False
        # NOTE: only what the rules reading the attribute read matters; the answer is kept by that
        # (by the classes of those values, as the engine's answers are).
        read = self.read_with[attribute]
        if row is None:
            row = self.class_row(known)
        stays_unknown = frozenset(name for name in closed if name in read)
        key = (attribute, stays_unknown, self._read_key[attribute](row))
        answer = self._matters.get(key)
        if answer is None:
            if len(self._matters) >= _MEMO_SIZE:
                self._matters.clear()
            relevant = {name: value for name, value in known.items() if name in read}
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
        bound: LeaderBound | None = None,
    ) -> PairSearch:
        """A search over pairs of answers to `attributes` for a standing that `moves` says is a change.

        `bound` may be given only when `moves` means "another leader" (`leader_bound`): the pairs
        it rules out are not evaluated."""
        return PairSearch(self, known, fired, attributes, moves, bound)

    def leader_bound(self, fired: frozenset[str], current: Standing) -> LeaderBound:
        """A quick proof that some answers cannot change the leader of `current` (see LeaderBound)."""
        return LeaderBound(self, fired, current)

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
        bound: LeaderBound | None = None,
    ):
        self.what_if = what_if
        self.known = known
        self.fired = fired
        self.names = [name for name in attributes if name in what_if.candidates and name not in known]
        self.moves = moves
        self.bound = bound
        self.answered = len(known) + 2
        self.row = what_if.class_row(known)
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
            alone = self._alone[name] = self.what_if._readers_fired(self.known, name, self.row)
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

    def together(self, first: str, second: str, bounded: bool = False) -> bool:
        """Whether some answer to `first` with some answer to `second` moves. `bounded`: the
        caller has found that the bound cannot rule the pair out."""
        key = (first, second) if first < second else (second, first)
        verdict = self._pairs.get(key)
        if verdict is None:
            # NOTE: most pairs are ruled out by the bound without evaluating a single answer.
            bound = self.bound
            possible = bounded or bound is None or bound.pair_may_change(*key, self.known, self.row)
            verdict = self._pairs[key] = possible and self._together(*key)
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
        row = self.row
        by_second = [
            what_if._readers_fired({**known, second: two}, first, what_if.row_with(row, second, two))
            for two in candidates[second]
        ]
        by_first = [
            what_if._readers_fired({**known, first: one}, second, what_if.row_with(row, first, one))
            for one in candidates[first]
        ]
        return any(
            self._moved(unaffected | by_second[j][i] | by_first[i][j])
            for i in range(len(candidates[first]))
            for j in range(len(candidates[second]))
        )

    def mover_among(self, ordered: Iterable[str]) -> str | None:
        """The first of `ordered` that moves together with some other open attribute, if any."""
        bound = self.bound
        for name in ordered:
            if name not in self.names:
                continue
            others = [other for other in self.names if other != name]
            if bound is not None:
                if bound.rules_out_unshared(name, self.names, self.known, self.row):
                    # NOTE: then no pair of `name` with these was found moving before either (the
                    # bound of each is tighter), so only the others are left to look at.
                    shares = self.what_if.read_with.get(name, frozenset())
                    others = [other for other in others if other in shares]
                # NOTE: the pair bound for every undecided pair with `name` at once (most end here).
                pairs = self._pairs
                keys = {other: (name, other) if name < other else (other, name) for other in others}
                if any(pairs.get(key) for key in keys.values()):
                    return name
                open_ = [other for other in others if keys[other] not in pairs]
                possible = set(bound.pairs_that_may_change(name, open_, self.known, self.row))
                for other in open_:
                    if other not in possible:
                        pairs[keys[other]] = False
                if any(self.together(name, other, bounded=True) for other in open_ if other in possible):
                    return name
            elif any(self.together(name, other) for other in others):
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


class LeaderBound:
    """A quick, conservative proof that answers to some attributes cannot change the leader.

    NOTE: answers to attributes A change only whether the rules reading A fire; everything else
    keeps firing as it does. So no mode can gain more net weight than the weights of those rules
    that could start supporting it or stop opposing it, and the leader cannot lose more than the
    weights that could stop supporting it or start opposing it. A score only grows with the net
    weight, so if even then every other mode scores below the leader (and no rule reading A can
    exclude the leader), the leader stays. The bound only skips work: whenever it cannot rule a
    change out, the search evaluates the answers through the engine as before (a test compares
    the searches with and without it).
    """

    def __init__(self, what_if: WhatIf, fired: frozenset[str], current: Standing):
        self._what_if = what_if
        self._fired = fired
        self.leader = current.leader
        self._net = {mode: current.support[mode] - current.opposition[mode] for mode in current.support}
        self._swings: dict[str, dict[str, int] | None] = {}
        # The modes but the leader, in a fixed order, and the vectors of `pairs_that_may_change`.
        self._others = [mode for mode in self._net if mode != self.leader]
        self._other_nets = tuple([self._net[mode] for mode in self._others])
        self._alone: dict[tuple[str, frozenset[str]], dict[str, int] | None] = {}
        self._alone_vectors: dict[tuple[str, frozenset[str]], tuple[tuple[int, ...], int] | None] = {}
        self._shared_vectors: dict[frozenset[str], tuple[tuple[int, ...], int] | None] = {}
        self._swing_vectors: dict[str, tuple[tuple[int, ...], int] | None] = {}
        self._reach: dict[int, float] = {}
        self._alone_tops: dict[tuple[str, ...], Any] = {}

    def _swing(self, attribute: str) -> dict[str, int] | None:
        """Per mode, how far the rules reading `attribute` can move its net weight in the direction
        that could change the leader (up for the others, down for the leader); None if one of
        them excludes the leader."""
        if attribute in self._swings:
            return self._swings[attribute]
        effects = self._what_if.scorer._effects
        fired, leader = self._fired, self.leader
        swing: dict[str, int] | None = dict.fromkeys(self._net, 0)
        for rule_id in self._what_if.readers.get(attribute, ()):
            effect = effects.get(rule_id)
            if effect is None:  # raises a difficulty: no score depends on it
                continue
            mode, plus, minus, excludes = effect
            on = rule_id in fired
            if mode == leader:
                if excludes and not on:
                    swing = None
                    break
                swing[mode] += plus if on else minus  # type: ignore[index]
            else:
                swing[mode] += minus if on else plus  # type: ignore[index]
        self._swings[attribute] = swing
        return swing

    def may_change(self, attributes: Sequence[str]) -> bool:
        """False only if no answers to `attributes` can put another mode first (or none).

        NOTE: this and `may_change_pair` are the bound in its plain form, kept as the reference
        the tests hold the searches' vector form (`pairs_that_may_change`) to."""
        if self.leader is None:
            return True
        totals = dict.fromkeys(self._net, 0)
        for attribute in attributes:
            swing = self._swing(attribute)
            if swing is None:
                return True
            for mode, amount in swing.items():
                totals[mode] += amount
        return self._within(totals)

    def pair_may_change(self, first: str, second: str, known: Mapping[str, Any], row: Sequence[Any]) -> bool:
        """False only if no answers to `first` and `second` together can put another mode first:
        `may_change_pair`, in vectors."""
        return bool(self.pairs_that_may_change(first, [second], known, row))

    def pairs_that_may_change(
        self, first: str, others: Sequence[str], known: Mapping[str, Any], row: Sequence[Any]
    ) -> list[str]:
        """Those of `others` for which `may_change_pair(first, other, ...)` holds, in their order.

        NOTE: the same bound in vectors (the pair search asks it for every pair of open
        attributes): each attribute's largest swings by one answer, and the worst of the rules
        reading both, are kept as tuples in a fixed order of the modes; and since a score never
        falls as the net grows, "some mode scores at least `lowest`" is "some mode's net reaches
        the least net that scores `lowest`"."""
        if self.leader is None:
            return list(others)
        none: frozenset[str] = frozenset()
        one = self._alone_vector(first, none, known, row)
        if one is None:
            return list(others)
        add = operator.add
        nets = self._other_nets
        lifted = tuple(map(add, nets, one[0]))
        leading = self._net[self.leader] - one[1]
        readers = self._what_if.readers
        mine = readers.get(first, none)
        shares = self._what_if.read_with.get(first, none)
        vectors = self._alone_vectors
        found = []
        for other in others:
            if other in shares:  # rules reading both: each alone without them, they at their worst
                # NOTE: first the looser bound of the two `_swing`s, kept per attribute, which
                # rules out most such pairs before any answer is looked at.
                loose_one, loose_two = self._swing_vector(first), self._swing_vector(other)
                if loose_one is not None and loose_two is not None:
                    loose = map(add, map(add, nets, loose_one[0]), loose_two[0])
                    if not self._may_reach(loose, self._net[self.leader] - loose_one[1] - loose_two[1]):
                        continue
                shared = mine & readers.get(other, none)
                worst = self._shared_vector(shared)
                # NOTE: then a middle bound: each of the two by its largest swing of one answer with
                # all its rules (kept for every open attribute: no answer is looked at again), and
                # the shared rules at their worst once more. Looser than the bound below (a swing
                # only grows with the rules counted) but cheaper, it settles most such pairs.
                whole = self._alone_vector(other, none, known, row)
                if whole is not None and worst is not None:
                    middle = map(add, map(add, lifted, whole[0]), worst[0])
                    if not self._may_reach(middle, leading - whole[1] - worst[1]):
                        continue
                alone = self._alone_vector(first, shared, known, row)
                two = self._alone_vector(other, shared, known, row)
                if alone is None or two is None or worst is None:
                    found.append(other)
                    continue
                gains = map(add, map(add, map(add, nets, alone[0]), two[0]), worst[0])
                net = self._net[self.leader] - alone[1] - two[1] - worst[1]
            else:
                key = (other, none)
                two = vectors[key] if key in vectors else self._alone_vector(other, none, known, row)
                if two is None:
                    found.append(other)
                    continue
                gains = map(add, lifted, two[0])
                net = leading - two[1]
            if self._may_reach(gains, net):
                found.append(other)
        return found

    def rules_out_unshared(
        self, first: str, among: Sequence[str], known: Mapping[str, Any], row: Sequence[Any]
    ) -> bool:
        """True only if no attribute of `among` that no rule reads together with `first` can, with
        it, put another mode first: one bound for all those pairs at once, the pair's with each
        mode's swing the largest by one answer of any of `among` (kept per `among`, which a
        search passes the same each time)."""
        if self.leader is None:
            return False
        one = self._alone_vector(first, frozenset(), known, row)
        tops = self._alone_tops.get(tuple(among))
        if tops is None:
            tops = self._alone_tops[tuple(among)] = self._tops_of(among, known, row)
        if one is None or not tops:
            return False
        others, leader = tops
        gains = map(
            operator.add, map(operator.add, self._other_nets, one[0]), [_best_without(best, first) for best in others]
        )
        return not self._may_reach(gains, self._net[self.leader] - one[1] - _best_without(leader, first))

    def _tops_of(
        self, among: Sequence[str], known: Mapping[str, Any], row: Sequence[Any]
    ) -> tuple[list[list[tuple[int, str]]], list[tuple[int, str]]] | None:
        """Per mode (in `_others` order, then the leader), the two largest swings by one answer
        among `among`, each with its attribute; None if one of them could exclude the leader."""
        others: list[list[tuple[int, str]]] = [[] for _ in self._others]
        leader: list[tuple[int, str]] = []
        for name in among:
            vector = self._alone_vector(name, frozenset(), known, row)
            if vector is None:
                return None
            for best, amount in zip(others, vector[0], strict=True):
                _keep_two(best, amount, name)
            _keep_two(leader, vector[1], name)
        return others, leader

    def _may_reach(self, nets: Iterable[int], leader_net: int) -> bool:
        """Whether one of the other modes' `nets` scores at least what `leader_net` scores.

        NOTE: scores never fall as the net grows, so that is "reaches the least net that scores
        as much" (kept per leader net): a max over the nets, without scoring each."""
        least = self._reach.get(leader_net)
        if least is None:
            scorer = self._what_if.scorer
            least = self._reach[leader_net] = scorer.least_net_scoring(scorer.score_of(leader_net))
        return max(nets, default=_NEVER) >= least

    def _alone_vector(
        self, attribute: str, shared: frozenset[str], known: Mapping[str, Any], row: Sequence[Any]
    ) -> tuple[tuple[int, ...], int] | None:
        """`_best_alone`, as (the other modes' amounts in `_others` order, the leader's) (kept)."""
        key = (attribute, shared)
        if key not in self._alone_vectors:
            self._alone_vectors[key] = self._as_vector(self._best_alone(attribute, shared, known, row))
        return self._alone_vectors[key]

    def _swing_vector(self, attribute: str) -> tuple[tuple[int, ...], int] | None:
        """`_swing(attribute)` as a vector (kept)."""
        if attribute not in self._swing_vectors:
            self._swing_vectors[attribute] = self._as_vector(self._swing(attribute))
        return self._swing_vectors[attribute]

    def _shared_vector(self, shared: frozenset[str]) -> tuple[tuple[int, ...], int] | None:
        """`_swing_of(shared)` as a vector (kept)."""
        if shared not in self._shared_vectors:
            self._shared_vectors[shared] = self._as_vector(self._swing_of(shared))
        return self._shared_vectors[shared]

    def _as_vector(self, amounts: Mapping[str, int] | None) -> tuple[tuple[int, ...], int] | None:
        if amounts is None:
            return None
        return tuple([amounts[mode] for mode in self._others]), amounts[self.leader]  # type: ignore[index]

    def may_change_pair(
        self, first: str, second: str, known: Mapping[str, Any], row: Sequence[Any] | None = None
    ) -> bool:
        """`may_change((first, second))`, made tighter with the engine's answers for each alone.

        NOTE: a rule that reads `first` but not `second` fires on an answer to both exactly as on
        the answer to `first` alone, which the what-if has evaluated (and keeps in its memo); so
        only the rules reading both are taken at their worst."""
        if self.leader is None:
            return True
        readers = self._what_if.readers
        shared = readers.get(first, frozenset()) & readers.get(second, frozenset())
        totals = dict.fromkeys(self._net, 0)
        for attribute in (first, second):
            best = self._best_alone(attribute, shared, known, row)
            if best is None:
                return True
            for mode, amount in best.items():
                totals[mode] += amount
        if shared:
            worst = self._swing_of(shared)
            if worst is None:
                return True
            for mode, amount in worst.items():
                totals[mode] += amount
        return self._within(totals)

    def _best_alone(
        self, attribute: str, shared: frozenset[str], known: Mapping[str, Any], row: Sequence[Any] | None = None
    ) -> dict[str, int] | None:
        """Per mode, the largest swing any one answer to `attribute` gives through the rules that
        read it and are not in `shared`; None if one of those answers excludes the leader.
        Kept by (attribute, shared): a bound serves one search, over one profile (`known`)."""
        key = (attribute, shared)
        if key not in self._alone:
            self._alone[key] = self._best_alone_of(attribute, shared, known, row)
        return self._alone[key]

    def _best_alone_of(
        self, attribute: str, shared: frozenset[str], known: Mapping[str, Any], row: Sequence[Any] | None
    ) -> dict[str, int] | None:
        what_if = self._what_if
        effects = what_if.scorer._effects
        fired, leader = self._fired, self.leader
        readers = what_if.readers[attribute]
        now_firing = fired & readers
        own = readers - shared
        best = dict.fromkeys(self._net, 0)
        for ids in what_if._readers_fired(known, attribute, row):
            if ids == now_firing:  # the answer changes no rule
                continue
            swing: dict[str, int] = {}
            for rule_id in (ids ^ now_firing) & own:
                effect = effects.get(rule_id)
                if effect is None:
                    continue
                now = rule_id in fired
                mode, plus, minus, excludes = effect
                if mode == leader:
                    if excludes and not now:
                        return None
                    swing[mode] = swing.get(mode, 0) + (plus if now else minus)
                else:
                    swing[mode] = swing.get(mode, 0) + (minus if now else plus)
            for mode, amount in swing.items():
                if amount > best[mode]:
                    best[mode] = amount
        return best

    def _swing_of(self, rule_ids: Iterable[str]) -> dict[str, int] | None:
        """As `_swing`, over the given rules."""
        effects = self._what_if.scorer._effects
        fired, leader = self._fired, self.leader
        swing = dict.fromkeys(self._net, 0)
        for rule_id in rule_ids:
            effect = effects.get(rule_id)
            if effect is None:
                continue
            mode, plus, minus, excludes = effect
            on = rule_id in fired
            if mode == leader:
                if excludes and not on:
                    return None
                swing[mode] += plus if on else minus
            else:
                swing[mode] += minus if on else plus
        return swing

    def _within(self, totals: Mapping[str, int]) -> bool:
        """Whether some mode, moved by `totals`, could score at least the leader moved by them."""
        leader = self.leader
        assert leader is not None
        score = self._what_if.scorer.score_of
        lowest = score(self._net[leader] - totals[leader])
        return any(score(net + totals[mode]) >= lowest for mode, net in self._net.items() if mode != leader)


#: Below every net weight: `max` of no modes at all (every other mode excluded).
_NEVER = -(10**18)


def _keep_two(best: list[tuple[int, str]], amount: int, name: str) -> None:
    """Keeps in `best` the two largest (amount, name) seen, largest first."""
    if len(best) < 2:
        best.append((amount, name))
        best.sort(reverse=True)
    elif amount > best[1][0]:
        best[1] = (amount, name)
        best.sort(reverse=True)


def _best_without(best: list[tuple[int, str]], name: str) -> int:
    """The largest amount of `best` (see `_keep_two`) that is not `name`'s; 0 if none."""
    for amount, holder in best:
        if holder != name:
            return amount
    return 0
