"""Rendering advice for people: terminal text and Markdown, from the one Advice model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from .advice import Advice, ModeAssessment, NextQuestion, Reason
from .catalogue import attribute_label
from .scoring import format_amount, format_value
from .textwidth import pad, width, wrap

_NAME_COLUMN = 58
_DECISION_LABEL = {
    "clear": "CLEAR",
    "close_call": "CLOSE CALL",
    "insufficient_information": "INSUFFICIENT INFORMATION",
}


# The words of the terminal text in one language: phrases, and labels by decision, verdict and severity.
# NOTE: the functional form because one key ("if") is a Python keyword.
_TextWords = TypedDict(
    "_TextWords",
    {
        "advice_for": str,
        "decision": str,
        "decisions": dict[str, str],
        "modes": str,
        "columns": str,
        "verdicts": dict[str, str],
        "why": str,
        "silent": str,
        "sources": str,
        "difficulties": str,
        "no_difficulties": str,
        "severity": dict[str, str],
        "colon": str,
        "seen": str,
        "do": str,
        "find_out": str,
        "if": str,
        "moves": str,
        "versions": str,
        "precedents": str,
        "alike": str,
        "differs": str,
        "source": str,
    },
)


# The words of the terminal text in each language (rule messages come from the rules, in every language).
_WORDS: dict[str, _TextWords] = {
    "en": {
        "advice_for": "Advice for: ",
        "decision": "Decision: ",
        "decisions": _DECISION_LABEL,
        "modes": "Modes, best first",
        "columns": " score  verdict",
        "verdicts": {v: v for v in ("recommended", "possible", "unlikely", "excluded")},
        "why": "Why {name} ({score})",
        "silent": "No rule spoke for or against it yet.",
        "sources": "Sources:",
        "difficulties": "Difficulties to expect, and what to do",
        "no_difficulties": "Difficulties to expect: none flagged by the answers given.",
        "severity": {"high": "HIGH", "medium": "MEDIUM", "low": "LOW"},
        "colon": ": ",
        "seen": "Seen: ",
        "do": "Do: ",
        "find_out": "What else to find out",
        "if": "if ",
        "moves": "(an answer can move scores by up to {impact} points)",
        "versions": "knowledge {knowledge} · rulebook {rulebook} · advisor {advisor}",
        "precedents": "Partnerships like yours (documented cases)",
        "alike": "Alike in: ",
        "differs": "Differs in: ",
        "source": "Source: ",
    },
    "zh": {
        "advice_for": "咨询对象：",
        "decision": "结论：",
        "decisions": {"clear": "明确", "close_call": "难分高下", "insufficient_information": "信息不足"},
        "modes": "合作模式（按适合程度排序）",
        "columns": " 得分  评价",
        "verdicts": {"recommended": "推荐", "possible": "可考虑", "unlikely": "不太适合", "excluded": "排除"},
        "why": "为何是{name}（{score} 分）",
        "silent": "尚无规则支持或反对。",
        "sources": "出处：",
        "difficulties": "可能遇到的困难及对策",
        "no_difficulties": "可能遇到的困难：根据已有回答，未发现需要预警的困难。",
        "severity": {"high": "高", "medium": "中", "low": "低"},
        "colon": "：",
        "seen": "依据：",
        "do": "对策：",
        "find_out": "还需了解",
        "if": "若答",
        "moves": "（回答后得分最多可变动 {impact} 分）",
        "versions": "知识库 {knowledge} · 规则库 {rulebook} · 程序 {advisor}",
        "precedents": "与您相似的合作（有据可查的案例）",
        "alike": "相似之处：",
        "differs": "不同之处：",
        "source": "出处：",
    },
}


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


def _sources(reasons: list[Reason]) -> list[str]:
    """The distinct passages the reasons rest on, first citation of each reason, in order."""
    seen: list[str] = []
    for reason in reasons:
        if reason.citations:
            quote = reason.citations[0]
            text = f'{quote.section}: "{quote.quote}"'
            if text not in seen:
                seen.append(text)
    return seen


def answer_effects(
    question: NextQuestion,
    advice: Advice,
    lang: str = "en",
    labels: Mapping[Any, Mapping[str, str]] | None = None,
) -> list[str]:
    """Each what-if answer as a phrase: 'university: Technology Equity would lead (78)'.

    `labels` (value -> {lang: label}) shows the answer as the questionnaire words it (“中介/信息平台”)."""
    names = {mode.id: mode.name_zh if lang == "zh" else mode.name for mode in advice.modes}
    decisions = _WORDS["zh"]["decisions"] if lang == "zh" else None
    phrases = []
    for answer in question.answers[:3]:
        value = format_value(answer.value, lang, labels)
        if lang == "zh":
            value = f"“{value}”"
        decision = decisions[answer.decision] if decisions else answer.decision.replace("_", " ")
        leader = names.get(answer.leading_mode or "", "no mode")
        if answer.leading_mode != advice.leading_mode:
            if lang == "zh":
                phrases.append(f"{value}，{leader}将领先（{answer.leading_score} 分，{decision}）")
            else:
                phrases.append(f"{value}: {leader} would lead ({answer.leading_score}; {decision})")
        elif lang == "zh":
            phrases.append(f"{value}，结论将变为“{decision}”")
        else:
            phrases.append(f"{value}: the decision would become {decision}")
    return phrases


def _decision_reason_zh(advice: Advice) -> str:
    """The decision's reason in Chinese (see Advice.decision_reasons)."""
    return advice.decision_reasons["zh"]


