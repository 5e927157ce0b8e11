"""Regressions for the three failure classes of issue 8, on generic profiles read from the seed's
definitions (not on documented cases): each failed with the rule pack before the fix."""

from __future__ import annotations

import pytest

SALE_OF_A_FINISHED_RESULT = {
    "existing_result": True,
    "funding_sources": ["enterprise"],
    "scope": "single_program",
    "enterprise_can_industrialize": True,
    "enterprise_size": "medium",
    "technology_level": "high",
}
ALLIANCE_OF_SEVERAL = {
    "enterprise_size": "large",
    "enterprise_count": 4,
    "institution_count": 3,
    "scope": "multi_program",
    "disciplines": "multi",
    "joint_entity": True,
    "university_discipline_strength": "leading",
}
ONE_UNIVERSITY_SERVING_ONE_ENTERPRISE = {
    "enterprise_size": "large",
    "enterprise_count": 1,
    "institution_count": 1,
    "scope": "multi_program",
}
LICENSED_PATENT = {
    "existing_result": True,
    "technology_level": "high",
    "ip_owner": "university",
    "ipr_agreement": True,
    "institution_count": 1,
}


def test_a_sale_of_a_finished_result_leads_over_program_cooperation(shipped):
    standing = shipped.standing(SALE_OF_A_FINISHED_RESULT)
    assert standing.leader == "technology_transfer"
    assert standing.score("technology_transfer") > standing.score("program_cooperation")
    assert "PC001" not in shipped.fired_rules(SALE_OF_A_FINISHED_RESULT)


def test_the_same_money_for_new_research_is_still_program_cooperation(shipped):
    commissioned = {**SALE_OF_A_FINISHED_RESULT, "existing_result": False}
    assert shipped.standing(commissioned).leader == "program_cooperation"


def test_several_enterprises_and_institutions_with_a_joint_centre_are_an_alliance(shipped):
    standing = shipped.standing(ALLIANCE_OF_SEVERAL)
    assert standing.leader == "strategic_alliance"
    assert standing.score("strategic_alliance") > standing.score("strategic_cooperation")


def test_one_university_serving_one_large_enterprise_is_strategic_cooperation(shipped):
    assert shipped.standing(ONE_UNIVERSITY_SERVING_ONE_ENTERPRISE).leader == "strategic_cooperation"
    several = {**ONE_UNIVERSITY_SERVING_ONE_ENTERPRISE, "enterprise_count": 3}
    assert shipped.standing(several).leader == "strategic_alliance"


def test_a_hi_tech_result_alone_is_no_sign_of_equity(shipped):
    standing = shipped.standing(LICENSED_PATENT)
    assert standing.leader == "technology_transfer"
    assert "TE002" not in shipped.fired_rules(LICENSED_PATENT)


@pytest.mark.parametrize("sign", [{"university_takes_equity": True}, {"risk_sharing": "high"}])
def test_a_sign_that_shares_are_wanted_brings_equity_back(shipped, sign):
    profile = {**LICENSED_PATENT, **sign}
    assert "TE002" in shipped.fired_rules(profile)
    assert shipped.standing(profile).leader == "technology_equity"


# -- second pass of issue 8: attribute patterns the rules misread (generic profiles, not cases) --

ONE_TO_ONE = {"enterprise_count": 1, "institution_count": 1}


def test_a_single_bottleneck_problem_of_unstated_level_points_to_technology_service(shipped):
    """Seed: guidance and service on the technological bottleneck of an enterprise, *as well as* on
    low-level problems; the bottleneck alone is a target, whatever nobody has said of its level."""
    profile = {**ONE_TO_ONE, "scope": "single_problem"}
    assert "TS007" in shipped.fired_rules(profile)
    assert shipped.standing(profile).leader == "technology_service"


def test_a_hi_tech_problem_still_does_not_point_to_technology_service(shipped):
    profile = {**ONE_TO_ONE, "scope": "single_problem", "technology_level": "high"}
    assert "TS007" not in shipped.fired_rules(profile)
    assert shipped.standing(profile).leader != "technology_service"


def test_a_paid_single_problem_stays_program_cooperation(shipped):
    """The enterprise paying for research on its problem is program cooperation's first mark; the
    bottleneck reading must not outweigh it."""
    profile = {**ONE_TO_ONE, "scope": "single_problem", "funding_sources": ["enterprise"]}
    standing = shipped.standing(profile)
    assert standing.leader == "program_cooperation"
    assert standing.ranking[1][0] == "technology_service"


def test_an_enterprise_paying_for_research_of_unstated_scope_is_program_cooperation(shipped):
    profile = {**ONE_TO_ONE, "funding_sources": ["enterprise"]}
    assert "PC005" in shipped.fired_rules(profile)
    assert shipped.standing(profile).leader == "program_cooperation"


@pytest.mark.parametrize("sign", [{"existing_result": True}, {"university_takes_equity": True}])
def test_money_for_a_result_or_for_shares_is_not_research_funding(shipped, sign):
    profile = {**ONE_TO_ONE, "funding_sources": ["enterprise"], **sign}
    assert "PC005" not in shipped.fired_rules(profile)
    assert shipped.standing(profile).leader != "program_cooperation"


def test_applied_research_on_one_program_of_unstated_level_is_program_cooperation(shipped):
    profile = {**ONE_TO_ONE, "scope": "single_program", "research_stages": ["applied"]}
    assert "PC003" in shipped.fired_rules(profile)
    assert shipped.standing(profile).leader == "program_cooperation"


def test_one_university_bringing_several_disciplines_to_one_large_enterprise_is_strategic_cooperation(shipped):
    profile = {**ONE_TO_ONE, "enterprise_size": "large", "disciplines": "multi"}
    assert "SC008" in shipped.fired_rules(profile)
    assert shipped.standing(profile).leader == "strategic_cooperation"
    several = {**profile, "enterprise_count": 3}
    assert "SC008" not in shipped.fired_rules(several)
    assert shipped.standing(several).leader == "strategic_alliance"
