"""`advisor template`: a blank proposals sheet with labels, help, drop-downs and an example row."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from advisor.catalogue import attribute_label, header_names, normalise_header
from advisor.cli import cli
from advisor.profile import ATTRIBUTES
from advisor.template import columns
from advisor.texts import LANGS


@pytest.mark.parametrize("lang", LANGS)
def test_every_field_has_a_label_in_every_language_and_labels_are_unambiguous(lang):
    for name in columns():
        assert attribute_label(name, lang) != name, name
    labels = [normalise_header(attribute_label(name, lang)) for name in columns()]
    assert len(set(labels)) == len(labels)
    assert all(header_names()[label] == name for label, name in zip(labels, columns(), strict=True))


@pytest.mark.parametrize("lang", LANGS)
def test_the_xlsx_template_has_labels_help_dropdowns_and_an_example(tmp_path, lang):
    out = tmp_path / "proposals.xlsx"
    result = CliRunner().invoke(cli, ["template", "--lang", lang, "-o", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header == [attribute_label(name, lang) for name in columns()]
    assert all(cell.comment is not None and cell.comment.text.strip() for cell in sheet[1])
    assert sheet.freeze_panes == "C2"
    example = [cell.value for cell in sheet[2]]
    assert example[0] == "P-0001" and example[1]
    # a drop-down on every choice and yes/no column, pointing at that column's labels
    validated = {}
    for rule in sheet.data_validations.dataValidation:
        for cell_range in rule.sqref.ranges:
            validated[cell_range.min_col] = rule
    for index, name in enumerate(columns(), start=1):
        spec = ATTRIBUTES.get(name)
        if spec is None:
            assert index not in validated
            continue
        rule = validated[index]
        if spec.kind in ("choice", "boolean", "list"):
            assert rule.type == "list"
            assert rule.showErrorMessage is (spec.kind != "list")
        else:
            assert rule.type in ("whole", "decimal")
    guide = book.worksheets[2]
    assert [row[1].value for row in guide.iter_rows(min_row=2)] == columns()


def test_the_csv_template_goes_to_stdout_without_a_file():
    result = CliRunner().invoke(cli, ["template", "--lang", "zh"])
    assert result.exit_code == 0
    rows = list(csv.reader(result.output.splitlines()))
    assert rows[0][:2] == ["项目编号", "项目名称"] and len(rows) == 2


def test_the_template_refuses_to_overwrite_and_odd_suffixes(tmp_path):
    out = tmp_path / "p.xlsx"
    out.write_text("mine")
    result = CliRunner().invoke(cli, ["template", "-o", str(out)])
    assert result.exit_code == 2 and "--force" in result.output and out.read_text() == "mine"
    result = CliRunner().invoke(cli, ["template", "-o", str(tmp_path / "p.ods")])
    assert result.exit_code == 2 and ".xlsx or a .csv" in result.output


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("lang", LANGS)
def test_a_filled_template_scores_without_any_edit(tmp_path, lang, suffix):
    sheet = tmp_path / f"proposals.{suffix}"
    assert CliRunner().invoke(cli, ["template", "--lang", lang, "-o", str(sheet)]).exit_code == 0
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(cli, ["batch", str(sheet), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [(row["id"], row["leading_mode"]) for row in rows] == [("P-0001", "program_cooperation")]


def test_batch_reads_headers_by_their_label_in_any_language(tmp_path):
    sheet = tmp_path / "p.csv"
    sheet.write_text("项目编号,企业规模,Existing result,ＳＣＯＰＥ\nA1,大型企业,yes,单个项目\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    result = CliRunner().invoke(cli, ["batch", str(sheet), "-o", str(out), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    profile = json.loads(out.read_text(encoding="utf-8").splitlines()[0])["advice"]["profile"]
    assert profile == {"id": "A1", "enterprise_size": "large", "existing_result": True, "scope": "single_program"}
