"""The README stays true: its demo output, its attribute table and its command table match the code."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from advisor.cli import cli
from advisor.profile import ATTRIBUTES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_quick_start_is_the_two_make_commands():
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quick_start, flags=re.MULTILINE)
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "EXAMPLE ?= examples/program_cooperation.json" in makefile
    assert "$(BIN)/python -m pytest" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_shows_the_real_demo_output():
    shown = README.split("`make demo` prints:", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    result = CliRunner().invoke(cli, ["advise", str(ROOT / "examples" / "program_cooperation.json")])
    assert result.exit_code == 0
    assert shown == result.stdout, "README demo output is stale: paste `make demo` output again"


def test_readme_shows_the_real_chinese_output():
    section = README.split("## 中文", 1)[1].split("\n## ", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    example = "examples/program_cooperation.json"
    assert f"`advisor advise {example} --lang zh` prints:" in section
    result = CliRunner().invoke(cli, ["advise", str(ROOT / example), "--lang", "zh"])
    assert result.exit_code == 0 and "结论：明确。" in shown
    assert shown == result.stdout, "README Chinese example is stale: paste `advisor advise ... --lang zh` again"


def test_readme_documents_every_profile_attribute():
    table = README.split("## The partnership profile", 1)[1].split("## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
    assert documented == list(ATTRIBUTES)


def test_readme_documents_every_command():
    import click

    commands = cli.list_commands(click.Context(cli))
    for command in commands:
        assert re.search(rf"`advisor {command}\b", README), f"README does not document `advisor {command}`"


def test_linked_docs_exist():
    for link in re.findall(r"\]\((docs/[^)]+)\)", README):
        assert (ROOT / link).exists(), link
