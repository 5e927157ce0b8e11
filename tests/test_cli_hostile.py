"""Hostile files given to the command line's paths and packs: symbolic-link loops, named pipes and
devices among a pack's files, pack files far larger than any pack, profiles of many values.

Each test is a regression test: before its fix the command ended in exit 70 ("internal error"),
hung, or grew without bound (a /dev/zero among the rules took 24 GB before it was killed).
Commands that would hang or exhaust memory should the fix regress run in a child process with a
time limit and a memory limit, so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import EXIT_INPUT, EXIT_PACK, cli
from advisor.limits import MAX_PACK_FILE_BYTES, MAX_PROFILE_VALUES

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


# -- a pack's files: pipes, devices, huge files -------------------------------------------------------


def test_a_named_pipe_among_the_rules_is_refused_without_waiting_for_a_writer(tmp_path):
    pack = copy_rules(tmp_path)
    os.mkfifo(pack / "pipe.yml")
    result = run_bounded("validate", "--rules", str(pack), seconds=60)
    assert result.returncode == EXIT_PACK, result.stderr
    assert "pipe.yml: is a named pipe, not a file" in result.stderr


@pytest.mark.parametrize("name", ["questions.yml", "more.yml"])
def test_a_folder_or_a_pipe_among_the_knowledge_is_named(tmp_path, name):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    (knowledge / name).unlink(missing_ok=True)
    (knowledge / name).mkdir()
    result = invoke("validate", "--knowledge", str(knowledge))
    assert result.exit_code == EXIT_PACK
    assert f"{name}: is a directory, not a file" in result.output
    if name == "questions.yml":  # it was "the questionnaire file is missing"
        (knowledge / name).rmdir()
        os.mkfifo(knowledge / name)
        result = run_bounded("validate", "--knowledge", str(knowledge), seconds=60)
        assert result.returncode == EXIT_PACK
        assert f"{name}: is a named pipe, not a file" in result.stderr


def test_dev_zero_among_the_knowledge_is_refused_in_bounded_memory(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    (knowledge / "zero.yml").symlink_to("/dev/zero")
    started = time.monotonic()
    # it grew to 12 GB in 20 s before the fix; 1 GB of address space is several times what it needs
    result = run_bounded("modes", "--knowledge", str(knowledge), seconds=60)
    assert result.returncode == EXIT_PACK, result.stderr
    assert "zero.yml: is a character device, not a file" in result.stderr
    assert time.monotonic() - started < 30


def test_a_pack_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import advisor.yamlfile

    pack = copy_rules(tmp_path)
    big = pack / "big.yml"
    big.write_text("rules: []\n" + "# a comment line of a file far larger than a pack\n" * 2000)
    monkeypatch.setattr(advisor.yamlfile, "MAX_PACK_FILE_BYTES", 50_000)
    result = invoke("validate", "--rules", str(pack))
    assert result.exit_code == EXIT_PACK
    assert f"big.yml: the file is {big.stat().st_size:,} bytes, over the limit of 50,000" in result.output
    assert MAX_PACK_FILE_BYTES >= 32 << 20  # a pack of 20,000 rules in one file is about 13 MB


def test_a_pack_file_of_too_many_values_is_refused_before_they_are_built(tmp_path, monkeypatch):
    """12 million one-character items (48 MB) took 4.7 GB and 44 s before the fix, then a message
    about aliases the file did not have: the values are now counted as the YAML is parsed. (The
    limit is lowered here so the test stays small; the counting is the same.)"""
    import advisor.yamlfile

    pack = copy_rules(tmp_path)
    monkeypatch.setattr(advisor.yamlfile, "MAX_PACK_VALUES", 100_000)
    (pack / "many.yml").write_text("rules: []\nstuff: [" + "1," * 100_000 + "1]\n", encoding="ascii")
    built = []
    real_load = advisor.yamlfile.yaml.load
    monkeypatch.setattr(
        advisor.yamlfile.yaml, "load", lambda text, Loader: built.append(len(text)) or real_load(text, Loader)
    )
    result = invoke("validate", "--rules", str(pack))
    assert result.exit_code == EXIT_PACK
    assert "many.yml: the file holds more than 100,000 values" in result.output
    assert "aliases" not in result.output
    assert built and max(built) < (pack / "many.yml").stat().st_size, "many.yml was never built"


def test_a_pack_file_of_many_commas_but_few_values_still_loads(tmp_path, monkeypatch):
    # the characters that can begin a value only decide whether the values are counted
    import advisor.yamlfile

    pack = copy_rules(tmp_path)
    monkeypatch.setattr(advisor.yamlfile, "MAX_PACK_VALUES", 100_000)
    (pack / "notes.yml").write_text("rules: []\n# " + ",-:" * 100_000 + "\n", encoding="ascii")
    result = invoke("validate", "--rules", str(pack))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("text", ["", "42\n", "just words\n"], ids=["empty", "number", "text"])
@pytest.mark.parametrize("where", ["rules", "knowledge"])
def test_a_pack_file_of_nothing_or_one_scalar_is_not_an_internal_error(tmp_path, text, where):
    # exit 70 (TypeError: 'NoneType' object is not iterable) before
    folder = tmp_path / where
    shutil.copytree(ROOT / where, folder)
    (folder / "odd.yml").write_text(text)
    result = invoke("validate", f"--{where}", str(folder))
    if text:
        assert result.exit_code == EXIT_PACK and "odd.yml" in result.output
    else:  # an empty file is an empty pack file: no rules, no records
        assert result.exit_code == 0, result.output


def test_a_pack_file_that_is_not_utf8_names_the_line(tmp_path):
    pack = copy_rules(tmp_path)
    (pack / "latin.yml").write_bytes(b"rules: []\n# caf\xe9\n")
    result = invoke("validate", "--rules", str(pack))
    assert result.exit_code == EXIT_PACK
    assert "latin.yml: not UTF-8 text (byte 0xe9 on line 2); save the file as UTF-8" in result.output


# -- profiles of many values ---------------------------------------------------------------------------


def test_a_yaml_profile_of_many_values_is_refused_quickly(tmp_path):
    # 400,000 items in 800 KB (under the byte limit) took 15-25 s to parse before the fix
    path = tmp_path / "p.yml"
    path.write_text("funding_sources: [" + ",".join(["x"] * 400_000) + "]\n")
    started = time.monotonic()
    result = invoke("advise", str(path))
    assert result.exit_code == EXIT_INPUT
    assert f"the document holds more than {MAX_PROFILE_VALUES:,} values" in result.output
    assert time.monotonic() - started < 5


# -- UTF-16 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-16", "the file is UTF-16 text (it begins with a UTF-16 byte order mark), not UTF-8; save it as UTF-8"),
        ("utf-16-le", "not UTF-8 text (a NUL byte at byte 1: UTF-16 text, or not text at all); save it as UTF-8"),
    ],
    ids=["with-its-mark", "without"],
)
@pytest.mark.parametrize("suffix", [".json", ".yml"])
def test_a_utf16_profile_is_named_as_such(tmp_path, encoding, expected, suffix):
    # it was "invalid start byte at byte 0", or "malformed YAML: unacceptable character #x0000"
    path = tmp_path / f"p{suffix}"
    path.write_bytes('{"enterprise_size": "large"}'.encode(encoding))
    result = invoke("advise", str(path))
    assert result.exit_code == EXIT_INPUT
    assert f"p{suffix}: {expected}" in result.output


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_utf16_batch_input_is_named_with_the_encoding_that_reads_it(tmp_path, fmt):
    # the hint was to try gb18030
    source = tmp_path / f"in.{fmt}"
    text = "id,enterprise_size\na,large\n" if fmt == "csv" else '{"id": "a", "enterprise_size": "large"}\n'
    source.write_bytes(text.encode("utf-16"))
    result = invoke("batch", str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT
    assert "the file is UTF-16 text (it begins with a UTF-16 byte order mark), not utf-8" in result.output
    assert "pass --encoding utf-16" in result.output and "gb18030" not in result.output
    result = invoke("batch", str(source), "--encoding", "utf-16", "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.output


# -- closed and full standard streams --------------------------------------------------------------


def _run_with(args: list[str], close: int | None = None, stdout: object = subprocess.PIPE, cwd: Path = ROOT):
    """`advisor ARGS` with a standard stream closed (0 or 1) or stdout sent to a file."""

    def prepare() -> None:
        if close is not None:
            os.close(close)

    return subprocess.run(
        [sys.executable, "-m", "advisor", *args],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        cwd=cwd,
        preexec_fn=prepare,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["advise", "-"], "<stdin>: the file is empty"),
        (["batch", "-", "-o", "out.csv"], "<stdin>: the file is empty"),
    ],
    ids=["advise", "batch"],
)
def test_a_closed_stdin_reads_as_empty(tmp_path, args, expected):
    # exit 70: AttributeError: 'NoneType' object has no attribute 'buffer'
    result = _run_with(args, close=0, cwd=tmp_path)
    assert result.returncode == EXIT_INPUT, result.stderr
    assert expected in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("command", ["advise", "batch", "ask"])
def test_a_closed_stdout_is_said_not_written_to_nothing(tmp_path, command):
    # advise exited 0 with the advice written nowhere; batch -o - and ask exited 70
    profile = tmp_path / "p.json"
    profile.write_text('{"enterprise_size": "large"}')
    source = tmp_path / "in.csv"
    source.write_text("id,enterprise_size\na,large\n")
    args = {"advise": ["advise", str(profile)], "batch": ["batch", str(source), "-o", "-"], "ask": ["ask"]}[command]
    result = _run_with(args, close=1)
    assert result.returncode == EXIT_INPUT, result.stderr
    assert "error: standard output is closed" in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("command", ["advise", "ask", "modes"])
def test_a_full_stdout_is_named_as_such(tmp_path, command):
    # exit 70: OSError: [Errno 28] No space left on device
    assert Path("/dev/full").exists()
    profile = tmp_path / "p.json"
    profile.write_text('{"enterprise_size": "large"}')
    args = {"advise": ["advise", str(profile)], "ask": ["ask"], "modes": ["modes"]}[command]
    with open("/dev/full", "w") as full:
        result = _run_with(args, stdout=full)
    assert result.returncode == EXIT_INPUT, result.stderr
    assert "error: cannot write the output: No space left on device" in result.stderr
    assert "internal error" not in result.stderr
    with open("/dev/full", "w") as full:
        chinese = _run_with([*args, "--lang", "zh"], stdout=full)
    assert chinese.returncode == EXIT_INPUT and "错误：无法写出输出：" in chinese.stderr, chinese.stderr


def _interrupted(args: list[str], waiting: Callable[[int], bool], sent: bytes = b"") -> tuple[int, str]:
    """(exit code, stderr) of `advisor ARGS` sent Ctrl-C once `waiting(pid)` says it waits for more
    standard input (after `sent`)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "advisor", *args],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        assert process.stdin is not None
        process.stdin.write(sent)
        process.stdin.flush()
        deadline = time.monotonic() + 60
        while not (waiting(process.pid) and Path(f"/proc/{process.pid}/stat").read_text().split(") ")[1][0] == "S"):
            assert time.monotonic() < deadline and process.poll() is None, f"{args[0]} never waited for input"
            time.sleep(0.05)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert b"Traceback" not in err
    return process.returncode, err.decode("utf-8")


