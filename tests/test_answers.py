"""Reading typed answers: choices by number or name, yes/no, lists, amounts and durations with units."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.answers import (
    BACK,
    FINISH,
    HELP,
    SKIP,
    AnswerError,
    display_value,
    parse_amount,
    parse_answer,
    parse_months,
)
from advisor.core import validate_profile
from advisor.questions import load_questions

QUESTIONS = load_questions()


def ask(attribute: str, text: str, lang: str = "en"):
    return parse_answer(QUESTIONS.get(attribute), text, lang)


def refused(attribute: str, text: str, lang: str = "en") -> AnswerError:
    with pytest.raises(AnswerError) as caught:
        ask(attribute, text, lang)
    message = str(caught.value)
    assert "\n" not in message and message.strip()
    return caught.value


# -- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("800000", 800_000),
        ("1,200,000", 1_200_000),
        ("1 200 000", 1_200_000),
        ("1_200_000", 1_200_000),
        ("1.5m", 1_500_000),
        ("1.5 M", 1_500_000),
        ("2 million", 2_000_000),
        ("500k", 500_000),
        ("500K", 500_000),
        ("200万", 2_000_000),
        ("200 万元", 2_000_000),
        ("1.2亿", 120_000_000),
        ("1亿2000万", 120_000_000),
        ("¥3m", 3_000_000),
        ("￥3,000,000", 3_000_000),
        ("RMB 2.5m", 2_500_000),
        ("3m CNY", 3_000_000),
        ("3 million yuan", 3_000_000),
        ("１２０万", 1_200_000),  # full-width digits
        ("0", 0),
        ("1234.56", 1234.56),
    ],
)
def test_amounts_as_people_write_them(text, value):
    parsed = ask("funding_cny", text)
    assert parsed == value and type(parsed) is type(value)
    assert validate_profile({"funding_cny": parsed}).funding_cny == value


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1,5m", "separators"),  # a decimal comma is ambiguous: refused, not read as 15m
        ("12,00", "separators"),
        ("$5m", "currency"),
        ("5 million USD", "currency"),
        ("€200k", "currency"),
        ("-5", "negative"),
        ("abc", "amount"),
        ("lots", "amount"),
        ("5 apples", "amount"),
        ("2e6", "amount"),
        ("200000亿", "amount_range"),
    ],
)
def test_unreadable_amounts_say_why(text, problem):
    assert refused("funding_cny", text).problem == problem


def test_amount_errors_show_how_to_write_one():
    message = str(refused("funding_cny", "a lot"))
    assert '"a lot"' in message and "1.5m" in message and "200万" in message


# -- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("18", 18),
        ("18 months", 18),
        ("18 Months", 18),
        ("18m", 18),
        ("18 mo", 18),
        ("18个月", 18),
        ("1.5y", 18),
        ("1.5 years", 18),
        ("2 years", 24),
        ("1 year", 12),
        ("3年", 36),
        ("1年半", 18),
        ("半年", 6),
        ("1 year 6 months", 18),
        ("1y6m", 18),
        ("1年6个月", 18),
        ("1.3y", 16),  # 15.6 months, rounded to the nearest month
        ("50 years", 600),
    ],
)
def test_durations_as_people_write_them(text, months):
    assert ask("duration_months", text) == months


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("18.5", "whole_months"),
        ("0", "duration_range"),
        ("601", "duration_range"),
        ("51 years", "duration_range"),
        ("forever", "duration"),
        ("2 weeks", "duration"),
        ("yes", "duration"),
        ("1,5y", "separators"),
    ],
)
def test_unreadable_durations_say_why(text, problem):
    assert refused("duration_months", text).problem == problem


# -- choices -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", "large"),
        ("4", "none"),
        ("large", "large"),
        ("LARGE", "large"),
        ("  Medium ", "medium"),
        ("med", "medium"),
        ("s", "small"),
        ("Small enterprise", "small"),
        ("no outside enterprise", "none"),
        ("大型企业", "large"),
        ("大型", "large"),
        ("４", "none"),  # full-width digit
    ],
)
def test_choices_by_number_name_prefix_or_label(text, value):
    assert ask("enterprise_size", text) == value


def test_names_with_underscores_may_be_typed_with_spaces_or_hyphens():
    assert ask("scope", "single problem") == "single_problem"
    assert ask("scope", "multi-program") == "multi_program"
    assert ask("university_goal", "Public interest") == "public_interest"


def test_an_ambiguous_prefix_names_the_candidates():
    error = refused("scope", "single")
    assert error.problem == "ambiguous"
    assert "single_problem" in str(error) and "single_program" in str(error)


@pytest.mark.parametrize(("text", "problem"), [("huge", "choice"), ("5", "number_range"), ("0", "number_range")])
def test_a_wrong_choice_lists_what_is_allowed(text, problem):
    error = refused("enterprise_size", text)
    assert error.problem == problem
    assert "1-4" in str(error)


def test_chinese_errors_are_in_chinese_with_chinese_labels():
    message = str(refused("enterprise_size", "巨型", "zh"))
    assert "不是可选项" in message and "大型企业" in message
    assert "人民币" in str(refused("funding_cny", "很多", "zh"))


# -- yes / no ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["y", "Yes", "YES", "true", "1", "是", "是的", "有"])
def test_yes(text):
    assert ask("existing_result", text) is True


@pytest.mark.parametrize("text", ["n", "No", "false", "2", "否", "不", "没有"])
def test_no(text):
    assert ask("existing_result", text) is False


@pytest.mark.parametrize("text", ["maybe", "3", "yess"])
def test_neither_yes_nor_no(text):
    assert refused("existing_result", text).problem == "boolean"


# -- lists -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,3", ["enterprise", "university"]),
        ("3, 1", ["enterprise", "university"]),
        ("1 3", ["enterprise", "university"]),
        ("1-3", ["enterprise", "government", "university"]),
        ("enterprise; government", ["enterprise", "government"]),
        ("Enterprise and Government", ["enterprise", "government"]),
        ("企业、政府", ["enterprise", "government"]),
        ("企业，政府", ["enterprise", "government"]),
        ("enterprise, enterprise", ["enterprise"]),
        ("all", ["enterprise", "government", "university", "investor", "foreign"]),
        ("none", []),
        ("无", []),
    ],
)
def test_lists(text, value):
    assert ask("funding_sources", text) == value


def test_list_labels_with_spaces():
    assert ask("research_stages", "pilot scale, market development") == ["pilot", "market"]
    assert ask("research_stages", "applied research") == ["applied"]


def test_none_of_the_government_roles_is_an_empty_list_not_dont_know():
    assert ask("government_roles", "none") == []


def test_a_wrong_list_item_is_named():
    error = refused("funding_sources", "enterprise, bank")
    assert error.problem == "list_item" and '"bank"' in str(error)


# -- commands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", SKIP),
        ("   ", SKIP),
        ("-", SKIP),
        ("skip", SKIP),
        ("don't know", SKIP),
        ("Don’t know", SKIP),
        ("不知道", SKIP),
        ("?", HELP),
        ("？", HELP),
        ("help", HELP),
        ("b", BACK),
        ("back", BACK),
        ("BACK", BACK),
        ("返回", BACK),
        ("q", FINISH),
        ("done", FINISH),
    ],
)
@pytest.mark.parametrize(
    "attribute", ["enterprise_size", "existing_result", "funding_sources", "funding_cny", "duration_months"]
)
def test_commands_work_on_every_kind_of_question(attribute, text, command):
    assert ask(attribute, text) is command


def test_dont_know_is_never_no():
    assert ask("existing_result", "") is SKIP
    assert ask("government_roles", "") is SKIP


# -- properties ------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", QUESTIONS.questions, ids=lambda q: q.attribute)
def test_every_choice_reads_back_from_its_number_value_and_labels(question):
    for number, choice in enumerate(question.choices, start=1):
        expected = [choice.value] if question.kind == "list" else choice.value
        for typed in (str(number), str(choice.value), choice.label.en, choice.label.zh):
            assert parse_answer(question, typed, "en") == expected, typed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    attribute=st.sampled_from([q.attribute for q in QUESTIONS.questions]),
    text=st.text(max_size=30),
    lang=st.sampled_from(["en", "zh"]),
)
def test_any_text_gives_a_valid_value_a_command_or_a_one_line_error(attribute, text, lang):
    try:
        value = ask(attribute, text, lang)
    except AnswerError as error:
        assert str(error) and "\n" not in str(error)
        return
    if value not in (SKIP, BACK, HELP, FINISH):
        validate_profile({attribute: value})  # raises if the parser let an invalid value through


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_grouped_amounts_read_back(amount):
    assert parse_amount(f"{amount:,}") == amount
    assert parse_amount(f"{amount:_}") == amount


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=600))
def test_months_read_back_and_display(months):
    question = QUESTIONS.get("duration_months")
    assert parse_months(str(months)) == months
    assert parse_answer(question, display_value(question, months, "en")) == months
    assert parse_answer(question, display_value(question, months, "zh"), "zh") == months


def test_display_value_reads_like_the_choices():
    assert display_value(QUESTIONS.get("enterprise_size"), "none", "en") == "No outside enterprise"
    assert display_value(QUESTIONS.get("funding_sources"), ["enterprise", "government"], "zh") == "企业、政府"
    assert display_value(QUESTIONS.get("government_roles"), [], "en") == "none"
    assert display_value(QUESTIONS.get("funding_cny"), 1_500_000, "en") == "1,500,000 CNY"
    assert parse_answer(QUESTIONS.get("funding_cny"), display_value(QUESTIONS.get("funding_cny"), 1234.5)) == 1234.5


@pytest.mark.parametrize("attribute", ["enterprise_count", "institution_count"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_count_reads_back_as_a_number_not_an_amount(attribute, lang):
    question = load_questions().get(attribute)
    value = parse_answer(question, "3", lang)
    assert value == 3 and display_value(question, value, lang) == "3"
