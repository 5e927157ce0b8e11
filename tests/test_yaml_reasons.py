"""YAML's own reasons in Chinese: each message of PyYAML (profile and answers files) and of libyaml
(rule packs, knowledge bases, questions and case files) provoked from a file and read through the
real commands under --lang zh, English unchanged; and every template of `problems.yaml_reasons`
checked against the parser's own text, so that a parser that rewords a message fails here rather
than falling back to English unnoticed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_languages import english_sentences, without

from advisor.catalogue import catalogue
from advisor.cli import cli
from advisor.errors import InputError, RulePackError
from advisor.problem_text import _patterns, translate
from advisor.profile_files import parse_profile_text
from advisor.yamlfile import read_yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "program_cooperation.json"

#: (template key, parser, document): "py" is PyYAML's pure-Python loader (profile and answers
#: files), "c" libyaml's (packs, questions, case files). Every key of problems.yaml_reasons is here.
PROVOKED: list[tuple[str, str, str]] = [
    ("end_of_stream", "py", 'scope: "abc\n'),
    ("end_of_stream", "c", "scope: 'abc\n"),
    ("simple_key", "py", "a: 1\nb\nc: 2\n"),
    ("simple_key", "c", "a: 1\nb\nc: 2\n"),
    ("another_document", "py", "a: 1\n---\nb: 2\n"),
    ("another_document", "c", "a: 1\n---\nb: 2\n"),
    ("second_anchor", "py", "a: &x 1\nb: &x 2\n"),
    ("second_anchor", "c", "a: &x 1\nb: &x 2\n"),
    ("cannot_start", "py", "scope:\n\t- a\n"),
    ("cannot_start", "py", "a: @b\n"),
    ("mapping_values", "py", "scope: a\n  b: c\n"),
    ("sequence_entries", "py", "a: - b\n"),
    ("mapping_keys", "py", "a: ? b\n"),
    ("document_separator", "py", 'a: "b\n---\n'),
    ("unknown_escape", "py", 'a: "x\\q"\n'),
    ("hex_escape", "py", 'a: "\\xZZ"\n'),
    ("alphanumeric", "py", "a: & 1\n"),
    ("comment_or_break", "py", "a: | x\n  b\n"),
    ("block_indicators", "py", "a: |x\n  b\n"),
    ("indentation_zero", "py", "a: |0\n  x\n"),
    ("version_digit", "py", "%YAML x\n---\na: 1\n"),
    ("version_digit_dot", "py", "%YAML 1x\n---\na: 1\n"),
    ("version_digit_space", "py", "%YAML 1.1x\n---\na: 1\n"),
    ("space", "py", "%TAG !x!tag:a,2000:\n---\na: 1\n"),
    ("tag_bang", "py", "%TAG x tag:a\n---\na: 1\n"),
    ("tag_close", "py", "a: !<abc 1\n"),
    ("tag_uri", "py", "a: !<> 1\n"),
    ("tag_uri_escape", "py", "a: !<tag:%zz> 1\n"),
    ("block_end", "py", "a:\n  b: 1\n c: 2\n"),
    ("block_end", "py", 'a: "b" "c"\n'),
    ("flow_sequence", "py", "scope: [a\n"),
    ("flow_mapping", "py", "scope: {a: 1\n"),
    ("node_content", "py", "a: ]\n"),
    ("document_start", "py", "%YAML 1.1\na: 1\n"),
    ("undefined_alias", "py", "a: *nope\n"),
    ("undefined_handle", "py", "a: !x!y 1\n"),
    ("duplicate_handle", "py", "%TAG !x! tag:a,2000:\n%TAG !x! tag:b,2000:\n---\na: 1\n"),
    ("duplicate_version", "py", "%YAML 1.1\n%YAML 1.1\n---\na: 1\n"),
    ("incompatible_version", "py", "%YAML 2.0\n---\na: 1\n"),
    ("special_character", "py", "a: b\x01c\n"),
    ("c_mapping_values", "c", "scope: a\n  b: c\n"),
    ("c_sequence_entries", "c", "a: - b\n"),
    ("c_mapping_keys", "c", "a: ? b\n"),
    ("c_cannot_start", "c", "a: @b\n"),
    ("c_tab_indentation", "c", "a:\n  b: 1\n\tc: 2\n"),
    ("c_tab_space", "c", "a: |\n\tb\n"),
    ("c_document_indicator", "c", 'a: "b\n---\n'),
    ("c_unknown_escape", "c", 'a: "x\\q"\n'),
    ("c_hex_escape", "c", 'a: "\\xZZ"\n'),
    ("c_unicode_escape", "c", 'a: "\\UFFFFFFFF"\n'),
    ("c_flow_sequence", "c", "scope: [a\n"),
    ("c_flow_mapping", "c", "scope: {a: 1\n"),
    ("c_key", "c", "a:\n  b: 1\n c: 2\n"),
    ("c_entry", "c", "a:\n  - b\n  c: d\n"),
    ("c_node_content", "c", "cases: [\n- : x\n"),
    ("c_document_start", "c", "%YAML 1.1\na: 1\n"),
    ("c_alphanumeric", "c", "a: & 1\n"),
    ("c_comment_or_break", "c", "a: | x\n  b\n"),
    ("c_indentation_zero", "c", "a: |0\n  x\n"),
    ("c_version_number", "c", "%YAML x\n---\na: 1\n"),
    ("c_version_digit_dot", "c", "%YAML 1x\n---\na: 1\n"),
    ("c_directive_name", "c", "% x\n---\na: 1\n"),
    ("c_directive_character", "c", "%YAML1.1\n---\na: 1\n"),
    ("c_unknown_directive", "c", "%FOO bar\n---\na: 1\n"),
    ("c_whitespace", "c", "%TAG !x!tag:a,2000:\n---\na: 1\n"),
    ("c_whitespace_or_break", "c", "a: !<x>y\n"),
    ("c_unexpected_colon", "c", "a: [b:]\n"),
    ("c_tag_bang", "c", "%TAG x tag:a\n---\na: 1\n"),
    ("c_tag_close", "c", "a: !<abc 1\n"),
    ("c_tag_uri", "c", "a: !<> 1\n"),
    ("c_tag_uri_escape", "c", "a: !<tag:%zz> 1\n"),
    ("c_undefined_alias", "c", "a: *nope\n"),
    ("c_undefined_handle", "c", "a: !x!y 1\n"),
    ("c_duplicate_handle", "c", "%TAG !x! tag:a,2000:\n%TAG !x! tag:b,2000:\n---\na: 1\n"),
    ("c_duplicate_version", "c", "%YAML 1.1\n%YAML 1.1\n---\na: 1\n"),
    ("c_incompatible_version", "c", "%YAML 2.0\n---\na: 1\n"),
    ("c_control_character", "c", "a: b\x01c\n"),
    ("c_nesting", "c", "a: " + "[" * 1100 + "]" * 1100 + "\n"),
    ("unknown_tag", "py", "a: !!python/tuple [1, 2]\n"),
    ("unknown_tag", "c", "a: !foo 1\n"),
    ("unhashable_key", "py", "? [a]\n: 1\n"),
    ("unhashable_key", "c", "? [a]\n: 1\n"),
    ("merge", "py", "a: &x 1\nb:\n  <<: *x\n"),
    ("merge_item", "c", "a:\n  <<: [1]\n"),
    ("scalar_node", "py", "a: !!str [1]\n"),
    ("sequence_node", "c", "a: !!seq 1\n"),
    ("mapping_node", "py", "a: !!map 1\n"),
    ("pairs", "c", "a: !!omap 1\n"),
    ("pairs_item", "py", "a: !!pairs [1]\n"),
    ("pairs_items", "c", "a: !!omap [{a: 1, b: 2}]\n"),
    ("base64", "py", 'a: !!binary "a"\n'),
    ("base64_ascii", "c", 'a: !!binary "中"\n'),
    ("not_bool", "c", "a: !!bool abc\n"),
    ("not_timestamp", "py", "a: !!timestamp abc\n"),
    ("not_timestamp", "c", "a: !!timestamp abc\n"),
    ("year", "c", "a: 0000-01-01\n"),
    ("month", "py", "title: 2024-13-01\n"),
    ("month", "c", "a: 2024-13-01\n"),
    ("day", "py", "title: 2024-02-30\n"),
    ("hour", "c", "a: 2024-01-01 25:00:00\n"),
    ("minute", "py", "a: 2024-01-01 10:61:00\n"),
    ("second", "c", "a: 2024-01-01 10:10:61\n"),
    ("not_int", "py", "a: !!int abc\n"),
    ("not_int", "c", "a: !!int 0xZZ\n"),
    ("not_float", "py", "a: !!float abc\n"),
    ("code_point", "py", 'a: "\\U00110000"\n'),
    ("code_point_overflow", "py", 'a: "\\UFFFFFFFF"\n'),
]
_IDS = [f"{key}-{parser}-{i}" for i, (key, parser, _) in enumerate(PROVOKED)]
_MALFORMED = re.compile(r"malformed YAML(?: at line \d+, column \d+)?: (?P<reason>.*)\Z", re.DOTALL)


def _message(parser: str, text: str, tmp_path: Path) -> str:
    """What the reader for `parser` says of `text`, after the file's name."""
    if parser == "py":
        with pytest.raises(InputError) as profile_error:
            parse_profile_text(text, "p.yml", "yaml")
        return str(profile_error.value).removeprefix("p.yml: ")
    path = tmp_path / "c.yml"
    path.write_text(text, "utf-8")
    with pytest.raises(RulePackError) as pack_error:
        read_yaml(path)
    [problem] = pack_error.value.problems
    return problem.message


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="advisor")
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def _fixed_words(template: str) -> str:
    """The longest piece of a template between its placeholders, as it is shown."""
    pieces = re.split(r"(?<!\{)\{\w+\}(?!\})", template)
    return max(pieces, key=len).replace("{{", "{").replace("}}", "}")


