"""The command line as a user meets it: output on stdout, messages on stderr, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import EXIT_INPUT, EXIT_PACK, EXIT_USAGE, cli
from advisor.core import default_advisor

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "technology_transfer.json"


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return result


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_advise_text_names_the_leader_reasons_and_sources():
    result = run("advise", str(EXAMPLE))
    assert result.exit_code == 0
    out = result.stdout
    assert "Decision: CLEAR" in out
    assert "1. Technology Transfer (技术转让)" in out
    assert "Why Technology Transfer" in out and "Sources:" in out
    assert result.stderr == ""


def test_advise_json_is_the_advice_model():
    from advisor.advice import Advice

    result = run("advise", str(EXAMPLE), "--format", "json")
    advice = Advice.model_validate_json(result.stdout)
    assert advice.leading_mode == "technology_transfer"
    assert len(advice.modes) == len(default_advisor().knowledge.modes)


def test_advise_markdown():
    result = run("advise", str(EXAMPLE), "--format", "markdown")
    assert result.stdout.startswith("# Cooperation advice:")
    assert "| 1 | Technology Transfer (技术转让) |" in result.stdout


def test_advise_reads_yaml_from_stdin():
    result = run("advise", "-", input="enterprise_size: large\nduration_months: 60\nscope: multi_program\n")
    assert result.exit_code == 0
    assert "Modes, best first" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"enterprize_size": "large"}', ["enterprize_size: unknown attribute; did you mean 'enterprise_size'?"]),
        ('{"duration_months": "long"}', ["duration_months", "'long'", "an integer >= 1 and <= 600"]),
        ('{"duration_months": 0}', ["duration_months", "(got 0)", ">= 1"]),
        ('{"duration_months": 601}', ["duration_months", "(got 601)", "<= 600"]),
        ('{"funding_cny": -5}', ["funding_cny", "(got -5)", ">= 0"]),
        ('{"enterprise_size": "huge"}', ["enterprise_size", "'huge'", "one of large, medium, small, none"]),
        ('{"funding_sources": ["bank"]}', ["funding_sources[0]", "'bank'", "a list of enterprise, government"]),
        ('{"funding_sources": ["enterprise", 7]}', ["funding_sources[1]: not text (got 7)", "a list of enterprise"]),
        ('{"ipr_agreement": "perhaps"}', ["ipr_agreement", "'perhaps'", "true or false"]),
    ],
    ids=[
        "unknown-attribute",
        "wrong-type",
        "below-range",
        "above-range",
        "negative",
        "bad-enum",
        "bad-list-item",
        "list-item-not-text",
        "bad-bool",
    ],
)
def test_invalid_profiles_name_field_value_and_allowed(tmp_path, content, expected):
    result = run("advise", write(tmp_path, "p.json", content))
    assert result.exit_code == EXIT_INPUT
    assert result.stdout == ""
    assert "invalid profile" in result.stderr
    for fragment in expected:
        assert fragment in result.stderr


def test_every_invalid_field_is_reported_not_only_the_first(tmp_path):
    result = run("advise", write(tmp_path, "p.json", '{"duration_months": 0, "enterprise_size": "huge"}'))
    assert "duration_months" in result.stderr and "enterprise_size" in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("p.json", '{"duration_months": 12,', "malformed JSON at line 1"),
        ("p.yaml", "enterprise_size: [large\n", "malformed YAML at line"),
        ("p.json", "", "the file is empty"),
        ("p.json", "   \n", "the file is empty"),
        ("p.json", "[1, 2]", "expected a mapping of profile attributes"),
        ("p.yaml", "just text", "expected a mapping of profile attributes"),
    ],
    ids=["json", "yaml", "empty", "blank", "list", "scalar"],
)
def test_unreadable_files(tmp_path, name, content, expected):
    result = run("advise", write(tmp_path, name, content))
    assert result.exit_code == EXIT_INPUT
    assert expected in result.stderr


def test_missing_file_and_directory(tmp_path):
    result = run("advise", str(tmp_path / "nope.json"))
    assert result.exit_code == EXIT_INPUT and "no such file" in result.stderr
    result = run("advise", str(tmp_path))
    assert result.exit_code == EXIT_INPUT and "is a directory" in result.stderr


def test_modes_and_mode_in_both_languages():
    result = run("modes")
    assert result.stdout.count("\n") == len(default_advisor().knowledge.modes) and "technology_equity" in result.stdout
    result = run("modes", "--lang", "zh")
    assert "技术入股（Technology Equity）" in result.stdout
    result = run("mode", "technology_equity")
    assert "Weaknesses" in result.stdout and "inferior position" in result.stdout
    assert "作价投资" in result.stdout


def test_unknown_mode_and_rule_ids_are_usage_errors():
    result = run("mode", "joint_venture")
    assert result.exit_code == EXIT_USAGE and "choose one of" in result.stderr
    result = run("explain", "ZZ999")
    assert result.exit_code == EXIT_USAGE and "advisor rules" in result.stderr


def test_rules_and_explain(shipped):
    result = run("rules")
    assert len(result.stdout.splitlines()) == len(shipped.rulebook.rules)
    rule_id = next(iter(shipped.rulebook.rules))
    result = run("explain", rule_id.lower())
    assert result.exit_code == 0
    for section in ("What it does", "When it fires", "Why", "Rests on", "Test cases"):
        assert section in result.stdout


def test_schema_outputs_json_schema():
    profile = json.loads(run("schema").stdout)
    assert profile["additionalProperties"] is False and "duration_months" in profile["properties"]
    advice = json.loads(run("schema", "advice").stdout)
    assert "modes" in advice["properties"]


def test_validate_ok(shipped):
    result = run("validate")
    assert result.exit_code == 0 and result.stdout == f"ok: {len(shipped.rulebook.rules)} rules: 0 errors, 0 warnings\n"


def test_validate_counts_in_words_and_names_no_rule_count_for_a_pack_it_cannot_read(tmp_path):
    (tmp_path / "pack.yml").write_text("name: x\nversion: '1'\n")
    (tmp_path / "r.yml").write_text("rules: [\n")
    result = run("validate", "--rules", str(tmp_path))
    assert result.exit_code == EXIT_PACK
    assert result.stderr.splitlines()[-1] == "failed: 1 error, 0 warnings"  # not "0 rules: 1 errors"


def test_advise_with_a_broken_pack_explains_and_exits_1(tmp_path):
    (tmp_path / "pack.yml").write_text("name: x\nversion: '1'\n")
    (tmp_path / "r.yml").write_text("rules:\n  - id: XX001\n    name: bad\n")
    result = run("advise", str(EXAMPLE), "--rules", str(tmp_path))
    assert result.exit_code == EXIT_PACK
    assert "r.yml [XX001]" in result.stderr


def test_the_installed_entry_point_runs_and_fails_cleanly(tmp_path):
    bad = write(tmp_path, "p.json", '{"scope": "everything"}')
    proc = subprocess.run([sys.executable, "-m", "advisor", "advise", bad], capture_output=True, text=True)
    assert proc.returncode == EXIT_INPUT
    assert "scope" in proc.stderr and "single_problem" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_advise_in_chinese():
    profile = Path(__file__).parent / "golden" / "profiles" / "difficulties_heavy.yaml"
    result = run("advise", str(profile), "--lang", "zh")
    assert result.exit_code == 0
    out = result.stdout
    assert "结论：信息不足。" in out and "合作模式（按适合程度排序）" in out
    assert "可能遇到的困难及对策" in out and "中试阶段融资困难" in out  # the difficulty's Chinese description
    assert "对策：" in out and "还需了解" in out
    assert "若答“是”，技术入股将领先" in out
    english = run("advise", str(profile)).stdout
    assert "Difficulties to expect, and what to do" in english and "结论" not in english


def test_advise_never_writes_its_advice_over_the_profile(tmp_path):
    profile = tmp_path / "p.json"
    original = (ROOT / "examples" / "program_cooperation.json").read_text(encoding="utf-8")
    profile.write_text(original, encoding="utf-8")
    for output in (str(profile), str(tmp_path / "." / "p.json")):
        result = CliRunner().invoke(cli, ["advise", str(profile), "-o", output, "--format", "json"])
        assert result.exit_code == 3 and "the input and the output are the same file" in result.stderr
    assert profile.read_text(encoding="utf-8") == original


def test_an_unknown_key_with_a_control_character_is_shown_escaped(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"enterprise_size\\u0000": "large"}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["advise", str(path)])
    assert result.exit_code == 3 and "\x00" not in result.stderr
    assert "enterprise_size\\u0000: unknown attribute; did you mean 'enterprise_size'?" in result.stderr
