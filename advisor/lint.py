"""Linting a rule pack: schema and reference checks, then checks that run the rules through the engine."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import check_pack
from .engine import RuleEngine
from .errors import PackProblem, RulePackError
from .knowledge import KnowledgeBase, load_knowledge
from .paths import default_knowledge_dir, default_rules_dir
from .profile import ATTRIBUTES, Profile
from .rulebook import Rulebook, attribute_tests, gc_paused, read_rulebook
from .scoring import Scorer
from .texts import FALLBACK, LANGS
from .whatif import WhatIf, can_fire, combination_count

# Rules reading more attributes than this many combinations are checked on their cases only.
_MAX_COMBINATIONS = 20000


@dataclass
class LintReport:
    errors: list[PackProblem] = field(default_factory=list)
    warnings: list[PackProblem] = field(default_factory=list)
    rules: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def lint_pack(rules_dir: Path | str | None = None, knowledge_dir: Path | str | None = None) -> LintReport:
    """Every problem of a rule pack against a knowledge base; never raises on a broken pack."""
    with gc_paused():  # NOTE: see gc_paused: half the time of a big pack was the collector's
        return _lint_pack(rules_dir, knowledge_dir)


def _lint_pack(rules_dir: Path | str | None, knowledge_dir: Path | str | None) -> LintReport:
    report = LintReport()
    try:
        knowledge = load_knowledge(knowledge_dir or default_knowledge_dir())
    except RulePackError as error:
        report.errors += error.problems
        return report
    rulebook, problems = read_rulebook(rules_dir or default_rules_dir())
    report.errors += problems
    if rulebook is None:
        return report
    report.rules = len(rulebook.rules)
    report.errors += check_pack(rulebook, knowledge)
    # NOTE: a missing translation is a warning, not an error: the text falls back to English and
    # a pack written in one language still works; the shipped pack is held to no warnings by a test.
    report.warnings += _check_languages(rulebook) + _check_knowledge_languages(knowledge)
    if report.errors:
        return report  # the engine checks below need a pack that compiles sensibly
    try:
        # Compiled exactly as Advisor compiles it (the main engine and the what-if's rulesets), so
        # a pack that passes here cannot fail to load in `advise`.
        engine = RuleEngine(rulebook)
        what_if = WhatIf(rulebook, Scorer(rulebook, knowledge))
    except RulePackError as error:
        report.errors += error.problems
        return report
    shown_to_fire = _check_cases(rulebook, engine, report)
    satisfiable = _check_satisfiable(rulebook, engine, what_if.candidates, shown_to_fire, report)
    _check_coverage(rulebook, knowledge, satisfiable, report)
    return report


def _check_languages(rulebook: Rulebook) -> list[PackProblem]:
    """Every rule's message and rationale in every language, with the same placeholders in each."""
    problems = []
    for rule_id, rule in rulebook.rules.items():
        where = rulebook.files[rule_id]
        for part, text in (("message", rule.message), ("rationale", rule.rationale)):
            problems += [
                PackProblem(where, rule_id, f"{part} has no {lang!r} text (write it as {{{', '.join(LANGS)}}})")
                for lang in text.missing()
            ]
        placeholders = {lang: sorted(set(_placeholder_names(message))) for lang, message in rule.message.items()}
        english = placeholders.get(FALLBACK, [])
        problems += [
            PackProblem(
                where, rule_id, f"message ({lang}) uses {names or 'no placeholders'}, the {FALLBACK!r} one {english}"
            )
            for lang, names in placeholders.items()
            if names != english
        ]
    return problems


def _check_knowledge_languages(knowledge: KnowledgeBase) -> list[PackProblem]:
    """Every knowledge text given in English has its other languages too (legal notes included)."""
    problems = []
    for table in (knowledge.modes, knowledge.difficulties, knowledge.mitigations, knowledge.context):
        for record_id, record in table.items():
            where = knowledge.files.get(record_id, knowledge.directory)
            missing = record.missing_languages()
            for number, instrument in enumerate(getattr(record, "legal_instruments", []), start=1):
                missing += [
                    (f"legal_instruments[{number}].{name}", lang) for name, lang in instrument.missing_languages()
                ]
            problems += [
                PackProblem(where, record_id, f"{name} has no {lang!r} text (write it as {{{', '.join(LANGS)}}})")
                for name, lang in missing
            ]
    return problems


