"""Batch scoring: `advisor batch proposals.csv -o advice.csv`, and `score_rows`, the row scorer behind it.

`score_rows(advisor, rows)` turns proposal rows into `Scored` or `Rejected` results, in order, as a
stream; the HTTP service's batch endpoint can reuse it. The command reads a file with
`advisor.batch_io`, scores it, writes the advice and the rejected rows, and tallies a summary.

NOTE: the fast path (what a CSV or Excel row needs) converts cells itself, asks durable-rules
which rules fire for a chunk of rows at a time (`RuleEngine.fired_many`) and ranks the modes with
`Scorer.standing`, without building full `Advice` objects (about ten times the cost); JSON
Lines output and --what-if build them with `Advisor.advise`. tests/test_batch_validation.py
holds the fast path to pydantic and to `advise()`. Module level imports only click and the
standard library, so `advisor --help` stays fast.
"""

from __future__ import annotations

import math
import signal
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .cli import with_pack

if TYPE_CHECKING:
    from .advice import Advice
    from .core import Advisor
    from .errors import FieldProblem
    from .profile import AttributeSpec

#: Exit code when some rows were rejected (and --allow-rejects was not given).
EXIT_REJECTS = 4
#: The field a problem with a row as a whole (empty, cut short, not an object) is filed under.
ROW_FIELD = "(row)"
#: Rows validated and then evaluated together, with one `RuleEngine.fired_many` call.
CHUNK = 256
TOP_MODES = 3
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


# -- validating a row ------------------------------------------------------------------------

_SLOW: Any = object()  # "the fast path cannot vouch for this value: ask pydantic"
_BLANK: Any = object()  # an empty cell, or a word meaning unknown: unknown
_MISS: Any = object()
# NOTE: the fast path converts cells with the one vocabulary (advisor/values.py) and checks the
# ranges itself (about 5x cheaper than a pydantic model plus model_dump per row); it may accept a
# value only where every validator of Profile would give the same. These are the validators it
# has been checked against; any other (a new field or model validator) turns the fast path off,
# and tests/test_batch_validation.py fails until this list and the converters are reviewed.
_REVIEWED_VALIDATORS = frozenset({"_read_value"})


def _converter(spec: AttributeSpec) -> Callable[[Any], Any]:
    """A function from a cell to the validated value, _BLANK for unknown, or _SLOW when pydantic
    must decide (and word the error)."""
    from .values import read_value

    name, kind = spec.name, spec.kind
    lo = -math.inf if spec.minimum is None else spec.minimum
    hi = math.inf if spec.maximum is None else spec.maximum

    def convert(value: Any) -> Any:
        try:
            result = read_value(name, value)
        except ValueError:
            return _SLOW
        if result is None:
            return _BLANK
        if kind == "number":
            if type(result) is int and abs(result) > 2**53:
                return _SLOW
            result = float(result)
            if not (math.isfinite(result) and lo <= result <= hi):
                return _SLOW
            return round(result, 2)  # as Profile keeps amounts (to the cent)
        if kind == "integer" and not lo <= result <= hi:
            return _SLOW
        return result

    return convert


def _prepared(spec: AttributeSpec, value: Any) -> Any:
    """A cell as pydantic should see it: Profile reads text itself now (advisor/values.py)."""
    return value


def _text_problem(text: str) -> str | None:
    """Why free text cannot be kept (a control character), by advisor.values, imported once."""
    global _text_problem
    from .values import text_problem

    _text_problem = text_problem  # NOTE: the import once, not per cell
    return text_problem(text)


def _text(value: Any) -> Any:
    """An id or title cell as text: numbers (Excel's ids) become their digits; blanks are unknown."""
    kind_of = type(value)
    if kind_of is str:
        return _SLOW if _text_problem(value) else value.strip() or None
    if kind_of is int:
        return str(value)
    if kind_of is float and value.is_integer():
        return str(int(value))
    if kind_of is float:
        return repr(value)
    return _SLOW


