"""`advisor ask`: the interactive questionnaire, in a terminal or with answers piped on stdin (one a line).

NOTE: only click and the standard library are imported at module level, so `advisor --help` stays
fast; the advisor (pydantic, durable-rules) is imported when the command runs. The adaptive order,
the answer parsing and the questions are library modules (interview, answers, questions) shared
with the web questionnaire; this module only talks to the person.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .catalogue import words
from .errors import InputError
from .limits import MAX_LINE_CHARS
from .options import EXIT_INPUT, EXIT_INTERRUPTED, lang_option, load_pack, stdout_open, with_pack

__all__ = ["command", "EXIT_INTERRUPTED", "profile_text"]
PROFILE_SUFFIXES = (".json", ".yaml", ".yml")
REPORT_SUFFIXES = (".md", ".html", ".htm")


def _indents(line: str) -> tuple[str, str]:
    """First-line and continuation indents: continuation lines align after a leading marker."""
    stripped = line.lstrip()
    first = line[: len(line) - len(stripped)]
    head = stripped.split(" ", 1)[0]
    if stripped[:1] in "→!=?-+" or (head[:1] == "Q" and head[1:].isdigit()):
        return first, first + " " * (len(head) + 1)
    return first, first


class _Terminal:
    """Reads answers and writes the conversation; knows whether a person is at a terminal."""

    def __init__(self, lang: str):
        self.lang = lang
        self.interactive = sys.stdin.isatty()
        self.styled = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        # NOTE: the width of the terminal itself, not $COLUMNS: piped output stays unwrapped.
        self.columns = os.get_terminal_size(sys.stdout.fileno()).columns if sys.stdout.isatty() else 0
        if self.interactive:
            try:  # line editing and recall of earlier answers with the arrow keys
                import readline  # noqa: F401
            except ImportError:
                pass

    def text(self, key: str, **values: Any) -> str:
        return str(words(self.lang, "ask")[key].format(**values))

    def say(self, line: str = "", **style: Any) -> None:
        """Write a line, wrapped to the terminal with its indent (and a marker like "→ ") kept."""
        from .textwidth import width, wrap

        size = self.columns - 1
        # NOTE: measured in columns, not characters: a Chinese character takes two
        text = "\n".join(wrap(line, *_indents(line), size=size)) if 0 < size < width(line) else line
        click.echo(click.style(text, **style) if self.styled and style else text)

    def read(self, prompt: str = "> ") -> str:
        """One line of input; EOFError at end of input, KeyboardInterrupt on Ctrl-C."""
        if self.interactive:
            return input(prompt)
        click.echo(prompt, nl=False)
        # NOTE: bounded: a line without an end (`advisor ask < /dev/zero`) grew to 11 GB in 20 s
        line = sys.stdin.readline(MAX_LINE_CHARS + 1)
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            click.echo()
            raise InputError(
                f"<stdin>: an answer is longer than the limit of {MAX_LINE_CHARS:,} characters; "
                f"piped answers are one per line"
            )
        if not line:
            click.echo()
            raise EOFError
        line = line.rstrip("\r\n")
        click.echo(line)  # NOTE: nobody typed it here, so show it: the transcript reads like a session
        return line


def _check_target(path: str | None, suffixes: tuple[str, ...] | None, option: str) -> None:
    if path is None:
        return
    target = Path(path)
    if suffixes is not None and target.suffix.lower() not in suffixes:
        raise click.BadParameter(f"{path}: use a file name ending in {', '.join(suffixes)}", param_hint=option)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise click.BadParameter(f"{path}: the folder {parent} does not exist", param_hint=option)
    if target.is_dir():
        raise click.BadParameter(f"{path}: is a folder, not a file", param_hint=option)
    from .batch_io import AtomicFile, check_output_link

    check_output_link(path)  # a link to no file, or back to itself: refused as batch refuses it
    # NOTE: and whatever else batch refuses as an output (a socket, a block device), before any question
    AtomicFile(path).abort()


def _write_atomically(path: str, text: str) -> None:
    """Write a whole file or nothing, as batch writes its outputs (advisor.batch_io.AtomicFile): a
    Ctrl-C halfway never leaves half a profile behind; a symbolic link is written through (the file
    it leads to is replaced and the link stays); a pipe or a character device such as /dev/null,
    or a link to one, is written into, never replaced. InputError for what batch refuses."""
    from .batch_io import AtomicFile

    # NOTE: a folder made, or removed, where the file goes during the session is said as before
    # ("Cannot write s.json: Is a directory", in the session's language), not in batch's words
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if not target.is_symlink() and not (target.parent if str(target.parent) else Path(".")).is_dir():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
    sink = AtomicFile(path)
    try:
        sink.temp.write_text(text, encoding="utf-8")
        sink.commit()
    except BaseException:
        sink.abort()
        raise


def profile_text(profile: dict[str, Any], path: str) -> str:
    """A profile as the text of a .json or .yaml/.yml file that `advisor advise` and `advisor batch` read."""
    if Path(path).suffix.lower() == ".json":
        return json.dumps(profile, ensure_ascii=False, indent=2) + "\n"
    import yaml

    return yaml.safe_dump(profile, allow_unicode=True, sort_keys=False)


@click.command("ask", short_help="Answer questions about a planned partnership in the terminal and get advice.")
@lang_option("Language of the questions.")
@click.option("--all", "ask_all", is_flag=True, help="Ask every question, even once the advice is clear.")
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(dir_okay=False),
    help="Start from the answers in this profile file (JSON or YAML) and ask only what is missing.",
)
@click.option(
    "--save",
    "save_file",
    type=click.Path(dir_okay=False),
    help="Keep the answers in this profile file (.json, .yaml or .yml), saved after every answer.",
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False),
    help="Write the advice to this file: .html a report to forward (see docs/reports.md), else Markdown.",
)
@click.option("--title", help="A name for the partnership, shown in the advice and saved with the answers.")
@with_pack
def command(
    lang: str,
    ask_all: bool,
    answers_file: str | None,
    save_file: str | None,
    report_file: str | None,
    title: str | None,
    rules_dir: str | None,
    knowledge_dir: str | None,
) -> None:
    """Answer questions about a planned partnership and get advice: which cooperation mode fits, why,
    and which difficulties to prepare for.

    The questions come in the order that can change the advice most, and stop once the advice is
    clear. Every question can be answered "don't know" (Enter). Answers may also be piped on stdin,
    one per line.
    """
    stdout_open()  # NOTE: the questions are asked there
    terminal = _Terminal(lang)
    _check_target(save_file, PROFILE_SUFFIXES, "--save")
    _check_target(report_file, None, "--report")
    session = _Session(terminal, save_file)
    try:
        session.run(answers_file, title, ask_all, rules_dir, knowledge_dir, report_file)
    except KeyboardInterrupt:
        session.interrupted()
        sys.exit(EXIT_INTERRUPTED)


class _Session:
    """One run of `advisor ask`: the interview, the conversation, and the files written."""

    def __init__(self, terminal: _Terminal, save_file: str | None):
        self.terminal = terminal
        self.lang: Any = terminal.lang
        self.save_file = save_file
        self.interview: Any = None
        # attribute -> its answer (None: "don't know"), taken back with "back" and not answered
        # again yet: it still stands in the saved file, and if the session ends before it is
        # replaced, it is kept
        self.changing: dict[str, Any] = {}
        self.saved_count = 0
        self.failed = False
        self.unwritable: set[str] = set()

    # -- the whole session -------------------------------------------------------------------

    def run(
        self,
        answers_file: str | None,
        title: str | None,
        ask_all: bool,
        rules_dir: str | None,
        knowledge_dir: str | None,
        report_file: str | None,
    ) -> None:
        from .core import validate_profile
        from .interview import Interview
        from .profile_files import read_profile
        from .render import render_markdown, render_text

        say, text = self.terminal.say, self.terminal.text
        preload: dict[str, Any] = {}
        if answers_file is not None:
            preload = read_profile(answers_file)
            validate_profile(preload, source=answers_file)
        if title:
            preload["title"] = title
        pack = load_pack(rules_dir, knowledge_dir)
        advisor = pack.advisor
        self.questions = pack.questions
        self.advisor = advisor
        self.interview = Interview(advisor, preload, ask_all=ask_all, questions=self.questions)

        say(text("intro"), bold=True)
        say(text("how"))
        if answers_file is not None:
            answered = sum(1 for name in self.interview.answers if name not in ("id", "title"))
            say(text("resumed", count=answered, file=answers_file))
        ended, step = self._ask()
        explained = False
        settled = ended == "stopped" and step.stop_reason in ("clear", "inseparable") and step.remaining
        if settled and self.terminal.interactive:
            # NOTE: the leader is settled, but answers that raise difficulties may still be missing;
            # a person at a terminal may want them. Piped input is never asked an extra line.
            say()
            say(step.explain(advisor, self.lang), bold=True)
            explained = True
            if self._yes(text("more_offer", remaining=step.remaining)):
                self.interview.thorough = True
                ended, step = self._ask()
                explained = False
        say()
        if ended == "finish":
            say(text("finished"))
        elif ended == "eof":
            say(text("eof"))
        elif ended == "refused":
            say(text("refused_input"))
        elif not explained:
            if self.interview.asked() == 0 and step.stop_reason == "clear":
                say(text("already"))
            say(step.explain(advisor, self.lang), bold=True)
        say(text("count", asked=self.interview.asked(), skipped=len(self.interview.skipped)))
        settled = ended == "stopped" and step.stop_reason in ("clear", "inseparable") and step.remaining
        if settled and not self.terminal.interactive:
            say(text("more", remaining=step.remaining))
        say()
        advice = advisor.advise(self.interview.profile(), lang=self.lang)
        questions = pack.question_texts(self.lang) if self.lang != "en" else None  # English: as `advisor advise`
        click.echo(render_text(advice, self.lang, questions, advisor.scorer.value_labels), nl=False)
        say()
        if self.save_file is not None:
            self._save_answers(self.save_file, announce=True)

        def report(name: str) -> str:
            """The advice as the file's suffix asks: .html a report to forward, else Markdown."""
            if Path(name).suffix.lower() in (".html", ".htm"):
                from .report import render_html

                return render_html(advice, self.lang, questions=pack.questions)
            return render_markdown(advice, self.lang, pack.questions)

        if report_file is not None:
            self._write(report_file, report(report_file), "report")
        if self.terminal.interactive and self.save_file is None:
            self._offer_to_save(report)
        if self.failed:
            sys.exit(EXIT_INPUT)

    def _yes(self, question: str) -> bool:
        """A yes/no question outside the questionnaire; anything but yes (or end of input) is no."""
        try:
            reply = self.terminal.read(question + " ")
        except EOFError:
            return False
        return reply.strip().casefold() in ("y", "yes", "是", "好", "要")

    def _ask(self) -> tuple[str, Any]:
        """Ask until the interview stops, the user finishes, or input ends. Returns (how it ended, last step)."""
        from .answers import BACK, FINISH, HELP, SKIP, AnswerError, display_value, parse_answer

        terminal, interview = self.terminal, self.interview
        say, text = terminal.say, terminal.text
        redo: tuple[str, Any] | None = None  # (attribute, the reply being changed) after "back"
        while True:
            step = None
            if redo is None:
                step = interview.step()
                if step.done:
                    if self._keep_changing():
                        continue  # the answers taken back stand again: ask on with them
                    return "stopped", step
                attribute = step.attribute
            else:
                attribute = redo[0]
            question = self.questions.get(attribute)
            say()
            was = redo if redo is not None or attribute not in self.changing else (attribute, self.changing[attribute])
            self._show(question, interview.asked() + 1, was)
            while True:
                try:
                    typed = terminal.read()
                except EOFError:
                    self._keep_changing()
                    return "eof", step
                except UnicodeDecodeError:
                    say("  ! " + self.terminal.text("not_utf8"), fg="red")
                    continue
                try:
                    reply = parse_answer(question, typed, self.lang)
                except AnswerError as error:
                    say(f"  ! {error}", fg="red")
                    if not terminal.interactive:
                        # NOTE: piped answers are one per question in order: taking the next line
                        # for this question would shift every later answer onto the wrong one
                        self._keep_changing()
                        self.failed = True
                        return "refused", step
                    continue
                if reply is HELP:
                    self._help(question, step)
                    continue
                if reply is FINISH:
                    self._keep_changing()
                    return "finish", step
                if reply is BACK:
                    undone = interview.back()
                    if undone is None:
                        say("  " + text("nothing_back"), fg="yellow")
                        continue
                    redo = undone
                    self.changing[undone[0]] = undone[1]
                    self._autosave()
                    break
                if reply is SKIP:
                    interview.skip(attribute)
                    shown = text("dont_know")
                else:
                    interview.answer(attribute, reply)
                    shown = display_value(question, reply, self.lang)
                self.changing.pop(attribute, None)
                redo = None
                self._autosave()
                say(f"  = {shown}", fg="green")
                say("  → " + self._field_line(), dim=True)
                break

    def _keep_changing(self) -> bool:
        """The answers taken back with "back" and not answered again stand again; whether there were any."""
        kept = bool(self.changing)
        for attribute, value in self.changing.items():
            if value is None:
                self.interview.skip(attribute)
            else:
                self.interview.answer(attribute, value)
        self.changing = {}
        return kept

    # -- showing questions -----------------------------------------------------------------------

    def _show(self, question: Any, number: int, redo: tuple[str, Any] | None) -> None:
        from .answers import display_value

        say, text, lang = self.terminal.say, self.terminal.text, self.lang
        head = f"{text('question', number=number)}  {question.text.get(lang)}"
        if redo is not None:
            before = text("dont_know") if redo[1] is None else display_value(question, redo[1], lang)
            head += "  " + text("was", value=before)
        say(head, bold=True)
        if question.kind == "boolean":
            say("    " + "   ".join(f"{i}. {c.label.get(lang)}" for i, c in enumerate(question.choices, start=1)))
        elif question.choices:
            for index, choice in enumerate(question.choices, start=1):
                say(f"    {index}. {choice.label.get(lang)}")
            if question.kind == "list":
                say("    " + text("paren", text=text("choose_any")))
        elif question.example is not None:
            say("    " + text("paren", text=question.example.get(lang)))

    def _help(self, question: Any, step: Any) -> None:
        say, text, lang = self.terminal.say, self.terminal.text, self.lang
        say(f"    {question.help.get(lang)}")
        separator = text("colon")
        for index, choice in enumerate(question.choices, start=1):
            say(f"    {index}. {choice.label.get(lang)}{separator}{choice.meaning.get(lang)}")
        if question.example is not None:
            say(f"    {question.example.get(lang)}")
        if step is not None:
            say(f"    {text('why')}{separator}{step.explain(self.advisor, lang)}")
        say(f"    {text('commands')}")

    def _field_line(self) -> str:
        # NOTE: the step after this answer, computed once: the next question reuses it.
        return str(self.interview.step().field.line(self.lang))

    # -- files -----------------------------------------------------------------------------------

    def _autosave(self) -> None:
        if self.save_file is not None:
            self._save_answers(self.save_file, announce=False)

    def _save_answers(self, path: str, announce: bool, required: bool = True) -> bool:
        profile = self.interview.profile()
        if self.changing:  # taken back but not replaced yet: still the answers, in the profile's order
            from .profile import ATTRIBUTES

            standing = {**profile, **{name: value for name, value in self.changing.items() if value is not None}}
            profile = {name: standing[name] for name in ("id", "title", *ATTRIBUTES) if name in standing}
        if not self._write(path, profile_text(profile, path), None, required):
            return False
        self.saved_count = sum(1 for name in profile if name not in ("id", "title"))
        if announce:
            self.terminal.say(self.terminal.text("saved", file=path, count=self.saved_count))
        return True

    def _write(self, path: str, content: str, announce: str | None, required: bool = True) -> bool:
        """Write a file; on failure say why, and (for --save and --report) exit 3 at the end."""
        try:
            _write_atomically(path, content)
        except (OSError, InputError) as error:
            if path not in self.unwritable:  # said once, not after every answer
                self.unwritable.add(path)
                if isinstance(error, InputError):  # refused as batch refuses it (a socket, a link to nothing)
                    said = error.describe(self.lang)
                else:
                    from .problem_text import os_reason

                    said = self.terminal.text("cannot_write", file=path, reason=os_reason(error, self.lang))
                self.terminal.say(said, fg="red")
            self.failed = self.failed or required
            return False
        self.unwritable.discard(path)
        if announce == "report":
            self.terminal.say(self.terminal.text("report", file=path))
        return True

    def _offer_to_save(self, report: Callable[[str], str]) -> None:
        say, text = self.terminal.say, self.terminal.text
        say(text("offer"))
        while True:
            try:
                name = self.terminal.read(text("save_prompt")).strip()
            except EOFError:
                return
            if not name:
                return
            suffix = Path(name).suffix.lower()
            if suffix not in PROFILE_SUFFIXES + REPORT_SUFFIXES:
                say("  " + text("bad_name"), fg="yellow")
                continue
            target = Path(name).expanduser()
            if target.is_dir() or not (target.parent.is_dir() if str(target.parent) else True):
                from .problem_text import os_reason

                # NOTE: the reasons the system would give, in the code's own English words
                refused: OSError = (
                    IsADirectoryError(errno.EISDIR, "a folder")
                    if target.is_dir()
                    else FileNotFoundError(errno.ENOENT, "no such folder")
                )
                say("  " + text("cannot_write", file=name, reason=os_reason(refused, self.lang)), fg="red")
                continue
            if target.exists():
                try:
                    confirm = self.terminal.read(text("exists", file=name) + " ").strip().lower()
                except EOFError:
                    return
                if confirm not in ("y", "yes", "是", "覆盖"):
                    continue
            if suffix in REPORT_SUFFIXES:
                self._write(str(target), report(str(target)), "report", required=False)
            else:
                self._save_answers(str(target), announce=True, required=False)
            say(text("offer_again"))

    # -- Ctrl-C ----------------------------------------------------------------------------------

    def interrupted(self) -> None:
        """Ctrl-C: say so, keep what was answered (with --save), no traceback."""
        terminal = self.terminal
        click.echo()
        terminal.say(terminal.text("interrupted"))
        if self.interview is None:
            return
        self._keep_changing()
        if self.save_file is not None and self._save_answers(self.save_file, announce=False):
            if self.saved_count:
                terminal.say(terminal.text("kept", count=self.saved_count, file=self.save_file))
            else:
                terminal.say(terminal.text("kept_none"))
            # NOTE: the command on a line of its own, never wrapped, so that it can be copied whole
            command = ["advisor", "ask", "--answers", self.save_file, "--save", self.save_file]
            click.echo("  " + shlex.join(command))
        elif self.save_file is None and self.interview.history:
            terminal.say(terminal.text("not_kept"))
