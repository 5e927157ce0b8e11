"""The adaptive interview: informative first questions, skips, and a stopping rule that never stops early."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from profiles import shipped_number_values

from advisor.errors import ProfileError
from advisor.interview import Interview, Step, field_summary, next_question
from advisor.profile import ATTRIBUTES
from advisor.questions import load_questions

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
QUESTIONS = load_questions()

# Every answer a person could give, as far as the rules can tell them apart; chosen here, not by
# the what-if, so the stopping rule is checked independently of the candidates it uses. Lists:
# every subset. Numbers: both sides of every threshold the rule files use, and the extremes.
_NUMBERS = shipped_number_values()


def every_answer(attribute: str) -> list:
    spec = ATTRIBUTES[attribute]
    if spec.kind == "boolean":
        return [True, False]
    if spec.kind == "choice":
        return list(spec.choices)
    if spec.kind == "list":
        return [list(c) for n in range(len(spec.choices) + 1) for c in itertools.combinations(spec.choices, n)]
    return _NUMBERS[attribute]


def test_the_independent_answers_cover_every_threshold_of_the_rules(shipped):
    for attribute in ("duration_months", "funding_cny"):
        for value in shipped.what_if.candidates[attribute]:
            assert value in _NUMBERS[attribute] or value - 1 in _NUMBERS[attribute], (attribute, value)


def open_questions(answers: dict, skipped: set[str]) -> list[str]:
    return [
        q.attribute
        for q in QUESTIONS.questions
        if q.attribute not in answers and q.attribute not in skipped and q.applies(answers)
    ]


def run_interview(shipped, profile: dict, **options) -> tuple[Interview, Step]:
    """Answer the interview from a profile: its value when it has one, "don't know" otherwise."""
    interview = Interview(shipped, **options)
    while True:
        step = interview.step()
        if step.done:
            return interview, step
        assert step.attribute not in interview.answers and step.attribute not in interview.skipped
        if step.attribute in profile:
            interview.answer(step.attribute, profile[step.attribute])
        else:
            interview.skip(step.attribute)


def load(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: value for name, value in data.items() if name in ATTRIBUTES}


# -- the stopping rule ---------------------------------------------------------------------------


def assert_no_single_answer_changes_the_leader(shipped, answers: dict, skipped: set[str]) -> None:
    leader = shipped.standing(answers).leader
    for attribute in open_questions(answers, skipped):
        for value in every_answer(attribute):
            assert shipped.standing({**answers, attribute: value}).leader == leader, (
                f"stopped, but {attribute}={value!r} would put another mode first"
            )


def top_two(standing) -> tuple[str, ...]:
    return tuple(mode for mode, _ in standing.ranking[:2] if mode not in standing.excluded)


def assert_no_answer_separates_the_two_leaders(shipped, answers: dict, skipped: set[str]) -> None:
    """No answer, alone or with one other (independent answers, full engine), changes the decision
    or the two leaders and their order."""
    now = shipped.standing(answers)
    assert now.decision == "close_call"
    remaining = open_questions(answers, skipped)
    singles = [{**answers, attribute: value} for attribute in remaining for value in every_answer(attribute)]
    candidates = shipped.what_if.candidates  # pairs: one answer per class the rules tell apart
    pairs = [
        {**answers, first: one, second: two}
        for first, second in itertools.combinations([a for a in remaining if a in candidates], 2)
        for one in candidates[first]
        for two in candidates[second]
    ]
    for variant in singles + pairs:
        other = shipped.standing(variant)
        assert (other.decision, top_two(other)) == (now.decision, top_two(now)), (
            f"stopped as inseparable, but {variant} separates them"
        )


@st.composite
def interview_states(draw):
    """Partly answered profiles with some "don't know"s, drawn from the answers the rules tell apart."""
    answers, skipped = {}, set()
    for attribute in ATTRIBUTES:
        state = draw(st.sampled_from(["open", "answered", "answered", "answered", "skipped"]))
        if state == "answered":
            answers[attribute] = draw(st.sampled_from(every_answer(attribute)))
        elif state == "skipped":
            skipped.add(attribute)
    return answers, skipped


# NOTE: derandomized, so a CI run never fails on a new draw it cannot show again; a random draw
# once found a real bug (pinned by test_a_two_item_answer_that_changes_the_leader_is_still_asked).
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(state=interview_states())
def test_never_stops_while_a_remaining_answer_could_change_the_leader(shipped, state):
    answers, skipped = state
    step = next_question(shipped, answers, skipped)
    if step.stop_reason == "clear":
        assert shipped.standing(answers).decision == "clear"
        assert_no_single_answer_changes_the_leader(shipped, answers, skipped)
    elif step.stop_reason == "settled":  # nothing left can change even one rule
        fired = shipped.fired_rules(answers)
        for attribute in open_questions(answers, skipped):
            assert all(
                shipped.fired_rules({**answers, a: v}) == fired
                for a, v in [(attribute, x) for x in every_answer(attribute)]
            )
    elif step.stop_reason == "inseparable":
        assert_no_answer_separates_the_two_leaders(shipped, answers, skipped)
    elif step.stop_reason == "all_asked":
        assert open_questions(answers, skipped) == []
    else:
        assert step.attribute in open_questions(answers, skipped)


def random_partnerships(count: int, seed: int) -> list[dict]:
    """Reproducible partnerships: each attribute known with probability 2/3, any value a person could give."""
    rng = random.Random(seed)
    return [{a: rng.choice(every_answer(a)) for a in ATTRIBUTES if rng.random() < 2 / 3} for _ in range(count)]


# NOTE: the seed was chosen (2029 since the numbers come from the rules' thresholds) so that the
# first six stop in each of "clear", "inseparable" and "settled".
PARTNERSHIPS = random_partnerships(12, seed=2029)


@pytest.mark.parametrize("profile", PARTNERSHIPS, ids=[f"random{i}" for i in range(len(PARTNERSHIPS))])
def test_an_interview_stops_only_when_no_remaining_answer_could_change_the_leader(shipped, profile):
    interview, step = run_interview(shipped, profile)
    assert step.stop_reason in ("clear", "inseparable", "settled", "all_asked")
    if step.stop_reason == "clear":
        assert_no_single_answer_changes_the_leader(shipped, interview.answers, interview.skipped)
    elif step.stop_reason == "inseparable":
        assert_no_answer_separates_the_two_leaders(shipped, interview.answers, interview.skipped)
    else:
        assert shipped.standing(interview.answers).decision != "clear" or step.stop_reason == "all_asked"


def test_the_random_partnerships_exercise_the_clear_stop(shipped):
    stops = [run_interview(shipped, profile)[1].stop_reason for profile in PARTNERSHIPS[:6]]
    assert stops.count("clear") >= 3, stops


def test_a_state_one_answer_from_another_leader_is_not_stopped(shipped):
    # Clear for Technology Transfer, but declaring the institution will take shares changes that.
    answers = {
        "existing_result": True,
        "enterprise_can_industrialize": True,
        "enterprise_size": "large",
        "ip_owner": "enterprise",
        "technology_level": "high",
    }
    assert shipped.standing(answers).decision == "clear"
    assert shipped.standing({**answers, "university_takes_equity": True}).leader != shipped.standing(answers).leader
    step = next_question(shipped, answers)
    assert not step.done
    assert step.ask_reason == "changes_leader"


@pytest.mark.parametrize("path", EXAMPLES[:3], ids=[p.stem for p in EXAMPLES[:3]])
def test_when_stopped_no_pair_of_answers_changes_the_leader_either(shipped, path):
    interview, step = run_interview(shipped, load(path))
    assert step.stop_reason == "clear"
    answers, candidates = interview.answers, shipped.what_if.candidates
    leader = shipped.standing(answers).leader
    remaining = [a for a in open_questions(answers, interview.skipped) if a in candidates]
    variants = [
        {**answers, first: one, second: two}
        for first, second in itertools.combinations(remaining, 2)
        for one in candidates[first]
        for two in candidates[second]
    ]
    assert variants
    assert all(shipped.standing(v).leader == leader for v in variants)


# A close call found by running the interview with seeded answers (random choices among every
# answer of each question, seed 22, with the rule pack after issue 8's second pass: close-call
# margin 6): the two leaders stay within the margin whatever the remaining questions are answered,
# once the joint entity is known.
CLOSE_CALL = {
    "enterprise_size": "medium",
    "university_takes_equity": True,
    "university_commercializes": True,
    "university_goal": "commercial",
    "enterprise_can_industrialize": False,
    "university_discipline_strength": "leading",
    "risk_sharing": "high",
    "technology_level": "high",
    "existing_result": False,
    "government_roles": ["funder"],
}
LAST_ANSWER = ("joint_entity", True)  # the one question the interview still asks
SEPARATOR = "enterprise_size"  # unknown, its answer would still tip the balance


def test_a_close_call_whose_leaders_cannot_be_separated_ends_on_its_own(shipped):
    # One answer before the end the interview still asks; the last answer settles that nothing can
    # separate the two leaders, and it stops instead of asking every remaining question.
    interview = Interview(shipped, CLOSE_CALL)
    step = interview.step()
    assert step.attribute == LAST_ANSWER[0] and step.ask_reason is not None
    interview.answer(*LAST_ANSWER)
    step = interview.step()
    assert step.done and step.stop_reason == "inseparable"
    assert open_questions(interview.answers, interview.skipped), "it must stop before all is asked"
    assert_no_answer_separates_the_two_leaders(shipped, interview.answers, interview.skipped)
    leader, runner = step.field.leader, step.field.runner_up
    assert step.field.decision == "close_call" and leader.score - runner.score < 5
    assert step.explain(shipped, "en") == (
        f"The remaining questions cannot separate {leader.name} and {runner.name}; both fit."
    )
    assert step.explain(shipped, "zh") == f"剩下的问题已无法区分{leader.name_zh}和{runner.name_zh}：两种模式都适合。"


def test_ask_all_and_thorough_go_past_an_inseparable_close_call(shipped):
    answers = dict(CLOSE_CALL, **dict([LAST_ANSWER]))
    assert next_question(shipped, answers).stop_reason == "inseparable"
    assert not next_question(shipped, answers, ask_all=True).done
    assert not next_question(shipped, answers, thorough=True).done


def test_a_close_call_that_one_answer_can_still_separate_is_not_stopped(shipped):
    answers = dict(CLOSE_CALL, **dict([LAST_ANSWER]))
    del answers[SEPARATOR]
    assert shipped.standing(answers).decision == "close_call"
    step = next_question(shipped, answers)
    assert not step.done and step.attribute == SEPARATOR and step.could_lead


def test_one_step_runs_the_main_engine_once(shipped, monkeypatch):
    calls = []
    fired = shipped.engine.fired
    monkeypatch.setattr(shipped.engine, "fired", lambda known: calls.append(1) or fired(known))
    next_question(shipped, {"enterprise_size": "large", "existing_result": True})
    assert len(calls) == 1


def test_an_interview_validates_each_answer_once(shipped, monkeypatch):
    from advisor import interview as module
    from advisor.profile import Profile

    validated = []  # NOTE: a Profile passed on is returned as is; only mappings are validated
    validate = module.validate_profile
    monkeypatch.setattr(
        module,
        "validate_profile",
        lambda data, *a: (
            (validated.append(dict(data)) if not isinstance(data, Profile) else None) or validate(data, *a)
        ),
    )
    interview = Interview(shipped)
    validated.clear()
    for attribute, value in (("enterprise_size", "large"), ("existing_result", True)):
        interview.answer(attribute, value)
        interview.step()
        interview.step()  # shown twice (the field line, then the question): computed once
    assert validated == [{"enterprise_size": "large"}, {"existing_result": True}]


# -- the examples: few questions, the right mode ------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_each_example_reaches_its_mode_clearly_in_under_15_questions(shipped, path):
    profile = load(path)
    interview, step = run_interview(shipped, profile)
    assert step.stop_reason == "clear"
    assert interview.asked() < 15
    standing = shipped.standing(interview.answers)
    assert standing.leader == path.stem == shipped.standing(profile).leader
    assert standing.decision == "clear"


def test_the_opening_question_is_one_whose_answer_moves_the_scores_most(shipped):
    step = next_question(shipped, {})
    impacts = {q.attribute: q.impact for q in shipped.next_questions({})}
    assert impacts[step.attribute] == max(impacts.values()) > 0
    assert step.ask_reason in ("changes_leader", "moves_scores")


def test_ties_go_to_the_lower_order_of_questions_yml(shipped):
    impacts = {q.attribute: q.impact for q in shipped.next_questions({})}
    best = max(impacts.values())
    tied = [q for q in QUESTIONS.questions if impacts.get(q.attribute) == best]
    assert next_question(shipped, {}).attribute == tied[0].attribute


# -- skips, conditions, --all ---------------------------------------------------------------------


def test_dont_know_is_not_asked_again_and_never_taken_as_no(shipped):
    interview = Interview(shipped)
    first = interview.step().attribute
    interview.skip(first)
    assert first not in interview.answers
    assert interview.step().attribute != first
    assert shipped.standing(interview.answers) == shipped.standing({})


def test_skip_unknown_names_are_refused(shipped):
    with pytest.raises(ProfileError, match="not a profile attribute"):
        next_question(shipped, {}, {"enterprize_size"})
    with pytest.raises(ProfileError):
        next_question(shipped, {"duration_months": 0})


def test_questions_about_a_foreign_partner_are_not_asked_without_one(shipped):
    foreign = {"international_channel", "international_parties", "foreign_controlled_fund"}
    interview, step = run_interview(shipped, {"foreign_partner": False}, ask_all=True)
    assert step.stop_reason == "all_asked"
    assert not foreign & (set(interview.answers) | interview.skipped)
    interview, _ = run_interview(shipped, {"foreign_partner": True}, ask_all=True)
    assert foreign <= interview.skipped


def test_all_asks_every_question(shipped):
    interview, step = run_interview(shipped, load(ROOT / "examples" / "technology_transfer.json"), ask_all=True)
    assert step.stop_reason == "all_asked"
    assert set(interview.answers) | interview.skipped == set(ATTRIBUTES)


def test_thorough_goes_past_clear_until_nothing_can_change(shipped):
    profile = load(ROOT / "examples" / "technology_transfer.json")
    quick, _ = run_interview(shipped, profile)
    thorough, step = run_interview(shipped, profile, thorough=True)
    assert step.stop_reason in ("settled", "all_asked")
    assert thorough.asked() > quick.asked()
    assert shipped.advise(thorough.answers).difficulties or len(thorough.answers) > len(quick.answers)


# -- back, and the state -------------------------------------------------------------------------


def test_back_undoes_the_last_reply_so_it_can_be_changed(shipped):
    interview = Interview(shipped, {"title": "T"})
    assert interview.back() is None  # nothing replied yet; preloaded answers are not undone
    first = interview.step().attribute
    interview.answer(first, "large")
    second = interview.step().attribute
    interview.skip(second)
    assert interview.back() == (second, None)
    assert second not in interview.skipped
    assert interview.back() == (first, "large")
    assert first not in interview.answers
    interview.answer(first, "small")
    assert interview.profile() == {"title": "T", first: "small"}
    assert interview.history == [first]


def test_profile_lists_answers_in_the_profile_order(shipped):
    interview = Interview(shipped, {"sector": "solar", "id": "p1", "enterprise_size": "large", "funding_cny": 2e6})
    assert list(interview.profile()) == ["id", "funding_cny", "enterprise_size", "sector"]
    assert interview.profile()["funding_cny"] == 2_000_000 and isinstance(interview.profile()["funding_cny"], int)


def test_an_invalid_answer_is_refused_by_the_interview(shipped):
    interview = Interview(shipped)
    with pytest.raises(ProfileError):
        interview.answer("enterprise_size", "huge")
    assert interview.answers == {} and interview.history == []


# -- what is shown ----------------------------------------------------------------------------------


def test_the_field_line_names_the_leader_and_how_many_modes_remain(shipped):
    answers = load(ROOT / "examples" / "technology_transfer.json")
    summary = field_summary(shipped, answers)
    assert summary.leader.id == "technology_transfer" and summary.decision == "clear"
    line = summary.line("en")
    assert line.startswith("Technology Transfer leads (")
    assert (
        f"{len(summary.in_running)} of {len(shipped.knowledge.modes)} modes in the running" in line
        and "excluded" in line
    )
    assert summary.line("zh").startswith("技术转让领先（") and summary.line("zh").endswith(" · 明确")
    assert field_summary(shipped, {}).line("en").startswith(f"{len(shipped.knowledge.modes)} modes level at 50")


def test_steps_serialise_for_the_http_api(shipped):
    step = next_question(shipped, {"enterprise_size": "large"}, ["existing_result"])
    data = json.loads(step.model_dump_json())
    assert data["attribute"] == step.attribute and data["field"]["total"] == len(shipped.knowledge.modes)
    assert step.explain(shipped, "en") and step.explain(shipped, "zh")


def test_the_stop_says_which_dont_knows_could_still_change_it(shipped):
    # NOTE: a clear lead is 19 points since the margin was calibrated (docs/evaluation.md), so the
    # leader here is one a single "don't know" can still exclude.
    answers = {
        "enterprise_size": "none",
        "existing_result": True,
        "university_discipline_strength": "leading",
        "ip_owner": "university",
        "university_goal": "commercial",
        "risk_sharing": "low",
        "government_roles": [],
    }
    skipped = {"university_commercializes", "duration_months", "scope", "technology_level", "funding_sources"}
    step = next_question(shipped, answers, skipped)
    assert step.stop_reason == "clear" and step.field.leader.id == "university_enterprise"
    # University-Run Enterprises is out if the university will not run its own company.
    assert shipped.standing({**answers, "university_commercializes": False}).leader != "university_enterprise"
    assert "university_commercializes" in step.unknown_that_matter
    assert "university_commercializes" in step.explain(shipped, "en")


def test_ask_says_when_the_remaining_questions_cannot_separate_the_two_leaders(tmp_path):
    import subprocess
    import sys

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(CLOSE_CALL), encoding="utf-8")
    for lang, sentence in (("en", "The remaining questions cannot separate"), ("zh", "剩下的问题已无法区分")):
        result = subprocess.run(
            [sys.executable, "-m", "advisor", "ask", "--answers", str(answers), "--lang", lang],
            input=f"{LAST_ANSWER[1]}\n",  # the one question left before the stop: is a joint entity planned
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("> ") == 1, result.stdout  # asked once, then stopped on its own
        assert sentence in result.stdout


# NOTE: found by the property above; the what-if used to try a list's answers only as [], each item
# alone and all items, and SC003 fires only on an answer holding fundamental and applied.
def test_a_two_item_answer_that_changes_the_leader_is_still_asked(shipped):
    answers = {
        "duration_months": 60,
        "enterprise_count": 2,
        "enterprise_can_industrialize": True,
        "scope": "multi_program",
        "disciplines": "multi",
        "existing_result": True,
        "university_takes_equity": False,
        "university_commercializes": False,
    }
    assert (
        shipped.standing({**answers, "research_stages": ["fundamental", "applied"]}).leader
        != shipped.standing(answers).leader
    )  # the answer does change the leader...
    step = next_question(shipped, answers, {"enterprise_size", "government_roles"})
    assert step.stop_reason != "clear"  # ...so the interview must not stop as clear