def fast_path_reviewed() -> bool:
    """Whether Profile's validators are the ones the fast converters were checked against."""
    from .profile import Profile

    decorators = Profile.__pydantic_decorators__
    others = (decorators.validators, decorators.root_validators, decorators.model_validators)
    strict = bool(Profile.model_config.get("strict"))
    plain_text = all(not Profile.model_fields[name].metadata for name in ("id", "title"))  # no length limits
    return not strict and not any(others) and plain_text and set(decorators.field_validators) <= _REVIEWED_VALIDATORS


class RowValidator:
    """Validates one row's cells into (id, title, known attribute values), as Profile would.

    Values the fast converters recognise skip pydantic; any other value (and so every error)
    goes through `validate_profile`, whose messages name the field, the value and what is allowed.
    """

    MEMO = 4096  # distinct cell texts remembered per column

    def __init__(self, fast: bool | None = None):
        from .profile import ATTRIBUTES

        self.specs = ATTRIBUTES
        self.fast = fast_path_reviewed() if fast is None else fast
        # NOTE: a column's cells repeat ("large", "enterprise;government"), so each column
        # remembers what its texts convert to; lists are shared between rows and only read.
        self._columns = {name: ({}, _converter(spec)) for name, spec in ATTRIBUTES.items()}

    def __call__(self, data: Mapping[str, Any]) -> tuple[str | None, str | None, dict[str, Any]]:
        """Raises ProfileError naming every field at fault."""
        known: dict[str, Any] = {}
        ident = title = None
        doubtful: dict[str, Any] | None = None
        columns = self._columns
        for key, value in data.items():
            column = columns.get(key)
            if column is not None:
                if type(value) is str:
                    memo, to_value = column
                    result = memo.get(value, _MISS)
                    if result is _MISS:
                        result = _BLANK if not value.strip() else to_value(value)
                        if len(memo) < self.MEMO:
                            memo[value] = result
                    if result is _BLANK:
                        continue
                elif value is None:
                    continue
                else:
                    result = column[1](value)
                if result is _SLOW:
                    if doubtful is None:
                        doubtful = {}
                    doubtful[key] = _prepared(self.specs[key], value)
                else:
                    known[key] = result
            elif key == "id" or key == "title":
                text = _text(value)
                if text is _SLOW:
                    if doubtful is None:
                        doubtful = {}
                    doubtful[key] = value
                elif key == "id":
                    ident = text
                else:
                    title = text
            elif value is not None and not (type(value) is str and not value.strip()):
                if doubtful is None:
                    doubtful = {}
                doubtful[key] = value
        if doubtful is None and self.fast:
            if not known and ident is None and title is None:
                raise _empty_row()
            return ident, title, known
        return self._slow(known, ident, title, doubtful or {})

    def _slow(
        self, known: dict[str, Any], ident: Any, title: Any, doubtful: dict[str, Any]
    ) -> tuple[str | None, str | None, dict[str, Any]]:
        from .core import validate_profile

        data = dict(known)
        if ident is not None:
            data["id"] = ident
        if title is not None:
            data["title"] = title
        data.update(doubtful)
        if not data:
            raise _empty_row()
        profile = validate_profile(data)
        return profile.id, profile.title, profile.known()


def _empty_row() -> Exception:
    from .errors import _MISSING, FieldProblem, ProfileError

    return ProfileError([FieldProblem(ROW_FIELD, _MISSING, "the row is empty: no id, title or attribute is given")])


# -- scoring ---------------------------------------------------------------------------------


