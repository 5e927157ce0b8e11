"""Formulas in an .xlsx input: a formula whose value the workbook holds reads as that value; one
without it (a workbook written by a script and never opened in a spreadsheet program) is reported,
naming the sheet, the cell, the column and the formula, never read as an empty cell."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.batch import EXIT_REJECTS
from advisor.batch_io import Columns, SourceRow, read_rows
from advisor.cli import EXIT_INPUT, cli
from advisor.profile import ATTRIBUTES

COLUMNS = Columns(["id", "title", *ATTRIBUTES], ignore_unknown=False)
SHEET = "sheet1.xml"
HINT = "open and save the workbook in Excel or LibreOffice so the values are computed"


def run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return result


def workbook(path: Path, rows: list[list[object]], title: str = "申报") -> Path:
    """A workbook as openpyxl writes it: every formula without a value (`<f>…</f><v />`)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def rewrite_sheet(path: Path, change) -> None:
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            if info.filename == f"xl/worksheets/{SHEET}":
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info.filename, data)


def cache(path: Path, values: dict[str, tuple[str | None, str]]) -> None:
    """Give formula cells the value a spreadsheet program would have stored: {cell: (type, value)}."""

    def change(xml: str) -> str:
        for cell, (kind, value) in values.items():
            written = re.search(rf'<c r="{cell}"><f>(.*?)</f><v */></c>', xml)
            assert written, (cell, xml)
            typed = f' t="{kind}"' if kind else ""
            xml = xml.replace(written.group(), f'<c r="{cell}"{typed}><f>{written.group(1)}</f><v>{value}</v></c>')
        return xml

    rewrite_sheet(path, change)


HEADER = ["id", "Enterprise Size", "duration_months", "existing_result", "备注"]


@pytest.fixture
def book(tmp_path) -> Path:
    """Row 2 computed by a spreadsheet program; row 3 written by a script (no values); row 4 plain."""
    path = workbook(
        tmp_path / "proposals.xlsx",
        [
            HEADER,
            ["P1", '=IF(1>0,"large","small")', "=12*3", "=1=1", '=""'],
            ["P2", '=IF(1>0,"large","small")', "=12*3", "=1=1", "=A3"],
            ["P3", "medium", 24, True, "plain"],
        ],
    )
    cache(path, {"B2": ("str", "large"), "C2": (None, "36"), "D2": ("b", "1"), "E2": ("str", "")})
    return path


def test_a_formula_with_its_value_reads_as_the_value_and_one_without_is_a_problem(book):
    rows = list(read_rows(str(book), "xlsx", Columns(["id", "title", *ATTRIBUTES], False, carry=True)))
    assert rows[0] == SourceRow(
        2, {"id": "P1", "enterprise_size": "large", "duration_months": 36, "existing_result": True}, None, (None,)
    ), "cached values read as today; a computed empty text is an empty cell"
    assert rows[2] == SourceRow(
        4, {"id": "P3", "enterprise_size": "medium", "duration_months": 24, "existing_result": True}, None, ("plain",)
    )
    second = rows[1]
    assert second.number == 3 and second.data == {"id": "P2"}
    assert isinstance(second.problem, tuple)
    found = [(p.field, p.value, p.allowed) for p in second.problem]
    assert found == [
        ("enterprise_size", '=IF(1>0,"large","small")', ATTRIBUTES["enterprise_size"].allowed()),
        ("duration_months", "=12*3", ATTRIBUTES["duration_months"].allowed()),
        ("existing_result", "=1=1", ATTRIBUTES["existing_result"].allowed()),
        ("备注", "=A3", None),
    ]
    first = second.problem[0].message
    assert first.startswith(
        "the cell B3 (column 'Enterprise Size', sheet '申报') holds a formula without its computed value"
    )
    assert HINT in first and "paste the values" in first


def test_batch_rejects_the_row_names_every_cell_and_scores_the_others(book, tmp_path):
    out = tmp_path / "advice.csv"
    result = run("batch", str(book), "-o", str(out))
    assert result.exit_code == EXIT_REJECTS, result.output
    assert "3 rows read, 2 scored, 1 rejected" in result.stderr
    advice = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    assert [(row["row"], row["id"]) for row in advice] == [("2", "P1"), ("4", "P3")]
    errors = list(csv.DictReader(io.StringIO((tmp_path / "advice.errors.csv").read_text("utf-8-sig"))))
    assert [(e["row"], e["id"], e["field"], e["value"]) for e in errors] == [
        ("3", "P2", "enterprise_size", '\'=IF(1>0,"large","small")'),
        ("3", "P2", "duration_months", "'=12*3"),
        ("3", "P2", "existing_result", "'=1=1"),
        ("3", "P2", "备注", "'=A3"),
    ]
    assert errors[1]["message"].startswith("the cell C3 (column 'duration_months', sheet '申报')")
    assert errors[1]["allowed"] == ATTRIBUTES["duration_months"].allowed()


