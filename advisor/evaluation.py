"""Measuring the advice against documented cases: top-1 / top-2 agreement, a confusion matrix,
the calibration of each decision label, and the cases the rules get wrong."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .advice import Reliability
from .cases import Case
from .catalogue import words

if TYPE_CHECKING:
    from .core import Advisor

DECISIONS = ("clear", "close_call", "insufficient_information")
#: What each decision label promises, and so how its calibration is measured: a `clear` leader is
#: the mode used; on a `close_call` the mode used is one of the two leaders.
LABEL_MEASURE = {"clear": "top1", "close_call": "top2", "insufficient_information": "top1"}


@dataclass(frozen=True)
class CaseResult:
    """How the rules ranked one documented case."""

    case_id: str
    truth: str
    decision: str
    ranking: tuple[tuple[str, int], ...]
    fired: frozenset[str] = field(default=frozenset(), compare=False)
    lead: int | None = None  # points ahead of the runner-up; None when the runner-up is excluded

    @property
    def leader(self) -> str:
        return self.ranking[0][0]

    @property
    def top1(self) -> bool:
        return self.leader == self.truth

    @property
    def top2(self) -> bool:
        return self.truth in (self.ranking[0][0], self.ranking[1][0])

    @property
    def rank_of_truth(self) -> int:
        return [mode for mode, _ in self.ranking].index(self.truth) + 1

    def hit(self, measure: str) -> bool:
        return self.top1 if measure == "top1" else self.top2


@dataclass(frozen=True)
class LabelCalibration:
    decision: str
    cases: int
    top1: int
    top2: int

    @property
    def measure(self) -> str:
        return LABEL_MEASURE[self.decision]

    @property
    def right(self) -> int:
        """Cases where the label kept its promise (see LABEL_MEASURE)."""
        return self.top1 if self.measure == "top1" else self.top2

    @property
    def rate(self) -> float | None:
        return self.right / self.cases if self.cases else None


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Evaluation:
    results: tuple[CaseResult, ...]
    modes: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.results)

    @property
    def top1(self) -> float | None:
        return ratio(sum(r.top1 for r in self.results), self.size)

    @property
    def top2(self) -> float | None:
        return ratio(sum(r.top2 for r in self.results), self.size)

    def by_mode(self) -> dict[str, dict[str, Any]]:
        """Per true mode: cases, top-1 and top-2 hits and rates."""
        table = {}
        for mode in self.modes:
            mine = [r for r in self.results if r.truth == mode]
            hits1, hits2 = sum(r.top1 for r in mine), sum(r.top2 for r in mine)
            table[mode] = {
                "cases": len(mine),
                "top1": hits1,
                "top2": hits2,
                "top1_rate": ratio(hits1, len(mine)),
                "top2_rate": ratio(hits2, len(mine)),
            }
        return table

    def confusion(self) -> dict[str, dict[str, int]]:
        """truth -> leading mode -> count (every mode in both axes)."""
        table = {truth: dict.fromkeys(self.modes, 0) for truth in self.modes}
        for result in self.results:
            table[result.truth][result.leader] += 1
        return table

    def calibration(self) -> dict[str, LabelCalibration]:
        out = {}
        for decision in DECISIONS:
            mine = [r for r in self.results if r.decision == decision]
            out[decision] = LabelCalibration(decision, len(mine), sum(r.top1 for r in mine), sum(r.top2 for r in mine))
        return out

    def wrong(self) -> list[CaseResult]:
        """The cases whose leader is not the mode used, worst rank of the truth first."""
        return sorted((r for r in self.results if not r.top1), key=lambda r: (-r.rank_of_truth, r.case_id))

    def worst_mode(self) -> tuple[str, float] | None:
        rates = [(row["top1_rate"], mode) for mode, row in self.by_mode().items() if row["cases"]]
        if not rates:
            return None
        rate, mode = min(rates)
        return mode, rate

    def to_dict(self, names: dict[str, str] | None = None) -> dict[str, Any]:
        calibration = self.calibration()
        worst = self.worst_mode()
        return {
            "cases": self.size,
            "top1": self.top1,
            "top2": self.top2,
            "lowest_mode_top1": {"mode": worst[0], "top1_rate": worst[1]} if worst else None,
            "by_mode": self.by_mode(),
            "confusion": self.confusion(),
            "calibration": {
                d: {
                    "cases": c.cases,
                    "top1": c.top1,
                    "top2": c.top2,
                    "measure": c.measure,
                    "right": c.right,
                    "rate": c.rate,
                }
                for d, c in calibration.items()
            },
            "wrong": [
                {
                    "id": r.case_id,
                    "truth": r.truth,
                    "decision": r.decision,
                    "rank_of_truth": r.rank_of_truth,
                    "top3": [{"mode": m, "score": s} for m, s in r.ranking[:3]],
                }
                for r in self.wrong()
            ],
        }


def rank_case(advisor: Advisor, case_id: str, truth: str, profile: Any) -> CaseResult:
    known = profile.known()
    fired = advisor.engine.fired(known)
    standing = advisor.scorer.standing(fired, len(known), explain=False)
    runner_up, runner_score = standing.ranking[1]
    lead = None if runner_up in standing.excluded else standing.leader_score - runner_score
    return CaseResult(case_id, truth, standing.decision, standing.ranking, fired, lead)


def evaluate(advisor: Advisor, cases: Iterable[Case]) -> Evaluation:
    """Rank every case with the advisor's rules; the metrics are properties of the result."""
    results = tuple(rank_case(advisor, case.id, case.mode, case.profile) for case in cases)
    return Evaluation(results, tuple(advisor.knowledge.modes))


