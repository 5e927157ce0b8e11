"""Proposal files for `advisor batch`: reading rows from CSV, JSON Lines, JSON and Excel, writing tables safely.

Readers stream: they yield one `SourceRow` at a time and never hold the file in memory. Writers
write to a hidden temporary file beside the target and rename it over the target only on
`commit()`, so an interrupted run never leaves a half-written file under the final name; text
cells that a spreadsheet would run as a formula are neutralised.

NOTE: imports only the standard library at module level; openpyxl is imported by the functions
that need it, so `advisor --help` does not pay for it.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import errno
import io
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

from .errors import _MISSING, FieldProblem, InputError
from .limits import MAX_LINE_CHARS, LimitExceeded, loads_json, raw_decode_json

INPUT_FORMATS = ("csv", "jsonl", "json", "xlsx")
OUTPUT_FORMATS = ("csv", "jsonl", "xlsx")
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
#: What a spreadsheet may execute when a cell starts with it (OWASP "CSV injection"); tab and
#: carriage return too, which some spreadsheets strip before looking at the next character.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Rows Excel can show in one sheet, header included.
XLSX_MAX_ROWS = 1_048_576
_CHUNK = 1 << 16  # characters read at a time from a JSON file
#: One element of a JSON array input, up to this many characters.
JSON_ELEMENT_CHARS = 4 << 20
#: Unknown column names a message lists before "and N more".
UNKNOWN_SHOWN = 10
#: Columns that are not attributes carried through to the output (备注, region); more stop the run.
MAX_CARRIED = 200


class SourceRow(NamedTuple):
    """One proposal as read: where it is, its cells by attribute name, or why it could not be read.

    `number` is the row a person finds it at: the spreadsheet row of a CSV or Excel file (the
    header is row 1), the line of a JSON Lines file, the position (from 1) in a JSON array.
    `data` holds only the non-empty cells; `problem` is set when the row could not be read at all
    (why, as text), or holds the problems of cells that could not be read (a formula in a workbook
    without its value): the row is rejected with those and whatever else is wrong with `data`.
    `carried` holds the cells of the columns that are not attributes (`Columns.carried`), as read.
    """

    number: int
    data: dict[str, Any]
    problem: str | tuple[FieldProblem, ...] | None = None
    carried: tuple[Any, ...] = ()


_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def _chinese_header(name: str) -> str:
    """A field's Chinese label, the header a Chinese sheet uses for it (企业规模 for enterprise_size)."""
    from .catalogue import attribute_label

    return attribute_label(name, "zh")


def detect_format(path: str, override: str | None, choices: Sequence[str], option: str) -> str:
    """The format of a file: `override` if given, else from the extension."""
    if override:
        return override
    if path == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    fmt = _SUFFIX_FORMATS.get(suffix)
    if fmt is None or fmt not in choices:
        raise InputError(
            f"{path}: cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"use {', '.join('.' + c for c in choices)}, or say which with {option} ({', '.join(choices)})"
        )
    return fmt


def normalise_name(name: str) -> str:
    """A column name as the profile spells it: case, surrounding blanks, spaces and hyphens ignored."""
    return name.strip().lstrip("\ufeff").strip().lower().replace(" ", "_").replace("-", "_")