@pytest.mark.parametrize(("lang", "said"), [("en", "interrupted (Ctrl-C)"), ("zh", "已中断（Ctrl-C）")])
def test_ctrl_c_while_a_profile_is_awaited_exits_130_not_1(lang, said):
    # click's "Aborted!" exited 1, the code that says the rule pack has problems
    # waiting on stdin once it has loaded libyaml's binding (the profile reader imports it)
    code, err = _interrupted(
        ["advise", "-", "--lang", lang], lambda pid: "_yaml" in Path(f"/proc/{pid}/maps").read_text()
    )
    assert code == 130, err
    assert said in err


# -- evaluate's case files -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pipe", "device"])
def test_evaluate_refuses_a_case_file_that_is_not_a_file(tmp_path, kind):
    # a named pipe hung; /dev/zero grew to 24 GB before it was killed
    path = tmp_path / "cases.yml"
    if kind == "pipe":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    result = run_bounded("evaluate", str(path), seconds=60)
    assert result.returncode == EXIT_INPUT, result.stderr
    assert f"cases.yml: is a {'named pipe' if kind == 'pipe' else 'character device'}, not a file" in result.stderr


def test_evaluate_refuses_a_billion_laughs_case_file(tmp_path):
    # 665 MB and 4 s for nine levels; ten would be nine times more
    path = tmp_path / "cases.yml"
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    path.write_text("\n".join([*lines, "id: x", "profile: {funding_sources: *a9}", ""]))
    started = time.monotonic()
    result = invoke("evaluate", str(path))
    assert result.exit_code == EXIT_INPUT
    assert "values once its aliases (*name) are expanded" in result.output
    assert time.monotonic() - started < 5


