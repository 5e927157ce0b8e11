"""Rendering advice for people: terminal text and Markdown, from the one Advice model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .advice import Advice, ModeAssessment, NextQuestion, Reason, SourceQuote
from .catalogue import attribute_label, place_label, value_label, words
from .evaluation import reliability_words
from .scoring import format_amount, format_duration, format_value
from .texts import name_in
from .textwidth import NO_BREAK, pad, width, wrap

_NAME_COLUMN = 58


def _words(lang: str) -> Mapping[str, Any]:
    """The words of the terminal text in `lang` (catalogue section `text`; rule messages come from
    the rules, in every language)."""
    return words(lang, "text")


def _wrap(text: str, indent: str, first: str | None = None) -> list[str]:
    return wrap(text, first if first is not None else indent, indent)


def _message(reason: Reason, lang: str) -> str:
    """The reason's message in `lang` (advice built in another language keeps them all)."""
    return reason.messages.get(lang, reason.message)


def _signed(reason: Reason) -> str:
    if reason.effect == "excludes":
        return "excludes"
    sign = "+" if reason.effect == "supports" else "-"
    return f"{sign}{reason.weight}"


def cited(citation: Any, lang: str) -> tuple[str, str]:
    """A passage of the source (a citation or a reason's quote) as a reader sees it in `lang`, and
    the source's own words to show beside it ("" when the passage is shown in them): in Chinese
    the section and the quote in Chinese, with the verbatim English kept for traceability."""
    text = _words(lang)
    if lang == "zh" and citation.quote_zh:
        section = citation.section_zh or citation.section
        shown = str(text["citation"]).format(section=section, quote=citation.quote_zh)
        return shown, str(text["original"]).format(quote=citation.quote)
    return str(text["citation"]).format(section=citation.section, quote=citation.quote), ""


def citation_lines(citation: Any, lang: str, first: str, rest: str) -> list[str]:
    """A passage as wrapped terminal lines: the passage, and the source's own words below it,
    indented as its continuation lines are."""
    shown, original = cited(citation, lang)
    lines = _wrap(shown, rest, first)
    if original:
        lines += _wrap(original, rest + "  ", rest)
    return lines


def _sources(reasons: list[Reason]) -> list[SourceQuote]:
    """The distinct passages the reasons rest on, first citation of each reason, in order."""
    seen: dict[tuple[str, str], SourceQuote] = {}
    for reason in reasons:
        if reason.citations:
            quote = reason.citations[0]
            seen.setdefault((quote.section, quote.quote), quote)
    return list(seen.values())


def answer_effects(
    question: NextQuestion,
    advice: Advice,
    lang: str = "en",
    labels: Mapping[Any, Mapping[str, str]] | None = None,
) -> list[str]:
    """Each what-if answer as a phrase: 'university: Technology Equity would lead (78)'.

    `labels` (value -> {lang: label}) shows the answer as the questionnaire words it (“中介/信息平台”)."""
    names = {mode.id: name_in(mode, lang) for mode in advice.modes}
    whatif = words(lang, "whatif")
    phrases = []
    for answer in question.answers[:3]:
        shown = shown_value(question.attribute, answer.value, lang, {question.attribute: labels} if labels else None)
        value = whatif["value"].format(value=shown)
        decision = whatif["decisions"][answer.decision]
        if answer.leading_mode != advice.leading_mode:
            leader = names.get(answer.leading_mode or "", whatif["no_mode"])
            phrases.append(
                whatif["leads"].format(value=value, mode=leader, score=answer.leading_score, decision=decision)
            )
        else:
            phrases.append(whatif["becomes"].format(value=value, decision=decision))
    return phrases


def _other_name(item: Any, lang: str) -> str:
    """The name in the other language, shown beside it."""
    return str(item.name if lang == "zh" else item.name_zh)


def _listed_name(item: Any, lang: str, text: Mapping[str, Any]) -> str:
    """A mode's or difficulty's name in a list of them: in Chinese alone (the long English names,
    given in `advisor mode` and the reports, broke the lines), else with the Chinese beside it."""
    if lang == "zh":
        return name_in(item, lang)
    return str(text["name_pair"].format(name=name_in(item, lang), other=_other_name(item, lang)))