class Columns:
    """Maps a file's column names to profile attribute names (case-insensitively)."""

    def __init__(self, known: Iterable[str], ignore_unknown: bool, *, carry: bool = False):
        """With `carry`, a spreadsheet column that is clearly not an attribute (备注, region) is
        carried through: its header is listed in `carried` and its cells in each row's
        `SourceRow.carried`. A header that looks like a misspelt attribute stays an error."""
        self.known = tuple(known)
        self._known = set(self.known)
        self.ignore_unknown = ignore_unknown
        self.carry = carry and not ignore_unknown
        self.carried: list[str] = []  # headers of the carried columns, as written in the file
        self.carried_positions: list[int] = []
        self.present: list[str] | None = None  # the attributes a header named (None: no header read)
        self._cache: dict[str, str | None] = {}

    def header(self, cells: Sequence[Any], source: str) -> tuple[list[str | None], list[int]]:
        """The attribute of each header cell (None for a column to leave out), and the positions
        of the columns without a header, whose cells must stay empty. Raises InputError."""
        names: list[str | None] = []
        unnamed: list[int] = []
        unknown: list[str] = []
        seen: dict[str, int] = {}
        others: list[int] = []  # positions of the unknown columns
        for position, cell in enumerate(cells, start=1):
            text = "" if cell is None else str(cell)
            name = self._attribute(text)
            if not name:
                names.append(None)
                unnamed.append(position - 1)
                continue
            if name not in self._known:
                if not self.ignore_unknown:
                    unknown.append(text.strip())
                    others.append(position - 1)
                names.append(None)
                continue
            if name in seen:
                raise InputError(f"{source}: the column {name!r} appears twice (columns {seen[name]} and {position})")
            seen[name] = position
            names.append(name)
        if unknown and self.carry and len(unknown) <= MAX_CARRIED:
            # NOTE: a column that looks like a misspelt attribute stays an error; the others
            # (备注, region, 负责人) are carried through to the output as they are.
            misspelt = [(text, at) for text, at in zip(unknown, others, strict=True) if self.near_miss(text)]
            if not misspelt:
                self.carried = [text.lstrip("\ufeff").strip() for text in unknown]
                self.carried_positions = others
                first_at: dict[str, int] = {}
                for name, at in zip(self.carried, others, strict=True):
                    if name in first_at:  # two columns of one name could not be told apart in the output
                        raise InputError(
                            f"{source}: the column {name!r} appears twice (columns {first_at[name]} and {at + 1})"
                        )
                    first_at[name] = at + 1
                unknown = []
            else:
                unknown = [text for text, _ in misspelt]
        if unknown:
            hints = []
            # NOTE: a file of 100,000 stray columns gets a message of a few lines, not a megabyte.
            for text in unknown[:UNKNOWN_SHOWN]:
                if len(text) > 60:
                    text = text[:57] + "..."
                close = self.near_miss(text) or difflib.get_close_matches(normalise_name(text), self.known, n=1)
                if close and _CJK.search(text):  # a Chinese header is mended by the Chinese label (企业规模)
                    close = [_chinese_header(close[0])]
                hints.append(f"{text!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            if len(unknown) > UNKNOWN_SHOWN:
                hints.append(f"and {len(unknown) - UNKNOWN_SHOWN:,} more")
            if self.carry and len(unknown) > MAX_CARRIED:
                raise InputError(
                    f"{source}: {len(unknown):,} columns are not profile attributes: {', '.join(hints)}; at most "
                    f"{MAX_CARRIED} such columns are carried through to the output. Is the first row the header? "
                    f"Or pass --ignore-unknown-columns to leave them out (`advisor schema` lists the attributes)"
                )
            if self.carry:
                raise InputError(
                    f"{source}: {'these columns look' if len(unknown) > 1 else 'this column looks'} like a misspelt "
                    f"profile attribute: {', '.join(hints)}. Rename {'them' if len(unknown) > 1 else 'it'}, or pass "
                    f"--ignore-unknown-columns to leave {'them' if len(unknown) > 1 else 'it'} out (columns that are "
                    f"clearly not attributes, such as 备注 or region, are carried through to the output)"
                )
            raise InputError(
                f"{source}: {'these columns are' if len(unknown) > 1 else 'this column is'} not a profile attribute: "
                f"{', '.join(hints)}. Rename {'them' if len(unknown) > 1 else 'it'}, or pass --ignore-unknown-columns "
                f"to leave {'them' if len(unknown) > 1 else 'it'} out (`advisor schema` lists the attributes)"
            )
        self.present = [name for name in names if name]
        if not any(names):
            raise InputError(
                f"{source}: the first row names no profile attribute; it must be the header "
                f"(e.g. id,title,enterprise_size,duration_months)"
            )
        return names, unnamed

    def near_miss(self, text: str) -> list[str] | None:
        """The attribute a header seems to misspell (`enterprise sise`, 企业规摸, `duration` for
        duration_months), as a one-item list; None when it is clearly something else (备注, region).

        NOTE: compared with the attribute names and their labels in every language; a ratio of
        0.75 tells typos from other words, and a header that is the first words of an attribute's
        name is taken as a shortening of it.
        """
        from .catalogue import header_names, normalise_header

        names = header_names()
        wanted = normalise_header(text.lstrip("\ufeff"))
        if not wanted:
            return None
        close = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.75)
        if not close and len(wanted) >= 4:
            close = [name for name in names if name.startswith(wanted + " ")][:1]
        if not close or names[close[0]] not in self._known:
            return None
        return [names[close[0]]]

    def _attribute(self, text: str) -> str:
        """The attribute a header names: its own name (any case, spaces or hyphens for
        underscores) or its label in any language of the catalogues (企业规模, Enterprise size)."""
        name = normalise_name(text)
        if name in self._known or not name:
            return name
        from .catalogue import header_names, normalise_header

        return header_names().get(normalise_header(text.lstrip("\ufeff")), name)

    def key(self, key: str) -> str | None:
        """The attribute a JSON key names; the key itself when unknown (validation reports it), None to drop it."""
        found = self._cache.get(key, "")
        if found != "":
            return found
        name = self._attribute(key)
        result: str | None = name if name in self._known else (None if self.ignore_unknown else key)
        if len(self._cache) < 10_000:
            self._cache[key] = result
        return result


# -- opening input -------------------------------------------------------------------------


def _encoding_hint(encoding: str) -> str:
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return "if the file was saved by Chinese Excel, try --encoding gb18030"
    return "try another --encoding (utf-8, gb18030)"


class _TextSource:
    """A text stream over a file or stdin that turns decoding errors into InputError with a line number."""

    def __init__(self, path: str, encoding: str):
        self.path = path
        self.name = "<stdin>" if path == "-" else path
        codec = codecs.lookup(encoding).name
        # NOTE: utf-8-sig reads files with and without a BOM alike.
        self.encoding = "utf-8-sig" if codec == "utf-8" else encoding
        self.requested = encoding
        if path == "-":
            binary: IO[bytes] = sys.stdin.buffer
        else:
            binary = _open_binary(path)
        self.stream = io.TextIOWrapper(binary, encoding=self.encoding, newline="")

    def readline(self, number: int) -> str:
        """The next line (with its newline), "" at the end; InputError for a line over MAX_LINE_CHARS.

        NOTE: a file with no line breaks (`/dev/zero`) would otherwise be read whole into memory.
        """
        line = self.stream.readline(MAX_LINE_CHARS + 1)
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            raise self._too_long(number)
        return line

    def _too_long(self, number: int) -> InputError:
        return InputError(
            f"{self.name}: line {number} is longer than the limit of {MAX_LINE_CHARS:,} characters; "
            f"is this a proposal file? nothing was written"
        )

    def lines(self, first: int = 1) -> Iterator[str]:
        """The lines of the file, each within MAX_LINE_CHARS (see readline)."""
        # NOTE: readline's check inlined: this runs once per line of a million-row file.
        read, limit = self.stream.readline, MAX_LINE_CHARS + 1
        number = first
        while line := read(limit):
            if len(line) == limit and not line.endswith("\n"):
                raise self._too_long(number)
            yield line
            number += 1

    def decode_error(self, error: UnicodeDecodeError, line: int) -> InputError:
        """The error for bytes that are not valid in the encoding, with the line they are on.

        NOTE: the text layer decodes ahead of the reader, so `line` (where the reader is) may be
        before the bad bytes; a file is scanned again, line by line, to name the right one.
        """
        if _starts_utf16(self.path, error.object if line <= 1 else b""):
            return InputError(
                f"{self.name}: the file is UTF-16 text (it begins with a UTF-16 byte order mark), not "
                f"{self.requested}; pass --encoding utf-16, or save it as UTF-8"
            )
        where = f"line {line} or after"
        byte = error.object[error.start : error.start + 1].hex() if error.object else "?"
        if self.path != "-":
            found = _first_undecodable(self.path, self.encoding)
            if found is not None:
                line, byte = found
                where = f"line {line}"
        return InputError(
            f"{self.name}: {where} is not valid {self.requested} (byte 0x{byte}); {_encoding_hint(self.requested)}"
        )

    def close(self) -> None:
        if self.path != "-":
            self.stream.close()
        else:
            self.stream.detach()


_UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _starts_utf16(path: str, first: bytes) -> bool:
    """Whether a file (or stdin's first bytes, `first`) begins with a UTF-16 byte order mark, as
    Excel's "Unicode text" and some editors write; the advice to try gb18030 would then be wrong."""
    if path == "-":
        return bytes(first[:2]) in _UTF16_MARKS
    try:
        with open(path, "rb") as file:
            return file.read(2) in _UTF16_MARKS
    except OSError:
        return False


def _first_undecodable(path: str, encoding: str) -> tuple[int, str] | None:
    """(line, the first bad byte in hex) of the first line that does not decode, or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as file:
            for number, raw in enumerate(file, start=1):
                try:
                    decoder.decode(raw)
                except UnicodeDecodeError as error:
                    return number, raw[error.start : error.start + 1].hex()
    except OSError:
        return None
    return None


#: What a symbolic link that leads back to itself is called in a message (after "PATH: ").
LINK_LOOP = "is a symbolic link that leads back to itself; give the file itself"


def missing_file(path: str) -> str:
    """Why `path`, which does not exist, cannot be read: no such file, a link to none, or a link
    that leads back to itself."""
    if os.path.islink(path):
        try:
            os.stat(path)
        except OSError as error:
            if error.errno == errno.ELOOP:
                return f"{path}: {LINK_LOOP}"
        return f"{path}: is a symbolic link to {os.readlink(path)!r}, which leads to no file"
    return f"{path}: no such file"


def dangling_output(path: str) -> str:
    """Why `path`, a symbolic link to no file, is refused as an output (after "error: ")."""
    return (
        f"{path}: is a symbolic link to {os.readlink(path)!r}, which does not exist; "
        f"give the file itself or create it first"
    )


def check_output_link(path: str) -> None:
    """InputError, worded as batch words it, when an output `path` is a symbolic link that leads to
    no file or back to itself. (An output through a link replaces the file the link leads to, and
    the link stays: see AtomicFile.)"""
    if not os.path.islink(path):
        return
    try:
        os.path.realpath(path, strict=True)
    except FileNotFoundError:
        raise InputError(dangling_output(path)) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputError(f"{path}: {LINK_LOOP}") from None
        raise InputError(f"{path}: cannot write: {error.strerror or error}") from None


def _open_binary(path: str) -> IO[bytes]:
    file = Path(path)
    if not file.exists():
        raise InputError(missing_file(path))
    if file.is_dir():
        raise InputError(f"{path}: is a directory, not a proposal file")
    try:
        return open(file, "rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None


def read_rows(
    path: str, fmt: str, columns: Columns, *, encoding: str = "utf-8", sheet: str | None = None
) -> Iterator[SourceRow]:
    """Stream the proposals of a file (or stdin for "-"). Raises InputError when the file cannot be read at all."""
    if fmt == "xlsx":
        rows = _xlsx_rows(path, columns, sheet)
    elif fmt == "csv":
        rows = _csv_rows(path, columns, encoding)
    elif fmt == "jsonl":
        rows = _jsonl_rows(path, columns, encoding)
    elif fmt == "json":
        rows = _json_rows(path, columns, encoding)
    else:
        raise InputError(f"unknown input format {fmt!r}; use one of {', '.join(INPUT_FORMATS)}")
    return _without_trailing_empty(rows)


def _without_trailing_empty(rows: Iterator[SourceRow]) -> Iterator[SourceRow]:
    """Hold back empty rows until a non-empty one follows: empty rows at the end are not proposals.

    NOTE: spreadsheets often end with blank lines or rows of empty (formatted) cells; those are
    dropped. An empty row between proposals is passed on and rejected, so nothing is lost silently.
    """
    # NOTE: held as runs (the first row, and how many alike follow it, numbered one after another):
    # a file of blank lines held one SourceRow each, 1.9 GB for 10 MB of newlines.
    pending: list[list[Any]] = []
    for row in rows:
        if not row.data and row.problem is None:
            if pending:
                run = pending[-1]
                first, count = run
                if row.number == first.number + count and row.carried == first.carried:
                    run[1] = count + 1
                    continue
            pending.append([row, 1])
            continue
        if pending:
            for first, count in pending:
                yield first
                for number in range(first.number + 1, first.number + count):
                    yield SourceRow(number, {}, None, first.carried)
            pending.clear()
        yield row


def _csv_rows(path: str, columns: Columns, encoding: str) -> Iterator[SourceRow]:
    source = _TextSource(path, encoding)
    # NOTE: a cell may be as long as a line may (csv's own limit, 131,072, refused a long note
    # with its internal wording and without the row's id)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_CHARS))
    reader = csv.reader(source.lines())
    try:
        try:
            header = next(reader, None)
        except UnicodeDecodeError as error:
            raise source.decode_error(error, 1) from None
        except csv.Error as error:
            raise InputError(f"{source.name}: the header is not valid CSV: {error}") from None
        if header is None:
            raise InputError(f"{source.name}: the file is empty; expected a header row of profile attributes")
        if len(header) == 1 and "\t" in header[0]:
            raise InputError(
                f"{source.name}: the header has tabs but no commas; save the sheet as CSV (comma-separated)"
            )
        names, unnamed = columns.header(header, source.name)
        width = len(names)
        kept = [(index, name) for index, name in enumerate(names) if name is not None]
        every_column_kept = len(kept) == width
        carried_at = columns.carried_positions
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError as error:
                raise source.decode_error(error, reader.line_num + 1) from None
            except csv.Error as error:
                number += 1
                yield SourceRow(number, {}, f"not valid CSV: {error}")
                continue
            number += 1
            if len(cells) != width:
                if not cells:
                    yield SourceRow(number, {})
                    continue
                if len(cells) < width:
                    data = _cells(cells, kept)
                    yield SourceRow(
                        number,
                        data,
                        f"the row has {len(cells)} cells but the header has {width}: is the line cut short?",
                    )
                    continue
                if any(cell.strip() for cell in cells[width:]):
                    yield SourceRow(
                        number,
                        _cells(cells[:width], kept),
                        f"the row has {len(cells)} cells but the header has {width}: a value has no column",
                    )
                    continue
                cells = cells[:width]
            if every_column_kept:
                yield SourceRow(number, {name: cell for name, cell in zip(names, cells, strict=True) if cell})  # type: ignore[misc]
                continue
            stray = next((index for index in unnamed if cells[index].strip()), None)
            if stray is not None:
                yield SourceRow(
                    number, _cells(cells, kept), f"column {stray + 1} has no header but holds {cells[stray]!r}"
                )
                continue
            data = {name: cells[index] for index, name in kept if cells[index]}
            if carried_at:
                carried = tuple(cells[index] for index in carried_at)
                # NOTE: a row with only carried cells (a note under no proposal) is not empty
                if not data and any(cell.strip() for cell in carried):
                    yield SourceRow(number, data, "the row holds only columns that are not attributes", carried)
                    continue
                yield SourceRow(number, data, None, carried)
                continue
            yield SourceRow(number, data)
    finally:
        source.close()


def _cells(cells: Sequence[Any], kept: Iterable[tuple[int, str]]) -> dict[str, Any]:
    return {name: cells[index] for index, name in kept if index < len(cells) and cells[index] not in ("", None)}


def _mapping(value: Any, columns: Columns) -> tuple[dict[str, Any], str | None]:
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        return {}, f"expected a JSON object of profile attributes, got {kind}"
    data: dict[str, Any] = {}
    for key, item in value.items():
        name = columns.key(str(key))
        if name is not None and item is not None and item != "":
            data[name] = item
    return data, None


def _skip_json_value(text: str, position: int) -> int | None:
    """Where the JSON value starting at `position` ends (found without parsing it), or None when
    `text` ends first. Used to step over an element that is over a limit."""
    first = _JSON_SCALAR.match(text, position)
    if first is not None and text[position] not in "[{":
        return first.end() if first.end() < len(text) else None
    depth = 0
    for token in _JSON_STRUCTURE.finditer(text, position):
        mark = token.group()
        if mark == '"':
            return None  # a string not closed in `text`
        if mark in "[{":
            depth += 1
        elif mark in "]}":
            depth -= 1
            if depth == 0:
                return token.end()
    return None


_JSON_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|"|[\[\]{}]')
_JSON_SCALAR = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s,\]}]+')


def _jsonl_rows(path: str, columns: Columns, encoding: str) -> Iterator[SourceRow]:
    source = _TextSource(path, encoding)
    number = 0
    try:
        while True:
            try:
                line = source.readline(number + 1)
            except UnicodeDecodeError as error:
                raise source.decode_error(error, number + 1) from None
            if not line:
                break
            number += 1
            text = line.strip()
            if not text:
                yield SourceRow(number, {})
                continue
            try:
                value = loads_json(text)
            except LimitExceeded as error:
                yield SourceRow(number, {}, str(error))
                continue
            except json.JSONDecodeError as error:
                cut = " (is the line cut short?)" if error.pos >= len(text) - 1 or "Unterminated" in error.msg else ""
                yield SourceRow(number, {}, f"malformed JSON at column {error.colno}: {error.msg}{cut}")
                continue
            data, problem = _mapping(value, columns)
            yield SourceRow(number, data, problem)
    finally:
        source.close()


def _json_rows(path: str, columns: Columns, encoding: str) -> Iterator[SourceRow]:
    """The objects of a JSON array (or a sequence of JSON objects), decoded one at a time."""
    source = _TextSource(path, encoding)
    buffer = ""
    position = 0
    line = 1  # the line `position` is on, for messages
    eof = False
    number = 0
    in_array: bool | None = None

    def fill() -> bool:
        nonlocal buffer, position, eof
        if eof:
            return False
        try:
            # NOTE: at least as much as is held already: an element read again after each chunk
            # (a long or hostile one) is then read again a few times, not once per 64 KB.
            held = len(buffer) - position
            chunk = source.stream.read(max(_CHUNK, min(held, JSON_ELEMENT_CHARS - held)))
        except UnicodeDecodeError as error:
            raise source.decode_error(error, line + buffer.count("\n", position)) from None
        if not chunk:
            eof = True
            return False
        buffer = buffer[position:] + chunk
        position = 0
        return True

    def skip(blanks: str) -> str | None:
        """Skip `blanks`; the next character, or None at the end of the file."""
        nonlocal position, line
        while True:
            while position < len(buffer) and buffer[position] in blanks:
                if buffer[position] == "\n":
                    line += 1
                position += 1
            if position < len(buffer):
                return buffer[position]
            if not fill():
                return None

    try:
        first = skip(" \t\r\n")
        if first is None:
            raise InputError(f"{source.name}: the file is empty; expected a JSON array of proposals")
        in_array = first == "["
        if in_array:
            position += 1
        while True:
            char = skip(" \t\r\n," if number else " \t\r\n")
            if char is None:
                if in_array:
                    raise InputError(f"{source.name}: the JSON array is not closed with ']' (is the file cut short?)")
                break
            if in_array and char == "]":
                position += 1
                rest = skip(" \t\r\n")
                if rest is not None:
                    raise InputError(f"{source.name}: line {line}: unexpected text after the JSON array")
                break
            over_limit = None
            while True:
                try:
                    value, end = raw_decode_json(buffer, position)
                    break
                except LimitExceeded as error:
                    # NOTE: step over this element only: the proposals after it are still scored.
                    skipped = _skip_json_value(buffer, position)
                    if skipped is None and len(buffer) - position < JSON_ELEMENT_CHARS and fill():
                        continue
                    if skipped is None:
                        raise InputError(
                            f"{source.name}: proposal {number + 1} (line {line}) {error}, and its end cannot be "
                            f"found within 4 MB; nothing was written"
                        ) from None
                    value, end, over_limit = None, skipped, str(error)
                    break
                except json.JSONDecodeError as error:
                    # NOTE: the element may run past the buffer: read more, but give up on an element
                    # over 4 MB, which is a malformed file rather than a proposal.
                    if len(buffer) - position < JSON_ELEMENT_CHARS and fill():
                        continue
                    if not eof:
                        raise InputError(
                            f"{source.name}: proposal {number + 1} (line {line}) is longer than the limit of "
                            f"{JSON_ELEMENT_CHARS:,} characters; a proposal is a few hundred. Nothing was written"
                        ) from None
                    if eof and not buffer[error.pos :].strip():
                        raise InputError(
                            f"{source.name}: the file ends inside proposal {number + 1} (is it cut short?); "
                            f"nothing was written"
                        ) from None
                    where = line + buffer.count("\n", position, error.pos)
                    raise InputError(
                        f"{source.name}: malformed JSON at line {where} (proposal {number + 1}): {error.msg}; "
                        f"nothing was written"
                    ) from None
            number += 1
            line += buffer.count("\n", position, end)
            position = end
            if over_limit is not None:
                yield SourceRow(number, {}, over_limit)
                continue
            data, problem = _mapping(value, columns)
            yield SourceRow(number, data, problem)
    finally:
        source.close()


#: An .xlsx read from stdin is held in memory (a zip needs seeking): up to this many bytes.
XLSX_STDIN_BYTES = 256 << 20
#: The largest part of a workbook, unpacked (a sheet of a million proposals is about 300 MB).
XLSX_PART_BYTES = 1 << 30
#: The shared strings, which openpyxl holds in memory whole, unpacked.
XLSX_SHARED_STRINGS_BYTES = 256 << 20
#: Unpacked size over packed size beyond which a large part is a zip bomb (as Apache POI judges it).
XLSX_MAX_RATIO = 100
_XLSX_RATIO_FLOOR = 1 << 20  # parts smaller than this unpacked are never a bomb


def check_xlsx(handle: Any, name: str) -> None:
    """Refuses a workbook that would unpack to far more than a spreadsheet holds (a zip bomb) or
    whose XML declares a DTD (entity expansion): InputError naming the part and the limit.

    NOTE: openpyxl parses the XML with the standard library; a workbook never needs a DTD, so
    one is refused outright rather than trusted to expat's amplification guard.
    """
    import zipfile

    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InputError(f"{name}: not a readable .xlsx workbook ({error})") from None
    with archive:
        for part in archive.infolist():
            limit = XLSX_SHARED_STRINGS_BYTES if part.filename.endswith("sharedStrings.xml") else XLSX_PART_BYTES
            if part.file_size > limit:
                raise InputError(
                    f"{name}: the workbook part {part.filename} unpacks to {part.file_size:,} bytes, over the "
                    f"limit of {limit:,}; split the workbook or save it as CSV"
                )
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > _XLSX_RATIO_FLOOR and ratio > XLSX_MAX_RATIO:
                raise InputError(
                    f"{name}: the workbook part {part.filename} unpacks {ratio:,.0f} times larger than it is stored "
                    f"(limit {XLSX_MAX_RATIO}): a zip bomb, not a spreadsheet"
                )
            if part.filename.endswith((".xml", ".rels")):
                try:
                    with archive.open(part) as stream:
                        prolog = stream.read(_XML_PROLOG_BYTES)
                except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
                    raise InputError(
                        f"{name}: the workbook part {part.filename} cannot be unpacked ({error})"
                    ) from None
                if _declares_dtd(prolog):
                    raise InputError(
                        f"{name}: the workbook part {part.filename} declares a DTD (<!DOCTYPE>); "
                        f"a spreadsheet never does, and its entities could expand without bound"
                    )


_XML_PROLOG_BYTES = 1 << 16
_XML_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _declares_dtd(prolog: bytes) -> bool:
    """Whether an XML document's prolog (its first bytes) holds a DOCTYPE, or is too long to tell."""
    position = 3 if prolog.startswith(b"\xef\xbb\xbf") else 0
    while True:
        item = _XML_PROLOG_ITEM.match(prolog, position)
        if item is None or item.end() == position:
            break
        position = item.end()
    rest = prolog[position:]
    if not rest and len(prolog) >= _XML_PROLOG_BYTES:
        return True  # 64 KB of prolog is no spreadsheet's
    return rest[:9].upper() == b"<!DOCTYPE"


