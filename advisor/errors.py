"""Errors the advisor raises, each carrying what a person needs to fix the input."""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import Any


class AdvisorError(Exception):
    """Base class of every error the advisor raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a profile: which field, what was given, what is allowed."""

    field: str
    value: Any
    message: str
    allowed: str | None = None

    def describe(self) -> str:
        text = f"{self.field}: {self.message}"
        if self.value is not _MISSING:
            text += f" (got {_show(self.value)})"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self) -> str:
        # NOTE: unpickled as the one _MISSING: `batch --workers N` gets its rejected rows' problems
        # back pickled, and `value is _MISSING` must still hold (else "<missing>" is shown as a value).
        return "_MISSING"


_MISSING: Any = _Missing()


def _bounded_repr() -> reprlib.Repr:
    shown = reprlib.Repr()
    shown.maxlevel, shown.maxlist, shown.maxtuple, shown.maxdict, shown.maxset = 3, 12, 12, 8, 8
    shown.maxstring, shown.maxlong, shown.maxother = 80, 80, 80
    return shown


_BOUNDED = _bounded_repr()


def _show(value: Any) -> str:
    """A refused value as a message quotes it: repr, cut to 80 characters. An integer too long
    for Python to write (over 4,300 digits) is described by its size instead."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4000:
        return f"an integer of about {int(value.bit_length() * 0.30103):,} digits"
    try:
        # NOTE: a list or mapping is written only as far as it is shown: one that shares itself
        # millions of times over (a caller's, or YAML aliases) costs no more than a short one.
        text = _BOUNDED.repr(value) if isinstance(value, (list, dict, tuple, set, frozenset)) else repr(value)
    except ValueError:  # NOTE: a huge integer inside a list or mapping
        return f"a {type(value).__name__} holding an integer too long to show"
    except RecursionError:  # NOTE: a value nested thousands deep (a library caller's dict)
        return f"a {type(value).__name__} nested too deeply to show"
    return text if len(text) <= 80 else text[:77] + "..."


#: A refused value as a message quotes it (for messages worded elsewhere, e.g. advisor.problem_text).
show_value = _show


class ProfileError(AdvisorError):
    """A profile that does not validate; `problems` lists every field at fault."""

    def __init__(self, problems: list[FieldProblem], source: str | None = None):
        self.problems = problems
        self.source = source
        prefix = f"{source}: " if source else ""
        lines = [problem.describe() for problem in problems]
        super().__init__(prefix + "invalid profile: " + "; ".join(lines))


class InputError(AdvisorError):
    """Input that could not be read at all: missing file, malformed JSON/YAML, empty file."""

    def describe(self, lang: str = "en") -> str:
        """The message in `lang`, as the command line shows it after "error: " (the English one is
        the message itself; another language's is found by its template, `problems.input`)."""
        if lang == "en":
            return str(self)
        from .problem_text import translate

        return translate(str(self), lang, "input")


@dataclass(frozen=True)
class PackProblem:
    """One problem in a rule pack or knowledge directory: where, which record, what is wrong."""

    file: str
    record_id: str | None
    message: str

    def describe(self) -> str:
        where = self.file + (f" [{self.record_id}]" if self.record_id else "")
        return f"{where}: {self.message}"

    @staticmethod
    def from_validation(file: str, error: Any, data: Any, record: str | None = None) -> list[PackProblem]:
        """Turn a pydantic ValidationError into problems that name the record at fault: `record`
        when the error is about one record, else found from the error's location in `data`."""
        problems = []
        for item in error.errors(include_url=False):
            loc = item["loc"]
            record_id = record or _record_id_at(data, loc)
            # The record is named by its id; the path inside it is what helps ("effect.weight").
            inner = loc if record else loc[2:] if record_id is not None and len(loc) > 2 else loc
            path = ".".join(str(part) for part in inner) or "(record)"
            got = f" (got {_show(item['input'])})" if "input" in item and not isinstance(item["input"], dict) else ""
            message = item["msg"].removeprefix("Value error, ")
            problems.append(PackProblem(file, record_id, f"{path}: {message}{got}"))
        return problems


def _record_id_at(data: Any, loc: tuple[int | str, ...]) -> str | None:
    # loc looks like ("rules", 3, "effect", ...): the record is data[loc[0]][loc[1]].
    try:
        record = data[loc[0]][loc[1]]
        return str(record.get("id")) if isinstance(record, dict) and record.get("id") else f"{loc[0]}[{loc[1]}]"
    except (KeyError, IndexError, TypeError):
        return None


class _PackProblems(AdvisorError):
    """An error made of PackProblems, `problems`, its text one line each (a base, never raised:
    a pack's own faults are RulePackError, files given that cannot be read UnreadableFiles)."""

    def __init__(self, problems: list[PackProblem]):
        self.problems = problems
        super().__init__("\n".join(problem.describe() for problem in problems))


class RulePackError(_PackProblems):
    """A rule pack or knowledge directory that cannot be used; `problems` lists each fault."""


class UnreadableFiles(InputError, _PackProblems):
    """Files given (one, or those of a folder) that cannot be read at all, each named with why
    (a PackProblem, worded as a pack's files are: not a regular file, malformed YAML ...): case
    files. One line each; a command shows each after its own "error: "."""

    def describe(self, lang: str = "en") -> str:
        from .catalogue import words
        from .problem_text import describe_pack_problem

        lines = [describe_pack_problem(problem, lang) for problem in self.problems]
        return f"\n{words(lang, 'problems')['error']}".join(lines)
