"""Static checks of a rule pack against the profile attributes and the knowledge base."""

from __future__ import annotations

import difflib
import string

from pydantic import ValidationError

from .errors import PackProblem
from .knowledge import KnowledgeBase
from .profile import ATTRIBUTES, Profile
from .rulebook import ORDERING_OPERATORS, AttributeTest, Rule, Rulebook, attribute_tests

_NUMERIC = ("integer", "number")


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


def _placeholders(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


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
    read = set(rule.attributes())
    for lang, message in rule.message.items():
        try:
            fields = _placeholders(message)
        except ValueError as error:
            problems.append(f"message ({lang}) is not a valid template: {error}")
            fields = []
        problems += [
            f"message ({lang}) uses {{{field}}}, which the rule does not read (it reads {', '.join(sorted(read))})"
            for field in fields
            if field not in read
        ]
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
