"""The `advisor` command line: parses, calls the library, formats, and maps errors to exit codes.

Exit codes: 0 success; 1 the rule pack has problems (`validate`, or a broken --rules/--knowledge);
2 usage error (unknown option, unknown mode or rule id); 3 bad input (missing, empty or malformed
file, invalid profile); 4 `batch` rejected rows; 70 internal error (a bug: please report it);
130 `ask` interrupted by Ctrl-C.
NOTE: heavy imports (pydantic, durable-rules) happen inside the commands so `advisor --help` is fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import traceback
from typing import Any

import click

EXIT_PACK, EXIT_USAGE, EXIT_INPUT, EXIT_INTERNAL = 1, 2, 3, 70


# The surfaces that live in modules of their own, each defining a click command named `command`.
# NOTE: loaded on demand so `advisor --help` stays fast; those modules import heavy libraries
# (FastAPI, openpyxl, ...) inside their functions, not at module level.
SURFACE_MODULES = {
    "ask": "advisor.questionnaire",
    "batch": "advisor.batch",
    "serve": "advisor.service",
    "evaluate": "advisor.evaluate_cli",
    "diff": "advisor.diff_cli",
}


class AdvisorGroup(click.Group):
    """Turns the advisor's own errors into one clear message and an exit code, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = [name for name, module in SURFACE_MODULES.items() if importlib.util.find_spec(module)]
        return sorted(set(super().list_commands(ctx)) | set(available))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = SURFACE_MODULES.get(name)
        if module is not None and importlib.util.find_spec(module):
            return importlib.import_module(module).command
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        from .errors import InputError, ProfileError, RulePackError

        try:
            return super().invoke(ctx)
        except ProfileError as error:
            source = f"{error.source}: " if error.source else ""
            click.echo(f"error: {source}invalid profile", err=True)
            for problem in error.problems:
                click.echo(f"  {problem.describe()}", err=True)
            ctx.exit(EXIT_INPUT)
        except InputError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(EXIT_INPUT)
        except RulePackError as error:
            click.echo("error: the rule pack or knowledge base cannot be used:", err=True)
            for problem in error.problems:
                click.echo(f"  {problem.describe()}", err=True)
            ctx.exit(EXIT_PACK)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            sys.stderr.close()  # the reader went away (e.g. `| head`); nothing more to say
            ctx.exit(0)
        except Exception as error:  # a bug; the message says how to get the details
            if os.environ.get("ADVISOR_DEBUG"):
                traceback.print_exc()
            click.echo(f"internal error: {type(error).__name__}: {error} (set ADVISOR_DEBUG=1 for details)", err=True)
            ctx.exit(EXIT_INTERNAL)


pack_options = [
    click.option(
        "--rules",
        "rules_dir",
        type=click.Path(file_okay=False),
        help="Rule pack directory (default: the shipped pack).",
    ),
    click.option(
        "--knowledge",
        "knowledge_dir",
        type=click.Path(file_okay=False),
        help="Knowledge directory (default: the shipped one).",
    ),
]


def with_pack(function: Any) -> Any:
    for option in reversed(pack_options):
        function = option(function)
    return function


def _advisor(rules_dir: str | None, knowledge_dir: str | None) -> Any:
    from .core import Advisor, default_advisor

    if rules_dir is None and knowledge_dir is None:
        return default_advisor()
    return Advisor(rules_dir=rules_dir, knowledge_dir=knowledge_dir)


