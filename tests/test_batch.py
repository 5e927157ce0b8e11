"""`advisor batch` as a clerk meets it: every format in and out, bad rows, exit codes, safe outputs, summary."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from advisor.batch import EXIT_REJECTS, SCORED_COLUMNS
from advisor.cli import EXIT_INPUT, cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
SUMMARY_LINE = re.compile(r"batch: ([\d,]+) rows? read, ([\d,]+) scored, ([\d,]+) rejected")


def run(*args: str, input: str | bytes | None = None):
    result = CliRunner().invoke(cli, ["batch", *args], input=input, catch_exceptions=False)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return result


def counts(result) -> tuple[int, int, int]:
    found = SUMMARY_LINE.search(result.stderr)
    assert found, result.stderr
    read, scored, rejected = (int(group.replace(",", "")) for group in found.groups())
    return read, scored, rejected


# -- fixture files, written by the tests ---------------------------------------------------------


def proposals() -> list[dict[str, Any]]:
    """The shipped examples (one per mode) and a few sparse or odd proposals."""
    rows = [json.loads(path.read_text(encoding="utf-8")) for path in EXAMPLES]
    rows += [
        {"id": "sparse", "enterprise_size": "medium"},
        {
            "id": "close",
            "technology_level": "low",
            "scope": "single_problem",
            "enterprise_size": "small",
            "funding_sources": ["enterprise"],
            "duration_months": 12,
            "research_stages": ["production"],
        },
        {
            "id": "no-enterprise",
            "enterprise_size": "none",
            "university_commercializes": True,
            "title": "校办企业：材料中试",
        },
        {
            "title": "no id here",
            "foreign_partner": True,
            "international_channel": "governmental",
            "government_roles": [],
        },
    ]
    return rows


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value) if value else "none"
    return value


def write_input(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8") -> Path:
    """Write rows as the file's extension says (CSV lists as a;b, empty cells for unknown)."""
    header = ["id", "title"] + sorted({key for row in rows for key in row} - {"id", "title"})
    suffix = path.suffix
    if suffix == ".csv":
        with open(path, "w", encoding=encoding, newline="") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_cell(row[name]) if name in row else "" for name in header])
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    elif suffix == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "proposals"
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(row[name]) if name in row else None for name in header])
        book.save(path)
    return path


