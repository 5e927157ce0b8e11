"""Rendering the knowledge base and the rulebook for people browsing them (`advisor mode`, `advisor explain`)."""

from __future__ import annotations

from .knowledge import KnowledgeBase, Mode
from .rulebook import AllOf, AttributeTest, Condition, NotOf, Rule, Rulebook
from .texts import LocalText
from .textwidth import WIDTH, wrap

_OPERATOR_TEXT = {
    "eq": "is",
    "ne": "is not",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "in": "is one of",
    "contains": "includes",
}


def _para(text: str, indent: str = "  ") -> list[str]:
    return wrap(text, indent, indent)


def _texts(text: LocalText) -> list[str]:
    """A text in each of its languages, one paragraph each, marked with the language code."""
    return [line for lang, wording in text.items() for line in wrap(wording, f"  {lang}  ", "      ")]


def _bullets(items: list[str]) -> list[str]:
    return [line for item in items for line in wrap(item, "  - ", "    ")]


_HEADINGS = {
    "en": (
        "Representation",
        "Features",
        "Suits",
        "Strengths",
        "Weaknesses",
        "Legal instruments",
        "Documented difficulties",
        "Source",
    ),
    "zh": ("表现形式", "特点分析", "适用情形", "优势", "不足", "法律形式", "已知困难", "出处"),
}


def _chinese(text_zh: str | list[str], text: str | list[str], lang: str) -> str | list[str]:
    """The Chinese text where asked for and present, else the English."""
    return text_zh if lang == "zh" and text_zh else text


def render_mode(mode: Mode, knowledge: KnowledgeBase, lang: str = "en") -> str:
    """A mode in full, for `advisor mode ID`; `lang="zh"` shows the Chinese text where there is one."""
    title = f"{mode.name_zh}  {mode.name}" if lang == "zh" else f"{mode.name}  {mode.name_zh}"
    heading = dict(
        zip(
            ("representation", "features", "suits", "strengths", "weaknesses", "legal", "difficulties", "source"),
            _HEADINGS[lang],
            strict=True,
        )
    )
    lines = [title, "=" * min(WIDTH, len(title) + 4), ""]
    lines += [heading["representation"], *_para(str(_chinese(mode.representation_zh, mode.representation, lang))), ""]
    lines += [heading["features"], *_para(str(_chinese(mode.features_zh, mode.features, lang))), ""]
    lines += [heading["suits"], *_bullets(list(_chinese(mode.suits_zh, mode.suits, lang))), ""]
    lines += [heading["strengths"], *_bullets(list(_chinese(mode.strengths_zh, mode.strengths, lang))), ""]
    if mode.weaknesses:
        lines += [heading["weaknesses"], *_bullets(list(_chinese(mode.weaknesses_zh, mode.weaknesses, lang))), ""]
    if mode.legal_instruments:
        lines.append(heading["legal"])
        for instrument in mode.legal_instruments:
            lines += _bullets([f"{instrument.name_zh} ({instrument.name}) — {instrument.law_zh} / {instrument.law}"])
            if instrument.note:
                lines += _para(instrument.note, "    ")
        lines.append("")
    related = [d for d in knowledge.difficulties.values() if mode.id in d.modes]
    if related:
        names = [
            f"{d.name_zh} ({d.name}) [{d.id}]" if lang == "zh" else f"{d.name} ({d.name_zh}) [{d.id}]" for d in related
        ]
        lines += [heading["difficulties"], *_bullets(names), ""]
    lines.append(heading["source"])
    for citation in mode.citations:
        lines += _bullets([f'{citation.section}: "{citation.quote}"'])
    return "\n".join(lines) + "\n"


def describe_condition(condition: Condition, depth: int = 0) -> list[str]:
    """A condition as indented plain-language lines."""
    pad = "  " * depth
    if isinstance(condition, AttributeTest):
        if condition.operator == "known":
            return [f"{pad}{condition.attr} is {'known' if condition.known else 'unknown'}"]
        operand = condition.operand
        shown = (
            ", ".join(map(str, operand))
            if isinstance(operand, list)
            else str(operand).lower()
            if isinstance(operand, bool)
            else f"{operand:g}"
            if isinstance(operand, float)
            else str(operand)
        )
        return [f"{pad}{condition.attr} {_OPERATOR_TEXT[condition.operator]} {shown}"]
    if isinstance(condition, NotOf):
        return [f"{pad}not (the attribute must be known):", *describe_condition(condition.not_, depth + 1)]
    label, parts = ("all of:", condition.all) if isinstance(condition, AllOf) else ("any of:", condition.any)
    return [f"{pad}{label}", *[line for part in parts for line in describe_condition(part, depth + 1)]]


def render_rule(rule: Rule, rulebook: Rulebook, knowledge: KnowledgeBase) -> str:
    effect = rule.effect
    amount = (
        f", weight {effect.weight}" if effect.weight else f", severity {effect.severity}" if effect.severity else ""
    )
    lines = [f"{rule.id}  {rule.name}", ""]
    lines += ["What it does", f"  {effect.kind} {effect.target}{amount}", ""]
    lines += ["When it fires", *["  " + line for line in describe_condition(rule.when)], ""]
    lines += ["Message", *_texts(rule.message), ""]
    lines += ["Why", *_texts(rule.rationale), ""]
    lines.append("Rests on")
    for knowledge_id in rule.cites:
        record = knowledge.record(knowledge_id)
        if record is None:
            continue
        lines += _bullets([f"{record.name} ({record.name_zh}) [{knowledge_id}]"])
        for citation in record.citations[:1]:
            lines += _para(f'{citation.section}: "{citation.quote}"', "    ")
    lines += ["", "AttributeTest cases"]
    for case in rule.cases:
        lines.append(f"  {'fires' if case.fires else 'silent'}  {case.name}: {case.profile}")
    lines += ["", f"Defined in {rulebook.files[rule.id]}"]
    return "\n".join(lines) + "\n"
