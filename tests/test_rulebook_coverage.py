"""Everything enumerable in the rule pack is covered: modes, difficulties, attributes, ids."""

from __future__ import annotations

from pathlib import Path

from advisor.checks import check_pack
from advisor.lint import lint_pack
from advisor.profile import ATTRIBUTES
from advisor.rulebook import attribute_tests


def test_the_shipped_pack_has_no_static_problems(shipped):
    assert check_pack(shipped.rulebook, shipped.knowledge) == []


def test_every_mode_has_rules_for_and_against(shipped):
    rules = shipped.rulebook.rules.values()
    for mode in shipped.knowledge.modes:
        assert sum(rule.effect.supports == mode for rule in rules) >= 2, mode
        assert any(mode in (rule.effect.opposes, rule.effect.excludes) for rule in rules), mode


def test_every_difficulty_is_raised_by_some_rule(shipped):
    raised = {rule.effect.raises for rule in shipped.rulebook.rules.values()}
    assert set(shipped.knowledge.difficulties) <= raised


def test_every_profile_attribute_is_read_by_some_rule(shipped):
    read = {test.attr for rule in shipped.rulebook.rules.values() for test in attribute_tests(rule.when)}
    assert set(ATTRIBUTES) - read == set()


def test_every_id_a_rule_names_exists(shipped):
    known = shipped.knowledge.ids()
    for rule in shipped.rulebook.rules.values():
        assert rule.effect.target in known, rule.id
        assert set(rule.cites) <= known, rule.id


def test_rule_ids_carry_their_group(shipped):
    # The groups come from the pack itself: one per rule file, and a mode's file (named for the
    # mode in the knowledge base) groups its rules under the mode's initials.
    groups: dict[str, set[str]] = {}
    for rule_id, file in shipped.rulebook.files.items():
        groups.setdefault(Path(file).stem, set()).add(rule_id[:2])
    assert all(len(prefixes) == 1 for prefixes in groups.values()), groups
    assert len({prefix for prefixes in groups.values() for prefix in prefixes}) == len(groups)
    for mode in shipped.knowledge.modes:
        assert groups.get(mode) == {"".join(word[0] for word in mode.split("_")).upper()}, mode


def test_validate_passes_on_the_shipped_pack_without_warnings():
    report = lint_pack()
    assert report.errors == []
    assert report.warnings == []
