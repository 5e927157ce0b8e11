"""End to end: the web questionnaire in a real headless Chromium, driven by the keyboard alone.

`advisor serve` runs as a user starts it; Debian's Chromium (/usr/bin/chromium, installed by
.ci/run) is driven through Playwright's Python API without downloading any browser. The page is
answered with number keys, typed amounts, "-" for don't know and Enter, in the adaptive order the
service gives, until the advice shows; the leading mode on the page must be the library's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from advisor.catalogue import catalogue
from advisor.core import default_advisor

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no browser: Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)",
)


def example(name: str) -> dict[str, Any]:
    data = json.loads((ROOT / "examples" / f"{name}.json").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if key not in ("id", "title")}


@pytest.fixture(scope="module")
def server(start_serve) -> Iterator[str]:
    with start_serve() as served:
        yield served.url


@pytest.fixture(scope="module")
def questions(server: str) -> dict[str, dict[str, Any]]:
    return {q["attribute"]: q for q in httpx.get(server + "/v1/questions").json()["questions"]}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    page.close()
    assert not errors, f"the page logged errors: {errors}"


SETTLED = """prev => !document.body.classList.contains('busy') && (
    !document.querySelector('#result').hidden ||
    (!document.querySelector('#ask').hidden && document.querySelector('#question-form').dataset.attribute !== prev))"""


def key_of(question: dict[str, Any], value: Any) -> str:
    """The number key that selects `value` among the question's choices (0 is the tenth)."""
    values = [choice["value"] for choice in question["choices"]] + (["__none__"] if question["kind"] == "list" else [])
    index = values.index(value)
    return str(index + 1) if index < 9 else "0"