def test_an_unexpected_os_error_is_still_an_internal_error_not_a_traceback(monkeypatch):
    import advisor.cli

    def broken(knowledge_dir):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(advisor.cli, "_knowledge", broken)
    result = CliRunner().invoke(cli, ["modes"], catch_exceptions=False)
    assert result.exit_code == 70
    assert "internal error: FileNotFoundError" in result.output


# -- template ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["t.xlsx", "t.csv"])
def test_template_into_a_folder_that_does_not_exist_is_named(tmp_path, name):
    # exit 70: FileNotFoundError from openpyxl's save or write_text
    target = tmp_path / "nowhere" / name
    result = invoke("template", "-o", str(target))
    assert result.exit_code == EXIT_INPUT
    assert f"the folder '{target.parent}' does not exist" in result.output
    result = invoke("template", "-o", str(tmp_path / name))
    assert result.exit_code == 0 and (tmp_path / name).stat().st_size > 0
    assert not list(tmp_path.glob(".*.part"))


# -- ask's piped answers -----------------------------------------------------------------------------


def test_a_piped_answer_without_an_end_is_refused_in_bounded_memory(tmp_path):
    # `advisor ask < /dev/zero` grew to 11 GB in 20 s: the line was read whole
    saved = tmp_path / "answers.json"
    result = invoke("ask", "--save", str(saved), input="large\n" + "x" * (2 << 20))
    assert result.exit_code == EXIT_INPUT
    assert "<stdin>: an answer is longer than the limit of 1,048,576 characters" in result.output
    assert '"enterprise_size": "large"' in saved.read_text(), "the answers before it are kept"


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "batch: interrupted (Ctrl-C); no output file was written or changed"),
        ("zh", "批量评估：已中断（Ctrl-C）；没有写出或改动任何输出文件"),
    ],
)
def test_ctrl_c_while_a_batch_awaits_its_rows_is_said_in_the_run_language(tmp_path, lang, said):
    out = tmp_path / "out.csv"
    code, err = _interrupted(
        ["batch", "-", "-o", str(out), "--no-progress", "--lang", lang],
        lambda pid: any(tmp_path.glob(".*.part")),  # the output under way
        b"id,enterprise_size\nP1,large\n",  # a header and a row; more to come
    )
    assert code == 130, err
    assert said in err
    assert not out.exists() and not list(tmp_path.glob(".*.part"))  # nothing written, nothing left behind


def test_a_socket_as_the_output_is_refused_in_the_runs_language(tmp_path):
    import socket

    target = tmp_path / "out.csv"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(target))
        proposals = tmp_path / "p.csv"
        proposals.write_text("id,scope\np1,single_program\n", "utf-8")
        for lang, expected in (
            ("en", f"error: {target}: is a socket, not a file; advice is written only to regular files, pipes and "),
            ("zh", f"错误：{target}：这是套接字，不是普通文件；结果只能写入普通文件、管道或字符设备\n"),
        ):
            result = CliRunner().invoke(cli, ["batch", str(proposals), "-o", str(target), "--lang", lang])
            assert result.exit_code == EXIT_INPUT and result.stderr.startswith(expected), result.stderr
        assert target.is_socket()
