"""`advisor evaluate` (and `advisor diff`) refusing case files, in the command's language: a file
that cannot be read (worded as a rule pack's files are: pack_problems), one in a folder of cases
(named, never skipped without a word), and cases that do not validate (worded as a profile's
problems are)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from test_languages import english_sentences, without

from advisor.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "evaluation" / "cases"
A_CASE = CASES / "gm-ktp-ves-bournemouth.yml"


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="advisor")
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


_BOTH_LANGUAGES = """
import json, sys
from click.testing import CliRunner
from advisor.cli import cli
runs = [CliRunner().invoke(cli, [*sys.argv[1:], "--lang", lang], catch_exceptions=False, prog_name="advisor")
        for lang in ("zh", "en")]
print(json.dumps([[run.exit_code, run.stdout, run.stderr] for run in runs]))
"""


def _zh_and_en(args: list[str]) -> tuple[Any, Any]:
    """`advisor ARGS --lang zh` and `--lang en`, both in one process of their own (not this one):
    should a refusal regress, a named pipe would wait for a writer and /dev/zero fill the memory.

    NOTE: one interpreter for both languages, not one each: it halves the time these tests take."""
    process = subprocess.run(
        [sys.executable, "-c", _BOTH_LANGUAGES, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    assert process.returncode == 0 and process.stderr == "", process.stderr  # no traceback
    zh, en = (
        SimpleNamespace(returncode=code, stdout=stdout, stderr=stderr)
        for code, stdout, stderr in json.loads(process.stdout)
    )
    for result in (zh, en):
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return zh, en


@pytest.mark.parametrize(
    ("kind", "chinese", "english"),
    [
        ("pipe", "f.yml：这是命名管道，不是普通文件", "f.yml: is a named pipe, not a file"),
        ("device", "f.yml：这是字符设备，不是普通文件", "f.yml: is a character device, not a file"),
    ],
)
def test_a_case_file_that_is_no_file_is_refused_in_chinese(tmp_path, kind, chinese, english):
    # in a process of its own: should the refusal regress, a pipe would wait and /dev/zero fill the memory
    path = tmp_path / "f.yml"
    os.mkfifo(path) if kind == "pipe" else path.symlink_to("/dev/zero")
    zh, en = _zh_and_en(["evaluate", str(path)])
    assert zh.returncode == 3 and zh.stderr == f"错误：{tmp_path}/{chinese}\n", zh.stderr
    assert en.returncode == 3 and en.stderr == f"error: {tmp_path}/{english}\n", en.stderr


def test_a_case_file_that_is_not_utf8_is_refused_in_chinese(tmp_path):
    path = tmp_path / "latin.yml"
    path.write_bytes(b"id: x\n# caf\xe9\n")
    zh = run("evaluate", str(path), "--lang", "zh")
    assert zh.exit_code == 3
    assert zh.stderr == f"错误：{path}：不是 UTF-8 文本（第 2 行，字节 0xe9）；请把文件另存为 UTF-8\n", zh.stderr
    en = run("evaluate", str(path), "--lang", "en")
    assert en.stderr == f"error: {path}: not UTF-8 text (byte 0xe9 on line 2); save the file as UTF-8\n"


def test_cases_given_as_a_link_to_nothing_or_to_itself_say_which(tmp_path):
    """Not 'no such file or folder of cases', which sends the reader looking for a typo."""
    loop, dangling = tmp_path / "loop", tmp_path / "dangling"
    loop.symlink_to(loop)
    dangling.symlink_to(tmp_path / "nowhere")
    assert run("evaluate", str(loop), "--lang", "en").stderr == (
        f"error: {loop}: is a symbolic link that leads back to itself; give the file itself\n"
    )
    assert (
        run("evaluate", str(loop), "--lang", "zh").stderr
        == f"错误：{loop}：这是一个指回自身的符号链接；请给出文件本身\n"
    )
    missing = run("evaluate", str(dangling), "--lang", "zh")
    assert missing.exit_code == 3
    assert missing.stderr == f"错误：{dangling}：这是指向 '{tmp_path}/nowhere' 的符号链接，但它指向的文件不存在\n"
    assert run("evaluate", str(tmp_path / "nothing"), "--lang", "en").stderr.endswith(
        "nothing: no such file or folder of cases\n"
    )


def _folder_with_odd_files(tmp_path: Path) -> Path:
    """A folder of cases: one good case, and beside it a named pipe, a link back to itself, a link
    to no file and a folder, each named *.yml (they were skipped without a word)."""
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(A_CASE, folder / A_CASE.name)
    os.mkfifo(folder / "pipe.yml")
    (folder / "loop.yml").symlink_to("loop.yml")
    (folder / "gone.yml").symlink_to("nowhere.yml")
    (folder / "folder.yml").mkdir()
    (folder / "notes.txt").write_text("not a case file: not read, not named\n", "utf-8")
    return folder


def test_every_file_of_a_cases_folder_that_cannot_be_read_is_named(tmp_path):
    folder = _folder_with_odd_files(tmp_path)
    zh, en = _zh_and_en(["evaluate", str(folder)])  # a pipe: in a process of its own
    assert zh.returncode == 3 and zh.stdout == "", zh.stdout
    assert zh.stderr.splitlines() == [
        f"错误：{folder}/folder.yml：这是文件夹，不是普通文件",
        f"错误：{folder}/gone.yml：无法读取文件：文件或文件夹不存在",
        f"错误：{folder}/loop.yml：无法读取文件：符号链接层层相套，可能指回了自身",
        f"错误：{folder}/pipe.yml：这是命名管道，不是普通文件",
    ], zh.stderr
    assert en.returncode == 3 and en.stderr.splitlines() == [
        f"error: {folder}/folder.yml: is a directory, not a file",
        f"error: {folder}/gone.yml: cannot read file: No such file or directory",
        f"error: {folder}/loop.yml: cannot read file: Too many levels of symbolic links",
        f"error: {folder}/pipe.yml: is a named pipe, not a file",
    ], en.stderr


def test_a_rule_pack_folder_names_the_same_files_alike(tmp_path):
    # the refusal follows the rule packs': every *.yml that is not a regular file is an error
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    os.mkfifo(rules / "pipe.yml")
    zh, _ = _zh_and_en(["validate", "--rules", str(rules)])
    assert f"错误：{rules}/pipe.yml：这是命名管道，不是普通文件" in zh.stderr, zh.stderr


def test_diff_refuses_a_cases_folder_with_a_pipe_alike(tmp_path):
    folder = _folder_with_odd_files(tmp_path)
    zh, en = _zh_and_en(["diff", "--base-rules", str(ROOT / "rules"), str(folder)])
    assert zh.returncode == 3 and f"错误：{folder}/pipe.yml：这是命名管道，不是普通文件" in zh.stderr, zh.stderr
    assert en.returncode == 3 and f"error: {folder}/pipe.yml: is a named pipe, not a file" in en.stderr


def _hide_editor_files(folder: Path) -> None:
    """What an editor leaves beside the file being edited: Emacs's lock file, a link to nothing
    (it stopped the run: 'cannot read file: No such file or directory'), and a hidden file that is
    not valid YAML."""
    (folder / ".#gm-case.yml").symlink_to("someone@host.1234:1700000000")
    (folder / ".hidden.yml").write_text("rules: [\n", "utf-8")


def test_hidden_files_of_a_cases_folder_are_left_out_but_one_named_is_read(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(A_CASE, folder / A_CASE.name)
    _hide_editor_files(folder)
    result = run("evaluate", str(folder), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cases"] == 1
    compared = run("diff", "--base-rules", str(ROOT / "rules"), str(folder))
    assert compared.exit_code == 0 and compared.stderr == "", compared.output
    named = run("evaluate", str(folder / ".hidden.yml"), "--lang", "en")  # named on the command line: read
    assert named.exit_code == 3 and named.stderr.startswith(f"error: {folder}/.hidden.yml: malformed YAML")


def test_hidden_files_of_a_rule_pack_and_a_knowledge_folder_are_left_out(tmp_path):
    rules, knowledge = tmp_path / "rules", tmp_path / "knowledge"
    shutil.copytree(ROOT / "rules", rules)
    shutil.copytree(ROOT / "knowledge", knowledge)
    _hide_editor_files(rules)
    _hide_editor_files(knowledge)
    checked = run("validate", "--rules", str(rules), "--knowledge", str(knowledge), "--lang", "en")
    assert checked.exit_code == 0 and checked.stderr == "", checked.output
    example = str(ROOT / "examples" / "program_cooperation.json")
    advised = run("advise", example, "--rules", str(rules), "--knowledge", str(knowledge), "--lang", "en")
    assert advised.exit_code == 0, advised.output
    assert advised.stdout == run("advise", example, "--lang", "en").stdout  # the pack as shipped


_INVALID = """\
- id: tt-Bad_ID
  name: {en: "", zh: 某案例}
  parties: {institutions: []}
  years: 20x6
  region: China
  mode: teleport
  confidence: low
  evidence: e
  sources: [{url: "ftp://x"}, {url: "http://x", title: t, described: {en: a, zh: b}}]
  profile: {enterprise_size: huge, funding_cny: abc, bogus: 1}
  extra: 1
