"""What a rule edit changes: two rule packs over the same proposals or documented cases.

Reports the leading modes that flip (from -> to, with counts and ids), the decisions that
change, the rules whose firing count changed most, and top-1 / top-2 agreement before and
after when the items say which mode is expected (cases always do; a proposals file may carry
an `expected_mode` column)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cases import MODE_CODES, load_cases
from .errors import FieldProblem, InputError, ProfileError
from .evaluation import CaseResult, firing_counts, rank_case, ratio
from .profile import ATTRIBUTES, Profile

if TYPE_CHECKING:
    from .core import Advisor

EXPECTED_COLUMN = "expected_mode"
CASE_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Item:
    """One profile to compare the packs on, and the mode expected for it, if known."""

    id: str
    profile: Profile
    expected: str | None = None


@dataclass(frozen=True)
class Rejected:
    """A row left out: where (in English, for the JSON), why, and for the reports in other
    languages its row number and the problems themselves."""

    where: str
    message: str
    number: int | None = None
    problems: tuple[FieldProblem, ...] = ()


def load_items(
    path: str, input_format: str | None = None, ignore_unknown_columns: bool = False
) -> tuple[list[Item], list[Rejected]]:
    """Items from a cases folder / YAML file, or from a proposals file in any batch format.

    Rows that cannot be used are returned as Rejected (row number and why), never dropped."""
    if path != "-" and (Path(path).is_dir() or Path(path).suffix.lower() in CASE_SUFFIXES) and input_format is None:
        return [Item(case.id, case.profile, case.mode) for case in load_cases(path)], []
    from .batch_io import INPUT_FORMATS, Columns, detect_format, read_rows
    from .core import validate_profile
    from .row_scoring import RowValidator

    fmt = detect_format(path, input_format, INPUT_FORMATS, "--input-format")
    columns = Columns(["id", "title", EXPECTED_COLUMN, *ATTRIBUTES], ignore_unknown=ignore_unknown_columns)
    items: list[Item] = []
    rejected: list[Rejected] = []
    validator = RowValidator()
    for row in read_rows(path, fmt, columns):
        where = f"row {row.number}"
        if isinstance(row.problem, tuple):  # cells that could not be read (a formula without its value)
            message = "; ".join(problem.describe() for problem in row.problem)
            rejected.append(Rejected(where, message, row.number, row.problem))
            continue
        if row.problem is not None:
            rejected.append(Rejected(where, row.problem, row.number))
            continue
        data = dict(row.data)
        expected = data.pop(EXPECTED_COLUMN, None)
        if expected is not None:
            expected = str(expected).strip()
            if expected not in MODE_CODES:
                problem = FieldProblem(EXPECTED_COLUMN, expected, "not a mode", f"one of {', '.join(MODE_CODES)}")
                rejected.append(Rejected(where, problem.describe(), row.number, (problem,)))
                continue
        try:
            # NOTE: the rows `advisor batch` refuses (an empty row, an unsafe id) are refused here too
            ident, title, known = validator(data)
            profile = validate_profile({**known, "id": ident, "title": title})
        except ProfileError as error:
            message = "; ".join(problem.describe() for problem in error.problems)
            rejected.append(Rejected(where, message, row.number, tuple(error.problems)))
            continue
        items.append(Item(str(profile.id) if profile.id else where, profile, expected))
    if not items and not rejected:
        raise InputError(f"{path}: no proposals or cases to compare")
    return items, rejected


@dataclass(frozen=True)
class PackDiff:
    items: tuple[Item, ...]
    before: tuple[CaseResult, ...]
    after: tuple[CaseResult, ...]
    rejected: tuple[Rejected, ...] = ()

    def flips(self) -> dict[tuple[str, str], list[str]]:
        """(leader before, leader after) -> ids, most frequent first."""
        return _changes(self.items, [r.leader for r in self.before], [r.leader for r in self.after])

    def decision_changes(self) -> dict[tuple[str, str], list[str]]:
        return _changes(self.items, [r.decision for r in self.before], [r.decision for r in self.after])

    def rule_changes(self, limit: int | None = 10) -> list[tuple[str, int, int]]:
        """(rule id, firings before, firings after) for the rules whose count changed, biggest change first."""
        before, after = firing_counts(self.before), firing_counts(self.after)
        rows = [(rule, before[rule], after[rule]) for rule in set(before) | set(after) if before[rule] != after[rule]]
        rows.sort(key=lambda row: (-abs(row[2] - row[1]), row[0]))
        return rows if limit is None else rows[:limit]

    def accuracy(self) -> dict[str, Any] | None:
        """top-1 / top-2 before and after over the items with an expected mode; None if none has one."""
        pairs = [(b, a) for item, b, a in zip(self.items, self.before, self.after, strict=True) if item.expected]
        if not pairs:
            return None
        n = len(pairs)
        return {
            "items": n,
            "top1_before": ratio(sum(b.top1 for b, _ in pairs), n),
            "top1_after": ratio(sum(a.top1 for _, a in pairs), n),
            "top2_before": ratio(sum(b.top2 for b, _ in pairs), n),
            "top2_after": ratio(sum(a.top2 for _, a in pairs), n),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": len(self.items),
            "rejected": [{"where": r.where, "message": r.message} for r in self.rejected],
            "leader_flips": [
                {"from": old, "to": new, "count": len(ids), "ids": ids} for (old, new), ids in self.flips().items()
            ],
            "decision_changes": [
                {"from": old, "to": new, "count": len(ids), "ids": ids}
                for (old, new), ids in self.decision_changes().items()
            ],
            "rule_firing_changes": [
                {"rule": rule, "before": old, "after": new, "change": new - old}
                for rule, old, new in self.rule_changes(limit=None)
            ],
            "accuracy": self.accuracy(),
        }


def _changes(items: Sequence[Item], old: Sequence[str], new: Sequence[str]) -> dict[tuple[str, str], list[str]]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for item, before, after in zip(items, old, new, strict=True):
        if before != after:
            grouped.setdefault((before, after), []).append(item.id)
    order = Counter({key: len(ids) for key, ids in grouped.items()})
    return {key: grouped[key] for key, _ in sorted(order.items(), key=lambda entry: (-entry[1], entry[0]))}


def diff_packs(base: Advisor, new: Advisor, items: Sequence[Item], rejected: Sequence[Rejected] = ()) -> PackDiff:
    """Rank every item with both packs."""
    before = tuple(rank_case(base, item.id, item.expected or "", item.profile) for item in items)
    after = tuple(rank_case(new, item.id, item.expected or "", item.profile) for item in items)
    return PackDiff(tuple(items), before, after, tuple(rejected))
