"""Scoring many proposals: one row validator and one scoring loop for every batch surface.

`advisor batch`, `Advisor.advise_many` and `POST /v1/batch` all score rows with `scored_chunks`
(or `score_rows`, its stream of `Scored` and `Rejected`). A row is validated by `RowValidator`,
then a chunk of valid rows is evaluated with one `RuleEngine.fired_many` call and ranked with
`Scorer.standing`, without building full `Advice` objects (about ten times the cost); full advice
(and the what-if) is built with `Advisor.advise` only when asked for.

No single row can stop a run: a row that cannot be read, validated, evaluated or advised becomes
a `Rejected` with the reason, and the rows after it are scored.

NOTE: imports only the standard library at module level (the batch command's `--help` stays
fast); pydantic and the engine come in through the functions that need them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .cells import _BLANK, _MISS, _SLOW, _converter, _prepared, _text, fast_path_reviewed
from .limits import MAX_CELL_CHARS

if TYPE_CHECKING:
    from .advice import Advice
    from .core import Advisor
    from .errors import FieldProblem
    from .scoring import DecisionWhy

#: The field a problem with a row as a whole (empty, cut short, not an object) is filed under.
ROW_FIELD = "(row)"
#: Rows validated and then evaluated together, with one `RuleEngine.fired_many` call.
CHUNK = 256
#: Modes an Outcome keeps (leader, second, third).
TOP_MODES = 3

# Characters no text field may hold: C0 controls but tab, LF and CR; DEL and C1 controls; lone
# surrogates (no encoding can write them).
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


_UNSAFE_SEARCH = _UNSAFE_TEXT.search


def unsafe_character(text: str) -> str | None:
    """The first character of `text` that no output can hold as it is (a control character or a
    lone surrogate), described as U+XXXX; None when there is none."""
    found = _UNSAFE_TEXT.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _check_text(fields: Mapping[str, Any]) -> None:
    """Raises ProfileError for each text field holding a control character or a lone surrogate."""
    from .errors import FieldProblem, ProfileError

    problems = []
    for name, value in fields.items():
        if isinstance(value, str) and (bad := unsafe_character(value)) is not None:
            problems.append(
                FieldProblem(
                    name,
                    value,
                    f"holds the character {bad}, a control character or lone surrogate no file can hold",
                    "text without control characters",
                )
            )
    if problems:
        raise ProfileError(problems)


def _neutralise(text: str) -> str:
    """batch_io.neutralise, imported on first use (the reader and writer module stays out of
    `advisor batch --help`)."""
    global _neutralise
    from .batch_io import neutralise

    _neutralise = neutralise
    return neutralise(text)


# -- validating a row ------------------------------------------------------------------------


class RowValidator:
    """Validates one row into (id, title, known attribute values), as Profile would.

    With `text_cells` (spreadsheet rows: `advisor batch`), values the fast converters of
    advisor/cells.py recognise skip pydantic; any other value (and so every error) goes through
    `validate_profile`, whose messages name the field, the value and what is allowed. Without it
    (typed JSON: `advise_many`, `POST /v1/batch`) every row is read by `validate_profile`, the
    contract `advise()` and `/v1/advise` keep.
    """

    MEMO = 4096  # distinct cell texts remembered per column

    def __init__(self, fast: bool | None = None, *, text_cells: bool = True):
        from .profile import ATTRIBUTES

        self.specs = ATTRIBUTES
        self.text_cells = text_cells
        self.fast = fast_path_reviewed() if fast is None else fast
        # NOTE: a column's cells repeat ("large", "enterprise;government"), so each column
        # remembers what its texts convert to; lists are shared between rows and only read.
        self._columns: dict[str, tuple[dict[str, Any], Callable[[Any], Any]]] = {
            name: ({}, _converter(spec)) for name, spec in ATTRIBUTES.items()
        }

    def __call__(self, data: Any) -> tuple[str | None, str | None, dict[str, Any]]:
        """Raises ProfileError naming every field at fault."""
        if self.text_cells and type(data) is dict:
            return self._cells(data)
        from .core import validate_profile

        profile = validate_profile(data)
        _check_text({"id": profile.id, "title": profile.title})
        return profile.id, profile.title, profile.known()

    def _cells(self, data: Mapping[str, Any]) -> tuple[str | None, str | None, dict[str, Any]]:
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
                        if len(value) > MAX_CELL_CHARS:
                            raise _too_long(key, value)
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
            if (ident is not None and _UNSAFE_SEARCH(ident)) or (title is not None and _UNSAFE_SEARCH(title)):
                _check_text({"id": ident, "title": title})
            return ident, title, known
        return self._slow(known, ident, title, doubtful or {})

    def _slow(
        self, known: dict[str, Any], ident: Any, title: Any, doubtful: dict[str, Any]
    ) -> tuple[str | None, str | None, dict[str, Any]]:
        from .core import validate_profile
        from .errors import ProfileError

        data = dict(known)
        if ident is not None:
            data["id"] = ident
        if title is not None:
            data["title"] = title
        data.update(doubtful)
        if not data:
            raise _empty_row()
        try:
            _check_text({"id": data.get("id"), "title": data.get("title")})
        except ProfileError as unsafe:
            text_problems = unsafe.problems
        else:
            text_problems = []
        try:
            profile = validate_profile(data)
        except ProfileError as error:
            # NOTE: every fault of the row at once, the text ones too
            named = {problem.field for problem in error.problems}
            raise ProfileError([*error.problems, *(p for p in text_problems if p.field not in named)]) from None
        if text_problems:
            raise ProfileError(text_problems)
        return profile.id, profile.title, profile.known()


def _too_long(field: str, value: str) -> Exception:
    """A cell too long to be any attribute's value (converting it could exceed Python's limits)."""
    from .errors import FieldProblem, ProfileError

    return ProfileError(
        [
            FieldProblem(
                field,
                value[:40] + "...",
                f"the cell holds {len(value):,} characters, over the limit of {MAX_CELL_CHARS:,} for an attribute",
                _allowed(field),
            )
        ]
    )


def _allowed(field: str) -> str | None:
    from .profile import ATTRIBUTES

    spec = ATTRIBUTES.get(field)
    return spec.allowed() if spec is not None else None


def _empty_row() -> Exception:
    from .errors import _MISSING, FieldProblem, ProfileError

    return ProfileError([FieldProblem(ROW_FIELD, _MISSING, "the row is empty: no id, title or attribute is given")])


# -- outcomes --------------------------------------------------------------------------------


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
        "fired",
        "why",
    )

    def __init__(
        self,
        leading_mode: str | None,
        leading_score: int,
        decision: str,
        decision_reason: str,
        top: tuple[tuple[str, int], ...],
        difficulties: tuple[str, ...],
        fired: frozenset[str] = frozenset(),
        why: DecisionWhy | None = None,
    ):
        self.leading_mode = leading_mode
        self.leading_score = leading_score
        self.decision = decision
        self.decision_reason = decision_reason
        self.top = top  # up to three (mode, score), best first; excluded modes left out
        self.difficulties = difficulties  # ids, in the order the advice lists them
        self._cells: tuple[Any, ...] | None = None
        self.tally_key = (leading_mode, decision, difficulties)  # what the summary counts
        self.fired = fired  # the rules that fired (the portfolio report counts them); not part of equality
        # why the decision, to word the reason in another language (decision_reason is its English)
        self.why = why

    def _key(self) -> tuple[Any, ...]:
        return (self.leading_mode, self.leading_score, self.decision, self.decision_reason, self.top, self.difficulties)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Outcome) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "Outcome" + repr(self._key())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Outcome, (*self._key(), self.fired, self.why))

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
                _neutralise(self.decision_reason),
            )
        return self._cells

    @classmethod
    def from_advice(cls, advice: Advice) -> Outcome:
        """The outcome an Advice states (the reference the fast path is tested against)."""
        from .scoring import why_of

        top = tuple((m.id, m.score) for m in advice.modes if m.verdict != "excluded")[:TOP_MODES]
        return cls(
            advice.leading_mode,
            advice.modes[0].score,
            advice.decision,
            advice.decision_reason,
            top,
            tuple(d.id for d in advice.difficulties),
            frozenset(advice.fired_rules),
            why_of(advice.decision_basis) if advice.decision_basis is not None else None,
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
    """A proposal that could not be scored, and every reason why. `internal` marks a row that
    failed on a bug in the advisor rather than on its input (the run goes on either way)."""

    number: int
    id: str | None
    problems: list[FieldProblem]
    internal: bool = False


class InternalFailure(list):  # type: ignore[type-arg]
    """The problems of a row that failed on a bug (a list of one FieldProblem), told apart from
    a row's own faults so a surface can say "internal error" (HTTP: `internal_error`); `error`
    is the exception, for a log."""

    error: BaseException | None = None


class Outcomes:
    """The Outcome for a set of fired rules and a count of answered attributes, from the advisor's scorer.

    NOTE: remembering outcomes by fired rules was measured and dropped: on realistic proposals
    under 5% of rows repeat one within 8,000 rows, and the bookkeeping cost more than it saved.
    """

    def __init__(self, advisor: Advisor):
        from .scoring import SEVERITY_ORDER

        self.scorer = advisor.scorer
        rules = advisor.rulebook.rules
        order = {difficulty: index for index, difficulty in enumerate(advisor.knowledge.difficulties)}
        # rule id -> (difficulty it raises, its sort key: severity rank, then knowledge order)
        self._raises = {
            rule_id: (rule.effect.raises, (SEVERITY_ORDER[rule.effect.severity or "low"], order[rule.effect.raises]))
            for rule_id, rule in rules.items()
            if rule.effect.raises
        }
        self._raising = frozenset(self._raises)

    def __call__(self, fired: frozenset[str], answered: int) -> Outcome:
        standing = self.scorer.standing(fired, answered)
        excluded, ranking = standing.excluded, standing.ranking
        # The ranking puts excluded modes last: the top is its first modes that are not.
        top = ranking[: min(TOP_MODES, len(ranking) - len(excluded))]
        # Difficulties in the advice's order: most severe triggering rule first, then knowledge order.
        raises = self._raises
        found = [raises[rule_id] for rule_id in fired & self._raising]
        if len(found) > 1:
            severity: dict[str, tuple[int, int]] = {}
            for difficulty, rank in found:
                if difficulty not in severity or rank < severity[difficulty]:
                    severity[difficulty] = rank
            difficulties = tuple(sorted(severity, key=severity.__getitem__))
        else:
            difficulties = (found[0][0],) if found else ()
        return Outcome(
            standing.leader,
            standing.leader_score,
            standing.decision,
            standing.decision_reason,
            top,
            difficulties,
            fired,
            standing.why,
        )


#: One row between validation and output: (number, id, title, outcome or known values, problems).
#: Before evaluation the fourth item is the known values; after, the Outcome. Problems is None
#: for a row that scored, else the list of FieldProblems that reject it (an InternalFailure for a
#: bug). The fifth item of a scored row holds its Advice (or what `render` made of it) when full
#: advice was asked for.
Item = tuple[int, Any, Any, Any, Any]


def _internal(stage: str, error: BaseException) -> InternalFailure:
    from .errors import _MISSING, FieldProblem

    failure = InternalFailure(
        [
            FieldProblem(
                ROW_FIELD,
                _MISSING,
                f"internal error while {stage} this row ({type(error).__name__}); the other rows were scored. "
                "This is a bug: please report it",
            )
        ]
    )
    failure.error = error
    return failure


def _row_ident(data: Any) -> str | None:
    if not isinstance(data, Mapping):
        return None
    ident = _text(data.get("id"))
    return None if ident is _SLOW or (isinstance(ident, str) and _UNSAFE_SEARCH(ident)) else ident


def _validated_chunks(rows: Iterable[Any], validate: RowValidator, size: int = CHUNK) -> Iterator[list[Item]]:
    """Rows validated, `size` at a time."""
    from .errors import _MISSING, FieldProblem, ProfileError
    from .profile import Profile

    chunk: list[Item] = []
    number = 0
    for row in rows:
        number += 1
        problem = None
        if isinstance(row, tuple):  # a SourceRow: (number, data, problem[, carried])
            number, data, problem = row[0], row[1], row[2]
        else:
            data = row
        # NOTE: typed input (not text cells) keeps advise()'s own message for a non-mapping.
        if problem is not None or (
            validate.text_cells and type(data) is not dict and not isinstance(data, (Mapping, Profile))
        ):
            if type(problem) is tuple:  # cells that could not be read (batch_io.SourceRow)
                problems = _with_unread(validate, data, problem)
            else:
                reason = problem or FieldProblem(
                    ROW_FIELD, data, "a proposal is a mapping of attribute names to values"
                )
                problems = [FieldProblem(ROW_FIELD, _MISSING, reason) if isinstance(reason, str) else reason]
            chunk.append((number, _row_ident(data), None, None, problems))
        else:
            try:
                ident, title, known = validate(data)
            except ProfileError as error:
                chunk.append((number, _row_ident(data), None, None, list(error.problems)))
            except MemoryError:
                raise
            except Exception as error:  # a bug on one row must not lose the others
                chunk.append((number, _row_ident(data), None, None, _internal("validating", error)))
            else:
                chunk.append((number, ident, title, known, None))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _with_unread(validate: RowValidator, data: Any, unread: tuple[FieldProblem, ...]) -> list[FieldProblem]:
    """A row's cells that could not be read, then what else is wrong with the cells that could
    (so one run names every fault of the row). The row is not empty: it has those cells."""
    from .errors import ProfileError

    problems = list(unread)
    if data:
        named = {problem.field for problem in unread}
        try:
            validate(data)
        except ProfileError as error:
            problems += [p for p in error.problems if p.field != ROW_FIELD and p.field not in named]
        except MemoryError:
            raise
        except Exception as error:  # a bug on one row must not lose the others
            problems += _internal("validating", error)
    return problems


def _evaluate(advisor: Advisor, chunk: list[Item], outcome_of: Outcomes) -> list[Item]:
    """The fast path: each valid row's Outcome, from one fired_many call for the chunk."""
    knowns = [item[3] for item in chunk if item[4] is None]
    if not knowns:
        return chunk
    try:
        fired = iter(advisor.engine.fired_many(knowns))
        return [
            item if item[4] is not None else (item[0], item[1], item[2], outcome_of(next(fired), len(item[3])), None)
            for item in chunk
        ]
    except MemoryError:
        raise
    except Exception:
        # NOTE: find the row at fault, one at a time, so the others are still scored.
        return [_evaluate_one(advisor, item, outcome_of) for item in chunk]


