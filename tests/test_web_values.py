"""An amount and a duration read the same on every surface: the command line's answers (`ask`),
its advice and reports, and the web page.

The rule is one: the catalogues' `quantities` section (advisor/locales/<lang>.yml), which
scoring.format_amount / format_duration apply and the page reads from GET /v1/catalogue and
applies with advisor/web/values.js. Here both are run on the same values and must agree, string
for string; tests/test_web_e2e.py checks the same on the page itself in Chromium.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from advisor.answers import display_value, parse_answer
from advisor.catalogue import value_label
from advisor.core import default_advisor
from advisor.http_catalogue import page_words
from advisor.questions import load_questions
from advisor.render import precedent_values, render_markdown, shown_value

ROOT = Path(__file__).resolve().parents[1]
VALUES_JS = ROOT / "advisor" / "web" / "values.js"
QUESTIONS = load_questions()

#: 0, 1, ten thousand, twelve million, the largest amount allowed, and ones that need decimals or
#: round on a tie (1.03125 万 and 0.125 are exact in binary: halves are rounded up on both sides).
AMOUNTS = [0, 1, 0.5, 0.125, 999, 5000, 9999.99, 10_000, 10_312.5, 15_000, 123_456, 1_200_000, 12_000_000]
AMOUNTS += [12_345_678, 99_999_999, 100_000_000, 123_456_789, 2_500_000_000_000, 9_999_999_999_999, 10**13]
#: 1.5 years is 18 months; 3 years, 50 years (the longest allowed), and months that are no whole year.
DURATIONS = [1, 6, 12, 18, 24, 30, 36, 600]

EXPECTED = {
    "zh": {
        "amounts": {0: "0 元", 1: "1 元", 10_000: "1 万元", 12_000_000: "1200 万元", 10_312.5: "1.0313 万元"},
        "big": {123_456_789: "1.2346 亿元", 10**13: "10 万亿元", 2_500_000_000_000: "2.5 万亿元"},
        "durations": {1: "1 个月", 12: "1 年", 18: "18 个月", 36: "3 年"},
    },
    "en": {
        "amounts": {0: "0 CNY", 1: "1 CNY", 10_000: "10,000 CNY", 12_000_000: "12,000,000 CNY", 0.125: "0.13 CNY"},
        "big": {123_456_789: "123,456,789 CNY", 10**13: "10,000,000,000,000 CNY"},
        "durations": {1: "1 month", 12: "1 year", 18: "18 months", 36: "3 years"},
    },
}


def cli_amount(value: float, lang: str) -> str:
    """The amount as `advisor ask` shows an answer back, required to be what the advice shows too."""
    shown = display_value(QUESTIONS.get("funding_cny"), value, lang)
    assert shown_value("funding_cny", value, lang, None) == shown  # precedents, what-if answers
    return shown


def cli_duration(months: int, lang: str) -> str:
    shown = display_value(QUESTIONS.get("duration_months"), months, lang)
    assert shown_value("duration_months", months, lang, None) == shown
    return shown


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_command_line_writes_amounts_and_durations_as_a_reader_does(lang):
    expected = EXPECTED[lang]
    assert {value: cli_amount(value, lang) for value in expected["amounts"]} == expected["amounts"]
    assert {value: cli_amount(value, lang) for value in expected["big"]} == expected["big"]
    assert {months: cli_duration(months, lang) for months in expected["durations"]} == expected["durations"]
    # 1.5 years as a user types it is 18 months, and reads as the months
    typed = {"en": "1.5 years", "zh": "1.5年"}[lang]
    assert cli_duration(parse_answer(QUESTIONS.get("duration_months"), typed, lang), lang) == expected["durations"][18]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_reports_and_the_precedents_show_the_same_words(lang):
    profile = {"funding_cny": 12_000_000, "duration_months": 36}
    advice = default_advisor().advise(profile, lang=lang)
    amount, duration = cli_amount(12_000_000, lang), cli_duration(36, lang)
    markdown = render_markdown(advice, lang, QUESTIONS)
    for attribute, shown in (("funding_cny", amount), ("duration_months", duration)):
        assert f"| {QUESTIONS.get(attribute).text.get(lang)} | {shown} |" in markdown
    # a precedent's line: the value with its unit, beside a label without one (经费：1200 万元)
    alike = precedent_values(profile, lang)
    sep = "：" if lang == "zh" else ": "
    assert alike.split({"zh": "；", "en": "; "}[lang]) == [
        f"{value_label('funding_cny', lang)}{sep}{amount}",
        f"{value_label('duration_months', lang)}{sep}{duration}",
    ]
    assert value_label("funding_cny", lang) == {"en": "Funding", "zh": "经费"}[lang]
    assert value_label("duration_months", lang) == {"en": "Duration", "zh": "合作期限"}[lang]


def page_strings(rules: dict[str, Any], amounts: list[float], durations: list[int]) -> dict[str, list[str]]:
    """What the page's values.js writes for the values, by the rule the page reads."""
    script = (
        "const values = require(process.argv[1]);"
        "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify({"
        "amounts: input.amounts.map(v => values.amount(input.rules, v)),"
        "durations: input.durations.map(m => values.duration(input.rules, m))}));"
    )
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, "-e", script, str(VALUES_JS)],
        input=json.dumps({"rules": rules, "amounts": amounts, "durations": durations}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(
    shutil.which("node") is None, reason="no node to run the page's values.js (Chromium runs it in test_web_e2e)"
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_writes_every_amount_and_duration_as_the_command_line_does(lang):
    shown = page_strings(page_words(lang)["quantities"], AMOUNTS, DURATIONS)  # as GET /v1/catalogue sends it
    assert shown["amounts"] == [cli_amount(value, lang) for value in AMOUNTS]
    assert shown["durations"] == [cli_duration(months, lang) for months in DURATIONS]
