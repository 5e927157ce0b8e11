"""The what-if's shortcuts give what the plain computations give: the tally by differences, the
questions filtered inside `explore`, and the leader bound that spares the pair search."""

from __future__ import annotations

import itertools
import random

import pytest
from profiles import random_profile

from advisor.core import validate_profile

PROFILES = [random_profile(random.Random(seed), density) for seed in range(30) for density in (0.2, 0.45, 0.7)]


def _prepared(advisor, profile):
    known = validate_profile(profile).known()
    fired = advisor.engine.fired(known)
    return known, fired, advisor.scorer.standing(fired, len(known))


@pytest.mark.parametrize("profile", PROFILES[:40])
def test_standings_with_equal_the_standing_of_each_answer(shipped, profile):
    """Standings tallied by differences from the profile's equal standings scored from scratch."""
    what_if, scorer = shipped.what_if, shipped.scorer
    known, fired, _ = _prepared(shipped, profile)
    answered = len(known) + 1
    for attribute in what_if.candidates:
        if attribute in known:
            continue
        shortcut = what_if.standings_with(known, fired, attribute, answered)
        plain = [scorer.standing(ids, answered, explain=False) for ids in what_if.fired_with(known, fired, attribute)]
        assert [(s.ranking, s.excluded, dict(s.support), dict(s.opposition), s.decision) for s in shortcut] == [
            (s.ranking, s.excluded, dict(s.support), dict(s.opposition), s.decision) for s in plain
        ]


@pytest.mark.parametrize("profile", PROFILES[:40])
def test_questions_worth_asking_are_the_filtered_exploration(shipped, profile):
    known, fired, standing = _prepared(shipped, profile)
    firm = standing.decision != "insufficient_information"
    everything = shipped.what_if.explore(known, fired, standing)
    for limit in (None, 1, 5):
        kept = shipped.what_if.explore(known, fired, standing, worth_asking=True, limit=limit)
        expected = [q for q in everything if q.answers or (not firm and q.impact > 0)][:limit]
        assert [q.model_dump() for q in kept] == [q.model_dump() for q in expected]


def _clear_cases(advisor, density=0.8):
    cases = []
    for profile in [random_profile(random.Random(seed), density) for seed in range(100, 200)]:
        known, fired, standing = _prepared(advisor, profile)
        if standing.decision == "clear":
            cases.append((known, fired, standing))
    assert len(cases) >= 10  # enough clear decisions for the comparisons below to mean something
    return cases


def test_leader_bound_never_rules_out_an_answer_that_changes_the_leader(shipped):
    what_if, scorer = shipped.what_if, shipped.scorer
    ruled_out = 0
    for known, fired, standing in _clear_cases(shipped):
        bound = what_if.leader_bound(fired, standing)
        for attribute in what_if.candidates:
            if attribute in known or bound.may_change([attribute]):
                continue
            ruled_out += 1
            for ids in what_if.fired_with(known, fired, attribute):
                assert scorer.standing(ids, len(known) + 1, explain=False).leader == standing.leader
    assert ruled_out > 0  # the bound does rule something out, so the check above is exercised


@pytest.mark.parametrize("density", [0.8, 0.5])
def test_pair_search_with_the_leader_bound_finds_what_the_full_search_finds(shipped, density):
    """At 0.5 most questions are open, as halfway through an interview."""
    what_if = shipped.what_if
    for known, fired, standing in _clear_cases(shipped, density):
        open_attributes = [name for name in what_if.candidates if name not in known]

        def moves(other, leader=standing.leader):
            return other.leader != leader

        bound = what_if.leader_bound(fired, standing)
        full = what_if.pairs(known, fired, open_attributes, moves)
        bounded = what_if.pairs(known, fired, open_attributes, moves, bound)
        assert bounded.movers() == full.movers()
        for order in (open_attributes, open_attributes[::-1]):
            fresh_full = what_if.pairs(known, fired, open_attributes, moves)
            fresh_bounded = what_if.pairs(known, fired, open_attributes, moves, bound)
            assert fresh_bounded.mover_among(order) == fresh_full.mover_among(order)


@pytest.mark.parametrize("profile", PROFILES[:30])
def test_fired_with_each_equals_fired_on_each_whole_profile(shipped, profile):
    """The what-if writes the profile's fields once for all the answers: the same rules fire."""
    known = validate_profile(profile).known()
    what_if = shipped.what_if
    for attribute, values in what_if.candidates.items():
        for engine in (shipped.engine, what_if.engines[attribute]):
            expected = [engine.fired({**known, attribute: value}) for value in values]
            assert engine.fired_with_each(known, attribute, values) == expected


