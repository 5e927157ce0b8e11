"""`--help` in the reader's language: the command line's help texts from the catalogues.

Click fixes a command's help when it is declared (the English, in the decorators). Before a
command shows its help, `localise` puts in the texts of the language the command line asks for
(its --lang wherever it stands, else advisor --lang, $ADVISOR_LANG, or zh under a zh_* locale;
cli.AdvisorGroup chooses): catalogue section `help`, keyed by command and option
name (an option shared by many commands once, under `help.options`); a text missing there stays
English. Click's own words (Usage:, Options, [default: …]) are replaced by `HelpFormatter`, which
also wraps Chinese by display width (two columns a character).
NOTE: only click, textwidth and the catalogue are imported here: `advisor --help` loads this module.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

import click

from .textwidth import is_narrow, visible_width, wrap_text

_ENGLISH = "_advisor_english_help"
_LANG = "_advisor_help_lang"  # the language a command's help was last put in
#: click's bracket of extras at the end of an option's help: [default: 5; 0<=x<=50]
_EXTRAS = re.compile(r"\[([^\[\]]*)\]\s*\Z")


def _wrap(text: str, size: int, **options: Any) -> str:
    """Text with a wide character wrapped for the help: by display width, and (as Chinese can break
    between any two characters) never inside a hyphenated word such as an option's name."""
    return wrap_text(text, size, break_on_hyphens=False, **options)


def _help(lang: str) -> Mapping[str, Any]:
    """The `help` section of `lang`'s catalogue (none for English: its help is the decorators')."""
    if lang == "en":
        return {}
    from .catalogue import catalogue  # NOTE: here, so `advisor --help` in English reads no catalogue

    found: Mapping[str, Any] = catalogue(lang).get("help", {})
    return found