def _evaluate_one(advisor: Advisor, item: Item, outcome_of: Outcomes) -> Item:
    if item[4] is not None:
        return item
    try:
        outcome = outcome_of(advisor.engine.fired(item[3]), len(item[3]))
    except MemoryError:
        raise
    except Exception as error:
        return (item[0], item[1], None, None, _internal("evaluating", error))
    return (item[0], item[1], item[2], outcome, None)


def _advise(advisor: Advisor, item: Item, what_if: bool, max_questions: int, lang: str) -> Advice:
    number, ident, title, known, _ = item
    profile = dict(known)
    if ident is not None:
        profile["id"] = ident
    if title is not None:
        profile["title"] = title
    return advisor.advise(profile, what_if=what_if, max_questions=max_questions, lang=lang)


def scored_chunks(
    advisor: Advisor,
    rows: Iterable[Any],
    *,
    full: bool = False,
    what_if: bool = False,
    max_questions: int = 5,
    render: Callable[[Advice], Any] | None = None,
    validator: RowValidator | None = None,
    outcomes: Outcomes | None = None,
    chunk_size: int = CHUNK,
    lang: str = "en",
) -> Iterator[list[Item]]:
    """The one scoring loop: rows in, chunks of `Item`s out, in order, one item per row.

    `rows` holds `batch_io.SourceRow`s (or any (number, data, problem) tuple) or plain mappings
    and Profiles (numbered from 1). A scored item is (number, id, title, Outcome, extra); a
    rejected one (number, id, None, None, problems). With `full` or `what_if`, `extra` is the
    row's `Advice` (or `render(advice)`); otherwise None. `chunk_size` rows are validated (and
    without full advice, evaluated) together; 1 streams full advice row by row. `lang`: the
    language of the full advice's reasons (`Advisor.advise`).
    """
    validate = validator or RowValidator()
    outcome_of = outcomes or Outcomes(advisor)
    for chunk in _validated_chunks(rows, validate, chunk_size):
        if not (full or what_if):
            yield _evaluate(advisor, chunk, outcome_of)
            continue
        done: list[Item] = []
        for item in chunk:
            if item[4] is not None:
                done.append(item)
                continue
            try:
                advice = _advise(advisor, item, what_if, max_questions, lang)
                extra = advice if render is None else render(advice)
                done.append((item[0], item[1], item[2], Outcome.from_advice(advice), extra))
            except MemoryError:
                raise
            except Exception as error:  # ProfileError included: the row validated, so this is a bug too
                done.append((item[0], item[1], None, None, _internal("advising", error)))
        yield done


def score_rows(
    advisor: Advisor,
    rows: Iterable[Any],
    *,
    full: bool = False,
    what_if: bool = False,
    max_questions: int = 5,
    validator: RowValidator | None = None,
    outcomes: Outcomes | None = None,
    chunk_size: int = CHUNK,
    lang: str = "en",
) -> Iterator[Scored | Rejected]:
    """Score proposal rows, in order, as a stream: a `Scored` or a `Rejected` per row.

    The same loop as `scored_chunks`, one object per row. With `full` or `what_if`, each Scored
    carries the full `Advice` (as `Advisor.advise` gives it); otherwise only its outcome, which
    is much cheaper. A bad row never stops the stream.
    """
    for chunk in scored_chunks(
        advisor,
        rows,
        full=full,
        what_if=what_if,
        max_questions=max_questions,
        validator=validator,
        outcomes=outcomes,
        chunk_size=chunk_size,
        lang=lang,
    ):
        for number, ident, title, outcome, extra in chunk:
            if outcome is None:
                yield Rejected(number, ident, extra, internal=isinstance(extra, InternalFailure))
            else:
                yield Scored(number, ident, title, outcome, extra)
