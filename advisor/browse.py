"""Rendering the knowledge base and the rulebook for people browsing them (`advisor modes`,
`advisor mode`, `advisor rules`, `advisor explain`), in any language of the catalogues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .catalogue import value_label, words
from .knowledge import KnowledgeBase, Mode
from .render import citation_lines, precedent_values
from .rulebook import AllOf, AttributeTest, Condition, NotOf, Rule, Rulebook
from .scoring import format_amount, format_duration, format_value
from .texts import LocalText, name_in
from .textwidth import WIDTH, pad, width, wrap

#: attribute -> value -> {lang: label}: how a rule's values read in a language (大型企业 for `large`).
ValueLabels = Mapping[str, Mapping[Any, Mapping[str, str]]]


def _para(text: str, indent: str = "  ") -> list[str]:
    return wrap(text, indent, indent)


def _texts(text: LocalText, lang: str) -> list[str]:
    """A rule text: in English every language, one paragraph each, marked with its code (for
    translators); in another language that language's wording alone."""
    if lang != "en":
        return _para(text.get(lang))
    return [line for code, wording in text.items() for line in wrap(wording, f"  {code}  ", "      ")]


def _bullets(items: list[str]) -> list[str]:
    return [line for item in items for line in wrap(item, "  - ", "    ")]


def _chinese(text_zh: str | list[str], text: str | list[str], lang: str) -> str | list[str]:
    """The Chinese text where asked for and present, else the English."""
    return text_zh if lang == "zh" and text_zh else text


def _pair(record: Any, lang: str) -> str:
    """A record's name in `lang` with the other language's beside it: 技术转让（Technology Transfer）."""
    other = record.name if lang == "zh" else record.name_zh
    return str(words(lang, "browse")["name_pair"].format(name=name_in(record, lang), other=other))


def mode_line(mode: Mode, lang: str = "en") -> str:
    """One line of `advisor modes`: the id, the name and the other language's name."""
    return f"{mode.id:<24} {_pair(mode, lang)}"


def render_mode(mode: Mode, knowledge: KnowledgeBase, lang: str = "en") -> str:
    """A mode in full, for `advisor mode ID`; `lang="zh"` shows the Chinese text where there is one."""
    w = words(lang, "browse")
    other = mode.name if lang == "zh" else mode.name_zh
    title = f"{name_in(mode, lang)}  {other}"
    lines = [title, "=" * min(WIDTH, width(title) + 4), ""]
    lines += [w["representation"], *_para(str(_chinese(mode.representation_zh, mode.representation, lang))), ""]
    lines += [w["features"], *_para(str(_chinese(mode.features_zh, mode.features, lang))), ""]
    lines += [w["suits"], *_bullets(list(_chinese(mode.suits_zh, mode.suits, lang))), ""]
    lines += [w["strengths"], *_bullets(list(_chinese(mode.strengths_zh, mode.strengths, lang))), ""]
    if mode.weaknesses:
        lines += [w["weaknesses"], *_bullets(list(_chinese(mode.weaknesses_zh, mode.weaknesses, lang))), ""]
    if mode.legal_instruments:
        lines.append(w["legal"])
        for instrument in mode.legal_instruments:
            law, other_law = (
                (instrument.law_zh, instrument.law) if lang == "zh" else (instrument.law, instrument.law_zh)
            )
            shown = w["instrument"].format(
                name=name_in(instrument, lang),
                other=instrument.name if lang == "zh" else instrument.name_zh,
                law=law,
                other_law=other_law,
            )
            lines += _bullets([shown])
            note = str(_chinese(instrument.note_zh, instrument.note, lang))
            if note:
                lines += _para(note, "    ")
        lines.append("")
    related = [d for d in knowledge.difficulties.values() if mode.id in d.modes]
    if related:
        lines += [w["difficulties"], *_bullets([f"{_pair(d, lang)} [{d.id}]" for d in related]), ""]
    lines.append(w["source"])
    for citation in mode.citations:
        lines += citation_lines(citation, lang, "  - ", "    ")
    return "\n".join(lines) + "\n"


