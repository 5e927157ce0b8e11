"""The advice: one result model for every surface (library, JSON, batch rows, HTTP)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


#: Why a decision was reached: a code, worded in each language by the catalogues' `decision_reasons`.
DecisionCode = Literal[
    "all_excluded",
    "too_few_answers",
    "no_support",
    "weak_support",
    "weak_leader",
    "close_call",
    "tie",
    "leads_alone",
    "leads_by",
]


class DecisionBasis(Model):
    """Why the decision, as data: its code and the values its sentence names (`leader` and
    `runner` are mode ids; `answered`, `needed`, `support`, `score`, `runner_score`, `lead`,
    `margin` numbers), the same in every language."""

    code: DecisionCode
    values: dict[str, str | int | float] = Field(default_factory=dict)


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

    decision_reasons: dict[str, str] = Field(
        default_factory=dict,
        description="The decision's reason in every language, by code (`decision_reason` is the English one).",
    )
    decision_basis: DecisionBasis | None = Field(
        None, description="Why the decision, as a code and the values its reason names (None on an older advice)."
    )

    def mode(self, mode_id: str) -> ModeAssessment:
        for mode in self.modes:
            if mode.id == mode_id:
                return mode
        raise KeyError(mode_id)
