"""The records the HTTP API reads and returns besides Profile and Advice (which are the library's)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .advice import Advice, Decision, Versions
from .http_errors import ErrorBody
from .interview import AskReason, FieldSummary, StopReason
from .questions import Lang, Question
from .scoring import ModeStanding

__all__ = [
    "BatchLine",
    "Health",
    "InterviewRequest",
    "InterviewStep",
    "ParseRequest",
    "ParsedAnswer",
    "ModeStanding",
    "EXAMPLE_PROFILE",
]


class BatchLine(BaseModel):
    """One line of the /v1/batch stream: the advice for one row, or why the row was refused."""

    row: int = Field(description="1-based position of the row among the rows sent (blank lines not counted).")
    line: int | None = Field(None, description="1-based line of the row in a JSON Lines body.")
    id: str | None = Field(None, description="The row's `id`, when it has one.")
    advice: Advice | None = Field(None, description="The advice, when the row is a valid profile.")
    error: ErrorBody | None = Field(None, description="Why the row has no advice; the other rows go on.")


class Health(BaseModel):
    status: Literal["ok"]
    versions: Versions
    rules: int = Field(description="Rules in the loaded rule pack.")
    modes: int = Field(description="Cooperation modes in the knowledge base.")


class InterviewRequest(BaseModel):
    """The questionnaire so far: what was answered and what was answered "don't know"."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Any] = Field(
        default_factory=dict, description="The answers so far, as a profile (attribute -> value)."
    )
    skipped: list[str] = Field(
        default_factory=list, description='Attributes answered "don\'t know": never asked again, never taken as "no".'
    )
    ask_all: bool = Field(
        False, description="Ask every applicable question, even those that can no longer change the advice."
    )
    lang: Lang = Field("en", description="Language of `reason` and `summary`.")


class InterviewStep(BaseModel):
    """What the questionnaire does next, and how the modes stand now."""

    done: bool = Field(description="Stop asking: show the advice (`stop_reason` says why).")
    question: Question | None = Field(description="The question to ask next, with its choices in both languages.")
    ask_reason: AskReason | None = None
    stop_reason: StopReason | None = None
    reason: str = Field(
        description="One sentence, in `lang`: why this question comes now, or why the questionnaire stops."
    )
    could_lead: list[str] = Field(description="Modes some answer to this question would put first.")
    remaining: int = Field(description="Questions that could still change the advice.")
    decision: Decision
    summary: str = Field(description="One line, in `lang`: who leads, how many modes are in the running, the decision.")
    field: FieldSummary
    modes: list[ModeStanding] = Field(description="All modes, best first.")


class ParseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        max_length=500, description="The answer as a person typed it, e.g. `18 months`, `1.5y`, `200万`, `large`."
    )
    lang: Lang = Field("en", description="Language of the error message.")


class ParsedAnswer(BaseModel):
    """A typed answer read as the terminal questionnaire reads it."""

    attribute: str
    value: Any = Field(None, description="The profile value (absent when the text is a command).")
    display: str | None = Field(None, description="The value as the person reads it back, in `lang`.")
    command: Literal["skip", "back", "help", "finish"] | None = Field(
        None, description="The text asked for this instead of giving a value."
    )


EXAMPLE_PROFILE = {
    "title": "An institute sells its patented process to a large chemical firm",
    "existing_result": True,
    "enterprise_size": "large",
    "enterprise_can_industrialize": True,
    "research_stages": ["pilot", "production", "market"],
    "ip_owner": "enterprise",
    "university_takes_equity": False,
    "risk_sharing": "low",
}