def test_every_yaml_reason_template_is_the_parsers_own_text(tmp_path):
    """Each template matches what the parser says today, and is the one that matches it (a longer
    template of another key does not shadow it); every template is provoked here."""
    order = _patterns("yaml_reasons")
    for key, parser, text in PROVOKED:
        found = _MALFORMED.match(_message(parser, text, tmp_path))
        assert found, (key, parser, text)
        matching = [name for name, pattern in order if pattern.match(found["reason"])]
        assert matching[:1] == [key], (key, found["reason"], matching)
    assert {key for key, _, _ in PROVOKED} == set(catalogue("en")["problems"]["yaml_reasons"])


def _forms(template: str | dict[str, str]) -> list[str]:
    """A template, or each of its forms (a mapping by what the parser found, `other` for the rest)."""
    return list(template.values()) if isinstance(template, dict) else [template]


def _zh_template(key: str, reason: str) -> str:
    """The Chinese template, or its form, for the parser's reason (a tab found, or anything else)."""
    template = catalogue("zh")["problems"]["yaml_reasons"][key]
    if not isinstance(template, dict):
        return str(template)
    return str(template["\t"] if "'\\t'" in reason else template["other"])


def test_every_yaml_reason_has_its_chinese():
    english, chinese = catalogue("en")["problems"], catalogue("zh")["problems"]
    assert set(chinese["yaml_reasons"]) == set(english["yaml_reasons"])
    for key, template in chinese["yaml_reasons"].items():
        own = set(re.findall(r"(?<!\{)\{(\w+)\}", english["yaml_reasons"][key]))
        if isinstance(template, dict):
            assert "other" in template and set(template) - {"other"} <= set(chinese["yaml_found"]), key
        for form in _forms(template):
            assert form != english["yaml_reasons"][key] and english_sentences(form) == [], key
            assert set(re.findall(r"(?<!\{)\{(\w+)\}", form)) <= own, (key, form)


