"""The .xlsx advice of `advisor batch` as a workbook for a manager: names next to the ids in the
chosen language, a styled and frozen header, an autofilter, column widths, a colour scale on
the scores, and a Summary sheet with the report's figures and a native bar chart.

NOTE: the workbook stays in openpyxl's write-only mode, so a million rows stream to disk:
column widths, the frozen header and the header's style are set before the first row; the
autofilter and the conditional formatting are written when the sheet closes, once the last row
is known; the Summary sheet is a second write-only sheet, added at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .catalogue import words
from .texts import name_in

if TYPE_CHECKING:
    from .core import Advisor
    from .portfolio import Figures

#: The columns with names, and the id column each follows (the id keeps its own column).
NAME_COLUMNS = {
    "leading_mode": "leading_mode_name",
    "decision": "decision_name",
    "second_mode": "second_mode_name",
    "third_mode": "third_mode_name",
    "difficulties": "difficulty_names",
}
SCORE_COLUMNS = ("leading_score", "second_score", "third_score")
WIDTHS = {
    "row": 7,
    "id": 16,
    "title": 36,
    "leading_mode": 20,
    "leading_mode_name": 30,
    "leading_score": 9,
    "decision": 14,
    "decision_name": 14,
    "second_mode": 20,
    "second_mode_name": 30,
    "second_score": 9,
    "third_mode": 20,
    "third_mode_name": 30,
    "third_score": 9,
    "difficulties": 28,
    "difficulty_names": 48,
    "decision_reason": 60,
    "next_questions": 60,
}
HEADER_FILL = "1565C0"


def named_header(header: Sequence[str]) -> list[str]:
    """The advice columns with a name column after each id column."""
    out: list[str] = []
    for column in header:
        out.append(column)
        if column in NAME_COLUMNS:
            out.append(NAME_COLUMNS[column])
    return out


class Namer:
    """Adds the names (in one language) after the ids of an advice row's cells."""

    def __init__(self, advisor: Advisor, lang: str):
        knowledge = advisor.knowledge
        self.modes = {mode_id: name_in(record, lang) for mode_id, record in knowledge.modes.items()}
        self.modes[""] = ""
        self.decisions = dict(words(lang, "report")["decisions"])
        self.difficulty_names = {d_id: name_in(record, lang) for d_id, record in knowledge.difficulties.items()}
        self.separator = "；" if lang == "zh" else "; "
        self._joined: dict[str, str] = {}

    def cells(self, cells: tuple[Any, ...]) -> tuple[Any, ...]:
        """`Outcome.cells()` (leading mode ... decision reason) with the name columns added."""
        leader, score, decision, second, second_score, third, third_score, difficulties, reason = cells
        modes = self.modes
        return (
            leader,
            modes.get(leader, leader),
            score,
            decision,
            self.decisions.get(decision, decision),
            second,
            modes.get(second, second),
            second_score,
            third,
            modes.get(third, third),
            third_score,
            difficulties,
            self._difficulties(difficulties),
            reason,
        )

    def _difficulties(self, ids: str) -> str:
        found = self._joined.get(ids)
        if found is None:
            names = self.difficulty_names
            found = self.separator.join(names.get(d, d) for d in ids.split(";")) if ids else ""
            if len(self._joined) < 10_000:
                self._joined[ids] = found
        return found


def column_labels(header: Sequence[str], lang: str) -> list[str]:
    """The header a reader sees: each advice column by its label in `lang` (领先模式, Leading
    mode); a carried input column keeps the name the user's file gave it."""
    labels = words(lang, "workbook")["columns"]
    return [str(labels.get(column, column)) for column in header]


def column_ids(labels: Sequence[Any], lang: str) -> list[Any]:
    """The column ids of a header written by `column_labels`, or of the errors workbook's (for
    programs reading the workbooks)."""
    book = words(lang, "workbook")
    by_label = {str(label): column for column, label in [*book["error_columns"].items(), *book["columns"].items()]}
    return [by_label.get(str(label), label) for label in labels]


