"""One advice as a report to forward: a self-contained HTML page (inline CSS and SVG, no script,
no network) that prints cleanly to A4, and the PDF printed from it by headless Chromium."""

from __future__ import annotations

import datetime
import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from .advice import Advice, ModeAssessment, Reason, SourceQuote
from .catalogue import place_label, words
from .questions import QuestionSet
from .render import _featured, answer_effects, decision_reason, precedent_values, reliability_sentence
from .scoring import format_amount, format_duration, format_value
from .texts import name_in

_CJK = re.compile(r"[\u4e00-\u9fff]")
_TEMPLATES = Path(__file__).resolve().parent / "templates"
BAR_COLOURS = {"recommended": "#2e7d32", "possible": "#1565c0", "unlikely": "#8a8a8a", "excluded": "#c62828"}
# Browsers tried for --format pdf, in order; the first one on PATH prints the page.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfUnavailable(Exception):
    """No headless browser to print the PDF with; the message says how to get one."""


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        # HTML is escaped; Markdown is not (its table cells escape "|" through the `md` filter).
        autoescape=lambda name: name is not None and name.endswith(".html.j2"),
        undefined=jinja2.StrictUndefined,  # a misspelt name in a template is a bug, not a blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md"] = _md_escape
    return environment


_MD_SPECIAL = str.maketrans({"|": "\\|", "[": "\\[", "]": "\\]", "<": "\\<"})


def _md_escape(text: object) -> str:
    """Text safe inside Markdown, table cells included: pipes and line breaks would cut a row, and
    brackets would make a link (`[x](javascript:…)` in a title) or raw HTML of what was written."""
    return " ".join(str(text).translate(_MD_SPECIAL).split())


@dataclass(frozen=True)
class _Bar:
    name: str
    other_name: str
    score: int
    verdict: str
    colour: str
    y: int


def _other_name(item: Any, lang: str) -> str:
    other: str = item.name if lang == "zh" else item.name_zh
    return other


def _bars(modes: list[ModeAssessment], lang: str) -> list[_Bar]:
    return [
        _Bar(name_in(mode, lang), _other_name(mode, lang), mode.score, mode.verdict, BAR_COLOURS[mode.verdict], 44 * i)
        for i, mode in enumerate(modes)
    ]


def _message(reason: Reason, lang: str) -> str:
    return reason.messages.get(lang, reason.message)


def _labels(question: Any) -> dict[Any, dict[str, str]] | None:
    """value -> {lang: label} of a question's choices (None without a question)."""
    if question is None:
        return None
    return {choice.value: {"en": choice.label.en, "zh": choice.label.zh} for choice in question.choices}


@dataclass(frozen=True)
class _Passage:
    """A passage of the source as the report shows it in its language: the section and the quote
    (in Chinese: translated), and the source's own words beside a translation ("" otherwise)."""

    section: str
    quote: str
    original: str = ""


def _passage(quote: SourceQuote, lang: str) -> _Passage:
    if lang == "zh" and quote.quote_zh:
        return _Passage(quote.section_zh or quote.section, quote.quote_zh, quote.quote)
    return _Passage(quote.section, quote.quote)


def _with_new_quotes(reasons: list[Reason], lang: str, seen: set[str]) -> list[tuple[Reason, str, _Passage | None]]:
    """(reason, message, the first passage it rests on unless an earlier reason quoted it)."""
    rows = []
    for reason in reasons:
        quote = reason.citations[0] if reason.citations else None
        key = f"{quote.section}|{quote.quote}" if quote else ""
        shown = _passage(quote, lang) if quote is not None and key not in seen else None
        seen.add(key)
        rows.append((reason, _message(reason, lang), shown))
    return rows


def _answers(advice: Advice, lang: str, questions: QuestionSet | None) -> list[tuple[str, str]]:
    """(question, answer) for every answered attribute, in the questionnaire's words."""
    by_attribute = questions.by_attribute() if questions is not None else {}
    rows = []
    for attribute in advice.answered:
        question = by_attribute.get(attribute)
        labels = _labels(question)
        value = advice.profile[attribute]
        if isinstance(value, (list, tuple)) and labels:
            shown = format_value([labels.get(v, {}).get(lang, v) for v in value], lang)
        else:
            label = labels.get(value, {}).get(lang) if labels and isinstance(value, (str, bool)) else None
            shown = label or format_value(value, lang)
        if attribute == "funding_cny" and isinstance(value, (int, float)):
            shown = format_amount(value, lang)
        elif attribute == "duration_months" and isinstance(value, int):
            shown = format_duration(value, lang)
        rows.append((question.text.get(lang) if question is not None else attribute, shown))
    return rows


def render_html(
    advice: Advice,
    lang: str = "en",
    *,
    questions: QuestionSet | None = None,
    today: datetime.date | None = None,
) -> str:
    """The advice as one self-contained HTML page in `lang` ("en" or "zh")."""
    context = _context(advice, lang, questions, today)
    return _environment().get_template("advice.html.j2").render(**context)


