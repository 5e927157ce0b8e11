"""The figures of a batch run, for people: the portfolio report (HTML), the Markdown summary and
the workbook's Summary sheet all read one `Figures`, so their numbers are the same.

`Figures` is built once from the batch's `Tally` (counts only: its memory does not grow with the
number of rows) and the advisor's knowledge, in one language; the wording comes from the
catalogues (advisor/locales, sections `batch` and `portfolio`).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .catalogue import attribute_label, words
from .problem_text import field_name, stream_name
from .texts import name_in

if TYPE_CHECKING:
    from .batch import DuplicateIds, Tally
    from .core import Advisor

DECISIONS = ("clear", "close_call", "insufficient_information")
SEVERITIES = ("high", "medium", "low")
DECISION_COLOURS = {"clear": "#2e7d32", "close_call": "#ef6c00", "insufficient_information": "#8a8a8a"}
SEVERITY_COLOURS = {"high": "#c62828", "medium": "#ef6c00", "low": "#8a8a8a"}
GROUPS_SHOWN = 12  # small multiples drawn per --group-by column; the rest are summed in a line
NEVER_FIRED_SHOWN = 200


def counted(phrase: Any, n: int) -> str:
    """A phrase with its count, in the right grammatical number: `{one: "{n} proposal", other:
    "{n} proposals"}` gives "1 proposal" and "1,234 proposals"; a plain phrase takes {n} as is."""
    if isinstance(phrase, Mapping):
        phrase = phrase["one"] if n == 1 else phrase["other"]
    return str(phrase).format_map(_Keep(n=f"{n:,}"))


class _Keep(dict[str, str]):
    """Placeholders other than {n} stay as they are, for the caller to fill."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "–"


def _other_name(record: Any, lang: str) -> str:
    return str(record.name if lang == "zh" else getattr(record, "name_zh", ""))


def _text(value: Any, lang: str) -> str:
    """A rule's or record's text, plain or per language (LocalText, {en: ..., zh: ...})."""
    if hasattr(value, "get") and not isinstance(value, str):
        try:
            return str(value.get(lang))
        except TypeError:
            pass
    return "" if value is None else str(value)


def _rule_text(rule: Any, lang: str) -> str:
    """What a rule says, without its placeholders: "The work goes through pilot scale (…) but ..."."""
    text = _text(getattr(rule, "message", None), lang) or _text(rule.name, lang)
    return re.sub(r"\{[^{}]*\}", "…", text)


@dataclass
class ModeRow:
    id: str | None
    name: str
    other_name: str
    count: int
    share: str
    colour: str = "#1565c0"


@dataclass
class DecisionRow:
    id: str
    name: str
    count: int
    share: str
    colour: str


@dataclass
class DifficultyRow:
    id: str
    name: str
    other_name: str
    count: int
    share: str
    by_severity: dict[str, int]
    worst: str


@dataclass
class ReviewRow:
    row: int
    id: str
    title: str
    decision: str
    decision_name: str
    leader: str
    leader_score: int | str
    runner: str
    runner_score: int | str
    why: str


@dataclass
class GroupCell:
    value: str
    total: int
    modes: list[tuple[str, str, int]]  # (mode name, its shortened form, proposals) in knowledge order
    decisions: dict[str, int]


@dataclass
class Breakdown:
    column: str
    groups: list[GroupCell]
    other_values: int = 0
    other_count: int = 0
    scale: int = 1  # the largest bar of the column's small multiples


@dataclass
class RuleRow:
    id: str
    name: str
    count: int
    share: str
    percent: float


@dataclass
class Figures:
    """Everything the report, the summary and the Summary sheet say about one run."""

    lang: str
    source: str
    output: str
    read: int
    scored: int
    rejected: int
    duplicate_rows: int
    duplicate_ids: int
    decisions: list[DecisionRow]
    modes: list[ModeRow]
    difficulties: list[DifficultyRow]
    review: list[ReviewRow]
    review_count: int
    breakdowns: list[Breakdown]
    rules: list[RuleRow]
    never_fired: list[str]
    close_pairs: list[tuple[str, str, int]]
    close_examples: list[tuple[int, str, str, str, str]]
    rejected_fields: list[tuple[str, int]]
    duplicates_text: str = ""
    mode_names: dict[str, str] = field(default_factory=dict)

    @property
    def modes_by_count(self) -> list[ModeRow]:
        return sorted((m for m in self.modes if m.count or m.id is not None), key=lambda m: -m.count)