def prepare_sheet(sheet: Any, header: Sequence[str], labels: Sequence[str] | None = None) -> list[Any]:
    """Column widths and the frozen header of a write-only sheet; returns the styled header cells
    (`labels` where given, else the ids) to append as its first row."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(column, max(12, min(40, len(column) + 4)))
    sheet.freeze_panes = "D2"  # the header and the row, id and title stay in view
    font = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    alignment = Alignment(vertical="center", wrap_text=True)
    cells = []
    for column in labels if labels is not None else header:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font, cell.fill, cell.alignment = font, fill, alignment
        cells.append(cell)
    return cells


def finish_sheet(sheet: Any, header: Sequence[str], rows: int) -> None:
    """The autofilter over every row and a colour scale on the score columns (written on close)."""
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.utils import get_column_letter

    last = rows + 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{last}"
    if rows:
        scale = ColorScaleRule(  # type: ignore[no-untyped-call]
            start_type="num", start_value=0, start_color="F8696B",
            mid_type="num", mid_value=50, mid_color="FFEB84",
            end_type="num", end_value=100, end_color="63BE7B",
        )  # fmt: skip
        for column in SCORE_COLUMNS:
            if column in header:
                letter = get_column_letter(header.index(column) + 1)
                sheet.conditional_formatting.add(f"{letter}2:{letter}{last}", scale)


def add_summary_sheet(book: Any, figures: Figures) -> None:
    """The Summary sheet: the report's headline figures, the leading modes (with a bar chart),
    the decisions and the difficulties, each as a small table."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    from .batch_io import neutralise
    from .portfolio import figure_rows

    w = words(figures.lang, "workbook")
    sheet = book.create_sheet(w["summary_sheet"])
    sheet.column_dimensions["A"].width = 46
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["C"].width = 10
    sheet.column_dimensions["D"].width = 36
    bold = Font(bold=True)

    def heading(*texts: str) -> list[Any]:
        cells = []
        for text in texts:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            cells.append(cell)
        return cells

    def percent(value: float) -> Any:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.0%"
        return cell

    row = 0

    def put(cells: list[Any]) -> int:
        nonlocal row
        # NOTE: group values and column names come from the user's file: shown, never run
        for index, cell in enumerate(cells):
            if isinstance(cell, str):
                cells[index] = neutralise(cell)
            elif isinstance(getattr(cell, "value", None), str):
                cell.value = neutralise(cell.value)
        sheet.append(cells)
        row += 1
        return row

    put(heading(w["figure"], w["value"]))
    for label, value in figure_rows(figures):
        put([label, value])
    put([])
    first_mode = put(heading(w["mode"], w["proposals"], w["share"])) + 1
    for mode in figures.modes:
        put([mode.name, mode.count, percent(mode.count / figures.scored if figures.scored else 0)])
    last_mode = row
    put([])
    put(heading(w["decision"], w["proposals"], w["share"]))
    for decision in figures.decisions:
        put([decision.name, decision.count, percent(decision.count / figures.scored if figures.scored else 0)])
    put([])
    put(heading(w["difficulty"], w["proposals"], w["share"], w["severity"]))
    severity = words(figures.lang, "report")["severity"]
    for difficulty in figures.difficulties:
        put(
            [
                difficulty.name,
                difficulty.count,
                percent(difficulty.count / figures.scored if figures.scored else 0),
                severity[difficulty.worst],
            ]
        )
    portfolio = words(figures.lang, "portfolio")
    for breakdown in figures.breakdowns:
        put([])
        put(
            heading(
                portfolio["by_column"].format(column=breakdown.column),
                w["proposals"],
                *(name for name, _, _ in breakdown.groups[0].modes) if breakdown.groups else (),
            )
        )
        for group in breakdown.groups:
            put([group.value, group.total, *(n for _, _, n in group.modes)])
        if breakdown.other_values:
            other = portfolio["other_values"]["other"].replace("{n}", f"{breakdown.other_values:,}")
            put([other.replace("{proposals}", f"{breakdown.other_count:,}")])
    put([])
    put(heading(w["rule"], w["proposals"], w["share"], w["rule_text"]))
    for rule in figures.rules:
        put([rule.id, rule.count, percent(rule.count / figures.scored if figures.scored else 0), rule.name])
    for rule_id in figures.never_fired:
        put([rule_id, 0, percent(0), w["never_fired"]])
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = w["chart_title"]
    chart.legend = None
    chart.y_axis.title = w["proposals"]
    chart.height = 9
    chart.width = 18
    data = Reference(sheet, min_col=2, min_row=first_mode - 1, max_row=last_mode)
    labels = Reference(sheet, min_col=1, min_row=first_mode, max_row=last_mode)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    chart.x_axis.scaling.orientation = "maxMin"  # the first mode at the top, as in the table
    sheet.add_chart(chart, "F2")
