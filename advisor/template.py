"""`advisor template`: a blank proposals sheet to fill in by hand and score with `advisor batch`.

One column per profile field, headed by its label in the chosen language, with a help comment,
drop-down lists for choice and yes/no columns, an example row, and a second sheet explaining
every field and its values. CSV gets the header and the example row only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from .catalogue import attribute_label, words
from .options import lang_option
from .problem_text import allowed_text
from .profile import ATTRIBUTES
from .questions import Question, load_questions

# NOTE: a partnership every field of which is filled with a typical value, so a reader sees how
# each column is written; it is a program cooperation (an enterprise pays for one project).
EXAMPLE_ROW: dict[str, Any] = {
    "id": "P-0001",
    "duration_months": 18,
    "funding_cny": 1_200_000,
    "funding_sources": ["enterprise"],
    "enterprise_size": "medium",
    "enterprise_engagement": "active",
    "university_discipline_strength": "competitive",
    "scope": "single_program",
    "research_stages": ["applied"],
    "technology_level": "conventional",
    "existing_result": False,
    "university_contribution": "commissioned_research",
    "ip_owner": "enterprise",
    "ipr_agreement": True,
    "sector": "manufacturing",
}
EXAMPLE_TITLE = {"en": "An appliance maker funds a motor-controller project", "zh": "家电企业委托高校研发电机控制器"}
LIST_SEPARATOR = {"en": "; ", "zh": "、"}


def _choices(question: Question | None, lang: str) -> list[tuple[Any, str]]:
    return [(choice.value, choice.label.get(lang)) for choice in question.choices] if question else []


def _cell(name: str, value: Any, question: Question | None, lang: str) -> Any:
    """How a person writes the value in a cell: choices and yes/no as their labels."""
    labels = dict(_choices(question, lang))
    if isinstance(value, list):
        return LIST_SEPARATOR[lang].join(str(labels.get(item, item)) for item in value)
    if isinstance(value, (bool, str)) and value in labels:
        return labels[value]
    return value


def columns() -> list[str]:
    """The template's fields, in the profile's order, after the id and the title."""
    return ["id", "title", *ATTRIBUTES]


def example(lang: str, questions: dict[str, Question]) -> list[Any]:
    row = dict(EXAMPLE_ROW, title=EXAMPLE_TITLE[lang])
    return [_cell(name, row.get(name, ""), questions.get(name), lang) if name in row else "" for name in columns()]


def _help(name: str, question: Question | None, lang: str) -> str:
    w = words(lang, "template")
    if question is None:
        free_text: str = w["free_text"]
        return free_text
    lines = [question.text.get(lang), question.help.get(lang)]
    spec = ATTRIBUTES[name]
    if spec.kind == "list":
        lines.append(w["list_help"].format(separator=LIST_SEPARATOR[lang].strip() or "、"))
    elif spec.kind in ("integer", "number") and question.example is not None:
        lines.append(w["example"].format(example=question.example.get(lang)))
    lines.append(w["blank"])
    return "\n".join(line for line in lines if line)


def write_csv(path: Path | None, lang: str) -> str | None:
    """The header and the example row as CSV (UTF-8 with a BOM, so Excel reads Chinese)."""
    questions = load_questions().by_attribute()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([attribute_label(name, lang) for name in columns()])
    writer.writerow(example(lang, questions))
    if path is None:
        return buffer.getvalue()
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
    return None


def write_xlsx(path: Path, lang: str) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

    w = words(lang, "template")
    questions = load_questions().by_attribute()
    book = Workbook()
    sheet = book.active
    # NOTE: a new Workbook always has one active worksheet; the stubs allow None and a chartsheet.
    assert isinstance(sheet, Worksheet)
    sheet.title = w["sheet"]
    lists = book.create_sheet(w["lists_sheet"])
    lists.sheet_state = "hidden"
    guide = book.create_sheet(w["guide_sheet"])

    header_fill = PatternFill("solid", fgColor="DCE6F1")
    names = columns()
    sheet.append([attribute_label(name, lang) for name in names])
    sheet.append(example(lang, questions))
    for index, name in enumerate(names, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        question = questions.get(name)
        comment = Comment(_help(name, question, lang), "coop-advisor")
        comment.width, comment.height = 320, 160
        cell.comment = comment
        sheet.column_dimensions[letter].width = max(12, min(34, 2 + 2 * len(str(cell.value))))
        _validate(sheet, lists, index, name, question, lang, DataValidation, quote_sheetname, w)
    sheet.freeze_panes = "C2"
    sheet.row_dimensions[1].height = 32

    guide.append([w["guide_label"], w["guide_field"], w["guide_question"], w["guide_values"]])
    for cell in guide[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    for name in names:
        question = questions.get(name)
        values = "\n".join(f"{label} — {choice.meaning.get(lang)}" for choice, (_, label) in _pairs(question, lang))
        if not values and name in ATTRIBUTES:
            values = allowed_text(name, ATTRIBUTES[name].allowed(), lang)
        guide.append(
            [attribute_label(name, lang), name, question.text.get(lang) if question else w["free_text"], values]
        )
    for letter, width in zip("ABCD", (24, 30, 48, 70), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide.freeze_panes = "A2"
    book.save(path)


def _pairs(question: Question | None, lang: str) -> list[tuple[Any, tuple[Any, str]]]:
    return list(zip(question.choices, _choices(question, lang), strict=True)) if question else []


def _validate(
    sheet: Any,
    lists: Any,
    index: int,
    name: str,
    question: Question | None,
    lang: str,
    data_validation: Any,
    quote: Any,
    w: Any,
) -> None:
    """A drop-down for choice, yes/no and list columns; number checks for numeric columns."""
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(index)
    target = f"{letter}2:{letter}5000"
    spec = ATTRIBUTES.get(name)
    if spec is None:
        return
    if spec.kind in ("choice", "boolean", "list"):
        labels = [label for _, label in _choices(question, lang)]
        for row, label in enumerate(labels, start=1):
            lists.cell(row=row, column=index, value=label)
        rule = data_validation(
            type="list",
            formula1=f"={quote(lists.title)}!${letter}$1:${letter}${len(labels)}",
            allow_blank=True,
            # NOTE: a list column takes several values ("企业、政府"), which a drop-down cannot
            # pick, so there the drop-down suggests and does not refuse.
            showErrorMessage=spec.kind != "list",
            errorTitle=w["error_title"],
            error=w["error_choice"].format(values=w["choice_sep"].join(labels)),
        )
    elif spec.kind in ("integer", "number"):
        rule = data_validation(
            type="whole" if spec.kind == "integer" else "decimal",
            operator="between",
            formula1=str(int(spec.minimum or 0)),
            formula2=str(int(spec.maximum or 10**13)),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=w["error_title"],
            error=w["error_number"].format(allowed=allowed_text(spec.name, spec.allowed(), lang)),
        )
    else:
        return
    sheet.add_data_validation(rule)
    rule.add(target)


def write_template(output: Path | None, lang: str, fmt: str) -> str | None:
    if fmt == "xlsx":
        assert output is not None
        write_xlsx(output, lang)
        return None
    return write_csv(output, lang)


@click.command("template")
@lang_option("Language of the headers, help, drop-downs and guide sheet.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="proposals.xlsx (drop-downs, help, a guide sheet) or proposals.csv; without it, CSV on stdout.",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
def command(lang: str, output: str | None, force: bool) -> None:
    """Write a blank proposals sheet to fill in and score with `advisor batch`."""
    path = Path(output) if output else None
    fmt = "xlsx" if path is not None and path.suffix.lower() == ".xlsx" else "csv"
    if path is not None and path.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter(f"{output!r}: the template is a .xlsx or a .csv file", param_hint="-o/--output")
    if path is not None and path.exists() and not force:
        raise click.BadParameter(f"{output} exists; add --force to replace it", param_hint="-o/--output")
    from .batch_io import AtomicFile
    from .errors import InputError

    # NOTE: written whole by a rename, as every output is: a folder that does not exist or cannot
    # be written in is named (exit 70 before), and an interrupted run leaves no half a workbook.
    sink = AtomicFile(str(path)) if path is not None else None
    try:
        text = write_template(sink.temp if sink is not None else None, lang, fmt)
        if sink is not None:
            sink.commit()
    except OSError as error:
        if sink is not None:
            sink.abort()
        raise InputError(f"{output}: cannot write: {error.strerror or error}") from None
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    if text is not None:
        click.echo(text, nl=False)
    else:
        click.echo(words(lang, "template")["written"].format(path=output), err=True)


__all__: Sequence[str] = ["command", "write_template", "columns", "example"]