def decision_reason(advice: Advice, lang: str) -> str:
    """The decision's reason in `lang` (see Advice.decision_reasons)."""
    return advice.decision_reasons.get(lang, advice.decision_reason)


def reliability_sentence(advice: Advice, lang: str = "en") -> str:
    """The decision label's meaning in one sentence, from the numbers measured on the documented cases."""
    reliability = advice.reliability
    if reliability is None:
        return ""
    return reliability_words(reliability.decision, reliability.in_ten, reliability.right, reliability.cases, lang)


def precedent_values(
    values: Mapping[str, object],
    lang: str,
    value_labels: Mapping[str, Mapping[Any, Mapping[str, str]]] | None = None,
) -> str:
    """Shared or differing attributes of a documented case, as a reader words them
    ("Enterprise size: large" / "企业规模：大型企业")."""
    text = _words(lang)
    parts = [
        f"{value_label(name, lang)}{text['colon']}{shown_value(name, value, lang, value_labels)}"
        for name, value in values.items()
    ]
    return str(text["pair_sep"]).join(parts)


def shown_value(name: str, value: Any, lang: str, value_labels: Mapping[str, Any] | None) -> str:
    """One attribute's value as a reader words it in `lang`: a choice by its label, an amount and a
    duration with their units, as `ask` shows an answer back (250 万元, 3 年; 2,500,000 CNY, 3 years)."""
    if name == "funding_cny" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_amount(value, lang)
    if name == "duration_months" and type(value) is int:
        return format_duration(value, lang)
    return format_value(value, lang, (value_labels or {}).get(name))


def _precedent_lines(
    advice: Advice, lang: str, value_labels: Mapping[str, Mapping[Any, Mapping[str, str]]] | None = None
) -> list[str]:
    text = _words(lang)
    names = {mode.id: name_in(mode, lang) for mode in advice.modes}
    lines = [text["precedents"]]
    for number, case in enumerate(advice.precedents, start=1):
        name = name_in(case, lang)
        separator = text["precedent_sep"]
        head = f"{name} — {names.get(case.mode, case.mode)}{separator}{case.years}{separator}{place_label(case.region, lang)} [{case.id}]"
        lines += _wrap(head, "     ", f"  {number}. ")
        lines += _wrap(text["alike"] + precedent_values(case.matching, lang, value_labels), "         ", "     ")
        if case.differing:
            theirs = {name: value["theirs"] for name, value in case.differing.items()}
            lines += _wrap(text["differs"] + precedent_values(theirs, lang, value_labels), "         ", "     ")
        title = case.source_title_zh if lang == "zh" else case.source_title
        lines += _wrap(f"{text['source']}{title}", "         ", "     ")
        lines.append(f"         {case.source_url}")  # NOTE: never wrapped, so terminals keep it clickable
    return lines


def _featured(advice: Advice) -> list[ModeAssessment]:
    """The modes worth explaining: the leader, and any runner-up that is recommended or close."""
    if not advice.modes:
        return []
    leader = advice.modes[0]
    if not leader.reasons_for and not leader.reasons_against:
        return []  # nothing to explain yet: the ranking is a tie at the neutral score
    featured = [leader]
    for mode in advice.modes[1:3]:
        if mode.verdict == "recommended" or (advice.decision == "close_call" and leader.score - mode.score < 10):
            featured.append(mode)
    return featured


