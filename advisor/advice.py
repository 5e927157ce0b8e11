"""The advice: one result model for every surface (library, JSON, batch rows, HTTP)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

Verdict = Literal["recommended", "possible", "unlikely", "excluded"]
Decision = Literal["clear", "close_call", "insufficient_information"]
Severity = Literal["low", "medium", "high"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class SourceQuote(Model):
    """A knowledge record a reason rests on, and the passage of the source it rests on."""

    knowledge_id: str
    section: str
    section_zh: str = Field("", description="The section's title in Chinese.")
    quote: str = Field(description="The source's own words, verbatim.")
    quote_zh: str = Field("", description="A faithful Chinese translation of the quote.")
    source: str


class Reason(Model):
    """One fired rule: what in the profile triggered it, why it matters, where that comes from."""

    rule_id: str
    rule_name: str
    effect: Literal["supports", "opposes", "excludes", "raises"]
    weight: int | None = None
    message: str = Field(
        description="What in the profile triggered the rule, with the profile's values, in the advice's language."
    )
    rationale: str = Field(description="Why it matters and where the source says so, in the advice's language.")
    messages: dict[str, str] = Field(default_factory=dict, description="The message in every language, by code.")
    rationales: dict[str, str] = Field(default_factory=dict, description="The rationale in every language, by code.")
    triggered_by: dict[str, Any] = Field(description="The profile values the rule read.")
    citations: list[SourceQuote]


class ModeAssessment(Model):
    id: str
    name: str
    name_zh: str
    rank: int
    score: int = Field(ge=0, le=100)
    verdict: Verdict
    support: int = Field(description="Sum of the weights of the rules that support the mode.")
    opposition: int = Field(description="Sum of the weights of the rules that oppose it.")
    reasons_for: list[Reason]
    reasons_against: list[Reason] = Field(description="Opposing and excluding rules.")


class MitigationAdvice(Model):
    id: str
    name: str
    name_zh: str
    action: str
    action_zh: str = ""
    citations: list[SourceQuote]


class DifficultyFlag(Model):
    id: str
    name: str
    name_zh: str
    description: str
    description_zh: str = ""
    severity: Severity
    triggered_by: list[Reason]
    mitigations: list[MitigationAdvice]


class WhatIfAnswer(Model):
    """What the advice would become with one more answer, found by re-running the rules."""

    value: Any
    leading_mode: str | None
    leading_score: int
    decision: Decision


class NextQuestion(Model):
    attribute: str
    question: str
    changes_leader: bool = Field(description="Some answer would put another mode first.")
    swing: int = Field(
        description="Largest lead any answer gives the best other mode over today's leader (points; > 0 changes it)."
    )
    impact: int = Field(description="Largest change any answer makes to any mode's score (points).")
    answers: list[WhatIfAnswer] = Field(description="The answers that change the leading mode or the decision.")


class Precedent(Model):
    """A documented cooperation like the profile: what it was, what mode it used, why it is alike."""

    id: str = Field(description="The case id (language-neutral), e.g. tt-hnu-eddy-current-damper.")
    name: str
    name_zh: str
    mode: str = Field(description="The mode the partnership actually used (a mode id).")
    years: str
    region: str
    source_url: str
    source_title: str = Field(description="The source page's title as it shows it (or our description of it).")
    source_title_zh: str = Field(
        description="The same for a Chinese reader: the page's own title, or our description in Chinese."
    )
    similarity: float = Field(
        description="Sum over the shared attributes: +1 for each that agrees, -1 for each that disagrees."
    )
    matching: dict[str, Any] = Field(description="The profile's values that the case shares.")
    differing: dict[str, Any] = Field(description="Attributes both know that disagree: {yours, theirs}.")


class Reliability(Model):
    """What the decision label has meant on the documented cases, measured with this rule pack."""

    decision: Decision
    measure: Literal["top1", "top2"] = Field(
        description="top1: the leader was the mode used; top2: the mode used was one of the two leaders."
    )
    right: int
    cases: int
    in_ten: int = Field(description="right / cases, out of 10, rounded.")
    sentence: str = Field(description="The meaning of the label in one English sentence.")


class Versions(Model):
    advisor: str
    knowledge: str
    rulebook: str


class Advice(Model):
    decision: Decision
    decision_reason: str
    leading_mode: str | None = Field(description="The top-ranked mode (None only if every mode is excluded).")
    modes: list[ModeAssessment] = Field(description="All modes, best first.")
    difficulties: list[DifficultyFlag]
    next_questions: list[NextQuestion]
    fired_rules: list[str]
    answered: list[str] = Field(description="The profile attributes that were known.")
    profile: dict[str, Any] = Field(description="The validated profile the advice is about.")
    reliability: Reliability | None = Field(
        None, description="How often this decision label was right on the documented cases (None without cases)."
    )
    precedents: list[Precedent] = Field(
        default_factory=list, description="Up to three documented cases most like the profile, best first."
    )
    versions: Versions
    lang: str = Field("en", description="The language of each reason's `message` and `rationale`.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def decision_reasons(self) -> dict[str, str]:
        """The decision's reason in every language, by code (`decision_reason` is the English one)."""
        standing = [(mode.name_zh, mode.score) for mode in self.modes if mode.verdict != "excluded"]
        return {"en": self.decision_reason, "zh": decision_reason_zh(self.decision, standing, self.decision_reason)}

    def mode(self, mode_id: str) -> ModeAssessment:
        for mode in self.modes:
            if mode.id == mode_id:
                return mode
        raise KeyError(mode_id)


