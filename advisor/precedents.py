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


def _count_band(value: int) -> int:
    return min(value, 2)  # none, one, several


def agreement(name: str, mine: Any, theirs: Any) -> float:
    """How far two values of one attribute agree, 0 to 1."""
    if isinstance(mine, list) and isinstance(theirs, list):
        union = set(mine) | set(theirs)
        return len(set(mine) & set(theirs)) / len(union) if union else 1.0
    if name in ("enterprise_count", "institution_count"):
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


def find_precedents(known: Mapping[str, Any], cases: Sequence[Case], limit: int = 3) -> list[Precedent]:
    """Up to `limit` cases most like the known attributes, best first, each explained."""
    scored = []
    for case in cases:
        theirs = case.profile_values  # NOTE: the cached values, read only; known() would copy them
        shared = [name for name in known if name in theirs]
        matching = []
        total = 0.0
        for name in shared:
            value = agreement(name, known[name], theirs[name])
            total += 2 * value - 1
            if value >= 0.5:
                matching.append(name)
        if not matching or total <= 0:
            continue
        differing = [name for name in shared if name not in matching]
        key = (-round(total, 6), _home_rank(case.region), len(differing), case.id)
        scored.append((key, case, matching, differing, total))
    scored.sort(key=lambda entry: entry[0])
    return [
        Precedent(
            id=case.id,
            name=case.name.en,
            name_zh=case.name.zh,
            mode=case.mode,
            years=case.years,
            region=case.region,
            source_url=case.sources[0].url,
            source_title=case.sources[0].title,
            similarity=round(total, 2),
            matching={name: known[name] for name in matching},
            differing={name: {"yours": known[name], "theirs": case.profile_values[name]} for name in differing},
        )
        for _, case, matching, differing, total in scored[:limit]
    ]