def read_table(path: Path) -> list[dict[str, Any]]:
    """The rows of a CSV (with BOM), JSON Lines or .xlsx output, as dicts."""
    if path.suffix == ".csv":
        text = path.read_text(encoding="utf-8")
        assert text.startswith("\ufeff"), "a CSV for Excel starts with a BOM"
        return list(csv.DictReader(io.StringIO(text[1:])))
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    from openpyxl import load_workbook

    from advisor.workbook import column_ids

    book = load_workbook(path, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    header = column_ids(rows[0], "en")  # the advice sheet shows each column by its label
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def expected_row(shipped, profile: dict[str, Any]) -> dict[str, Any]:
    advice = shipped.advise(profile, what_if=False)
    others = [mode for mode in advice.modes[1:] if mode.verdict != "excluded"]
    return {
        "leading_mode": advice.leading_mode or "",
        "leading_score": str(advice.modes[0].score),
        "decision": advice.decision,
        "second_mode": others[0].id if others else "",
        "second_score": str(others[0].score) if others else "",
        "third_mode": others[1].id if len(others) > 1 else "",
        "third_score": str(others[1].score) if len(others) > 1 else "",
        "difficulties": ";".join(flag.id for flag in advice.difficulties),
        "decision_reason": advice.decision_reason,
    }


def _text(row: dict[str, Any]) -> dict[str, Any]:
    return {key: "" if value is None else str(value) for key, value in row.items()}


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("out_format", ["csv", "jsonl", "xlsx"])
@pytest.mark.parametrize("in_format", ["csv", "jsonl", "json", "xlsx"])
def test_round_trip_gives_the_advice_advise_gives(tmp_path, shipped, in_format, out_format):
    rows = proposals()
    source = write_input(tmp_path / f"in.{in_format}", rows)
    target = tmp_path / f"advice.{out_format}"
    result = run(str(source), "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert counts(result) == (len(rows), len(rows), 0)
    out = read_table(target)
    assert len(out) == len(rows)
    for number, (profile, line) in enumerate(
        zip(rows, out, strict=True), start=2 if in_format in ("csv", "xlsx") else 1
    ):
        ident = profile.get("id", str(number))
        if out_format == "jsonl":
            assert line["row"] == number and line["id"] == ident
            assert line["advice"] == shipped.advise(profile, what_if=False).model_dump(mode="json")
            continue
        line = _text(line)
        assert line["row"] == str(number) and line["id"] == ident
        assert line["title"] == profile.get("title", "")
        assert {key: line[key] for key in SCORED_COLUMNS[3:]} == expected_row(shipped, profile)
    errors = tmp_path / f"advice.errors.{out_format}"
    assert errors.exists() and read_table(errors) == [], "an errors file with only its header: nothing rejected"


def test_default_output_is_beside_the_input_in_its_family(tmp_path):
    source = write_input(tmp_path / "proposals.xlsx", proposals()[:3])
    result = run(str(source))
    assert result.exit_code == 0
    assert (tmp_path / "proposals.advice.xlsx").exists()
    assert (tmp_path / "proposals.advice.errors.xlsx").exists()


def test_stdin_to_stdout_with_rejections_on_stderr(shipped):
    text = "id,enterprise_size,scope\na,large,multi_program\nb,giant,single_problem\n"
    result = run("-", "-o", "-", input=text)
    assert result.exit_code == EXIT_REJECTS
    lines = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [line["id"] for line in lines] == ["a"]
    assert not result.stdout.startswith("\ufeff")
    assert "rejected: row 3 (id b): enterprise_size" in result.stderr
    assert "giant" in result.stderr and "one of large, medium, small, none" in result.stderr


def test_what_if_adds_the_next_questions(tmp_path, shipped):
    profile = {"id": "q", "enterprise_size": "large", "duration_months": 60}
    source = write_input(tmp_path / "in.csv", [profile])
    result = run(str(source), "-o", str(tmp_path / "out.csv"), "--what-if", "--questions", "2")
    assert result.exit_code == 0
    (line,) = read_table(tmp_path / "out.csv")
    advice = shipped.advise(profile, what_if=True, max_questions=2)
    assert advice.next_questions, "the example must have questions worth asking"
    asked = [part.split(" (")[0] for part in line["next_questions"].split("; ")]
    assert asked == [question.attribute for question in advice.next_questions]


# -- a file with good and bad rows ---------------------------------------------------------------

MIXED = (
    "\ufeffID,Title,Duration_Months,Enterprise Size,funding_sources,existing_result\r\n"
    "P1,good,36,large,enterprise;government,true\r\n"  # row 2
    'P2,"=HYPERLINK(""http://example.invalid"",""click"")",12,Small,enterprise,false\r\n'  # row 3: scored
    "P3,wrong type,three years,large,,\r\n"  # row 4
    "P4,unknown value,24,huge,,\r\n"  # row 5
    ",,,,,\r\n"  # row 6: empty
    "P5,extra cell,24,large,enterprise,true,surplus\r\n"  # row 7
    "P6,bad list item,24,medium,enterprise;bank,yes\r\n"  # row 8
    "P7,-negative,-5,medium,,\r\n"  # row 9: duration out of range; formula-looking value
    "P8,cut sho"  # row 10: truncated last line
)
MIXED_REJECTS = {
    4: "duration_months",
    5: "enterprise_size",
    6: "(row)",
    7: "(row)",
    8: "funding_sources[1]",
    9: "duration_months",
    10: "(row)",
}


def _check_mixed(result, output: Path, errors: Path) -> None:
    assert result.exit_code == EXIT_REJECTS, result.stderr
    read, scored, rejected = counts(result)
    assert (read, scored, rejected) == (9, 2, 7)
    assert scored + rejected == read
    good = read_table(output)
    bad = read_table(errors)
    assert [line["row"] for line in good] == ["2", "3"]
    assert {int(line["row"]): line["field"] for line in bad} == MIXED_REJECTS
    assert sorted([int(line["row"]) for line in good] + [int(line["row"]) for line in bad]) == list(range(2, 11))
    by_row = {int(line["row"]): line for line in bad}
    assert (
        by_row[4]["id"] == "P3"
        and by_row[4]["value"] == "three years"
        and by_row[4]["allowed"].startswith("an integer")
    )
    assert by_row[5]["value"] == "huge" and "large, medium, small, none" in by_row[5]["allowed"]
    assert "empty" in by_row[6]["message"]
    assert "header has 6" in by_row[7]["message"]
    assert by_row[8]["value"] == "bank"
    assert by_row[9]["value"] == "'-5", "a value that looks like a formula is neutralised"
    assert "cut short" in by_row[10]["message"] and by_row[10]["id"] == "P8"


def test_mixed_good_and_bad_rows(tmp_path):
    source = tmp_path / "mixed.csv"
    source.write_bytes(MIXED.encode("utf-8"))
    result = run(str(source), "-o", str(tmp_path / "advice.csv"))
    _check_mixed(result, tmp_path / "advice.csv", tmp_path / "advice.errors.csv")
    assert "see " + str(tmp_path / "advice.errors.csv") in result.stderr


def test_mixed_rows_from_a_gb18030_file(tmp_path):
    text = MIXED.replace("good", "长沙理工大学与株洲某企业联合研发")
    source = tmp_path / "mixed-gbk.csv"
    source.write_bytes(text.encode("gb18030"))
    refused = run(str(source), "-o", str(tmp_path / "advice.csv"))
    assert refused.exit_code == EXIT_INPUT
    assert "not valid utf-8" in refused.stderr and "--encoding gb18030" in refused.stderr
    assert not (tmp_path / "advice.csv").exists()
    result = run(
        str(source), "-o", str(tmp_path / "advice.csv"), "--errors", str(tmp_path / "bad.csv"), "--encoding", "gb18030"
    )
    _check_mixed(result, tmp_path / "advice.csv", tmp_path / "bad.csv")
    assert read_table(tmp_path / "advice.csv")[0]["title"] == "长沙理工大学与株洲某企业联合研发"


def test_a_utf8_file_read_as_gbk_names_the_option(tmp_path):
    source = tmp_path / "utf8.csv"
    source.write_bytes("id,title,scope\nP1,€ 合作,single_problem\n".encode())
    result = run(str(source), "-o", str(tmp_path / "out.csv"), "--encoding", "gbk")
    assert result.exit_code == EXIT_INPUT
    assert "line 2 is not valid gbk" in result.stderr and "--encoding" in result.stderr


def test_a_misspelt_attribute_column_stops_the_run_unless_ignored(tmp_path):
    source = tmp_path / "extra.csv"
    source.write_text("id,Budget,enterprise_sise,scope\nP1,100,large,single_problem\n", encoding="utf-8")
    refused = run(str(source), "-o", str(tmp_path / "out.csv"))
    assert refused.exit_code == EXIT_INPUT
    assert "'enterprise_sise' (did you mean 'enterprise_size'?)" in refused.stderr
    assert "'Budget'" not in refused.stderr, "a column that is clearly not an attribute is carried, not refused"
    assert "--ignore-unknown-columns" in refused.stderr
    assert not (tmp_path / "out.csv").exists()
    result = run(str(source), "-o", str(tmp_path / "out.csv"), "--ignore-unknown-columns")
    assert result.exit_code == 0
    assert counts(result) == (1, 1, 0)
    assert "Budget" not in read_table(tmp_path / "out.csv")[0], "--ignore-unknown-columns leaves them all out"


def test_bad_jsonl_lines_are_rejected_with_their_line_number(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": "a", "scope": "single_problem"}\n'
        "\n"
        '["not", "an", "object"]\n'
        '{"id": "d", "Enterprise_Size": "LARGE", "colour": "red"}\n'
        '{"id": "e", "scope": "single_pro\n',
        encoding="utf-8",
    )
    result = run(str(source), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == EXIT_REJECTS
    assert counts(result) == (5, 1, 4)
    bad = read_table(tmp_path / "out.errors.jsonl")
    assert [(line["row"], line["field"]) for line in bad] == [(2, "(row)"), (3, "(row)"), (4, "colour"), (5, "(row)")]
    assert bad[3]["message"].startswith("malformed JSON") and "cut short" in bad[3]["message"]


# -- exit codes and messages -------------------------------------------------------------------


def test_allow_rejects_exits_0(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,scope\na,single_problem\nb,everything\n", encoding="utf-8")
    result = run(str(source), "-o", str(tmp_path / "out.csv"), "--allow-rejects")
    assert result.exit_code == 0
    assert counts(result) == (2, 1, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "missing.csv: no such file"),
        (["in.txt.gz"], "cannot tell the format from the extension '.gz'"),
        (["in.csv", "-o", "out.pdf"], "--format"),
        (["in.csv", "-o", "in.csv"], "the same file"),
        (["in.csv", "-o", "nowhere/out.csv"], "does not exist"),
        (["in.csv", "--summary-file", "nowhere/summary.md"], "does not exist"),
        (["book.xlsx", "--sheet", "Sheet9"], "no sheet named 'Sheet9'"),
        (["empty.csv"], "the file is empty"),
        (["broken.json"], "malformed JSON at line 3 (proposal 2): Expecting ',' delimiter"),
        (["cut.json"], "cut.json: the file ends inside proposal 2 (is it cut short?)"),
        (["fake.xlsx"], "not a readable .xlsx workbook"),
    ],
)
def test_unreadable_input_gets_a_message_and_exit_3(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    write_input(tmp_path / "in.csv", proposals()[:2])
    (tmp_path / "in.txt.gz").write_bytes(b"\x1f\x8b")
    write_input(tmp_path / "book.xlsx", proposals()[:2])
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    (tmp_path / "broken.json").write_text('[\n {"id": "a"},\n {"id": "b" "c"},\n {"id": "d"}\n]', encoding="utf-8")
    (tmp_path / "cut.json").write_text('[\n {"id": "a"},\n {"id": "b"\n', encoding="utf-8")
    (tmp_path / "fake.xlsx").write_text("id,scope\n", encoding="utf-8")
    result = run(*args)
    assert result.exit_code == EXIT_INPUT, result.stderr
    assert message in result.stderr
    assert result.stderr.startswith("error: ")


def test_a_bad_encoding_name_is_a_usage_error(tmp_path):
    result = run("in.csv", "--encoding", "klingon")
    assert result.exit_code == 2
    assert "'klingon' is not an encoding" in result.stderr


def test_duplicate_ids_are_reported_and_all_rows_scored(tmp_path):
    source = tmp_path / "dups.csv"
    source.write_text(
        "id,scope\nA,single_problem\nB,single_program\nA,multi_program\nC,single_problem\nB,wrong\n", encoding="utf-8"
    )
    result = run(str(source), "-o", str(tmp_path / "out.csv"), "--summary")
    assert counts(result) == (5, 4, 1)
    assert "duplicate ids: 'A' (rows 2, 4); 'B' (rows 3, 6)" in result.stderr
    assert "## Duplicate ids" in result.stdout


# -- safe outputs -----------------------------------------------------------------------------


@pytest.mark.parametrize("out_format", ["csv", "xlsx"])
def test_formula_looking_cells_are_neutralised(tmp_path, out_format):
    rows = [
        {"id": "=1+1", "title": '=HYPERLINK("http://example.invalid")', "scope": "single_problem"},
        {"id": "@SUM(A1)", "title": "+86 731 8888", "scope": "single_problem"},
        {"id": "-3", "title": "-2+3 cmd", "scope": "single_problem"},
        {"id": "ok", "title": "plain - title", "scope": "single_problem", "duration_months": "-7"},
    ]
    source = write_input(tmp_path / "in.jsonl", rows)
    target = tmp_path / f"out.{out_format}"
    result = run(str(source), "-o", str(target))
    assert result.exit_code == EXIT_REJECTS
    good = read_table(target)
    assert [(line["id"], line["title"]) for line in good] == [
        ("'=1+1", '\'=HYPERLINK("http://example.invalid")'),
        ("'@SUM(A1)", "'+86 731 8888"),
        ("'-3", "'-2+3 cmd"),
    ]
    (bad,) = read_table(tmp_path / f"out.errors.{out_format}")
    assert bad["value"] == "'-7"
    if out_format == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(target)
        cells = [cell for row in book.worksheets[0].iter_rows(min_row=2) for cell in row]
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"], "no cell is a formula"


def _big_input(tmp_path: Path, rows: int) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import make_proposals
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    source = tmp_path / "big.csv"
    make_proposals.main([str(rows), "-o", str(source)])
    return source


def _start(source: Path, target: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "advisor", "batch", str(source), "-o", str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )


def _wait_for_partial(directory: Path, process: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        parts = [p for p in directory.glob(".out.csv.*.part") if p.stat().st_size > 0]
        if parts:
            return parts[0]
        assert process.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError("no partial output appeared")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP], ids=["SIGKILL", "SIGTERM", "SIGHUP"])
def test_a_run_killed_part_way_leaves_no_output_under_the_final_name(tmp_path, how):
    # SIGHUP: the terminal closed (a dropped ssh session); it left the temporary files behind
    source = _big_input(tmp_path, 60_000)
    target = tmp_path / "out.csv"
    before = "the previous run's advice\n"
    if how != signal.SIGKILL:
        target.write_text(before, encoding="utf-8")
    with _start(source, target) as process:
        try:
            partial = _wait_for_partial(tmp_path, process)
            process.send_signal(how)
            _, stderr = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert not (tmp_path / "out.errors.csv").exists()
    if how == signal.SIGKILL:
        assert not target.exists(), "a killed run must not leave a half-written file under the final name"
        assert partial.exists(), "the partial output stays hidden under its temporary name"
    else:
        assert target.read_text(encoding="utf-8") == before, "the old output stays until a run succeeds"
        assert not partial.exists(), "a terminated run removes its temporary file"
        assert not list(tmp_path.glob(".out*.part")), "and every other temporary file"
        assert process.returncode == 128 + how
        assert b"Traceback" not in stderr


# -- summary and progress ------------------------------------------------------------------------


def test_summary_counts_modes_difficulties_and_close_calls(tmp_path, shipped):
    rows = proposals()
    source = write_input(tmp_path / "in.csv", rows)
    summary_file = tmp_path / "summary.md"
    result = run(str(source), "-o", str(tmp_path / "out.csv"), "--summary", "--summary-file", str(summary_file))
    assert result.exit_code == 0
    text = summary_file.read_text(encoding="utf-8")
    assert result.stdout == text
    advices = [shipped.advise(row, what_if=False) for row in rows]
    for mode_id, record in shipped.knowledge.modes.items():
        count = sum(advice.leading_mode == mode_id for advice in advices)
        assert f"| {record.name} | {record.name_zh} | {count:,} |" in text
    for difficulty_id, record in shipped.knowledge.difficulties.items():
        count = sum(difficulty_id in {flag.id for flag in advice.difficulties} for advice in advices)
        if count:
            assert f"| {record.name_zh} | {count:,} |" in text
    close = [(row, advice) for row, advice in zip(rows, advices, strict=True) if advice.decision == "close_call"]
    assert close, "the fixture needs a close call"
    # one close call in the fixture: the count reads in the singular (it read "1 close calls")
    assert len(close) == 1 and "1 close call," in text and "1 close calls" not in text
    assert "1 proposal has two modes" in text and "The proposal:" in text and "The first 1:" not in text
    for row, advice in close:
        leader = shipped.knowledge.modes[advice.leading_mode].name
        assert f"| {row['id']} |" in text and f"| {leader} ({advice.modes[0].score}) |" in text


def test_progress_bar_only_when_asked_or_on_a_terminal(tmp_path):
    source = write_input(tmp_path / "in.csv", proposals())
    quiet = run(str(source), "-o", str(tmp_path / "a.csv"))
    assert "%|" not in quiet.stderr and len(quiet.stderr.strip().splitlines()) == 1, "one summary line, nothing else"
    shown = run(str(source), "-o", str(tmp_path / "b.csv"), "--progress")
    assert "100%|" in shown.stderr and "rows/s" in shown.stderr


def test_progress_bar_appears_by_itself_on_a_terminal(tmp_path):
    import pexpect

    source = write_input(tmp_path / "in.csv", proposals() * 50)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "advisor", "batch", str(source), "-o", str(tmp_path / "out.csv")],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=60,
        dimensions=(24, 120),
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "100%|" in child.before and "rows/s]" in child.before and "600/600" in child.before


def test_workers_give_the_same_output(tmp_path):
    rows = proposals() * 3 + [{"id": "bad", "scope": "nope"}, {}, {"id": "after-an-empty-row"}]
    source = write_input(tmp_path / "in.csv", rows)
    one = run(str(source), "-o", str(tmp_path / "one.csv"))
    two = run(str(source), "-o", str(tmp_path / "two.csv"), "--workers", "2")
    assert one.exit_code == two.exit_code == EXIT_REJECTS
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    assert (tmp_path / "one.errors.csv").read_bytes() == (tmp_path / "two.errors.csv").read_bytes()
    assert "the row is empty" in (tmp_path / "two.errors.csv").read_text("utf-8-sig")
    assert counts(one) == counts(two)
    # rejected rows listed on stderr read alike too (a (row) problem has no value to show)
    one = run(str(source), "-o", "-")
    two = run(str(source), "-o", "-", "--workers", "2")
    assert [line for line in one.stderr.splitlines() if line.startswith("rejected")] == [
        line for line in two.stderr.splitlines() if line.startswith("rejected")
    ]
    assert "<missing>" not in two.stderr


def test_help_lists_the_formats_and_exit_codes():
    result = run("--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for word in (
        "CSV",
        "JSON Lines",
        "Excel",
        "--encoding",
        "--errors",
        "--allow-rejects",
        "--summary",
        "4 some rows rejected",
    ):
        assert word in text


def test_advisor_help_does_not_import_the_batch_libraries():
    code = (
        "import sys, advisor.batch; "
        "heavy = ('openpyxl', 'tqdm', 'pydantic', 'durable_rules_engine', 'advisor.core'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_errors_go_to_the_file_named(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,scope\na,bad\n", encoding="utf-8")
    result = run(str(source), "-o", str(tmp_path / "out.xlsx"), "--errors", str(tmp_path / "rejects.jsonl"))
    assert result.exit_code == EXIT_REJECTS
    (line,) = read_table(tmp_path / "rejects.jsonl")
    assert line == {
        "row": 2,
        "id": "a",
        "field": "scope",
        "value": "bad",
        "message": line["message"],
        "allowed": "one of single_problem, single_program, multi_program",
    }
    assert read_table(tmp_path / "out.xlsx") == []
    assert os.path.exists(tmp_path / "out.xlsx")


def test_the_columns_carried_through_are_named_once_before_the_run_line(tmp_path):
    source = tmp_path / "in.csv"
    names = [f"note{i}" for i in range(12)]
    source.write_text("id,scope," + ",".join(names) + "\na,single_problem" + ",x" * 12 + "\n", "utf-8")
    result = run(str(source), "-o", str(tmp_path / "out.csv"), "--lang", "en")
    assert result.exit_code == 0
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("batch: 1 row read")
    assert lines[-2] == (
        "batch: carried through unchanged, not profile attributes: " + ", ".join(names[:10]) + " and 2 more"
    )
    plain = tmp_path / "plain.csv"
    plain.write_text("id,scope\na,single_problem\n", "utf-8")
    assert "not profile attributes" not in run(str(plain), "-o", str(tmp_path / "plain.out.csv"), "--lang", "en").stderr
