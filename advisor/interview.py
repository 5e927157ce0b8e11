"""The adaptive interview: which question to ask next, when to stop, and how the field of modes stands.

Terminal-free, so `advisor ask` and the web questionnaire ask in the same order. The order comes
from the advisor's what-if (every candidate answer re-run through the rule engine):

1. Ask first the question whose answer could put another mode first (`NextQuestion.changes_leader`),
   then one that, together with one more answer, could; then one that could change the decision;
   then by how far an answer could move the scores (the what-if `swing` once the advice is firm,
   its `impact` before). Ties go to the lower `order` of knowledge/questions.yml.
2. Skip questions that can no longer change anything: no rule reading the attribute can change
   whether it fires, whatever the other open questions are answered (checked through the engine).
3. Stop when the decision is `clear` and no remaining answer, alone or together with one other
   answer, could change the leader; or when nothing left can change the advice; or when every
   question has been answered or skipped. `thorough` goes on past a clear decision while answers
   can still change the details (scores, difficulties); `ask_all` asks every applicable question.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .advice import Decision, NextQuestion
from .core import validate_profile
from .errors import FieldProblem, ProfileError
from .profile import ATTRIBUTES
from .questions import Lang, QuestionSet, load_questions

if TYPE_CHECKING:
    from .core import Advisor
    from .scoring import Standing

__all__ = [
    "StopReason",
    "AskReason",
    "ModeScore",
    "FieldSummary",
    "Step",
    "next_question",
    "field_summary",
    "Interview",
]

StopReason = Literal["clear", "settled", "all_asked"]
AskReason = Literal[
    "changes_leader", "changes_leader_with_another", "changes_decision", "moves_scores", "may_matter", "ask_all"
]

# NOTE: the look-ahead that proves a rule can still change is exhaustive over the candidate answers
# of the rule's open attributes; past this many variants it assumes the rule can (never skips wrongly).
_MAX_VARIANTS_PER_RULE = 4096
_ABSENT: Any = object()


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ModeScore(_Model):
    id: str
    name: str
    name_zh: str
    score: int


class FieldSummary(_Model):
    """Where the modes stand after the answers so far: the data of the one line shown after each answer."""

    decision: Decision
    leader: ModeScore | None = Field(description="The top-ranked mode; None if every mode is excluded.")
    runner_up: ModeScore | None
    tied: int = Field(description="How many modes share the top score (1 = a single leader).")
    in_running: list[str] = Field(description="Modes not excluded that score at least 'possible'.")
    excluded: list[str]
    total: int = Field(description="Number of modes.")
    answered: int = Field(description="Number of profile attributes known.")

    def line(self, lang: Lang = "en") -> str:
        """One line: who leads, how many modes are still in the running, and the decision."""
        zh = lang == "zh"
        leader, runner = self.leader, self.runner_up
        if leader is None:
            head = "所有模式都被排除" if zh else "every mode is excluded"
        elif self.tied > 1:
            if self.tied == 2 and runner is not None:
                names = f"{leader.name_zh}与{runner.name_zh}" if zh else f"{leader.name} and {runner.name}"
                head = f"{names}并列（{leader.score}）" if zh else f"{names} level at {leader.score}"
            else:
                head = (
                    f"{self.tied} 种模式并列（{leader.score}）" if zh else f"{self.tied} modes level at {leader.score}"
                )
        else:
            head = f"领先：{leader.name_zh}（{leader.score}）" if zh else f"{leader.name} leads ({leader.score})"
            if runner is not None and runner.id not in self.excluded:
                head += (
                    f"，其次：{runner.name_zh}（{runner.score}）" if zh else f", then {runner.name} ({runner.score})"
                )
        running = len(self.in_running)
        if zh:
            field = f"{self.total} 种模式中 {running} 种仍在考虑" + (
                f"，{len(self.excluded)} 种已排除" if self.excluded else ""
            )
        else:
            field = f"{running} of {self.total} modes in the running" + (
                f", {len(self.excluded)} excluded" if self.excluded else ""
            )
        return f"{head} · {field} · {_DECISION_WORDS[lang][self.decision]}"


_DECISION_WORDS: dict[str, dict[str, str]] = {
    "en": {"clear": "clear", "close_call": "close call", "insufficient_information": "not enough information yet"},
    "zh": {"clear": "结论明确", "close_call": "难分高下", "insufficient_information": "信息尚不足"},
}


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

    @property
    def done(self) -> bool:
        return self.attribute is None

    def explain(self, advisor: Advisor, lang: Lang = "en") -> str:
        """One sentence: why this question is asked now, or why the interview stops."""
        zh = lang == "zh"
        names = [_mode_name(advisor, mode, lang) for mode in self.could_lead]
        joined = ("或".join(names)) if zh else " or ".join(names)
        leader = self.field.leader
        leader_name = _mode_name(advisor, leader.id, lang) if leader else ""
        if self.stop_reason == "clear":
            if zh:
                sentence = (
                    f"可以给出建议了：{leader_name}明显领先，"
                    "尚未问到的问题无论怎样回答（单独或两两组合）都不会改变领先模式。"
                )
                if self.unknown_that_matter:
                    doubts = "、".join(self.unknown_that_matter)
                    sentence += f"但您回答“不知道”的 {doubts} 仍可能改变结果，见“What else to find out”。"
                return sentence
            sentence = (
                f"Enough to advise: {leader_name} leads clearly, and no answer to the questions not yet asked "
                "(alone or two together) could put another mode first."
            )
            if self.unknown_that_matter:
                sentence += (
                    f" But what you did not know ({', '.join(self.unknown_that_matter)}) could still change it:"
                    ' see "What else to find out".'
                )
            return sentence
        if self.stop_reason == "settled":
            return "剩下的问题已不会改变建议。" if zh else "No remaining question can change the advice."
        if self.stop_reason == "all_asked":
            return "所有问题都已回答或跳过。" if zh else "Every question has been answered or skipped."
        reason = self.ask_reason
        if reason == "changes_leader" and names:
            return f"某个回答可能让{joined}领先。" if zh else f"An answer could put {joined} first."
        if reason in ("changes_leader", "changes_leader_with_another"):
            return (
                "这个回答（可能与另一个回答一起）会改变领先模式。"
                if zh
                else "This answer, with one more, could change which mode leads."
            )
        if reason == "changes_decision":
            return "某个回答会改变结论。" if zh else "An answer could change the decision."
        if reason == "moves_scores":
            return "回答会改变各模式的得分。" if zh else "The answer moves the modes' scores."
        if reason == "may_matter":
            return (
                "与其他回答结合，这个回答可能改变建议。"
                if zh
                else "Together with other answers, this one can still change the advice."
            )
        return "完整问卷（--all）。" if zh else "Asked because every question is asked (--all)."


def _mode_name(advisor: Advisor, mode_id: str, lang: Lang) -> str:
    mode = advisor.knowledge.modes[mode_id]
    return mode.name_zh if lang == "zh" else mode.name


def _mode_score(advisor: Advisor, mode_id: str, score: int) -> ModeScore:
    mode = advisor.knowledge.modes[mode_id]
    return ModeScore(id=mode_id, name=mode.name, name_zh=mode.name_zh, score=score)


def _summary(advisor: Advisor, standing: Standing, answered: int) -> FieldSummary:
    ranking = standing.ranking
    excluded = [mode for mode, _ in ranking if mode in standing.excluded]
    leader = _mode_score(advisor, *ranking[0]) if standing.leader is not None else None
    runner = _mode_score(advisor, *ranking[1]) if len(ranking) > 1 and leader is not None else None
    top = ranking[0][1]
    tied = sum(1 for mode, score in ranking if score == top and mode not in standing.excluded)
    running = [
        mode
        for mode, score in ranking
        if advisor.scorer.verdict(score, mode in standing.excluded) in ("recommended", "possible")
    ]
    return FieldSummary(
        decision=standing.decision,
        leader=leader,
        runner_up=runner,
        tied=max(tied, 1),
        in_running=running,
        excluded=excluded,
        total=len(ranking),
        answered=answered,
    )


def field_summary(advisor: Advisor, answers: Mapping[str, Any]) -> FieldSummary:
    """Where the modes stand for a set of answers (a profile mapping); raises ProfileError if invalid."""
    known = validate_profile(answers).known()
    return _summary(advisor, advisor.standing(known), len(known))


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


def _leader_changes(question: NextQuestion, leader: str | None) -> list[str]:
    """The modes some answer would put first instead of `leader` (in the what-if's order)."""
    modes: list[str] = []
    for answer in question.answers:
        if answer.leading_mode != leader and answer.leading_mode is not None and answer.leading_mode not in modes:
            modes.append(answer.leading_mode)
    return modes


def _can_still_matter(advisor: Advisor, known: Mapping[str, Any], fixed: Collection[str], attribute: str) -> bool:
    """Whether some rule reading `attribute` fires for one of its answers and not for another (or for
    "don't know"), for some answers to the rule's other open attributes, evaluated by the engine.

    `fixed` are attributes that stay unknown (skipped or not applicable)."""
    what_if = advisor.what_if
    if attribute not in what_if.readers:
        return False
    options = what_if.candidates[attribute] + [_ABSENT]
    engine = what_if.engines[attribute]
    for rule_id in sorted(what_if.readers[attribute]):
        others = [
            name
            for name in advisor.rulebook.rules[rule_id].attributes()
            if name != attribute and name not in known and name not in fixed and name in what_if.candidates
        ]
        combos = list(itertools.product(*[what_if.candidates[name] + [_ABSENT] for name in others]))
        if len(combos) * len(options) > _MAX_VARIANTS_PER_RULE:
            return True
        variants = []
        for combo in combos:
            base = dict(known)
            base.update((name, value) for name, value in zip(others, combo, strict=True) if value is not _ABSENT)
            for value in options:
                variants.append(base if value is _ABSENT else {**base, attribute: value})
        fired = engine.fired_many(variants)
        width = len(options)
        for start in range(0, len(fired), width):
            if len({rule_id in ids for ids in fired[start : start + width]}) > 1:
                return True
    return False


def _pair_movers(
    advisor: Advisor, known: Mapping[str, Any], open_attributes: list[str], leader: str | None
) -> set[str]:
    """The open attributes that, answered together with one other open attribute, could change the leader.

    NOTE: the what-if looks one answer ahead; two answers can move a mode that neither moves alone
    (rules with two unknown conditions). Every pair of candidate answers is run through the engine."""
    candidates = advisor.what_if.candidates
    names = [name for name in open_attributes if name in candidates]
    variants: list[dict[str, Any]] = []
    pairs: list[tuple[str, str]] = []
    for first, second in itertools.combinations(names, 2):
        for one in candidates[first]:
            for two in candidates[second]:
                variants.append({**known, first: one, second: two})
                pairs.append((first, second))
    movers: set[str] = set()
    answered = len(known) + 2
    for pair, fired in zip(pairs, advisor.engine.fired_many(variants), strict=True):
        if pair[0] in movers and pair[1] in movers:
            continue
        if advisor.scorer.standing(fired, answered, explain=False).leader != leader:
            movers.update(pair)
    return movers


def next_question(
    advisor: Advisor,
    answers: Mapping[str, Any],
    skipped: Iterable[str] = (),
    *,
    ask_all: bool = False,
    thorough: bool = False,
    questions: QuestionSet | None = None,
) -> Step:
    """The next question to ask, or why to stop, for the answers so far.

    `answers` is a profile mapping (attribute -> value, as a profile file holds it; id and title
    may be included); `skipped` are the attributes answered "don't know" (never asked again, never
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
    standing = advisor.standing(profile)
    field = _summary(advisor, standing, len(known))
    order = {question.attribute: question.order for question in questions.questions}
    fixed = set(skip) | {q.attribute for q in questions.questions if q.attribute not in known and not q.applies(known)}
    open_attributes = [
        q.attribute for q in questions.questions if q.attribute not in known and q.attribute not in fixed
    ]
    if not open_attributes:
        return Step(attribute=None, stop_reason="all_asked", remaining=0, field=field)

    explored = {q.attribute: q for q in advisor.next_questions(profile)}
    leader = standing.leader
    movers = {name for name in open_attributes if name in explored and _leader_changes(explored[name], leader)}
    pair_movers: set[str] = set()
    if standing.decision == "clear" and not movers:
        pair_movers = _pair_movers(advisor, known, open_attributes, leader)
        if not pair_movers and not ask_all and not thorough:
            live = [n for n in open_attributes if _can_still_matter(advisor, known, fixed, n)]
            doubts = [
                n for n in sorted(skip, key=order.__getitem__) if n in explored and _leader_changes(explored[n], leader)
            ]
            return Step(
                attribute=None, stop_reason="clear", remaining=len(live), unknown_that_matter=doubts, field=field
            )

    def what_if(name: str) -> NextQuestion | None:
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
        elif _can_still_matter(advisor, known, fixed, name):
            reasons[name] = "may_matter"
    if not reasons and not ask_all:
        return Step(attribute=None, stop_reason="settled", remaining=0, field=field)

    firm = standing.decision != "insufficient_information"

    def rank(name: str) -> tuple:
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
    )


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
        self.thorough = thorough
        self.questions = questions or load_questions(advisor.knowledge.directory)
        self.ask_all = ask_all
        profile = validate_profile(dict(answers or {}))
        # The validated values (e.g. "18" read as 18), whole amounts written as integers.
        self.answers: dict[str, Any] = {
            name: int(value) if isinstance(value, float) and value.is_integer() else value
            for name, value in profile.model_dump(exclude_none=True).items()
        }
        self.skipped: set[str] = set()
        self.history: list[str] = []  # attributes replied to in this session, oldest first

    def step(self) -> Step:
        """The next question to ask, or why to stop."""
        return next_question(
            self.advisor,
            self.answers,
            self.skipped,
            ask_all=self.ask_all,
            thorough=self.thorough,
            questions=self.questions,
        )

    def answer(self, attribute: str, value: Any) -> None:
        """Record an answer; raises ProfileError if the value is not valid for the attribute."""
        validate_profile({attribute: value})
        self.skipped.discard(attribute)
        self.answers[attribute] = value
        self._replied(attribute)

    def skip(self, attribute: str) -> None:
        """Record "don't know": the attribute stays unknown and is not asked again."""
        _check_skipped([attribute])
        self.answers.pop(attribute, None)
        self.skipped.add(attribute)
        self._replied(attribute)

    def back(self) -> tuple[str, Any] | None:
        """Undo the last reply of this session; returns (attribute, the reply undone: a value or None
        for "don't know"), or None if there is nothing to go back to."""
        if not self.history:
            return None
        attribute = self.history.pop()
        previous = self.answers.pop(attribute, None)
        self.skipped.discard(attribute)
        return attribute, previous

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