def render_markdown(
    advice: Advice,
    lang: str = "en",
    *,
    questions: QuestionSet | None = None,
    today: datetime.date | None = None,
) -> str:
    """The advice as a Markdown report in `lang`, e.g. to attach to a proposal file."""
    context = _context(advice, lang, questions, today)
    return _environment().get_template("advice.md.j2").render(**context)


def _context(advice: Advice, lang: str, questions: QuestionSet | None, today: datetime.date | None) -> dict[str, Any]:
    """What both report templates show, in `lang`: one view of the advice for HTML and Markdown."""
    w = words(lang, "report")
    label = advice.profile.get("title") or advice.profile.get("id") or w["untitled"]
    reason = decision_reason(advice, lang)
    by_attribute = questions.by_attribute() if questions is not None else {}
    next_questions = [
        {
            "text": by_attribute[q.attribute].text.get(lang) if q.attribute in by_attribute else q.question,
            "attribute": q.attribute,
            "effects": [
                w["if_each"] + phrase
                for phrase in answer_effects(q, advice, lang, _labels(by_attribute.get(q.attribute)))
            ],
            "impact": q.impact,
        }
        for q in advice.next_questions
    ]
    featured = [
        {
            "mode": mode,
            "name": name_in(mode, lang),
            "reasons_for": _with_new_quotes(mode.reasons_for, lang, seen := set[str]()),
            "reasons_against": _with_new_quotes(mode.reasons_against, lang, seen),
        }
        for mode in _featured(advice)
    ]
    difficulties = [
        {
            "flag": flag,
            "name": name_in(flag, lang),
            "other_name": _other_name(flag, lang),
            "description": flag.description_zh if lang == "zh" and flag.description_zh else flag.description,
            "seen": [(r, _message(r, lang)) for r in flag.triggered_by],
            "mitigations": [
                (name_in(m, lang), m.action_zh if lang == "zh" and m.action_zh else m.action) for m in flag.mitigations
            ],
        }
        for flag in advice.difficulties
    ]
    value_labels = {name: _labels(question) or {} for name, question in by_attribute.items()}
    mode_names = {mode.id: name_in(mode, lang) for mode in advice.modes}
    precedents = [
        {
            "case": case,
            "name": case.name_zh if lang == "zh" and case.name_zh else case.name,
            "mode": mode_names.get(case.mode, case.mode),
            # NOTE: a case's source title and region are written as the source wrote them; the
            # page marks their language so a reader (and a screen reader) knows.
            "title": (title := case.source_title_zh if lang == "zh" else case.source_title),
            "title_lang": "zh" if _CJK.search(title) else "en",
            "region": (place := place_label(case.region, lang)),
            "region_lang": "zh" if _CJK.search(place) else "en",
            "alike": precedent_values(case.matching, lang, value_labels),
            "differs": precedent_values(
                {name: value["theirs"] for name, value in case.differing.items()}, lang, value_labels
            ),
        }
        for case in advice.precedents
    ]
    return dict(
        w=w,
        reliability=reliability_sentence(advice, lang),
        precedents=precedents,
        lang=lang,
        other_lang="en" if lang == "zh" else "zh",
        advice=advice,
        label=label,
        decision_reason=reason,
        bars=_bars(advice.modes, lang),
        chart_height=44 * len(advice.modes),
        modes=[(mode, name_in(mode, lang), _other_name(mode, lang)) for mode in advice.modes],
        featured=featured,
        difficulties=difficulties,
        next_questions=next_questions,
        answers=_answers(advice, lang, questions),
        date=(today or datetime.date.today()).isoformat(),
        versions=advice.versions,
        join=("；" if lang == "zh" else "; ").join,
    )


def find_browser(env: Mapping[str, str] | None = None) -> str | None:
    """The headless browser that prints PDFs: $ADVISOR_BROWSER, else the first of BROWSERS on PATH."""
    env = os.environ if env is None else env
    chosen = env.get("ADVISOR_BROWSER")
    if chosen:
        return shutil.which(chosen)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


HOW_TO_GET_A_BROWSER = (
    "--format pdf prints the HTML report with a headless Chromium, and none was found "
    f"(looked for {', '.join(BROWSERS)} on PATH, or $ADVISOR_BROWSER). Install one "
    "(Debian/Ubuntu: `apt-get install chromium`), or write `--format html` and print it from any browser."
)


def write_pdf(html: str, output: Path | str, *, timeout: float = 120) -> None:
    """Print `html` to a PDF at `output` with headless Chromium. Raises PdfUnavailable."""
    browser = find_browser()
    if browser is None:
        raise PdfUnavailable(HOW_TO_GET_A_BROWSER)
    with tempfile.TemporaryDirectory(prefix="advisor-pdf-") as work:
        page = Path(work) / "advice.html"
        page.write_text(html, encoding="utf-8")
        target = Path(work) / "advice.pdf"
        # NOTE: the flags keep Chromium from reaching for the network (the page needs none) and
        # from reusing a profile; --no-pdf-header-footer leaves the page numbers to the CSS.
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(work) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PdfUnavailable(f"{browser} could not print the report: {error}") from None
        if result.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise PdfUnavailable(f"{browser} could not print the report (exit {result.returncode}): {detail[0]}")
        shutil.copyfile(target, output)
