"""What the university delivers (`university_contribution`, issue 8 third pass): its vocabulary on
every input surface, and the rules that read it, on generic profiles from the seed's definitions
(not on documented cases)."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from advisor.answers import parse_answer
from advisor.cli import cli
from advisor.profile import ATTRIBUTES, Profile
from advisor.questions import load_questions
from advisor.values import read_value

QUESTIONS = load_questions()


# -- vocabulary --------------------------------------------------------------------------------


def test_the_attribute_is_a_choice_of_the_seeds_two_acts():
    assert ATTRIBUTES["university_contribution"].kind == "choice"
    assert list(ATTRIBUTES["university_contribution"].choices) == ["guidance_service", "commissioned_research"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("guidance_service", "guidance_service"),
        ("Guidance and service", "guidance_service"),
        ("技术指导与服务", "guidance_service"),
        ("commissioned research", "commissioned_research"),
        ("Commissioned research", "commissioned_research"),
        ("委托研发", "commissioned_research"),
    ],
)
def test_names_and_labels_in_either_language_are_read(text, value):
    assert read_value("university_contribution", text) == value
    assert Profile.model_validate({"university_contribution": text}).university_contribution == value


@pytest.mark.parametrize(("lang", "text"), [("en", "Guidance and service"), ("zh", "技术指导与服务"), ("en", "1")])
def test_ask_takes_the_label_or_the_menu_number(lang, text):
    assert parse_answer(QUESTIONS.get("university_contribution"), text, lang) == "guidance_service"


def test_a_value_outside_the_two_is_refused_with_the_allowed_ones(tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text('{"university_contribution": "finished_result"}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["advise", str(profile)])
    assert result.exit_code == 3
    assert (
        "university_contribution: not an allowed value (got 'finished_result');"
        " allowed: one of guidance_service, commissioned_research"
    ) in result.stderr
    assert "Traceback" not in result.output


def test_the_question_is_not_asked_once_a_finished_result_is_known():
    question = QUESTIONS.get("university_contribution")
    assert question.applies({})
    assert question.applies({"existing_result": False})
    assert not question.applies({"existing_result": True})


def test_batch_reads_the_chinese_label_and_the_rules_use_it(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "id,enterprise_count,institution_count,government_roles,university_contribution\n"
        "a,1,1,mediator,技术指导与服务\n"
        "b,1,1,mediator,\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["batch", str(source), "-o", str(output)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(output.read_text(encoding="utf-8-sig")))}
    assert rows["a"]["leading_mode"] == "technology_service"
    assert rows["b"]["leading_mode"] == "government_mediated"


# -- rules -------------------------------------------------------------------------------------

ONE_TO_ONE = {"enterprise_count": 1, "institution_count": 1}
GUIDANCE = {**ONE_TO_ONE, "university_contribution": "guidance_service"}
COMMISSIONED = {**ONE_TO_ONE, "university_contribution": "commissioned_research"}


def test_guidance_and_service_alone_is_technology_service(shipped):
    assert "TS008" in shipped.fired_rules(GUIDANCE)
    assert shipped.standing(GUIDANCE).leader == "technology_service"


def test_commissioned_research_alone_is_program_cooperation(shipped):
    assert "PC006" in shipped.fired_rules(COMMISSIONED)
    standing = shipped.standing(COMMISSIONED)
    assert standing.leader == "program_cooperation"
    assert standing.score("technology_service") < 50  # TS013: research is not guidance and service


def test_an_enterprise_paying_for_a_service_on_its_problem_is_technology_service(shipped):
    """Money from the enterprise on a single problem reads as program cooperation (PC001) until
    the profile says the university gives guidance and service rather than research (PC015)."""
    paid_problem = {**ONE_TO_ONE, "scope": "single_problem", "funding_sources": ["enterprise"]}
    assert shipped.standing(paid_problem).leader == "program_cooperation"
    served = {**paid_problem, "university_contribution": "guidance_service"}
    assert "PC015" in shipped.fired_rules(served)
    assert shipped.standing(served).leader == "technology_service"


def test_a_government_introduction_to_one_expert_is_not_a_clear_government_mediated_case(shipped):
    introduced = {**ONE_TO_ONE, "government_roles": ["mediator"]}
    assert shipped.standing(introduced).leader == "government_mediated"
    served = {**introduced, "university_contribution": "guidance_service"}
    assert "GM013" in shipped.fired_rules(served)
    standing = shipped.standing(served)
    assert standing.leader == "technology_service"
    assert standing.score("government_mediated") < shipped.standing(introduced).score("government_mediated")


def test_a_government_platform_for_several_enterprises_stays_government_mediated(shipped):
    """Seed: the government collects *the enterprises'* needs on an information platform; with several
    enterprises the platform is the mode, whatever the experts then deliver (GM005, no GM013)."""
    platform = {"enterprise_count": 8, "institution_count": 1, "government_roles": ["mediator"]}
    served = {**platform, "university_contribution": "guidance_service"}
    fired = shipped.fired_rules(served)
    assert "GM005" in fired and "GM013" not in fired
    assert shipped.standing(served).leader == "government_mediated"


@pytest.mark.parametrize(
    "profile",
    [
        {"existing_result": True, "ip_owner": "university", "ipr_agreement": True, "technology_level": "high"},
        {"existing_result": True, "university_takes_equity": True, "technology_level": "high"},
        {"enterprise_size": "large", "scope": "multi_program", "disciplines": "multi", **ONE_TO_ONE},
    ],
)
def test_profiles_that_do_not_say_what_is_delivered_are_unchanged(shipped, profile):
    """None of the new rules fires without the attribute (GM005 needs a mediator and several enterprises)."""
    fired = shipped.fired_rules(profile)
    assert not fired & {"TS008", "TS013", "PC006", "PC015", "GM013", "GM005"}