@pytest.mark.parametrize(("key", "parser", "text"), PROVOKED, ids=_IDS)
def test_a_yaml_reason_reads_in_chinese_through_the_command(tmp_path, key, parser, text):
    """A profile file (`advise`) for PyYAML's messages, a case file (`evaluate`) for libyaml's:
    Chinese under zh, with no English left; English exactly as before."""
    english_message = _message(parser, text, tmp_path)
    path = tmp_path / ("profile.yml" if parser == "py" else "case.yml")
    path.write_text(text, "utf-8")
    command = ("advise", str(path)) if parser == "py" else ("evaluate", str(path))
    zh = run(*command, "--lang", "zh")
    assert zh.exit_code == 3 and zh.stderr.startswith(f"错误：{path}：YAML 格式有误"), zh.stderr
    assert _fixed_words(_zh_template(key, english_message)) in zh.stderr, zh.stderr
    given = [str(path), *re.findall(r"[^\s\"'\[\]{}]+", text), *re.findall(r"\w+", text)]  # the document's words
    assert english_sentences(without(zh.stderr, given)) == [], zh.stderr
    en = run(*command, "--lang", "en")
    assert en.exit_code == 3 and en.stderr == f"error: {path}: {english_message}\n", en.stderr


# -- the examples of the issue, word for word, and every surface that reads YAML ----------------