def test_a_steady_question_has_no_answer_that_changes_the_leader_or_the_decision(shipped):
    """The bound that spares the engine for most questions of firm advice never skips one worth asking."""
    what_if, scorer = shipped.what_if, shipped.scorer
    skipped = {"clear": 0, "close_call": 0}
    for seed in range(300):
        known, fired, standing = _prepared(shipped, random_profile(random.Random(1000 + seed), 0.5 + seed % 4 * 0.1))
        if standing.decision == "insufficient_information":
            continue
        for attribute in what_if.candidates:
            if attribute in known or not what_if._steady(attribute, fired, standing):
                continue
            skipped[standing.decision] += 1
            for ids in what_if.fired_with(known, fired, attribute):
                other = scorer.standing(ids, len(known) + 1, explain=False)
                assert (other.leader, other.decision) == (standing.leader, standing.decision), attribute
    # Both kinds of firm advice had questions skipped, so the check above is exercised.
    assert min(skipped.values()) > 50, skipped


def test_answers_that_keep_the_advice_are_told_without_ranking(shipped):
    """The exact check that spares the ranking of each answer never skips a question worth asking."""
    what_if, scorer = shipped.what_if, shipped.scorer
    skipped = {"clear": 0, "close_call": 0, "with an exclusion": 0}
    for seed in range(300):
        known, fired, standing = _prepared(shipped, random_profile(random.Random(2000 + seed), 0.5 + seed % 4 * 0.1))
        if standing.decision == "insufficient_information":
            continue
        row = what_if.class_row(known)
        for attribute in what_if.candidates:
            gap = max(score for mode, score in standing.ranking[1:]) - standing.ranking[0][1]
            if attribute in known or what_if._kept(known, fired, standing, attribute, row, gap) is None:
                continue
            skipped[standing.decision] += 1
            skipped["with an exclusion"] += bool(standing.excluded)
            for ids in what_if.fired_with(known, fired, attribute):
                other = scorer.standing(ids, len(known) + 1, explain=False)
                assert (other.leader, other.decision) == (standing.leader, standing.decision), attribute
    assert min(skipped.values()) > 50, skipped


def _records(explored):
    return [
        (q.attribute, q.changes_leader, q.swing, q.impact, [(v, s.ranking, s.decision) for v, s in q.answers])
        for q in explored
    ]


@pytest.mark.parametrize("seed", range(4))
def test_the_shortcuts_explore_as_ranking_every_answer_does(shipped, seed):
    """The bound and the exact check: the exploration (the interview's) and the questions worth
    asking (the advice's) are what ranking every answer that changes a rule gives."""
    what_if = shipped.what_if
    for number in range(100):
        profile = random_profile(random.Random(10_000 * (seed + 1) + number), 0.3 + number % 6 * 0.1)
        known, fired, standing = _prepared(shipped, profile)
        firm = standing.decision != "insufficient_information"
        reference = what_if.explored(known, fired, standing, shortcuts=False)
        assert _records(what_if.explored(known, fired, standing)) == _records(reference)
        worth = what_if.explored(known, fired, standing, worth_asking=True)
        assert _records(worth) == _records([q for q in reference if q.answers or (not firm and q.impact > 0)])


def test_the_memo_of_each_rule_answers_as_the_engine_does(shipped):
    """With its first memo emptied and no engine to call, the what-if answers from the memo of
    each rule (filled by the same profiles before) exactly what the engine evaluates afresh."""
    from advisor.whatif import WhatIf

    what_if = WhatIf(shipped.rulebook, shipped.scorer)
    profiles = [validate_profile(profile).known() for profile in PROFILES]
    expected = {}
    for number, known in enumerate(profiles):
        for attribute, values in what_if.candidates.items():
            if attribute not in known:
                relevant = {name: value for name, value in known.items() if name in what_if.read_with[attribute]}
                expected[number, attribute] = what_if.engines[attribute].fired_with_each(relevant, attribute, values)
                what_if._readers_fired(known, attribute)  # fills both memos
    what_if._memo.clear()

    class NoEngine:
        def fired_with_each(self, *args):
            raise AssertionError("the engine was asked again")

    what_if.engines = dict.fromkeys(what_if.engines, NoEngine())
    for (number, attribute), fired in expected.items():
        assert what_if._readers_fired(profiles[number], attribute) == fired