class Outcome:
    """What a row of advice says: the same for every proposal with the same fired rules and answer count."""

    __slots__ = (
        "leading_mode",
        "leading_score",
        "decision",
        "decision_reason",
        "top",
        "difficulties",
        "_cells",
        "tally_key",
    )

    def __init__(
        self,
        leading_mode: str | None,
        leading_score: int,
        decision: str,
        decision_reason: str,
        top: tuple[tuple[str, int], ...],
        difficulties: tuple[str, ...],
    ):
        self.leading_mode = leading_mode
        self.leading_score = leading_score
        self.decision = decision
        self.decision_reason = decision_reason
        self.top = top  # up to three (mode, score), best first; excluded modes left out
        self.difficulties = difficulties  # ids, in the order the advice lists them
        self._cells: tuple[Any, ...] | None = None
        self.tally_key = (leading_mode, decision, difficulties)  # what the summary counts

    def _key(self) -> tuple[Any, ...]:
        return (self.leading_mode, self.leading_score, self.decision, self.decision_reason, self.top, self.difficulties)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Outcome) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "Outcome" + repr(self._key())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Outcome, self._key())

    @property
    def runner_up(self) -> tuple[str, int] | None:
        return self.top[1] if len(self.top) > 1 else None

    def cells(self) -> tuple[Any, ...]:
        """The cells after row, id and title (see SCORED_COLUMNS), neutralised."""
        if self._cells is None:
            top = self.top
            second = top[1] if len(top) > 1 else ("", "")
            third = top[2] if len(top) > 2 else ("", "")
            self._cells = (
                self.leading_mode or "",
                self.leading_score,
                self.decision,
                second[0],
                second[1],
                third[0],
                third[1],
                ";".join(self.difficulties),
                _neutral(self.decision_reason),
            )
        return self._cells

    @classmethod
    def from_advice(cls, advice: Advice) -> Outcome:
        """The outcome an Advice states (the reference the fast path is tested against)."""
        top = tuple((m.id, m.score) for m in advice.modes if m.verdict != "excluded")[:TOP_MODES]
        return cls(
            advice.leading_mode,
            advice.modes[0].score,
            advice.decision,
            advice.decision_reason,
            top,
            tuple(d.id for d in advice.difficulties),
        )


@dataclass(slots=True)
class Scored:
    """A proposal the advisor scored."""

    number: int
    id: str | None
    title: str | None
    outcome: Outcome
    advice: Advice | None = None  # only when asked for (full advice, or --what-if)


@dataclass(slots=True)
class Rejected:
    """A proposal that could not be scored, and every reason why."""

    number: int
    id: str | None
    problems: list[FieldProblem]


_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


class Outcomes:
    """The Outcome for a set of fired rules and a count of answered attributes, from the advisor's scorer.

    NOTE: remembering outcomes by fired rules was measured and dropped: on realistic proposals
    under 5% of rows repeat one within 8,000 rows, and the bookkeeping cost more than it saved.
    """

    def __init__(self, advisor: Advisor):
        self.scorer = advisor.scorer
        rules = advisor.rulebook.rules
        order = {difficulty: index for index, difficulty in enumerate(advisor.knowledge.difficulties)}
        # rule id -> (difficulty it raises, its sort key: severity rank, then knowledge order)
        self._raises = {
            rule_id: (rule.effect.raises, (_SEVERITY_RANK[rule.effect.severity or "low"], order[rule.effect.raises]))
            for rule_id, rule in rules.items()
            if rule.effect.raises
        }

    def __call__(self, fired: frozenset[str], answered: int) -> Outcome:
        return self._compute(fired, answered)

    def _compute(self, fired: frozenset[str], answered: int) -> Outcome:
        standing = self.scorer.standing(fired, answered)
        excluded, ranking = standing.excluded, standing.ranking
        top = (
            tuple([item for item in ranking if item[0] not in excluded][:TOP_MODES])
            if excluded
            else ranking[:TOP_MODES]
        )
        # Difficulties in the advice's order: most severe triggering rule first, then knowledge order.
        raises = self._raises
        found = [raises[rule_id] for rule_id in fired if rule_id in raises]
        if len(found) > 1:
            severity: dict[str, tuple[int, int]] = {}
            for difficulty, rank in found:
                if difficulty not in severity or rank < severity[difficulty]:
                    severity[difficulty] = rank
            difficulties = tuple(sorted(severity, key=severity.__getitem__))
        else:
            difficulties = (found[0][0],) if found else ()
        return Outcome(
            standing.leader, standing.leader_score, standing.decision, standing.decision_reason, top, difficulties
        )


