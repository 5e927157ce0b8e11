"""Hostile and careless input to profile files, `advisor batch` and `POST /v1/batch` (issue 12 rows 1-9, 18).

Each test is a regression test for one row of the issue's table: before the fix each ended in
exit 70 ("internal error"), an aborted run, a cut stream, unbounded memory or a replaced file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import resource
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import EXIT_INPUT, EXIT_USAGE, cli
from advisor.limits import (
    MAX_CELL_CHARS,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    MAX_LINE_CHARS,
    MAX_PACK_VALUES,
    MAX_PROFILE_BYTES,
    MAX_PROFILE_VALUES,
)

ROOT = Path(__file__).resolve().parents[1]
EXIT_REJECTS = 4
GOOD = {"id": "good", "enterprise_size": "large", "scope": "multi_program", "duration_months": 36}
HUGE_INT = "9" * 5000
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def laughs(levels: int, key: str = "title") -> str:
    """A "billion laughs" YAML document: each level a list of nine aliases of the level before."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join([*lines, f"{key}: *a{levels - 1}", ""])


def invoke(*args: str, input: str | bytes | None = None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


# -- row 1: profile files within limits -------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "text", "limit"),
    [
        (".json", '{"funding_cny": ' + HUGE_INT + "}", f"limit of {MAX_INT_DIGITS}"),
        (".json", '{"a": ' + DEEP_JSON + "}", f"limit of {MAX_DEPTH} levels"),
        (".yml", "funding_cny: " + HUGE_INT + "\n", f"limit of {MAX_INT_DIGITS}"),
        (".yml", "a: " + DEEP_JSON + "\n", f"limit of {MAX_DEPTH} levels"),
        (".yml", laughs(9), f"more than {MAX_PROFILE_VALUES:,} values once its aliases"),
        (".yml", "a: &a [1, *a]\n", "refers to the list or mapping that holds it"),
    ],
)
@pytest.mark.parametrize("command", ["advise", "ask"])
def test_a_hostile_profile_file_is_refused_with_the_limit(tmp_path, suffix, text, limit, command):
    path = tmp_path / f"profile{suffix}"
    path.write_text(text)
    args = ["advise", str(path)] if command == "advise" else ["ask", "--answers", str(path)]
    result = invoke(*args, input="")
    assert result.exit_code == EXIT_INPUT, result.output
    assert limit in result.output


def test_a_billion_laughs_rule_pack_is_refused_with_the_limit(tmp_path):
    import shutil

    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    (pack / "laughs.yml").write_text(laughs(9, key="rules"), encoding="utf-8")
    started = time.monotonic()
    result = invoke("validate", "--rules", str(pack))
    assert result.exit_code == 1 and f"more than {MAX_PACK_VALUES:,} values once its aliases" in result.output
    assert time.monotonic() - started < 20  # it took 33 s and 2.3 GB before


def test_a_value_that_shares_itself_is_quoted_in_bounded_time():
    from advisor.errors import show_value

    value: list[object] = ["lol"] * 9
    for _ in range(12):  # 9**13 leaves
        value = [value] * 9
    started = time.monotonic()
    shown = show_value(value)
    assert len(shown) <= 80 and shown.startswith("[[[") and time.monotonic() - started < 1


def test_dev_zero_as_a_profile_is_refused_in_bounded_memory():
    result = invoke("advise", "/dev/zero")
    assert result.exit_code == EXIT_INPUT
    assert f"{MAX_PROFILE_BYTES:,} bytes" in result.output


# -- rows 2 and 3: one bad row never stops a run ---------------------------------------------


