"""The `advisor` command line: parses, calls the library, formats, and maps errors to exit codes.

Exit codes (declared in options.py): 0 success; 1 the rule pack has problems (`validate`, or a
broken --rules/--knowledge); 2 usage error (unknown option, unknown mode or rule id); 3 bad input
(missing, empty or malformed file, invalid profile); 4 `batch` rejected rows; 70 internal error
(a bug: please report it); 130 interrupted by Ctrl-C.
NOTE: heavy imports (pydantic, durable-rules) happen inside the commands so `advisor --help` is fast.
"""

from __future__ import annotations

import errno
import importlib
import importlib.util
import json
import os
import sys
import traceback
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from .batch_io import AtomicFile

from .options import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_PACK,
    EXIT_USAGE,
    command_lang,
    default_lang,
    format_option,
    group_lang_option,
    knowledge_option,
    lang_in_words,
    lang_option,
    load_pack,
    questions_option,
    stdout_open,
    with_pack,
)

# NOTE: re-exported for the surfaces that still import them from here; new code imports options.
__all__ = ["cli", "main", "EXIT_INPUT", "EXIT_INTERNAL", "EXIT_PACK", "EXIT_USAGE", "with_pack"]


# The surfaces that live in modules of their own, each defining a click command named `command`.
# NOTE: loaded on demand so `advisor --help` stays fast; those modules import heavy libraries
# (FastAPI, openpyxl, ...) inside their functions, not at module level.
SURFACE_MODULES = {
    "ask": "advisor.questionnaire",
    "batch": "advisor.batch",
    "serve": "advisor.service",
    "template": "advisor.template",
    "evaluate": "advisor.evaluate_cli",
    "diff": "advisor.diff_cli",
}


def _words_after(ctx: click.Context) -> list[str]:
    """The words of the command line after `advisor`'s own options: the command and its arguments."""
    return [*(ctx.__dict__.get("_protected_args") or ctx.__dict__.get("protected_args") or ()), *ctx.args]


class AdvisorGroup(click.Group):
    """Turns the advisor's own errors into one clear message and an exit code, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = [name for name, module in SURFACE_MODULES.items() if importlib.util.find_spec(module)]
        return sorted(set(super().list_commands(ctx)) | set(available))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from .help_text import localise

        module = SURFACE_MODULES.get(name)
        command: click.Command | None
        if module is not None and importlib.util.find_spec(module):
            command = importlib.import_module(module).command
        else:
            command = super().get_command(ctx, name)
        # NOTE: the help in the language asked for (the command's --lang, even after --help; else
        # `advisor --lang`, $ADVISOR_LANG or a zh_* locale): click's help strings are fixed at
        # declaration, so they are swapped in before the command runs.
        lang = lang_in_words(ctx.meta.get("advisor.words", ())) or command_lang(ctx)
        return localise(command, name, lang) if command is not None else None

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        from .help_text import localise

        lang = lang_in_words(args) or default_lang()
        localise(self, "advisor", lang)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:  # an unknown option of `advisor` itself
            if lang == "en":
                raise
            from .help_text import usage_error_text

            click.echo(usage_error_text(error, lang), err=True)
            raise click.exceptions.Exit(error.exit_code) from None

    def invoke(self, ctx: click.Context) -> Any:
        from .errors import InputError, ProfileError, RulePackError

        # NOTE: kept before click hands them to the command: a usage error (an unknown option)
        # comes before --lang is read, and is still worded in the language it asks for.
        words_given = ctx.meta["advisor.words"] = _words_after(ctx)
        try:
            return super().invoke(ctx)
        except ProfileError as error:
            from .catalogue import words
            from .problem_text import describe, stream_name

            lang = command_lang(ctx)
            w = words(lang, "problems")
            source = f"{stream_name(error.source, lang)}{w['colon']}" if error.source else ""
            click.echo(f"{w['error']}{source}{w['invalid_profile']}", err=True)
            for problem in error.problems:
                click.echo(f"  {describe(problem, lang)}", err=True)
            ctx.exit(EXIT_INPUT)
        except InputError as error:
            from .catalogue import words

            lang = command_lang(ctx)
            click.echo(f"{words(lang, 'problems')['error']}{error.describe(lang)}", err=True)
            ctx.exit(EXIT_INPUT)
        except RulePackError as error:
            from .catalogue import words
            from .problem_text import describe_pack_problem

            lang = command_lang(ctx)
            click.echo(str(words(lang, "pack_problems")["unusable"]), err=True)
            for pack_problem in error.problems:
                click.echo(f"  {describe_pack_problem(pack_problem, lang)}", err=True)
            ctx.exit(EXIT_PACK)
        except click.UsageError as error:
            from .help_text import usage_error_text

            # NOTE: written here in English too: click would word its usage line in the language
            # of the environment, and --lang en is asked for in so many words.
            lang = ctx.meta.get("advisor.lang") or lang_in_words(words_given) or default_lang()
            click.echo(usage_error_text(error, lang), err=True)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            # NOTE: click's own "Aborted!" exits 1, which says the rule pack has problems
            from .catalogue import words

            click.echo(str(words(command_lang(ctx), "problems")["interrupted_ctrl_c"]), err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            sys.stderr.close()  # the reader went away (e.g. `| head`); nothing more to say
            ctx.exit(0)
        except Exception as error:  # a bug; the message says how to get the details
            if isinstance(error, OSError) and error.errno in _FULL:
                # NOTE: the files a command writes name themselves; this is standard output (/dev/full)
                from .catalogue import words
                from .problem_text import os_reason

                lang = command_lang(ctx)
                w = words(lang, "problems")
                reason = os_reason(error, lang)
                click.echo(f"{w['error']}{str(w['cannot_write_output']).format(reason=reason)}", err=True)
                ctx.exit(EXIT_INPUT)
            if os.environ.get("ADVISOR_DEBUG"):
                traceback.print_exc()
            click.echo(f"internal error: {type(error).__name__}: {error} (set ADVISOR_DEBUG=1 for details)", err=True)
            ctx.exit(EXIT_INTERNAL)


#: The errors of writing to a device or file system that is full (or a file that may grow no more).
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _advisor(rules_dir: str | None, knowledge_dir: str | None) -> Any:
    return load_pack(rules_dir, knowledge_dir).advisor


def _knowledge(knowledge_dir: str | None) -> Any:
    from .knowledge import load_knowledge
    from .paths import default_knowledge_dir

    return load_knowledge(knowledge_dir or default_knowledge_dir())


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """`advisor --version`, in the language of an `advisor --lang` before it, else the default one."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    from .catalogue import words

    click.echo(words(command_lang(ctx), "program")["version"].format(prog="advisor", version=version("coop-advisor")))
    ctx.exit()