def _placeholder_names(template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError:
        return []  # reported by check_rule as an invalid template


def _check_cases(rulebook: Rulebook, engine: RuleEngine, report: LintReport) -> set[str]:
    """Run every rule's cases through the engine; the rules that fired on one of their cases."""
    shown_to_fire = set()
    for rule_id, rule in rulebook.rules.items():
        where = rulebook.files[rule_id]
        if not any(case.fires for case in rule.cases) or all(case.fires for case in rule.cases):
            report.errors.append(
                PackProblem(
                    where, rule_id, "needs test cases: at least one on which it fires and one on which it does not"
                )
            )
        for case in rule.cases:
            fired = engine.fires(Profile.model_validate(case.profile).known(), rule_id)
            if fired:
                shown_to_fire.add(rule_id)
            if fired != case.fires:
                expected = "fire" if case.fires else "not fire"
                report.errors.append(
                    PackProblem(
                        where,
                        rule_id,
                        f"case {case.name!r} expects the rule to {expected}, "
                        f"but it does {'not ' if not fired else ''}fire",
                    )
                )
    return shown_to_fire


def _check_satisfiable(
    rulebook: Rulebook,
    engine: RuleEngine,
    candidates: Mapping[str, list[Any]],
    shown_to_fire: set[str],
    report: LintReport,
) -> set[str]:
    """The rules some profile makes fire: those a case showed firing, else found by searching
    every class of answers to what they read (`candidates`: the what-if's `candidate_answers`)."""
    satisfiable = set(shown_to_fire)
    for rule_id, rule in rulebook.rules.items():
        if rule_id in satisfiable:
            continue
        attributes = rule.attributes()
        if combination_count(candidates, attributes) > _MAX_COMBINATIONS:
            report.warnings.append(
                PackProblem(
                    rulebook.files[rule_id],
                    rule_id,
                    "too many combinations to prove it can fire, and no firing case shows it",
                )
            )
            satisfiable.add(rule_id)
            continue
        if can_fire(engine, rule_id, attributes, candidates):
            satisfiable.add(rule_id)
        else:
            report.errors.append(
                PackProblem(rulebook.files[rule_id], rule_id, "can never fire: no profile satisfies its condition")
            )
    return satisfiable


def _check_coverage(rulebook: Rulebook, knowledge: Any, satisfiable: set[str], report: LintReport) -> None:
    policy = rulebook.meta.scoring
    where = rulebook.directory
    for mode_id in knowledge.modes:
        supports = [r for r in rulebook.rules.values() if r.effect.supports == mode_id and r.id in satisfiable]
        if not supports:
            report.errors.append(
                PackProblem(where, None, f"no rule can recommend mode {mode_id!r}: no satisfiable rule supports it")
            )
            continue
        best = 50 + policy.points_per_weight * sum(rule.effect.weight or 0 for rule in supports)
        if best < policy.recommended:
            report.errors.append(
                PackProblem(
                    where,
                    None,
                    f"mode {mode_id!r} can never be recommended: all its support together "
                    f"scores {best:g} < {policy.recommended:g}",
                )
            )
        if not any(r.effect.opposes == mode_id or r.effect.excludes == mode_id for r in rulebook.rules.values()):
            report.warnings.append(PackProblem(where, None, f"no rule speaks against mode {mode_id!r}"))
    raised = {r.effect.raises for r in rulebook.rules.values()}
    for difficulty_id in knowledge.difficulties:
        if difficulty_id not in raised:
            report.warnings.append(PackProblem(where, None, f"no rule raises difficulty {difficulty_id!r}"))
    read = {test.attr for rule in rulebook.rules.values() for test in attribute_tests(rule.when)}
    for name in ATTRIBUTES:
        if name not in read:
            report.warnings.append(PackProblem(where, None, f"no rule reads profile attribute {name!r}"))
