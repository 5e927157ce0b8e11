"""The one input vocabulary (advisor/values.py): words, numbers with units, durations, hygiene, and
the expressions behind both the converters and the published schema."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.profile import ATTRIBUTES, AttributeSpec
from advisor.values import (
    Converter,
    ValueProblem,
    _decimal_up_to,
    _int_range,
    converter,
    converters,
    fold,
    read_value,
    schema_pattern,
    text_problem,
)


def refused(attribute: str, value) -> ValueProblem:
    with pytest.raises(ValueProblem) as caught:
        read_value(attribute, value)
    return caught.value


# -- folding and hygiene -----------------------------------------------------------------------


def test_fold_is_width_and_case_only_one_character_for_one():
    assert fold("ＬＡＲＧＥ　Ｅｎｔｅｒｐｒｉｓｅ") == "large enterprise"
    assert fold("１２０万，２") == "120万,2"
    # NOTE: not NFKC: the Kelvin sign and ligatures stay what they are (a schema pattern could not follow)
    assert fold("\u212a\ufb01") == "\u212a\ufb01"
    for text in ["ＡＢＣ", "é", "Ωmega", "\u3000"]:
        assert len(fold(text)) == len(text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ok", None),
        ("tab\tnew\nline\r", None),
        ("nul\x00", "contains a control character (U+0000) at position 4"),
        ("\x1b[31m", "contains a control character (U+001B) at position 1"),
        ("del\x7f", "contains a control character (U+007F) at position 4"),
        ("c1\x85", "contains a control character (U+0085) at position 3"),
        ("half\ud800", "contains a lone surrogate (U+D800) at position 5"),
    ],
)
def test_text_hygiene(text, problem):
    assert text_problem(text) == problem


def test_control_characters_are_refused_in_every_text_value():
    for name in ATTRIBUTES:
        assert refused(name, "x\x01").problem == "control"


# -- words ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["yes", "Y", "TRUE", "t", "on", "1", "ok", "是", "是的", "对", "有", "Ｙｅｓ", "yes."])
def test_yes_words(text):
    assert read_value("existing_result", text) is True


@pytest.mark.parametrize("text", ["no", "N", "False", "f", "OFF", "0", "否", "不", "没有", "无", "不能"])
def test_no_words(text):
    assert read_value("existing_result", text) is False


@pytest.mark.parametrize("text", ["", "   ", "-", "n/a", "N/A", "unknown", "don't know", "不知道", "未知", "\u3000"])
def test_unknown_words_are_unknown_for_every_kind(text):
    for name in ATTRIBUTES:
        assert read_value(name, text) is None, name


def test_choices_by_name_or_label_in_either_language():
    assert read_value("enterprise_size", "Medium-sized enterprise") == "medium"
    assert read_value("enterprise_size", "中型企业") == "medium"
    assert read_value("scope", "SINGLE-PROGRAM") == "single_program"
    assert read_value("university_goal", "public interest") == "public_interest"
    assert refused("enterprise_size", "med").problem == "choice"  # prefixes are the questionnaire's menu only


def test_lists_keep_the_written_order_and_drop_repeats():
    assert read_value("funding_sources", "government、enterprise，government") == ["government", "enterprise"]
    assert read_value("funding_sources", ["Government", "ENTERPRISE"]) == ["government", "enterprise"]
    assert read_value("funding_sources", "all") == list(ATTRIBUTES["funding_sources"].choices)
    assert read_value("funding_sources", "none") == [] and read_value("funding_sources", "") is None
    problem = refused("funding_sources", "enterprise; bank")
    assert (problem.problem, problem.index, problem.details["item"]) == ("list_item", 1, "bank")


# -- typed JSON stays strict -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("existing_result", 1),
        ("existing_result", 0),
        ("existing_result", [True]),
        ("duration_months", True),
        ("duration_months", 36.5),
        ("funding_cny", False),
        ("enterprise_size", 1),
        ("funding_sources", [1]),
        ("funding_sources", [""]),
        ("funding_sources", {"enterprise": True}),
    ],
)
def test_typed_values_are_strict(attribute, value):
    refused(attribute, value)


def test_typed_values_in_their_canonical_form_pass_unchanged():
    assert read_value("duration_months", 36) == 36 and read_value("duration_months", 36.0) == 36
    assert read_value("funding_cny", 1.5) == 1.5
    assert read_value("funding_sources", ["enterprise", "enterprise"]) == ["enterprise"]


# -- amounts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("800000", 800_000),
        ("1,200,000", 1_200_000),
        ("1.5m", 1_500_000),
        ("500k", 500_000),
        ("200万", 2_000_000),
        ("两千万", 20_000_000),
        ("一亿二千万", 120_000_000),
        ("三百万元", 3_000_000),
        ("一千零五万", 10_050_000),
        ("1亿2000万", 120_000_000),
        ("1亿零500万", 105_000_000),
        ("十万", 100_000),
        ("2千万", 20_000_000),
        ("1.2亿", 120_000_000),
        ("人民币 50万", 500_000),
        ("¥3m", 3_000_000),
        ("100000亿", 10**13),
        ("10,000,000,000,000", 10**13),
        ("1234.56", 1234.56),
    ],
)
def test_amounts(text, amount):
    assert read_value("funding_cny", text) == amount


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1,5m", "separators"),
        ("$5m", "currency"),
        ("-5", "negative"),
        ("1e3", "amount"),
        ("100001亿", "range"),
        ("10,000,000,000,001", "range"),
        ("10000000000000.01", "range"),
    ],
)
def test_amounts_refused_with_the_reason(text, problem):
    assert refused("funding_cny", text).problem == problem


# -- durations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("18", 18),
        ("018", 18),
        ("36.0", 36),
        ("18 months", 18),
        ("1.5y", 18),
        ("3 years", 36),
        ("1.3y", 16),
        ("1.25 years", 15),
        ("0.5y", 6),
        ("1年半", 18),
        ("三年半", 42),
        ("三年", 36),
        ("两年", 24),
        ("半年", 6),
        ("十八个月", 18),
        ("1y6m", 18),
        ("一年六个月", 18),
        ("50 years", 600),
        ("49 years 11 months", 599),
    ],
)
def test_durations(text, months):
    assert read_value("duration_months", text) == months


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0", "duration_range"),
        ("601", "duration_range"),
        ("50.1 years", "duration_range"),
        ("18.5", "whole_months"),
        ("1.125y", "whole_months"),
        ("3 weeks", "duration"),
        ("五十一年", "duration"),
    ],
)
def test_durations_refused_with_the_reason(text, problem):
    assert refused("duration_months", text).problem == problem


# -- the expressions -----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 2 * 10**6))
def test_int_range_matches_exactly_the_range(a, b, probe):
    lo, hi = min(a, b), max(a, b)
    pattern = re.compile(_int_range(lo, hi))
    for number in (lo, hi, probe, lo - 1, hi + 1, (lo + hi) // 2):
        if number >= 0:
            assert bool(pattern.fullmatch(str(number))) == (lo <= number <= hi), (lo, hi, number)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 13), st.decimals(0, 10**14, places=2, allow_nan=False, allow_infinity=False))
def test_decimal_up_to_matches_exactly_the_range(exponent, number):
    pattern = re.compile(_decimal_up_to(exponent))
    for text in (f"{number}", f"{number:,}", f"{number:f}".rstrip("0").rstrip(".")):
        if "E" in text or text.startswith("-"):
            continue
        assert bool(pattern.fullmatch(text)) == (number <= 10**exponent), (exponent, text)


SPELLINGS = st.text(alphabet=st.sampled_from(list("aAａＡyYｙ es ES1１,，;；.．-_万年\u3000\t")), max_size=6)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(sorted(ATTRIBUTES)), SPELLINGS)
def test_the_schema_pattern_is_the_converter_pattern_widened(attribute, text):
    # a text matches the published pattern exactly when its folded form matches the converter's
    ascii_pattern = converter(attribute).pattern
    published = re.compile(schema_pattern(ascii_pattern))
    assert bool(published.search(text)) == bool(re.fullmatch(ascii_pattern, fold(text)))


def test_a_new_attribute_needs_no_hand_written_converter():
    # another helper adds integer counts; their converters follow from ATTRIBUTES alone
    spec = AttributeSpec("enterprise_count", "integer", "How many enterprises take part.", minimum=0)
    count = Converter(spec, {})
    assert count("3") == 3 and count(" 12 ") == 12 and count("三") == 3 and count("0") == 0
    assert count("n/a") is None
    with pytest.raises(ValueProblem):
        count("-1")
    bounded = Converter(AttributeSpec("institution_count", "integer", "", minimum=1, maximum=50), {})
    with pytest.raises(ValueProblem):
        bounded("51")


def test_every_attribute_has_a_converter():
    assert set(converters()) == set(ATTRIBUTES)


_DIGIT_ATTRIBUTES = sorted(name for name, spec in ATTRIBUTES.items() if spec.kind in ("integer", "number"))


@settings(max_examples=300, deadline=None)
@given(
    attribute=st.sampled_from(_DIGIT_ATTRIBUTES),
    text=st.one_of(
        st.from_regex(r"[0-9]{1,25}", fullmatch=True),
        st.integers(0, 10**16).map(str),
        st.sampled_from(["0", "00", "007", "36", "1200000", "9" * 20, "9" * 21]),
    ),
)
def test_plain_digits_skip_to_the_same_value_or_refusal_as_the_whole_reading(attribute, text):
    """read_text's shortcuts for plain digits (the batch's distinct amounts) give exactly what
    the attribute's expression gives: the value, or a refusal with the same reason."""
    reader = Converter(ATTRIBUTES[attribute], {})
    assert reader._digits_first, f"{attribute}: the shortcut should apply"
    whole = Converter(ATTRIBUTES[attribute], {})
    whole._digits_first = False
    whole._plain = None  # the expression alone: the reference both shortcuts must agree with

    def outcome(conv: Converter):
        try:
            return ("value", conv.read_text(text))
        except ValueProblem as problem:
            return ("refused", str(problem))

    assert outcome(reader) == outcome(whole)
