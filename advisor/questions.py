"""The questionnaire's questions: one per profile attribute, in English and Chinese, from knowledge/questions.yml."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import PackProblem, RulePackError
from .paths import default_knowledge_dir
from .profile import ATTRIBUTES, Kind
from .yamlfile import read_yaml

__all__ = ["Lang", "LANGS", "Text", "Choice", "Question", "QuestionSet", "load_questions", "QUESTIONS_FILE"]

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")
QUESTIONS_FILE = "questions.yml"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Record):
    """A short text in both languages of the questionnaire."""

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in `lang` ("en" or "zh"; any other code reads the English)."""
        return self.zh if lang == "zh" else self.en


class Choice(_Record):
    """One allowed answer: the profile value, a short label and what it means."""

    value: str | bool = Field(description="The profile value (true/false for yes-no questions).")
    label: Text
    meaning: Text
    aliases: list[str] = Field(
        default_factory=list,
        description="Other words read as this value: an earlier label, so that a sheet filled in with it still reads.",
    )


class Question(_Record):
    """The question that fills one profile attribute."""

    attribute: str
    kind: Kind = Field(description="As in advisor.profile.ATTRIBUTES: integer, number, boolean, choice or list.")
    order: int = Field(description="Tie-break of the adaptive order: lower is asked first when the what-if ties.")
    text: Text
    label: Text | None = Field(
        default=None, description="The field's short label (set from the language catalogues, not the file)."
    )
    help: Text = Field(description="One line shown when the user types '?'.")
    choices: list[Choice] = Field(default_factory=list, description="For boolean, choice and list questions.")
    unit: Literal["months", "cny", "count"] | None = Field(
        default=None, description="How a numeric answer is read (1.5y, 200万; count: a whole number)."
    )
    example: Text | None = Field(default=None, description="How to write a numeric answer.")
    ask_if: dict[str, list[str | bool]] = Field(
        default_factory=dict,
        description="Asked only while each named attribute is unknown or has one of the listed values.",
    )

    def applies(self, known: Mapping[str, Any]) -> bool:
        """Whether the question makes sense given the answers so far (see `ask_if`)."""
        return all(name not in known or known[name] in values for name, values in self.ask_if.items())

    def choice(self, value: Any) -> Choice | None:
        """The choice whose value is `value`, if any."""
        for choice in self.choices:
            if choice.value == value and type(choice.value) is type(value):
                return choice
        return None


class QuestionSet(_Record):
    """Every question of the questionnaire, in `order`."""

    version: str
    questions: list[Question]

    def get(self, attribute: str) -> Question:
        """The question for a profile attribute (KeyError if there is none)."""
        for question in self.questions:
            if question.attribute == attribute:
                return question
        raise KeyError(attribute)

    def by_attribute(self) -> dict[str, Question]:
        return {question.attribute: question for question in self.questions}


class _QuestionsFile(_Record):
    version: str
    questions: list[Question] = Field(min_length=1)


def _check(questions: list[Question], where: str) -> list[PackProblem]:
    """Every attribute exactly once, kinds as the profile's, choice values exactly the allowed ones."""
    problems = []
    seen: set[str] = set()
    for question in questions:
        name = question.attribute
        spec = ATTRIBUTES.get(name)
        if spec is None:
            problems.append(PackProblem(where, name, "not a profile attribute; see `advisor schema`"))
            continue
        if name in seen:
            problems.append(PackProblem(where, name, "asked twice; keep one question per attribute"))
        seen.add(name)
        if question.kind != spec.kind:
            problems.append(
                PackProblem(where, name, f"kind is {question.kind!r} but the profile attribute is {spec.kind!r}")
            )
            continue
        values = [choice.value for choice in question.choices]
        if spec.kind == "boolean":
            expected: list[Any] = [True, False]
        elif spec.kind in ("choice", "list"):
            expected = list(spec.choices)
        else:
            expected = []
        wrong_type = [v for v in values if (type(v) is bool) != (spec.kind == "boolean")]
        if wrong_type or sorted(map(str, values)) != sorted(map(str, expected)) or len(values) != len(set(values)):
            shown = ", ".join(str(v).lower() for v in expected) or "no choices"
            problems.append(PackProblem(where, name, f"choices must be exactly: {shown} (got {values})"))
        if spec.kind in ("integer", "number") and (question.unit is None or question.example is None):
            problems.append(
                PackProblem(where, name, "a numeric question needs a unit (months, cny or count) and an example")
            )
        for other, allowed in question.ask_if.items():
            other_spec = ATTRIBUTES.get(other)
            if other_spec is None or other == name:
                problems.append(PackProblem(where, name, f"ask_if names {other!r}, which is not another attribute"))
            elif other_spec.kind not in ("boolean", "choice"):
                problems.append(
                    PackProblem(where, name, f"ask_if can only name yes-no or choice attributes, not {other!r}")
                )
            else:
                valid = [True, False] if other_spec.kind == "boolean" else list(other_spec.choices)
                bad = [v for v in allowed if v not in valid or (type(v) is bool) != (other_spec.kind == "boolean")]
                if bad:
                    problems.append(PackProblem(where, name, f"ask_if {other}: {bad} not among {valid}"))
    for name in ATTRIBUTES:
        if name not in seen:
            problems.append(PackProblem(where, name, "no question asks for this profile attribute; add one"))
    return problems


@functools.lru_cache(maxsize=8)
def _load(path: str) -> QuestionSet:
    file = Path(path)
    if not file.exists():  # NOTE: anything else that is not a file (a pipe, a folder) read_yaml names
        raise RulePackError([PackProblem(path, None, "the questionnaire file is missing")])
    data = read_yaml(file)
    try:
        parsed = _QuestionsFile.model_validate(data if data is not None else {})
    except ValidationError as error:
        raise RulePackError(PackProblem.from_validation(path, error, data)) from None
    problems = _check(parsed.questions, path)
    if problems:
        raise RulePackError(problems)
    ordered = sorted(parsed.questions, key=lambda q: (q.order, q.attribute))
    # NOTE: a question's short label (企业规模, "Enterprise size") lives in the language catalogues,
    # where spreadsheet headers and messages read it too; the questions carry it for their users.
    from .catalogue import attribute_label

    labelled = [
        q.model_copy(
            update={"label": Text(en=attribute_label(q.attribute, "en"), zh=attribute_label(q.attribute, "zh"))}
        )
        for q in ordered
    ]
    return QuestionSet(version=parsed.version, questions=labelled)


def load_questions(knowledge_dir: Path | str | None = None) -> QuestionSet:
    """The questions of knowledge/questions.yml, validated against the profile and sorted by `order`.

    Raises RulePackError (naming the file and the attribute) if the file is missing, malformed,
    misses an attribute, asks one twice, or lists choices other than the attribute's values.
    Loaded once per directory and cached; the result is immutable.
    """
    directory = Path(knowledge_dir) if knowledge_dir is not None else default_knowledge_dir()
    # NOTE: realpath, not resolve(): a loop of links is then a missing file, not a RuntimeError
    return _load(os.path.realpath(directory / QUESTIONS_FILE))


def question_texts(lang: str, knowledge_dir: Path | str | None = None) -> dict[str, str]:
    """Each attribute's question in one language, e.g. to list the questions still worth asking."""
    return {q.attribute: q.text.zh if lang == "zh" else q.text.en for q in load_questions(knowledge_dir).questions}