def reliability_sentence(advice: Advice, lang: str = "en") -> str:
    """The decision label's meaning in one sentence, from the numbers measured on the documented cases."""
    reliability = advice.reliability
    if reliability is None:
        return ""
    if lang != "zh":
        return reliability.sentence
    if not reliability.cases:
        return "尚无有据可查的案例得到这一结论，其可靠程度尚未测得。"
    n, right, cases = reliability.in_ten, reliability.right, reliability.cases
    if reliability.decision == "clear":
        return f"在类似的有据可查案例中，“明确”约有 {n}/10 是对的：{cases} 个明确结论中有 {right} 个领先模式正是实际采用的模式。"
    if reliability.decision == "close_call":
        return (
            f"在类似的有据可查案例中，“难分高下”时实际采用的模式约有 {n}/10 在前两名之中（{cases} 个中有 {right} 个）。"
        )
    return f"在类似的有据可查案例中，“信息不足”时领先模式约有 {n}/10 是实际采用的模式（{cases} 个中有 {right} 个）。"


def precedent_values(
    values: Mapping[str, object],
    lang: str,
    value_labels: Mapping[str, Mapping[Any, Mapping[str, str]]] | None = None,
) -> str:
    """Shared or differing attributes of a documented case, as a reader words them
    ("Enterprise size: large" / "企业规模：大型企业")."""
    colon = "：" if lang == "zh" else ": "
    parts = [
        f"{attribute_label(name, lang)}{colon}{_shown(name, value, lang, value_labels)}"
        for name, value in values.items()
    ]
    return ("；" if lang == "zh" else "; ").join(parts)


def _shown(name: str, value: Any, lang: str, value_labels: Mapping[str, Any] | None) -> str:
    if name == "funding_cny" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_amount(value, lang)
    return format_value(value, lang, (value_labels or {}).get(name))


