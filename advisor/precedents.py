"""Precedents: the documented cases most like a profile, with the attributes that make them alike.

The similarity is deliberately simple so a person can check it: over the attributes known in
both the profile and the case, each attribute scores +1 when the values agree and -1 when they
disagree (a list by the share of values in common, from +1 to -1; a number agrees when it is in
the same band), and the similarity is the sum: a case that contradicts the profile on what it
knows ranks below one that does not. Cases whose sum is not above zero are never shown. Ties go to the
case closest to home (Hunan, then elsewhere in China, then abroad), then to the case that
disagrees on fewer attributes, then to the id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .advice import Precedent
from .cases import Case

#: How close two numbers must be to count as alike: the same band on a log scale.
# NOTE: a 3-year and a 5-year agreement are alike, a 1-year and a 5-year one are not; a 2 million
# and a 5 million CNY contract are alike, 2 million and 500 million are not.
_BAND_FACTOR = {"duration_months": 2.0, "funding_cny": 3.0}
HOME_REGION = "China · Hunan"
#: Counts agree by band: none, one, several.
_COUNTS = frozenset({"enterprise_count", "institution_count"})


def _count_band(value: int) -> int:
    return min(value, 2)  # none, one, several


def agreement(name: str, mine: Any, theirs: Any) -> float:
    """How far two values of one attribute agree, 0 to 1."""
    if isinstance(mine, list) and isinstance(theirs, list):
        union = set(mine) | set(theirs)
        return len(set(mine) & set(theirs)) / len(union) if union else 1.0
    if name in _COUNTS:
        return 1.0 if _count_band(mine) == _count_band(theirs) else 0.0
    if name in _BAND_FACTOR:
        if mine == theirs:
            return 1.0
        if mine <= 0 or theirs <= 0:
            return 0.0
        return 1.0 if abs(math.log(mine / theirs)) <= math.log(_BAND_FACTOR[name]) else 0.0
    return 1.0 if mine == theirs else 0.0


def _home_rank(region: str) -> int:
    if region == HOME_REGION:
        return 0
    return 1 if region.startswith("China") else 2


class CaseIndex:
    """The cases arranged for scoring: for each attribute, the cases that know it and their values.

    NOTE: built once per case set (the cases never change while an Advisor lives): scoring a
    profile then visits only the (case, attribute) pairs both know, adds plain floats, and builds
    the explained Precedent models for the few cases shown, not for every case (measured: a third
    of advise() went to scoring every case attribute by attribute).
    """

    def __init__(self, cases: Sequence[Case]):
        self.cases = list(cases)
        self._home_ranks = [_home_rank(case.region) for case in self.cases]
        # attribute -> [(a value, the positions of the cases with that value)]: agreement is
        # computed once per distinct value, not once per case
        by_value: dict[str, dict[Any, tuple[Any, list[int]]]] = {}
        for position, case in enumerate(self.cases):
            for name, value in case.profile_values.items():
                key = tuple(value) if isinstance(value, list) else value
                by_value.setdefault(name, {}).setdefault(key, (value, []))[1].append(position)
        self._groups: dict[str, list[tuple[Any, list[int]]]] = {
            name: list(groups.values()) for name, groups in by_value.items()
        }

    def find(self, known: Mapping[str, Any], limit: int = 3) -> list[Precedent]:
        """Up to `limit` cases most like the known attributes, best first, each explained."""
        count = len(self.cases)
        totals = [0.0] * count
        shared = [0] * count
        matching = [0] * count
        # NOTE: attributes are visited in the order of `known`, so each case adds its terms in
        # the same order as a case-by-case loop would: the float sums are the same to the last bit.
        for name, mine in known.items():
            for theirs, positions in self._groups.get(name, ()):
                value = agreement(name, mine, theirs)
                term = 2 * value - 1
                alike = value >= 0.5
                for position in positions:
                    totals[position] += term
                    shared[position] += 1
                    if alike:
                        matching[position] += 1
        ranked = sorted(
            (
                (
                    -round(totals[position], 6),
                    self._home_ranks[position],
                    shared[position] - matching[position],
                    case.id,
                ),
                position,
            )
            for position, case in enumerate(self.cases)
            if matching[position] and totals[position] > 0
        )
        return [self._explain(self.cases[position], known, totals[position]) for _, position in ranked[:limit]]

    @staticmethod
    def _explain(case: Case, known: Mapping[str, Any], total: float) -> Precedent:
        theirs = case.profile_values  # NOTE: the cached values, read only; known() would copy them
        alike = [name for name in known if name in theirs and agreement(name, known[name], theirs[name]) >= 0.5]
        differing = [name for name in known if name in theirs and name not in alike]
        return Precedent(
            id=case.id,
            name=case.name.en,
            name_zh=case.name.zh,
            mode=case.mode,
            years=case.years,
            region=case.region,
            source_url=case.sources[0].url,
            source_title=case.sources[0].shown("en"),
            source_title_zh=case.sources[0].shown("zh"),
            similarity=round(total, 2),
            matching={name: known[name] for name in alike},
            differing={name: {"yours": known[name], "theirs": theirs[name]} for name in differing},
        )


def find_precedents(known: Mapping[str, Any], cases: Sequence[Case] | CaseIndex, limit: int = 3) -> list[Precedent]:
    """Up to `limit` cases most like the known attributes, best first, each explained.
    An Advisor passes its CaseIndex, built once; a list of cases is indexed on each call."""
    index = cases if isinstance(cases, CaseIndex) else CaseIndex(cases)
    return index.find(known, limit)
