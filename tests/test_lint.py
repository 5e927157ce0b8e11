"""`advisor validate` on broken rule packs: every problem is found and named precisely."""

from __future__ import annotations

import shutil
import textwrap

import pytest
from click.testing import CliRunner

from advisor.cli import EXIT_PACK, cli
from advisor.lint import lint_pack
from advisor.paths import default_rules_dir
from advisor.rulebook import load_rulebook

GOOD_RULE = """
  - id: ZZ001
    name: test.rule
    when: {attr: duration_months, gte: 24}
    effect: {supports: technology_service, weight: 10}
    message: "Runs {duration_months} months."
    rationale: "For the test."
    cites: [technology_service]
    cases:
      - {name: fires, profile: {duration_months: 30}, fires: true}
      - {name: silent, profile: {duration_months: 3}, fires: false}
"""


@pytest.fixture
def pack(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    return rules


def add_rules(pack, text: str, name: str = "zz_extra.yml"):
    (pack / name).write_text(
        "rules:\n" + textwrap.dedent(text).strip("\n").replace("\n", "\n") + "\n", encoding="utf-8"
    )
    return str(pack / name)


def messages(report) -> list[str]:
    return [problem.describe() for problem in report.errors]


def test_the_good_rule_is_fine(pack):
    add_rules(pack, GOOD_RULE)
    report = lint_pack(pack)
    assert report.ok, messages(report)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("attr: duration_months, gte: 24", "attr: duraton_months, gte: 24"),
            "[ZZ001]: unknown attribute 'duraton_months'",
        ),
        (
            ("attr: duration_months, gte: 24", "attr: duration_months, gte: long"),
            "[ZZ001]: when.test.gte: Input should be a valid number",
        ),
        (
            ("attr: duration_months, gte: 24", "attr: enterprise_size, eq: huge"),
            "[ZZ001]: 'huge' is not a value of enterprise_size",
        ),
        (
            ("attr: duration_months, gte: 24", "attr: enterprise_size, gt: 3"),
            "[ZZ001]: 'gt' compares numbers, but enterprise_size is choice",
        ),
        (
            ("attr: duration_months, gte: 24", "attr: funding_sources, eq: enterprise"),
            "[ZZ001]: funding_sources is a list; test it with 'contains'",
        ),
        (("supports: technology_service", "supports: joint_venture"), "[ZZ001]: supports unknown mode 'joint_venture'"),
        (("cites: [technology_service]", "cites: [nowhere]"), "[ZZ001]: cites unknown knowledge id 'nowhere'"),
        (
            ("Runs {duration_months} months.", "Runs {scope}."),
            "[ZZ001]: message uses {scope}, which the rule does not read",
        ),
        (
            ("weight: 10}", "weight: 500}"),
            "[ZZ001]: effect.weight: Input should be less than or equal to 100 (got 500)",
        ),
        (("weight: 10}", "}"), "a 'supports' effect needs a weight"),
        (("id: ZZ001", "id: zz1"), "[zz1]: id: String should match pattern '^[A-Z]{2}[0-9]{3}$' (got 'zz1')"),
        (("fires: true}\n", "fires: false}\n"), "[ZZ001]: needs test cases: at least one on which it fires"),
        (
            ("{duration_months: 30}, fires: true", "{duration_months: 3}, fires: true"),
            "[ZZ001]: case 'fires' expects the rule to fire, but it does not fire",
        ),
        (
            (
                "attr: duration_months, gte: 24}",
                "all: [{attr: duration_months, gt: 24}, {attr: duration_months, lt: 12}]}",
            ),
            "[ZZ001]: can never fire",
        ),
    ],
    ids=[
        "unknown-attribute",
        "wrong-value-type",
        "bad-enum-member",
        "ordering-on-choice",
        "eq-on-list",
        "unknown-mode",
        "unknown-citation",
        "bad-placeholder",
        "weight-out-of-range",
        "missing-weight",
        "bad-id",
        "no-firing-case",
        "failing-case",
        "never-fires",
    ],
)
def test_each_problem_is_named_with_file_and_rule(pack, change, expected):
    old, new = change
    assert old in GOOD_RULE
    path = add_rules(pack, GOOD_RULE.replace(old, new))
    report = lint_pack(pack)
    assert not report.ok
    assert any(message.startswith(path) and expected in message for message in messages(report)), messages(report)