#: Why the information is insufficient, by the English reason the scorer gives (scoring._decide):
#: its numbers carried into the Chinese sentence, the leader named in Chinese ({leader}).
_INSUFFICIENT_ZH = (
    (
        re.compile(r"Only (?P<answered>\d+) of the profile's attributes are known; answer at least (?P<needed>\d+)\."),
        "只知道 {answered} 项情况，至少需要回答 {needed} 项。",
    ),
    (re.compile(r"No rule supports any mode yet: "), "尚无规则支持任何一种模式，还需要进一步了解合作情况。"),
    (
        re.compile(
            r"No mode has enough support yet: the leader, .+, has (?P<support>\d+) points of supporting evidence"
            r" and needs (?P<needed>[\d.]+)\."
        ),
        "尚无模式得到足够支持：领先的{leader}只有 {support} 分支持依据，至少需要 {needed} 分。",
    ),
    (
        re.compile(r"Even the leader, .+, scores only (?P<score>\d+): no mode fits well\."),
        "即使领先的{leader}也只有 {score} 分，没有很适合的模式。",
    ),
    (re.compile(r"Every mode is excluded by the profile\."), "所有模式均被排除。"),
)


def decision_reason_zh(decision: str, standing: list[tuple[str, int]], english: str = "") -> str:
    """The decision's reason in Chinese, as a programme officer words it, from the (Chinese name,
    score) of the modes not excluded, best first (a batch row knows its top ones only), and, for
    insufficient information, the English reason (what is missing: too few answers, too little support)."""
    if decision == "insufficient_information" or not standing:
        # NOTE: the reason, not the label again (结论：信息不足。信息不足，…); no "the questions
        # below": a batch cell has none below it
        for pattern, sentence in _INSUFFICIENT_ZH:
            match = pattern.match(english)
            if match:
                return sentence.format(leader=standing[0][0] if standing else "", **match.groupdict())
        return "已知情况太少，暂不能给出明确建议；请补充更多情况后再评估。"
    leader, score = standing[0]
    if len(standing) == 1:
        return f"{leader}领先，其余模式均被排除。"
    runner, runner_score = standing[1]
    if decision == "close_call":
        if score == runner_score:
            return f"{leader}与{runner}并列，均为 {score} 分。"
        return f"{leader}（{score} 分）与{runner}（{runner_score} 分）相差不大。"
    return f"{leader}领先{runner} {score - runner_score} 分。"
