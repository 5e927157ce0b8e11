"""The advice as a report to forward: self-contained HTML in both languages, and its PDF."""

from __future__ import annotations

import datetime
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape

from advisor import advise
from advisor.catalogue import catalogue
from advisor.cli import cli
from advisor.questions import load_questions
from advisor.report import find_browser, render_html, render_markdown
from advisor.scoring import format_amount, format_duration
from advisor.texts import LANGS

EXAMPLES = sorted(Path(__file__).resolve().parent.parent.joinpath("examples").glob("*.json"))
CJK = re.compile(r"[\u4e00-\u9fff]")


class _Page(HTMLParser):
    """The parts of a page the tests read: tags, attributes, text chunks, table rows."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        # Text a reader of the page's language is not expected to read in it: inside an element
        # marked with another `lang` (quotations of the English source, the other-language name
        # shown beside a name) or the user's own words (class user-text).
        self.foreign: list[str] = []
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._open: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.attrs.append((tag, attrs))
        inherited = self._open[-1][1] if self._open else False
        page_lang = self.attrs[0][1].get("lang", "en") if self.attrs else "en"
        marked = (attrs.get("lang") not in (None, page_lang)) or "user-text" in (attrs.get("class") or "")
        if tag not in ("meta", "br", "rect", "link", "img"):
            self._open.append((tag, inherited or marked or tag in ("style", "title")))
        if tag == "tr":
            self._row = []
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        foreign = self._open[-1][1] if self._open else False
        (self.foreign if foreign else self.text).append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def questions():
    return load_questions()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", LANGS)
def test_the_report_shows_every_mode_with_its_score_and_the_decision(example, lang, questions):
    advice = advise(json.loads(example.read_text(encoding="utf-8")), lang=lang)
    html = render_html(advice, lang, questions=questions, today=datetime.date(2026, 1, 2))
    page = parse(html)
    mode_rows = [row for row in page.rows if len(row) == 4 and row[0].isdigit()]
    assert [int(row[0]) for row in mode_rows] == [mode.rank for mode in advice.modes]
    assert [int(row[2]) for row in mode_rows] == [mode.score for mode in advice.modes]
    for row, mode in zip(mode_rows, advice.modes, strict=True):
        assert (mode.name_zh if lang == "zh" else mode.name) in row[1]
    # one bar per mode, its width the score on a 0-100 scale of 560 units
    bars = [float(a["width"]) for tag, a in page.attrs if tag == "rect" and a.get("fill") != "#eeeeee"]
    assert bars == [round(mode.score * 5.6, 1) for mode in advice.modes]
    words = catalogue(lang)["report"]
    assert words["decisions"][advice.decision] in html
    assert "2026-01-02" in html and advice.versions.rulebook in html


@pytest.mark.parametrize("lang", LANGS)
def test_the_report_is_self_contained(lang, questions):
    advice = advise(json.loads(EXAMPLES[0].read_text(encoding="utf-8")), lang=lang)
    page = parse(render_html(advice, lang, questions=questions))
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    # nothing is fetched: no attribute that loads a resource points outside the page (a link to a
    # precedent's source, <a href>, is followed only if the reader clicks it)
    for tag, attrs in page.attrs:
        for name in ("src", "href", "srcset", "data", "poster"):
            if tag == "a" and name == "href":
                continue
            assert not (attrs.get(name) or "").startswith(("http:", "https:", "//")), (tag, attrs)


def test_the_chinese_report_reads_in_chinese(questions):
    advice = advise(json.loads(EXAMPLES[0].read_text(encoding="utf-8")), lang="zh")
    page = parse(render_html(advice, "zh", questions=questions))
    # NOTE: the precise rule: every text with a Latin word must hold a Chinese character too,
    # unless it is a code: a rule id, an attribute name, a case id, an address, a number, the version line
    code = re.compile(r"[A-Z]{2}\d{3}|[a-z_]+|[a-z0-9]+(-[a-z0-9]+)+|https?://\S+|[\d.,\s]+|.*\d+\.\d+\.\d+.*")
    english = [
        chunk.strip()
        for chunk in page.text
        if re.search(r"[A-Za-z]{2,}", chunk) and not CJK.search(chunk) and not code.fullmatch(chunk.strip())
    ]
    assert english == []
    assert page.foreign  # the English names and quotations are there, marked as English


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_a_chinese_report_quotes_the_source_in_chinese_with_its_own_words_beside(example, questions):
    advice = advise(json.loads(example.read_text(encoding="utf-8")), lang="zh")
    html = render_html(advice, "zh", questions=questions)
    page = parse(html)
    text, foreign = "".join(page.text), "".join(page.foreign)
    markdown = render_markdown(advice, "zh", questions=questions)
    passages = re.findall(r"<blockquote>.*?</blockquote>", html, flags=re.DOTALL)
    assert passages and "<blockquote lang=" not in html
    quoted = [c for mode in advice.modes for r in mode.reasons_for + mode.reasons_against for c in r.citations[:1]]
    for passage in passages:
        quote = next(c for c in quoted if f"“{c.quote_zh}”" in passage)
        assert f'<span class="section">{escape(quote.section_zh)}：</span>' in passage
        assert f'原文：“<span lang="en">{escape(quote.quote)}</span>”' in passage
        assert f"“{quote.quote_zh}”" in text and quote.quote in foreign  # the original marked as English
        assert f"{quote.section_zh}：“{quote.quote_zh}”（原文：“{quote.quote}”）" in markdown


def test_an_english_report_quotes_the_source_as_before(questions):
    advice = advise(json.loads(EXAMPLES[0].read_text(encoding="utf-8")), lang="en")
    html = render_html(advice, "en", questions=questions)
    markdown = render_markdown(advice, "en", questions=questions)
    assert '<blockquote lang="en"><span class="section">Modes of cooperation — ' in html
    assert "  - *Modes of cooperation — " in markdown and "原文" not in html + markdown


def test_amounts_and_durations_read_as_people_write_them():
    assert format_amount(50_000_000, "zh") == "5000 万元"
    assert format_amount(120_000_000, "zh") == "1.2 亿元"
    assert format_amount(3_000, "zh") == "3000 元"
    assert format_amount(12_345_678, "zh") == "1234.5678 万元"
    assert format_amount(10_000_000_000_000, "zh") == "10 万亿元"  # the largest amount allowed
    assert format_amount(2_500_000_000_000, "zh") == "2.5 万亿元"
    assert format_amount(0.5, "zh") == "0.5 元"
    assert format_amount(1_200_000, "en") == "1,200,000 CNY"  # as `ask` shows an answer back
    assert [format_duration(m, "en") for m in (1, 12, 18, 36)] == ["1 month", "1 year", "18 months", "3 years"]
    assert [format_duration(m, "zh") for m in (18, 36)] == ["18 个月", "3 年"]


def test_every_catalogue_has_every_phrase_of_the_fallback():
    def keys(tree, prefix=""):
        return {
            key
            for name, value in tree.items()
            for key in (keys(value, f"{prefix}{name}.") if isinstance(value, dict) else {f"{prefix}{name}"})
        }

    english = keys(catalogue("en"))
    for lang in LANGS:
        raw = __import__("yaml").safe_load(
            (Path(__file__).resolve().parent.parent / "advisor" / "locales" / f"{lang}.yml").read_text("utf-8")
        )
        # NOTE: `help` holds the translations of the English help in the click decorators, so
        # English has no such section (tests/test_languages.py checks each entry names a real option);
        # `places` translates the case files' English place names, which English shows as written;
        # `openapi` translates the OpenAPI document's English texts for the /docs page.
        own = ("help.", "places.", "openapi.")
        # NOTE: a problem template a language gives as forms (problems.yaml_reasons.cannot_start:
        # one for a tab, `other` for the rest) is one phrase, as English's single template is.
        forms = {key.rpartition(".")[0] for key in keys(raw)} & english
        assert {f"{key}.other" for key in forms} <= keys(raw), lang
        assert {
            key.rpartition(".")[0] if key.rpartition(".")[0] in forms else key
            for key in keys(raw)
            if not key.startswith(own)
        } == {key for key in english if not key.startswith(own)}, lang


def test_cli_writes_html_to_a_file(tmp_path):
    out = tmp_path / "advice.html"
    result = CliRunner().invoke(cli, ["advise", str(EXAMPLES[0]), "--format", "html", "--lang", "zh", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not list(tmp_path.glob(".*partial"))


def test_pdf_without_a_browser_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_BROWSER", "no-such-browser-here")
    out = tmp_path / "advice.pdf"
    result = CliRunner().invoke(cli, ["advise", str(EXAMPLES[0]), "--format", "pdf", "-o", str(out)])
    assert result.exit_code == 3
    assert "apt-get install chromium" in result.output and "--format html" in result.output
    assert not out.exists()


def test_pdf_needs_an_output_file():
    result = CliRunner().invoke(cli, ["advise", str(EXAMPLES[0]), "--format", "pdf"])
    assert result.exit_code == 2 and "-o FILE.pdf" in result.output


@pytest.mark.skipif(find_browser() is None, reason="no headless Chromium on PATH (.ci/run installs Debian's chromium)")
@pytest.mark.parametrize("lang", LANGS)
def test_the_pdf_is_a4_with_numbered_pages(tmp_path, lang):
    out = tmp_path / "advice.pdf"
    result = CliRunner().invoke(cli, ["advise", str(EXAMPLES[0]), "--format", "pdf", "--lang", lang, "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    # A4 is 595 x 842 points; every page's MediaBox says so
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595) < 1.5 and abs(float(h) - 842) < 1.5 for w, h in boxes)
    assert 1 <= len(boxes) <= 6


@pytest.mark.parametrize("lang", LANGS)
def test_ask_writes_the_html_report_in_its_language(tmp_path, lang):
    answers = tmp_path / "answers.json"
    answers.write_text(EXAMPLES[0].read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "advice.html"
    result = CliRunner().invoke(cli, ["ask", "--answers", str(answers), "--report", str(out), "--lang", lang], input="")
    assert result.exit_code == 0, result.output
    page = parse(out.read_text(encoding="utf-8"))
    assert page.attrs[0][1]["lang"] == ("zh-CN" if lang == "zh" else "en")
    assert catalogue(lang)["report"]["ranking"] in "".join(page.text)


def test_a_title_cannot_make_a_link_or_html_in_the_markdown_report(shipped):
    from advisor.render import render_markdown

    advice = shipped.advise(
        {"title": "[click](javascript:alert(1)) <img src=x onerror=alert(1)>", "enterprise_size": "large"}
    )
    text = render_markdown(advice)
    assert not re.search(r"(?<!\\)\[click|(?<!\\)<img", text)  # every bracket escaped
    assert "\\[click\\](javascript:alert(1)) \\<img src=x onerror=alert(1)>" in text  # shown as written
