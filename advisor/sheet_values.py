"""An .xlsx sheet's values row by row, and the formulas in it that hold no value.

A workbook stores a formula cell as the formula and, when a spreadsheet program has calculated
it, the value it computed. openpyxl's read-only, data-only mode reads that cached value; a
workbook written by a script (openpyxl writes formulas without values) or by some other tools
holds none, and openpyxl then reads the cell exactly as it reads an empty one. `sheet_rows` reads
the values as openpyxl's `iter_rows(values_only=True)` does, with openpyxl's own parser, and gives
with each row the formula cells it found without a value, so the reader can report them instead
of taking them for unknown.

Cost: one search for a formula element per row, done in C by ElementTree (`row.iter`); only a
row that holds a formula looks at its cells one by one. A formula with a cached value reads that
value, as before; one whose cached value is empty text (`=""` computed: `t="str"` and an empty
`<v>`) reads as an empty cell, as before.

NOTE: imports openpyxl at module level; advisor.batch_io imports this module only to read a
workbook. It relies on openpyxl's read-only worksheet (`_get_source`, `_shared_strings`) and its
sheet parser (`openpyxl.worksheet._reader`); tests/test_batch_io.py checks that the rows it reads
are those of `iter_rows(values_only=True)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

#: The formula cells of one row that hold no value: position in the row (from 0) -> (the cell's
#: reference, C7; the formula as a spreadsheet shows it, =B7*2).
Uncomputed = dict[int, tuple[str, str]]


class _Parser(WorkSheetParser):
    """openpyxl's sheet parser in data-only mode, noting after each row its formulas without a value."""

    uncomputed: Uncomputed | None = None

    def parse_row(self, row: Any) -> tuple[int, list[dict[str, Any]]]:
        number, cells = super().parse_row(row)
        # NOTE: ElementTree's iter() searches in C; a row without a formula costs nothing more.
        self.uncomputed = None if next(row.iter(FORMULA_TAG), None) is None else self._uncomputed(row, cells)
        return number, cells

    def _uncomputed(self, row: Any, cells: list[dict[str, Any]]) -> Uncomputed | None:
        found: Uncomputed = {}
        for element, cell in zip(row, cells, strict=False):
            formula = element.find(FORMULA_TAG)
            if formula is None:
                continue
            column = cell["column"]
            reference = f"{get_column_letter(column)}{cell['row']}"
            shared = formula.get("si") if formula.get("t") == "shared" else None
            if shared is not None and formula.text and shared not in self.shared_formulae:
                # NOTE: data-only parsing never reads formulas, so the first cell of a shared formula
                # is remembered here, to name the formula of a later cell of it that has no value.
                try:
                    self.shared_formulae[shared] = Translator("=" + formula.text, reference)
                except Exception:  # a formula openpyxl cannot take apart: only a message is lost
                    pass
            if cell["value"] is not None:
                continue
            if element.get("t") == "str" and element.find(VALUE_TAG) is not None:
                continue  # computed: the formula's value is empty text
            found[column - 1] = (reference, _formula_text(formula, shared, reference, self.shared_formulae))
        return found or None


def _formula_text(formula: Any, shared: str | None, reference: str, known: dict[Any, Translator]) -> str:
    """The formula as a spreadsheet's formula bar shows it (=B7*2)."""
    if formula.text:
        return "=" + str(formula.text)
    if shared is not None and shared in known:
        try:
            return str(known[shared].translate_formula(reference))
        except Exception:  # only a message's wording: the first cell's formula will do
            return str(known[shared].tokenizer.formula)
    return "=" + str(formula.get("t") or "formula")


#: The last row of a sheet (Excel's limit, and the format's).
MAX_ROW = 1_048_576


class _SharedStrings:
    """A workbook's shared strings as the sheet parser looks them up (`strings[int(text)]`), where
    an index that is not in the table is a damaged workbook (ValueError naming the cell), never
    the string at the end of the table (Python's -1) nor an IndexError."""

    def __init__(self, strings: list[Any]):
        self.strings = strings
        self.parser: _Parser | None = None

    def __getitem__(self, index: int) -> Any:
        if index >= 0:
            try:
                return self.strings[index]
            except IndexError:
                pass
        parser = self.parser
        cell = f"{get_column_letter(parser.col_counter)}{parser.row_counter}" if parser else "?"
        raise ValueError(
            f"the cell {cell} refers to shared string {index:,}, but the workbook holds "
            f"{len(self.strings):,} shared strings"
        )


def sheet_rows(worksheet: Any) -> Iterator[tuple[tuple[Any, ...], Uncomputed | None]]:
    """Each row of a read-only, data-only worksheet: its values, as `iter_rows(values_only=True)`
    gives them after `reset_dimensions()` (missing rows as empty ones, each row as wide as its last
    cell), and its formulas without a value (None when it has none).

    NOTE: the sheet's `<dimension>` is not trusted. openpyxl's read-only mode stops at the rows and
    columns it names, and some tools write it too small (`ref="A1"`): a whole sheet then read as
    no rows at all, and exit 0. Every row and cell the file holds is read.

    Raises ValueError for a damaged sheet: a row number out of order, given twice, below 1 or past
    MAX_ROW (openpyxl drops such a row without a word, and a number of 10^12 would be that many
    empty rows), or a shared string that is not in the table."""
    book = worksheet.parent
    expected = 1  # the next row to give
    strings = _SharedStrings(worksheet._shared_strings)
    with worksheet._get_source() as source:
        parser = _Parser(
            source,
            strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        strings.parser = parser
        for number, cells in parser.parse():
            if number < expected:
                if number < 1:
                    raise ValueError(f"row number {number:,} is below 1")
                raise ValueError(f"row {number:,} comes after row {expected - 1:,} (out of order, or given twice)")
            if number > MAX_ROW:
                raise ValueError(f"row {number:,} is past the last row of a sheet ({MAX_ROW:,})")
            while expected < number:  # rows the file leaves out are empty
                expected += 1
                yield (), None
            expected += 1
            yield _values(cells), parser.uncomputed


def _values(cells: list[dict[str, Any]]) -> tuple[Any, ...]:
    if not cells:
        return ()
    values: list[Any] = [None] * max(cell["column"] for cell in cells)
    for cell in cells:
        column = cell["column"]
        if column >= 1:
            values[column - 1] = cell["value"]
    return tuple(values)