def firing_counts(results: Sequence[CaseResult]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for result in results:
        counts.update(result.fired)
    return counts


def reliability_words(decision: str, in_ten: int, right: int, cases: int, lang: str) -> str:
    """What a decision label has meant, in one sentence of `lang` (the catalogue's reliability)."""
    sentences = words(lang, "reliability")
    if not cases:
        return str(sentences["unmeasured"])
    share = sentences["shares"][in_ten]
    if in_ten == 9 and 10 * right > 9.5 * cases:  # rounded down from all: "over 9 in 10" where a language says it
        share = sentences.get("over_nine", share)
    return str(sentences[decision]).format(share=share, right=right, cases=cases)


def _in_ten(right: int, cases: int) -> int:
    """`right` of `cases` as "about N in 10", never claiming 10 in 10 (always) or 0 in 10 (never)
    unless every case says so: 58 of 59 is "about 9 in 10", 1 of 40 "about 1 in 10"."""
    if not cases:
        return 0
    in_ten = round(10 * right / cases)
    if right < cases:
        in_ten = min(in_ten, 9)
    if right > 0:
        in_ten = max(in_ten, 1)
    return in_ten


def label_reliability(evaluation: Evaluation) -> dict[str, Reliability]:
    """For each decision label, what it has meant on the evaluation set, as numbers and one sentence."""
    out = {}
    for decision, calibration in evaluation.calibration().items():
        in_ten = _in_ten(calibration.right, calibration.cases)
        sentence = reliability_words(decision, in_ten, calibration.right, calibration.cases, "en")
        out[decision] = Reliability(
            decision=decision,  # type: ignore[arg-type]
            measure=calibration.measure,  # type: ignore[arg-type]
            right=calibration.right,
            cases=calibration.cases,
            in_ten=in_ten,
            sentence=sentence,
        )
    return out


@dataclass(frozen=True)
class MarginChoice:
    """The outcome of calibrating the close-call margin on an evaluation set."""

    margin: int | None  # None: no margin meets both targets
    clear: tuple[int, int]  # (right, cases) at that margin
    close_call: tuple[int, int]  # (truth in top two, cases)
    table: tuple[tuple[int, int, int, int, int], ...]  # (margin, clear right, clear, close top2, close)


def choose_margin(
    results: Iterable[CaseResult], clear_target: float = 0.9, close_target: float = 0.9, largest: int = 50
) -> MarginChoice:
    """The smallest close-call margin at which `clear` is right at least `clear_target` of the time
    and `close_call` holds the true mode in its top two at least `close_target` of the time.

    Only results that are not `insufficient_information` take part: the margin decides between
    `clear` and `close_call` only. A leader whose runner-up is excluded is always clear.
    NOTE: the smallest such margin keeps as many decisions `clear` as the targets allow.
    """
    firm = [r for r in results if r.decision != "insufficient_information"]
    table = []
    chosen = None
    for margin in range(1, largest + 1):
        clear = [r for r in firm if r.lead is None or r.lead >= margin]
        close = [r for r in firm if r.lead is not None and r.lead < margin]
        row = (margin, sum(r.top1 for r in clear), len(clear), sum(r.top2 for r in close), len(close))
        table.append(row)
        clear_ok = not clear or row[1] / row[2] >= clear_target
        close_ok = not close or row[3] / row[4] >= close_target
        if chosen is None and clear_ok and close_ok:
            chosen = row
    if chosen is None:
        return MarginChoice(None, (0, 0), (0, 0), tuple(table))
    return MarginChoice(chosen[0], (chosen[1], chosen[2]), (chosen[3], chosen[4]), tuple(table))