@pytest.mark.parametrize(
    ("text", "chinese", "english"),
    [
        (
            "scope: a\n  b: c\n",
            "YAML 格式有误（第 2 行第 4 列）：这里不能开始新的“键: 值”；如果值里本来就含有“: ”，"
            "请给整个值加引号，否则请检查这一行的缩进",
            "malformed YAML at line 2, column 4: mapping values are not allowed here",
        ),
        (
            "scope: [a\n",
            "YAML 格式有误（第 2 行第 1 列）：这里应为逗号“,”或方括号列表结尾的“]”，却遇到了文件结尾",
            "malformed YAML at line 2, column 1: expected ',' or ']', but got '<stream end>'",
        ),
        (  # a tab: the hint is about indentation only, and names the tab once
            "scope: a\n\tenterprise_size: large\n",
            "YAML 格式有误（第 2 行第 1 列）：这里不能用制表符（Tab 键）：YAML 的缩进和间隔只能用空格",
            "malformed YAML at line 2, column 1: found character '\\t' that cannot start any token",
        ),
        (  # an "@" or a "`": the hint is about quoting only
            "scope: @multi_program\n",
            "YAML 格式有误（第 1 行第 8 列）：不加引号的值不能以“@”开头：请给整个值加引号",
            "malformed YAML at line 1, column 8: found character '@' that cannot start any token",
        ),
        (
            "title: `x`\n",
            "YAML 格式有误（第 1 行第 8 列）：不加引号的值不能以“`”开头：请给整个值加引号",
            "malformed YAML at line 1, column 8: found character '`' that cannot start any token",
        ),
        (
            "title: 2024-02-30\n",
            "YAML 格式有误：日期中的日超出了这个月的天数；如果这不是日期，请给它加引号",
            "malformed YAML: day is out of range for month",  # it was an internal error
        ),
    ],
    ids=["colon", "bracket", "tab", "at", "backquote", "date"],
)
def test_a_profile_files_yaml_reason_word_for_word(tmp_path, text, chinese, english):
    path = tmp_path / "p.yml"
    path.write_text(text, "utf-8")
    assert run("advise", str(path), "--lang", "zh").stderr == f"错误：{path}：{chinese}\n"
    assert run("advise", str(path), "--lang", "en").stderr == f"error: {path}: {english}\n"


def test_an_answers_files_yaml_reason_in_chinese(tmp_path):
    path = tmp_path / "answers.yml"
    path.write_text("scope: [a\n", "utf-8")
    zh = run("ask", "--answers", str(path), "--lang", "zh")
    assert zh.exit_code == 3
    assert "：这里应为逗号“,”或方括号列表结尾的“]”，却遇到了文件结尾" in zh.stderr, zh.stderr
    assert english_sentences(without(zh.stderr, [str(path)])) == [], zh.stderr
    en = run("ask", "--answers", str(path), "--lang", "en")
    assert "expected ',' or ']', but got '<stream end>'" in en.stderr


_NO_CONTENT_ZH = "YAML 格式有误（第 2 行第 1 列）：这里缺少一个值：可能多了一个逗号，或括号、冒号放错了位置"
_NO_CONTENT_EN = "malformed YAML at line 2, column 1: did not find expected node content"


def test_a_case_files_yaml_reason_in_chinese(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "broken.yml").write_text("cases: [\n- : x\n", "utf-8")
    zh = run("evaluate", str(cases), "--lang", "zh")
    assert zh.exit_code == 3 and zh.stderr == f"错误：{cases / 'broken.yml'}：{_NO_CONTENT_ZH}\n", zh.stderr
    en = run("evaluate", str(cases), "--lang", "en")
    assert en.stderr == f"error: {cases / 'broken.yml'}: {_NO_CONTENT_EN}\n", en.stderr


