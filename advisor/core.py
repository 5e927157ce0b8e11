"""The Advisor: knowledge base + rulebook + engine, and the `advise()` every surface calls."""

from __future__ import annotations

import difflib
import functools
import threading
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .advice import Advice, NextQuestion, Reliability, Versions
from .cases import Case, load_cases
from .checks import check_pack
from .engine import RuleEngine
from .errors import _MISSING, FieldProblem, ProfileError, RulePackError
from .evaluation import evaluate, label_reliability
from .knowledge import KnowledgeBase, load_knowledge
from .paths import default_knowledge_dir, default_rules_dir
from .precedents import CaseIndex, find_precedents
from .profile import ATTRIBUTES, Profile
from .questions import QUESTIONS_FILE, load_questions
from .rulebook import Rulebook, gc_paused, load_rulebook
from .scoring import Scorer, Standing, decision_basis
from .whatif import WhatIf

ProfileInput = Profile | Mapping[str, Any]


def _advisor_version() -> str:
    try:
        return metadata.version("coop-advisor")
    except metadata.PackageNotFoundError:
        return "0+source"


def validate_profile(data: ProfileInput, source: str | None = None) -> Profile:
    """A Profile from a dict (or a Profile); ProfileError names every field at fault."""
    if isinstance(data, Profile):
        return data
    if not isinstance(data, Mapping):
        raise ProfileError(
            [FieldProblem("(profile)", data, "a profile is a mapping of attribute names to values")], source
        )
    try:
        return Profile.model_validate(dict(data))
    except ValidationError as error:
        items = error.errors(include_url=False)
        unknown = 0
        problems = []
        for item in items:
            unknown += item["type"] == "extra_forbidden"
            problems.append(_field_problem(item, suggest=unknown <= SUGGESTED_UNKNOWN))
        raise ProfileError(problems, source) from None


# NOTE: a "did you mean" costs a fuzzy match against every attribute; a hostile document with
# thousands of unknown keys spent 0.1 s per profile on hints nobody reads. Every unknown key is
# still reported; only the first ones get a suggestion.
SUGGESTED_UNKNOWN = 10


@functools.lru_cache(maxsize=4096)
def _suggestion(field: str) -> str:
    if len(field) > 4 * max(map(len, ATTRIBUTES)):
        return ""
    close = difflib.get_close_matches(field, list(ATTRIBUTES), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _field_problem(item: Mapping[str, Any], suggest: bool = True) -> FieldProblem:
    loc = item["loc"]
    field = str(loc[0]) if loc else "(profile)"
    value = item.get("input", _MISSING)
    if item["type"] == "extra_forbidden":
        hint = _suggestion(field) if suggest else ""
        # NOTE: a key is quoted as a value is: a NUL or a control character in it is shown escaped
        # ("enterprise_size\x00" must not look like the attribute it is mistaken for)
        return FieldProblem(
            _printable(field), _MISSING, f"unknown attribute{hint}", "the attributes listed by `advisor schema`"
        )
    spec = ATTRIBUTES.get(field)
    where = field + "".join(f"[{part}]" for part in loc[1:])
    allowed = spec.allowed() if spec else ("text" if field in ("id", "title") else None)
    ctx = item.get("ctx") or {}
    if item["type"] == "profile_value":  # raised by the vocabulary (advisor/values.py)
        index = ctx.get("index")
        if index is not None:
            where, value = f"{where}[{index}]", ctx.get("item")
        if ctx.get("problem") == "control":
            allowed = "text without control characters" if spec is None else allowed
            value = _printable(value)
        return FieldProblem(where, value, str(ctx.get("message", item["msg"])), allowed)
    message = _PLAIN_MESSAGES.get(item["type"], item["msg"].removeprefix("Value error, ").rstrip("."))
    return FieldProblem(where, value, message, allowed)


def _printable(value: Any) -> Any:
    """A refused value as it can be quoted anywhere: control characters and lone surrogates escaped."""
    from .values import printable

    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list):
        return [printable(item) if isinstance(item, str) else item for item in value]
    return value


# pydantic's wording for the common errors repeats the allowed values; say it plainly instead.
_PLAIN_MESSAGES = {
    "literal_error": "not an allowed value",
    "int_parsing": "not an integer",
    "int_type": "not an integer",
    "int_from_float": "not a whole number",
    "float_parsing": "not a number",
    "float_type": "not a number",
    "finite_number": "not a finite number",
    "bool_parsing": "not true or false",
    "bool_type": "not true or false",
    "greater_than_equal": "out of range",
    "less_than_equal": "out of range",
    "list_type": "not a list",
    "string_type": "not text",
}