def build_figures(
    tally: Tally,
    advisor: Advisor,
    duplicates: DuplicateIds | None,
    *,
    lang: str = "en",
    source: str = "",
    output: str = "",
) -> Figures:
    """The figures of a run in `lang`, from its tally."""
    knowledge = advisor.knowledge
    w = words(lang, "portfolio")
    decision_words = words(lang, "report")["decisions"]
    scored = tally.scored
    decisions_count = tally.decisions
    decisions = [
        DecisionRow(d, decision_words[d], decisions_count.get(d, 0), share(decisions_count.get(d, 0), scored), c)
        for d, c in DECISION_COLOURS.items()
    ]
    mode_names = {mode_id: name_in(record, lang) for mode_id, record in knowledge.modes.items()}
    counts = tally.modes
    modes = [
        ModeRow(mode_id, mode_names[mode_id], _other_name(record, lang), counts.get(mode_id, 0), "")
        for mode_id, record in knowledge.modes.items()
    ]
    for other, count in counts.items():
        if other not in knowledge.modes:
            name = w["no_leader"] if other is None else str(other)
            modes.append(ModeRow(other, name, "", count, "", "#8a8a8a"))
    for mode in modes:
        mode.share = share(mode.count, scored)
    difficulties = []
    severities = tally.severities
    for difficulty_id, count in tally.difficulties.most_common():
        record = knowledge.difficulties.get(difficulty_id)
        by_severity = {s: severities.get((difficulty_id, s), 0) for s in SEVERITIES}
        worst = next((s for s in SEVERITIES if by_severity[s]), "low")
        difficulties.append(
            DifficultyRow(
                difficulty_id,
                name_in(record, lang) if record else difficulty_id,
                _other_name(record, lang) if record else "",
                count,
                share(count, scored),
                by_severity,
                worst,
            )
        )
    difficulty_names = {d.id: d.name for d in difficulties}
    sep = "、" if lang == "zh" else ", "
    review = []
    for number, ident, title, outcome, high in tally.review:
        runner = outcome.runner_up
        reasons = []
        if outcome.decision != "clear":
            reasons.append(decision_words[outcome.decision])
        if high:
            reasons.append(w["high"].format(names=sep.join(difficulty_names.get(d, d) for d in high)))
        review.append(
            ReviewRow(
                number,
                ident,
                title,
                outcome.decision,
                decision_words[outcome.decision],
                mode_names.get(outcome.leading_mode or "", w["no_leader"]),
                outcome.leading_score,
                mode_names.get(runner[0], runner[0]) if runner else "",
                runner[1] if runner else "",
                ("；" if lang == "zh" else "; ").join(reasons),
            )
        )
    labels = advisor.scorer.value_labels
    breakdowns = [
        _breakdown(
            attribute_label(attribute, lang) if attribute else column,
            groups,
            tally.OTHER,
            mode_names,
            w,
            _value_namer(attribute, labels, lang),
        )
        for column, groups, attribute in zip(tally.group_by, tally.groups, tally.group_attributes, strict=True)
    ]
    rule_names = {rule_id: _rule_text(rule, lang) for rule_id, rule in advisor.rulebook.rules.items()}
    rules = [
        RuleRow(
            rule_id, rule_names.get(rule_id, ""), count, share(count, scored), 100 * count / scored if scored else 0
        )
        for rule_id, count in sorted(tally.rules.items(), key=lambda item: (-item[1], item[0]))
    ]
    never = sorted(rule_id for rule_id in advisor.rulebook.rules if not tally.rules.get(rule_id))
    pairs = [(mode_names.get(a, a), mode_names.get(b, b), n) for (a, b), n in tally.close_pairs.most_common()]
    scored_as = "{name}（{score} 分）" if lang == "zh" else "{name} ({score})"
    examples = [
        (
            number,
            ident,
            title,
            scored_as.format(name=mode_names.get(a, a), score=s),
            scored_as.format(name=mode_names.get(b, b), score=t),
        )
        for number, ident, title, (a, s), (b, t) in tally.close_examples
    ]
    return Figures(
        lang=lang,
        source=stream_name(source, lang),
        output=stream_name(output, lang),
        read=tally.read,
        scored=scored,
        rejected=tally.rejected,
        duplicate_rows=duplicates.duplicate_rows if duplicates else 0,
        duplicate_ids=duplicates.duplicate_ids if duplicates else 0,
        decisions=decisions,
        modes=modes,
        difficulties=difficulties,
        review=review,
        review_count=tally.review_count,
        breakdowns=breakdowns,
        rules=rules,
        never_fired=never,
        close_pairs=pairs,
        close_examples=examples,
        rejected_fields=tally.rejected_fields.most_common(),
        duplicates_text=duplicates.describe(20, lang) if duplicates and duplicates.duplicate_ids else "",
        mode_names=mode_names,
    )


