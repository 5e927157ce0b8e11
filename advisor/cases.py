"""Documented cases: real university–enterprise cooperations, the mode each actually used and
the profile its sources support. They are the evaluation set (`advisor evaluate`) and the
precedents every advice lists. Loaded from evaluation/cases/ (one YAML file per case)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import _MISSING, FieldProblem, InputError, PackProblem, RulePackError, UnreadableFiles
from .profile import ATTRIBUTES, Profile
from .yamlfile import read_yaml

ModeId = Literal[
    "strategic_alliance",
    "strategic_cooperation",
    "government_mediated",
    "program_cooperation",
    "university_enterprise",
    "technology_transfer",
    "technology_equity",
    "technology_service",
]
#: The prefix of a case id for each mode (the id names its mode at a glance).
MODE_CODES: dict[str, str] = {
    "strategic_alliance": "sa",
    "strategic_cooperation": "sc",
    "government_mediated": "gm",
    "program_cooperation": "pc",
    "university_enterprise": "ue",
    "technology_transfer": "tt",
    "technology_equity": "te",
    "technology_service": "ts",
}
_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_PACKAGE = Path(__file__).resolve().parent


def default_cases_dir() -> Path:
    """The shipped cases: advisor/_data/evaluation/cases in a wheel, evaluation/cases in a checkout."""
    installed = _PACKAGE / "_data" / "evaluation" / "cases"
    return installed if installed.is_dir() else _PACKAGE.parent / "evaluation" / "cases"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseName(_Record):
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)


class Parties(_Record):
    institutions: list[str] = Field(min_length=1, description="Universities and research institutes.")
    enterprises: list[str] = Field(default_factory=list, description="May be empty (e.g. before a spin-out).")
    government: list[str] = Field(default_factory=list)


class CaseSource(_Record):
    url: str = Field(pattern=r"^https?://\S+$", description="A page a reviewer can follow.")
    title: str | None = Field(None, min_length=1, description="The page's own title, as the page shows it.")
    described: CaseName | None = Field(
        None, description="For a page whose stored copy shows no title: what it is, in our words, {en, zh}."
    )

    @model_validator(mode="after")
    def _one_title(self) -> CaseSource:
        if (self.title is None) == (self.described is None):
            raise ValueError("give the page's title, or for a page that shows none `described: {en, zh}`")
        return self

    def shown(self, lang: str) -> str:
        """What a reader is shown for the source in `lang`: the page's own title as it is, or our
        description of an untitled page with a note that it is ours."""
        if self.title is not None:
            return self.title
        from .catalogue import words

        assert self.described is not None  # NOTE: _one_title
        description = self.described.zh if lang == "zh" else self.described.en
        return str(words(lang, "report")["untitled_source"]).format(description=description)


class Case(_Record):
    """One documented cooperation. `profile` holds only what the sources support."""

    id: str = Field(pattern=_ID_PATTERN, description="Lowercase a-z, 0-9 and '-', prefixed by the mode's code.")
    name: CaseName
    parties: Parties
    years: str = Field(pattern=r"^\d{4}(-\d{4})?$", description='"2016" or "2012-2018".')
    region: str = Field(min_length=1, description='"China · <province>" or the country.')
    mode: ModeId
    confidence: Literal["high", "medium"]
    evidence: str = Field(min_length=1)
    sources: list[CaseSource] = Field(min_length=1)
    profile: Profile

    @field_validator("years", mode="before")
    @classmethod
    def _years_as_text(cls, value: Any) -> Any:
        # NOTE: YAML reads `years: 2016` as a number; the format asks for a string, but the
        # meaning is unambiguous, so a bare year is accepted as its text.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @cached_property
    def profile_values(self) -> dict[str, Any]:
        """The attributes the sources support, computed once; do not modify (see known())."""
        return self.profile.known()

    def known(self) -> dict[str, Any]:
        """The attributes the sources support (a copy; computed once per case)."""
        return dict(self.profile_values)


@dataclass(frozen=True)
class CaseProblem:
    """One thing wrong with a case file: file, case id, field, value, and what is allowed."""

    file: str
    case_id: str | None
    problem: FieldProblem

    def describe(self) -> str:
        where = self.file + (f" [{self.case_id}]" if self.case_id else "")
        return f"{where}: {self.problem.describe()}"


class CaseFileError(InputError):
    """Case files that do not validate; `problems` lists every fault (the CLI exits 3)."""

    def __init__(self, problems: list[CaseProblem]):
        self.problems = problems
        lines = [problem.describe() for problem in problems]
        super().__init__("invalid case file(s):\n  " + "\n  ".join(lines))

    def describe(self, lang: str = "en") -> str:
        """The problems in `lang`: file and case id as they are, each field's problem worded as a
        profile's are (problems.messages, problems.allowed_values), the field named as written."""
        if lang == "en":
            return str(self)
        from .catalogue import words
        from .problem_text import describe as describe_problem

        w = words(lang, "problems")
        lines = [str(w["invalid_cases"])]
        for problem in self.problems:
            where = problem.file + (f" [{problem.case_id}]" if problem.case_id else "")
            field = problem.problem.field
            # NOTE: a profile attribute's problem is worded by the attribute (what it allows, with
            # its values' labels), its field named as the file writes it
            attribute = field.removeprefix("profile.")
            inner = replace(problem.problem, field=attribute) if attribute in ATTRIBUTES else problem.problem
            shown = str(w["fields"].get(field, field))
            lines.append(f"  {where}{w['colon']}{describe_problem(inner, lang, shown=shown)}")
        return "\n".join(lines)