def _xlsx_rows(path: str, columns: Columns, sheet: str | None) -> Iterator[SourceRow]:
    import zipfile
    from xml.etree.ElementTree import ParseError
    from zlib import error as ZlibError

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if path == "-":
        # NOTE: a zip needs seeking; stdin is read whole, up to a limit.
        data = sys.stdin.buffer.read(XLSX_STDIN_BYTES + 1)
        if len(data) > XLSX_STDIN_BYTES:
            raise InputError(
                f"<stdin>: an .xlsx on stdin is held in memory, up to {XLSX_STDIN_BYTES:,} bytes; give the file's path"
            )
        handle: Any = io.BytesIO(data)
        name = "<stdin>"
    else:
        _open_binary(path).close()
        handle, name = path, path
    check_xlsx(handle, name)
    if isinstance(handle, io.BytesIO):
        handle.seek(0)
    unreadable = (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        ParseError,
        ZlibError,
        EOFError,
    )
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    # NOTE: openpyxl reads a damaged part of the workbook's settings, styles or properties (an
    # attribute it does not know, a date that is not one) into TypeError and the like.
    except (*unreadable, TypeError, AttributeError, IndexError) as error:
        raise InputError(f"{name}: not a readable .xlsx workbook ({type(error).__name__}: {error})") from None
    try:
        yield from _sheet_rows(book, name, columns, sheet)
    except (*unreadable, TypeError) as error:
        # NOTE: a read-only workbook parses its sheet as it goes: a cut-short or malformed sheet
        # is found here, after the rows before the fault were read (nothing is written yet).
        # openpyxl reads a sheet's settings it does not know (<pageMargins>) into TypeError.
        raise InputError(
            f"{name}: the sheet cannot be read past this point ({type(error).__name__}: {error}); "
            f"the workbook is damaged or cut short. Nothing was written"
        ) from None
    finally:
        book.close()