@click.group(cls=AdvisorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
@group_lang_option()
def cli() -> None:
    """Advice on university-enterprise cooperation: which of eight modes fits a planned
    partnership, why, and which documented difficulties to prepare for.

    Start with `advisor advise examples/technology_transfer.json`, or `advisor schema` for the
    attributes a profile may give.
    """


@cli.command()
@click.argument("profile_file", metavar="FILE|-")
@format_option("text", "json", "markdown", "html", "pdf")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write to this file instead of stdout (needed for --format pdf; html is a report to forward).",
)
@click.option(
    "--what-if/--no-what-if", default=True, show_default=True, help="Compute the next questions worth asking."
)
@questions_option()
@lang_option("Language of the reasons (text, Markdown, HTML and JSON) and of the report's words.")
@with_pack
def advise(
    profile_file: str,
    fmt: str,
    output: str | None,
    what_if: bool,
    max_questions: int,
    lang: str,
    rules_dir: str | None,
    knowledge_dir: str | None,
) -> None:
    """Advise on one partnership profile (JSON or YAML; - reads stdin)."""
    from .core import validate_profile
    from .profile_files import read_profile
    from .render import render_markdown, render_text

    if fmt == "pdf" and not output:
        raise click.UsageError("--format pdf writes a file: give it with -o FILE.pdf")
    from .batch_io import check_distinct

    check_distinct(profile_file, output)  # NOTE: the advice written over its profile would lose it
    sink = _output_file(output)  # NOTE: checked before any work, so a bad path costs nothing
    if sink is None:
        stdout_open("give -o FILE, or ")
    data = read_profile(profile_file)
    profile = validate_profile(data, source=profile_file if profile_file != "-" else "<stdin>")
    pack = load_pack(rules_dir, knowledge_dir)
    advice = pack.advisor.advise(profile, what_if=what_if, max_questions=max_questions, lang=lang)
    if fmt in ("html", "pdf"):
        from .report import PdfUnavailable, render_html, write_pdf

        html = render_html(advice, lang, questions=pack.questions)
        if fmt == "html":
            _write_text(html, sink)
            return
        assert sink is not None
        try:
            write_pdf(html, sink.temp)
        except PdfUnavailable as error:
            sink.abort()
            click.echo(f"error: {error}", err=True)
            raise SystemExit(EXIT_INPUT) from None
        sink.commit()
        return
    if fmt == "json":
        text = advice.model_dump_json(indent=2) + "\n"
    elif fmt == "markdown":
        text = render_markdown(advice, lang, pack.questions)
    else:
        questions = pack.question_texts(lang) if lang != "en" else None  # type: ignore[arg-type]  # English: the attributes' descriptions
        text = render_text(advice, lang, questions, pack.advisor.scorer.value_labels)
    _write_text(text, sink)


def _output_file(output: str | None) -> AtomicFile | None:
    """The -o file, checked and prepared before any work (advisor.batch_io.AtomicFile: written
    whole by a rename; links, pipes and devices written through, never replaced)."""
    if not output:
        return None
    from .batch_io import AtomicFile

    return AtomicFile(output)


def _write_text(text: str, sink: AtomicFile | None) -> None:
    """To stdout, or into the -o file."""
    if sink is None:
        click.echo(text, nl=False)
        return
    from .errors import InputError

    try:
        sink.temp.write_text(text, encoding="utf-8")
        sink.commit()
    except OSError as error:
        sink.abort()
        raise InputError(f"{sink.path}: cannot write: {error.strerror or error}") from None