def answer_by_keyboard(
    page: Any, questions: dict[str, dict[str, Any]], profile: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Answer each question the page asks from `profile` ("-" for the others) until the advice shows.

    Returns the answers given and the attributes in the order they were asked."""
    given: dict[str, Any] = {}
    asked: list[str] = []
    page.wait_for_function(SETTLED, arg="")
    for _ in range(len(questions) + 1):
        if page.is_visible("#result"):
            break
        attribute = page.get_attribute("#question-form", "data-attribute")
        assert attribute not in asked, f"{attribute} asked twice"
        asked.append(attribute)
        question = questions[attribute]
        focused = page.evaluate("() => document.activeElement && document.activeElement.closest('#q-input') !== null")
        assert focused, "the answer field must have the keyboard focus"
        if attribute not in profile and question["kind"] in ("integer", "number"):
            # a number's text field takes every key: "-" and Enter is its "don't know"
            page.keyboard.type("-")
            page.keyboard.press("Enter")
        elif attribute not in profile:
            page.keyboard.press("-")
        else:
            value = profile[attribute]
            given[attribute] = value
            if question["kind"] in ("integer", "number"):
                page.keyboard.type(str(value))
            elif question["kind"] == "list":
                for item in value or ["__none__"]:
                    page.keyboard.press(key_of(question, item))
            else:
                page.keyboard.press(key_of(question, value))
            page.keyboard.press("Enter")
        page.wait_for_function(SETTLED, arg=attribute)
    page.wait_for_selector("#result:not([hidden]) #advice section")
    return given, asked


def leading_on_page(page: Any) -> str:
    return page.get_attribute("#decision", "data-leading-mode")


def test_keyboard_only_questionnaire_reaches_the_advice(server, questions, page):
    profile = example("technology_transfer")
    page.goto(server + "/?lang=en")
    given, asked = answer_by_keyboard(page, questions, profile)

    advice = default_advisor().advise(given, what_if=True)
    assert advice.leading_mode == "technology_transfer" and advice.decision == "clear"
    assert leading_on_page(page) == advice.leading_mode
    assert page.inner_text("#decision .big") == "Technology Transfer"
    assert page.inner_text("#decision .reliability") == advice.reliability.sentence
    links = page.eval_on_selector_all(".precedents li.precedent a", "links => links.map(a => a.href)")
    assert links == [p.source_url for p in advice.precedents]
    assert page.inner_text("#chart li:first-child .name").startswith("Technology Transfer")
    assert page.inner_text("#chart li:first-child .score") == str(advice.modes[0].score)
    # the adaptive order is the service's: fewer questions than the questionnaire has
    assert len(asked) < len(questions)
    # the full advice: why, reasons against, difficulties with mitigations, what else to find out
    text = page.inner_text("#advice")
    assert "Why Technology Transfer" in text
    for flag in advice.difficulties:
        assert flag.name in text
        for mitigation in flag.mitigations:
            assert mitigation.action in text
    for reason in advice.modes[0].reasons_for + advice.modes[0].reasons_against:
        assert reason.message in text


def test_advice_downloads_as_json_and_markdown_by_keyboard(server, questions, page):
    profile = example("program_cooperation")
    page.goto(server + "/?lang=en")
    given, _ = answer_by_keyboard(page, questions, profile)
    expected = httpx.post(server + "/v1/advise", params={"what_if": "true"}, json=given).json()
    assert leading_on_page(page) == expected["leading_mode"] == "program_cooperation"

    # focus is on the advice's heading; Tab reaches Print, Download report, Download Markdown, Download JSON
    assert page.evaluate("() => document.activeElement.id") == "result-title"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "download-html"
    with page.expect_download() as report:
        page.keyboard.press("Enter")
    assert report.value.suggested_filename == "coop-advice.html"
    html = Path(report.value.path()).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "University–Enterprise Program Cooperation" in html
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "download-md"
    with page.expect_download() as markdown:
        page.keyboard.press("Enter")
    text = Path(markdown.value.path()).read_text(encoding="utf-8")
    assert markdown.value.suggested_filename == "coop-advice.md"
    assert text.startswith("# Cooperation advice") and "| 1 | University–Enterprise Program Cooperation" in text
    page.keyboard.press("Tab")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "coop-advice.json"
    assert json.loads(Path(download.value.path()).read_text(encoding="utf-8")) == expected

    # a reload keeps the answers (sessionStorage) and shows the advice again
    page.reload()
    page.wait_for_selector("#result:not([hidden]) #advice section")
    assert leading_on_page(page) == "program_cooperation"


def test_chinese_questionnaire_with_back_and_dont_know(server, questions, page):
    profile = example("technology_equity")
    page.goto(server + "/?lang=zh")
    page.wait_for_function(SETTLED, arg="")
    assert page.get_attribute("html", "lang") == "zh-CN"
    first = page.get_attribute("#question-form", "data-attribute")
    assert page.inner_text("#q-text") == questions[first]["text"]["zh"]
    assert page.inner_text("#next") == "下一题"

    # answer the first question, then go back with "b": it is asked again with the answer selected
    value = profile[first]
    page.keyboard.press(key_of(questions[first], value))
    page.keyboard.press("Enter")
    page.wait_for_function(SETTLED, arg=first)
    second = page.get_attribute("#question-form", "data-attribute")
    page.keyboard.press("b")
    page.wait_for_function(SETTLED, arg=second)
    assert page.get_attribute("#question-form", "data-attribute") == first
    checked = page.eval_on_selector("#q-input input:checked", "input => JSON.parse(input.value)")
    assert checked == value

    given, _ = answer_by_keyboard(page, questions, profile)
    advice = default_advisor().advise(given, what_if=True)
    assert leading_on_page(page) == advice.leading_mode == "technology_equity"
    assert advice.decision == "clear"
    assert page.inner_text("#decision .big") == "技术入股"
    assert "为何是技术入股" in page.inner_text("#advice")
    # the label's measured meaning and the precedents, in Chinese
    reliability = advice.reliability
    share = catalogue("zh")["reliability"]["shares"][reliability.in_ten]  # 约九成
    assert f"{share}是对的" in page.inner_text("#decision .reliability")
    assert f"{reliability.cases} 个" in page.inner_text("#decision .reliability")
    shown = page.eval_on_selector_all(".precedents li.precedent", "items => items.map(i => i.dataset.case)")
    assert shown == [p.id for p in advice.precedents]
    assert advice.precedents[0].name_zh in page.inner_text(".precedents")
    # a source's title as a Chinese reader is shown it (a page without a title: our description in Chinese)
    assert all(p.source_title_zh in page.inner_text(".precedents") for p in advice.precedents)
    assert "page title not shown" not in page.inner_text(".precedents")
    # the source's passages in Chinese, each with the source's own words below it, marked English
    quote = advice.modes[0].reasons_for[0].citations[0]
    passage = page.inner_text("#advice blockquote")
    assert passage.startswith(f"{quote.section_zh}：“{quote.quote_zh}”") and f"原文：“{quote.quote}”" in passage
    assert page.inner_text("#advice blockquote .original span[lang=en]") == quote.quote
    # switching the language keeps the answers and redraws the advice
    page.click("button[data-lang=en]")
    page.wait_for_function("() => document.querySelector('#decision .big').textContent === 'Technology Equity'")
    assert leading_on_page(page) == "technology_equity"
    assert page.inner_text("#advice blockquote") == f"{quote.section}: “{quote.quote}”"
    assert all(p.source_title in page.inner_text(".precedents") for p in advice.precedents)


@pytest.mark.parametrize(
    ("accept", "lang", "next_label"), [("zh-CN,zh;q=0.9,en;q=0.5", "zh-CN", "下一题"), ("en-GB", "en", "Next")]
)
def test_a_first_visit_reads_the_browser_language(server, browser, accept, lang, next_label):
    """No ?lang and nothing saved: the page asks the service, which reads Accept-Language."""
    page = browser.new_page()
    try:
        # A first visit: nothing kept from other tests. NOTE: cleared on a page of the same origin
        # that runs no script; cleared on the questionnaire itself, the page could still save its
        # language after the clearing (seen under load).
        page.goto(server + "/healthz")
        page.evaluate("() => localStorage.clear()")
        # NOTE: the browser's own language (navigator.language) stays the same: only the header differs.
        page.set_extra_http_headers({"Accept-Language": accept})
        page.goto(server + "/")
        page.wait_for_function(SETTLED, arg="")
        assert page.get_attribute("html", "lang") == lang
        assert page.inner_text("#next") == next_label
    finally:
        page.evaluate("() => localStorage.clear()")
        page.close()


def open_advice(page: Any, server: str, lang: str, profile: dict[str, Any]) -> None:
    """The page with `profile` answered and its advice shown (a session kept in the tab, reloaded)."""
    session = {"answers": profile, "skipped": [], "history": list(profile), "askAll": False, "view": "result"}
    page.add_init_script(f"sessionStorage.setItem('coop-advisor-session', {json.dumps(json.dumps(session))})")
    page.goto(f"{server}/?lang={lang}")
    page.wait_for_selector("#result:not([hidden]) #advice .answers")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_writes_amounts_and_durations_as_the_command_line_does(server, questions, page, lang):
    """3000 万元 and 5 年 (30,000,000 CNY and 5 years) in the answers and the precedents, 4 年 in a
    what-if answer: the strings `advisor ask` shows an answer back in, and the advice's text."""
    from advisor.answers import display_value
    from advisor.catalogue import value_label
    from advisor.questions import load_questions

    asked = load_questions()
    colon = {"en": ": ", "zh": "："}[lang]
    profile = example("strategic_alliance")  # 30,000,000 CNY over 60 months
    open_advice(page, server, lang, profile)
    answers = page.eval_on_selector_all(
        ".answers dt", "dts => dts.map(dt => [dt.textContent, dt.nextElementSibling.querySelector('span').textContent])"
    )
    shown = dict(answers)
    alike = page.inner_text(".precedents")
    matched = {name for case in default_advisor().advise(profile).precedents for name in case.matching}
    for attribute in ("funding_cny", "duration_months"):
        value = display_value(asked.get(attribute), profile[attribute], lang)
        assert shown[questions[attribute]["text"][lang]] == value
        if attribute in matched:
            assert f"{value_label(attribute, lang)}{colon}{value}" in alike
    assert {"en": "30,000,000 CNY", "zh": "3000 万元"}[lang] in shown.values()
    assert {"en": "Duration: 5 years", "zh": "合作期限：5 年"}[lang] in alike

    # a what-if answer: the later session replaces the first on the next load
    whatif = {"enterprise_size": "medium", "enterprise_engagement": "active"}
    whatif["university_contribution"] = "commissioned_research"  # asks the duration: 48 or 60 months
    open_advice(page, server, lang, whatif)
    effects = page.inner_text(".next-questions")
    four_years = display_value(asked.get("duration_months"), 48, lang)
    assert four_years == {"en": "4 years", "zh": "4 年"}[lang]
    assert {"en": f"If “{four_years}”: ", "zh": f"若答“{four_years}”，"}[lang] in effects