def test_duplicate_ids_name_both_files(pack):
    add_rules(pack, GOOD_RULE, "zz_a.yml")
    add_rules(pack, GOOD_RULE, "zz_b.yml")
    report = lint_pack(pack)
    assert any(
        "zz_b.yml [ZZ001]: duplicate rule id (first defined in" in m and "zz_a.yml" in m for m in messages(report)
    )


def test_malformed_yaml_names_the_line(pack):
    (pack / "zz_bad.yml").write_text("rules:\n  - id: ZZ001\n    when: {attr: [\n", encoding="utf-8")
    report = lint_pack(pack)
    assert any("zz_bad.yml: malformed YAML at line" in m for m in messages(report)), messages(report)


def test_a_mode_no_rule_can_recommend(pack):
    for path in pack.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        if "supports: technology_service" in text:
            # drop every rule supporting the mode by renaming the effect to an opposition
            path.write_text(
                text.replace("supports: technology_service", "opposes: technology_service"), encoding="utf-8"
            )
    report = lint_pack(pack)
    assert any("no rule can recommend mode 'technology_service'" in m for m in messages(report)), messages(report)


def test_missing_pack_file(pack):
    (pack / "pack.yml").unlink()
    report = lint_pack(pack)
    assert any("pack.yml: missing" in m for m in messages(report))


def test_validate_command_exits_non_zero_with_the_messages(pack):
    add_rules(pack, GOOD_RULE.replace("attr: duration_months, gte: 24", "attr: duraton_months, gte: 24"))
    result = CliRunner().invoke(cli, ["validate", "--rules", str(pack)])
    assert result.exit_code == EXIT_PACK
    assert "error: " in result.stderr and "unknown attribute 'duraton_months'" in result.stderr
    assert "failed: " in result.stderr


def test_a_broken_rule_hides_neither_other_problems_nor_the_good_rules(pack):
    add_rules(pack, GOOD_RULE.replace("weight: 10}", "}"), "zz_broken.yml")
    add_rules(
        pack,
        GOOD_RULE.replace("ZZ001", "ZZ002").replace("attr: duration_months, gte: 24", "attr: duraton_months, gte: 24"),
        "zz_other.yml",
    )
    report = lint_pack(pack)
    found = messages(report)
    assert any("zz_broken.yml [ZZ001]: effect: a 'supports' effect needs a weight" in m for m in found), found
    assert any(
        "zz_other.yml [ZZ002]: unknown attribute 'duraton_months'; did you mean 'duration_months'?" in m for m in found
    ), found
    assert report.rules == len(load_rulebook(default_rules_dir()).rules) + 1  # the shipped ones and ZZ002


# -- a linter that cannot be fooled (issue 12, rows 11, 12, 14): what validate passes, advise loads --


def _deep_condition(levels: int) -> str:
    condition = "{attr: duration_months, gte: 24}"
    for level in range(levels):
        condition = f"{{{'all' if level % 2 else 'any'}: [{condition}]}}"
    return condition


UNUSABLE_PACKS = {
    "positional-placeholder": (("Runs {duration_months} months.", "Runs {} months."), "placeholder {} is not"),
    "numeric-format-on-text": (
        ("Runs {duration_months} months.", "Runs {duration_months:d} months."),
        "has the format ':d', which text cannot take",
    ),
    "unknown-conversion": (
        ("Runs {duration_months} months.", "Runs {duration_months!z} months."),
        "has the conversion '!z'",
    ),
    "huge-width": (
        ("Runs {duration_months} months.", "Runs {duration_months:>300000000} months."),
        "has a width of 300,000,000; at most 100",
    ),
    "nested-format": (
        ("Runs {duration_months} months.", "Runs {duration_months:{scope}} months."),
        "which text cannot take",
    ),
    "unknown-field": (
        ("Runs {duration_months} months.", "Runs {duraton_months} months."),
        "message uses {duraton_months}, which is not a profile attribute; did you mean {duration_months}?",
    ),
    "attribute-access": (("Runs {duration_months} months.", "Runs {duration_months.real}."), "is not an attribute"),
    "lone-brace": (("Runs {duration_months} months.", "Runs } months."), "message is not a valid template"),
    "control-character": (
        ('rationale: "For the test."', 'rationale: "For the\\x01 test."'),
        "rationale holds the character '\\x01' at position 8",
    ),
    "nested-300-deep": (
        ("when: {attr: duration_months, gte: 24}", f"when: {_deep_condition(300)}"),
        "when: conditions nest deeper than 8 levels of all/any/not",
    ),
    "too-many-tests": (
        (
            "when: {attr: duration_months, gte: 24}",
            "when: {any: [" + ", ".join(f"{{attr: duration_months, gte: {n}}}" for n in range(1, 42)) + "]}",
        ),
        "when: the condition has 41 attribute tests; at most 40 are allowed",
    ),
}