def render_text(
    advice: Advice,
    lang: str = "en",
    questions: Mapping[str, str] | None = None,
    value_labels: Mapping[str, Mapping[Any, Mapping[str, str]]] | None = None,
) -> str:
    """What a person reads in a terminal: decision, ranking, why, difficulties, what to find out.

    `lang="zh"` writes it in Chinese; `questions` maps attributes
    to question texts to show instead of the attributes' descriptions, `value_labels` (attribute ->
    value -> {lang: label}) words the what-if answers as the questionnaire does.
    """
    text = _words(lang)
    lines: list[str] = []
    label = advice.profile.get("title") or advice.profile.get("id")
    if label:
        lines += _wrap(f"{text['advice_for']}{label}", "  ", "")
    head = f"{text['decision']}{text['decisions'][advice.decision]}{text['decision_end']}"
    lines += _wrap(decision_reason(advice, lang), "  ", head)
    meaning = reliability_sentence(advice, lang)
    if meaning:
        lines += _wrap(meaning, "  ", "  ")
    lines.append("")
    # NOTE: the ranking is a table; in Chinese its name column is as wide as the names need
    mode_labels = [f"  {mode.rank}. {_listed_name(mode, lang, text)}" for mode in advice.modes]
    column = _NAME_COLUMN if lang != "zh" else max(width(text["modes"]), *map(width, mode_labels)) + 4
    lines.append(pad(text["modes"], column) + text["columns"])
    for mode, label in zip(advice.modes, mode_labels, strict=True):
        if width(label) > column:  # a long name gets a line of its own
            lines.append(label)
            label = ""
        lines.append(f"{pad(label, column)} {mode.score:>5}  {text['verdicts'][mode.verdict]}")
    for mode in _featured(advice):
        lines.append("")
        lines.append(text["why"].format(name=name_in(mode, lang), score=mode.score))
        if not mode.reasons_for and not mode.reasons_against:
            lines.append("  " + text["silent"])
        for reason in mode.reasons_for + mode.reasons_against:
            marker = "+" if reason.effect == "supports" else "-"
            lines += _wrap(
                f"{_message(reason, lang)} [{reason.rule_id}{NO_BREAK}{_signed(reason)}]", "    ", f"  {marker} "
            )
        sources = _sources(mode.reasons_for + mode.reasons_against)
        if sources:
            lines.append("  " + text["sources"])
            for source in sources:
                lines += citation_lines(source, lang, "    ", "      ")
    lines.append("")
    if advice.difficulties:
        lines.append(text["difficulties"])
        for flag in advice.difficulties:
            name = _listed_name(flag, lang, text)
            lines += _wrap(f"! {text['severity'][flag.severity]}{text['colon']}{name}", "      ", "  ")
            if lang == "zh" and flag.description_zh:  # NOTE: the English description is not shown in English
                lines += _wrap(flag.description_zh, "      ", "      ")
            for reason in flag.triggered_by:
                lines += _wrap(f"{text['seen']}{_message(reason, lang)} [{reason.rule_id}]", "          ", "      ")
            for mitigation in flag.mitigations:
                action = mitigation.action_zh if lang == "zh" and mitigation.action_zh else mitigation.action
                lines += _wrap(f"{text['do']}{action}", "          ", "      ")
    else:
        lines.append(text["no_difficulties"])
    if advice.precedents:
        lines.append("")
        lines += _precedent_lines(advice, lang, value_labels)
    if advice.next_questions:
        lines.append("")
        lines.append(text["find_out"])
        for question in advice.next_questions:
            asked = (questions or {}).get(question.attribute, question.question)
            # NOTE: English keeps the field's name (what a file or the API calls it); other languages its label
            named = question.attribute if lang == "en" else attribute_label(question.attribute, lang)
            lines += _wrap(f"? {named}{text['colon']}{asked}", "    ", "  ")
            labels = (value_labels or {}).get(question.attribute)
            for phrase in answer_effects(question, advice, lang, labels):
                lines += _wrap(phrase, "        ", "      " + text["if"])
            if not question.answers:
                lines.append("      " + text["moves"].format(impact=question.impact))
    lines.append("")
    versions = advice.versions
    lines.append(
        text["versions"].format(knowledge=versions.knowledge, rulebook=versions.rulebook, advisor=versions.advisor)
    )
    return "\n".join(lines) + "\n"


def render_markdown(advice: Advice, lang: str = "en", questions: Any = None) -> str:
    """The advice as a Markdown report (see advisor.report, which renders it from a template
    shared with the HTML report)."""
    from .report import render_markdown as render  # NOTE: lazy: report imports this module

    return render(advice, lang, questions=questions)