def _hostile_rows() -> list[str]:
    return [
        json.dumps(GOOD),
        '{"id": "huge", "funding_cny": ' + HUGE_INT + "}",
        '{"id": "deep", "enterprise_size": ' + DEEP_JSON + "}",
        '{"id": "\\ud800", "enterprise_size": "large"}',
        '{"id": "ctl", "title": "a\\u0001b", "enterprise_size": "large"}',
        json.dumps({**GOOD, "id": "last"}),
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_hostile_rows_are_rejected_and_the_rest_scored(tmp_path, fmt):
    lines = _hostile_rows()
    source = tmp_path / f"in.{fmt}"
    source.write_text("\n".join(lines) + "\n" if fmt == "jsonl" else "[" + ",\n".join(lines) + "]")
    output = tmp_path / "out.csv"
    result = invoke("batch", str(source), "-o", str(output))
    assert result.exit_code == EXIT_REJECTS, result.output
    scored = read_csv(output)
    assert [row["id"] for row in scored] == ["good", "last"]
    errors = {row["row"]: row for row in read_csv(tmp_path / "out.errors.csv")}
    assert set(errors) == {"2", "3", "4", "5"}
    assert f"limit of {MAX_INT_DIGITS}" in errors["2"]["message"]
    assert f"limit of {MAX_DEPTH} levels" in errors["3"]["message"]
    assert errors["4"]["field"] == "id" and errors["4"]["value"] == "\\ud800"
    assert errors["5"]["field"] == "title" and "U+0001" in errors["5"]["message"]


def post_in_process(app, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    """A POST to the app in this process (no server, no network)."""
    import asyncio

    import httpx

    async def send() -> tuple[int, bytes]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            response = await client.post(path, content=body, headers={"content-type": content_type})
            return response.status_code, response.content

    return asyncio.run(send())


def test_the_batch_stream_is_never_cut_by_a_row(shipped):
    from advisor.http_api import create_app

    body = "\n".join(_hostile_rows()).encode()
    status, content = post_in_process(create_app(shipped), "/v1/batch", body, "application/x-ndjson")
    assert status == 200
    lines = [json.loads(line) for line in content.decode("utf-8").splitlines()]
    assert [line["row"] for line in lines] == [1, 2, 3, 4, 5, 6]
    assert "advice" in lines[0] and "advice" in lines[5]
    assert all("error" in line for line in lines[1:5])
    assert lines[3]["error"]["problems"][0]["field"] == "id"


def test_a_bug_on_one_row_loses_no_other_row(shipped, monkeypatch):
    """An exception the advisor does not expect, on one row, rejects that row only (and says it is a bug)."""
    from advisor.row_scoring import Rejected, Scored, score_rows

    real = type(shipped.engine).fired_many

    def fired_many(self, knowns):
        if any(known.get("duration_months") == 13 for known in knowns):
            raise RuntimeError("boom")
        return real(self, knowns)

    real_one = type(shipped.engine).fired

    def fired(self, known):
        if known.get("duration_months") == 13:
            raise RuntimeError("boom")
        return real_one(self, known)

    monkeypatch.setattr(type(shipped.engine), "fired_many", fired_many)
    monkeypatch.setattr(type(shipped.engine), "fired", fired)
    rows = [{**GOOD, "duration_months": months} for months in (12, 13, 14)]
    results = list(score_rows(shipped, rows))
    assert [type(result) for result in results] == [Scored, Rejected, Scored]
    assert results[1].internal and "internal error" in results[1].problems[0].message


def test_a_huge_cell_rejects_its_row_naming_the_field(tmp_path):
    """A 5,000-digit number in a CSV cell (beyond what Python converts) is that row's fault only."""
    source = tmp_path / "in.csv"
    source.write_text(f"id,duration_months,enterprise_size\na,{HUGE_INT},large\nb,12,large\n")
    output = tmp_path / "out.csv"
    result = invoke("batch", str(source), "-o", str(output))
    assert result.exit_code == EXIT_REJECTS, result.output
    assert [row["id"] for row in read_csv(output)] == ["b"]
    (error,) = read_csv(tmp_path / "out.errors.csv")
    assert error["field"] == "duration_months" and f"limit of {MAX_CELL_CHARS:,}" in error["message"]
    assert "internal error" not in error["message"]


# -- row 4: control characters and .xlsx --------------------------------------------------------


def test_control_characters_never_break_an_xlsx_output(tmp_path):
    from openpyxl import load_workbook

    source = tmp_path / "in.csv"
    source.write_text("id,title,enterprise_size\na,ok,large\nb\x01,t,large\nc,x\x00y,huge\nd,fine,small\n")
    output = tmp_path / "out.xlsx"
    result = invoke("batch", str(source), "-o", str(output))
    assert result.exit_code == EXIT_REJECTS, result.output
    advice = [row[1] for row in load_workbook(output).active.iter_rows(min_row=2, values_only=True)]
    assert advice == ["a", "d"]
    errors = list(load_workbook(tmp_path / "out.errors.xlsx").active.iter_rows(min_row=2, values_only=True))
    assert {(row[0], row[2]) for row in errors} >= {(3, "id"), (4, "title")}
    assert "b\\u0001" in [row[3] for row in errors]


# -- row 5: encodings ----------------------------------------------------------------------


def test_a_transform_codec_is_a_usage_error(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,enterprise_size\na,large\n")
    result = invoke("batch", str(source), "--encoding", "rot13")
    assert result.exit_code == EXIT_USAGE
    assert "--encoding" in result.output and "rot13" in result.output


@pytest.mark.parametrize("option", ["--encoding", "--output-encoding"])
@pytest.mark.parametrize("codec", ["undefined", "idna", "punycode"])
def test_an_encoding_of_no_text_file_is_a_usage_error(tmp_path, option, codec):
    # exit 70 before: UnicodeError, which is neither a decoding nor an encoding error
    source = tmp_path / "in.csv"
    source.write_text("id,enterprise_size\na,large\n")
    result = invoke("batch", str(source), "-o", str(tmp_path / "out.csv"), option, codec)
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"'{codec}' is not an encoding of text files" in result.output


def test_a_character_the_output_encoding_lacks_rejects_that_row_only(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,title,enterprise_size\na,plain,large\nb,smile 😀,large\nc,中文,small\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    result = invoke("batch", str(source), "-o", str(output), "--output-encoding", "gbk")
    assert result.exit_code == EXIT_REJECTS, result.output
    scored = list(csv.DictReader(io.StringIO(output.read_text(encoding="gbk"))))
    assert [row["id"] for row in scored] == ["a", "c"] and scored[1]["title"] == "中文"
    (error,) = list(csv.DictReader(io.StringIO((tmp_path / "out.errors.csv").read_text(encoding="gbk"))))
    assert error["row"] == "3" and error["field"] == "title"
    assert "U+1F600" in error["message"] and "gbk" in error["message"]


# -- row 6: bounded reading -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_dev_zero_as_a_batch_input_is_refused(tmp_path, fmt):
    result = invoke("batch", "/dev/zero", "--input-format", fmt, "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT
    assert f"{MAX_LINE_CHARS:,} characters" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_a_json_element_over_the_limit_is_named_as_such_not_malformed(tmp_path):
    # it said "malformed JSON at line 1 (proposal 2): Unterminated string starting at"
    source = tmp_path / "in.json"
    source.write_text('[{"id": "a"}, {"id": "b", "title": "' + "x" * (5 << 20) + '"}, {"id": "c"}]')
    result = invoke("batch", str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT
    assert "proposal 2 (line 1) is longer than the limit of 4,194,304 characters" in result.output
    assert "malformed" not in result.output and not (tmp_path / "out.csv").exists()


def test_a_deep_json_element_is_stepped_over_in_linear_time(tmp_path):
    # 24 s before: the element was parsed and scanned again after each 64 KB read
    source = tmp_path / "in.json"
    deep = "[" * (2 << 20) + "]" * (2 << 20)
    source.write_text(f'[{{"id": "a", "enterprise_size": "large"}}, {deep}, {{"id": "c", "enterprise_size": "small"}}]')
    started = time.monotonic()
    result = invoke("batch", str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_REJECTS, result.output
    assert [row["id"] for row in read_csv(tmp_path / "out.csv")] == ["a", "c"]
    assert time.monotonic() - started < 12


def test_blank_lines_are_held_in_bounded_memory(tmp_path):
    # 10 MB of newlines held 1.9 GB (one row object each) until the file ended; measured in a
    # process of its own, whose peak no other test has raised
    source = tmp_path / "in.csv"
    source.write_text("id,enterprise_size\na,large\n" + "\n" * 2_000_000 + "b,small\n")
    code = (
        "import resource, sys\n"
        "from advisor.batch_io import Columns, read_rows\n"
        "from advisor.profile import ATTRIBUTES\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "rows = read_rows(sys.argv[1], 'csv', Columns(['id', *ATTRIBUTES], False))\n"
        "numbers = [row.number for row in rows if row.data]\n"
        "print(numbers, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(source)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    numbers, grown = result.stdout.rsplit(" ", 1)
    assert numbers == "[2, 2000003]"  # the rows, numbered as a spreadsheet shows them
    assert int(grown) < 100 << 10  # KB: it grew 370 MB


def test_empty_rows_come_out_as_they_went_in():
    from hypothesis import given
    from hypothesis import strategies as st

    from advisor.batch_io import SourceRow, _without_trailing_empty

    def naive(rows):
        pending = []
        for row in rows:
            if not row.data and row.problem is None:
                pending.append(row)
                continue
            yield from pending
            pending.clear()
            yield row

    kinds = st.sampled_from(["empty", "blank-carried", "other-carried", "data", "problem", "gap"])

    @given(st.lists(kinds, max_size=40))
    def check(sequence):
        rows, number = [], 1
        for kind in sequence:
            number += 2 if kind == "gap" else 1
            if kind == "data":
                rows.append(SourceRow(number, {"id": "x"}))
            elif kind == "problem":
                rows.append(SourceRow(number, {}, "bad"))
            else:
                rows.append(
                    SourceRow(number, {}, None, {"blank-carried": (" ",), "other-carried": ("",)}.get(kind, ()))
                )
        assert list(_without_trailing_empty(iter(rows))) == list(naive(rows))

    check()


def _workbook(tmp_path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "in.xlsx"
    book.save(path)
    return path


def _rewrite_part(path: Path, part: str, change) -> None:
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            target.writestr(info.filename, change(data) if info.filename == part else data)


def test_an_xlsx_zip_bomb_is_refused_in_bounded_memory(tmp_path):
    path = _workbook(tmp_path, [["id", "title"], ["a", "x"]])
    # 64 MB of one cell, stored in well under 1 MB
    _rewrite_part(path, "xl/worksheets/sheet1.xml", lambda data: data.replace(b">x<", b">" + b"x" * (64 << 20) + b"<"))
    assert path.stat().st_size < 1 << 20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = invoke("batch", str(path), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT, result.output
    assert "zip bomb" in result.output
    # the peak did not grow by the 64 MB the cell would take (ru_maxrss is in KB)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 32 << 10


# -- row 7: damaged workbooks -------------------------------------------------------------------


def test_an_xlsx_with_a_dtd_is_refused(tmp_path):
    path = _workbook(tmp_path, [["id", "title"], ["a", "x"]])
    bomb = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'

    def with_dtd(data: bytes) -> bytes:
        if data.startswith(b"<?xml"):
            end = data.index(b"?>") + 2
            return data[:end] + bomb + data[end:]
        return bomb + data

    _rewrite_part(path, "xl/worksheets/sheet1.xml", with_dtd)
    result = invoke("batch", str(path), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT, result.output
    assert "DTD" in result.output


def test_an_xlsx_with_a_cut_short_sheet_is_refused(tmp_path):
    path = _workbook(tmp_path, [["id", "enterprise_size"], *[[f"p{i}", "large"] for i in range(50)]])
    _rewrite_part(path, "xl/worksheets/sheet1.xml", lambda data: data[: len(data) // 2])
    output = tmp_path / "out.csv"
    result = invoke("batch", str(path), "-o", str(output))
    assert result.exit_code == EXIT_INPUT, result.output
    assert "cut short" in result.output
    assert not output.exists()


def _shared_strings_workbook(tmp_path: Path, cells: list[list[str]], strings: list[str] | None = None) -> Path:
    """A workbook whose cells refer to shared strings by index, as Excel writes them: `cells` holds
    the <v> text of each cell (an index into `strings`, which default to what the indexes name)."""
    path = _workbook(tmp_path, [["x"]])
    strings = strings if strings is not None else ["id", "enterprise_size", "p1", "large"]
    rows = "".join(
        f'<row r="{number}">'
        + "".join(f'<c r="{"AB"[column]}{number}" t="s"><v>{value}</v></c>' for column, value in enumerate(row))
        + "</row>"
        for number, row in enumerate(cells, start=1)
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = f'<worksheet xmlns="{main}"><sheetData>{rows}</sheetData></worksheet>'.encode()
    table = f'<sst xmlns="{main}">{"".join(f"<si><t>{text}</t></si>" for text in strings)}</sst>'.encode()
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    relation = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    _rewrite_part(path, "xl/worksheets/sheet1.xml", lambda data: sheet)
    _rewrite_part(
        path,
        "[Content_Types].xml",
        lambda data: data.replace(
            b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}"/></Types>'.encode()
        ),
    )
    _rewrite_part(
        path,
        "xl/_rels/workbook.xml.rels",
        lambda data: data.replace(
            b"</Relationships>",
            f'<Relationship Id="rIdS" Type="{relation}" Target="sharedStrings.xml"/></Relationships>'.encode(),
        ),
    )
    with zipfile.ZipFile(path, "a") as book:
        book.writestr("xl/sharedStrings.xml", table)
    return path


def test_an_xlsx_read_through_its_shared_strings(tmp_path):
    path = _shared_strings_workbook(tmp_path, [["0", "1"], ["2", "3"]])
    output = tmp_path / "out.jsonl"
    result = invoke("batch", str(path), "-o", str(output))
    assert result.exit_code == 0, result.output
    [line] = map(json.loads, output.read_text().splitlines())
    assert (line["id"], line["advice"]["profile"]["enterprise_size"]) == ("p1", "large")


@pytest.mark.parametrize(
    ("index", "strings"),
    [("9", None), ("-1", ["id", "enterprise_size", "p1", "small", "large"]), ("3", ["id", "enterprise_size", "p1"])],
    ids=["past-the-end", "negative", "table-too-short"],
)
def test_a_shared_string_that_is_not_in_the_table_is_refused(tmp_path, index, strings):
    # past the end: exit 70; negative: Python read the last string ('large') and scored it silently
    path = _shared_strings_workbook(tmp_path, [["0", "1"], ["2", index]], strings)
    output = tmp_path / "out.csv"
    result = invoke("batch", str(path), "-o", str(output))
    assert result.exit_code == EXIT_INPUT, result.output
    assert f"the cell B2 refers to shared string {index}" in result.output
    assert not output.exists()


def test_an_xlsx_whose_shared_strings_are_missing_is_refused(tmp_path):
    path = _shared_strings_workbook(tmp_path, [["0", "1"], ["2", "3"]])
    _rewrite_part(path, "[Content_Types].xml", lambda data: re.sub(rb"<Override[^>]*sharedStrings[^>]*/>", b"", data))
    result = invoke("batch", str(path), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT, result.output
    assert "the cell A1 refers to shared string 0, but the workbook holds 0 shared strings" in result.output


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        ((1, 2, 4, 3), "row 3 comes after row 4"),
        ((1, 2, 3, 3), "row 3 comes after row 3"),
        ((1, 0, 3, 4), "row number 0 is below 1"),
        ((1, 2, 3, -4), "row number -4 is below 1"),
        ((1, 2, 3, 1_048_577), "row 1,048,577 is past the last row of a sheet (1,048,576)"),
    ],
    ids=["out-of-order", "twice", "zero", "negative", "one-past-the-last"],
)
def test_rows_out_of_order_or_past_the_last_row_are_refused(tmp_path, numbers, expected):
    # before: a row out of order, given twice or not above zero was dropped without a word
    path = _renumbered_workbook(tmp_path, numbers)
    output = tmp_path / "out.csv"
    result = invoke("batch", str(path), "-o", str(output))
    assert result.exit_code == EXIT_INPUT, result.output
    assert expected in result.output and "the workbook is damaged" in result.output
    assert not output.exists()


def test_a_huge_row_number_is_refused_in_bounded_memory(tmp_path):
    # it made 10^12 empty rows: 5 GB in a minute, never ending (run in a child process with a
    # memory limit, so that a regression fails this test and not the machine)
    path = _renumbered_workbook(tmp_path, (1, 2, 3, 999_999_999_999))
    output = tmp_path / "out.csv"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    result = subprocess.run(
        [sys.executable, "-m", "advisor", "batch", str(path), "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        preexec_fn=limit,
    )
    assert result.returncode == EXIT_INPUT, result.stderr
    assert "row 999,999,999,999 is past the last row of a sheet (1,048,576)" in result.stderr
    assert not output.exists()


def _renumbered_workbook(tmp_path: Path, numbers: tuple[int, int, int, int]) -> Path:
    """A workbook of a header and three rows, its rows numbered `numbers` in the sheet's XML."""
    path = _workbook(tmp_path, [["id", "enterprise_size"], ["p2", "large"], ["p3", "small"], ["p4", "medium"]])

    def renumber(data: bytes) -> bytes:
        for row, number in zip((1, 2, 3, 4), numbers, strict=True):
            data = data.replace(f'<row r="{row}">'.encode(), f'<row r="X{number}">'.encode())
        return data.replace(b'r="X', b'r="')

    _rewrite_part(path, "xl/worksheets/sheet1.xml", renumber)
    return path


def test_a_workbook_without_a_worksheet_is_refused(tmp_path):
    path = _workbook(tmp_path, [["id"], ["a"]])
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info)) for info in source.infolist() if "worksheets/" not in info.filename]
    with zipfile.ZipFile(path, "w") as target:
        for info, data in items:
            target.writestr(info, data)
    result = invoke("batch", str(path), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT, result.output
    assert "the workbook has no worksheet" in result.output


def test_a_chart_sheet_is_named_as_such(tmp_path):
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    book = Workbook()
    book.active.title = "Proposals"
    book.active.append(["id", "duration_months"])
    book.active.append(["a", 3])
    chart = BarChart()
    chart.add_data(Reference(book.active, min_col=2, min_row=1, max_row=2))
    book.create_chartsheet("Chart").add_chart(chart)
    path = tmp_path / "in.xlsx"
    book.save(path)
    result = invoke("batch", str(path), "--sheet", "Chart", "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT, result.output
    assert "the sheet 'Chart' is a chart, not a table; the sheets with a table are 'Proposals'" in result.output
    assert invoke("batch", str(path), "-o", str(tmp_path / "out.csv")).exit_code == 0


@pytest.mark.parametrize(
    ("part", "change"),
    [
        ("xl/workbook.xml", lambda data: data.replace(b"<workbookView ", b"<workbookView nonsense='1' ", 1)),
        ("docProps/core.xml", lambda data: re.sub(rb"(<dcterms:created[^>]*>)[^<]*", rb"\g<1>2026-11-29:34Z", data)),
        ("xl/styles.xml", lambda data: data.replace(b"<cellXfs", b"<cellXfs nonsense='1'", 1)),
        ("xl/worksheets/sheet1.xml", lambda data: data.replace(b"<pageMargins ", b"<pageMargins nonsense='1' ", 1)),
    ],
    ids=["workbook", "properties", "styles", "sheet-settings"],
)
def test_damaged_workbook_metadata_is_refused_not_an_internal_error(tmp_path, part, change):
    # found by mutating the parts of a workbook: openpyxl raises TypeError for these
    path = _workbook(tmp_path, [["id", "enterprise_size"], ["a", "large"]])
    with zipfile.ZipFile(path) as book:
        assert change(book.read(part)) != book.read(part), part
    _rewrite_part(path, part, change)
    result = invoke("batch", str(path), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT, result.output
    assert "not a readable .xlsx workbook" in result.output or "the workbook is damaged" in result.output
    assert "TypeError" in result.output and not (tmp_path / "out.csv").exists()


# -- row 8: outputs that are not regular files ---------------------------------------------------


@pytest.fixture
def small_csv(tmp_path) -> Path:
    source = tmp_path / "in.csv"
    source.write_text("id,enterprise_size\na,large\nb,small\n")
    return source


def test_a_device_is_written_through_not_replaced(small_csv, tmp_path):
    # NOTE: a private null device, never the system's /dev/null: should this regress, the test
    # must not replace a device the whole machine uses.
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    result = invoke("batch", str(small_csv), "-o", str(device))
    assert result.exit_code == 0, result.output
    assert device.is_char_device()
    assert "2 scored, 0 rejected" in result.output


def test_a_symlink_output_keeps_the_link_and_replaces_its_target(small_csv, tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target.name)
    result = invoke("batch", str(small_csv), "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == target.name
    assert [row["id"] for row in read_csv(target)] == ["a", "b"]


def test_a_dangling_symlink_output_is_refused(small_csv, tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to("nowhere.csv")
    result = invoke("batch", str(small_csv), "-o", str(link))
    assert result.exit_code == EXIT_INPUT and "does not exist" in result.output
    assert link.is_symlink() and not (tmp_path / "nowhere.csv").exists()


def test_a_fifo_output_is_written_through(small_csv, tmp_path):
    fifo = tmp_path / "advice"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    try:
        result = invoke("batch", str(small_csv), "-o", str(fifo))
        out, _ = reader.communicate(timeout=30)
    finally:
        reader.kill()
        reader.wait()
    assert result.exit_code == 0, result.output
    assert fifo.is_fifo()
    assert [row["id"] for row in csv.DictReader(io.StringIO(out.decode("utf-8-sig")))] == ["a", "b"]


def test_a_full_disk_is_named_as_such(small_csv):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    result = invoke("batch", str(small_csv), "-o", "/dev/full")
    assert result.exit_code == EXIT_INPUT
    assert "no space left on device" in result.output and "internal error" not in result.output


# -- row 9: every output path checked before any work ------------------------------------------


@pytest.mark.parametrize("option", ["--summary-file", "--errors", "-o"])
def test_an_unwritable_output_stops_the_run_before_any_output(small_csv, tmp_path, option):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    bad = str(blocker / "inside.csv")  # a folder that is a file: never writable, even as root
    output, errors = tmp_path / "out.csv", tmp_path / "out.errors.csv"
    args = {"-o": [], "--errors": ["-o", str(output)], "--summary-file": ["-o", str(output), "--errors", str(errors)]}
    if option == "--summary-file":
        bad = bad.replace(".csv", ".md")
    result = invoke("batch", str(small_csv), *args[option], option, bad)
    assert result.exit_code == EXIT_INPUT, result.output
    assert bad in result.output
    assert not output.exists() and not errors.exists()


# -- row 18: unknown columns, Ctrl-C -------------------------------------------------------------


def test_the_unknown_columns_message_is_capped(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id," + ",".join(f"c{i}" for i in range(100_000)) + "\na\n")
    result = invoke("batch", str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT
    assert "and 99,990 more" in result.output and len(result.output) < 2_000
    assert "at most 200 such columns are carried" in result.output


def test_ctrl_c_exits_130_and_writes_nothing(tmp_path):
    output = tmp_path / "out.csv"
    process = subprocess.Popen(
        [sys.executable, "-m", "advisor", "batch", "-", "-o", str(output)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdin is not None
    process.stdin.write(b"id,enterprise_size\n" + b"".join(b"p%d,large\n" % i for i in range(2000)))
    process.stdin.flush()
    deadline = time.monotonic() + 60
    # wait until the run has started (its temporary output exists), then press Ctrl-C
    while not list(tmp_path.glob(".out.csv.*.part")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # past the check of the outputs, which makes and removes one too
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert not output.exists() and not list(tmp_path.glob(".out.csv.*"))


def test_formulas_from_the_file_are_shown_never_run_in_the_summary_and_the_headers(tmp_path):
    source = tmp_path / "p.csv"
    source.write_text(
        'id,enterprise_size,region,"=HYPERLINK(""http://evil.example/"")"\n'
        'P1,large,"=HYPERLINK(""http://evil.example/"",""click"")",x\nP2,small,=1+1,y\n',
        encoding="utf-8",
    )
    target = tmp_path / "out.xlsx"
    result = invoke(
        "batch", str(source), "-o", str(target), "--group-by", "region", "--report", str(tmp_path / "r.html")
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as book:
        names = sorted(name for name in book.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name))
        sheets = [book.read(name).decode() for name in names]
    assert len(sheets) == 2 and not any("<f>" in sheet for sheet in sheets)  # no formula anywhere
    assert any("'=HYPERLINK" in sheet for sheet in sheets[1:])  # the Summary's group value, quoted
    csv_out = tmp_path / "out.csv"
    assert invoke("batch", str(source), "-o", str(csv_out)).exit_code == 0
    header = next(csv.reader(io.StringIO(csv_out.read_text(encoding="utf-8-sig"))))
    assert header[-1] == '\'=HYPERLINK("http://evil.example/")'


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".json", '{"enterprise_size": "large", "scope": "single_problem", "enterprise_size": "small"}'),
        (".yml", "enterprise_size: large\nscope: single_problem\nenterprise_size: small\n"),
    ],
)
def test_a_key_given_twice_is_refused_naming_it(tmp_path, suffix, text):
    # json and YAML would keep the last value and drop the first without a word
    path = tmp_path / f"profile{suffix}"
    path.write_text(text, encoding="utf-8")
    result = invoke("advise", str(path))
    assert result.exit_code == EXIT_INPUT and "the key 'enterprise_size' appears twice" in result.output


def test_a_batch_row_with_a_key_given_twice_is_rejected_alone(tmp_path):
    source = tmp_path / "p.jsonl"
    source.write_text('{"id": "a"}\n{"id": "b", "scope": "single_problem", "scope": "multi_program"}\n{"id": "c"}\n')
    result = invoke("batch", str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_REJECTS
    assert [row["id"] for row in read_csv(tmp_path / "out.csv")] == ["a", "c"]
    assert "the key 'scope' appears twice" in (tmp_path / "out.errors.csv").read_text(encoding="utf-8-sig")


def test_a_long_note_within_the_line_limit_is_carried_not_refused(tmp_path):
    # csv's own field limit (131,072) refused it in csv's words; a cell may be as long as a line
    source = tmp_path / "p.csv"
    source.write_text("id,enterprise_size,备注\nP1,large," + "x" * 500_000 + "\n", encoding="utf-8")
    result = invoke("batch", str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.output
    assert read_csv(tmp_path / "out.csv")[0]["备注"] == "x" * 500_000


def test_a_carried_column_named_twice_is_refused(tmp_path):
    source = tmp_path / "p.csv"
    source.write_text("id,备注,enterprise_size,备注\nA,x,large,y\n", encoding="utf-8")
    result = invoke("batch", str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT and "the column '备注' appears twice (columns 2 and 4)" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_yaml_11_readings_never_change_what_was_written(tmp_path):
    # YAML 1.1 alone reads 1:30 as 90 (base 60) and no/yes/on/off as booleans
    path = tmp_path / "p.yaml"
    path.write_text("duration_months: 1:30\nenterprise_size: no\nexisting_result: yes\n", encoding="utf-8")
    result = invoke("advise", str(path))
    assert result.exit_code == EXIT_INPUT
    assert "duration_months: not a duration (got '1:30')" in result.output
    assert "enterprise_size: not an allowed value (got 'no')" in result.output
    path.write_text(
        "existing_result: yes\nenterprise_can_industrialize: True\nuniversity_takes_equity: off\n", encoding="utf-8"
    )
    result = invoke("advise", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["profile"] == {
        "enterprise_can_industrialize": True,
        "existing_result": True,
        "university_takes_equity": False,
    }
