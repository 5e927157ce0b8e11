"""Rule texts in every language: the model, the linter's checks, and Chinese reasons in the advice."""

from __future__ import annotations

import re
import shutil

import pytest
from pydantic import ValidationError

from advisor import advise
from advisor.lint import lint_pack
from advisor.paths import default_rules_dir
from advisor.render import render_text
from advisor.rulebook import load_rulebook
from advisor.texts import LANGS, LocalText

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_plain_string_is_english_and_missing_languages_are_named():
    text = LocalText.model_validate("Only English.")
    assert text.get("en") == "Only English."
    assert text.get("zh") == "Only English."  # falls back rather than showing nothing
    assert text.missing() == ["zh"]


def test_every_language_is_kept_and_picked():
    text = LocalText.model_validate({"en": "Yes.", "zh": "是。"})
    assert (text.get("en"), text.get("zh"), text.missing()) == ("Yes.", "是。", [])


@pytest.mark.parametrize(
    ("value", "expected"),
    [({"zh": "只有中文"}, "the 'en' text is required"), ({"en": "x", "fr": "y"}, "unknown language fr")],
)
def test_bad_texts_are_refused_with_the_reason(value, expected):
    with pytest.raises(ValidationError, match=expected):
        LocalText.model_validate(value)


def test_every_shipped_rule_speaks_every_language():
    rulebook = load_rulebook(default_rules_dir())
    for rule in rulebook.rules.values():
        for part in (rule.message, rule.rationale):
            assert part.missing() == [], rule.id
            assert CJK.search(part.get("zh")), f"{rule.id}: no Chinese in {part.get('zh')!r}"


@pytest.fixture
def pack(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    return rules


def _add_rule(pack, message: str) -> str:
    path = pack / "zz_extra.yml"
    path.write_text(
        "rules:\n"
        "  - id: ZZ001\n"
        "    name: test.rule\n"
        "    when: {attr: duration_months, gte: 24}\n"
        "    effect: {supports: technology_service, weight: 10}\n"
        f"    message: {message}\n"
        "    rationale: {en: 'For the test.', zh: '测试用。'}\n"
        "    cites: [technology_service]\n"
        "    cases:\n"
        "      - {name: fires, profile: {duration_months: 30}, fires: true}\n"
        "      - {name: silent, profile: {duration_months: 3}, fires: false}\n",
        encoding="utf-8",
    )
    return str(path)


def test_validate_warns_of_a_missing_language_naming_file_and_rule(pack):
    path = _add_rule(pack, "'Runs {duration_months} months.'")
    report = lint_pack(pack)
    assert report.ok  # an untranslated rule still works, in English
    assert [p.describe() for p in report.warnings] == [
        f"{path} [ZZ001]: message has no 'zh' text (write it as {{{', '.join(LANGS)}}})"
    ]


def test_validate_warns_of_a_translation_that_drops_a_value(pack):
    path = _add_rule(pack, "{en: 'Runs {duration_months} months.', zh: '周期较长。'}")
    report = lint_pack(pack)
    assert [p.describe() for p in report.warnings] == [
        f"{path} [ZZ001]: message (zh) uses no placeholders, the 'en' one ['duration_months']"
    ]


PROFILE = {
    "enterprise_size": "large",
    "scope": "single_program",
    "duration_months": 18,
    "funding_sources": ["enterprise"],
    "research_stages": ["applied"],
    "technology_level": "conventional",
}


def test_chinese_advice_has_chinese_reasons_with_chinese_values_and_keeps_english():
    advice = advise(PROFILE, what_if=False, lang="zh")
    reasons = [r for mode in advice.modes for r in mode.reasons_for + mode.reasons_against]
    assert reasons and advice.lang == "zh"
    for reason in reasons:
        assert reason.message == reason.messages["zh"] and CJK.search(reason.message)
        assert reason.rationale == reason.rationales["zh"] and CJK.search(reason.rationale)
        assert not CJK.search(reason.messages["en"])
        # values inside a Chinese sentence read as their Chinese labels, never as ids
        assert not re.search(r"single_program|conventional|\blarge\b", reason.message), reason.message


def test_english_advice_is_unchanged_by_the_translations():
    advice = advise(PROFILE, what_if=False)
    reasons = [r for mode in advice.modes for r in mode.reasons_for]
    assert advice.lang == "en" and all(r.message == r.messages["en"] for r in reasons)
    assert all(not CJK.search(r.message) for r in reasons)


def test_chinese_text_shows_the_chinese_reason_even_for_advice_built_in_english():
    advice = advise(PROFILE, what_if=False)
    text = render_text(advice, "zh")
    leader = advice.modes[0]
    for reason in leader.reasons_for:
        first_words = reason.messages["zh"][:8]
        assert first_words in text
        assert reason.messages["en"][:30] not in text