class HelpFormatter(click.HelpFormatter):
    """Click's formatter with its fixed words in the default language, laying out Chinese by display
    width: a Chinese character takes two columns of the terminal, where click counts one, so text
    with one is wrapped (and a definition list's columns measured) by `textwidth`. Text without one
    takes click's own path, unchanged.
    NOTE: click's short helps in a group's list of commands are cut by its own count of characters
    before they reach here; a long Chinese one takes two lines instead of one."""

    lang = "en"

    def _word(self, text: str) -> str:
        return str(_help(self.lang).get("click", {}).get(text, text))

    def _words_in(self, text: str) -> str:
        for english, local in _help(self.lang).get("click", {}).items():
            text = text.replace(english, local)
        return text

    def _extras_in(self, text: str) -> str:
        """An option's help with click's closing bracket of extras ([default: 5; 0<=x<=50], a default
        described in words in parentheses) punctuated as the language writes it (`help.extras`:
        [默认：5；0<=x<=50], [默认：（$ADVISOR_LANG，或 …）])."""
        marks: Mapping[str, str] = _help(self.lang).get("extras", {})
        match = _EXTRAS.search(text) if marks else None
        if match is None:
            return text
        inner = match.group(1)
        for english, local in marks.items():
            inner = inner.replace(english, local)
        return text[: match.start(1)] + inner + text[match.end(1) :]

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        word = self._word("Usage:")
        prefix = word if word.endswith("：") else word + " "
        if is_narrow(prefix + prog + args):
            super().write_usage(prog, args, prefix=prefix)
            return
        # NOTE: click's write_usage, in display columns
        usage_prefix = " " * max(0, self.current_indent - visible_width(prefix)) + f"{prefix}{prog} "
        text_width = self.width - self.current_indent
        if not args:
            self.write(usage_prefix.rstrip(" ") + "\n")
            return
        if text_width >= visible_width(usage_prefix) + 20:
            indent = " " * visible_width(usage_prefix)
            self.write(_wrap(args, text_width, initial_indent=usage_prefix, subsequent_indent=indent))
        else:
            self.write(usage_prefix + "\n")
            indent = " " * (max(self.current_indent, visible_width(prefix)) + 4)
            self.write(_wrap(args, text_width, initial_indent=indent, subsequent_indent=indent))
        self.write("\n")

    def write_heading(self, heading: str) -> None:
        word = self._word(heading + ":")
        if word == heading + ":":  # NOTE: click's own form, "Options:"
            super().write_heading(heading)
        else:
            self.write(f"{'':>{self.current_indent}}{word}\n")

    def write_text(self, text: str) -> None:
        if is_narrow(text):
            super().write_text(text)
            return
        indent = " " * self.current_indent
        self.write(_wrap(text, self.width, initial_indent=indent, subsequent_indent=indent, preserve_paragraphs=True))
        self.write("\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(self._words_in(term), self._extras_in(self._words_in(text))) for term, text in rows]
        if all(is_narrow(term + text) for term, text in rows):
            super().write_dl(rows, col_max, col_spacing)
            return
        # NOTE: click's write_dl, in display columns: the terms' column as wide as the widest term
        # (at most col_max), and each text wrapped in the columns left beside it.
        first_col = min(max(visible_width(term) for term, _ in rows), col_max) + col_spacing
        text_width = max(self.width - first_col - 2, 10)
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            if not text:
                self.write("\n")
                continue
            if visible_width(term) <= first_col - col_spacing:
                self.write(" " * (first_col - visible_width(term)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _wrap(text, text_width, preserve_paragraphs=True).splitlines() or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class LocalContext(click.Context):
    formatter_class = HelpFormatter

    def make_formatter(self) -> click.HelpFormatter:
        from .options import default_lang

        formatter = super().make_formatter()
        if isinstance(formatter, HelpFormatter):
            formatter.lang = getattr(self.command, _LANG, None) or default_lang()  # the language `localise` used
        return formatter


def localise(command: click.Command, name: str, lang: str) -> click.Command:
    """`command` with its help texts in `lang` (the English ones kept aside, to come back to)."""
    command.context_class = LocalContext
    setattr(command, _LANG, lang)
    english = getattr(command, _ENGLISH, None)
    if english is None:
        english = {
            "help": command.help,
            "short_help": command.short_help,
            "params": {p.name: (getattr(p, "help", None), getattr(p, "show_default", None)) for p in command.params},
        }
        setattr(command, _ENGLISH, english)
    texts = _help(lang)
    own = texts.get("commands", {}).get(name, {})
    shared = texts.get("options", {})
    command.help = own.get("help", english["help"])
    command.short_help = own.get("short", english["short_help"])
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        help_en, default_en = english["params"].get(param.name, (None, None))
        local = own.get("options", {}).get(param.name) or shared.get(str(param.name))
        param.help = local or help_en
        if param.name == "lang" and isinstance(default_en, str):
            param.show_default = shared.get("lang_default", default_en)
    return command


def _messages(lang: str) -> Mapping[str, str]:
    found: Mapping[str, str] = _help(lang).get("click_messages", {})
    return found


@functools.cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(regex + r"\Z", re.DOTALL)


def translate_message(text: str, lang: str) -> str:
    """One of click's messages (or the command line's own usage messages) in `lang`, found by its
    English template in the catalogue's `help.click_messages`; a `{message}` inside is translated
    too. Unchanged when no template matches."""
    if lang == "en":
        return text
    # NOTE: templates that start with words before those that start with a value ("Invalid value
    # for {param}: {message}" wraps the others), then the most specific (longest) first: "No such
    # command … Did you mean …?" before "No such command …".
    for english, local in sorted(_messages(lang).items(), key=lambda pair: (pair[0].startswith("{"), -len(pair[0]))):
        match = _pattern(english).match(text)
        if match:
            values = match.groupdict()
            if "message" in values:
                values["message"] = translate_message(values["message"], lang)
            if "choices" in values:  # click lists them with English commas: 'text', 'json'
                values["choices"] = values["choices"].replace("', '", "'、'")
            if "suffixes" in values:  # so does the code: .json, .yaml
                values["suffixes"] = values["suffixes"].replace(", ", "、")
            return local.format(**values)
    return text


def _usage_word(lang: str) -> str:
    """How click's usage line starts in `lang` ("Usage: ", "用法：")."""
    word = str(_help(lang).get("click", {}).get("Usage:", "Usage:"))
    return word if word.endswith("：") else word + " "  # as HelpFormatter.write_usage writes it


def usage_error_text(error: click.UsageError, lang: str) -> str:
    """What click prints for a usage error (usage, a hint, the error), in `lang`."""
    words = _messages(lang)
    lines = ""
    ctx = error.ctx
    if ctx is not None:
        usage = ctx.get_usage()
        # NOTE: click words "Usage:" in the language the help was set up in (the environment's),
        # while this error follows the command's --lang.
        from .langs import LANGS

        for other in LANGS:
            head = _usage_word(other)
            if usage.startswith(head):
                usage = _usage_word(lang) + usage[len(head) :]
                break
        lines = usage + "\n"
        if ctx.command.get_help_option(ctx) is not None:
            hint = "Try '{command} {option}' for help."
            option = max(ctx.help_option_names, key=len)
            lines += words.get(hint, hint).format(command=ctx.command_path, option=option) + "\n"
        lines += "\n"
    error_line = words.get("Error: {message}", "Error: {message}")
    return lines + error_line.format(message=translate_message(error.format_message(), lang))