def _sheet_rows(book: Any, name: str, columns: Columns, sheet: str | None) -> Iterator[SourceRow]:
    from .sheet_values import sheet_rows

    if sheet is not None:
        if sheet not in book.sheetnames:
            raise InputError(
                f"{name}: no sheet named {sheet!r}; the sheets are {', '.join(map(repr, book.sheetnames))}"
            )
        worksheet = book[sheet]
        if not any(table is worksheet for table in book.worksheets):
            tables = ", ".join(repr(table.title) for table in book.worksheets) or "none"
            raise InputError(
                f"{name}: the sheet {sheet!r} is a chart, not a table; the sheets with a table are {tables}"
            )
    elif not book.worksheets:
        raise InputError(
            f"{name}: the workbook has no worksheet; expected a sheet whose first row names profile attributes"
        )
    else:
        worksheet = book.worksheets[0]
    rows = sheet_rows(worksheet)
    first = next(rows, None)
    if first is None:
        raise InputError(f"{name}: the sheet {worksheet.title!r} is empty; expected a header row of profile attributes")
    header, uncomputed = first
    source = f"{name} (sheet {worksheet.title!r})"
    if uncomputed:
        cell, formula = next(iter(uncomputed.values()))
        raise InputError(
            f"{source}: the header cell {cell} holds the formula {formula!r} without its computed value; {COMPUTE_HINT}"
        )
    names, unnamed = columns.header(header, source)
    kept = [(index, col) for index, col in enumerate(names) if col is not None]
    width = len(names)
    carried_at = columns.carried_positions
    unread = _UnreadCells(header, names, unnamed, columns, worksheet.title)
    for number, (cells, uncomputed) in enumerate(rows, start=2):
        stray = next((i for i in (*unnamed, *range(width, len(cells))) if i < len(cells) and _filled(cells[i])), None)
        data = {col: cells[index] for index, col in kept if index < len(cells) and _filled(cells[index])}
        carried = tuple(cells[index] if index < len(cells) else None for index in carried_at) if carried_at else ()
        problems = unread(uncomputed, len(cells)) if uncomputed else None
        if problems:
            # NOTE: a formula without its value is a cell that cannot be read: the row is rejected,
            # naming the cell, with the row's other faults (validated with them), never scored
            # as if the cell were empty.
            if stray is not None:
                problems.append(_stray(stray, cells[stray]))
            yield SourceRow(number, data, tuple(problems), carried)
        elif stray is not None:
            yield SourceRow(number, data, _stray_text(stray, cells[stray]), carried)
        elif carried_at:
            if not data and any(_filled(cell) for cell in carried):
                yield SourceRow(number, data, "the row holds only columns that are not attributes", carried)
            else:
                yield SourceRow(number, data, None, carried)
        else:
            yield SourceRow(number, data)


