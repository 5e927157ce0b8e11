"""`--help` fits the terminal in display columns: a Chinese character takes two columns, so Chinese
help is wrapped (and its option columns measured) by display width; English help is click's own."""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import sys
from pathlib import Path

import click
import click.formatting
import pexpect
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from advisor.cli import cli
from advisor.help_text import HelpFormatter, localise
from advisor.textwidth import CLOSING, OPENING, visible_width, wrap_text

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["", *sorted(cli.list_commands(click.Context(cli)))]  # "": `advisor --help` itself
ENVIRONMENTS = {
    "en": {"ADVISOR_LANG": "en"},
    "zh": {"ADVISOR_LANG": "zh"},
    "zh-locale": {"ADVISOR_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"},
}
LANG_OF = {"en": "en", "zh": "zh", "zh-locale": "zh"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def cli_help(command: str, env: dict[str, str], columns: int) -> str:
    """`advisor [COMMAND] --help` as the command line prints it in a terminal `columns` wide: $COLUMNS,
    read by click's formatter (in the process: click's CliRunner would force 80 columns)."""
    args = [*([command] if command else []), "--help"]
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        for key, value in {**env, "COLUMNS": str(columns)}.items():
            patch.setenv(key, value)
        code = cli.main(args, prog_name="advisor", standalone_mode=False)
    assert code == 0, out.getvalue()
    return out.getvalue()


def help_width(columns: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """The width the help is laid out in, found as the command line finds it: click's formatter
    reads the terminal's width ($COLUMNS first) and keeps it to 80 columns less its margin."""
    monkeypatch.setenv("COLUMNS", str(columns))
    return HelpFormatter().width


def unwrapped_lines(command: str, lang: str) -> set[str]:
    """The lines of the `\\b` paragraphs of a command's help texts in `lang`: click prints them as
    written, never rewrapped, however wide."""
    ctx = click.Context(cli)
    found = cli if not command else cli.get_command(ctx, command)
    assert found is not None
    localise(found, command or "advisor", lang)
    texts = [found.help or "", *(getattr(param, "help", None) or "" for param in found.params)]
    lines: set[str] = set()
    for text in texts:
        for paragraph in re.split(r"\n\s*\n", text):
            if paragraph.strip().startswith("\b"):
                lines |= {line.strip() for line in paragraph.splitlines()[1:]}
    return lines


def too_wide(output: str, width: int, allowed: set[str]) -> list[tuple[int, str]]:
    """Lines wider than `width` columns, but for `\\b` lines and a single token that cannot break."""
    return [
        (visible_width(line), line)
        for line in output.splitlines()
        if visible_width(line) > width and line.strip() not in allowed and len(line.split()) > 1
    ]


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
@pytest.mark.parametrize("command", COMMANDS)
def test_no_help_line_is_wider_than_the_terminal(command, environment, columns, monkeypatch):
    output = cli_help(command, ENVIRONMENTS[environment], columns)
    lang = LANG_OF[environment]
    assert ("用法：" in output) == (lang == "zh")
    allowed = unwrapped_lines(command, lang)
    assert too_wide(output, columns, allowed) == []
    # and within the width click lays help out in (78 columns in a terminal of 80 or more)
    assert too_wide(output, help_width(columns, monkeypatch), allowed) == []


@pytest.mark.parametrize("columns", [60, 80, 100, 120])
@pytest.mark.parametrize("command", COMMANDS)
def test_english_help_is_clicks_own(command, columns, monkeypatch):
    """English help comes out byte for byte as click's own HelpFormatter lays it out."""
    output = cli_help(command, ENVIRONMENTS["en"], columns)
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("ADVISOR_LANG", "en")
    localise(cli, "advisor", "en")  # NOTE: a Chinese run before may have left cli's help in Chinese
    root = click.Context(cli, info_name="advisor", **cli.context_settings)
    assert type(root.make_formatter()) is click.HelpFormatter
    if command:
        found = cli.get_command(root, command)
        assert found is not None
        expected = click.Context(found, info_name=command, parent=root).get_help()
    else:
        expected = root.get_help()
    assert output == expected + "\n"


@pytest.mark.parametrize("command", ["", "ask", "batch"])
def test_chinese_help_in_a_terminal_80_columns_wide(command):
    """In a real terminal (no $COLUMNS: click asks the terminal), under a Chinese locale."""
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
    env.update(ENVIRONMENTS["zh-locale"])
    child = pexpect.spawn(
        sys.executable,
        ["-m", "advisor", *([command] if command else []), "--help"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(200, 80),
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    output = child.before.replace("\r\n", "\n")
    assert "用法：" in output and CHINESE.search(output)
    assert too_wide(output, 78, unwrapped_lines(command, "zh")) == []


def test_chinese_help_keeps_its_layout():
    output = cli_help("batch", ENVIRONMENTS["zh"], 80)
    # a `\b` paragraph (the examples) stays as written, its indent kept
    assert "\n  示例：\n    advisor batch proposals.xlsx                  # 写出 proposals.advice.xlsx\n" in output
    # every option's text starts in one column, measured in display columns
    options = output.split("选项：\n", 1)[1]
    starts = set()
    for line in options.splitlines():
        term = re.match(r"  (-\S.*?)  +(?=\S)", line)
        if term and visible_width(term.group(0)) < 40:
            starts.add(visible_width(term.group(0)))
    assert len(starts) == 1, starts


def test_a_definition_list_is_measured_in_display_columns():
    formatter = HelpFormatter(width=40)
    formatter.write_dl([("选项甲", "说明" * 30), ("--b", "short"), ("更长的选项名", "文字")])
    lines = formatter.getvalue().splitlines()
    assert max(visible_width(line) for line in lines) <= 40 - 2
    # the texts begin after the widest term (12 columns) and two spaces, continuation lines too
    assert lines[0].startswith("选项甲" + " " * 8 + "说明")
    assert all(line.startswith(" " * 14) for line in lines[1:-2])
    assert lines[-2] == "--b" + " " * 11 + "short"
    assert lines[-1] == "更长的选项名  文字"


def test_a_long_usage_line_wraps_under_its_arguments():
    formatter = HelpFormatter(width=40)
    formatter.lang = "zh"
    formatter.write_usage("advisor batch", "[OPTIONS] " + " ".join(f"ARGUMENT{n}" for n in range(8)))
    lines = formatter.getvalue().splitlines()
    assert lines[0].startswith("用法：advisor batch [OPTIONS]")
    indent = visible_width("用法：advisor batch ")
    assert len(lines) > 1 and all(line.startswith(" " * indent + "ARG") for line in lines[1:])
    assert max(visible_width(line) for line in lines) <= 40


SENTENCE = (
    "每个项目写一行建议（领先模式及得分、结论、其后两种模式、预警的困难），无法评估的行连同原因写入错误文件。"
    "退出码：0 全部评估；4 有行未能评估（加 --allow-rejects 时为 0）；3 文件无法读取（编码、列、格式）；"
    "问题可以回答“不知道”（直接回车）。《规则》见「说明」！好？"
)


@pytest.mark.parametrize("size", range(20, 61))
def test_chinese_breaks_between_characters_but_not_at_punctuation(size):
    lines = wrap_text(SENTENCE, size, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False).split("\n")
    assert all(visible_width(line) <= size for line in lines)
    assert all(line[2] not in CLOSING for line in lines[1:])  # no line starts with closing punctuation
    assert all(line[-1] not in OPENING for line in lines)  # no line ends with an opening bracket
    assert "--allow-rejects" in "\n".join(lines)  # a hyphenated word is kept whole
    # nothing lost or added: only the breaks (and the spaces they replace) differ
    assert "".join(line[2:] for line in lines).replace(" ", "") == SENTENCE.replace(" ", "")
    # Chinese fills its lines: before a Chinese character, a line breaks only where the next
    # character (with the punctuation kept to it, 6 columns at most here) would not fit
    assert all(visible_width(line) > size - 6 for line, after in itertools.pairwise(lines) if CHINESE.match(after[2:]))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    text=st.text(st.sampled_from(list("abcdefgh ABC -.,;:()[]!?'\"/\n\b")), max_size=200),
    size=st.integers(10, 60),
    indent=st.sampled_from(["", "  ", "    "]),
    paragraphs=st.booleans(),
)
def test_text_without_wide_characters_wraps_as_click_wraps_it(text, size, indent, paragraphs):
    """What the Chinese help's wrapper does to the Latin in it is click's (textwrap's) own."""
    # NOTE: click's wrap_text never returns when a paragraph is indented beyond the width
    assume(all(len(line) - len(line.lstrip()) < size - len(indent) - 1 for line in text.splitlines()))
    # NOTE: a word longer than the line is cut where it fits (the next test); click cuts it its own
    # way, even onto a line without the indent, so only words that fit are compared
    assume(all(len(word) < size - len(indent) for word in text.split()))
    expected = click.formatting.wrap_text(text, size, indent, indent, preserve_paragraphs=paragraphs)
    # NOTE: not where click cuts a long word onto a full line, a column too many (see the next test)
    assume(all(len(line) <= size for line in expected.splitlines()))
    assert wrap_text(text, size, indent, indent, preserve_paragraphs=paragraphs) == expected


def test_a_long_word_is_cut_to_the_room_left():
    assert wrap_text("中文 abcdefghijkl", 5) == "中文\nabcde\nfghij\nkl"
    assert wrap_text("中文字", 1) == "中\n文\n字"  # a character wider than the line still gets one
