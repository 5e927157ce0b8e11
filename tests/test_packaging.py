"""The wheel carries the rule pack and the knowledge base, and an installed advisor finds them anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("coop_advisor-*.whl")
    return built


def test_wheel_contains_the_data_and_the_typing_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "advisor/py.typed" in names
    assert "advisor/_data/rules/pack.yml" in names
    assert "advisor/_data/knowledge/modes.yml" in names
    assert "advisor/_data/knowledge/questions.yml" in names
    assert {"advisor/web/index.html", "advisor/web/app.js", "advisor/web/values.js", "advisor/web/style.css"} <= names
    assert "advisor/_data/knowledge/sources/hunan-university-enterprise-cooperation.txt" in names
    rule_files = {Path(n).name for n in names if n.startswith("advisor/_data/rules/")}
    assert rule_files == {p.name for p in (ROOT / "rules").glob("*.yml")}
    case_files = {Path(n).name for n in names if n.startswith("advisor/_data/evaluation/cases/")}
    assert case_files == {p.name for p in (ROOT / "evaluation" / "cases").glob("*.yml")}
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


def test_the_installed_package_runs_from_another_directory(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    example = (ROOT / "examples" / "technology_transfer.json").read_text(encoding="utf-8")
    code = (
        "import advisor, advisor.paths as p, sys, json;"
        "print(advisor.__file__); print(p.default_rules_dir());"
        "a = advisor.advise(json.loads(sys.stdin.read())); print(a.leading_mode);"
        "print(len(a.precedents), a.reliability.decision)"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, "-c", code], input=example, cwd=elsewhere, env=env, capture_output=True, text=True, check=True
    )
    module_file, rules_dir, leader, precedents, decision = proc.stdout.split()
    assert module_file.startswith(str(site))
    assert rules_dir == str(site / "advisor" / "_data" / "rules")
    assert leader == "technology_transfer"
    # the documented cases ship in the wheel: precedents and the label's measured meaning
    assert int(precedents) == 3 and decision == "clear"
