"""Rendering advice for people: terminal text and Markdown, from the one Advice model."""

from __future__ import annotations

from .advice import Advice, ModeAssessment, NextQuestion, Reason
from .scoring import format_value
from .textwidth import pad, width, wrap

_NAME_COLUMN = 58
_DECISION_LABEL = {
    "clear": "CLEAR",
    "close_call": "CLOSE CALL",
    "insufficient_information": "INSUFFICIENT INFORMATION",
}


def _wrap(text: str, indent: str, first: str | None = None) -> list[str]:
    return wrap(text, first if first is not None else indent, indent)


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


def answer_effects(question: NextQuestion, advice: Advice) -> list[str]:
    """Each what-if answer as a phrase: 'university: Technology Equity would lead (78)'."""
    names = {mode.id: mode.name for mode in advice.modes}
    phrases = []
    for answer in question.answers[:3]:
        value = format_value(answer.value)
        decision = answer.decision.replace("_", " ")
        if answer.leading_mode != advice.leading_mode:
            leader = names.get(answer.leading_mode or "", "no mode")
            phrases.append(f"{value}: {leader} would lead ({answer.leading_score}; {decision})")
        else:
            phrases.append(f"{value}: the decision would become {decision}")
    return phrases


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


def render_text(advice: Advice) -> str:
    """What a person reads in a terminal: decision, ranking, why, difficulties, what to find out."""
    lines: list[str] = []
    label = advice.profile.get("title") or advice.profile.get("id")
    if label:
        lines += _wrap(f"Advice for: {label}", "  ", "")
    lines += _wrap(advice.decision_reason, "  ", f"Decision: {_DECISION_LABEL[advice.decision]}. ")
    lines.append("")
    lines.append(pad("Modes, best first", _NAME_COLUMN) + " score  verdict")
    for mode in advice.modes:
        label = f"  {mode.rank}. {mode.name} ({mode.name_zh})"
        if width(label) > _NAME_COLUMN:  # a long name gets a line of its own
            lines.append(label)
            label = ""
        lines.append(f"{pad(label, _NAME_COLUMN)} {mode.score:>5}  {mode.verdict}")
    for mode in _featured(advice):
        lines.append("")
        lines.append(f"Why {mode.name} ({mode.score})")
        if not mode.reasons_for and not mode.reasons_against:
            lines.append("  No rule spoke for or against it yet.")
        for reason in mode.reasons_for + mode.reasons_against:
            marker = "+" if reason.effect == "supports" else "-"
            lines += _wrap(f"{reason.message} [{reason.rule_id} {_signed(reason)}]", "    ", f"  {marker} ")
        sources = _sources(mode.reasons_for + mode.reasons_against)
        if sources:
            lines.append("  Sources:")
            for source in sources:
                lines += _wrap(source, "      ", "    ")
    lines.append("")
    if advice.difficulties:
        lines.append("Difficulties to expect, and what to do")
        for flag in advice.difficulties:
            lines.append(f"  ! {flag.severity.upper()}: {flag.name} ({flag.name_zh})")
            for reason in flag.triggered_by:
                lines += _wrap(f"Seen: {reason.message} [{reason.rule_id}]", "          ", "      ")
            for mitigation in flag.mitigations:
                lines += _wrap(f"Do: {mitigation.action}", "          ", "      ")
    else:
        lines.append("Difficulties to expect: none flagged by the answers given.")
    if advice.next_questions:
        lines.append("")
        lines.append("What else to find out")
        for question in advice.next_questions:
            lines += _wrap(f"? {question.attribute}: {question.question}", "    ", "  ")
            for phrase in answer_effects(question, advice):
                lines += _wrap(phrase, "        ", "      if ")
            if not question.answers:
                lines.append(f"      (an answer can move scores by up to {question.impact} points)")
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
        out.append("## What else to find out")
        out.append("")
        for question in advice.next_questions:
            effects = "; ".join(answer_effects(question, advice))
            consequence = (
                f"If {effects}." if effects else f"An answer can move scores by up to {question.impact} points."
            )
            out.append(f"- `{question.attribute}` — {question.question} {consequence}")
        out.append("")
    versions = advice.versions
    out.append(f"*knowledge {versions.knowledge} · rulebook {versions.rulebook} · advisor {versions.advisor}*")
    return "\n".join(out) + "\n"
