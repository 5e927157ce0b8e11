"""The adaptive interview: which question to ask next, when to stop, and how the field of modes stands.

Terminal-free, so `advisor ask` and the web questionnaire ask in the same order. One step validates
the answers once and runs the main engine once; the order comes from the advisor's what-if (every
candidate answer re-run through the rules that read it) and the searches beside it in whatif.py:

1. Ask first the question whose answer could put another mode first (`NextQuestion.changes_leader`),
   then one that, together with one more answer, could; then one that could change the decision;
   then by how far an answer could move the scores (the what-if `swing` once the advice is firm,
   its `impact` before). Ties go to the lower `order` of knowledge/questions.yml.
2. Skip questions that can no longer change anything: no rule reading the attribute can change
   whether it fires, whatever the other open questions are answered (checked through the engine).
3. Stop when the decision is `clear` and no remaining answer, alone or together with one other
   answer, could change the leader; when it is a `close_call` and no remaining answer, alone or
   with one other, could change the top two's order or the decision ("the remaining questions
   cannot separate X and Y; both fit"); when nothing left can change the advice; or when every
   question has been answered or skipped. `thorough` goes on past a clear decision while answers
   can still change the details (scores, difficulties); `ask_all` asks every applicable question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .advice import Decision
from .catalogue import attribute_label, words
from .core import validate_profile
from .errors import FieldProblem, ProfileError
from .profile import ATTRIBUTES, Profile
from .questions import Lang, QuestionSet, load_questions
from .scoring import ModeStanding
from .texts import name_in

if TYPE_CHECKING:
    from .core import Advisor
    from .scoring import Standing
    from .whatif import Explored

__all__ = [
    "StopReason",
    "AskReason",
    "ModeStanding",
    "FieldSummary",
    "Step",
    "next_question",
    "field_summary",
    "Interview",
]

StopReason = Literal["clear", "inseparable", "settled", "all_asked"]
AskReason = Literal[
    "changes_leader", "changes_leader_with_another", "changes_decision", "moves_scores", "may_matter", "ask_all"
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class FieldSummary(_Model):
    """Where the modes stand after the answers so far: the data of the one line shown after each answer."""

    decision: Decision
    leader: ModeStanding | None = Field(description="The top-ranked mode; None if every mode is excluded.")
    runner_up: ModeStanding | None
    tied: int = Field(description="How many modes share the top score (1 = a single leader).")
    in_running: list[str] = Field(description="Modes not excluded that score at least 'possible'.")
    excluded: list[str]
    total: int = Field(description="Number of modes.")
    answered: int = Field(description="Number of profile attributes known.")

    def line(self, lang: Lang = "en") -> str:
        """One line: who leads, how many modes are still in the running, and the decision."""
        w = words(lang, "interview")
        leader, runner = self.leader, self.runner_up
        if leader is None:
            head = w["all_excluded"]
        elif self.tied > 1:
            if self.tied == 2 and runner is not None:
                head = w["two_level"].format(
                    first=name_in(leader, lang), second=name_in(runner, lang), score=leader.score
                )
            else:
                head = w["many_level"].format(count=self.tied, score=leader.score)
        else:
            head = w["leads"].format(name=name_in(leader, lang), score=leader.score)
            if runner is not None and runner.id not in self.excluded:
                head += w["then"].format(name=name_in(runner, lang), score=runner.score)
        field = w["running"].format(running=len(self.in_running), total=self.total)
        if self.excluded:
            field += w["excluded"].format(count=len(self.excluded))
        return str(w["line"].format(head=head, field=field, decision=w["decisions"][self.decision]))


class Step(_Model):
    """What to do next: ask `attribute`, or stop (`attribute` is None and `stop_reason` says why)."""

    attribute: str | None = Field(description="The attribute to ask about next; None: stop asking.")
    ask_reason: AskReason | None = Field(default=None, description="Why this question comes now.")
    stop_reason: StopReason | None = Field(default=None, description="Why the interview stops.")
    could_lead: list[str] = Field(
        default_factory=list, description="Modes that some answer to this question would put first."
    )
    remaining: int = Field(description="Questions that could still change the advice (with ask_all: still to ask).")
    unknown_that_matter: list[str] = Field(
        default_factory=list,
        description='Attributes answered "don\'t know" whose answer alone could still put another mode first.',
    )
    field: FieldSummary
    modes: list[ModeStanding] = Field(default_factory=list, description="Every mode's score and verdict, best first.")

    @property
    def done(self) -> bool:
        return self.attribute is None

    def explain(self, advisor: Advisor, lang: Lang = "en") -> str:
        """One sentence: why this question is asked now, or why the interview stops."""
        w = words(lang, "interview")
        names = [_mode_name(advisor, mode, lang) for mode in self.could_lead]
        leader = self.field.leader
        leader_name = _mode_name(advisor, leader.id, lang) if leader else ""
        if self.stop_reason == "clear":
            sentence = str(w["clear"].format(leader=leader_name))
            if self.unknown_that_matter:
                # NOTE: English names the attributes as typed; other languages by their labels.
                shown = [name if lang == "en" else attribute_label(name, lang) for name in self.unknown_that_matter]
                doubts = str(w["list_sep"]).join(shown)
                sentence += w["clear_doubts"].format(doubts=doubts)
            return sentence
        if self.stop_reason == "inseparable":
            runner = self.field.runner_up
            runner_name = _mode_name(advisor, runner.id, lang) if runner else ""
            return str(w["inseparable"].format(leader=leader_name, runner=runner_name))
        if self.stop_reason in ("settled", "all_asked"):
            return str(w[self.stop_reason])
        reason = self.ask_reason
        if reason == "changes_leader" and names:
            return str(w["changes_leader_to"].format(names=str(w["or"]).join(names)))
        if reason in ("changes_leader", "changes_leader_with_another"):
            return str(w["changes_leader"])
        if reason in ("changes_decision", "moves_scores", "may_matter"):
            return str(w[reason])
        return str(w["ask_all"])


def _mode_name(advisor: Advisor, mode_id: str, lang: Lang) -> str:
    mode = advisor.knowledge.modes[mode_id]
    return mode.name_zh if lang == "zh" else mode.name


def _summary(advisor: Advisor, standing: Standing, modes: list[ModeStanding], answered: int) -> FieldSummary:
    leader = modes[0] if standing.leader is not None else None
    runner = modes[1] if len(modes) > 1 and leader is not None else None
    top = modes[0].score
    tied = sum(1 for mode in modes if mode.score == top and mode.verdict != "excluded")
    return FieldSummary(
        decision=standing.decision,
        leader=leader,
        runner_up=runner,
        tied=max(tied, 1),
        in_running=[mode.id for mode in modes if mode.verdict in ("recommended", "possible")],
        excluded=[mode.id for mode in modes if mode.verdict == "excluded"],
        total=len(modes),
        answered=answered,
    )


def field_summary(advisor: Advisor, answers: Mapping[str, Any] | Profile) -> FieldSummary:
    """Where the modes stand for a set of answers (a profile mapping); raises ProfileError if invalid."""
    known = validate_profile(answers).known()
    standing = advisor.scorer.standing(advisor.engine.fired(known), len(known))
    return _summary(advisor, standing, advisor.scorer.mode_standings(standing), len(known))


def _check_skipped(skipped: Iterable[str]) -> frozenset[str]:
    names = frozenset(skipped)
    unknown = sorted(names - set(ATTRIBUTES))
    if unknown:
        raise ProfileError(
            [
                FieldProblem("skipped", name, "not a profile attribute", "the attributes listed by `advisor schema`")
                for name in unknown
            ]
        )
    return names


def _leader_changes(question: Explored, leader: str | None) -> list[str]:
    """The modes some answer would put first instead of `leader` (in the what-if's order)."""
    modes: list[str] = []
    for _, standing in question.answers:
        leading = standing.leader
        if leading != leader and leading is not None and leading not in modes:
            modes.append(leading)
    return modes


def _top_two(standing: Standing) -> tuple[str, ...]:
    return tuple(mode for mode, _ in standing.ranking[:2] if mode not in standing.excluded)


def next_question(
    advisor: Advisor,
    answers: Mapping[str, Any] | Profile,
    skipped: Iterable[str] = (),
    *,
    ask_all: bool = False,
    thorough: bool = False,
    questions: QuestionSet | None = None,
) -> Step:
    """The next question to ask, or why to stop, for the answers so far.

    `answers` is a profile mapping (attribute -> value, as a profile file holds it; id and title
    may be included) or a validated Profile; `skipped` are the attributes answered "don't know" (never asked again, never
    taken as "no"). Questions whose `ask_if` does not hold are not asked. Always returns a Step:
    `step.attribute` is the attribute to ask, or None with `step.stop_reason` when the interview
    should stop; `step.field` is the standing of the modes to show. `thorough` keeps asking past a
    clear decision while any answer can still change the advice (scores, reasons, difficulties);
    `ask_all` asks every applicable question. Raises ProfileError for invalid answers or unknown
    skipped names.
    """
    questions = questions or load_questions(advisor.knowledge.directory)
    profile = validate_profile(answers)
    skip = _check_skipped(skipped)
    known = profile.known()
    both = sorted(skip & known.keys())
    if both:  # NOTE: an answer and a "don't know" for one question: which is meant cannot be told
        raise ProfileError(
            [
                FieldProblem("skipped", name, "answered and skipped at once", "an attribute not in `answers`")
                for name in both
            ]
        )
    # NOTE: the one run of the main engine for this step; everything below reuses `fired`.
    fired = advisor.engine.fired(known)
    standing = advisor.scorer.standing(fired, len(known))
    modes = advisor.scorer.mode_standings(standing)
    field = _summary(advisor, standing, modes, len(known))
    search = advisor.what_if
    order: dict[str, int] = {}
    fixed = set(skip)  # stay unknown: skipped, or their question does not apply
    open_attributes = []
    for asked in questions.questions:
        name = asked.attribute
        order[name] = asked.order
        if name in known:
            continue
        if asked.ask_if and not asked.applies(known):
            fixed.add(name)
        elif name not in fixed:
            open_attributes.append(name)
    if not open_attributes:
        return Step(attribute=None, stop_reason="all_asked", remaining=0, field=field, modes=modes)

    # NOTE: the what-if's plain records: the interview reads them, so no NextQuestion is built.
    explored = {q.attribute: q for q in search.explored(known, fired, standing)}
    row = search.class_row(known)
    leader = standing.leader
    movers = {name for name in open_attributes if name in explored and _leader_changes(explored[name], leader)}
    pair_movers: set[str] = set()
    stops = not ask_all and not thorough
    firm = standing.decision != "insufficient_information"

    def by_what_if(name: str) -> tuple[bool, bool, int, int]:
        question = explored.get(name)
        if question is None:
            return (True, True, 0, order[name])
        return (False, not question.answers, -(question.swing if firm else question.impact), order[name])

    if standing.decision == "clear" and not movers:
        pairs = search.pairs(
            known,
            fired,
            open_attributes,
            lambda other: other.leader != leader,
            search.leader_bound(fired, standing),
        )
        if stops:
            # NOTE: only the question asked next needs its reason; the pairs are searched in the
            # order the questions would be asked, and the search stops at the first that moves.
            first = pairs.mover_among(sorted(open_attributes, key=by_what_if))
            pair_movers = {first} if first is not None else set()
        else:
            pair_movers = pairs.movers()
        if not pair_movers and stops:
            live = [n for n in open_attributes if search.can_still_matter(known, fixed, n, row)]
            doubts = [
                n for n in sorted(skip, key=order.__getitem__) if n in explored and _leader_changes(explored[n], leader)
            ]
            return Step(
                attribute=None,
                stop_reason="clear",
                remaining=len(live),
                unknown_that_matter=doubts,
                field=field,
                modes=modes,
            )
    elif (
        standing.decision == "close_call"
        and stops
        and not any(explored[name].answers for name in open_attributes if name in explored)
    ):
        # The two leaders are within the margin: stop once no answer, alone or with one other,
        # can change their order, bring a third mode into the top two, or change the decision.
        top_two = _top_two(standing)

        def separates(other: Standing) -> bool:
            return other.decision != standing.decision or _top_two(other) != top_two

        if not search.single_movers(known, fired, open_attributes, separates) and not search.pair_movers(
            known, fired, open_attributes, separates
        ):
            live = [n for n in open_attributes if search.can_still_matter(known, fixed, n, row)]
            return Step(attribute=None, stop_reason="inseparable", remaining=len(live), field=field, modes=modes)

    def what_if(name: str) -> Explored | None:
        return explored.get(name)

    reasons: dict[str, AskReason] = {}
    for name in open_attributes:
        question = what_if(name)
        if name in movers or (question is not None and question.changes_leader):
            reasons[name] = "changes_leader"
        elif name in pair_movers:
            reasons[name] = "changes_leader_with_another"
        elif question is not None and question.answers:
            reasons[name] = "changes_decision"
        elif question is not None and question.impact > 0:
            reasons[name] = "moves_scores"
        elif search.can_still_matter(known, fixed, name, row):
            reasons[name] = "may_matter"
    if not reasons and not ask_all:
        return Step(attribute=None, stop_reason="settled", remaining=0, field=field, modes=modes)

    # The smallest key is asked: attributes with a reason first, then those that move the leader or the
    # leading pair, have what-if answers and move the most points; the question order breaks ties.
    def rank(name: str) -> tuple[bool, bool, bool, bool, int, int]:
        question = what_if(name)
        if name not in reasons or question is None:
            return (True, True, True, True, 0, order[name])
        return (
            False,
            not question.changes_leader and name not in movers,
            name not in pair_movers,
            not question.answers,
            -(question.swing if firm else question.impact),
            order[name],
        )

    pool = open_attributes if ask_all else list(reasons)
    chosen = min(pool, key=rank)
    question = what_if(chosen)
    could_lead = _leader_changes(question, leader) if question is not None else []
    return Step(
        attribute=chosen,
        ask_reason=reasons.get(chosen, "ask_all"),
        could_lead=could_lead,
        remaining=len(pool),
        field=field,
        modes=modes,
    )


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


class Interview:
    """One questionnaire session: the answers, the "don't know"s, and the way back.

    Terminal-free; `advisor ask` drives one. `step()` says what to ask next; `answer()` and `skip()`
    record a reply; `back()` undoes the last reply of this session so its question can be asked
    again. Answers preloaded (e.g. from --answers) are kept but cannot be gone back to.
    """

    def __init__(
        self,
        advisor: Advisor,
        answers: Mapping[str, Any] | None = None,
        *,
        ask_all: bool = False,
        thorough: bool = False,
        questions: QuestionSet | None = None,
    ):
        self.advisor = advisor
        self._thorough = thorough
        self.questions = questions or load_questions(advisor.knowledge.directory)
        self.ask_all = ask_all
        # NOTE: the answers are validated once here and each new answer once (alone): the Profile
        # is then updated in place of re-validating every answer at every step.
        self._profile = validate_profile(dict(answers or {}))
        # The validated values (e.g. "18" read as 18), whole amounts written as integers.
        self.answers: dict[str, Any] = {
            name: _plain(value) for name, value in self._profile.model_dump(exclude_none=True).items()
        }
        self.skipped: set[str] = set()
        self.history: list[str] = []  # attributes replied to in this session, oldest first
        self._step: Step | None = None

    @property
    def thorough(self) -> bool:
        """Keep asking past a clear decision while answers can still change the details."""
        return self._thorough

    @thorough.setter
    def thorough(self, value: bool) -> None:
        self._thorough = value
        self._step = None

    def step(self) -> Step:
        """The next question to ask, or why to stop (computed once per state of the answers)."""
        if self._step is None:
            self._step = next_question(
                self.advisor,
                self._profile,
                self.skipped,
                ask_all=self.ask_all,
                thorough=self._thorough,
                questions=self.questions,
            )
        return self._step

    def answer(self, attribute: str, value: Any) -> None:
        """Record an answer; raises ProfileError if the value is not valid for the attribute."""
        checked = getattr(validate_profile({attribute: value}), attribute)
        self._set(attribute, checked)
        self.skipped.discard(attribute)
        self.answers[attribute] = value
        self._replied(attribute)

    def skip(self, attribute: str) -> None:
        """Record "don't know": the attribute stays unknown and is not asked again."""
        _check_skipped([attribute])
        self._set(attribute, None)
        self.answers.pop(attribute, None)
        self.skipped.add(attribute)
        self._replied(attribute)

    def back(self) -> tuple[str, Any] | None:
        """Undo the last reply of this session; returns (attribute, the reply undone: a value or None
        for "don't know"), or None if there is nothing to go back to."""
        if not self.history:
            return None
        attribute = self.history.pop()
        self._set(attribute, None)
        previous = self.answers.pop(attribute, None)
        self.skipped.discard(attribute)
        return attribute, previous

    def _set(self, attribute: str, value: Any) -> None:
        self._profile = self._profile.model_copy(update={attribute: value})
        self._step = None

    def profile(self) -> dict[str, Any]:
        """The answers as a profile mapping: id and title first, then attributes in the profile's order."""
        ordered: dict[str, Any] = {name: self.answers[name] for name in ("id", "title") if name in self.answers}
        ordered.update((name, self.answers[name]) for name in ATTRIBUTES if name in self.answers)
        return ordered

    def asked(self) -> int:
        """How many questions were replied to in this session (answers and "don't know"s)."""
        return len(self.history)

    def _replied(self, attribute: str) -> None:
        if attribute in self.history:
            self.history.remove(attribute)
        self.history.append(attribute)
