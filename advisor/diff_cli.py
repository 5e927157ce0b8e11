"""`advisor diff`: the impact of a rule edit, before shipping it (two packs over one file).

Module level imports only click and the standard library, so `advisor --help` stays fast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from .cli import with_pack
from .evaluate_cli import percent
from .options import lang_option

if TYPE_CHECKING:
    from .pack_diff import PackDiff


def render_diff(
    diff: PackDiff, base: str, new: str, markdown: bool = False, show_ids: int = 12, lang: str = "en"
) -> str:
    """The impact of a rule edit as terminal text, or Markdown, in `lang` (catalogue section `diff`)."""
    from .catalogue import words
    from .problem_text import describe, translate

    w = words(lang, "diff")
    h1, h2 = ("# ", "## ") if markdown else ("", "")
    bullet = "- " if markdown else "  "
    lines = [h1 + str(w["title"]).format(base=base, new=new, count=len(diff.items)), ""]

    def ids(found: list[str]) -> str:
        shown = str(w["sep"]).join(found[:show_ids])
        return shown + (str(w["more"]).format(count=len(found) - show_ids) if len(found) > show_ids else "")

    def pct(value: float | None) -> str:
        return percent(value, lang)

    accuracy = diff.accuracy()
    if accuracy is not None:
        lines.append(h2 + str(w["accuracy"]).format(count=accuracy["items"]))
        lines.append("")
        lines.append(
            bullet + str(w["top1"]).format(before=pct(accuracy["top1_before"]), after=pct(accuracy["top1_after"]))
        )
        lines.append(
            bullet + str(w["top2"]).format(before=pct(accuracy["top2_before"]), after=pct(accuracy["top2_after"]))
        )
        lines.append("")
    flips = diff.flips()
    lines.append(h2 + str(w["flips"]).format(count=sum(len(v) for v in flips.values())))
    lines.append("")
    for (old, new_mode), found in flips.items():
        lines.append(bullet + str(w["change"]).format(old=old, new=new_mode, count=len(found), ids=ids(found)))
    if not flips:
        lines.append(bullet + str(w["none"]))
    lines.append("")
    decisions = diff.decision_changes()
    names = w["decision_names"]
    lines.append(h2 + str(w["decisions"]).format(count=sum(len(v) for v in decisions.values())))
    lines.append("")
    for (old, new_decision), found in decisions.items():
        change = str(w["change"]).format(
            old=names.get(old, old), new=names.get(new_decision, new_decision), count=len(found), ids=ids(found)
        )
        lines.append(bullet + change)
    if not decisions:
        lines.append(bullet + str(w["none"]))
    lines.append("")
    rules = diff.rule_changes()
    lines.append(h2 + str(w["rules"]))
    lines.append("")
    for rule, old_count, new_count in rules:
        change = f"{new_count - old_count:+d}"
        lines.append(bullet + str(w["rule_line"]).format(rule=rule, old=old_count, new=new_count, change=change))
    if not rules:
        lines.append(bullet + str(w["none"]))
    if diff.rejected:
        lines.append("")
        lines.append(h2 + str(w["rejected"]).format(count=len(diff.rejected)))
        lines.append("")
        for rejected in diff.rejected:
            where = rejected.where if rejected.number is None else str(w["row"]).format(number=rejected.number)
            if rejected.problems:
                message = str(w["problem_sep"]).join(describe(problem, lang) for problem in rejected.problems)
            else:
                message = translate(rejected.message, lang)
            lines.append(bullet + str(w["rejected_line"]).format(where=where, message=message))
    return "\n".join(lines) + "\n"


@click.command("diff")
@click.argument("file", metavar="FILE")
@click.option(
    "--base-rules",
    "base_rules_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="The rule pack to compare against (e.g. the previous release).",
)
@click.option(
    "--input-format",
    type=click.Choice(["csv", "jsonl", "json", "xlsx"]),
    help="Read FILE as proposals in this format (default: from the extension; .yml/.yaml or a folder = cases).",
)
@click.option(
    "--ignore-unknown-columns",
    is_flag=True,
    help="Leave out columns of FILE that are not profile attributes instead of stopping.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@with_pack
@lang_option("Language of the text and Markdown report (the JSON keeps ids and codes).")
def command(
    file: str,
    base_rules_dir: str,
    input_format: str | None,
    ignore_unknown_columns: bool,
    fmt: str,
    rules_dir: str | None,
    knowledge_dir: str | None,
    lang: str,
) -> None:
    """Run two rule packs over FILE and report what changes: leading-mode flips, decision changes,
    the rules whose firing changed most, and accuracy before/after when FILE says which mode is
    expected. FILE is documented cases (a folder or .yml) or proposals in any batch format (an
    optional `expected_mode` column)."""
    from .catalogue import words
    from .cli import _advisor
    from .core import Advisor
    from .pack_diff import diff_packs, load_items

    new = _advisor(rules_dir, knowledge_dir)
    base = Advisor(rules_dir=base_rules_dir, knowledge_dir=knowledge_dir)
    items, rejected = load_items(file, input_format, ignore_unknown_columns)
    diff = diff_packs(base, new, items, rejected)
    if fmt == "json":
        # NOTE: the JSON is read by scripts: its names keep the English wording
        base_name = f"{base_rules_dir} ({base.rulebook.meta.version})"
        new_name = f"{rules_dir or 'shipped rules'} ({new.rulebook.meta.version})"
        click.echo(json.dumps({"base": base_name, "new": new_name, **diff.to_dict()}, ensure_ascii=False, indent=2))
    else:
        w = words(lang, "diff")
        base_name = str(w["pack"]).format(name=base_rules_dir, version=base.rulebook.meta.version)
        new_name = str(w["pack"]).format(name=rules_dir or w["shipped"], version=new.rulebook.meta.version)
        click.echo(render_diff(diff, base_name, new_name, markdown=fmt == "markdown", lang=lang), nl=False)