def _value_namer(attribute: str | None, labels: Mapping[str, Any], lang: str) -> Any:
    """How a group's value reads: an attribute's value as its label in `lang` (中型企业), a
    yes/no as such; a carried column's text as it is."""
    from .scoring import format_value

    if attribute is None:
        return lambda value: value
    choices = labels.get(attribute, {})

    def name(value: str) -> str:
        if value in ("true", "false"):
            label = choices.get(value == "true", {}).get(lang)
            return str(label or format_value(value == "true", lang))
        parts = value.split(";") if value else []
        shown = [str(choices.get(part, {}).get(lang) or part) for part in parts]
        return ("、" if lang == "zh" else ", ").join(shown)

    return name


def _breakdown(
    column: str,
    groups: dict[str, Any],
    other_key: str,
    mode_names: dict[str, str],
    w: Mapping[str, Any],
    value_name: Any,
) -> Breakdown:
    totals = []
    for value, cells in groups.items():
        totals.append((sum(cells.values()), value, cells))
    totals.sort(key=lambda item: (-item[0], item[1] == other_key, item[1]))
    shown = [item for item in totals if item[1] != other_key][:GROUPS_SHOWN]
    rest = [item for item in totals if item not in shown]
    cells_out = []
    for total, value, cells in shown:
        by_mode: dict[str, int] = dict.fromkeys(mode_names, 0)
        by_decision: dict[str, int] = dict.fromkeys(DECISIONS, 0)
        for (leader, decision), n in cells.items():
            by_mode[leader if leader in by_mode else ""] = by_mode.get(leader if leader in by_mode else "", 0) + n
            by_decision[decision] = by_decision.get(decision, 0) + n
        modes = [
            (name, _shortened(name), n)
            for m, n in by_mode.items()
            if m in mode_names or n
            for name in [mode_names.get(m, w["no_leader"])]
        ]
        cells_out.append(GroupCell(value_name(value) if value else w["blank_value"], total, modes, by_decision))
    # NOTE: values beyond Tally.GROUP_VALUES were counted as one; they are "other values" too,
    # counted as at least one value (how many distinct ones there were is not kept).
    other_values = sum(1 for _, value, _ in rest if value != other_key) + (
        1 if any(value == other_key for _, value, _ in rest) else 0
    )
    scale = max((n for cell in cells_out for _, _, n in cell.modes), default=1) or 1
    return Breakdown(column, cells_out, other_values, sum(total for total, _, _ in rest), scale)


def _text_width(text: str, per_char: float) -> float:
    """About how wide a text is drawn: wide (CJK) characters count twice."""
    return sum(2 * per_char if ord(char) > 0x2E7F else per_char for char in text)


def _shortened(name: str, width: int = 36) -> str:
    """A name that fits a small multiple's label (wide characters count twice)."""
    used = 0
    for index, char in enumerate(name):
        used += 2 if ord(char) > 0x2E7F else 1
        if used > width:
            return name[:index].rstrip(" (–-") + "…"
    return name


# -- the Markdown summary ------------------------------------------------------------------------


def _cell(text: object) -> str:
    return " ".join(str(text).replace("|", "\\|").split())