@pytest.mark.parametrize("name", list(UNUSABLE_PACKS))
def test_validate_rejects_what_advise_cannot_use(pack, tmp_path, name):
    (old, new), expected = UNUSABLE_PACKS[name]
    assert old in GOOD_RULE
    path = add_rules(pack, GOOD_RULE.replace(old, new))
    report = lint_pack(pack)
    assert any(m.startswith(path) and "[ZZ001]" in m and expected in m for m in messages(report)), messages(report)
    # The same check guards loading: advise --rules exits 1 with the message, never 70.
    profile = tmp_path / "profile.json"
    profile.write_text('{"duration_months": 30}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["advise", "--rules", str(pack), str(profile)])
    assert result.exit_code == EXIT_PACK, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_every_message_that_validate_passes_renders(pack, tmp_path):
    """Allowed formats (alignment, a modest width) pass validate and render in advise."""
    rule = GOOD_RULE.replace("Runs {duration_months} months.", "Runs {duration_months:>8} months, {{braces}}.")
    add_rules(pack, rule)
    assert lint_pack(pack).ok
    from advisor.core import Advisor

    advice = Advisor(rules_dir=pack).advise({"duration_months": 30})
    reasons = [r for mode in advice.modes for r in mode.reasons_for if r.rule_id == "ZZ001"]
    assert reasons[0].message == "Runs       30 months, {braces}."


def test_too_many_rules_is_a_clear_limit(pack, monkeypatch):
    import advisor.rulebook as rulebook

    monkeypatch.setattr(rulebook, "MAX_RULES", 50)
    report = lint_pack(pack)
    count = len(load_rulebook.__wrapped__(pack).rules) if hasattr(load_rulebook, "__wrapped__") else None
    assert any("rules; at most 50 are allowed" in m for m in messages(report)), (count, messages(report))


def test_a_yaml_file_nested_beyond_the_stack_is_a_message(pack):
    (pack / "zz_deep.yml").write_text("rules: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    report = lint_pack(pack)
    # libyaml names the depth it refuses; the pure-Python loader runs out of stack instead
    found = [m for m in messages(report) if "zz_deep.yml" in m]
    assert found and all("nest" in m for m in found), messages(report)


def test_a_lone_surrogate_in_a_message_is_refused():
    """libyaml already refuses "\\ud800" escapes; the check covers packs read by other loaders."""
    from advisor.checks import check_message
    from advisor.texts import LocalText

    rule = next(iter(load_rulebook(default_rules_dir()).rules.values()))
    # NOTE: model_copy does not validate, so the message is given as the LocalText a rule holds.
    problems = check_message(rule.model_copy(update={"message": LocalText.model_validate("Runs \ud800 long.")}))
    assert problems == ["message holds the character '\\ud800' at position 6, which cannot be written"]
    assert check_message(rule) == []


@pytest.mark.parametrize(
    ("where", "old", "new"),
    [
        ("pack.yml", "points_per_weight: 0.5", "points_per_weight: .inf"),
        ("zz_extra.yml", "attr: duration_months, gte: 24", "attr: duration_months, gte: .nan"),
    ],
)
def test_infinite_and_nan_numbers_are_refused_before_they_reach_the_engine(pack, tmp_path, where, old, new):
    add_rules(pack, GOOD_RULE)
    path = pack / where
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    assert any("Input should be a finite number" in m for m in messages(lint_pack(pack))), messages(lint_pack(pack))
    profile = tmp_path / "profile.json"
    profile.write_text('{"duration_months": 30}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["advise", "--rules", str(pack), str(profile)])
    assert result.exit_code == EXIT_PACK, result.output