#: One row between validation and output: (number, id, title, outcome or known values, problems).
#: Before evaluation the fourth item is the known values; after, the Outcome. Problems is None
#: for a row that validated, else the list of FieldProblems that reject it.
_Item = tuple[int, Any, Any, Any, Any]


def _validated_chunks(rows: Iterable[Any], validate: RowValidator) -> Iterator[list[_Item]]:
    """Rows validated, CHUNK at a time."""
    from .errors import _MISSING, FieldProblem, ProfileError

    chunk: list[_Item] = []
    number = 0
    for row in rows:
        number += 1
        problem = None
        if isinstance(row, tuple):  # a SourceRow
            number, data, problem = row
        else:
            data = row
        if problem is not None or not isinstance(data, Mapping):
            ident = _text(data.get("id")) if isinstance(data, Mapping) else None
            reason = problem or FieldProblem(ROW_FIELD, data, "a proposal is a mapping of attribute names to values")
            if isinstance(reason, str):
                reason = FieldProblem(ROW_FIELD, _MISSING, reason)
            chunk.append((number, None if ident is _SLOW else ident, None, None, [reason]))
        else:
            try:
                ident, title, known = validate(data)
            except ProfileError as error:
                ident = _text(data.get("id"))
                chunk.append((number, None if ident is _SLOW else ident, None, None, list(error.problems)))
            else:
                chunk.append((number, ident, title, known, None))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _evaluate(advisor: Advisor, chunk: list[_Item], outcome_of: Outcomes) -> list[_Item]:
    """The fast path: each valid row's Outcome, from one fired_many call for the chunk."""
    knowns = [item[3] for item in chunk if item[4] is None]
    if not knowns:
        return chunk
    fired = iter(advisor.engine.fired_many(knowns))
    return [
        item if item[4] is not None else (item[0], item[1], item[2], outcome_of(next(fired), len(item[3])), None)
        for item in chunk
    ]


def _advise(advisor: Advisor, item: _Item, what_if: bool, max_questions: int) -> Advice:
    number, ident, title, known, _ = item
    profile = dict(known)
    if ident is not None:
        profile["id"] = ident
    if title is not None:
        profile["title"] = title
    return advisor.advise(profile, what_if=what_if, max_questions=max_questions)


def score_rows(
    advisor: Advisor,
    rows: Iterable[Any],
    *,
    full: bool = False,
    what_if: bool = False,
    max_questions: int = 5,
    validator: RowValidator | None = None,
    outcomes: Outcomes | None = None,
) -> Iterator[Scored | Rejected]:
    """Score proposal rows, in order, as a stream: a `Scored` or a `Rejected` per row.

    `rows` holds `batch_io.SourceRow`s or plain mappings (numbered from 1). With `full` or
    `what_if`, each Scored carries the full `Advice` (as `Advisor.advise` gives it); otherwise
    only its outcome, which is much cheaper. A bad row never stops the stream.
    """
    validate = validator or RowValidator()
    outcome_of = outcomes or Outcomes(advisor)
    for chunk in _validated_chunks(rows, validate):
        if full or what_if:
            for item in chunk:
                if item[4] is not None:
                    yield Rejected(item[0], item[1], item[4])
                else:
                    advice = _advise(advisor, item, what_if, max_questions)
                    yield Scored(item[0], item[1], item[2], Outcome.from_advice(advice), advice)
            continue
        for number, ident, title, outcome, problems in _evaluate(advisor, chunk, outcome_of):
            if problems is not None:
                yield Rejected(number, ident, problems)
            else:
                yield Scored(number, ident, title, outcome)


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

    def describe(self, limit: int = 5) -> str:
        shown = []
        for ident, rows in list(self.repeats.items())[:limit]:
            shown.append(
                f"{ident!r} (rows {', '.join(map(str, rows))}{', ...' if len(rows) >= self.ROWS_PER_ID else ''})"
            )
        more = self.duplicate_ids - len(shown)
        return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


