"""Big packs through durable-rules: long `in:` lists, packs split across rulesets, the engine's limits.

Issue 12, rows 13, 15 and 18: a 500-value list hung create_ruleset; 5,000 rules failed with a bare
"error code: 106". Each test here compares the engine with the plain-Python oracle (tests/oracle.py).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import oracle
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from profiles import random_profile

import advisor.engine as engine_module
import advisor.whatif as whatif_module
from advisor.cli import EXIT_PACK, cli
from advisor.core import Advisor, validate_profile
from advisor.engine import RuleEngine, explain_engine_error
from advisor.errors import RulePackError
from advisor.lint import lint_pack
from advisor.paths import default_rules_dir
from advisor.profile import ATTRIBUTES
from advisor.rulebook import AttributeTest, load_rulebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_pack import write_long_list_pack, write_synthetic_pack  # noqa: E402


def _write_rules(directory: Path, rules: list[tuple[str, str]]) -> Path:
    """A pack of (id, condition) rules that all support one mode."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pack.yml").write_text("name: test\nversion: '1'\n", encoding="utf-8")
    lines = ["rules:"]
    for rule_id, condition in rules:
        lines += [
            f"  - id: {rule_id}",
            f"    name: test.{rule_id.lower()}",
            f"    when: {condition}",
            "    effect: {supports: technology_transfer, weight: 1}",
            "    message: test",
            "    rationale: test",
            "    cites: [technology_transfer]",
        ]
    (directory / "rules.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def _profiles(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [validate_profile(random_profile(rng, density=0.6)).known() for _ in range(count)]


def test_split_and_unsplit_packs_fire_the_same_rules(monkeypatch):
    rulebook = load_rulebook(default_rules_dir())
    whole = RuleEngine(rulebook)
    assert whole.rulesets == 1
    monkeypatch.setattr(engine_module, "MAX_RULES_PER_RULESET", 7)
    split = RuleEngine(rulebook)
    assert split.rulesets == -(-len(rulebook.rules) // 7)
    fired_somewhere = set()
    for known in _profiles(1500, seed=12):
        expected = oracle.fired_rules(rulebook, known)
        assert whole.fired(known) == expected
        assert split.fired(known) == expected
        fired_somewhere |= expected
    assert len(fired_somewhere) > len(rulebook.rules) // 2  # else the comparison says little


def test_a_generated_pack_of_900_rules_is_split_and_agrees_with_the_oracle(tmp_path):
    rulebook = load_rulebook(write_synthetic_pack(tmp_path / "rules", 900))
    engine = RuleEngine(rulebook)
    assert engine.rulesets > 1
    fired = 0
    for known in _profiles(400, seed=5):
        expected = oracle.fired_rules(rulebook, known)
        assert engine.fired(known) == expected
        fired += len(expected)
    for rule in rulebook.rules.values():  # each rule's own cases, through the split engine
        for case in rule.cases:
            assert (rule.id in engine.fired(validate_profile(case.profile).known())) == case.fires, (rule.id, case)
    assert fired > 400


def test_many_tests_true_at_once_are_split_instead_of_failing_with_error_303(tmp_path):
    """100 thresholds all passed by one profile: one ruleset would overflow durable's stack of 64."""
    pack = _write_rules(tmp_path, [(f"TH{n:03d}", f"{{attr: duration_months, gte: {n}}}") for n in range(1, 101)])
    engine = RuleEngine(load_rulebook(pack))
    assert engine.rulesets >= 2
    assert engine.fired({"duration_months": 600}) == {f"TH{n:03d}" for n in range(1, 101)}
    assert engine.fired({"duration_months": 50}) == {f"TH{n:03d}" for n in range(1, 51)}


def test_more_different_tests_than_durable_can_hang_below_one_is_split(tmp_path):
    """600 rules testing 600 different values: one ruleset never returns from create_ruleset (a
    hang that ignores Ctrl-C), so it runs in a child process with a time limit."""
    rules = [(f"EQ{n:03d}", f"{{attr: duration_months, eq: {n}}}") for n in range(1, 600)]
    pack = _write_rules(tmp_path, rules)
    script = textwrap.dedent(
        f"""
        from advisor.engine import RuleEngine
        from advisor.rulebook import load_rulebook
        engine = RuleEngine(load_rulebook({str(pack)!r}))
        print(engine.rulesets, sorted(engine.fired({{"duration_months": 599}})))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    rulesets, fired = result.stdout.split(" ", 1)
    assert int(rulesets) >= 2
    assert fired.strip() == "['EQ599']"


@pytest.mark.parametrize("values", [600, 10_000])
def test_a_long_in_list_loads_and_answers_like_the_oracle(tmp_path, values):
    amounts = ", ".join(str(1000 * (step + 1)) for step in range(values))
    pack = _write_rules(
        tmp_path,
        [
            ("IN001", f"{{attr: funding_cny, in: [{amounts}]}}"),
            ("IN002", f"{{not: {{attr: funding_cny, in: [{amounts}]}}}}"),
            (
                "IN003",
                "{attr: sector, in: [solar, wind_power, biotechnology, healthcare, agriculture, "
                "manufacturing, other, new_materials, electric_vehicles]}",
            ),
            (
                "IN004",
                "{not: {attr: sector, in: [solar, wind_power, biotechnology, healthcare, agriculture, "
                "manufacturing, other, new_materials, electric_vehicles]}}",
            ),
        ],
    )
    rulebook = load_rulebook(pack)
    engine = RuleEngine(rulebook)
    for known in [
        {"funding_cny": 1000.0, "sector": "solar"},
        {"funding_cny": 1000.0 * values, "sector": "information_technology"},
        {"funding_cny": 1500.0},
        {"funding_cny": 1000.0 * values + 1000},
        {"sector": "other"},
        {},
    ]:
        assert engine.fired(known) == oracle.fired_rules(rulebook, known), known
    assert engine.fired({}) == set()  # unknown is never "no": not-in stays silent


def test_validate_and_advise_take_a_10000_value_list(tmp_path):
    pack = write_long_list_pack(tmp_path / "rules", 10_000)
    result = CliRunner().invoke(cli, ["validate", "--rules", str(pack)])
    assert result.exit_code == 0, result.output
    advice = Advisor(rules_dir=pack).advise({"funding_cny": 10_000_000, "enterprise_size": "large"})
    assert "XL001" in advice.fired_rules


def test_a_rule_with_too_many_alternatives_is_refused_by_name(tmp_path):
    pairs = ", ".join(
        f"{{any: [{{attr: duration_months, gte: {n}}}, {{attr: funding_cny, gte: {n}}}]}}" for n in range(1, 12)
    )
    pack = _write_rules(tmp_path, [("AL001", "{attr: duration_months, gte: 3}"), ("AL002", f"{{all: [{pairs}]}}")])
    with pytest.raises(RulePackError) as raised:
        RuleEngine(load_rulebook(pack))
    (problem,) = raised.value.problems
    assert problem.record_id == "AL002"
    assert "2,048 alternative paths" in problem.message and "at most 1,024" in problem.message


def test_validate_names_a_rule_durable_cannot_compile(tmp_path):
    pack = _write_rules(
        tmp_path,
        [
            (
                "AL002",
                "{all: ["
                + ", ".join(
                    f"{{any: [{{attr: duration_months, gte: {n}}}, {{attr: funding_cny, gte: {n}}}]}}"
                    for n in range(1, 12)
                )
                + "]}",
            )
        ],
    )
    result = CliRunner().invoke(cli, ["validate", "--rules", str(pack)])
    assert result.exit_code == EXIT_PACK
    assert "[AL002]: the condition has 2,048 alternative paths" in result.stderr
    assert any("AL002" in problem.describe() for problem in lint_pack(pack).errors)


@pytest.mark.parametrize(
    ("code", "meaning"),
    [(106, "511"), (107, "128"), (108, "256"), (113, "and/or"), (202, "Infinity"), (204, "exponent"), (303, "64")],
)
def test_durable_error_codes_are_explained(code, meaning):
    explained = explain_engine_error(Exception(f"Could not create ruleset, error code: {code}"))
    assert meaning in explained and f"durable-rules error {code}" in explained


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # a condition on a misspelt attribute, in a rule whose message has no placeholder
        (
            ("{attr: enterprise_size, eq: large}", "{attr: enterprize_size, eq: large}"),
            "unknown attribute 'enterprize_size'",
        ),
        # a threshold longer than Python reads
        (
            ("{attr: enterprise_size, eq: large}", "{attr: funding_cny, gte: " + "9" * 5000 + "}"),
            "more than 4,300 digits",
        ),
    ],
    ids=["misspelt-attribute", "huge-threshold"],
)
def test_a_broken_condition_is_a_pack_problem_never_an_internal_error(tmp_path, change, expected):
    from click.testing import CliRunner

    from advisor.cli import cli

    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    (pack / "broken.yml").write_text(
        "rules:\n"
        "  - id: ZZ901\n"
        "    name: test.broken\n"
        f"    when: {change[1]}\n"
        "    effect: {supports: technology_transfer, weight: 5}\n"
        "    message: {en: A plain message., zh: 一条简单的说明。}\n"
        "    rationale: {en: A plain rationale., zh: 一条简单的理由。}\n"
        "    cites: [technology_transfer]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["validate", "--rules", str(pack)])
    assert result.exit_code == 1, result.output
    assert expected in result.output and "internal error" not in result.output


# -- loading a big pack in time: each shortcut against the plain computation it replaces ----------

_NUMBER_OPERATORS = ("gt", "gte", "lt", "lte", "eq", "ne", "in", "known")


@st.composite
def _number_tests(draw):
    numbers = st.one_of(st.integers(-3, 12), st.sampled_from([0.5, 2.0, 2.5, 7.0, 11.5]))
    tests = []
    for _ in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(_NUMBER_OPERATORS))
        if op == "in":
            operand = draw(st.lists(numbers, min_size=1, max_size=4))
        elif op == "known":
            operand = draw(st.booleans())
        else:
            operand = draw(numbers)
        tests.append(AttributeTest.model_validate({"attr": "duration_months", op: operand}))
    return tests


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_number_tests(), st.lists(st.one_of(st.integers(-5, 14), st.floats(-5, 14)), min_size=1, max_size=40))
def test_a_number_s_key_groups_numbers_as_every_test_tells_them(tests, values):
    """candidate_answers keys a number by bisection (`_number_signature`): two numbers share a key
    exactly when every test holds alike for them, as `_holds` says test by test."""
    key = whatif_module._number_signature(tests)
    assert key is not None
    for first in values:
        for second in values:
            alike = [whatif_module._holds(t, first) for t in tests] == [whatif_module._holds(t, second) for t in tests]
            assert (key(first) == key(second)) == alike, (first, second)


def _candidates_test_by_test(rulebook):
    """candidate_answers as it was: every candidate compared with every test of its attribute."""
    tests_by_attribute = whatif_module._tests_by_attribute(rulebook)
    candidates = {}
    for name, spec in ATTRIBUTES.items():
        tests = tests_by_attribute.get(name)
        if tests:
            seen: dict[tuple[bool, ...], object] = {}
            for value in whatif_module._raw_candidates(spec, tests):
                seen.setdefault(tuple(whatif_module._holds(test, value) for test in tests), value)
            candidates[name] = list(seen.values())
    return candidates


def test_candidate_answers_are_those_of_comparing_every_test(tmp_path):
    for rulebook in (load_rulebook(default_rules_dir()), load_rulebook(write_synthetic_pack(tmp_path / "r", 900))):
        assert whatif_module.candidate_answers(rulebook) == _candidates_test_by_test(rulebook)


def test_whether_one_rule_fires_is_asked_of_its_own_ruleset_alone(tmp_path):
    """`advisor validate` runs each case through `RuleEngine.fires`, which asserts the profile into
    the one ruleset holding the rule; it must agree with `fired` (every ruleset)."""
    rulebook = load_rulebook(write_synthetic_pack(tmp_path / "rules", 900))
    engine = RuleEngine(rulebook)
    assert engine.rulesets > 1
    knowns = _profiles(60, seed=9) + [
        validate_profile(case.profile).known() for rule in rulebook.rules.values() for case in rule.cases[:1]
    ]
    agreed = 0
    for known in knowns:
        fired = engine.fired(known)
        for rule_id in sorted(set(sorted(rulebook.rules)[::7]) | fired):
            assert engine.fires(known, rule_id) == (rule_id in fired), (rule_id, known)
            agreed += rule_id in fired
    assert agreed > 100  # the comparison saw many rules fire, not only silence


def test_loading_a_pack_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    """Packs are read and compiled with the collector paused (`gc_paused`); it is on again after a
    load, after a broken pack's error, and stays off for a caller who had turned it off."""
    import gc

    broken = _write_rules(tmp_path / "broken", [("BR001", "{attr: no_such_attribute, eq: 1}")])
    assert gc.isenabled()
    Advisor(rules_dir=default_rules_dir())
    assert gc.isenabled()
    with pytest.raises(RulePackError):
        Advisor(rules_dir=broken)
    assert gc.isenabled()
    assert not lint_pack(broken).ok
    assert gc.isenabled()
    gc.disable()
    try:
        lint_pack(broken)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_pack_just_over_the_limit_is_refused_before_any_rule_is_checked(tmp_path):
    """`advisor validate` and `advisor advise --rules` refuse a pack of MAX_RULES + 1 rules with one
    message naming the count, the limit and why, after reading its YAML and nothing more: the rules
    here are all invalid, and no problem of theirs is reported (nor any time spent on them)."""
    from advisor.rulebook import MAX_RULES

    pack = tmp_path / "rules"
    pack.mkdir()
    (pack / "pack.yml").write_text("name: big\nversion: '1'\n", encoding="utf-8")
    ids = [f"R{n}" for n in range(MAX_RULES + 1)]  # not valid ids either: nothing but the count is read
    for start in range(0, len(ids), 5000):
        lines = "".join(f"  - {{id: {rule_id}}}\n" for rule_id in ids[start : start + 5000])
        (pack / f"rules_{start:05d}.yml").write_text("rules:\n" + lines, encoding="utf-8")
    profile = tmp_path / "profile.json"
    profile.write_text('{"duration_months": 12}', encoding="utf-8")
    expected = (
        f"{pack}: the pack has {MAX_RULES + 1:,} rules; at most {MAX_RULES:,} are allowed, so that loading and "
        "validating a pack stays within about a minute and a few GB of memory (docs/engine.md)"
    )
    for command in (["validate", "--rules", str(pack)], ["advise", "--rules", str(pack), str(profile)]):
        result = subprocess.run(
            [sys.executable, "-m", "advisor", *command], capture_output=True, text=True, timeout=120, cwd=ROOT
        )
        assert result.returncode == EXIT_PACK, (command, result.stdout, result.stderr)
        problems = [line for line in result.stderr.splitlines() if str(pack) in line]
        assert len(problems) == 1 and problems[0].endswith(expected), (command, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_pack_at_the_limit_loads_and_one_rule_more_is_refused(monkeypatch):
    import advisor.rulebook as rulebook_module

    shipped = len(load_rulebook(default_rules_dir()).rules)
    monkeypatch.setattr(rulebook_module, "MAX_RULES", shipped)
    assert lint_pack(default_rules_dir()).ok
    monkeypatch.setattr(rulebook_module, "MAX_RULES", shipped - 1)
    report = lint_pack(default_rules_dir())
    assert [problem.message for problem in report.errors] == [rulebook_module.too_many_rules(shipped)]
    from advisor.problem_text import describe_pack_problem

    assert f"规则包有 {shipped} 条规则；最多只能有 {shipped - 1} 条" in describe_pack_problem(report.errors[0], "zh")
    with pytest.raises(RulePackError, match=f"the pack has {shipped} rules; at most {shipped - 1} are allowed"):
        Advisor(rules_dir=default_rules_dir())
