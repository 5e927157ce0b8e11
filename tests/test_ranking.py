"""Scorer.rank's order, against the rule it states: modes not excluded first, then the higher
score, then more supporting weight, then the knowledge base's order (excluded modes score 0).

NOTE: rank packs those four into one integer per mode for speed; this holds it to the plain
tuple sort it replaced."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.core import default_advisor

SCORER = default_advisor().scorer
MODES = SCORER.mode_order
MOST = sum(rule.effect.weight or 0 for rule in SCORER.rulebook.rules.values() if rule.effect.kind == "supports")
MOST_AGAINST = sum(rule.effect.weight or 0 for rule in SCORER.rulebook.rules.values() if rule.effect.kind == "opposes")


def plain_ranking(support, opposition, excluded):
    keyed = []
    for position, mode in enumerate(MODES):
        out = mode in excluded
        score = 0 if out else SCORER.score_of(support[mode] - opposition[mode])
        keyed.append((out, -score, -support[mode], position, mode, score))
    return tuple((entry[4], entry[5]) for entry in sorted(keyed))


weights = st.one_of(st.integers(0, 60), st.sampled_from([0, 25, 50, MOST]))


@settings(max_examples=400, deadline=None)
@given(
    support=st.lists(weights, min_size=len(MODES), max_size=len(MODES)),
    opposition=st.lists(st.one_of(st.integers(0, 60), st.just(MOST_AGAINST)), min_size=len(MODES), max_size=len(MODES)),
    excluded=st.sets(st.sampled_from(MODES)),
)
def test_rank_orders_as_the_plain_tuple_sort(support, opposition, excluded):
    support = dict(zip(MODES, [min(value, MOST) for value in support], strict=True))
    opposition = dict(zip(MODES, opposition, strict=True))
    standing = SCORER.rank(support, opposition, excluded, answered=10)
    assert standing.ranking == plain_ranking(support, opposition, excluded)
    assert standing.excluded == frozenset(excluded)


def test_ties_fall_to_support_then_to_the_knowledge_order():
    support = dict.fromkeys(MODES, 10)
    opposition = dict.fromkeys(MODES, 10)  # every score 50
    support[MODES[5]] = opposition[MODES[5]] = 30  # the same score, more support: first
    ranking = SCORER.rank(support, opposition, set(), answered=10).ranking
    assert [mode for mode, _ in ranking] == [MODES[5], *(m for m in MODES if m != MODES[5])]
    assert {score for _, score in ranking} == {50}
