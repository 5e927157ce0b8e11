"""Hostile files given to the command line's paths and packs: symbolic-link loops, named pipes and
devices among a pack's files, pack files far larger than any pack, profiles of many values.

Each test is a regression test: before its fix the command ended in exit 70 ("internal error"),
hung, or grew without bound (a /dev/zero among the rules took 24 GB before it was killed).
Commands that would hang or exhaust memory should the fix regress run in a child process with a
time limit and a memory limit, so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import EXIT_INPUT, EXIT_PACK, cli

ROOT = Path(__file__).resolve().parents[1]


def invoke(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def run_bounded(*args: str, seconds: float = 60, memory: int = 1 << 30) -> subprocess.CompletedProcess[str]:
    """`advisor ARGS` in a child process of at most `memory` bytes of address space, killed after
    `seconds`: a hang or unbounded growth fails the test, never the machine."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        result = subprocess.run(
            [sys.executable, "-m", "advisor", *args],
            capture_output=True,
            text=True,
            timeout=seconds,
            cwd=ROOT,
            preexec_fn=limit,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"advisor {' '.join(args)} still ran after {seconds} s") from None
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return result


def loop(tmp_path: Path, name: str) -> Path:
    """A symbolic link that leads back to itself (name -> name.other -> name)."""
    path, other = tmp_path / name, tmp_path / f"{name}.other"
    path.symlink_to(other.name)
    other.symlink_to(path.name)
    return path


def copy_rules(tmp_path: Path) -> Path:
    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    return pack


# -- symbolic links that lead back to themselves ---------------------------------------------------


def test_a_looping_link_as_the_profile_is_named_not_an_internal_error(tmp_path):
    result = invoke("advise", str(loop(tmp_path, "p.json")))
    assert result.exit_code == EXIT_INPUT
    assert "p.json: is a symbolic link that leads back to itself" in result.output


@pytest.mark.parametrize("which", ["input", "output"])
def test_a_looping_link_given_to_batch_is_named_not_an_internal_error(tmp_path, which):
    source = tmp_path / "in.csv"
    source.write_text("id,enterprise_size\na,large\n")
    looping = loop(tmp_path, f"{which}.csv")
    args = [str(looping), "-o", str(tmp_path / "out.csv")] if which == "input" else [str(source), "-o", str(looping)]
    result = invoke("batch", *args)
    assert result.exit_code == EXIT_INPUT
    assert f"{which}.csv: is a symbolic link that leads back to itself" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_a_looping_link_as_the_advice_file_is_named_not_an_internal_error(tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text('{"enterprise_size": "large"}')
    result = invoke("advise", str(profile), "-o", str(loop(tmp_path, "advice.txt")))
    assert result.exit_code == EXIT_INPUT
    assert "advice.txt: is a symbolic link that leads back to itself" in result.output


def test_a_looping_link_as_the_knowledge_directory_is_a_pack_problem(tmp_path):
    result = invoke("validate", "--knowledge", str(loop(tmp_path, "knowledge")))
    assert result.exit_code == EXIT_PACK
    assert "knowledge" in result.output and "does not exist" in result.output
