"""`advisor evaluate`: the metrics, the calibration of the decision labels and its derivation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cases import load_cases
from advisor.catalogue import catalogue
from advisor.cli import cli
from advisor.evaluation import CaseResult, _in_ten, choose_margin, evaluate, label_reliability

MODES = ("a", "b", "c")


def result(case_id, truth, decision, ranking, lead=None):
    return CaseResult(case_id, truth, decision, tuple(ranking), frozenset(), lead)


def test_metrics_follow_from_the_rankings(shipped):
    evaluation = evaluate(shipped, load_cases())
    results = evaluation.results
    assert evaluation.top1 == sum(r.ranking[0][0] == r.truth for r in results) / len(results)
    assert evaluation.top2 == sum(r.truth in (r.ranking[0][0], r.ranking[1][0]) for r in results) / len(results)
    confusion = evaluation.confusion()
    assert sum(sum(row.values()) for row in confusion.values()) == len(results)
    assert sum(confusion[m][m] for m in confusion) == sum(r.top1 for r in results)
    assert sum(c.cases for c in evaluation.calibration().values()) == len(results)
    assert all(not r.top1 for r in evaluation.wrong())


def test_the_shipped_margin_keeps_the_label_promises(shipped):
    """The pack's close-call margin makes `clear` right >= 90% and close calls hold the truth in the top two >= 90%."""
    calibration = evaluate(shipped, load_cases()).calibration()
    assert calibration["clear"].cases and calibration["clear"].rate >= 0.9
    assert calibration["close_call"].cases and calibration["close_call"].rate >= 0.9


def test_the_shipped_margin_is_the_derived_one(shipped):
    """The margin is derived on the cases as recorded and on the same cases without what the
    university delivers, and the larger is shipped: most profiles (and most of the held-out
    cases) will not say it, and with it known the small leads are right more often than without."""
    cases = load_cases()
    recorded = choose_margin(evaluate(shipped, cases).results).margin
    unsaid = [
        case.model_copy(update={"profile": case.profile.model_copy(update={"university_contribution": None})})
        for case in cases
    ]
    without = choose_margin(evaluate(shipped, unsaid).results).margin
    assert recorded is not None and without is not None
    assert max(recorded, without) == shipped.rulebook.meta.scoring.close_call_margin


def test_the_shipped_margin_keeps_the_label_promises_without_the_delivery_attribute(shipped):
    unsaid = [
        case.model_copy(update={"profile": case.profile.model_copy(update={"university_contribution": None})})
        for case in load_cases()
    ]
    calibration = evaluate(shipped, unsaid).calibration()
    assert calibration["clear"].rate >= 0.9
    assert calibration["close_call"].rate >= 0.9


def test_choose_margin_picks_the_smallest_margin_meeting_both_targets():
    # Leads 30 and 25 are right; a lead of 12 is wrong but the truth is second; lead 5 right.
    results = [
        result("r1", "a", "clear", [("a", 80), ("b", 50)], lead=30),
        result("r2", "a", "clear", [("a", 75), ("b", 50)], lead=25),
        result("w1", "b", "clear", [("a", 62), ("b", 50)], lead=12),
        result("r3", "a", "close_call", [("a", 55), ("b", 50)], lead=5),
        result("x", "c", "insufficient_information", [("a", 50), ("b", 50), ("c", 50)], lead=0),
    ]
    choice = choose_margin(results)
    # margin 12 still calls w1 clear (2 of 3 right); 13 moves it to close_call (truth in top two).
    assert choice.margin == 13
    assert choice.clear == (2, 2)
    assert choice.close_call == (2, 2)
    assert len(choice.table) == 50


def test_choose_margin_says_when_no_margin_works():
    results = [result("w", "c", "clear", [("a", 90), ("b", 50), ("c", 40)], lead=40)]
    assert choose_margin(results, largest=45).margin is None


def test_label_reliability_sentence_is_computed_from_the_numbers(shipped):
    evaluation = evaluate(shipped, load_cases())
    reliability = label_reliability(evaluation)
    clear = evaluation.calibration()["clear"]
    assert reliability["clear"].right == clear.top1
    assert reliability["clear"].in_ten == _in_ten(clear.top1, clear.cases)
    share = catalogue("en")["reliability"]["shares"][reliability["clear"].in_ten]  # "about 9 in 10"
    assert f"right in {share} documented cases like this" in reliability["clear"].sentence
    assert f"{clear.top1} of {clear.cases}" in reliability["clear"].sentence


def test_evaluate_json_matches_the_library(shipped):
    result_ = CliRunner().invoke(cli, ["evaluate", "--format", "json"])
    assert result_.exit_code == 0, result_.output
    data = json.loads(result_.stdout)
    evaluation = evaluate(shipped, load_cases())
    assert data["cases"] == evaluation.size
    assert data["top1"] == evaluation.top1
    assert data["calibration"]["clear"]["right"] == evaluation.calibration()["clear"].right
    assert {w["id"] for w in data["wrong"]} == {r.case_id for r in evaluation.wrong()}
    assert all(len(w["top3"]) == 3 for w in data["wrong"])


def test_evaluate_text_closes_with_the_targets():
    output = CliRunner().invoke(cli, ["evaluate"]).stdout
    closing = output.split("Targets (issue 8):", 1)[1]
    assert "top-1 agreement:" in closing and "`clear` right" in closing


def test_gates_exit_1_below_and_0_above():
    runner = CliRunner()
    assert runner.invoke(cli, ["evaluate", "--min-top1", "0.01", "--min-clear", "0.5"]).exit_code == 0
    failed = runner.invoke(cli, ["evaluate", "--min-top1", "1.0"])
    assert failed.exit_code == 1
    assert "gate failed: top-1 agreement" in failed.stderr


def test_evaluate_a_custom_case_file(tmp_path):
    source = sorted((Path(__file__).resolve().parents[1] / "evaluation" / "cases").glob("te-*.yml"))[0]
    (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    data = json.loads(CliRunner().invoke(cli, ["evaluate", str(tmp_path), "--format", "json"]).stdout)
    assert data["cases"] == 1
    assert data["by_mode"]["technology_equity"]["cases"] == 1


@pytest.mark.parametrize(
    ("right", "cases", "in_ten"), [(58, 59, 9), (59, 59, 10), (0, 5, 0), (1, 40, 1), (45, 50, 9), (5, 10, 5), (0, 0, 0)]
)
def test_about_n_in_ten_never_rounds_to_always_or_never(right, cases, in_ten):
    assert _in_ten(right, cases) == in_ten
