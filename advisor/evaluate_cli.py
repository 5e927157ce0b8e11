"""`advisor evaluate`: how often the rules agree with documented cases, and whether that meets a gate.

Module level imports only click and the standard library, so `advisor --help` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from .cli import with_pack
from .options import lang_option

if TYPE_CHECKING:
    from .evaluation import Evaluation, MarginChoice

#: The targets of issue 8, printed in the closing note.
TARGETS = {"top1": 0.85, "top2": 0.95, "clear": 0.90, "close_call": 0.90, "mode_top1": 0.60}
EXIT_BELOW_GATE = 1


def percent(value: float | None, lang: str = "en") -> str:
    from .catalogue import words

    return str(words(lang, "evaluate")["not_available"]) if value is None else f"{100 * value:.1f}%"


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


def render_evaluation(
    evaluation: Evaluation,
    source: str,
    pack: str,
    markdown: bool = False,
    lang: str = "en",
    mode_names: Mapping[str, str] | None = None,
) -> str:
    """The report as terminal text, or Markdown, in `lang` (catalogue section `evaluate`; its
    templates may show a mode by its id, its name in `lang` from `mode_names`, or both)."""
    from .catalogue import words

    w = words(lang, "evaluate")

    def pct(value: float | None) -> str:
        return percent(value, lang)

    lines: list[str] = []
    h1, h2 = ("# ", "## ") if markdown else ("", "")
    bullet = "- " if markdown else "  "
    n = evaluation.size
    lines.append(h1 + str(w["title"]).format(pack=pack, count=n, source=source))
    lines.append("")
    top1 = sum(r.top1 for r in evaluation.results)
    top2 = sum(r.top2 for r in evaluation.results)
    lines.append(bullet + str(w["top1"]).format(hits=top1, count=n, rate=pct(evaluation.top1)))
    lines.append(bullet + str(w["top2"]).format(hits=top2, count=n, rate=pct(evaluation.top2)))
    lines.append("")
    lines.append(h2 + str(w["by_mode"]))
    lines.append("")
    if markdown:
        lines += [str(w["table_head"]), "|---|---:|---:|---:|"]
    for mode, row in evaluation.by_mode().items():
        cells = {
            "mode": mode,
            "name": (mode_names or {}).get(mode, mode),
            "cases": row["cases"],
            "top1": row["top1"],
            "top1_rate": pct(row["top1_rate"]),
            "top2": row["top2"],
            "top2_rate": pct(row["top2_rate"]),
        }
        lines.append(str(w["table_row" if markdown else "mode_row"]).format(**cells))
    lines.append("")
    lines.append(h2 + str(w["confusion"]))
    lines.append("")
    codes = [_code(mode) for mode in evaluation.modes]
    confusion = evaluation.confusion()
    if markdown:
        lines += [f"| {w['corner']} | " + " | ".join(codes) + " |", "|---|" + "---:|" * len(codes)]
        for mode, row in confusion.items():
            lines.append(f"| {_code(mode)} | " + " | ".join(str(row[m]) for m in evaluation.modes) + " |")
    else:
        lines.append("        " + "".join(f"{code:>4}" for code in codes))
        for mode, row in confusion.items():
            lines.append(f"    {_code(mode):<4}" + "".join(f"{row[m]:>4}" for m in evaluation.modes))
    lines.append("")
    lines.append(h2 + str(w["calibration"]))
    lines.append("")
    decisions = w["decisions"]
    for decision, cal in evaluation.calibration().items():
        promise = w["promise_top1"] if cal.measure == "top1" else w["promise_top2"]
        line = str(w["calibration_line"]).format(
            decision=decisions.get(decision, decision),
            cases=cal.cases,
            promise=promise,
            right=cal.right,
            rate=pct(cal.rate),
            top1=cal.top1,
            top2=cal.top2,
        )
        lines.append(bullet + line)
    wrong = evaluation.wrong()
    lines.append("")
    lines.append(h2 + str(w["wrong"]).format(count=len(wrong)))
    lines.append("")
    for result in wrong:
        top3 = str(w["sep"]).join(
            str(w["ranked"]).format(mode=_code(mode), score=score) for mode, score in result.ranking[:3]
        )
        line = str(w["wrong_line"]).format(
            case=result.case_id,
            truth=_code(result.truth),
            rank=result.rank_of_truth,
            decision=decisions.get(result.decision, result.decision),
            top3=top3,
        )
        lines.append(bullet + line)
    lines.append("")
    lines.append(h2 + str(w["targets"]) if markdown else str(w["targets_text"]))
    if markdown:
        lines.append("")
    values = figures(evaluation)
    for gate, target in TARGETS.items():
        value = values[gate]
        met = value is not None and value >= target
        line = str(w["target_line"]).format(
            gate=w["gates"][gate], value=pct(value), target=pct(target), met=w["met"] if met else w["not_met"]
        )
        lines.append(bullet + line)
    return "\n".join(lines) + "\n"


def render_calibration(choice: MarginChoice, current: float, lang: str = "en") -> str:
    from .catalogue import words

    w = words(lang, "evaluate")
    lines = ["", str(w["margin_title"]), str(w["margin_head"])]
    for margin, right, clear, top2, close in choice.table:
        if clear == 0 and close == 0:
            continue
        mark = w["chosen_mark"] if margin == choice.margin else (w["pack_mark"] if margin == current else "")
        lines.append(
            str(w["margin_row"]).format(margin=margin, right=right, clear=clear, top2=top2, close=close, mark=mark)
        )
        if choice.margin is not None and margin > choice.margin + 5 and margin != current:
            break
    if choice.margin is None:
        lines.append(str(w["no_margin"]))
    else:
        lines.append(str(w["chosen"]).format(margin=choice.margin, current=f"{current:g}"))
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
@lang_option("Language of the text and Markdown report (the JSON keeps ids and codes).")
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
    lang: str,
) -> None:
    """Measure the advice against documented cases (CASES: a folder of case files or one YAML
    file; default: the shipped set): top-1 / top-2 agreement, a confusion matrix, the calibration
    of each decision label and the cases it gets wrong. The --min-* options make it a gate."""
    from .cases import default_cases_dir, load_cases
    from .catalogue import words
    from .cli import _advisor
    from .evaluation import choose_margin, evaluate
    from .texts import name_in

    advisor = _advisor(rules_dir, knowledge_dir)
    source = cases or str(default_cases_dir())
    evaluation = evaluate(advisor, load_cases(cases))
    w = words(lang, "evaluate")
    meta = advisor.rulebook.meta
    # NOTE: the JSON's "rulebook" is read by scripts: it keeps the English wording
    pack = f"rulebook {meta.name} {meta.version}"
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
        named = str(w["pack"]).format(name=meta.name, version=meta.version)
        names = {mode_id: name_in(mode, lang) for mode_id, mode in advisor.knowledge.modes.items()}
        report = render_evaluation(evaluation, source, named, fmt == "markdown", lang, names)
        click.echo(report, nl=False)
        if choice is not None:
            click.echo(render_calibration(choice, meta.scoring.close_call_margin, lang), nl=False)
    gates = {"top1": min_top1, "top2": min_top2, "clear": min_clear, "close_call": min_close_call}
    gates["mode_top1"] = min_mode_top1
    values = figures(evaluation)
    failed = [
        str(w["gate_failed"]).format(
            gate=w["gates"][gate], value=percent(values[gate], lang), minimum=percent(minimum, lang)
        )
        for gate, minimum in gates.items()
        if minimum is not None and ((value := values[gate]) is None or value < minimum)
    ]
    for message in failed:
        click.echo(message, err=True)
    if failed:
        raise SystemExit(EXIT_BELOW_GATE)
