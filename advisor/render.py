"""Rendering advice for people: terminal text and Markdown, from the one Advice model."""

from __future__ import annotations

import textwrap

from .advice import Advice, ModeAssessment, NextQuestion, Reason
from .scoring import format_value

WIDTH = 96
_DECISION_LABEL = {
    "clear": "CLEAR",
    "close_call": "CLOSE CALL",
    "insufficient_information": "INSUFFICIENT INFORMATION",
}


def _wrap(text: str, indent: str, first: str | None = None) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=first if first is not None else indent, subsequent_indent=indent
    ) or [indent.rstrip()]


def _signed(reason: Reason) -> str:
    if reason.effect == "excludes":
        return "excludes"
    sign = "+" if reason.effect == "supports" else "-"
    return f"{sign}{reason.weight}"


def _source(reason: Reason) -> str | None:
    if not reason.citations:
        return None
    quote = reason.citations[0]
    return f'Source: {quote.section}: "{quote.quote}"'


def _answer_text(question: NextQuestion, modes: dict[str, ModeAssessment]) -> str:
    parts = []
    for answer in question.answers[:3]:
        leader = modes[answer.leading_mode].name if answer.leading_mode else "no mode"
        decision = answer.decision.replace("_", " ")
        parts.append(f"{format_value(answer.value)} → {leader} first ({answer.leading_score}, {decision})")
    return "; ".join(parts)


def _featured(advice: Advice) -> list[ModeAssessment]:
    """The modes worth explaining: the leader, and any runner-up that is recommended or close."""
    if not advice.modes:
        return []
    leader = advice.modes[0]
    featured = [leader]
    for mode in advice.modes[1:3]:
        if mode.verdict == "recommended" or (advice.decision == "close_call" and leader.score - mode.score < 10):
            featured.append(mode)
    return featured


def render_text(advice: Advice) -> str:
    """What a person reads in a terminal: decision, ranking, why, difficulties, what to find out."""
    lines: list[str] = []
    label = advice.profile.get("title") or advice.profile.get("id")
    if label:
        lines.append(f"Advice for: {label}")
    lines += _wrap(advice.decision_reason, "  ", f"Decision: {_DECISION_LABEL[advice.decision]}. ")
    lines.append("")
    lines.append("Modes, best first")
    for mode in advice.modes:
        name = f"{mode.name} ({mode.name_zh})"
        lines.append(f"  {mode.rank}. {name:<62} {mode.score:>3}  {mode.verdict}")
    modes_by_id = {mode.id: mode for mode in advice.modes}
    for mode in _featured(advice):
        lines.append("")
        lines.append(f"Why {mode.name} ({mode.score})")
        if not mode.reasons_for and not mode.reasons_against:
            lines.append("  No rule spoke for or against it yet.")
        for reason in mode.reasons_for + mode.reasons_against:
            lines += _wrap(f"{reason.message} [{reason.rule_id}, {_signed(reason)}]", "      ", "  " + ("+ " if reason.effect == "supports" else "- ").ljust(4))
            source = _source(reason)
            if source:
                lines += _wrap(source, "        ", "      ")
    lines.append("")
    if advice.difficulties:
        lines.append("Difficulties to expect, and what to do")
        for flag in advice.difficulties:
            lines.append(f"  ! {flag.severity.upper():<6} {flag.name} ({flag.name_zh})")
            for reason in flag.triggered_by:
                lines += _wrap(f"Seen: {reason.message} [{reason.rule_id}]", "             ", "           ")
            for mitigation in flag.mitigations:
                lines += _wrap(f"Do: {mitigation.action}", "               ", "           ")
    else:
        lines.append("Difficulties to expect: none flagged by the answers given.")
    if advice.next_questions:
        lines.append("")
        lines.append("What else to find out")
        for question in advice.next_questions:
            lines += _wrap(f"? {question.attribute}: {question.question}", "      ", "  ")
            lines += _wrap("If " + _answer_text(question, modes_by_id), "      ", "      ")
    lines.append("")
    versions = advice.versions
    lines.append(f"knowledge {versions.knowledge} · rulebook {versions.rulebook} · advisor {versions.advisor}")
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(advice: Advice) -> str:
    """The advice as a Markdown report, e.g. to attach to a proposal file."""
    out: list[str] = []
    label = advice.profile.get("title") or advice.profile.get("id") or "a planned partnership"
    out.append(f"# Cooperation advice: {label}")
    out.append("")
    out.append(f"**Decision: {_DECISION_LABEL[advice.decision].lower()}.** {advice.decision_reason}")
    out.append("")
    out.append("| rank | mode | score | verdict |")
    out.append("|---:|---|---:|---|")
    for mode in advice.modes:
        out.append(f"| {mode.rank} | {mode.name} ({mode.name_zh}) | {mode.score} | {mode.verdict} |")
    for mode in _featured(advice):
        out.append("")
        out.append(f"## Why {mode.name}")
        out.append("")
        for reason in mode.reasons_for + mode.reasons_against:
            out.append(f"- **{_signed(reason)}** {_md_escape(reason.message)} (`{reason.rule_id}`)")
            if reason.citations:
                quote = reason.citations[0]
                out.append(f"  - *{quote.section}*: “{quote.quote}”")
        if not mode.reasons_for and not mode.reasons_against:
            out.append("- No rule spoke for or against it yet.")
    out.append("")
    out.append("## Difficulties and what to do")
    out.append("")
    if not advice.difficulties:
        out.append("None flagged by the answers given.")
    for flag in advice.difficulties:
        out.append(f"### {flag.name} ({flag.name_zh}) — {flag.severity}")
        out.append("")
        out.append(flag.description)
        out.append("")
        for reason in flag.triggered_by:
            out.append(f"- Seen: {reason.message} (`{reason.rule_id}`)")
        for mitigation in flag.mitigations:
            out.append(f"- **Do — {mitigation.name}:** {mitigation.action}")
        out.append("")
    if advice.next_questions:
        modes_by_id = {mode.id: mode for mode in advice.modes}
        out.append("## What else to find out")
        out.append("")
        for question in advice.next_questions:
            out.append(f"- `{question.attribute}` — {question.question} If {_answer_text(question, modes_by_id)}.")
        out.append("")
    versions = advice.versions
    out.append(f"*knowledge {versions.knowledge} · rulebook {versions.rulebook} · advisor {versions.advisor}*")
    return "\n".join(out) + "\n"
