"""Readers and writers of `advisor batch` (advisor.batch_io), and the streaming parts of the run."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from advisor import batch_io
from advisor.batch import DuplicateIds
from advisor.batch_io import AtomicFile, Columns, SourceRow, TableWriter, estimate_rows, neutralise, read_rows
from advisor.errors import InputError
from advisor.profile import ATTRIBUTES
from advisor.row_scoring import Rejected, Scored, score_rows

COLUMNS = Columns(["id", "title", *ATTRIBUTES], ignore_unknown=False)


def rows_of(path: Path, fmt: str, **options) -> list[SourceRow]:
    return list(read_rows(str(path), fmt, options.pop("columns", COLUMNS), **options))


# -- reading ------------------------------------------------------------------------------------


def test_a_json_array_is_read_one_proposal_at_a_time_across_buffer_edges(tmp_path, monkeypatch):
    monkeypatch.setattr(batch_io, "_CHUNK", 7)  # every proposal straddles several reads
    proposals = [
        {"id": "a]b,c", "title": 'brackets [in] text, and "quotes"\n', "research_stages": ["pilot", "production"]},
        {"id": "二", "scope": "single_problem", "funding_cny": 1.5e6},
        {},
        {"ID": "d", "Enterprise_Size": "large"},
    ]
    path = tmp_path / "in.json"
    path.write_text(json.dumps(proposals, ensure_ascii=False, indent=1), encoding="utf-8")
    rows = rows_of(path, "json")
    assert [row.number for row in rows] == [1, 2, 3, 4]
    assert rows[0].data == proposals[0]
    assert rows[1].data == proposals[1]
    assert rows[2].data == {} and rows[2].problem is None
    assert rows[3].data == {"id": "d", "enterprise_size": "large"}, "keys match attributes case-insensitively"


def test_a_json_file_of_objects_without_brackets_is_read_too(tmp_path):
    path = tmp_path / "in.json"
    path.write_text('{"id": "a"}\n{"id": "b"}\n', encoding="utf-8")
    assert [row.data["id"] for row in rows_of(path, "json")] == ["a", "b"]


def test_a_json_element_that_is_not_an_object_is_a_bad_row(tmp_path):
    path = tmp_path / "in.json"
    path.write_text('[{"id": "a"}, 5, null, {"id": "b"}]', encoding="utf-8")
    rows = rows_of(path, "json")
    assert [(row.number, row.problem) for row in rows] == [
        (1, None),
        (2, "expected a JSON object of profile attributes, got int"),
        (3, "expected a JSON object of profile attributes, got null"),
        (4, None),
    ]


def test_empty_rows_at_the_end_are_not_proposals_but_empty_rows_between_are(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,scope\na,single_problem\n,\n\nb,single_problem\n,\n\n\n", encoding="utf-8")
    rows = rows_of(path, "csv")
    assert [(row.number, row.data) for row in rows] == [
        (2, {"id": "a", "scope": "single_problem"}),
        (3, {}),
        (4, {}),
        (5, {"id": "b", "scope": "single_problem"}),
    ]


def test_csv_rows_with_stray_cells_are_reported(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,,scope,\na,,single_problem,\nb,x,single_problem,\nc,,single_problem,,,\n", encoding="utf-8")
    rows = rows_of(path, "csv")
    assert rows[0] == SourceRow(2, {"id": "a", "scope": "single_problem"})
    assert rows[1].problem == "column 2 has no header but holds 'x'"
    assert rows[2] == SourceRow(4, {"id": "c", "scope": "single_problem"}), "trailing empty cells (Excel) are fine"


def test_a_quoted_cell_may_hold_newlines_and_the_row_number_stays_the_spreadsheet_row(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,title\na,"two\nlines"\nb,one line\n', encoding="utf-8")
    assert [(row.number, row.data["title"]) for row in rows_of(path, "csv")] == [(2, "two\nlines"), (3, "one line")]


def test_a_header_without_attributes_is_an_input_error(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a profile attribute"):
        rows_of(path, "csv")
    ignoring = Columns(["id", *ATTRIBUTES], ignore_unknown=True)
    with pytest.raises(InputError, match="names no profile attribute"):
        rows_of(path, "csv", columns=ignoring)


def test_a_column_given_twice_is_an_input_error(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,Scope,scope\n", encoding="utf-8")
    with pytest.raises(InputError, match="'scope' appears twice"):
        rows_of(path, "csv")


def test_a_tab_separated_file_gets_a_hint(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id\tscope\na\tsingle_problem\n", encoding="utf-8")
    with pytest.raises(InputError, match="tabs but no commas"):
        rows_of(path, "csv")


def test_xlsx_cells_keep_their_types_and_the_sheet_can_be_chosen(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["ignored"])
    sheet = book.create_sheet("2024")
    sheet.append(["ID", "existing_result", "duration_months", "title", None])
    sheet.append([1001, True, 36, "=still text", None])
    sheet["D2"].data_type = "s"  # text typed into Excel, not a formula
    sheet.append([None, None, None, None, None])
    sheet.append([1002, False, 12.0, None, "stray"])
    sheet.append([None, None, None, None, None])  # formatted but empty rows at the end
    path = tmp_path / "book.xlsx"
    book.save(path)
    rows = rows_of(path, "xlsx", sheet="2024")
    assert rows[0] == SourceRow(2, {"id": 1001, "existing_result": True, "duration_months": 36, "title": "=still text"})
    assert rows[1] == SourceRow(3, {})
    assert rows[2].number == 4 and rows[2].problem == "column 5 has no header but holds 'stray'"
    assert len(rows) == 3
    assert estimate_rows(str(path), "xlsx", "2024") == 4


def test_estimate_rows_counts_lines(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id\n" + "x\n" * 1234, encoding="utf-8")
    assert estimate_rows(str(path), "csv") == 1234
    assert estimate_rows("-", "csv") is None


# -- writing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        ("'=quoted", "'=quoted"),
    ],
)
def test_neutralise(text, shown):
    assert neutralise(text) == shown


def test_atomic_file_appears_only_on_commit(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    first = AtomicFile(str(target))
    first.temp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "old"
    first.commit()
    assert target.read_text(encoding="utf-8") == "new"
    second = AtomicFile(str(target))
    second.temp.write_text("newer", encoding="utf-8")
    second.abort()
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"], "no temporary file is left behind"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_an_aborted_writer_leaves_nothing(tmp_path, fmt):
    writer = TableWriter(str(tmp_path / f"out.{fmt}"), fmt, ["a", "b"])
    for number in range(100):
        if fmt == "jsonl":
            writer.write_line(json.dumps({"a": number}))
        else:
            writer.write([number, "x"])
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_an_output_in_a_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        TableWriter(str(tmp_path / "no" / "out.csv"), "csv", ["a"])


def test_xlsx_to_stdout_is_refused():
    with pytest.raises(InputError, match="cannot be written to stdout"):
        TableWriter("-", "xlsx", ["a"])


# -- streaming ----------------------------------------------------------------------------------


def test_score_rows_streams(shipped):
    # An endless supply of proposals: results come out before the input ends.
    endless = (
        {"id": str(number), "scope": "single_problem", "technology_level": "low"} for number in itertools.count()
    )
    first = list(itertools.islice(score_rows(shipped, endless), 600))
    assert [result.number for result in first] == list(range(1, 601))
    assert all(isinstance(result, Scored) for result in first)


def test_score_rows_keeps_going_past_bad_rows(shipped):
    rows = [
        {"scope": "single_problem"},
        "not a mapping",
        SourceRow(7, {"id": "x"}, "the row has 2 cells"),
        {"scope": 5},
    ]
    results = list(score_rows(shipped, rows))
    assert [type(result) for result in results] == [Scored, Rejected, Rejected, Rejected]
    assert [result.number for result in results] == [1, 2, 7, 8]
    assert results[2].id == "x" and results[2].problems[0].field == "(row)"


def test_duplicate_ids_survive_the_table_growing():
    seen = DuplicateIds()
    for number in range(200_000):
        seen.see(f"HN-{number:07d}", number + 2)
    assert seen.duplicate_ids == 0
    seen.see("HN-0000005", 300_000)
    seen.see("HN-0000005", 300_001)
    seen.see("HN-0199999", 300_002)
    assert seen.repeats == {"HN-0000005": [7, 300_000, 300_001], "HN-0199999": [200_001, 300_002]}
    assert (seen.duplicate_ids, seen.duplicate_rows) == (2, 3)
    # 12 bytes a slot, at most 3/4 full: far less than a set of the id strings (~100 bytes an id)
    assert seen._hashes.itemsize * len(seen._hashes) + seen._rows.itemsize * len(seen._rows) <= 200_000 * 32