class Advisor:
    """Recommends cooperation modes for partnership profiles.

    One Advisor compiles its rule pack into durable-rules once; reuse it. It is safe to share
    between threads: the engine serialises evaluations behind a lock, and everything else is
    read-only after construction. Two Advisors with different packs can live in one process.
    """

    def __init__(
        self,
        rules_dir: Path | str | None = None,
        knowledge_dir: Path | str | None = None,
        cases_dir: Path | str | None = None,
    ):
        with gc_paused():  # NOTE: see gc_paused: half the load of a big pack was the collector's
            self.knowledge: KnowledgeBase = load_knowledge(knowledge_dir or default_knowledge_dir())
            self.rulebook: Rulebook = load_rulebook(rules_dir or default_rules_dir())
            problems = check_pack(self.rulebook, self.knowledge)
            if problems:
                raise RulePackError(problems)
            self.engine = RuleEngine(self.rulebook)
            self.scorer = Scorer(self.rulebook, self.knowledge, _value_labels(knowledge_dir or default_knowledge_dir()))
            self.what_if = WhatIf(self.rulebook, self.scorer)
        self.version = _advisor_version()
        self._cases_dir = cases_dir
        self._cases: list[Case] | None = None
        self._case_index: CaseIndex | None = None
        self._calibration: dict[str, Reliability] | None = None
        self._cases_lock = threading.Lock()

    # -- documented cases: precedents and the meaning of the decision labels -------------

    @property
    def cases(self) -> list[Case]:
        """The documented cases (the shipped set unless `cases_dir` was given), loaded on first use."""
        with self._cases_lock:
            if self._cases is None:
                self._cases = load_cases(self._cases_dir)
            return self._cases

    @property
    def case_index(self) -> CaseIndex:
        """The documented cases arranged for finding precedents, built once."""
        cases = self.cases
        with self._cases_lock:
            if self._case_index is None:
                self._case_index = CaseIndex(cases)
            return self._case_index

    def reliability(self, decision: str) -> Reliability:
        """How often `decision` kept its promise on the documented cases, with this rule pack.
        NOTE: measured, never typed in: a rule edit changes it on the next run."""
        cases = self.cases
        with self._cases_lock:
            if self._calibration is None:
                self._calibration = label_reliability(evaluate(self, cases))
            return self._calibration[decision]

    # -- evaluation ----------------------------------------------------------------------

    def fired_rules(self, profile: ProfileInput) -> frozenset[str]:
        """The ids of the rules that fire on a profile, as durable-rules evaluates them."""
        return self.engine.fired(validate_profile(profile).known())

    def standing(self, profile: ProfileInput) -> Standing:
        known = validate_profile(profile).known()
        return self.scorer.standing(self.engine.fired(known), len(known))

    def next_questions(self, profile: ProfileInput) -> list[NextQuestion]:
        """Every unanswered attribute the rules read, ranked by how much its answer could change the advice."""
        known = validate_profile(profile).known()
        fired = self.engine.fired(known)
        return self.what_if.explore(known, fired, self.scorer.standing(fired, len(known)))

    def advise(
        self, profile: ProfileInput, *, what_if: bool = True, max_questions: int = 5, lang: str = "en"
    ) -> Advice:
        """The advice for one profile (a dict or a Profile). Raises ProfileError on invalid input.

        `lang` picks the language of each reason's message and rationale (every language is kept
        under `messages` and `rationales`); ids and codes are the same in every language."""
        valid = validate_profile(profile)
        known = valid.known()
        fired = self.engine.fired(known)
        standing = self.scorer.standing(fired, len(known))
        reasons = self.scorer.reasons(fired, known, lang)
        questions: list[NextQuestion] = []
        if what_if:
            # Without firm advice, any answer that moves the scores is worth asking for.
            questions = self.what_if.explore(known, fired, standing, worth_asking=True, limit=max_questions)
        return Advice(
            decision=standing.decision,
            decision_reason=standing.decision_reason,
            leading_mode=standing.leader,
            modes=self.scorer.modes(standing, reasons),
            difficulties=self.scorer.difficulties(reasons),
            next_questions=questions,
            fired_rules=sorted(fired),
            answered=[name for name in ATTRIBUTES if name in known],
            profile=valid.model_dump(exclude_none=True),
            reliability=self.reliability(standing.decision),
            precedents=find_precedents(known, self.case_index),
            versions=Versions(
                advisor=self.version,
                knowledge=self.knowledge.version,
                rulebook=f"{self.rulebook.meta.name} {self.rulebook.meta.version}",
            ),
            lang=lang,
            decision_reasons=self.scorer.reason_texts(standing.why),
            decision_basis=decision_basis(standing.why),
        )

    def advise_many(
        self, profiles: Iterable[ProfileInput], *, what_if: bool = False, max_questions: int = 5
    ) -> Iterator[Advice]:
        """Advice for each profile, in order, as a stream. Raises ProfileError at the first invalid
        one (its source names the profile's position, from 1).

        NOTE: the library's one batch loop (advisor/row_scoring.py) validates profiles a chunk
        at a time, so up to that many are read ahead of the advice given.
        """
        from .row_scoring import Rejected, RowValidator, score_rows

        validator = RowValidator(text_cells=False)
        for result in score_rows(
            self, profiles, full=True, what_if=what_if, max_questions=max_questions, validator=validator
        ):
            if isinstance(result, Rejected):
                raise ProfileError(result.problems, f"profile {result.number}")
            assert result.advice is not None  # full=True: every Scored carries its advice
            yield result.advice


def _value_labels(knowledge_dir: Path | str) -> dict[str, dict[Any, dict[str, str]]]:
    """attribute -> value -> {lang: label}, from the questionnaire's choices, for messages in
    every language. A knowledge base without a questionnaire reads values as they are."""
    if not (Path(knowledge_dir) / QUESTIONS_FILE).is_file():
        return {}
    return {
        question.attribute: {
            choice.value: {"en": choice.label.en, "zh": choice.label.zh} for choice in question.choices
        }
        for question in load_questions(knowledge_dir).questions
    }


_default: Advisor | None = None
_default_lock = threading.Lock()


def default_advisor() -> Advisor:
    """The process-wide Advisor over the shipped pack, built on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Advisor()
        return _default


def advise(profile: ProfileInput, *, what_if: bool = True, max_questions: int = 5, lang: str = "en") -> Advice:
    """Advice for one profile from the shipped rule pack and knowledge base."""
    return default_advisor().advise(profile, what_if=what_if, max_questions=max_questions, lang=lang)
