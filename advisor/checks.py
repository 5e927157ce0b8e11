"""Static checks of a rule pack against the profile attributes and the knowledge base."""

from __future__ import annotations

import difflib
import re
import string
import unicodedata
from typing import Any

from pydantic import ValidationError

from .errors import PackProblem
from .knowledge import KnowledgeBase
from .profile import ATTRIBUTES, Profile
from .rulebook import ORDERING_OPERATORS, AttributeTest, Rule, Rulebook, attribute_tests
from .scoring import QUANTITY_PLACEHOLDERS, format_value, render_message
from .texts import FALLBACK

_NUMERIC = ("integer", "number")
MAX_MESSAGE_LENGTH = 1_000
MAX_FIELD_WIDTH = 100
# The format a placeholder may carry: values reach the template already written as text, so only
# a string format applies: [[fill]align][width][.precision][s].
_TEXT_FORMAT = re.compile(r"(?:.?[<>^])?(?P<width>\d*)(?:\.(?P<precision>\d+))?s?", re.DOTALL)


def _value_problem(test: AttributeTest, value: object) -> str | None:
    spec = ATTRIBUTES[test.attr]
    if spec.kind in _NUMERIC:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{test.attr} is {spec.kind}; {value!r} is not a number"
        if spec.kind == "integer" and not float(value).is_integer() and test.operator in ("eq", "ne", "in"):
            return f"{test.attr} is an integer; it can never equal {value!r}"
        return None
    if spec.kind == "boolean":
        return None if isinstance(value, bool) else f"{test.attr} is true/false; {value!r} is not"
    if value not in spec.choices:
        return f"{value!r} is not a value of {test.attr} (allowed: {', '.join(spec.choices)})"
    return None


