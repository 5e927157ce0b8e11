"""`advisor batch proposals.csv -o advice.csv`: the command, its output files and its summary.

The command reads a file with `advisor.batch_io`, scores it with the library's one scoring loop
(`advisor.row_scoring.scored_chunks`, which `Advisor.advise_many` and `POST /v1/batch` use too),
writes the advice and the rejected rows, and tallies a summary. Every output path is checked
before any work; a row that cannot be written (a character the output encoding lacks) is
rejected like any other bad row, and the run goes on.

NOTE: module level imports only click and the standard library, so `advisor --help` stays fast.
"""

from __future__ import annotations

import functools
import math
import os
import signal
import sys
import time
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .options import EXIT_INTERRUPTED, EXIT_REJECTED, lang_option, stdout_open, with_pack
from .row_scoring import CHUNK, ROW_FIELD, Item, Outcome, Outcomes, RowValidator, scored_chunks
from .row_scoring import Rejected as Rejected  # NOTE: re-exported: `advisor.batch` named them before
from .row_scoring import Scored as Scored
from .row_scoring import score_rows as score_rows

if TYPE_CHECKING:
    from .advice import Advice
    from .core import Advisor
    from .errors import FieldProblem

#: Exit codes of `batch` beyond the common ones (advisor/options.py declares them all once):
#: some rows rejected (without --allow-rejects), and Ctrl-C (nothing is written).
EXIT_REJECTS = EXIT_REJECTED
PAIRS_SHOWN = 10  # close-call pairs listed in the summary

SCORED_COLUMNS = (
    "row",
    "id",
    "title",
    "leading_mode",
    "leading_score",
    "decision",
    "second_mode",
    "second_score",
    "third_mode",
    "third_score",
    "difficulties",
    "decision_reason",
)
WHAT_IF_COLUMN = "next_questions"
ERROR_COLUMNS = ("row", "id", "field", "value", "message", "allowed")


# -- duplicate ids ---------------------------------------------------------------------------


class DuplicateIds:
    """Which ids were seen before, in 16 to 32 bytes per id (an open-addressing table of
    64-bit hashes and first rows) rather than a set of strings that grows by ~100 MB per million."""

    EXAMPLES = 1000  # ids whose rows are listed; beyond that only counted
    ROWS_PER_ID = 10

    def __init__(self, expected: int | None = None):
        size = 1 << 16
        while expected and size < expected * 2:
            size <<= 1
        self._alloc(size)
        self.repeats: dict[str, list[int]] = {}
        self.duplicate_rows = 0  # rows whose id appeared on an earlier row
        self.duplicate_ids = 0  # distinct ids that appear more than once

    def _alloc(self, size: int) -> None:
        self._size = size
        self._mask = size - 1
        self._hashes = array("q", bytes(8 * size))
        self._rows = array("i", bytes(4 * size))  # rows up to 2**31
        self._used = 0

    def see(self, ident: str, row: int) -> None:
        key = hash(ident) or 1  # 0 marks an empty slot
        hashes, mask = self._hashes, self._mask
        slot = key & mask
        while True:
            found = hashes[slot]
            if found == 0:
                hashes[slot] = key
                self._rows[slot] = row
                self._used += 1
                if self._used * 4 > self._size * 3:
                    self._grow()
                return
            if found == key:
                self._repeat(ident, self._rows[slot], row)
                return
            slot = (slot + 1) & mask

    def _repeat(self, ident: str, first: int, row: int) -> None:
        self.duplicate_rows += 1
        rows = self.repeats.get(ident)
        if rows is None:
            self.duplicate_ids += 1
            if len(self.repeats) < self.EXAMPLES:
                self.repeats[ident] = [first, row]
        elif len(rows) < self.ROWS_PER_ID:
            rows.append(row)

    def _grow(self) -> None:
        old_hashes, old_rows = self._hashes, self._rows
        self._alloc(self._size * 2)
        hashes, rows, mask = self._hashes, self._rows, self._mask
        for key, row in zip(old_hashes, old_rows, strict=True):
            if key:
                slot = key & mask
                while hashes[slot]:
                    slot = (slot + 1) & mask
                hashes[slot] = key
                rows[slot] = row
                self._used += 1

    def describe(self, limit: int = 5, lang: str = "en") -> str:
        shown = []
        for ident, rows in list(self.repeats.items())[:limit]:
            cut = len(rows) >= self.ROWS_PER_ID
            if lang == "zh":
                shown.append(f"“{ident}”（第 {'、'.join(map(str, rows))}{' 等' if cut else ''} 行）")
            else:
                shown.append(f"{ident!r} (rows {', '.join(map(str, rows))}{', ...' if cut else ''})")
        more = self.duplicate_ids - len(shown)
        if lang == "zh":
            return "；".join(shown) + (f"；另有 {more:,} 个" if more > 0 else "")
        return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


# -- the tally and summary -------------------------------------------------------------------