def _precedent_lines(
    advice: Advice, lang: str, value_labels: Mapping[str, Mapping[Any, Mapping[str, str]]] | None = None
) -> list[str]:
    words = _WORDS[lang]
    zh = lang == "zh"
    names = {mode.id: mode.name_zh if zh else mode.name for mode in advice.modes}
    lines = [words["precedents"]]
    for number, case in enumerate(advice.precedents, start=1):
        name = case.name_zh if zh else case.name
        separator = "，" if zh else " · "
        head = f"{name} — {names.get(case.mode, case.mode)}{separator}{case.years}{separator}{case.region} [{case.id}]"
        lines += _wrap(head, "     ", f"  {number}. ")
        lines += _wrap(words["alike"] + precedent_values(case.matching, lang, value_labels), "         ", "     ")
        if case.differing:
            theirs = {name: value["theirs"] for name, value in case.differing.items()}
            lines += _wrap(words["differs"] + precedent_values(theirs, lang, value_labels), "         ", "     ")
        lines += _wrap(f"{words['source']}{case.source_title}", "         ", "     ")
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
    words = _WORDS[lang]
    zh = lang == "zh"
    lines: list[str] = []
    label = advice.profile.get("title") or advice.profile.get("id")
    if label:
        lines += _wrap(f"{words['advice_for']}{label}", "  ", "")
    decision_reason = _decision_reason_zh(advice) if zh else advice.decision_reason
    separator = "。" if zh else ". "
    lines += _wrap(decision_reason, "  ", f"{words['decision']}{words['decisions'][advice.decision]}{separator}")
    meaning = reliability_sentence(advice, lang)
    if meaning:
        lines += _wrap(meaning, "  ", "  ")
    lines.append("")
    lines.append(pad(words["modes"], _NAME_COLUMN) + words["columns"])
    for mode in advice.modes:
        name = f"{mode.name_zh}（{mode.name}）" if zh else f"{mode.name} ({mode.name_zh})"
        label = f"  {mode.rank}. {name}"
        if width(label) > _NAME_COLUMN:  # a long name gets a line of its own
            lines.append(label)
            label = ""
        lines.append(f"{pad(label, _NAME_COLUMN)} {mode.score:>5}  {words['verdicts'][mode.verdict]}")
    for mode in _featured(advice):
        lines.append("")
        lines.append(words["why"].format(name=mode.name_zh if zh else mode.name, score=mode.score))
        if not mode.reasons_for and not mode.reasons_against:
            lines.append("  " + words["silent"])
        for reason in mode.reasons_for + mode.reasons_against:
            marker = "+" if reason.effect == "supports" else "-"
            lines += _wrap(f"{_message(reason, lang)} [{reason.rule_id} {_signed(reason)}]", "    ", f"  {marker} ")
        sources = _sources(mode.reasons_for + mode.reasons_against)
        if sources:
            lines.append("  " + words["sources"])
            for source in sources:
                lines += _wrap(source, "      ", "    ")
    lines.append("")
    if advice.difficulties:
        lines.append(words["difficulties"])
        for flag in advice.difficulties:
            name = f"{flag.name_zh}（{flag.name}）" if zh else f"{flag.name} ({flag.name_zh})"
            lines.append(f"  ! {words['severity'][flag.severity]}{words['colon']}{name}")
            if zh and flag.description_zh:
                lines += _wrap(flag.description_zh, "      ", "      ")
            for reason in flag.triggered_by:
                lines += _wrap(f"{words['seen']}{_message(reason, lang)} [{reason.rule_id}]", "          ", "      ")
            for mitigation in flag.mitigations:
                action = mitigation.action_zh if zh and mitigation.action_zh else mitigation.action
                lines += _wrap(f"{words['do']}{action}", "          ", "      ")
    else:
        lines.append(words["no_difficulties"])
    if advice.precedents:
        lines.append("")
        lines += _precedent_lines(advice, lang, value_labels)
    if advice.next_questions:
        lines.append("")
        lines.append(words["find_out"])
        for question in advice.next_questions:
            text = (questions or {}).get(question.attribute, question.question)
            lines += _wrap(f"? {question.attribute}: {text}", "    ", "  ")
            labels = (value_labels or {}).get(question.attribute)
            for phrase in answer_effects(question, advice, lang, labels):
                lines += _wrap(phrase, "        ", "      " + words["if"])
            if not question.answers:
                lines.append("      " + words["moves"].format(impact=question.impact))
    lines.append("")
    versions = advice.versions
    lines.append(
        words["versions"].format(knowledge=versions.knowledge, rulebook=versions.rulebook, advisor=versions.advisor)
    )
    return "\n".join(lines) + "\n"


def render_markdown(advice: Advice, lang: str = "en", questions: Any = None) -> str:
    """The advice as a Markdown report (see advisor.report, which renders it from a template
    shared with the HTML report)."""
    from .report import render_markdown as render  # NOTE: lazy: report imports this module

    return render(advice, lang, questions=questions)