def test_the_pair_bound_in_vectors_answers_as_the_plain_bound(shipped):
    """`pairs_that_may_change` (the pair search's form) says what `may_change_pair` says, for
    every pair, those no rule reads both of and those some rule does. NOTE: 400 profiles, not
    40: at 40 the middle bound for shared rules passed without the leader's loss by them."""
    what_if = shipped.what_if
    compared = ruled_out = shared = unshared = 0
    for seed in range(400):
        known, fired, standing = _prepared(shipped, random_profile(random.Random(3000 + seed), 0.3 + seed % 5 * 0.1))
        bound = what_if.leader_bound(fired, standing)
        row = what_if.class_row(known)
        names = [name for name in what_if.candidates if name not in known]
        for first, second in itertools.combinations(names, 2):
            expected = bound.may_change_pair(first, second, known, row)
            assert bound.pair_may_change(first, second, known, row) == expected, (first, second)
            compared += 1
            ruled_out += not expected
            shared += second in what_if.read_with[first]
        for first in names:
            others = [name for name in names if name != first]
            expected = [name for name in others if bound.may_change_pair(first, name, known, row)]
            assert bound.pairs_that_may_change(first, others, known, row) == expected
            # One bound for all the pairs with attributes no rule reads together with `first`.
            if bound.rules_out_unshared(first, names, known, row):
                unshared += 1
                assert not [name for name in expected if name not in what_if.read_with[first]]
    assert compared > 1000 and ruled_out > 100 and shared > 100 and unshared > 5, unshared


def test_the_least_net_scoring_each_score_is_the_least(shipped):
    scorer = shipped.scorer
    nets = range(-400, 401)
    for score in range(-1, 102):
        least = scorer.least_net_scoring(score)
        reaching = [net for net in nets if scorer.score_of(net) >= score]
        if not reaching:
            assert least > max(nets)
        elif reaching[0] == nets[0]:
            assert least <= nets[0]
        else:
            assert least == reaching[0]


@pytest.mark.parametrize("profile", PROFILES[:30])
def test_every_answer_to_a_list_fires_what_one_of_its_candidates_fires(shipped, profile):
    """The candidates stand for every answer a person can give to a list: each of its subsets
    fires, on the engine, the same rules as some candidate (a two-item answer included)."""
    from advisor.profile import ATTRIBUTES

    known, _, _ = _prepared(shipped, profile)
    for attribute, spec in ATTRIBUTES.items():
        if spec.kind != "list" or attribute not in shipped.what_if.candidates:
            continue
        base = {name: value for name, value in known.items() if name != attribute}
        by_candidate = {
            shipped.engine.fired({**base, attribute: value}) for value in shipped.what_if.candidates[attribute]
        }
        for size in range(len(spec.choices) + 1):
            for answer in itertools.combinations(spec.choices, size):
                assert shipped.engine.fired({**base, attribute: list(answer)}) in by_candidate, (attribute, answer)


def test_the_memos_start_over_within_their_budgets_and_answer_the_same(shipped, monkeypatch):
    """The what-if's memos are bounded by what they hold, not only by entries (a big pack's answers
    are large sets of rules): past a budget they start over, and the advice does not change."""
    from advisor import whatif
    from advisor.core import Advisor

    expected = [shipped.advise(profile).model_dump() for profile in PROFILES]
    monkeypatch.setattr(whatif, "_MEMO_RULE_IDS", 300)
    monkeypatch.setattr(whatif, "_RULE_MEMO_BITS", 2000)
    small = Advisor()
    what_if = small.what_if
    one_fill = max(len(readers) * len(what_if.candidates[name]) for name, readers in what_if._rule_memos.items())
    started_over = {"memo": 0, "rules": 0}
    for profile, advice in zip(PROFILES, expected, strict=True):
        memo, bits = what_if._memo_held, what_if._rule_memo_bits
        assert small.advise(profile).model_dump() == advice
        assert what_if._memo_held <= 300 or len(what_if._memo) == 1  # one answer alone may be over
        assert what_if._rule_memo_bits <= 2000 + one_fill
        held_bits = sum(
            len(m) * len(what_if.candidates[name]) for name, rs in what_if._rule_memos.items() for _, m, _ in rs
        )
        assert held_bits <= what_if._rule_memo_bits  # the count never runs behind what is held
        started_over["memo"] += what_if._memo_held < memo
        started_over["rules"] += what_if._rule_memo_bits < bits
    assert started_over["memo"] and started_over["rules"]  # the budgets were reached, and the memos started over