class Tally:
    """Counts for the summary, the portfolio report and the workbook's Summary sheet.

    NOTE: memory stays flat in the number of rows: scored rows are counted by (leading mode,
    decision, difficulties), a few hundred distinct keys, with one dict update per row; the
    per-mode and per-difficulty counts are summed from those at the end. Rules are counted per
    rule, difficulties per (difficulty, severity), groups per (value, leading mode, decision)
    for at most GROUP_VALUES values a column; the proposals to review and the close-call
    examples are capped lists.
    """

    EXAMPLES = 20
    REVIEW = 100  # proposals to review listed in the report (a few printed pages); the rest are counted
    GROUP_VALUES = 1000  # distinct values counted per --group-by column; the rest as one "other"
    OTHER = "\x00other"  # the group of values beyond GROUP_VALUES (no cell can hold NUL)

    def __init__(self, advisor: Advisor | None = None, group_by: Iterable[str] = (), *, detailed: bool = True) -> None:
        """`detailed`: count rules, severities and the proposals to review too (the portfolio
        report and the workbook's Summary sheet need them; the Markdown summary does not)."""
        self.detailed = detailed
        self.read = self.scored = self.rejected = 0
        self.by_outcome: dict[tuple[Any, ...], int] = {}
        self.close_pairs: Counter[tuple[str, str]] = Counter()
        self.close_examples: list[tuple[int, str, str, tuple[str, int], tuple[str, int]]] = []
        self.rejected_fields: Counter[str] = Counter()
        self.seconds = 0.0
        self.rules: Counter[str] = Counter()  # proposals on which each rule fired
        self.severities: Counter[tuple[str, str]] = Counter()  # (difficulty, its severity on a row)
        self.review: list[tuple[int, str, str, Outcome, tuple[str, ...]]] = []
        self.review_count = 0
        self.group_by = tuple(group_by)
        self.groups: list[dict[str, Counter[tuple[str | None, str]]]] = [{} for _ in self.group_by]
        self.group_attributes: list[str | None] = [None for _ in self.group_by]  # the attribute a column is
        self._raises: dict[str, tuple[str, str]] = {}
        if advisor is not None:
            self._raises = {
                rule_id: (rule.effect.raises, rule.effect.severity or "low")
                for rule_id, rule in advisor.rulebook.rules.items()
                if rule.effect.raises
            }
        self._raising = frozenset(self._raises)
        self._worst_memo: dict[frozenset[str], dict[str, str]] = {}

    def add_scored(
        self, number: int, ident: str | None, title: str | None, outcome: Outcome, groups: tuple[str, ...] = ()
    ) -> None:
        key = outcome.tally_key
        self.by_outcome[key] = self.by_outcome.get(key, 0) + 1
        decision = outcome.decision
        if self.detailed:
            fired = outcome.fired
            if fired:
                self.rules.update(fired)
            high: tuple[str, ...] = ()
            if outcome.difficulties:
                worst = self._worst(fired)
                severities = self.severities
                for difficulty in outcome.difficulties:
                    severities[(difficulty, worst.get(difficulty, "low"))] += 1
                high = tuple(difficulty for difficulty in outcome.difficulties if worst.get(difficulty) == "high")
            if decision != "clear" or high:
                self.review_count += 1
                if len(self.review) < self.REVIEW:
                    shown = ident if ident is not None else str(number)
                    self.review.append((number, shown, title or "", outcome, high))
        if decision == "close_call":
            runner = outcome.runner_up
            if runner is not None and outcome.leading_mode is not None:
                self.close_pairs[(outcome.leading_mode, runner[0])] += 1
                if len(self.close_examples) < self.EXAMPLES:
                    shown = ident if ident is not None else str(number)
                    self.close_examples.append(
                        (number, shown, title or "", (outcome.leading_mode, outcome.leading_score), runner)
                    )
        if groups:
            cell = (outcome.leading_mode, decision)
            for counts, value in zip(self.groups, groups, strict=True):
                found = counts.get(value)
                if found is None:
                    if len(counts) >= self.GROUP_VALUES:
                        value = self.OTHER
                    found = counts.setdefault(value, Counter())
                found[cell] += 1

    def _worst(self, fired: frozenset[str]) -> dict[str, str]:
        """The severity of the most severe rule that raised each difficulty on a row.

        NOTE: remembered by the set of difficulty rules that fired (one set intersection per
        row): such sets are few, and this runs once per scored row."""
        raising = fired & self._raising
        worst = self._worst_memo.get(raising)
        if worst is None:
            worst = {}
            for rule_id in raising:
                difficulty, severity = self._raises[rule_id]
                if _SEVERITY_RANK[severity] < _SEVERITY_RANK[worst.get(difficulty, "none")]:
                    worst[difficulty] = severity
            if len(self._worst_memo) < 10_000:
                self._worst_memo[raising] = worst
        return worst

    def add_rejected(self, problems: Iterable[FieldProblem]) -> None:
        self.rejected += 1
        for problem in problems:
            self.rejected_fields[problem.field.split("[")[0]] += 1

    @property
    def modes(self) -> Counter[str]:
        """Proposals by leading mode; the key None for those whose every mode is excluded."""
        counts: Counter[Any] = Counter()
        for (leader, _, _), count in self.by_outcome.items():
            counts[leader] += count
        return counts

    @property
    def decisions(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for (_, decision, _), count in self.by_outcome.items():
            counts[decision] += count
        return counts

    @property
    def difficulties(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for (_, _, difficulties), count in self.by_outcome.items():
            for difficulty in difficulties:
                counts[difficulty] += count
        return counts


_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2, "none": 3}


def render_summary(
    tally: Tally, advisor: Advisor, duplicates: DuplicateIds | None, source: str, lang: str = "en"
) -> str:
    """The summary as Markdown in `lang`: leading modes, difficulties, close calls, rejects, duplicates."""
    from .portfolio import build_figures, summary_markdown

    return summary_markdown(build_figures(tally, advisor, duplicates, lang=lang, source=source), PAIRS_SHOWN)


# -- the run ---------------------------------------------------------------------------------


def _show(value: Any) -> str:
    import json

    from .errors import _MISSING

    if value is _MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _advice_json(advice: Advice) -> str:
    return advice.model_dump_json()


def _questions_cell(
    advice: Advice, lang: str = "en", labels: Mapping[str, Mapping[Any, Mapping[str, str]]] | None = None
) -> str:
    """The --what-if cell: each question worth asking, with the leader each answer would give.
    English keeps the ids (university_takes_equity (true: technology_equity 68)); another language
    names the field, the answer and the mode as a reader words them (高校技术入股（若答“是”：技术入股 68 分））."""
    if lang == "en":
        parts = []
        for question in advice.next_questions:
            answers = ", ".join(
                f"{_show(a.value)}: {a.leading_mode or 'none'} {a.leading_score}" for a in question.answers
            )
            parts.append(f"{question.attribute} ({answers})" if answers else question.attribute)
        return "; ".join(parts)
    from .catalogue import attribute_label, words
    from .render import shown_value

    w = words(lang, "batch_cells")
    names = {mode.id: mode.name_zh or mode.name for mode in advice.modes}
    parts = []
    for question in advice.next_questions:
        by_value = (labels or {}).get(question.attribute, {})
        answers = str(w["answer_sep"]).join(
            str(w["answer"]).format(
                value=by_value.get(_key(a.value), {}).get(lang) or shown_value(question.attribute, a.value, lang, None),
                mode=names.get(a.leading_mode or "", w["no_leader"]),
                score=a.leading_score,
            )
            for a in question.answers
        )
        field = attribute_label(question.attribute, lang)
        parts.append(str(w["question"]).format(field=field, answers=answers) if answers else field)
    return str(w["question_sep"]).join(parts)


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass
class BatchOptions:
    """What `advisor batch` was asked to do (the command's options, resolved)."""

    input: str
    input_format: str
    output: str
    output_format: str
    errors: str | None  # None: rejected rows go to stderr
    errors_format: str
    encoding: str = "utf-8"
    output_encoding: str = "utf-8-sig"
    sheet: str | None = None
    ignore_unknown_columns: bool = False
    what_if: bool = False
    max_questions: int = 5
    progress: bool = False
    workers: int = 1
    rules_dir: str | None = None
    knowledge_dir: str | None = None
    lang: str = "en"
    group_by: tuple[str, ...] = ()
    carry_columns: bool = True  # columns that are clearly not attributes go through to the output
    detailed: bool = True  # count what the portfolio report needs (rules, severities, the review)


@dataclass
class BatchReport:
    tally: Tally
    duplicates: DuplicateIds | None
    carried: list[str] = field(default_factory=list)  # the input columns carried to the output


def _scored_chunks(
    advisor: Advisor,
    rows: Iterable[Any],
    settings: dict[str, Any],
    validator: RowValidator | None = None,
    outcomes: Outcomes | None = None,
) -> Iterator[list[Item]]:
    """The library's scoring loop with the command's settings; with full advice (JSON Lines) or
    --what-if, a scored item's last place holds its rendered text."""
    full, what_if = settings["full"], settings["what_if"]
    # NOTE: the answers' labels of this advisor's questionnaire (a --knowledge of one's own has its own)
    cell = functools.partial(_questions_cell, lang=settings.get("lang", "en"), labels=advisor.scorer.value_labels)
    render = (_advice_json if settings["jsonl"] else cell) if full or what_if else None
    return scored_chunks(
        advisor,
        rows,
        full=full,
        what_if=what_if,
        max_questions=settings["max_questions"],
        render=render,
        validator=validator,
        outcomes=outcomes,
    )


# Workers (--workers N): each process builds its own Advisor and scores chunks of rows; the main
# process reads, writes and tallies, in input order.
_WORKER: dict[str, Any] = {}
WORKER_CHUNK = 4 * CHUNK


def _worker_start(rules_dir: str | None, knowledge_dir: str | None, settings: dict[str, Any], parent: int) -> None:
    from .orphans import end_with_parent

    end_with_parent(parent)  # a worker never outlives a main process killed outright
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C and stops the pool
    advisor = _advisor(rules_dir, knowledge_dir)
    _WORKER.update(advisor=advisor, validator=RowValidator(), outcomes=Outcomes(advisor), settings=settings)


def _worker_score(rows: list[Any]) -> list[list[Item]]:
    work = _WORKER
    return list(_scored_chunks(work["advisor"], rows, work["settings"], work["validator"], work["outcomes"]))


def _in_workers(rows: Iterable[Any], options: BatchOptions, settings: dict[str, Any]) -> Iterator[list[Item]]:
    """Score chunks of rows in `options.workers` processes, a bounded number of chunks ahead, in order."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    workers = options.workers
    # NOTE: spawn, not fork: a forked copy of a process with threads (the progress bar's) can deadlock.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_worker_start,
        initargs=(options.rules_dir, options.knowledge_dir, settings, os.getpid()),
    )
    window: deque[Future[list[list[Item]]]] = deque()
    try:
        batch: list[Any] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= WORKER_CHUNK:
                window.append(pool.submit(_worker_score, batch))
                batch = []
                if len(window) > 2 * workers:
                    yield from window.popleft().result()
        if batch:
            window.append(pool.submit(_worker_score, batch))
        while window:
            yield from window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class LocalReasons:
    """An outcome's cells with its decision reason in another language than English; one sentence
    per distinct outcome (a million rows share a few thousand), so the fast path stays fast."""

    def __init__(self, advisor: Advisor, lang: str):
        from .batch_io import neutralise

        self._neutralise = neutralise
        self._scorer = advisor.scorer
        self._lang = lang
        self._cells: dict[Outcome, tuple[Any, ...]] = {}

    def cells(self, outcome: Outcome) -> tuple[Any, ...]:
        found = self._cells.get(outcome)
        if found is None:
            why = outcome.why
            reason = outcome.decision_reason if why is None else self._scorer.reason_text(why, self._lang)
            found = (*outcome.cells()[:-1], self._neutralise(reason))
            if len(self._cells) < 100_000:
                self._cells[outcome] = found
        return found


def run_batch(advisor: Advisor, options: BatchOptions) -> BatchReport:
    """Read, score and write a whole file; the outputs appear under their names only if it all succeeds."""
    from itertools import chain

    from .batch_io import FORMULA_START, Columns, TableWriter, estimate_rows, read_rows
    from .profile import ATTRIBUTES

    started = time.perf_counter()
    columns = Columns(["id", "title", *ATTRIBUTES], options.ignore_unknown_columns, carry=options.carry_columns)
    jsonl = options.output_format == "jsonl"
    xlsx = options.output_format == "xlsx"
    what_if = options.what_if
    # NOTE: the header is read first: the carried columns are part of the output's header, and a
    # --group-by column the file does not have stops the run before any row is scored.
    source_rows = read_rows(
        options.input, options.input_format, columns, encoding=options.encoding, sheet=options.sheet
    )
    first = next(source_rows, None)
    group_by = _group_columns(options.group_by, columns, "<stdin>" if options.input == "-" else options.input)
    carried_names = list(columns.carried)
    side = bool(carried_names or group_by)
    header = list(SCORED_COLUMNS)
    if xlsx:
        from .workbook import Namer, named_header

        header = named_header(header)
        namer = Namer(advisor, options.lang)
    # NOTE: a row's decision_reason is a sentence: in the run's language (ids and codes stay).
    reasons = LocalReasons(advisor, options.lang) if options.lang != "en" else None
    if what_if:
        header.append(WHAT_IF_COLUMN)
    header += _carried_header(carried_names, header)
    tally = Tally(advisor, [label for label, _ in group_by], detailed=options.detailed or xlsx)
    tally.group_attributes = [key if kind == "data" else None for _, (kind, key) in group_by]
    writers: list[TableWriter] = []
    bar = None
    try:
        sheet_options: dict[str, Any] = {}
        if xlsx:
            from .catalogue import words
            from .workbook import column_labels

            sheet_options = {
                "labels": column_labels(header, options.lang),
                "sheet": words(options.lang, "workbook")["advice_sheet"],
            }
        output = TableWriter(
            options.output,
            options.output_format,
            header,
            encoding=options.output_encoding,
            styled=xlsx,
            **sheet_options,
        )
        writers.append(output)
        errors = None
        if options.errors is not None:
            error_options: dict[str, Any] = {"sheet": "rejected"}
            if options.errors_format == "xlsx":  # a workbook is for a reader: in the run's language, as the advice
                from .catalogue import words

                book_words = words(options.lang, "workbook")
                error_options = {
                    "sheet": book_words["rejected_sheet"],
                    "styled": True,
                    "labels": [book_words["error_columns"][column] for column in ERROR_COLUMNS],
                }
            errors = TableWriter(
                options.errors,
                options.errors_format,
                ERROR_COLUMNS,
                encoding=options.output_encoding,
                unencodable="backslashreplace",  # an error row is always written, escapes and all
                **error_options,
            )
            writers.append(errors)
        rows: Iterable[Any] = chain([first], source_rows) if first is not None else iter(())
        pending: deque[tuple[int, tuple[Any, ...], tuple[str, ...]]] = deque()
        if side:
            rows = _split_carried(rows, group_by, pending)
        total = estimate_rows(options.input, options.input_format, options.sheet) if options.progress else None
        duplicates = DuplicateIds(total)
        if options.progress:
            from tqdm import tqdm

            bar = tqdm(total=total, unit=" rows", file=sys.stderr, dynamic_ncols=True, mininterval=0.5, smoothing=0.1)
        settings = {
            "full": jsonl,
            "what_if": what_if,
            "max_questions": options.max_questions,
            "jsonl": jsonl,
            "lang": options.lang,
        }
        if options.workers > 1:
            chunks = _in_workers(rows, options, settings)
        else:
            chunks = _scored_chunks(advisor, rows, settings)
        write = output.writer_for_rows()
        write_line = output.write_line
        see = duplicates.see
        add_scored = tally.add_scored
        formula = FORMULA_START
        carried: tuple[Any, ...] = ()
        groups: tuple[str, ...] = ()
        for chunk in chunks:
            for number, ident, title, outcome, extra in chunk:
                if side:
                    carried, groups = _next_side(pending, number)
                if outcome is None:
                    tally.add_rejected(extra)
                    if ident is not None:
                        see(ident, number)
                    _report_rejected(number, ident, extra, errors)
                    continue
                try:
                    if jsonl:
                        shown = ident if ident is not None else str(number)
                        more = f', "columns": {_carried_json(carried_names, carried)}' if carried_names else ""
                        write_line(f'{{"row": {number}, "id": {_json_text(shown)}, "advice": {extra}{more}}}')
                    else:
                        # NOTE: neutralise() inlined: this loop runs a million times for a million rows
                        if ident is None:
                            shown_id: Any = number
                        elif ident[0] in formula:
                            shown_id = "'" + ident
                        else:
                            shown_id = ident
                        if title is None:
                            shown_title = ""
                        elif title[0] in formula:
                            shown_title = "'" + title
                        else:
                            shown_title = title
                        cells = outcome.cells() if reasons is None else reasons.cells(outcome)
                        if xlsx:
                            cells = namer.cells(cells)
                        if what_if:
                            text = extra or ""
                            questions = "'" + text if text[:1] in formula and text else text
                            cells = (*cells, questions)
                        if carried_names:
                            cells = (*cells, *_carried_cells(carried))
                        write((number, shown_id, shown_title, *cells))
                except UnicodeEncodeError as error:
                    # NOTE: the CSV writer writes a whole row with one write() call, so a row that
                    # cannot be encoded leaves nothing behind; it is rejected and the run goes on.
                    advice_cells = outcome.cells() if reasons is None else reasons.cells(outcome)
                    if xlsx:
                        advice_cells = namer.cells(advice_cells)
                    row_cells = (number, ident, title, *advice_cells, *([extra] if what_if else []), *carried)
                    problem = _unwritable(header, row_cells, error, options.output_encoding)
                    tally.add_rejected([problem])
                    if ident is not None:
                        see(ident, number)
                    _report_rejected(number, ident, [problem], errors)
                    continue
                add_scored(number, ident, title, outcome, groups)
                if ident is not None:
                    see(ident, number)
            tally.read += len(chunk)
            if bar is not None:
                bar.update(len(chunk))
        tally.scored = tally.read - tally.rejected
        if bar is not None:
            bar.close()
            bar = None
        if xlsx:
            output.finish = _workbook_finisher(advisor, options, header, output, tally, duplicates)
        # NOTE: the errors file first: if renaming the output then failed, no advice would stand
        # beside an errors file from another run.
        for writer in reversed(writers):
            writer.commit()
    except BaseException:
        if bar is not None:
            bar.close()
        for writer in writers:
            writer.abort()
        raise
    tally.seconds = time.perf_counter() - started
    return BatchReport(tally, duplicates, carried_names)


def _workbook_finisher(
    advisor: Advisor, options: BatchOptions, header: list[str], output: Any, tally: Tally, duplicates: DuplicateIds
) -> Any:
    def finish(book: Any, sheet: Any) -> None:
        from .portfolio import build_figures
        from .workbook import add_summary_sheet, finish_sheet

        finish_sheet(sheet, header, output.rows)
        figures = build_figures(
            tally, advisor, duplicates, lang=options.lang, source=_source_name(options.input), output=options.output
        )
        add_summary_sheet(book, figures)

    return finish


def _source_name(path: str) -> str:
    return "<stdin>" if path == "-" else Path(path).name


#: How many carried columns the closing note names.
CARRIED_SHOWN = 10


# -- columns carried through, and --group-by -------------------------------------------------


def _carried_header(carried: list[str], header: list[str]) -> list[str]:
    """The output headers of the carried columns: as in the input, unless an advice column has
    that name (a column `decision` in the input becomes `decision (input)`)."""
    from .batch_io import neutralise

    taken = set(header)
    out = []
    for name in carried:
        shown = neutralise(name)  # a header from the user's file is shown, never run
        while shown in taken:
            shown = f"{shown} (input)"
        taken.add(shown)
        out.append(shown)
    return out


def _carried_cells(cells: tuple[Any, ...]) -> tuple[Any, ...]:
    from .batch_io import neutralise

    return tuple(neutralise(cell) if type(cell) is str else ("" if cell is None else cell) for cell in cells)


def _carried_json(names: list[str], cells: tuple[Any, ...]) -> str:
    import json

    return json.dumps(
        {name: (None if cell in (None, "") else cell) for name, cell in zip(names, cells, strict=False)},
        ensure_ascii=False,
        default=str,
    )


def _group_columns(names: tuple[str, ...], columns: Any, source: str) -> list[tuple[str, tuple[str, Any]]]:
    """Each --group-by column as (its label, where its value is: ("data", attribute) or
    ("carried", position)). Raises InputError for a column the file does not have."""
    import difflib

    from .catalogue import attribute_label, normalise_header
    from .errors import InputError

    found: list[tuple[str, tuple[str, Any]]] = []
    carried = {normalise_header(name): index for index, name in enumerate(columns.carried)}
    for name in names:
        attribute = columns._attribute(name)
        if attribute in columns._known and (columns.present is None or attribute in columns.present):
            found.append((name.strip(), ("data", attribute)))
            continue
        position = carried.get(normalise_header(name))
        if position is not None:
            found.append((columns.carried[position], ("carried", position)))
            continue
        if columns.present is None:
            raise InputError(
                f"--group-by {name!r}: a JSON input has no header; group by a profile attribute "
                f"(e.g. --group-by enterprise_size)"
            )
        available = [*columns.present, *columns.carried]
        shown = [attribute_label(c, "en") if c in columns._known else c for c in available]
        close = difflib.get_close_matches(name, [*available, *shown], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        if attribute in columns._known:
            reason = "that attribute is not a column of the file"
        elif columns.ignore_unknown:
            reason = "no such column (--ignore-unknown-columns leaves out the columns that are not attributes)"
        else:
            reason = "no such column"
        raise InputError(
            f"{source}: --group-by {name!r}: {reason}{hint}; the columns are: {', '.join(available[:40])}"
            f"{', ...' if len(available) > 40 else ''}"
        )
    return found


def _group_value(value: Any) -> str:
    """A cell as a group's name: text stripped; whole numbers without .0; dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = str(value.isoformat())
        return text[:10] if text.endswith("T00:00:00") else text
    return " ".join(str(value).split())


class _AttributeValues:
    """An attribute's cell as a group's name: its value as the advisor reads it (`Large`,
    大型企业 and `large` are one group, `large`), or the text itself when it is not valid."""

    def __init__(self, attribute: str):
        from .cells import _BLANK, _SLOW, _converter
        from .profile import ATTRIBUTES

        self._convert = _converter(ATTRIBUTES[attribute]) if attribute in ATTRIBUTES else None
        self._unknown = (_BLANK, _SLOW)
        self._memo: dict[Any, str] = {}

    def __call__(self, cell: Any) -> str:
        try:
            return self._memo[cell]
        except (KeyError, TypeError):
            pass
        value: Any = cell
        if self._convert is not None and cell is not None:
            try:
                value = self._convert(cell)
            except Exception:  # a value the rows' validation rejects: grouped as typed
                value = cell
            if any(value is marker for marker in self._unknown):
                value = "" if isinstance(cell, str) and not cell.strip() else cell
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            text = ";".join(map(str, value)) if value else "none"
        else:
            text = _group_value(value)
        if len(self._memo) < 4096:
            try:
                self._memo[cell] = text
            except TypeError:
                pass
        return text


def _split_carried(
    rows: Iterable[Any], group_by: list[tuple[str, tuple[str, Any]]], pending: deque[Any]
) -> Iterator[Any]:
    """The rows without their carried cells (which stay in this process, in `pending`, with the
    row's --group-by values, until its advice is written)."""
    from .batch_io import SourceRow

    where = [place for _, place in group_by]
    values = [_AttributeValues(key) if kind == "data" else None for kind, key in where]
    for row in rows:
        carried = row.carried if isinstance(row, SourceRow) else ()
        groups = tuple(
            read(row.data.get(key)) if read is not None else _group_value(carried[key] if key < len(carried) else None)
            for (kind, key), read in zip(where, values, strict=True)
        )
        pending.append((row.number, carried, groups))
        yield SourceRow(row.number, row.data, row.problem) if carried else row


def _next_side(pending: deque[Any], number: int) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    row, carried, groups = pending.popleft()
    if row != number:  # every row gives one item, in order; anything else is a bug
        raise RuntimeError(f"batch: carried cells of row {row} met the advice of row {number}")
    return carried, groups


def _unwritable(header: list[str], cells: tuple[Any, ...], error: UnicodeEncodeError, encoding: str) -> FieldProblem:
    """The problem of a row with a character the output `encoding` cannot write, naming the column."""
    from .errors import FieldProblem

    for column, cell in zip(["row", *header[1:]], cells, strict=False):
        if not isinstance(cell, str):
            continue
        try:
            cell.encode(encoding)
        except UnicodeEncodeError as found:
            char = cell[found.start]
            return FieldProblem(
                column,
                cell,
                f"the character {char!r} (U+{ord(char):04X}) cannot be written in {encoding}",
                "characters of the output encoding; or choose one that has it, e.g. --output-encoding utf-8-sig",
            )
    char = error.object[error.start : error.start + 1]
    return FieldProblem(ROW_FIELD, char, f"a character cannot be written in {encoding}", "--output-encoding utf-8-sig")


def _json_text(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _report_rejected(number: int, ident: str | None, problems: list[FieldProblem], errors: Any) -> None:
    from .batch_io import neutralise, printable
    from .catalogue import words
    from .options import command_lang
    from .problem_text import allowed_text, describe, translate

    # NOTE: messages in the command's language (field ids and values stay as they are).
    lang = command_lang()
    shown = ident if ident is not None else ""
    for problem in problems:
        value = _show(problem.value)
        message = translate(problem.message, lang)
        allowed = allowed_text(problem.field, problem.allowed, lang) if problem.allowed else problem.allowed
        if errors is None:
            w = words(lang, "problems")
            where = w["rejected_id"].format(number=number, id=shown) if shown else w["rejected"].format(number=number)
            click.echo(printable(f"{where}{w['colon']}{describe(problem, lang)}"), err=True)
        elif errors.fmt == "jsonl":
            import json

            record = {
                "row": number,
                "id": ident,
                "field": problem.field,
                "value": None if value == "" else problem.value if _json_safe(problem.value) else value,
                "message": message,
                "allowed": allowed,
            }
            # NOTE: a lone surrogate is written by the errors file as the JSON escape \udXXX itself.
            errors.write_line(json.dumps(record, ensure_ascii=False))
        else:
            errors.write(
                [
                    number,
                    neutralise(printable(shown)),
                    neutralise(printable(problem.field)),
                    neutralise(printable(value)),
                    neutralise(printable(message)),
                    neutralise(printable(allowed or "")),
                ]
            )


def _json_safe(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict)) and not (
        isinstance(value, float) and not math.isfinite(value)
    )


# -- the command -----------------------------------------------------------------------------


def _default_output(input_path: str, input_format: str, output_format: str | None) -> str:
    if input_path == "-":
        return "-"
    fmt = output_format or (
        "xlsx" if input_format == "xlsx" else "jsonl" if input_format in ("json", "jsonl") else "csv"
    )
    source = Path(input_path)
    return str(source.with_name(f"{source.stem}.advice.{fmt}"))


def _default_errors(output: str, output_format: str) -> str | None:
    if output == "-" or _is_special(output):
        return None  # beside stdout, a pipe or a device (/dev/null) there is no folder to write in
    target = Path(output)
    stem = target.stem if target.suffix else target.name
    return str(target.with_name(f"{stem}.errors.{output_format}"))


def _check_encoding(ctx: click.Context, param: click.Parameter, value: str) -> str:
    import codecs

    try:
        codec = codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(f"{value!r} is not an encoding Python knows; e.g. utf-8, utf-8-sig, gb18030") from None
    # NOTE: rot13, base64, zlib... are codecs too, but not text encodings a file can be read with.
    if not getattr(codec, "_is_text_encoding", True):
        raise click.BadParameter(f"{value!r} is a transform, not a text encoding; e.g. utf-8, utf-8-sig, gb18030")
    # NOTE: text encodings in name only: undefined fails on every text, idna and punycode encode
    # domain names (exit 70 before: a UnicodeError that is not a decoding or encoding error).
    if codec.name in _NOT_FILE_ENCODINGS:
        raise click.BadParameter(f"{value!r} is not an encoding of text files; e.g. utf-8, utf-8-sig, gb18030")
    return value


_NOT_FILE_ENCODINGS = frozenset({"undefined", "idna", "punycode"})


def _advisor(rules_dir: str | None, knowledge_dir: str | None) -> Advisor:
    from .core import Advisor, default_advisor

    if rules_dir is None and knowledge_dir is None:
        return default_advisor()
    return Advisor(rules_dir=rules_dir, knowledge_dir=knowledge_dir)


def _write_error(error: OSError, output: str) -> Exception:
    """A failed read or write as a message naming the file and the cause (ENOSPC as such)."""
    import errno

    from .errors import InputError

    where = error.filename or output
    code = errno.errorcode.get(error.errno or 0, "")
    cause = "no space left on device" if error.errno == errno.ENOSPC else (error.strerror or str(error))
    return InputError(f"{where}: cannot finish: {cause}{f' ({code})' if code else ''}; no output file was written")


def _on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM, or SIGHUP (the terminal closed, a dropped ssh session): the run ends as it would on
    an error, with the shell's exit code for the signal."""
    raise SystemExit(128 + signum)  # unwinds through the writers' abort(): no half-written file stays


def _stop_on_signals() -> dict[int, Any]:
    """_on_sigterm for SIGTERM and SIGHUP (unless ignored, as `nohup` asks); the handlers it replaced."""
    replaced: dict[int, Any] = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signum == signal.SIGHUP and signal.getsignal(signum) == signal.SIG_IGN:
                continue
            replaced[signum] = signal.signal(signum, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a test runner's worker)
        pass
    return replaced


@click.command("batch")
@click.argument("input_path", metavar="INPUT|-")
@click.option(
    "-o",
    "--output",
    "output_path",
    metavar="FILE|-",
    help="Where to write the advice (default: INPUT.advice.<format> beside the input; - for stdout).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "jsonl", "xlsx"]),
    help="Output format (default: from the output's extension).",
)
@click.option(
    "--input-format",
    type=click.Choice(["csv", "jsonl", "json", "xlsx"]),
    help="Input format (default: from the input's extension; CSV for stdin).",
)
@click.option("--sheet", help="The sheet of an .xlsx input to read (default: the first).")
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    callback=_check_encoding,
    help="Encoding of a CSV/JSON input: utf-8 (with or without BOM) or gb18030/gbk for files saved by Chinese Excel.",
)
@click.option(
    "--output-encoding",
    default="utf-8-sig",
    show_default=True,
    callback=_check_encoding,
    help="Encoding of CSV outputs; the default UTF-8 with a BOM opens correctly in Excel.",
)
@click.option(
    "--errors",
    "errors_path",
    metavar="FILE",
    help="Where to write the rejected rows (default: OUTPUT.errors.<format> beside the output; "
    "stderr when the output is stdout).",
)
@click.option(
    "--ignore-unknown-columns",
    is_flag=True,
    help="Leave out columns that are not profile attributes instead of stopping.",
)
@click.option("--what-if", is_flag=True, help="Add the next questions worth asking for each proposal (slower).")
@click.option(
    "--questions",
    "max_questions",
    type=click.IntRange(1, 50),
    default=5,
    show_default=True,
    help="With --what-if: how many next questions per proposal.",
)
@click.option("--allow-rejects", is_flag=True, help="Exit 0 even when some rows were rejected.")
@click.option(
    "--summary",
    "show_summary",
    is_flag=True,
    help="Print a summary table (modes, difficulties, close calls) after the run.",
)
@click.option("--summary-file", metavar="FILE.md", help="Write the summary table to a Markdown file.")
@click.option(
    "--report",
    "report_file",
    metavar="FILE.html",
    help="Write the portfolio report (charts, the proposals to review, rule frequencies) as one HTML file.",
)
@click.option(
    "--group-by",
    "group_by",
    metavar="COLUMN",
    multiple=True,
    help="With --report: break the leading modes down by this column (repeatable), e.g. --group-by region.",
)
@lang_option("Language of the summary, the report and the workbook's names.")
@click.option(
    "--progress/--no-progress", default=None, help="A progress bar on stderr (default: when stderr is a terminal)."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes that score rows in parallel (see docs/batch.md for when it helps).",
)
@with_pack
def command(
    input_path: str,
    output_path: str | None,
    output_format: str | None,
    input_format: str | None,
    sheet: str | None,
    encoding: str,
    output_encoding: str,
    errors_path: str | None,
    ignore_unknown_columns: bool,
    what_if: bool,
    max_questions: int,
    allow_rejects: bool,
    show_summary: bool,
    summary_file: str | None,
    report_file: str | None,
    group_by: tuple[str, ...],
    lang: str,
    progress: bool | None,
    workers: int,
    rules_dir: str | None,
    knowledge_dir: str | None,
) -> None:
    """Score every proposal in a CSV, JSON Lines, JSON or Excel file (- reads stdin).

    Writes one row of advice per proposal (leading mode and score, decision, the next two modes,
    the difficulties raised) and puts every row it cannot score, with the reason, in an errors
    file. Exit codes: 0 every row scored; 4 some rows rejected (0 with --allow-rejects); 3 the
    file cannot be read (encoding, columns, format); 2 bad options.

    \b
    Example:
      advisor batch proposals.xlsx                  # writes proposals.advice.xlsx
      advisor batch proposals.csv -o advice.csv --summary
      advisor batch gbk.csv --encoding gb18030 -o advice.csv
    """
    from .batch_io import INPUT_FORMATS, OUTPUT_FORMATS, AtomicFile, detect_format

    if group_by and not report_file:
        raise click.UsageError("--group-by breaks down the portfolio report: give --report FILE.html too")
    in_format = detect_format(input_path, input_format, INPUT_FORMATS, "--input-format")
    output = output_path or _default_output(input_path, in_format, output_format)
    # NOTE: stdout, a pipe or a device (/dev/null) without an extension gets CSV, as stdout does.
    plain = output == "-" or (_is_special(output) and not Path(output).suffix)
    out_format = output_format or ("csv" if plain else detect_format(output, None, OUTPUT_FORMATS, "--format"))
    if errors_path is not None:
        errors: str | None = errors_path
        errors_format = (
            "csv"
            if errors_path == "-"
            else detect_format(errors_path, None, OUTPUT_FORMATS, "--errors (its extension)")
        )
    else:
        errors = _default_errors(output, out_format)
        errors_format = out_format
    if errors == "-":
        errors = None
    from .batch_io import check_distinct

    check_distinct(input_path, output, errors, summary_file, report_file)
    _check_outputs(output, errors)
    if output == "-":
        stdout_open("give -o FILE, or ")
    options = BatchOptions(
        input=input_path,
        input_format=in_format,
        output=output,
        output_format=out_format,
        errors=errors,
        errors_format=errors_format,
        encoding=encoding,
        output_encoding=output_encoding,
        sheet=sheet,
        ignore_unknown_columns=ignore_unknown_columns,
        what_if=what_if,
        max_questions=max_questions,
        progress=sys.stderr.isatty() if progress is None else progress,
        workers=workers,
        rules_dir=rules_dir,
        knowledge_dir=knowledge_dir,
        lang=lang,
        group_by=group_by,
        detailed=report_file is not None,
    )
    # NOTE: the summary file is opened before any work, so a summary that cannot be written stops
    # the run before the advice and errors files are written.
    summary_target = AtomicFile(summary_file) if summary_file else None
    try:
        report_target = AtomicFile(report_file) if report_file else None
    except BaseException:
        if summary_target is not None:
            summary_target.abort()
        raise
    previous = _stop_on_signals()
    try:
        advisor = _advisor(rules_dir, knowledge_dir)
        report = run_batch(advisor, options)
        tally, duplicates = report.tally, report.duplicates
        summary = None
        if show_summary or summary_target or report_target:
            from .portfolio import build_figures, render_portfolio_html, summary_markdown
            from .problem_text import stream_name

            figures = build_figures(
                tally,
                advisor,
                duplicates,
                lang=lang,
                source="<stdin>" if input_path == "-" else input_path,
                output="<stdout>" if output == "-" else output,
            )
            summary = summary_markdown(figures, PAIRS_SHOWN)
            if report_target is not None:
                figures.source = stream_name(_source_name(input_path), lang)
                figures.output = stream_name("<stdout>" if output == "-" else Path(output).name, lang)
                report_target.temp.write_text(render_portfolio_html(figures, advisor), encoding="utf-8")
        if summary_target is not None:
            summary_target.temp.write_text(summary or "", encoding="utf-8")
            summary_target.commit()
            summary_target = None
        if report_target is not None:
            report_target.commit()
            report_target = None
    except KeyboardInterrupt:
        from .catalogue import words

        click.echo(str(words(lang, "batch")["interrupted"]), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        raise
    except OSError as error:
        raise _write_error(error, output) from None
    finally:
        if summary_target is not None:
            summary_target.abort()
        if report_target is not None:
            report_target.abort()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if show_summary and summary:
        click.echo(summary, nl=False, err=output == "-")
    from .catalogue import words
    from .portfolio import counted

    rate = tally.read / tally.seconds if tally.seconds else 0.0
    w = words(lang, "batch")
    line = str(w["run_line"]).format(
        rows=counted(w["run_rows"], tally.read),
        scored=f"{tally.scored:,}",
        rejected=f"{tally.rejected:,}",
        see=str(w["run_see"]).format(errors=errors) if tally.rejected and errors is not None else "",
        where=str(w["run_where"]).format(output=output) if output != "-" else "",
        seconds=f"{tally.seconds:.1f}",
        rate=f"{rate:,.0f}",
        duplicates=str(w["run_duplicates"]).format(ids=duplicates.describe(3, lang))
        if duplicates is not None and duplicates.duplicate_ids
        else "",
    )
    # NOTE: the carried columns are named once (a header meant as an attribute is then noticed),
    # before the run line, which stays the last line for scripts that read it.
    if report.carried:
        shown = str(w["carried_sep"]).join(report.carried[:CARRIED_SHOWN])
        if len(report.carried) > CARRIED_SHOWN:
            shown += str(w["carried_more"]).format(count=len(report.carried) - CARRIED_SHOWN)
        click.echo(str(w["carried"]).format(columns=shown), err=True)
    click.echo(line, err=True)
    if tally.rejected and not allow_rejects:
        sys.exit(EXIT_REJECTS)


def _is_special(path: str) -> bool:
    """Whether `path` is an existing pipe or character device (written through, never replaced)."""
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _check_outputs(*paths: str | None) -> None:
    """Every output can be written: checked (and refused with a message) before any work."""
    from .batch_io import AtomicFile

    for path in paths:
        if path is not None and path != "-":
            AtomicFile(path).abort()