def summary_markdown(figures: Figures, pairs_shown: int = 10) -> str:
    """The batch summary as Markdown in the figures' language: counts, leading modes,
    difficulties, close calls, rejected fields, duplicate ids."""
    b = words(figures.lang, "batch")
    n = figures
    decisions = {d.id: d.count for d in n.decisions}
    lines = [b["summary_title"].format(source=n.source), ""]
    lines[0] = "# " + lines[0]
    number = b["number"]
    lines.append(
        b["totals"].format(
            read=counted(b["proposals"], n.read), scored=counted(number, n.scored), rejected=counted(number, n.rejected)
        )
        + ("" if n.lang == "zh" else " ")
        + b["decision_line"].format(
            clear=counted(number, decisions["clear"]),
            close_calls=counted(b["close_calls"], decisions["close_call"]),
            insufficient=counted(number, decisions["insufficient_information"]),
        )
    )
    lines += ["", f"## {b['leading_mode']}", "", f"| {b['mode']} | {b['other_mode']} | {b['count']} | {b['share']} |"]
    lines.append("|---|---|---:|---:|")
    for mode in n.modes:
        lines.append(f"| {_cell(mode.name)} | {_cell(mode.other_name)} | {mode.count:,} | {mode.share} |")
    lines += ["", f"## {b['difficulties_raised']}", ""]
    if n.difficulties:
        lines += [
            f"| {b['difficulty']} | {b['other_difficulty']} | {b['count']} | {b['share']} |",
            "|---|---|---:|---:|",
        ]
        for d in n.difficulties:
            lines.append(f"| {_cell(d.name)} | {_cell(d.other_name)} | {d.count:,} | {d.share} |")
    else:
        lines.append(b["no_difficulties"])
    lines += ["", f"## {b['close_calls_heading']}", ""]
    if n.close_pairs:
        lines.append(counted(b["close_intro"], decisions["close_call"]))
        lines += ["", f"| {b['leader']} | {b['runner_up']} | {b['count']} |", "|---|---|---:|"]
        for leader, runner, count in n.close_pairs[:pairs_shown]:
            lines.append(f"| {_cell(leader)} | {_cell(runner)} | {count:,} |")
        if len(n.close_pairs) > pairs_shown:
            rest = sum(count for _, _, count in n.close_pairs[pairs_shown:])
            lines.append(f"| {counted(b['other_pairs'], len(n.close_pairs) - pairs_shown)} | | {rest:,} |")
        shown = len(n.close_examples)
        intro = (
            counted(b["examples_all"], shown)
            if shown == decisions["close_call"]
            else counted(b["examples_first"], shown)
        )
        lines += [
            "",
            intro,
            "",
            f"| {b['row']} | {b['id']} | {b['title']} | {b['leader_score']} | {b['runner_score']} |",
            "|---:|---|---|---|---|",
        ]
        for number, ident, title, leader, runner in n.close_examples:
            lines.append(f"| {number} | {_cell(ident)} | {_cell(title)} | {_cell(leader)} | {_cell(runner)} |")
    else:
        lines.append(b["none"])
    if n.rejected:
        lines += ["", f"## {b['rejected_heading']}", "", f"| {b['field']} | {b['problems']} |", "|---|---:|"]
        for name, count in n.rejected_fields:
            lines.append(f"| {_cell(field_name(name, n.lang))} | {count:,} |")  # 企业规模（enterprise_size）
    if n.duplicate_ids:
        lines += [
            "",
            f"## {b['duplicates_heading']}",
            "",
            counted(b["duplicates_line"], n.duplicate_ids)
            .replace("{repeats}", counted(b["repeats"], n.duplicate_rows))
            .replace("{examples}", n.duplicates_text),
        ]
    return "\n".join(lines) + "\n"


# -- the HTML report ---------------------------------------------------------------------------


def render_portfolio_html(figures: Figures, advisor: Advisor, today: datetime.date | None = None) -> str:
    """The portfolio report: one self-contained HTML page (inline CSS and SVG; a small inline
    script sorts the review table, and the page reads the same without it)."""
    from .report import _environment

    lang = figures.lang
    w = words(lang, "portfolio")
    date = (today or datetime.date.today()).isoformat()
    bar_rows = figures.modes_by_count
    top = max((m.count for m in bar_rows), default=0) or 1
    decision_total = sum(d.count for d in figures.decisions) or 1
    segments = []
    x = 0.0
    for d in figures.decisions:
        width = 640 * d.count / decision_total
        label = f"{d.name} {d.share}"
        if _text_width(label, 7.5) + 12 > width:
            label = d.share if _text_width(d.share, 7.5) + 12 <= width else ""
        segments.append((d, round(x, 1), round(width, 1), label))
        x += width
    rules_shown = figures.rules
    versions = {
        "knowledge": advisor.knowledge.version,
        "rulebook": f"{advisor.rulebook.meta.name} {advisor.rulebook.meta.version}",
        "advisor": advisor.version,
    }
    template = _environment().get_template("portfolio.html.j2")
    return template.render(
        f=figures,
        w=w,
        r=words(lang, "report"),
        lang=lang,
        date=date,
        bars=bar_rows,
        top=top,
        segments=segments,
        rules=rules_shown,
        never=figures.never_fired[:NEVER_FIRED_SHOWN],
        never_more=max(0, len(figures.never_fired) - NEVER_FIRED_SHOWN),
        counted=counted,
        versions=versions,
        sep="、" if lang == "zh" else ", ",
        ceil=math.ceil,
    )


def figure_rows(figures: Figures) -> list[tuple[str, int]]:
    """The headline figures as (label, value) pairs, for the workbook's Summary sheet."""
    w = words(figures.lang, "portfolio")
    rows: list[tuple[str, int]] = [
        (w["read"], figures.read),
        (w["scored"], figures.scored),
        (w["rejected"], figures.rejected),
        (w["duplicates"], figures.duplicate_rows),
    ]
    rows += [(d.name, d.count) for d in figures.decisions]
    rows.append((w["review"], figures.review_count))
    return rows