@pytest.mark.parametrize(
    ("folder", "file", "args"),
    [
        ("rules", "zz_broken.yml", ("validate", "--rules", "{dir}")),
        ("rules", "zz_broken.yml", ("advise", str(EXAMPLE), "--rules", "{dir}")),
        ("knowledge", "modes.yml", ("validate", "--knowledge", "{dir}")),
        ("knowledge", "questions.yml", ("advise", str(EXAMPLE), "--knowledge", "{dir}")),
        ("knowledge", "questions.yml", ("ask", "--knowledge", "{dir}")),
    ],
    ids=["validate-rules", "advise-rules", "validate-knowledge", "advise-questions", "ask-questions"],
)
def test_a_pack_files_yaml_reason_in_chinese(tmp_path, folder, file, args):
    pack = tmp_path / folder
    shutil.copytree(ROOT / folder, pack)
    (pack / file).write_text("records: [\n- : x\n", "utf-8")
    command = [arg.format(dir=pack) for arg in args]
    zh = run(*command, "--lang", "zh")
    assert zh.exit_code == 1 and f"{pack / file}：{_NO_CONTENT_ZH}" in zh.stderr, zh.stderr
    assert english_sentences(without(zh.stderr, [str(tmp_path)])) == [], zh.stderr
    en = run(*command, "--lang", "en")
    assert en.exit_code == 1 and f"{pack / file}: {_NO_CONTENT_EN}" in en.stderr, en.stderr


@pytest.mark.parametrize(
    ("found", "chinese"),
    [
        ("'\\t'", "这里不能用制表符（Tab 键）：YAML 的缩进和间隔只能用空格"),
        ("'@'", "不加引号的值不能以“@”开头：请给整个值加引号"),
        ("'%'", "不加引号的值不能以“%”开头：请给整个值加引号"),
    ],
)
def test_what_cannot_start_a_token_gets_the_hint_for_what_it_is(found, chinese):
    """A template given as forms: the tab's form names the tab once and says nothing of quotes; any
    other character's form says nothing of tabs. English is the parser's own text, unchanged."""
    reason = f"found character {found} that cannot start any token"
    assert translate(reason, "zh", "yaml_reasons") == chinese
    assert translate(reason, "en", "yaml_reasons") == reason
    assert chinese.count("制表符") <= 1 and ("引号" in chinese) != (found == "'\\t'")


def test_a_reason_no_template_knows_keeps_the_parsers_words():
    text = "malformed YAML at line 3, column 2: found something no version of PyYAML has said"
    assert translate(text, "zh", "messages", "pack_problems") == (
        "YAML 格式有误（第 3 行第 2 列）：found something no version of PyYAML has said"
    )


@pytest.mark.parametrize(
    ("found", "chinese"),
    [
        ("'<stream end>'", "文件结尾"),
        ("'\\x00'", "文件结尾"),
        ("' '", "空格"),
        ("'@'", "“@”"),
        ("'\\x85'", "字符 U+0085"),
    ],
)
def test_what_the_parser_found_is_named_in_chinese(found, chinese):
    reason = f"expected the node content, but found {found}"
    assert translate(reason, "zh", "yaml_reasons") == f"这里缺少一个值，却遇到了{chinese}"


def test_a_profile_may_merge_a_mapping_and_still_gives_each_of_its_own_keys_once(tmp_path):
    # `<<: *base` was refused as an unknown tag (!!merge), and `!!map 1` was an internal error
    path = tmp_path / "p.yml"
    path.write_text("<<: &base {scope: multi_program, enterprise_size: large}\nenterprise_size: small\n", "utf-8")
    merged = run("advise", str(path), "--format", "json")
    assert merged.exit_code == 0, merged.stderr
    assert '"enterprise_size": "small"' in merged.stdout and '"scope": "multi_program"' in merged.stdout
    path.write_text("<<: {scope: multi_program}\nscope: single_problem\nscope: multi_program\n", "utf-8")
    twice = run("advise", str(path))
    assert twice.exit_code == 3 and "the key 'scope' appears twice (line 3)" in twice.stderr, twice.stderr
