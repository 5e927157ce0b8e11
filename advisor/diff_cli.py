"""`advisor diff`: the impact of a rule edit, before shipping it (two packs over one file).

Module level imports only click and the standard library, so `advisor --help` stays fast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from .cli import with_pack
from .evaluate_cli import percent

if TYPE_CHECKING:
    from .pack_diff import PackDiff


def render_diff(diff: PackDiff, base: str, new: str, markdown: bool = False, show_ids: int = 12) -> str:
    h1, h2 = ("# ", "## ") if markdown else ("", "")
    bullet = "- " if markdown else "  "
    lines = [f"{h1}Rule pack diff: {base} -> {new} on {len(diff.items)} items", ""]

    def ids(found: list[str]) -> str:
        shown = ", ".join(found[:show_ids])
        return shown + (f", ... (+{len(found) - show_ids})" if len(found) > show_ids else "")

    accuracy = diff.accuracy()
    if accuracy is not None:
        lines.append(f"{h2}Agreement with the expected modes ({accuracy['items']} items)")
        lines.append("")
        lines.append(f"{bullet}top-1: {percent(accuracy['top1_before'])} -> {percent(accuracy['top1_after'])}")
        lines.append(f"{bullet}top-2: {percent(accuracy['top2_before'])} -> {percent(accuracy['top2_after'])}")
        lines.append("")
    flips = diff.flips()
    lines.append(f"{h2}Leading mode flips ({sum(len(v) for v in flips.values())})")
    lines.append("")
    for (old, new_mode), found in flips.items():
        lines.append(f"{bullet}{old} -> {new_mode}: {len(found)} ({ids(found)})")
    if not flips:
        lines.append(f"{bullet}none")
    lines.append("")
    decisions = diff.decision_changes()
    lines.append(f"{h2}Decision changes ({sum(len(v) for v in decisions.values())})")
    lines.append("")
    for (old, new_decision), found in decisions.items():
        lines.append(f"{bullet}{old} -> {new_decision}: {len(found)} ({ids(found)})")
    if not decisions:
        lines.append(f"{bullet}none")
    lines.append("")
    rules = diff.rule_changes()
    lines.append(f"{h2}Rules whose firing count changed most")
    lines.append("")
    for rule, old_count, new_count in rules:
        lines.append(f"{bullet}{rule}: {old_count} -> {new_count} ({new_count - old_count:+d})")
    if not rules:
        lines.append(f"{bullet}none")
    if diff.rejected:
        lines.append("")
        lines.append(f"{h2}Rows left out ({len(diff.rejected)})")
        lines.append("")
        for rejected in diff.rejected:
            lines.append(f"{bullet}{rejected.where}: {rejected.message}")
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
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@with_pack
def command(
    file: str,
    base_rules_dir: str,
    input_format: str | None,
    fmt: str,
    rules_dir: str | None,
    knowledge_dir: str | None,
) -> None:
    """Run two rule packs over FILE and report what changes: leading-mode flips, decision changes,
    the rules whose firing changed most, and accuracy before/after when FILE says which mode is
    expected. FILE is documented cases (a folder or .yml) or proposals in any batch format (an
    optional `expected_mode` column)."""
    from .cli import _advisor
    from .core import Advisor
    from .pack_diff import diff_packs, load_items

    new = _advisor(rules_dir, knowledge_dir)
    base = Advisor(rules_dir=base_rules_dir, knowledge_dir=knowledge_dir)
    items, rejected = load_items(file, input_format)
    diff = diff_packs(base, new, items, rejected)
    base_name = f"{base_rules_dir} ({base.rulebook.meta.version})"
    new_name = f"{rules_dir or 'shipped rules'} ({new.rulebook.meta.version})"
    if fmt == "json":
        click.echo(json.dumps({"base": base_name, "new": new_name, **diff.to_dict()}, ensure_ascii=False, indent=2))
    else:
        click.echo(render_diff(diff, base_name, new_name, markdown=fmt == "markdown"), nl=False)
