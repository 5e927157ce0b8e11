"""The command line's shared vocabulary: exit codes and the options every command spells the same way.

`--rules`, `--knowledge`, `--lang`, `--format` and `--questions` are declared here once; the
commands in cli.py and the surfaces in their own modules (ask, batch, serve) import them from
here, so no surface imports cli.py and cli.py imports the surfaces only on demand.
NOTE: only click is imported here: `advisor --help` loads this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from .pack import Pack

__all__ = [
    "EXIT_OK",
    "EXIT_PACK",
    "EXIT_USAGE",
    "EXIT_INPUT",
    "EXIT_REJECTED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "rules_option",
    "knowledge_option",
    "with_pack",
    "lang_option",
    "format_option",
    "questions_option",
    "load_pack",
    "stdout_open",
]

#: Exit codes of every command (README and `advisor --help` list them).
EXIT_OK = 0
EXIT_PACK = 1  # the rule pack, knowledge base or questionnaire has problems
EXIT_USAGE = 2  # unknown option, unknown mode or rule id (click's own code for usage errors)
EXIT_INPUT = 3  # missing, empty or malformed file; invalid profile
EXIT_REJECTED = 4  # `batch` rejected rows
EXIT_INTERNAL = 70  # a bug: please report it
EXIT_INTERRUPTED = 130  # ended by Ctrl-C (the shell's 128 + SIGINT)

F = TypeVar("F", bound=Callable[..., Any])

rules_option = click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False),
    help="Rule pack directory (default: the shipped pack).",
)
knowledge_option = click.option(
    "--knowledge",
    "knowledge_dir",
    type=click.Path(file_okay=False),
    help="Knowledge directory, with the questionnaire's questions.yml (default: the shipped one).",
)


def with_pack(function: F) -> F:
    """`--rules DIR` and `--knowledge DIR`, passed as `rules_dir` and `knowledge_dir`."""
    return rules_option(knowledge_option(function))


def default_lang() -> str:
    """The language without --lang: $ADVISOR_LANG, else zh under a zh_* locale, else en."""
    import os

    from .langs import default_lang as choose

    return choose(os.environ)


def lang_in_words(words: Sequence[str]) -> str | None:
    """The language a command line asks for with `--lang X` or `--lang=X` (before a `--`), if valid."""
    from .langs import LANGS

    for index, word in enumerate(words):
        if word == "--":
            break
        if word == "--lang" and index + 1 < len(words):
            chosen = words[index + 1]
        elif word.startswith("--lang="):
            chosen = word.split("=", 1)[1]
        else:
            continue
        if chosen in LANGS:
            return chosen
    return None


def _remember_lang(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # NOTE: ctx.meta is shared by the whole command line, so the group's error handler words
    # its messages in the language the command was asked for.
    ctx.meta["advisor.lang"] = value
    return value


def command_lang(ctx: click.Context | None = None) -> str:
    """The language of the running command: its --lang, else the default language."""
    ctx = ctx or click.get_current_context(silent=True)
    chosen = ctx.meta.get("advisor.lang") if ctx is not None else None
    return str(chosen) if chosen else default_lang()


def lang_option(help: str = "Language of the output.") -> Callable[[F], F]:
    """`--lang en|zh`; without it, `advisor --lang` (before the command), else $ADVISOR_LANG, or
    Chinese under a zh_* locale ($LC_ALL, $LANG)."""
    return click.option(
        "--lang",
        type=click.Choice(["en", "zh"]),
        default=command_lang,  # NOTE: called while the command's options are read: the group's --lang, if given
        show_default="advisor --lang, else $ADVISOR_LANG, or zh under a zh_* locale, else en",
        help=help,
        callback=_remember_lang,
        is_eager=True,
    )


def group_lang_option() -> Callable[[F], F]:
    """`advisor --lang en|zh COMMAND`: the language of every command that does not give its own
    --lang, and of the help (people put it before the command as often as after)."""

    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value is not None:
            _remember_lang(ctx, param, value)

    return click.option(
        "--lang",
        type=click.Choice(["en", "zh"]),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=remember,
        help="Language of the output and the help of every command (a command's own --lang wins).",
    )


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    """`--format` among `choices`, passed as `fmt`."""
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True, help="Output format."
    )


def questions_option(default: int = 5) -> Callable[[F], F]:
    """`--questions N` (0-50): how many next questions to list, passed as `max_questions`."""
    return click.option(
        "--questions",
        "max_questions",
        type=click.IntRange(0, 50),
        default=default,
        show_default=True,
        help="How many next questions to list.",
    )


def stdout_open(hint: str = "") -> None:
    """InputError when standard output is closed (`>&-`): what the command would write there would
    be lost without a word (click writes nothing, and exit 0). `hint` begins the way out."""
    import sys

    if sys.stdout is None:
        from .errors import InputError

        raise InputError(f"standard output is closed; {hint}send it somewhere (> advice.txt, or > /dev/null)")


def load_pack(rules_dir: str | None, knowledge_dir: str | None) -> Pack:
    """The pack the options name, loaded once (imports the library only when a command runs)."""
    from .pack import load_pack as load

    return load(rules_dir, knowledge_dir)