#: What to do about a formula a workbook holds without its value (the end of every such message).
COMPUTE_HINT = (
    "open and save the workbook in Excel or LibreOffice so the values are computed, "
    "or paste the values in place of the formulas"
)


def _stray_text(position: int, value: Any) -> str:
    return f"column {position + 1} has no header but holds {value!r}"


def _stray(position: int, value: Any) -> FieldProblem:
    return FieldProblem("(row)", _MISSING, _stray_text(position, value))


class _UnreadCells:
    """The problems of a row's formula cells that hold no value, one per cell of a column that is
    read (an attribute, id, title, a carried column, or one without a header, whose cells must be
    empty); columns left out with --ignore-unknown-columns are not looked at."""

    def __init__(
        self, header: Sequence[Any], names: Sequence[str | None], unnamed: Sequence[int], columns: Columns, sheet: str
    ):
        from .profile import ATTRIBUTES

        self.sheet = sheet
        # position -> (field, how the column is named in the message, what the field allows)
        self.fields: dict[int, tuple[str, str, str | None]] = {}
        for position, field in enumerate(names):
            if field is not None:
                spec = ATTRIBUTES.get(field)
                self.fields[position] = (field, repr(_header_text(header[position])), spec.allowed() if spec else None)
        for position, field in zip(columns.carried_positions, columns.carried, strict=True):
            self.fields[position] = (field, repr(field), None)
        for position in unnamed:
            self.fields[position] = ("(row)", "without a header", None)
        self.width = len(names)

    def __call__(self, uncomputed: dict[int, tuple[str, str]], size: int) -> list[FieldProblem]:
        problems = []
        for position, (cell, formula) in sorted(uncomputed.items()):
            if position >= size:
                continue  # past the sheet's dimension: not read at all
            field, column, allowed = self.fields.get(position) or (
                ("(row)", "without a header", None) if position >= self.width else (None, "", None)
            )
            if field is None:
                continue  # a column left out with --ignore-unknown-columns
            problems.append(
                FieldProblem(
                    field,
                    formula,
                    f"the cell {cell} (column {column}, sheet {self.sheet!r}) holds a formula without its computed value; "
                    f"{COMPUTE_HINT}",
                    allowed,
                )
            )
        return problems