@cli.command()
@lang_option()
@format_option("text", "json")
@knowledge_option
def modes(lang: str, fmt: str, knowledge_dir: str | None) -> None:
    """List the eight cooperation modes."""
    from .browse import mode_line
    from .catalogue import words

    knowledge = _knowledge(knowledge_dir)
    if fmt == "json":
        _echo_json([mode.model_dump() for mode in knowledge.modes.values()])
        return
    for mode in knowledge.modes.values():
        click.echo(mode_line(mode, lang))
    click.echo("\n" + words(lang, "browse")["modes_hint"], err=True)


@cli.command()
@click.argument("mode_id", metavar="ID")
@lang_option()
@format_option("text", "json")
@knowledge_option
def mode(mode_id: str, lang: str, fmt: str, knowledge_dir: str | None) -> None:
    """Show one cooperation mode: what it is, whom it suits, strengths, weaknesses, legal form."""
    from .browse import render_mode
    from .catalogue import words

    knowledge = _knowledge(knowledge_dir)
    record = knowledge.modes.get(mode_id)
    if record is None:
        w = words(lang, "browse")
        message = w["unknown_mode"].format(value=repr(mode_id), allowed=w["list_sep"].join(knowledge.modes))
        raise click.BadParameter(message, param_hint="ID")
    if fmt == "json":
        _echo_json(record.model_dump())
    else:
        click.echo(render_mode(record, knowledge, lang), nl=False)


@cli.command("rules")
@click.option("--mode", "mode_id", help="Only rules about this mode or difficulty id.")
@format_option("text", "json")
@lang_option()
@with_pack
def list_rules(mode_id: str | None, fmt: str, lang: str, rules_dir: str | None, knowledge_dir: str | None) -> None:
    """List the rules of the rule pack."""
    from .browse import rule_line
    from .catalogue import words

    advisor = _advisor(rules_dir, knowledge_dir)
    rules = [r for r in advisor.rulebook.rules.values() if mode_id is None or r.effect.target == mode_id]
    if mode_id is not None and not rules:
        targets = sorted({r.effect.target for r in advisor.rulebook.rules.values()})
        w = words(lang, "browse")
        message = w["unknown_target"].format(value=repr(mode_id), allowed=w["list_sep"].join(targets))
        raise click.BadParameter(message, param_hint="--mode")
    if fmt == "json":
        _echo_json([rule.model_dump(by_alias=True, exclude_none=True) for rule in rules])
        return
    for rule in rules:
        click.echo(rule_line(rule, advisor.knowledge, lang))


@cli.command()
@click.argument("rule_id")
@lang_option()
@with_pack
def explain(rule_id: str, lang: str, rules_dir: str | None, knowledge_dir: str | None) -> None:
    """Explain one rule: when it fires, what it does, why, and where that comes from."""
    from .browse import render_rule
    from .catalogue import words

    advisor = _advisor(rules_dir, knowledge_dir)
    rule = advisor.rulebook.rules.get(rule_id.upper())
    if rule is None:
        raise click.BadParameter(
            words(lang, "browse")["unknown_rule"].format(value=repr(rule_id)), param_hint="RULE_ID"
        )
    labels = advisor.scorer.value_labels
    click.echo(render_rule(rule, advisor.rulebook, advisor.knowledge, lang, labels), nl=False)


@cli.command()
@with_pack
@lang_option("Language of the report (file names, rule ids and fields stay as they are).")
def validate(rules_dir: str | None, knowledge_dir: str | None, lang: str) -> None:
    """Lint a rule pack: schema, attributes, values, ids, test cases, rules that never fire, coverage;
    and the questionnaire (questions.yml) of the knowledge directory."""
    from .catalogue import words
    from .lint import lint_pack
    from .pack import questions_problems
    from .problem_text import describe_pack_problem

    report = lint_pack(rules_dir, knowledge_dir)
    report.errors += questions_problems(knowledge_dir)
    w = words(lang, "pack_problems")
    for problem in report.errors:
        click.echo(f"{w['error']}{describe_pack_problem(problem, lang)}", err=True)
    for problem in report.warnings:
        click.echo(f"{w['warning']}{describe_pack_problem(problem, lang)}", err=True)

    def counted(key: str, count: int) -> str:
        forms = w[key]
        return str(forms["one"] if count == 1 else forms["many"]).format(count=f"{count:,}" if lang == "en" else count)

    counts = {"errors": counted("errors", len(report.errors)), "warnings": counted("warnings", len(report.warnings))}
    if report.rules == 0 and report.errors:  # the pack could not be read: no count to give
        summary = str(w["summary_unread"]).format(**counts)
    else:
        summary = str(w["summary"]).format(rules=counted("rules", report.rules), **counts)
    if report.ok:
        click.echo(str(w["ok"]).format(summary=summary))
    else:
        click.echo(str(w["failed"]).format(summary=summary), err=True)
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
    # NOTE: a closed standard input (`<&-`) reads as an empty one ("the file is empty"), not as
    # None, which every reader of stdin would have to test for.
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - open for the process's life
    cli(prog_name="advisor")