- just text
- id: sa-x
  name: {en: a, zh: b}
  parties: {institutions: [u]}
  years: "2016"
  region: China
  mode: technology_transfer
  confidence: high
  evidence: e
  sources: [{url: "http://x", title: t}]
  profile: {}
- id: sa-z
  name: {en: a, zh: b}
  parties: {institutions: [u]}
  years: "2016"
  region: China
  mode: strategic_alliance
  confidence: high
  evidence: e
  sources: []
  profile: []
"""


def test_cases_that_do_not_validate_are_refused_in_chinese(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "bad.yml").write_text(_INVALID, "utf-8")
    shutil.copy(A_CASE, folder / "a.yml")
    shutil.copy(A_CASE, folder / "b.yml")  # the same id twice
    file, twice = folder / "bad.yml", folder / "b.yml"
    zh = run("evaluate", str(folder), "--lang", "zh")
    assert zh.exit_code == 3
    lines = zh.stderr.splitlines()
    assert lines[0] == "错误：案例文件有误："
    for line in [
        f"  {file} [tt-Bad_ID]：id：格式不对（填写的是 'tt-Bad_ID'）；应只含小写字母 a-z、数字 0-9 和“-”，并以合作模式的代码开头（例如 tt-...）",
        f"  {file} [tt-Bad_ID]：name.en：不能为空（填写的是 ''）",
        f"  {file} [tt-Bad_ID]：parties.institutions：太短或为空（填写的是 []）",
        f'  {file} [tt-Bad_ID]：years：格式不对（填写的是 \'20x6\'）；应为加引号的年份或年份区间，例如 "2016" 或 "2012-2018"',
        f"  {file} [tt-Bad_ID]：mode：不是可选的值（填写的是 'teleport'）；可选：strategic_alliance、strategic_cooperation、"
        "government_mediated、program_cooperation、university_enterprise、technology_transfer、technology_equity、"
        "technology_service",
        f"  {file} [tt-Bad_ID]：confidence：不是可选的值（填写的是 'low'）；应为 high 或 medium",
        f"  {file} [tt-Bad_ID]：sources.0.url：格式不对（填写的是 'ftp://x'）；应为 http 或 https 网址",
        f"  {file} [tt-Bad_ID]：sources.1：请给出网页的标题（title）；网页没有标题时，改用 `described: {{en, zh}}` 描述这个网页",
        f"  {file} [tt-Bad_ID]：profile.enterprise_size：不是可选的值（填写的是 'huge'）；"
        "可选：大型企业（large）、中型企业（medium）、小型企业（small）、没有外部企业（none）",
        f"  {file} [tt-Bad_ID]：profile.funding_cny：不是数字（填写的是 'abc'）；应为 0 元到 10 万亿元之间的金额",
        f"  {file} [tt-Bad_ID]：profile.bogus：不认识这个字段；请使用 `advisor schema` 列出的字段",
        f"  {file} [tt-Bad_ID]：extra：不认识这个字段",
        f"  {file}：整个案例：一个案例应为“字段名: 值”的映射",
        f"  {file} [sa-x]：id：编号前缀 'sa' 与合作模式 technology_transfer 不符（填写的是 'sa-x'）；应为以 tt- 开头的编号",
        f"  {file} [sa-z]：sources：太短或为空（填写的是 []）；应为至少含一项的列表，每项为 {{url, title}}"
        "（网页没有标题时为 {url, described: {en, zh}}）",
        f"  {file} [sa-z]：profile：应为“字段名: 值”的映射（填写的是 []）",
        f"  {twice} [gm-ktp-ves-bournemouth]：id：编号与 {folder / 'a.yml'} 中的案例重复"
        "（填写的是 'gm-ktp-ves-bournemouth'）；应为不与其他案例重复的编号",
    ]:
        assert line in lines, (line, zh.stderr)
    fields = ["name.en", "parties.institutions", "years", "mode", "confidence", "sources", "profile", "extra"]
    given = [str(tmp_path), "tt-Bad_ID", "'20x6'", "'teleport'", "'low'", "ftp://x", "bogus", *fields]
    assert english_sentences(without(zh.stderr, given)) == [], zh.stderr
    en = run("evaluate", str(folder), "--lang", "en")
    assert en.stderr.startswith("error: invalid case file(s):\n") and (
        f"  {file} [tt-Bad_ID]: mode: not an allowed value (got 'teleport'); allowed: one of strategic_alliance, "
        "strategic_cooperation, government_mediated, program_cooperation, university_enterprise, "
        "technology_transfer, technology_equity, technology_service\n" in en.stderr
    ), en.stderr
    assert f"  {file}: (case): a case is a mapping of fields\n" in en.stderr