def _header_text(cell: Any) -> str:
    return "" if cell is None else str(cell).lstrip("\ufeff").strip()


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def estimate_rows(path: str, fmt: str, sheet: str | None = None) -> int | None:
    """About how many proposals a file holds, for the progress bar; None when that is not cheap to know."""
    if path == "-":
        return None
    try:
        if fmt in ("csv", "jsonl"):
            lines = 0
            with open(path, "rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    lines += block.count(b"\n")
            return max(lines - (1 if fmt == "csv" else 0), 0)
        if fmt == "xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            try:
                worksheet = book[sheet] if sheet in book.sheetnames else book.worksheets[0]
                return max((worksheet.max_row or 1) - 1, 0) or None
            finally:
                book.close()
    except Exception:  # only a progress estimate: never worth failing for
        return None
    return None


# -- writing -------------------------------------------------------------------------------


_UNPRINTABLE = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\ud800-\\udfff]")


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Text any file can hold: control characters (but tab and line breaks) and lone surrogates
    written as escapes (\\x01, \\ud800). Returns `text` itself when there is nothing to escape."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(_escape, text)


def check_distinct(
    input_path: str,
    output: str | None,
    errors: str | None = None,
    summary_file: str | None = None,
    report_file: str | None = None,
) -> None:
    """InputError when two of the files named are one file (compared resolved; - is a stream)."""
    named = [
        ("the input", input_path),
        ("the output", output),
        ("the errors file", errors),
        ("the summary file", summary_file),
        ("the report", report_file),
    ]
    seen: dict[Path, str] = {}
    for role, path in named:
        if path is None or path == "-":
            continue
        try:
            resolved = Path(path).resolve()
        except (RuntimeError, OSError):  # NOTE: a loop of links (RuntimeError before Python 3.13)
            raise InputError(f"{path}: {LINK_LOOP}") from None
        if resolved in seen:
            raise InputError(f"{path}: {seen[resolved]} and {role} are the same file; give them different names")
        seen[resolved] = role


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will show, never run: a leading ' before = + - @ (and tab, CR)."""
    if text and text[0] in FORMULA_START:
        return "'" + text
    return text


class AtomicFile:
    """A hidden temporary file beside `path`, renamed over it by `commit()`, removed by `abort()`.

    Only a regular file is ever replaced. A symbolic link is written through: its target is
    replaced and the link stays. A FIFO or character device (`/dev/null`, a named pipe) is written
    through too: the finished file is copied into it on `commit()` (the temporary file then sits
    in the system's temporary folder). Anything else (a directory, a block device, a socket, a
    link to nothing) is refused before any work, with a message.
    """

    def __init__(self, path: str):
        target = Path(path)
        self.through = False  # write into the existing node instead of replacing it
        try:
            info = os.stat(target)  # follows links
        except FileNotFoundError:
            info = None
            if target.is_symlink():
                raise InputError(dangling_output(path)) from None
        except OSError as error:
            raise InputError(f"{path}: cannot write: {error.strerror}") from None
        if info is not None:
            mode = info.st_mode
            if stat.S_ISDIR(mode):
                raise InputError(f"{path}: is a directory; give a file name for the output")
            if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
                self.through = True
                if not os.access(target, os.W_OK):
                    raise InputError(f"{path}: cannot write: permission denied")
            elif not stat.S_ISREG(mode):
                raise InputError(
                    f"{path}: is a {_node_kind(mode)}, not a file; advice is written only to regular files, "
                    f"pipes and character devices"
                )
            elif target.is_symlink():
                target = Path(os.path.realpath(target))  # replace the file the link points at; keep the link
        directory = Path(tempfile.gettempdir()) if self.through else target.parent
        if not directory.is_dir():
            raise InputError(f"{path}: the folder {str(directory)!r} does not exist")
        self.path = target
        try:
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=directory)
        except OSError as error:
            raise InputError(f"{path}: cannot write in {str(directory)!r}: {error.strerror}") from None
        os.close(fd)
        self.temp = Path(temp)

    def commit(self) -> None:
        if self.through:
            with open(self.temp, "rb") as source, open(self.path, "wb") as sink:
                while block := source.read(1 << 20):
                    sink.write(block)
            self.temp.unlink()
            return
        with open(self.temp, "rb+") as handle:
            os.fsync(handle.fileno())
        if self.path.exists():
            # keep the permissions of the file being replaced; mkstemp makes 0600
            try:
                os.chmod(self.temp, self.path.stat().st_mode & 0o777)
            except OSError:
                pass
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.temp, 0o666 & ~umask)
        os.replace(self.temp, self.path)

    def abort(self) -> None:
        try:
            self.temp.unlink()
        except FileNotFoundError:
            pass


