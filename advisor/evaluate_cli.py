"""`advisor evaluate`: how often the rules agree with documented cases, and whether that meets a gate.

Module level imports only click and the standard library, so `advisor --help` stays fast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from .cli import with_pack

if TYPE_CHECKING:
    from .evaluation import Evaluation, MarginChoice

#: The gates `--min-*` can set, with the figure each reads from the report.
GATES = {
    "top1": "top-1 agreement",
    "top2": "top-2 agreement",
    "clear": "`clear` right (leader is the mode used)",
    "close_call": "`close_call` with the mode used in its top two",
    "mode_top1": "lowest top-1 agreement of any mode",
}
#: The targets of issue 8, printed in the closing note.
TARGETS = {"top1": 0.85, "top2": 0.95, "clear": 0.90, "close_call": 0.90, "mode_top1": 0.60}
EXIT_BELOW_GATE = 1


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def figures(evaluation: Evaluation) -> dict[str, float | None]:
    calibration = evaluation.calibration()
    worst = evaluation.worst_mode()
    return {
        "top1": evaluation.top1,
        "top2": evaluation.top2,
        "clear": calibration["clear"].rate,
        "close_call": calibration["close_call"].rate,
        "mode_top1": worst[1] if worst else None,
    }


def _code(mode: str) -> str:
    from .cases import MODE_CODES

    return MODE_CODES.get(mode, mode)


def render_evaluation(evaluation: Evaluation, source: str, pack: str, markdown: bool = False) -> str:
    """The report as terminal text, or Markdown."""
    lines: list[str] = []
    h1, h2 = ("# ", "## ") if markdown else ("", "")
    bullet = "- " if markdown else "  "
    n = evaluation.size
    lines.append(f"{h1}Evaluation of {pack} on {n} documented cases ({source})")
    lines.append("")
    top1 = sum(r.top1 for r in evaluation.results)
    top2 = sum(r.top2 for r in evaluation.results)
    lines.append(f"{bullet}top-1 (leader is the mode used): {top1}/{n} ({percent(evaluation.top1)})")
    lines.append(f"{bullet}top-2 (mode used among the two leaders): {top2}/{n} ({percent(evaluation.top2)})")
    lines.append("")
    lines.append(f"{h2}By mode")
    lines.append("")
    if markdown:
        lines += ["| mode | cases | top-1 | top-2 |", "|---|---:|---:|---:|"]
    for mode, row in evaluation.by_mode().items():
        if markdown:
            lines.append(
                f"| {mode} | {row['cases']} | {row['top1']} ({percent(row['top1_rate'])}) "
                f"| {row['top2']} ({percent(row['top2_rate'])}) |"
            )
        else:
            lines.append(
                f"  {mode:<26}{row['cases']:>3} cases   top-1 {row['top1']:>2} ({percent(row['top1_rate']):>6})"
                f"   top-2 {row['top2']:>2} ({percent(row['top2_rate']):>6})"
            )
    lines.append("")
    lines.append(f"{h2}Confusion matrix (rows: mode used; columns: leading mode)")
    lines.append("")
    codes = [_code(mode) for mode in evaluation.modes]
    confusion = evaluation.confusion()
    if markdown:
        lines += ["| used \\ led | " + " | ".join(codes) + " |", "|---|" + "---:|" * len(codes)]
        for mode, row in confusion.items():
            lines.append(f"| {_code(mode)} | " + " | ".join(str(row[m]) for m in evaluation.modes) + " |")
    else:
        lines.append("        " + "".join(f"{code:>4}" for code in codes))
        for mode, row in confusion.items():
            lines.append(f"    {_code(mode):<4}" + "".join(f"{row[m]:>4}" for m in evaluation.modes))
    lines.append("")
    lines.append(f"{h2}Calibration of the decision labels")
    lines.append("")
    for decision, cal in evaluation.calibration().items():
        promise = "leader is the mode used" if cal.measure == "top1" else "mode used in the top two"
        lines.append(
            f"{bullet}{decision}: {cal.cases} decisions; {promise}: {cal.right} ({percent(cal.rate)})"
            f"; top-1 {cal.top1}, top-2 {cal.top2}"
        )
    wrong = evaluation.wrong()
    lines.append("")
    lines.append(f"{h2}Cases whose leader is not the mode used ({len(wrong)})")
    lines.append("")
    for result in wrong:
        top3 = ", ".join(f"{_code(mode)} {score}" for mode, score in result.ranking[:3])
        lines.append(
            f"{bullet}{result.case_id}: used {_code(result.truth)} (ranked {result.rank_of_truth}); "
            f"{result.decision}; top three: {top3}"
        )
    lines.append("")
    lines.append(f"{h2}Targets" if markdown else "Targets (issue 8):")
    if markdown:
        lines.append("")
    values = figures(evaluation)
    for gate, target in TARGETS.items():
        value = values[gate]
        met = value is not None and value >= target
        lines.append(
            f"{bullet}{GATES[gate]}: {percent(value)} (target >= {percent(target)}) {'met' if met else 'NOT MET'}"
        )
    return "\n".join(lines) + "\n"


def render_calibration(choice: MarginChoice, current: float) -> str:
    lines = ["", "Calibration of the close-call margin (smallest margin meeting both 90% targets):"]
    lines.append("  margin  clear right/cases  close_call top-2/cases")
    for margin, right, clear, top2, close in choice.table:
        if clear == 0 and close == 0:
            continue
        mark = "  <- chosen" if margin == choice.margin else ("  <- the pack's" if margin == current else "")
        lines.append(f"  {margin:>6}  {right:>5}/{clear:<5}          {top2:>5}/{close:<5}{mark}")
        if choice.margin is not None and margin > choice.margin + 5 and margin != current:
            break
    if choice.margin is None:
        lines.append("  no margin meets both targets on this set")
    else:
        lines.append(f"  chosen: {choice.margin} (the pack has {current:g})")
    return "\n".join(lines) + "\n"


@click.command("evaluate")
@click.argument("cases", metavar="[CASES]", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--min-top1", type=click.FloatRange(0, 1), help="Exit 1 if top-1 agreement is below this (e.g. 0.85).")
@click.option("--min-top2", type=click.FloatRange(0, 1), help="Exit 1 if top-2 agreement is below this.")
@click.option("--min-clear", type=click.FloatRange(0, 1), help="Exit 1 if `clear` is right less often than this.")
@click.option(
    "--min-close-call",
    type=click.FloatRange(0, 1),
    help="Exit 1 if `close_call` holds the truth in its top two less often.",
)
@click.option(
    "--min-mode-top1", type=click.FloatRange(0, 1), help="Exit 1 if any mode's top-1 agreement is below this."
)
@click.option(
    "--calibrate", is_flag=True, help="Also derive the close-call margin from the cases (docs/evaluation.md)."
)
@with_pack
def command(
    cases: str | None,
    fmt: str,
    min_top1: float | None,
    min_top2: float | None,
    min_clear: float | None,
    min_close_call: float | None,
    min_mode_top1: float | None,
    calibrate: bool,
    rules_dir: str | None,
    knowledge_dir: str | None,
) -> None:
    """Measure the advice against documented cases (CASES: a folder of case files or one YAML
    file; default: the shipped set): top-1 / top-2 agreement, a confusion matrix, the calibration
    of each decision label and the cases it gets wrong. The --min-* options make it a gate."""
    from .cases import default_cases_dir, load_cases
    from .cli import _advisor
    from .evaluation import choose_margin, evaluate

    advisor = _advisor(rules_dir, knowledge_dir)
    source = cases or str(default_cases_dir())
    evaluation = evaluate(advisor, load_cases(cases))
    pack = f"rulebook {advisor.rulebook.meta.name} {advisor.rulebook.meta.version}"
    choice = choose_margin(evaluation.results) if calibrate else None
    if fmt == "json":
        data: dict[str, Any] = {"source": source, "rulebook": pack, **evaluation.to_dict()}
        data["targets"] = {gate: {"target": TARGETS[gate], "value": v} for gate, v in figures(evaluation).items()}
        if choice is not None:
            data["calibration_choice"] = {
                "margin": choice.margin,
                "clear": list(choice.clear),
                "close_call": list(choice.close_call),
                "pack_margin": advisor.rulebook.meta.scoring.close_call_margin,
            }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_evaluation(evaluation, source, pack, markdown=fmt == "markdown"), nl=False)
        if choice is not None:
            click.echo(render_calibration(choice, advisor.rulebook.meta.scoring.close_call_margin), nl=False)
    gates = {"top1": min_top1, "top2": min_top2, "clear": min_clear, "close_call": min_close_call}
    gates["mode_top1"] = min_mode_top1
    values = figures(evaluation)
    failed = [
        f"{GATES[gate]} is {percent(values[gate])}, below {percent(minimum)}"
        for gate, minimum in gates.items()
        if minimum is not None and ((value := values[gate]) is None or value < minimum)
    ]
    for message in failed:
        click.echo(f"gate failed: {message}", err=True)
    if failed:
        raise SystemExit(EXIT_BELOW_GATE)