def _knowledge(knowledge_dir: str | None) -> Any:
    from .knowledge import load_knowledge
    from .paths import default_knowledge_dir

    return load_knowledge(knowledge_dir or default_knowledge_dir())


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(cls=AdvisorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coop-advisor", prog_name="advisor")
def cli() -> None:
    """Advice on university-enterprise cooperation: which of eight modes fits a planned
    partnership, why, and which documented difficulties to prepare for.

    Start with `advisor advise examples/technology_transfer.json`, or `advisor schema` for the
    attributes a profile may give.
    """


@cli.command()
@click.argument("profile_file", metavar="FILE|-")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option(
    "--what-if/--no-what-if", default=True, show_default=True, help="Compute the next questions worth asking."
)
@click.option(
    "--questions",
    "max_questions",
    type=click.IntRange(0, 50),
    default=5,
    show_default=True,
    help="How many next questions to list.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the text output (rule messages are English in both).",
)
@with_pack
def advise(
    profile_file: str,
    fmt: str,
    what_if: bool,
    max_questions: int,
    lang: str,
    rules_dir: str | None,
    knowledge_dir: str | None,
) -> None:
    """Advise on one partnership profile (JSON or YAML; - reads stdin)."""
    from .core import validate_profile
    from .profile_files import read_profile
    from .questions import question_texts
    from .render import render_markdown, render_text

    data = read_profile(profile_file)
    profile = validate_profile(data, source=profile_file if profile_file != "-" else "<stdin>")
    advice = _advisor(rules_dir, knowledge_dir).advise(profile, what_if=what_if, max_questions=max_questions)
    if fmt == "json":
        click.echo(advice.model_dump_json(indent=2))
    elif fmt == "markdown":
        click.echo(render_markdown(advice), nl=False)
    else:
        questions = question_texts("zh", knowledge_dir) if lang == "zh" else None
        click.echo(render_text(advice, lang, questions), nl=False)


@cli.command()
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--knowledge", "knowledge_dir", type=click.Path(file_okay=False), help="Knowledge directory.")
def modes(lang: str, fmt: str, knowledge_dir: str | None) -> None:
    """List the eight cooperation modes."""
    knowledge = _knowledge(knowledge_dir)
    if fmt == "json":
        _echo_json([mode.model_dump() for mode in knowledge.modes.values()])
        return
    for mode in knowledge.modes.values():
        first, second = (mode.name_zh, mode.name) if lang == "zh" else (mode.name, mode.name_zh)
        click.echo(f"{mode.id:<24} {first} ({second})")
    click.echo("\n`advisor mode ID` shows one mode in full.", err=True)


@cli.command()
@click.argument("mode_id", metavar="ID")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--knowledge", "knowledge_dir", type=click.Path(file_okay=False), help="Knowledge directory.")
def mode(mode_id: str, lang: str, fmt: str, knowledge_dir: str | None) -> None:
    """Show one cooperation mode: what it is, whom it suits, strengths, weaknesses, legal form."""
    from .browse import render_mode

    knowledge = _knowledge(knowledge_dir)
    record = knowledge.modes.get(mode_id)
    if record is None:
        raise click.BadParameter(
            f"{mode_id!r} is not a mode; choose one of: {', '.join(knowledge.modes)}", param_hint="ID"
        )
    if fmt == "json":
        _echo_json(record.model_dump())
    else:
        click.echo(render_mode(record, knowledge, lang), nl=False)


@cli.command("rules")
@click.option("--mode", "mode_id", help="Only rules about this mode or difficulty id.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@with_pack
def list_rules(mode_id: str | None, fmt: str, rules_dir: str | None, knowledge_dir: str | None) -> None:
    """List the rules of the rule pack."""
    advisor = _advisor(rules_dir, knowledge_dir)
    rules = [r for r in advisor.rulebook.rules.values() if mode_id is None or r.effect.target == mode_id]
    if mode_id is not None and not rules:
        targets = sorted({r.effect.target for r in advisor.rulebook.rules.values()})
        raise click.BadParameter(f"no rule is about {mode_id!r}; known: {', '.join(targets)}", param_hint="--mode")
    if fmt == "json":
        _echo_json([rule.model_dump(by_alias=True, exclude_none=True) for rule in rules])
        return
    for rule in rules:
        effect = rule.effect
        amount = f" {effect.weight}" if effect.weight else f" ({effect.severity})" if effect.severity else ""
        click.echo(f"{rule.id}  {rule.name:<48} {effect.kind} {effect.target}{amount}")


@cli.command()
@click.argument("rule_id")
@with_pack
def explain(rule_id: str, rules_dir: str | None, knowledge_dir: str | None) -> None:
    """Explain one rule: when it fires, what it does, why, and where that comes from."""
    from .browse import render_rule

    advisor = _advisor(rules_dir, knowledge_dir)
    rule = advisor.rulebook.rules.get(rule_id.upper())
    if rule is None:
        raise click.BadParameter(f"{rule_id!r} is not a rule id; `advisor rules` lists them", param_hint="RULE_ID")
    click.echo(render_rule(rule, advisor.rulebook, advisor.knowledge), nl=False)


@cli.command()
@with_pack
def validate(rules_dir: str | None, knowledge_dir: str | None) -> None:
    """Lint a rule pack: schema, attributes, values, ids, test cases, rules that never fire, coverage."""
    from .lint import lint_pack

    report = lint_pack(rules_dir, knowledge_dir)
    for problem in report.errors:
        click.echo(f"error: {problem.describe()}", err=True)
    for problem in report.warnings:
        click.echo(f"warning: {problem.describe()}", err=True)
    summary = f"{report.rules} rules: {len(report.errors)} errors, {len(report.warnings)} warnings"
    if report.ok:
        click.echo(f"ok: {summary}")
    else:
        click.echo(f"failed: {summary}", err=True)
        sys.exit(EXIT_PACK)


@cli.command()
@click.argument("which", type=click.Choice(["profile", "advice"]), default="profile")
def schema(which: str) -> None:
    """Print the JSON Schema of a profile (input) or of the advice (output)."""
    from .advice import Advice
    from .profile import Profile

    model = Profile if which == "profile" else Advice
    _echo_json(model.model_json_schema())


def main() -> None:
    cli(prog_name="advisor")
