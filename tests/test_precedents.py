"""Precedents: the documented cases most like a profile, explained, in every surface."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from advisor.cases import load_cases
from advisor.catalogue import catalogue
from advisor.cli import cli
from advisor.precedents import agreement, find_precedents
from advisor.render import render_markdown, render_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "technology_transfer.json"


def test_agreement_of_values():
    assert agreement("enterprise_size", "large", "large") == 1
    assert agreement("enterprise_size", "large", "small") == 0
    assert agreement("funding_sources", ["enterprise"], ["enterprise", "government"]) == 0.5
    assert agreement("duration_months", 36, 60) == 1
    assert agreement("duration_months", 12, 60) == 0
    assert agreement("enterprise_count", 3, 7) == 1
    assert agreement("enterprise_count", 1, 2) == 0


def test_a_case_is_its_own_closest_precedent():
    cases = load_cases()
    for case in cases[:: max(1, len(cases) // 12)]:
        found = find_precedents(case.known(), cases)
        assert found[0].similarity == max(p.similarity for p in found)
        assert case.id in {p.id for p in found if p.similarity == found[0].similarity}


def test_precedents_explain_the_match():
    cases = load_cases()
    known = {"existing_result": True, "enterprise_can_industrialize": True, "sector": "healthcare"}
    found = find_precedents(known, cases)
    assert 1 <= len(found) <= 3
    for precedent in found:
        case = next(c for c in cases if c.id == precedent.id)
        assert precedent.mode == case.mode and precedent.source_url == case.sources[0].url
        for name, value in precedent.matching.items():
            assert case.known()[name] == value
        assert precedent.similarity == len(precedent.matching)
    similarities = [p.similarity for p in found]
    assert similarities == sorted(similarities, reverse=True)


def test_ties_go_to_hunan_then_china():
    cases = load_cases()
    known = {"enterprise_count": 1}
    found = find_precedents(known, cases)
    regions = [p.region for p in found]
    rank = [0 if r == "China · Hunan" else 1 if r.startswith("China") else 2 for r in regions]
    assert rank == sorted(rank)
    assert regions[0] == "China · Hunan"


def test_nothing_in_common_means_no_precedent():
    assert find_precedents({}, load_cases()) == []


def test_every_surface_shows_precedents(shipped):
    advice = shipped.advise(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert advice.precedents
    first = advice.precedents[0]
    text = render_text(advice)
    assert "Partnerships like yours (documented cases)" in text and first.id in text
    assert f"         {first.source_url}" in text.splitlines()
    assert first.name_zh in render_text(advice, "zh")
    assert first.source_url in render_markdown(advice)
    data = json.loads(CliRunner().invoke(cli, ["advise", str(EXAMPLE), "--format", "json"]).stdout)
    assert data["precedents"][0]["id"] == first.id
    assert set(data["precedents"][0]) >= {"id", "name", "name_zh", "mode", "years", "region", "source_url", "matching"}


def test_the_label_sentence_is_in_text_and_markdown(shipped):
    advice = shipped.advise(json.loads(EXAMPLE.read_text(encoding="utf-8")), what_if=False)
    assert advice.reliability.decision == advice.decision
    assert advice.reliability.sentence in " ".join(render_text(advice).split())
    assert advice.reliability.sentence in render_markdown(advice)
    zh = catalogue("zh")["reliability"]
    right, cases = advice.reliability.right, advice.reliability.cases
    share = zh["over_nine"] if 10 * right > 9.5 * cases and right < cases else zh["shares"][advice.reliability.in_ten]
    assert right == 58 and cases == 59 and share == "九成以上"  # not 约九成 beside 58 of 59
    assert f"{share}" in render_text(advice, "zh") and f"有 {advice.reliability.right} 个" in render_text(advice, "zh")


def test_a_case_that_contradicts_the_profile_ranks_below_one_that_does_not():
    """A profile that declines shares should not be shown equity cases first: each disagreeing
    attribute counts against a case (found looking at the `ask` report of a transfer)."""
    from advisor.core import default_advisor

    profile = {
        "enterprise_size": "large",
        "university_takes_equity": False,
        "university_commercializes": False,
        "existing_result": True,
        "enterprise_can_industrialize": True,
        "enterprise_count": 1,
    }
    found = default_advisor().advise(profile, what_if=False).precedents
    assert found
    for precedent in found:
        assert precedent.similarity == len(precedent.matching) - len(precedent.differing)
        assert precedent.similarity > 0
    equity = [p for p in found if p.differing.get("university_takes_equity")]
    assert all(p.similarity < found[0].similarity for p in equity)


def _one_case_at_a_time(known, cases, limit=3):
    """The similarity as the module docstring states it, case by case: what the index must equal."""
    from advisor.precedents import _home_rank

    scored = []
    for case in cases:
        theirs = case.known()
        shared = [name for name in known if name in theirs]
        values = {name: agreement(name, known[name], theirs[name]) for name in shared}
        total = 0.0
        for name in shared:
            total += 2 * values[name] - 1
        matching = [name for name in shared if values[name] >= 0.5]
        if matching and total > 0:
            differing = [name for name in shared if name not in matching]
            key = (-round(total, 6), _home_rank(case.region), len(differing), case.id)
            scored.append((key, case.id, round(total, 2), matching, differing))
    scored.sort()
    return [
        (case_id, similarity, matching, differing) for _, case_id, similarity, matching, differing in scored[:limit]
    ]


def test_the_index_finds_what_a_case_by_case_search_finds():
    """Every case's profile, and mixtures of two cases' profiles, give the same precedents,
    similarities and explanations as the plain loop over the cases."""
    from advisor.precedents import CaseIndex

    cases = load_cases()
    index = CaseIndex(cases)
    profiles = [case.known() for case in cases]
    # mixtures: the first half of one case's attributes over another's, so values disagree too
    profiles += [
        {**profiles[i], **dict(list(profiles[(i * 7 + 3) % len(profiles)].items())[: len(profiles[i]) // 2])}
        for i in range(len(profiles))
    ]
    for known in profiles:
        found = [(p.id, p.similarity, list(p.matching), list(p.differing)) for p in index.find(known)]
        assert found == _one_case_at_a_time(known, cases)
        assert found and found == [
            (p.id, p.similarity, list(p.matching), list(p.differing)) for p in find_precedents(known, cases)
        ]