def test_the_rows_other_faults_are_named_with_the_formula(tmp_path):
    path = workbook(tmp_path / "in.xlsx", [["id", "scope", "enterprise_size"], ["P1", "=A2", "huge"]])
    result = run("batch", str(path), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == EXIT_REJECTS
    records = [json.loads(line) for line in (tmp_path / "out.errors.jsonl").read_text("utf-8").splitlines()]
    assert [(r["row"], r["field"], r["value"]) for r in records] == [
        (2, "scope", "=A2"),
        (2, "enterprise_size", "huge"),
    ]


def test_a_row_of_formulas_only_is_reported_not_dropped_as_empty(tmp_path):
    """Rows whose every cell is a formula without a value used to read as empty rows at the end
    of the sheet, and vanish."""
    path = workbook(tmp_path / "in.xlsx", [["id", "enterprise_size"], ["P1", "large"], ['="P"&ROW()', "=B2"]])
    result = run("batch", str(path), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_REJECTS
    assert "2 rows read, 1 scored, 1 rejected" in result.stderr
    errors = (tmp_path / "out.errors.csv").read_text("utf-8-sig")
    assert "the cell A3 (column 'id'" in errors and "the cell B3 (column 'enterprise_size'" in errors


def test_allow_rejects_keeps_the_exit_code_zero(book, tmp_path):
    result = run("batch", str(book), "-o", str(tmp_path / "out.csv"), "--allow-rejects")
    assert result.exit_code == 0


def test_a_header_formula_without_its_value_stops_the_run(tmp_path):
    path = workbook(tmp_path / "in.xlsx", [["id", '="enterprise"&"_size"'], ["P1", "large"]])
    output = tmp_path / "out.csv"
    result = run("batch", str(path), "-o", str(output))
    assert result.exit_code == EXIT_INPUT
    assert (
        "error: " + str(path) + " (sheet '申报'): the header cell B1 holds the formula "
        '\'="enterprise"&"_size"\' without its computed value; ' + HINT
    ) in result.stderr
    assert not output.exists()
    zh = run("batch", str(path), "-o", str(output), "--lang", "zh")
    assert "表头单元格 B1 是公式" in zh.stderr and "选择性粘贴" in zh.stderr
    cache(path, {"B1": ("str", "enterprise_size")})
    assert run("batch", str(path), "-o", str(output)).exit_code == 0


def test_columns_left_out_are_not_looked_at_and_columns_without_a_header_are(tmp_path):
    path = workbook(tmp_path / "in.xlsx", [["id", "enterprise_size", "notes", None], ["P1", "large", "=A2", None]])
    assert run("batch", str(path), "-o", str(tmp_path / "a.csv"), "--ignore-unknown-columns").exit_code == 0
    path = workbook(tmp_path / "in.xlsx", [["id", "enterprise_size", None], ["P1", "large", "=A2"]])
    result = run("batch", str(path), "-o", str(tmp_path / "b.csv"))
    assert result.exit_code == EXIT_REJECTS
    errors = list(csv.DictReader(io.StringIO((tmp_path / "b.errors.csv").read_text("utf-8-sig"))))
    assert [(e["field"], e["value"]) for e in errors] == [("(row)", "'=A2")]
    assert errors[0]["message"].startswith("the cell C2 (column without a header, sheet '申报')")


def test_shared_formulas_are_named_by_their_own_cell(tmp_path):
    """Excel writes a filled-down formula once (`t="shared"`) and refers to it from the cells below."""
    path = workbook(
        tmp_path / "in.xlsx", [["id", "duration_months"], ["P1", "=1*12"], ["P2", "=2*12"], ["P3", "=3*12"]]
    )

    def share(xml: str) -> str:
        xml = xml.replace(
            '<c r="B2"><f>1*12</f><v /></c>', '<c r="B2"><f t="shared" ref="B2:B4" si="0">ROW()*12</f><v>24</v></c>'
        )
        xml = xml.replace('<c r="B3"><f>2*12</f><v /></c>', '<c r="B3"><f t="shared" si="0"/><v>36</v></c>')
        return xml.replace('<c r="B4"><f>3*12</f><v /></c>', '<c r="B4"><f t="shared" si="0"/></c>')

    rewrite_sheet(path, share)
    rows = list(read_rows(str(path), "xlsx", COLUMNS))
    assert [row.data.get("duration_months") for row in rows] == [24, 36, None]
    assert [(p.field, p.value) for p in rows[2].problem] == [("duration_months", "=ROW()*12")]


def test_the_messages_read_in_chinese(book, tmp_path):
    out = tmp_path / "advice.csv"
    result = run("batch", str(book), "-o", str(out), "--lang", "zh")
    assert result.exit_code == EXIT_REJECTS
    errors = list(csv.DictReader(io.StringIO((tmp_path / "advice.errors.csv").read_text("utf-8-sig"))))
    assert errors[0]["message"] == (
        "工作表 '申报' 的单元格 B3（'Enterprise Size'列）是公式，但文件中没有保存它的计算结果："
        "请用 Excel 或 LibreOffice 打开工作簿再保存一次，让公式算出结果；或者复制含公式的单元格，再“选择性粘贴”为数值"
    )
    assert errors[0]["allowed"].startswith("可选：大型企业（large）")
    on_stderr = run("batch", str(book), "-o", "-", "--lang", "zh")
    assert (
        "未能评估：第 3 行（项目编号 P2）：“企业规模”（enterprise_size）：工作表 '申报' 的单元格 B3" in on_stderr.stderr
    )


def test_the_errors_workbook_holds_the_formula_as_text(book, tmp_path):
    from openpyxl import load_workbook

    run("batch", str(book), "-o", str(tmp_path / "advice.xlsx"))
    errors = list(load_workbook(tmp_path / "advice.errors.xlsx").active.iter_rows(min_row=2, values_only=True))
    assert [row[:4] for row in errors][:2] == [
        (3, "P2", "enterprise_size", '\'=IF(1>0,"large","small")'),
        (3, "P2", "duration_months", "'=12*3"),
    ]


def test_workers_report_the_same_rows(book, tmp_path):
    one = run("batch", str(book), "-o", str(tmp_path / "one.csv"))
    two = run("batch", str(book), "-o", str(tmp_path / "two.csv"), "--workers", "2")
    assert one.exit_code == two.exit_code == EXIT_REJECTS
    assert (tmp_path / "one.errors.csv").read_bytes() == (tmp_path / "two.errors.csv").read_bytes()


def test_diff_names_the_cells_too(book):
    from advisor.pack_diff import load_items

    items, rejected = load_items(str(book), ignore_unknown_columns=True)
    assert [item.id for item in items] == ["P1", "P3"]
    assert [r.number for r in rejected] == [3]
    assert "enterprise_size: the cell B3" in rejected[0].message
    assert [p.field for p in rejected[0].problems] == ["enterprise_size", "duration_months", "existing_result"]


# -- the rows are openpyxl's -------------------------------------------------------------------


def _openpyxl_rows(path: Path) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # every row and cell the file holds, whatever <dimension> says
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _our_rows(path: Path) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    from advisor.sheet_values import sheet_rows

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return [tuple(values) for values, _ in sheet_rows(book.worksheets[0])]
    finally:
        book.close()


def test_the_values_read_are_those_of_openpyxl_iter_rows(tmp_path, book):
    import datetime

    from openpyxl import Workbook

    plain = Workbook()
    sheet = plain.active
    sheet.append(["id", "when", "n", "flag"])
    sheet.append(["a", datetime.date(2024, 5, 1), 1.5, True])
    sheet.cell(row=5, column=6, value="far")  # rows 3-4 missing from the file, a wider row
    sheet.cell(row=7, column=1, value="=1+1")
    plain.save(tmp_path / "plain.xlsx")
    for path in (book, tmp_path / "plain.xlsx"):
        assert _our_rows(path) == _openpyxl_rows(path)
    # a dimension that says less than the sheet holds is not trusted: the far cell is read
    rewrite_sheet(tmp_path / "plain.xlsx", lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:B3"', xml))
    assert _our_rows(tmp_path / "plain.xlsx") == _openpyxl_rows(tmp_path / "plain.xlsx")
    assert "far" in _our_rows(tmp_path / "plain.xlsx")[4]
    # and no dimension at all
    rewrite_sheet(tmp_path / "plain.xlsx", lambda xml: re.sub(r"<dimension [^>]*/>", "", xml))
    assert _our_rows(tmp_path / "plain.xlsx") == _openpyxl_rows(tmp_path / "plain.xlsx")


@pytest.mark.parametrize("dimension", ['<dimension ref="A1"/>', ""])
def test_a_sheet_whose_dimension_says_too_little_is_read_whole(tmp_path, dimension):
    # some tools write <dimension ref="A1"/>: openpyxl's read-only mode then read no row at all,
    # and batch said "0 rows read" with exit 0
    rows = [["id", "enterprise_size", "duration_months"]] + [[f"P{n}", "large", 12 * n] for n in range(1, 6)]
    path = workbook(tmp_path / "small-dimension.xlsx", rows)
    rewrite_sheet(path, lambda xml: re.sub(r"<dimension [^>]*/>", dimension, xml))
    out = tmp_path / "advice.csv"
    result = run("batch", str(path), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "5 rows read, 5 scored, 0 rejected" in result.stderr
    assert [row["id"] for row in csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))] == [
        "P1",
        "P2",
        "P3",
        "P4",
        "P5",
    ]