def check_test(test: AttributeTest) -> list[str]:
    """Problems with one attribute test: unknown attribute, operator unfit for it, wrong values."""
    spec = ATTRIBUTES.get(test.attr)
    if spec is None:
        close = difflib.get_close_matches(test.attr, list(ATTRIBUTES), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"profile attributes: {', '.join(ATTRIBUTES)}"
        return [f"unknown attribute {test.attr!r}; {hint}"]
    op = test.operator
    if op == "known":
        return []
    if op in ORDERING_OPERATORS and spec.kind not in _NUMERIC:
        return [f"'{op}' compares numbers, but {test.attr} is {spec.kind}"]
    if op == "contains" and spec.kind != "list":
        return [f"'contains' tests list attributes, but {test.attr} is {spec.kind}; use eq or in"]
    if op != "contains" and spec.kind == "list":
        return [f"{test.attr} is a list; test it with 'contains' or 'known', not '{op}'"]
    values = test.operand if op == "in" else [test.operand]
    return [problem for value in values if (problem := _value_problem(test, value))]


def _sample_value(name: str) -> Any:
    spec = ATTRIBUTES[name]
    if spec.kind == "boolean":
        return True
    if spec.kind == "list":
        return list(spec.choices)
    if spec.kind in _NUMERIC:
        return spec.maximum if spec.maximum is not None else 10**12
    return max(spec.choices, key=len)


def _did_you_mean(name: str) -> str:
    close = difflib.get_close_matches(name, [*ATTRIBUTES, *QUANTITY_PLACEHOLDERS], n=1)
    return f"; did you mean {{{close[0]}}}?" if close else ""


def check_message(rule: Rule) -> list[str]:
    """Problems with a rule's message templates, one per language, found by compiling each as the
    advice will (see `check_template`). A problem in a translation names its language."""
    read = set(rule.attributes())
    problems = [
        problem
        for part, text in (("message", rule.message), ("rationale", rule.rationale))
        for lang, wording in text.items()
        for problem in _text_problems(part if lang == FALLBACK else f"{part} ({lang})", wording)
    ]
    if problems:
        return problems
    return [
        problem
        for lang, template in rule.message.items()
        for problem in check_template(template, read, "message" if lang == FALLBACK else f"message ({lang})")
    ]


def check_template(message: str, read: set[str], label: str = "message") -> list[str]:
    """Problems with one message template.

    NOTE: a placeholder receives the attribute's value already written as text ("36", "1,200,000",
    "yes", "enterprise, government"), or "unknown". So a placeholder is a plain attribute name the
    rule reads, or a quantity placeholder (QUANTITY_PLACEHOLDERS: `{duration}`, "3 years") of an
    attribute the rule reads, with no conversion and at most a text format (alignment, a width up
    to 100): `{duration_months:d}` fails on the text "36", and `{x:>300000000}` would write 300 MB.
    """
    if len(message) > MAX_MESSAGE_LENGTH:
        return [f"{label} has {len(message):,} characters; at most {MAX_MESSAGE_LENGTH:,} are allowed"]
    try:
        parts = list(string.Formatter().parse(message))
    except ValueError as error:
        return [f"{label} is not a valid template: {error} (write a literal brace as {{{{ or }}}})"]
    problems = []
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        shown = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if not field.isidentifier():
            problems.append(
                f"{label} placeholder {shown} is not an attribute name: write the attribute, e.g. "
                f"{{{sorted(read)[0] if read else 'duration_months'}}}"
            )
            continue
        if field not in ATTRIBUTES and field not in QUANTITY_PLACEHOLDERS:
            problems.append(f"{label} uses {shown}, which is not a profile attribute{_did_you_mean(field)}")
            continue
        if _attribute_of(field) not in read:
            problems.append(
                f"{label} uses {{{field}}}, which the rule does not read (it reads {', '.join(sorted(read))})"
            )
        if conversion is not None:
            problems.append(
                f"{label} placeholder {shown} has the conversion '!{conversion}'; placeholders take none "
                f"(the value is written as the profile shows it): {{{field}}}"
            )
        if spec:
            problems += _format_problems(field, spec, shown, label)
    if problems:
        return problems
    values = {name: format_value(_sample_value(name)) for name in read if name in ATTRIBUTES}
    values |= {
        name: write(_sample_value(attribute), FALLBACK)
        for name, (attribute, write) in QUANTITY_PLACEHOLDERS.items()
        if attribute in read
    }
    for sample in (values, {}):
        try:
            render_message(message, sample)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
            return [f"{label} cannot be written: {error}"]
    return []


def _attribute_of(field: str) -> str:
    """The profile attribute a placeholder writes: itself, or a quantity placeholder's attribute."""
    quantity = QUANTITY_PLACEHOLDERS.get(field)
    return quantity[0] if quantity is not None else field


def _text_problems(field: str, text: str) -> list[str]:
    """A lone surrogate or a control character cannot be written to JSON, a terminal or a sheet."""
    for position, character in enumerate(text):
        category = unicodedata.category(character)
        if category == "Cs" or (category == "Cc" and character not in "\n\t"):
            return [f"{field} holds the character {character!r} at position {position + 1}, which cannot be written"]
    return []


def _format_problems(field: str, spec: str, shown: str, label: str = "message") -> list[str]:
    match = _TEXT_FORMAT.fullmatch(spec)
    if "{" in spec or match is None:
        return [
            f"{label} placeholder {shown} has the format ':{spec}', which text cannot take: {{{field}}} "
            f"is written as text (e.g. '36' or '1,200,000'); only alignment and a width up to "
            f"{MAX_FIELD_WIDTH} are allowed, e.g. {{{field}:>12}}"
        ]
    for part in ("width", "precision"):
        number = match.group(part)
        if number and int(number) > MAX_FIELD_WIDTH:
            return [f"{label} placeholder {shown} has a {part} of {int(number):,}; at most {MAX_FIELD_WIDTH}"]
    return []


def check_rule(rule: Rule, knowledge: KnowledgeBase) -> list[str]:
    problems = [problem for test in attribute_tests(rule.when) for problem in check_test(test)]
    effect = rule.effect
    if effect.kind == "raises":
        if effect.target not in knowledge.difficulties:
            problems.append(f"raises unknown difficulty {effect.target!r} (known: {', '.join(knowledge.difficulties)})")
    elif effect.target not in knowledge.modes:
        problems.append(f"{effect.kind} unknown mode {effect.target!r} (known: {', '.join(knowledge.modes)})")
    known_ids = knowledge.ids()
    problems += [f"cites unknown knowledge id {cited!r}" for cited in rule.cites if cited not in known_ids]
    problems += check_message(rule)
    for case in rule.cases:
        try:
            Profile.model_validate(case.profile)
        except ValidationError as error:
            details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False))
            problems.append(f"case {case.name!r} has an invalid profile: {details}")
    names = [case.name for case in rule.cases]
    problems += [f"case name {name!r} is used twice" for name in sorted({n for n in names if names.count(n) > 1})]
    return problems


def check_pack(rulebook: Rulebook, knowledge: KnowledgeBase) -> list[PackProblem]:
    """Every static problem of a pack, each naming the file and rule."""
    return [
        PackProblem(rulebook.files[rule_id], rule_id, problem)
        for rule_id, rule in rulebook.rules.items()
        for problem in check_rule(rule, knowledge)
    ]