_ALLOWED = {
    "id": "lowercase a-z, 0-9 and '-', starting with the mode's code (e.g. tt-...)",
    "mode": "one of " + ", ".join(MODE_CODES),
    "confidence": "high or medium",
    "years": 'a year or a span as text, e.g. "2016" or "2012-2018"',
    "sources": "a list of {url, title} (or {url, described: {en, zh}} for a page without a title), at least one",
    "url": "an http(s) address",
}
_PLAIN = {
    "literal_error": "not an allowed value",
    "missing": "missing",
    "string_pattern_mismatch": "not in the required form",
    "extra_forbidden": "unknown field",
    "too_short": "too short or empty",
    "string_too_short": "empty",
    "list_type": "not a list",
    "string_type": "not text",
    "model_type": "not a mapping",
    "dict_type": "not a mapping",
    "greater_than_equal": "out of range",
    "less_than_equal": "out of range",
    "int_parsing": "not an integer",
    "int_type": "not an integer",
    "int_from_float": "not a whole number",
    "float_parsing": "not a number",
    "bool_parsing": "not true or false",
    "bool_type": "not true or false",
}


def _problem(file: str, case_id: str | None, item: Mapping[str, Any]) -> CaseProblem:
    loc = tuple(item["loc"])
    field = ".".join(str(part) for part in loc) or "(case)"
    value = item.get("input", _MISSING) if item["type"] not in ("missing", "extra_forbidden") else _MISSING
    if isinstance(value, dict):
        value = _MISSING
    allowed = None
    if loc and loc[0] == "profile" and len(loc) > 1:
        spec = ATTRIBUTES.get(str(loc[1]))
        if spec is not None:
            allowed = spec.allowed()
        elif item["type"] == "extra_forbidden":
            allowed = "the attributes listed by `advisor schema`"
    else:
        allowed = _ALLOWED.get(str(loc[-1]) if loc else "", None)
    message = _PLAIN.get(item["type"], item["msg"].removeprefix("Value error, ").rstrip("."))
    return CaseProblem(file, case_id, FieldProblem(field, value, message, allowed))


def parse_case(data: Any, file: str) -> Case:
    """A Case from one parsed YAML mapping; CaseFileError names every field at fault."""
    if not isinstance(data, dict):
        raise CaseFileError(
            [CaseProblem(file, None, FieldProblem("(case)", _MISSING, "a case is a mapping of fields"))]
        )
    case_id = str(data["id"]) if data.get("id") is not None else None
    try:
        case = Case.model_validate(data)
    except ValidationError as error:
        raise CaseFileError([_problem(file, case_id, item) for item in error.errors(include_url=False)]) from None
    code = case.id.split("-")[0]
    if code != MODE_CODES[case.mode]:
        raise CaseFileError(
            [
                CaseProblem(
                    file,
                    case.id,
                    FieldProblem(
                        "id",
                        case.id,
                        f"the prefix {code!r} does not name the mode {case.mode}",
                        f"an id starting with {MODE_CODES[case.mode]}-",
                    ),
                )
            ]
        )
    return case


def _documents(path: Path) -> Iterable[tuple[str, Any]]:
    """(file name, parsed case mapping) for each case in a file: one case, a list, or {cases: [...]}."""
    # NOTE: read as a pack's files are, within their limits: a named pipe given as CASES hung, and
    # /dev/zero grew to 24 GB before it was killed.
    try:
        data = read_yaml(path)
    except RulePackError as error:
        raise UnreadableFiles(error.problems) from None
    if isinstance(data, dict) and "cases" in data and "id" not in data:
        data = data["cases"]
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    return [(str(path), item) for item in items]


def case_files(path: Path) -> list[Path]:
    """The case files of a folder (or the one file given, whatever its name): every *.yml and *.yaml
    in it, whatever it is, except hidden ones. A named pipe, a link that leads nowhere or to itself,
    a folder named so are refused when read, each by name (as a rule pack's files are), never left
    out without a word.

    NOTE: a name that starts with a dot is left out, as a rule pack's are: an editor's lock or swap
    file (Emacs's `.#case.yml`, a link to nothing) stopped the run."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml") and not p.name.startswith("."))
    return [path]


def load_cases(path: Path | str | None = None) -> list[Case]:
    """Every case in a folder of case files (or one file), in id order.

    Raises InputError when nothing can be read or there are no cases, UnreadableFiles (an
    InputError) naming every file that cannot be read and why, CaseFileError (an InputError)
    listing every invalid field and duplicate id across all files."""
    folder = Path(path) if path is not None else default_cases_dir()
    if not folder.exists():
        if folder.is_symlink():  # a link to nothing, or back to itself: say which, as for a profile
            from .batch_io import missing_file

            raise InputError(missing_file(str(folder)))
        raise InputError(f"{folder}: no such file or folder of cases")
    unreadable: list[PackProblem] = []
    problems: list[CaseProblem] = []
    cases: dict[str, Case] = {}
    where: dict[str, str] = {}
    for file in case_files(folder):
        try:
            documents = _documents(file)
        except UnreadableFiles as error:
            unreadable += error.problems
            continue
        for name, item in documents:
            try:
                case = parse_case(item, name)
            except CaseFileError as error:
                problems += error.problems
                continue
            if case.id in cases:
                problems.append(
                    CaseProblem(
                        name,
                        case.id,
                        FieldProblem("id", case.id, f"duplicate id (also in {where[case.id]})", "a unique id"),
                    )
                )
                continue
            cases[case.id] = case
            where[case.id] = name
    if unreadable:
        raise UnreadableFiles(unreadable)
    if problems:
        raise CaseFileError(problems)
    if not cases:
        raise InputError(f"{folder}: no cases found (a case file holds one case, a list, or `cases: [...]`)")
    return [cases[key] for key in sorted(cases)]