# -- the tally and summary -------------------------------------------------------------------


class Tally:
    """Counts for the summary line and the summary table.

    NOTE: scored rows are counted by (leading mode, decision, difficulties), a few hundred
    distinct keys, with one dict update per row; the per-mode and per-difficulty counts are
    summed from those at the end.
    """

    EXAMPLES = 20

    def __init__(self) -> None:
        self.read = self.scored = self.rejected = 0
        self.by_outcome: dict[tuple[Any, ...], int] = {}
        self.close_pairs: Counter[tuple[str, str]] = Counter()
        self.close_examples: list[tuple[int, str, str, tuple[str, int], tuple[str, int]]] = []
        self.rejected_fields: Counter[str] = Counter()
        self.seconds = 0.0

    def add_scored(self, number: int, ident: str | None, title: str | None, outcome: Outcome) -> None:
        key = outcome.tally_key
        self.by_outcome[key] = self.by_outcome.get(key, 0) + 1
        if outcome.decision == "close_call":
            runner = outcome.runner_up
            if runner is not None and outcome.leading_mode is not None:
                self.close_pairs[(outcome.leading_mode, runner[0])] += 1
                if len(self.close_examples) < self.EXAMPLES:
                    shown = ident if ident is not None else str(number)
                    self.close_examples.append(
                        (number, shown, title or "", (outcome.leading_mode, outcome.leading_score), runner)
                    )

    def add_rejected(self, problems: Iterable[FieldProblem]) -> None:
        self.rejected += 1
        for problem in problems:
            self.rejected_fields[problem.field.split("[")[0]] += 1

    @property
    def modes(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for (leader, _, _), count in self.by_outcome.items():
            counts[leader or "(none: every mode excluded)"] += count
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


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_summary(tally: Tally, advisor: Advisor, duplicates: DuplicateIds | None, source: str) -> str:
    """The summary as Markdown: leading modes, difficulties, close calls, rejects, duplicates."""
    knowledge = advisor.knowledge
    lines = [f"# Batch summary: {source}", ""]
    decisions, modes, difficulties = tally.decisions, tally.modes, tally.difficulties
    lines.append(
        f"{tally.read:,} proposals read, {tally.scored:,} scored, {tally.rejected:,} rejected. "
        f"Decisions: {decisions['clear']:,} clear, {decisions['close_call']:,} close calls, "
        f"{decisions['insufficient_information']:,} with too little information to advise."
    )
    lines += ["", "## Leading mode", "", "| mode | 模式 | proposals | share |", "|---|---|---:|---:|"]
    for mode_id, record in knowledge.modes.items():
        count = modes.get(mode_id, 0)
        lines.append(f"| {record.name} | {record.name_zh} | {count:,} | {_share(count, tally.scored)} |")
    for other, count in modes.items():
        if other not in knowledge.modes:
            lines.append(f"| {other} | | {count:,} | {_share(count, tally.scored)} |")
    lines += ["", "## Difficulties raised", ""]
    if difficulties:
        lines += ["| difficulty | 困难 | proposals | share |", "|---|---|---:|---:|"]
        for difficulty_id, count in difficulties.most_common():
            record = knowledge.difficulties.get(difficulty_id)
            name, name_zh = (record.name, record.name_zh) if record else (difficulty_id, "")
            lines.append(f"| {_cell(name)} | {name_zh} | {count:,} | {_share(count, tally.scored)} |")
    else:
        lines.append("No proposal raised a documented difficulty.")
    lines += ["", "## Close calls", ""]
    if tally.close_pairs:
        lines.append(
            f"{decisions['close_call']:,} proposals have two modes within the close-call margin; "
            "a person should choose between them."
        )
        lines += ["", "| leading mode | runner-up | proposals |", "|---|---|---:|"]
        pairs = tally.close_pairs.most_common()
        for (leader, runner), count in pairs[:PAIRS_SHOWN]:
            lines.append(f"| {knowledge.modes[leader].name} | {knowledge.modes[runner].name} | {count:,} |")
        if len(pairs) > PAIRS_SHOWN:
            rest = sum(count for _, count in pairs[PAIRS_SHOWN:])
            lines.append(f"| {len(pairs) - PAIRS_SHOWN} other pairs | | {rest:,} |")
        lines += [
            "",
            f"The first {len(tally.close_examples)}:",
            "",
            "| row | id | title | leading (score) | runner-up (score) |",
            "|---:|---|---|---|---|",
        ]
        for number, ident, title, (leader, score), (runner, runner_score) in tally.close_examples:
            lines.append(
                f"| {number} | {_cell(ident)} | {_cell(title)} | {knowledge.modes[leader].name} ({score}) "
                f"| {knowledge.modes[runner].name} ({runner_score}) |"
            )
    else:
        lines.append("None.")
    if tally.rejected:
        lines += ["", "## Rejected rows", "", "| field | problems |", "|---|---:|"]
        for name, count in tally.rejected_fields.most_common():
            lines.append(f"| {_cell(name)} | {count:,} |")
    if duplicates is not None and duplicates.duplicate_ids:
        lines += [
            "",
            "## Duplicate ids",
            "",
            f"{duplicates.duplicate_ids:,} ids appear on more than one row ({duplicates.duplicate_rows:,} repeats); "
            f"all were scored. {duplicates.describe(20)}.",
        ]
    return "\n".join(lines) + "\n"


# -- the run ---------------------------------------------------------------------------------


def _neutral(text: str) -> str:
    from .batch_io import neutralise

    return neutralise(text)


def _show(value: Any) -> str:
    import json

    from .errors import _MISSING

    if value is _MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _questions_cell(advice: Advice) -> str:
    parts = []
    for question in advice.next_questions:
        answers = ", ".join(f"{_show(a.value)}: {a.leading_mode or 'none'} {a.leading_score}" for a in question.answers)
        parts.append(f"{question.attribute} ({answers})" if answers else question.attribute)
    return "; ".join(parts)


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


@dataclass
class BatchReport:
    tally: Tally
    duplicates: DuplicateIds | None


def _scored_chunks(
    advisor: Advisor,
    rows: Iterable[Any],
    settings: dict[str, Any],
    validator: RowValidator | None = None,
    outcomes: Outcomes | None = None,
) -> Iterator[list[_Item]]:
    """Chunks of rows, each (number, id, title, Outcome, None) or (number, id, None, None, problems);
    with full advice (JSON Lines) or --what-if, the item's last place holds its rendered text instead."""
    validate = validator or RowValidator()
    outcome_of = outcomes or Outcomes(advisor)
    full, what_if, jsonl = settings["full"], settings["what_if"], settings["jsonl"]
    for chunk in _validated_chunks(rows, validate):
        if not (full or what_if):
            yield _evaluate(advisor, chunk, outcome_of)
            continue
        done: list[_Item] = []
        for item in chunk:
            if item[4] is not None:
                done.append(item)
                continue
            advice = _advise(advisor, item, what_if, settings["max_questions"])
            text = advice.model_dump_json() if jsonl else _questions_cell(advice)
            done.append((item[0], item[1], item[2], Outcome.from_advice(advice), text))
        yield done


# Workers (--workers N): each process builds its own Advisor and scores chunks of rows; the main
# process reads, writes and tallies, in input order.
_WORKER: dict[str, Any] = {}
WORKER_CHUNK = 4 * CHUNK


def _worker_start(rules_dir: str | None, knowledge_dir: str | None, settings: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C and stops the pool
    advisor = _advisor(rules_dir, knowledge_dir)
    _WORKER.update(advisor=advisor, validator=RowValidator(), outcomes=Outcomes(advisor), settings=settings)


def _worker_score(rows: list[Any]) -> list[list[_Item]]:
    work = _WORKER
    return list(_scored_chunks(work["advisor"], rows, work["settings"], work["validator"], work["outcomes"]))


def _in_workers(rows: Iterable[Any], options: BatchOptions, settings: dict[str, Any]) -> Iterator[list[_Item]]:
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
        initargs=(options.rules_dir, options.knowledge_dir, settings),
    )
    window: deque[Future[list[list[_Item]]]] = deque()
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


def run_batch(advisor: Advisor, options: BatchOptions) -> BatchReport:
    """Read, score and write a whole file; the outputs appear under their names only if it all succeeds."""
    from .batch_io import FORMULA_START, Columns, TableWriter, estimate_rows, read_rows
    from .profile import ATTRIBUTES

    started = time.perf_counter()
    columns = Columns(["id", "title", *ATTRIBUTES], options.ignore_unknown_columns)
    rows = read_rows(options.input, options.input_format, columns, encoding=options.encoding, sheet=options.sheet)
    jsonl = options.output_format == "jsonl"
    what_if = options.what_if
    header = [*SCORED_COLUMNS, WHAT_IF_COLUMN] if what_if else list(SCORED_COLUMNS)
    total = estimate_rows(options.input, options.input_format, options.sheet) if options.progress else None
    tally = Tally()
    duplicates = DuplicateIds(total)
    writers: list[TableWriter] = []
    bar = None
    try:
        output = TableWriter(options.output, options.output_format, header, encoding=options.output_encoding)
        writers.append(output)
        errors = None
        if options.errors is not None:
            errors = TableWriter(
                options.errors, options.errors_format, ERROR_COLUMNS, encoding=options.output_encoding, sheet="rejected"
            )
            writers.append(errors)
        if options.progress:
            from tqdm import tqdm

            bar = tqdm(total=total, unit=" rows", file=sys.stderr, dynamic_ncols=True, mininterval=0.5, smoothing=0.1)
        settings = {"full": jsonl, "what_if": what_if, "max_questions": options.max_questions, "jsonl": jsonl}
        if options.workers > 1:
            chunks = _in_workers(rows, options, settings)
        else:
            chunks = _scored_chunks(advisor, rows, settings)
        write = output.writer_for_rows()
        write_line = output.write_line
        see = duplicates.see
        add_scored = tally.add_scored
        formula = FORMULA_START
        for chunk in chunks:
            for number, ident, title, outcome, extra in chunk:
                if outcome is None:
                    tally.add_rejected(extra)
                    if ident is not None:
                        see(ident, number)
                    _report_rejected(number, ident, extra, errors)
                    continue
                add_scored(number, ident, title, outcome)
                if ident is not None:
                    see(ident, number)
                if jsonl:
                    shown = ident if ident is not None else str(number)
                    write_line(f'{{"row": {number}, "id": {_json_text(shown)}, "advice": {extra}}}')
                    continue
                # NOTE: neutralise() inlined: this loop runs a million times for a million rows
                if ident is None:
                    ident = number
                elif ident[0] in formula:
                    ident = "'" + ident
                if title is None:
                    title = ""
                elif title[0] in formula:
                    title = "'" + title
                if what_if:
                    text = extra or ""
                    write(
                        (number, ident, title, *outcome.cells(), "'" + text if text[:1] in formula and text else text)
                    )
                else:
                    write((number, ident, title, *outcome.cells()))
            tally.read += len(chunk)
            if bar is not None:
                bar.update(len(chunk))
        tally.scored = tally.read - tally.rejected
        if bar is not None:
            bar.close()
            bar = None
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
    return BatchReport(tally, duplicates)


def _json_text(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _report_rejected(number: int, ident: str | None, problems: list[FieldProblem], errors: Any) -> None:
    from .batch_io import neutralise

    shown = ident if ident is not None else ""
    for problem in problems:
        value = _show(problem.value)
        if errors is None:
            where = f"row {number}" + (f" (id {shown})" if shown else "")
            click.echo(f"rejected: {where}: {problem.describe()}", err=True)
        elif errors.fmt == "jsonl":
            import json

            record = {
                "row": number,
                "id": ident,
                "field": problem.field,
                "value": None if value == "" else problem.value if _json_safe(problem.value) else value,
                "message": problem.message,
                "allowed": problem.allowed,
            }
            errors.write_line(json.dumps(record, ensure_ascii=False))
        else:
            errors.write(
                [
                    number,
                    neutralise(shown),
                    neutralise(problem.field),
                    neutralise(value),
                    neutralise(problem.message),
                    neutralise(problem.allowed or ""),
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
    if output == "-":
        return None
    target = Path(output)
    stem = target.stem if target.suffix else target.name
    return str(target.with_name(f"{stem}.errors.{output_format}"))


def _check_encoding(ctx: click.Context, param: click.Parameter, value: str) -> str:
    import codecs

    try:
        codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(f"{value!r} is not an encoding Python knows; e.g. utf-8, utf-8-sig, gb18030") from None
    return value


def _advisor(rules_dir: str | None, knowledge_dir: str | None) -> Advisor:
    from .core import Advisor, default_advisor

    if rules_dir is None and knowledge_dir is None:
        return default_advisor()
    return Advisor(rules_dir=rules_dir, knowledge_dir=knowledge_dir)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through the writers' abort(): no half-written file stays


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

    in_format = detect_format(input_path, input_format, INPUT_FORMATS, "--input-format")
    output = output_path or _default_output(input_path, in_format, output_format)
    out_format = output_format or ("csv" if output == "-" else detect_format(output, None, OUTPUT_FORMATS, "--format"))
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
    _check_distinct(input_path, output, errors, summary_file)
    if summary_file and not Path(summary_file).resolve().parent.is_dir():
        from .errors import InputError

        raise InputError(f"{summary_file}: the folder {str(Path(summary_file).parent)!r} does not exist")
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
    )
    advisor = _advisor(rules_dir, knowledge_dir)
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a test runner's worker)
        previous = None
    try:
        report = run_batch(advisor, options)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    tally, duplicates = report.tally, report.duplicates
    summary = None
    if show_summary or summary_file:
        summary = render_summary(tally, advisor, duplicates, "<stdin>" if input_path == "-" else input_path)
    if summary_file:
        target = AtomicFile(summary_file)
        try:
            target.temp.write_text(summary or "", encoding="utf-8")
            target.commit()
        except BaseException:
            target.abort()
            raise
    if show_summary and summary:
        click.echo(summary, nl=False, err=output == "-")
    rate = tally.read / tally.seconds if tally.seconds else 0.0
    where = f" -> {output}" if output != "-" else ""
    rejected = f"{tally.rejected:,} rejected"
    if tally.rejected and errors is not None:
        rejected += f" (see {errors})"
    line = (
        f"batch: {tally.read:,} rows read, {tally.scored:,} scored, {rejected}{where}; "
        f"{tally.seconds:.1f} s, {rate:,.0f} rows/s"
    )
    if duplicates is not None and duplicates.duplicate_ids:
        line += f"; duplicate ids: {duplicates.describe(3)}"
    click.echo(line, err=True)
    if tally.rejected and not allow_rejects:
        sys.exit(EXIT_REJECTS)


def _check_distinct(input_path: str, output: str, errors: str | None, summary_file: str | None) -> None:
    from .errors import InputError

    named = [
        ("the input", input_path),
        ("the output", output),
        ("the errors file", errors),
        ("the summary file", summary_file),
    ]
    seen: dict[Path, str] = {}
    for role, path in named:
        if path is None or path == "-":
            continue
        resolved = Path(path).resolve()
        if resolved in seen:
            raise InputError(f"{path}: {seen[resolved]} and {role} are the same file; give them different names")
        seen[resolved] = role