def _operand(attribute: str, operand: Any, lang: str, labels: ValueLabels | None) -> str:
    w = words(lang, "browse")
    by_value = (labels or {}).get(attribute)
    if isinstance(operand, list):
        return str(w["list_sep"]).join(_operand(attribute, item, lang, labels) for item in operand)
    if isinstance(operand, bool):
        return str(w["true" if operand else "false"])
    if lang != "en" and by_value is not None and isinstance(operand, str) and by_value.get(operand, {}).get(lang):
        return f"{format_value(operand, lang, by_value)}（{operand}）"
    # NOTE: before the float case: 1e7 reads 1000 万元 in Chinese, not 1e+07
    if lang != "en" and attribute == "funding_cny" and isinstance(operand, (int, float)):
        return " " + format_amount(operand, lang)
    if (
        lang != "en"
        and attribute == "duration_months"
        and isinstance(operand, (int, float))
        and operand == int(operand)
    ):
        return " " + format_duration(int(operand), lang)
    if isinstance(operand, float):
        return f"{operand:g}"
    return str(operand)


def describe_condition(
    condition: Condition, depth: int = 0, lang: str = "en", labels: ValueLabels | None = None
) -> list[str]:
    """A condition as indented plain-language lines (in `lang`: the fields by their labels, the
    values by their questionnaire labels)."""
    w = words(lang, "browse")
    pad = "  " * depth
    if isinstance(condition, AttributeTest):
        attr = condition.attr if lang == "en" else value_label(condition.attr, lang)
        if condition.operator == "known":
            return [pad + w["known" if condition.known else "unknown"].format(attr=attr)]
        operand = _operand(condition.attr, condition.operand, lang, labels)
        return [pad + w["test"].format(attr=attr, operator=w["operators"][condition.operator], operand=operand)]
    if isinstance(condition, NotOf):
        return [pad + w["not_of"], *describe_condition(condition.not_, depth + 1, lang, labels)]
    label, parts = (w["all_of"], condition.all) if isinstance(condition, AllOf) else (w["any_of"], condition.any)
    return [pad + label, *[line for part in parts for line in describe_condition(part, depth + 1, lang, labels)]]


def _target(target: str, knowledge: KnowledgeBase, lang: str) -> str:
    record = knowledge.record(target)
    return target if lang == "en" or record is None else name_in(record, lang)


def _effect(rule: Rule, knowledge: KnowledgeBase, lang: str, table: str) -> str:
    effect = rule.effect
    w = words(lang, "browse")
    severity = w["severity"].get(effect.severity, effect.severity) if effect.severity else ""
    return str(
        w[table][effect.kind].format(
            target=_target(effect.target, knowledge, lang), weight=effect.weight, severity=severity
        )
    )


def rule_line(rule: Rule, knowledge: KnowledgeBase, lang: str = "en") -> str:
    """One line of `advisor rules`: id, name and what the rule does."""
    effect = _effect(rule, knowledge, lang, "effects")
    return str(words(lang, "browse")["rule_line"].format(id=rule.id, name=rule.name, effect=effect))


def _case_profile(profile: Mapping[str, Any], lang: str, labels: ValueLabels | None) -> str:
    """A rule case's profile: in English as the rule file gives it ({'existing_result': True}); in
    another language by the fields' and values' labels (（已有成熟成果：是）), as an advice shows a case."""
    if lang == "en":
        return f": {profile}"
    w = words(lang, "browse")
    return str(w["case_profile"]).format(values=precedent_values(profile, lang, labels) or w["case_no_values"])


def render_rule(
    rule: Rule, rulebook: Rulebook, knowledge: KnowledgeBase, lang: str = "en", labels: ValueLabels | None = None
) -> str:
    """One rule in full, for `advisor explain`: what it does, when, its texts, its sources, its cases."""
    w = words(lang, "browse")
    lines = [f"{rule.id}  {rule.name}", ""]
    lines += [w["does"], "  " + _effect(rule, knowledge, lang, "effect_detail"), ""]
    lines += [w["when"], *["  " + line for line in describe_condition(rule.when, 0, lang, labels)], ""]
    lines += [w["message"], *_texts(rule.message, lang), ""]
    lines += [w["why"], *_texts(rule.rationale, lang), ""]
    lines.append(w["rests_on"])
    for knowledge_id in rule.cites:
        record = knowledge.record(knowledge_id)
        if record is None:
            continue
        lines += _bullets([f"{_pair(record, lang)} [{knowledge_id}]"])
        for citation in record.citations[:1]:
            lines += citation_lines(citation, lang, "    ", "    ")
    lines += ["", w["cases"]]
    column = max(width(w["fires"]), width(w["silent"]))
    for case in rule.cases:
        mark = pad(w["fires"] if case.fires else w["silent"], column)
        lines.append(f"  {mark}  {case.name}{_case_profile(case.profile, lang, labels)}")
    lines += ["", w["defined_in"].format(file=rulebook.files[rule.id])]
    return "\n".join(lines) + "\n"