def _node_kind(mode: int) -> str:
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


class TableWriter:
    """Rows of cells to a CSV, JSON Lines or .xlsx file (or stdout), atomically."""

    def __init__(
        self,
        path: str,
        fmt: str,
        header: Sequence[str],
        *,
        encoding: str = "utf-8-sig",
        sheet: str = "advice",
        unencodable: str = "strict",
        styled: bool = False,
        labels: Sequence[str] | None = None,
    ):
        """`unencodable` is what a CSV does with a character its encoding lacks: "strict" raises
        UnicodeEncodeError (the caller rejects the row), "backslashreplace" writes it as an escape.
        `styled` (.xlsx): a styled, frozen header and column widths (advisor/workbook.py); the
        caller may set `finish(book, sheet)` to add to the workbook before it is saved; `labels`:
        the header a reader sees over the columns (styled .xlsx only)."""
        if fmt not in OUTPUT_FORMATS:
            raise InputError(f"unknown output format {fmt!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        self.fmt = fmt
        self.header = list(header)
        self.rows = 0
        self.name = "<stdout>" if path == "-" else path
        self._atomic: AtomicFile | None = None if path == "-" else AtomicFile(path)
        self._text: IO[str] | None = None
        self._sheet: Any = None
        self._book: Any = None
        self.finish: Callable[[Any, Any], None] | None = None
        target = self._atomic.temp if self._atomic else None
        try:
            if fmt == "xlsx":
                if target is None:
                    raise InputError("an .xlsx workbook cannot be written to stdout; give -o FILE.xlsx")
                from openpyxl import Workbook

                self._book = Workbook(write_only=True)
                self._sheet = self._book.create_sheet(sheet)
                if styled:
                    from .workbook import prepare_sheet

                    self._sheet.append(prepare_sheet(self._sheet, self.header, labels))
                else:
                    self._sheet.append(self.header)
            else:
                if target is None:
                    self._text = sys.stdout
                else:
                    # NOTE: Excel reads a UTF-8 CSV as such only with a BOM; JSON Lines is always plain UTF-8.
                    chosen = "utf-8" if fmt == "jsonl" else encoding
                    # NOTE: utf-8-sig is written as its BOM and then plain utf-8, the same bytes:
                    # Python's utf-8-sig encoder is Python code called once per row, utf-8's is C.
                    with_bom = codecs.lookup(chosen).name == "utf-8-sig"
                    self._text = open(
                        target,
                        "w",
                        encoding="utf-8" if with_bom else chosen,
                        errors=unencodable,
                        newline="",
                        buffering=1 << 20,
                    )
                    if with_bom:
                        self._text.write("\ufeff")
                if fmt == "csv":
                    self._csv = csv.writer(self._text, lineterminator="\r\n" if os.name == "nt" else "\n")
                    self._csv.writerow(self.header)
        except BaseException:
            self.abort()
            raise

    def write(self, cells: Sequence[Any]) -> None:
        """One row of cells, in header order (CSV and XLSX; text cells must already be neutralised)."""
        self.rows += 1
        if self.fmt == "csv":
            self._csv.writerow(cells)
        elif self.fmt == "xlsx":
            if self.rows >= XLSX_MAX_ROWS:
                raise InputError(
                    f"{self.name}: an Excel sheet holds at most {XLSX_MAX_ROWS:,} rows; write CSV or JSON Lines instead"
                )
            # NOTE: a sheet cannot hold control characters or lone surrogates: they are written as
            # escapes (\\x01), so the cell still shows what was there and the workbook still saves.
            self._sheet.append([printable(cell) if type(cell) is str else cell for cell in cells])
        else:
            raise TypeError("JSON Lines rows are written with write_line")

    def write_line(self, line: str) -> None:
        """One JSON Lines record (already encoded, without the newline)."""
        self.rows += 1
        assert self._text is not None
        self._text.write(line)
        self._text.write("\n")

    def writer_for_rows(self) -> Callable[[Sequence[Any]], Any]:
        """The fastest callable that writes one row of cells (the CSV writer's own writerow)."""
        if self.fmt == "csv":
            return self._csv.writerow
        return self.write

    def commit(self) -> None:
        """Finish the file and put it under its final name."""
        if self._book is not None:
            assert self._atomic is not None
            if self.finish is not None:
                self.finish(self._book, self._sheet)
            self._book.save(self._atomic.temp)
            self._book = None
        if self._text is not None:
            if self._text is sys.stdout:
                self._text.flush()
            else:
                self._text.close()
            self._text = None
        if self._atomic is not None:
            self._atomic.commit()
            self._atomic = None

    def abort(self) -> None:
        """Drop what was written: the final name is left as it was."""
        if self._text is not None and self._text is not sys.stdout:
            try:
                self._text.close()
            except OSError:
                pass
        self._text = None
        if self._book is not None:
            _discard_workbook(self._sheet)
        self._book = None
        if self._atomic is not None:
            self._atomic.abort()
            self._atomic = None


def _discard_workbook(sheet: Any) -> None:
    """Close an unsaved write-only sheet and delete openpyxl's temporary file for it."""
    try:
        sheet.close()
        writer = getattr(sheet, "_writer", None)
        if writer is not None:
            writer.cleanup()
    except Exception:  # cleaning up after a failure: never mask the failure itself
        pass
