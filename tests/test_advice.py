"""The advice: scores, verdicts, decision, reasons, difficulties and the what-if, checked against the engine."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from profiles import random_profile

from advisor import Advisor, Profile, ProfileError, advise

ROOT = Path(__file__).resolve().parents[1]


PROFILES = [random_profile(random.Random(seed), density) for seed in range(40) for density in (0.25, 0.6)]


def test_advise_accepts_a_dict_or_a_profile(shipped):
    data = {"enterprise_size": "large", "duration_months": 60, "scope": "multi_program"}
    assert advise(data) == advise(Profile(**data)) == shipped.advise(data)


def test_invalid_profile_raises_profile_error_naming_fields():
    with pytest.raises(ProfileError) as caught:
        advise({"duration_months": 0, "sector": "mining"})
    fields = {problem.field for problem in caught.value.problems}
    assert fields == {"duration_months", "sector"}


@pytest.mark.parametrize("profile", PROFILES[:30])
def test_scores_follow_from_the_reasons_shown(shipped, profile):
    advice = shipped.advise(profile, what_if=False)
    policy = shipped.rulebook.meta.scoring
    assert [mode.rank for mode in advice.modes] == list(range(1, 9))
    assert sorted({m.id for m in advice.modes}) == sorted(shipped.knowledge.modes)
    for mode in advice.modes:
        support = sum(r.weight for r in mode.reasons_for)
        opposition = sum(r.weight for r in mode.reasons_against if r.effect == "opposes")
        assert (mode.support, mode.opposition) == (support, opposition)
        if any(r.effect == "excludes" for r in mode.reasons_against):
            assert (mode.score, mode.verdict) == (0, "excluded")
        else:
            expected = max(0, min(100, math.floor(50.5 + policy.points_per_weight * (support - opposition))))
            assert mode.score == expected
    scores = [mode.score for mode in advice.modes if mode.verdict != "excluded"]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("profile", PROFILES[:30])
def test_every_fired_rule_appears_once_as_a_reason(shipped, profile):
    advice = shipped.advise(profile, what_if=False)
    seen = [r.rule_id for m in advice.modes for r in m.reasons_for + m.reasons_against]
    seen += [r.rule_id for d in advice.difficulties for r in d.triggered_by]
    assert sorted(seen) == advice.fired_rules == sorted(shipped.fired_rules(profile))
    for mode in advice.modes:
        for reason in mode.reasons_for + mode.reasons_against:
            assert reason.citations, reason.rule_id
            assert "{" not in reason.message, reason.message
            assert set(reason.triggered_by) <= set(profile)


def test_decision_insufficient_when_little_is_known(shipped):
    advice = shipped.advise({"enterprise_size": "small"})
    assert advice.decision == "insufficient_information"
    assert advice.next_questions, "a sparse profile still gets questions to answer"


def test_difficulties_carry_severity_triggers_and_mitigations(shipped):
    advice = shipped.advise(
        {"research_stages": ["applied", "pilot"], "pilot_funding_secured": False, "enterprise_engagement": "passive"}
    )
    ids = [flag.id for flag in advice.difficulties]
    assert "pilot_funding_gap" in ids and "enterprise_inactive" in ids
    for flag in advice.difficulties:
        assert flag.severity in ("low", "medium", "high")
        assert flag.triggered_by and flag.mitigations
        expected = shipped.knowledge.difficulties[flag.id].mitigations
        assert [m.id for m in flag.mitigations] == expected


def test_versions_name_the_knowledge_and_the_rulebook(shipped):
    advice = shipped.advise({"enterprise_size": "large"})
    assert advice.versions.knowledge == shipped.knowledge.version
    assert shipped.rulebook.meta.version in advice.versions.rulebook


@pytest.mark.parametrize("profile", PROFILES)
def test_what_if_answers_are_what_the_advice_becomes(shipped, profile):
    """Every answer the advice proposes, applied to the profile, gives the leader and decision it promised."""
    advice = shipped.advise(profile, max_questions=50)
    for question in advice.next_questions:
        assert question.attribute not in profile
        for answer in question.answers:
            changed = shipped.advise({**profile, question.attribute: answer.value}, what_if=False)
            assert (changed.leading_mode, changed.decision) == (answer.leading_mode, answer.decision)
            assert changed.modes[0].score == answer.leading_score
            assert changed.leading_mode != advice.leading_mode or changed.decision != advice.decision


@pytest.mark.parametrize("profile", PROFILES[:40])
def test_what_if_per_attribute_rulesets_agree_with_the_whole_pack(shipped, profile):
    known = shipped.advise(profile, what_if=False).profile
    known.pop("id", None)
    known.pop("title", None)
    fired = shipped.fired_rules(known)
    for attribute in shipped.what_if.candidates:
        if attribute in known:
            continue
        composed = shipped.what_if.fired_with(known, fired, attribute)
        values = shipped.what_if.candidates[attribute]
        assert composed == [shipped.fired_rules({**known, attribute: value}) for value in values]


def test_questions_not_asked_about_answered_attributes_and_no_change_means_clear(shipped):
    example = json.loads((ROOT / "examples" / "technology_transfer.json").read_text())
    questions = shipped.next_questions(example)
    assert all(q.attribute not in example for q in questions)
    assert {q.attribute for q in questions} == set(shipped.what_if.candidates) - set(example)


def test_two_advisors_share_nothing(tmp_path, shipped):
    import shutil

    from advisor.paths import default_knowledge_dir, default_rules_dir

    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    for path in rules.glob("*.yml"):
        if path.name not in ("pack.yml", "technology_transfer.yml"):
            path.unlink()
    small = Advisor(rules_dir=rules, knowledge_dir=default_knowledge_dir())
    profile = json.loads((ROOT / "examples" / "technology_equity.json").read_text())
    assert set(small.rulebook.rules) < set(shipped.rulebook.rules)
    assert small.fired_rules(profile) <= set(small.rulebook.rules)
    assert shipped.advise(profile).leading_mode == "technology_equity"
    assert small.advise(profile).leading_mode != "technology_equity"


def test_evaluations_leave_nothing_behind_in_the_engine_session(shipped):
    """Each profile's fact is retracted after its rules are collected (a leak would grow memory)."""
    advisor = Advisor()
    for profile in PROFILES:
        advisor.advise(profile)
    assert advisor.engine.session_facts() == 1
    assert all(engine.session_facts() == 1 for engine in advisor.what_if.engines.values())
