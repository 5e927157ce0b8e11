"""A rule's message writes a duration and an amount with their units, by the rule every other
surface follows (advisor/scoring.py format_duration / format_amount): 5 years / 5 年, never a bare
60 inside a hand-written "months" or 个月."""

from __future__ import annotations

import string

import pytest

from advisor.checks import check_template
from advisor.profile import ATTRIBUTES
from advisor.scoring import QUANTITY_PLACEHOLDERS, _LazyValues

SIXTY_MONTHS, THIRTY_MILLION = 60, 30_000_000
#: How each unit's value must read in a message, by language; and what must not appear.
WITH_UNIT = {
    "months": {"en": "5 years", "zh": "5 年"},
    "cny": {"en": "30,000,000 CNY", "zh": "3000 万元"},
}
BARE = {"months": ["60"], "cny": ["30000000", "3000 万", "30,000,000"]}


def _quantities_named(template: str) -> set[str]:
    """The units of the quantities a template's placeholders name: a placeholder that writes a
    quantity ({duration}) or one naming an attribute with a unit ({duration_months})."""
    units = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if not field:
            continue
        attribute = QUANTITY_PLACEHOLDERS[field][0] if field in QUANTITY_PLACEHOLDERS else field
        unit = ATTRIBUTES[attribute].unit if attribute in ATTRIBUTES else None
        if unit in WITH_UNIT:
            units.add(unit)
    return units


def _profile(rule):
    """The rule's first firing case, with 60 months and 30,000,000 CNY."""
    case = next(case for case in rule.cases if case.fires)
    return {**case.profile, "duration_months": SIXTY_MONTHS, "funding_cny": THIRTY_MILLION}


def test_every_message_naming_a_duration_or_amount_writes_it_with_its_unit(shipped):
    rules = shipped.rulebook.rules
    naming = {
        rule_id: units
        for rule_id, rule in rules.items()
        if (units := set().union(*(_quantities_named(template) for _, template in rule.message.items())))
    }
    assert len(naming) >= 11, sorted(naming)  # the shipped pack's duration rules: none may slip out
    for rule_id, units in sorted(naming.items()):
        reason = shipped.scorer.reasons([rule_id], _profile(rules[rule_id]), "en")[rule_id]
        for lang in ("en", "zh"):
            message = reason.messages[lang]
            for unit in units:
                assert WITH_UNIT[unit][lang] in message, f"{rule_id} ({lang}): {message}"
                for bare in BARE[unit]:
                    assert bare not in message.replace(WITH_UNIT[unit][lang], ""), f"{rule_id} ({lang}): {message}"


@pytest.mark.parametrize(
    ("months", "en", "zh"),
    [(1, "1 month", "1 个月"), (6, "6 months", "6 个月"), (12, "1 year", "1 年"), (18, "18 months", "18 个月")],
)
def test_a_duration_reads_as_every_surface_writes_it(shipped, months, en, zh):
    reason = shipped.scorer.reasons(["IN003"], {"foreign_partner": True, "duration_months": months}, "zh")["IN003"]
    assert reason.messages["en"].endswith(f" {en}."), reason.messages  # not "1 months."
    assert reason.messages["zh"].endswith(f" {zh}。"), reason.messages
    assert reason.message == reason.messages["zh"]


def test_an_amount_placeholder_writes_the_amount_in_each_language():
    # The values the advice fills every message with (no shipped message names an amount yet).
    for lang, expected in (("en", "1,200,000 CNY"), ("zh", "120 万元")):
        assert "{funding}".format_map(_LazyValues({"funding_cny": 1_200_000}, lang, {})) == expected
        assert "{funding}".format_map(_LazyValues({}, lang, {})) == "unknown"


@pytest.mark.parametrize(
    ("template", "read", "problem"),
    [
        ("Runs {duration}.", {"duration_months"}, None),
        ("Runs {duration:>12}, paid {funding}.", {"duration_months", "funding_cny"}, None),
        ("Paid {funding}.", {"duration_months"}, "message uses {funding}, which the rule does not read"),
        ("Runs {duraton}.", {"duration_months"}, "did you mean {duration}?"),
        ("Runs {duration!r}.", {"duration_months"}, "has the conversion '!r'"),
    ],
)
def test_the_linter_allows_the_quantity_placeholders_of_what_the_rule_reads(template, read, problem):
    problems = check_template(template, read)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in found for found in problems), problems
