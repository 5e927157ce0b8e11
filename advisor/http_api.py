"""The HTTP service: a FastAPI app over one shared Advisor (JSON API, OpenAPI document, web questionnaire).

`create_app()` builds the app; `advisor serve` (advisor/service.py) runs it under uvicorn.
Every error is a JSON body {"error": code, "message": sentence, "problems": [...]}; never a traceback.
"""

from __future__ import annotations

import difflib
import html
import json
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .advice import Advice, Decision, Verdict, Versions
from .answers import AnswerError, Command, display_value, parse_answer
from .core import Advisor, default_advisor
from .errors import _MISSING, ProfileError
from .interview import AskReason, FieldSummary, StopReason, next_question
from .knowledge import Mode
from .profile import Profile
from .questions import Lang, Question, QuestionSet, load_questions
from .render import render_markdown
from .rulebook import Rule

#: Largest request body, in bytes, for every route but /v1/batch (a profile is well under 2 KiB).
MAX_BODY_BYTES = 64 * 1024
#: Largest /v1/batch body, in bytes (about 20,000 typical profiles).
MAX_BATCH_BYTES = 16 * 1024 * 1024

WEB_DIR = Path(__file__).resolve().parent / "web"
NDJSON = "application/x-ndjson"

log = logging.getLogger("advisor.http")


# -- the models of the error body and of the extra records the API returns ----------------


class Problem(BaseModel):
    """One thing wrong with the request: which field, what was given, what is allowed."""

    field: str = Field(
        description="The attribute or part of the request at fault, e.g. `scope`, `funding_sources[1]`, `(body)`."
    )
    value: Any = Field(None, description="The value given; absent when nothing was given.")
    message: str = Field(description="What is wrong with it.")
    allowed: str | None = Field(None, description="What the field accepts.")


class ErrorBody(BaseModel):
    """The body of every error response (404, 405, 413, 422, 500)."""

    error: Literal[
        "invalid_profile", "invalid_request", "not_found", "method_not_allowed", "body_too_large", "internal_error"
    ] = Field(description="A stable code to branch on.")
    message: str = Field(description="One sentence for a person.")
    problems: list[Problem] = Field(default_factory=list, description="Each field at fault (422 only).")


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


class ModeStanding(BaseModel):
    """One mode's score for the answers so far (the bars of the chart)."""

    id: str
    name: str
    name_zh: str
    score: int
    verdict: Verdict


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

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "The body is over the size limit."},
    422: {
        "model": ErrorBody,
        "description": "Invalid input: each problem names the field, the value and what is allowed.",
    },
}


class BodyTooLarge(HTTPException):
    """Raised while a body is read past its limit; rendered as a 413 ErrorBody.

    NOTE: FastAPI re-raises HTTPExceptions met while it reads a body (any other exception there
    becomes a 400), so this must be one.
    """

    def __init__(self, limit: int):
        super().__init__(413, f"the request body is over the limit of {limit} bytes")
        self.limit = limit


class BodyLimit:
    """Refuses bodies over a size limit with 413: by Content-Length before reading, else while reading.

    NOTE: a pure ASGI middleware (not BaseHTTPMiddleware) so it costs nothing on the hot path
    and also bounds chunked uploads, which carry no Content-Length.
    """

    def __init__(self, app: ASGIApp, default_limit: int, limits: Mapping[str, int]):
        self.app = app
        self.default_limit = default_limit
        self.limits = dict(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default_limit)
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > limit:
                    await _send_error(send, 413, "body_too_large", BodyTooLarge(limit).detail)
                    return
                break
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


class InternalErrors:
    """A bug in a request gets a 500 ErrorBody; the traceback goes to the server's log only.

    NOTE: not an exception handler: Starlette re-raises after those, and the server then closes
    the connection, which a keep-alive client sees as a reset on its next request.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            if started:  # too late for a clean answer (a stream broke): let the server close it
                raise
            log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
            message = f"internal error ({type(error).__name__}); this is a bug, please report it"
            await _send_error(send, 500, "internal_error", message)


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message, "problems": []}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# -- error bodies ---------------------------------------------------------------------------


def _json(data: Any, status: int = 200) -> Response:
    text = json.dumps(data, ensure_ascii=False, default=repr)
    return Response(text, status_code=status, media_type="application/json")


def error_body(code: str, message: str, problems: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "problems": problems or []}


def _problem(field: str, value: Any, message: str, allowed: str | None) -> dict[str, Any]:
    problem: dict[str, Any] = {"field": field}
    if value is not _MISSING:
        problem["value"] = value
    problem["message"] = message
    problem["allowed"] = allowed
    return problem


def profile_problems(error: ProfileError) -> list[dict[str, Any]]:
    """The problems of a ProfileError as JSON records (field, value, message, allowed)."""
    problems = []
    for item in error.problems:
        allowed = item.allowed
        if allowed and "advisor schema" in allowed:  # the CLI's pointer, said the HTTP way
            allowed = "an attribute listed by GET /v1/schema/profile"
        problems.append(_problem(item.field, item.value, item.message, allowed))
    return problems


def _profile_error_body(error: ProfileError) -> dict[str, Any]:
    problems = profile_problems(error)
    noun = "problem" if len(problems) == 1 else "problems"
    fields = ", ".join(problem["field"] for problem in problems)
    return error_body("invalid_profile", f"the profile has {len(problems)} {noun}: {fields}", problems)


def _allowed_from_error(item: Mapping[str, Any]) -> str | None:
    """What a request parameter accepts, read off a pydantic error."""
    ctx = item.get("ctx") or {}
    kind = item["type"]
    if "expected" in ctx:
        return f"one of {ctx['expected']}"
    for key, words in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if key in ctx:
            return f"a number {words} {ctx[key]}"
    if kind.startswith("bool"):
        return "true or false"
    if kind.startswith("int"):
        return "an integer"
    if kind.startswith("list"):
        return "a JSON array"
    if kind.startswith("string"):
        return "a string"
    if kind.startswith("dict") or kind.startswith("model"):
        return "a JSON object"
    return None


def _request_problems(error: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's validation errors (query and path parameters, structured bodies) as problems."""
    problems: list[dict[str, Any]] = []
    for item in error.errors():
        where, *parts = item["loc"]
        if where == "body" and item["type"] == "json_invalid":
            detail = (item.get("ctx") or {}).get("error", "malformed")
            problems.append(_problem("(body)", _MISSING, f"the body is not valid JSON ({detail})", "a JSON object"))
            continue
        if where == "body" and not parts and item["type"] == "missing":
            problems.append(_problem("(body)", _MISSING, "a JSON body is required", "a JSON object"))
            continue
        field = "".join(
            f"[{part}]" if isinstance(part, int) else (f".{part}" if i else str(part)) for i, part in enumerate(parts)
        )
        value = item.get("input", _MISSING) if item["type"] != "missing" else _MISSING
        problems.append(_problem(field or f"({where})", value, item["msg"].rstrip("."), _allowed_from_error(item)))
    return problems


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def parse_json_body(body: bytes, expected: str) -> Any:
    """The JSON value of a request body; 422 (as _RequestRejected) when there is none or it is malformed."""
    if not body.strip():
        problem = _problem("(body)", _MISSING, "a JSON body is required", expected)
        raise _RequestRejected(error_body("invalid_request", "the request has no body", [problem]))
    try:
        # NOTE: NaN and Infinity are not JSON; refused here, they could not be echoed back as JSON either.
        return json.loads(body, parse_constant=_not_json)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        detail = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        problem = _problem("(body)", _MISSING, f"the body is not valid JSON ({detail})", expected)
        raise _RequestRejected(error_body("invalid_request", "the body is not valid JSON", [problem])) from None


# -- the app --------------------------------------------------------------------------------


def create_app(
    advisor: Advisor | None = None,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_batch_bytes: int = MAX_BATCH_BYTES,
    cors_origins: tuple[str, ...] | list[str] = (),
) -> FastAPI:
    """The service over one shared Advisor (the shipped pack by default). Safe for concurrent requests."""
    the_advisor = advisor or default_advisor()
    knowledge = the_advisor.knowledge
    rulebook = the_advisor.rulebook
    questions = load_questions(knowledge.directory)  # RulePackError (at start-up) if the file is broken
    questions_json = questions.model_dump(mode="json")
    versions = {
        "advisor": the_advisor.version,
        "knowledge": knowledge.version,
        "rulebook": f"{rulebook.meta.name} {rulebook.meta.version}",
    }
    app = FastAPI(
        title="coop-advisor",
        version=the_advisor.version,
        summary="Advice on which university-enterprise cooperation mode fits a planned partnership.",
        description=_API_DESCRIPTION.format(max_body=max_body_bytes, max_batch=max_batch_bytes),
        docs_url=None,  # NOTE: /docs is served offline below; FastAPI's pages load assets from a CDN
        redoc_url=None,
        openapi_tags=[
            {"name": "advice", "description": "Advice for one profile or for many."},
            {"name": "knowledge", "description": "The cooperation modes and the rules behind the advice."},
            {
                "name": "questionnaire",
                "description": "The questions of the adaptive questionnaire, for other front-ends.",
            },
            {"name": "service", "description": "Health and schemas."},
        ],
    )
    app.state.advisor = the_advisor
    app.add_middleware(BodyLimit, default_limit=max_body_bytes, limits={"/v1/batch": max_batch_bytes})
    app.add_middleware(InternalErrors)  # added last: the outermost of ours
    if cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"], allow_headers=["*"]
        )

    # -- errors ---------------------------------------------------------------------------

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = _request_problems(error)
        noun = "problem" if len(problems) == 1 else "problems"
        fields = ", ".join(problem["field"] for problem in problems)
        return _json(error_body("invalid_request", f"the request has {len(problems)} {noun}: {fields}", problems), 422)

    @app.exception_handler(ProfileError)
    async def _invalid_profile(request: Request, error: ProfileError) -> Response:
        return _json(_profile_error_body(error), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        if isinstance(error, _RequestRejected):
            return _json(error.body, 422)
        codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large", 422: "invalid_request"}
        code = codes.get(error.status_code, "invalid_request")
        message = str(error.detail)
        if error.status_code == 404 and message == "Not Found":
            message = f"no such page: {request.url.path}; the API is listed at /docs"
        elif error.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        headers = dict(error.headers or {})
        response = _json(error_body(code, message), error.status_code)
        response.headers.update(headers)
        return response

    # -- advice ---------------------------------------------------------------------------

    @app.post(
        "/v1/advise",
        tags=["advice"],
        summary="Advice for one partnership profile",
        response_model=Advice,
        responses={
            200: {
                "content": {"text/markdown": {"schema": {"type": "string"}}},
                "description": "The advice (JSON, or Markdown with format=markdown).",
            },
            **ERROR_RESPONSES,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "A profile: a JSON object of the attributes it knows (all optional).",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Profile"}, "example": EXAMPLE_PROFILE}
                },
            }
        },
    )
    async def advise(
        request: Request,
        what_if: Annotated[
            bool,
            Query(
                description="Also compute `next_questions` by re-running the rules for each unanswered attribute (two to three times the work)."
            ),
        ] = False,
        questions: Annotated[
            int, Query(ge=0, le=50, description="How many next questions to list when what_if is on.")
        ] = 5,
        format: Annotated[
            Literal["json", "markdown"], Query(description="`markdown`: the advice as a Markdown report.")
        ] = "json",
    ) -> Response:
        """Every attribute is optional: a missing attribute means unknown. The body is a JSON object
        with the attributes of `GET /v1/schema/profile` (whatever the Content-Type says); the answer
        ranks all eight modes with the reasons for and against each, the difficulties to expect and
        their mitigations. Invalid attributes get 422 naming each field, its value and what is allowed."""
        data = parse_json_body(await request.body(), "a JSON object of profile attributes")
        # NOTE: the body is read here rather than declared as a Profile parameter so that a client
        # that forgets the Content-Type (curl -d) is still understood, and so that the problems read
        # exactly as the library words them. The engine runs in the event loop: it holds the GIL
        # and a lock for about a millisecond, and a thread hop would only add to that (measured).
        advice = the_advisor.advise(data, what_if=what_if, max_questions=questions)
        if format == "markdown":
            return Response(render_markdown(advice), media_type="text/markdown; charset=utf-8")
        # NOTE: serialised directly: returning the model would make FastAPI validate it again.
        return Response(advice.model_dump_json(), media_type="application/json")

    @app.post(
        "/v1/batch",
        tags=["advice"],
        summary="Advice for many profiles, streamed as JSON Lines",
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "One BatchLine per row, in order, as JSON Lines; a bad row gets an `error` and the others go on.",
                "content": {NDJSON: {"schema": {"$ref": "#/components/schemas/BatchLine"}}},
            },
            **ERROR_RESPONSES,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "Profiles as JSON Lines (one JSON object per line) or as a JSON array.",
                "content": {
                    NDJSON: {
                        "schema": {"type": "string"},
                        "example": '{"id": "p1", "enterprise_size": "large"}\n{"id": "p2", "scope": "single_problem"}\n',
                    },
                    "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Profile"}}
                    },
                },
            }
        },
    )
    async def batch(
        request: Request,
        what_if: Annotated[
            bool, Query(description="Also compute next_questions for each row (two to three times the work).")
        ] = False,
        questions: Annotated[
            int, Query(ge=0, le=50, description="How many next questions per row when what_if is on.")
        ] = 5,
    ) -> StreamingResponse:
        """JSON Lines or a JSON array in, JSON Lines out, streamed as the rows are advised. A row that is
        not a valid profile gets a line with `error` (the same problems /v1/advise reports) and never
        stops the others. A body that cannot be split into rows at all gets 422."""
        rows = _split_rows(await request.body(), request.headers.get("content-type", ""))
        return StreamingResponse(_advise_rows(the_advisor, rows, what_if, questions), media_type=NDJSON)

    # -- knowledge ------------------------------------------------------------------------

    @app.get("/v1/modes", tags=["knowledge"], summary="The eight cooperation modes", response_model=list[Mode])
    def modes() -> Response:
        return _json([mode.model_dump(mode="json") for mode in knowledge.modes.values()])

    @app.get(
        "/v1/modes/{mode_id}",
        tags=["knowledge"],
        summary="One cooperation mode",
        response_model=Mode,
        responses={404: {"model": ErrorBody, "description": "No such mode."}},
    )
    def mode(mode_id: Annotated[str, PathParam(description="A mode id, e.g. technology_transfer.")]) -> Response:
        record = knowledge.modes.get(mode_id)
        if record is None:
            close = difflib.get_close_matches(mode_id, list(knowledge.modes), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise StarletteHTTPException(404, f"{mode_id!r} is not a mode{hint}; known: {', '.join(knowledge.modes)}")
        return _json(record.model_dump(mode="json"))

    def _rule_json(rule: Rule) -> dict[str, Any]:
        data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["file"] = Path(rulebook.files[rule.id]).name
        return data

    @app.get(
        "/v1/rules",
        tags=["knowledge"],
        summary="The rules of the rule pack",
        response_model=list[Rule],
        response_model_exclude_none=True,
        responses={422: ERROR_RESPONSES[422]},
    )
    def rules(
        mode: Annotated[str | None, Query(description="Only the rules about this mode or difficulty id.")] = None,
    ) -> Response:
        chosen = list(rulebook.rules.values())
        if mode is not None:
            targets = sorted({rule.effect.target for rule in chosen})
            if mode not in targets:
                problem = _problem("mode", mode, "no rule is about this id", "one of " + ", ".join(targets))
                return _json(error_body("invalid_request", f"no rule is about {mode!r}", [problem]), 422)
            chosen = [rule for rule in chosen if rule.effect.target == mode]
        return _json([_rule_json(rule) for rule in chosen])

    @app.get(
        "/v1/rules/{rule_id}",
        tags=["knowledge"],
        summary="One rule: when it fires, what it does, why, and where that comes from",
        response_model=Rule,
        response_model_exclude_none=True,
        responses={404: {"model": ErrorBody, "description": "No such rule."}},
    )
    def rule(rule_id: Annotated[str, PathParam(description="A rule id, e.g. TT001 (case-insensitive).")]) -> Response:
        record = rulebook.rules.get(rule_id.upper())
        if record is None:
            raise StarletteHTTPException(404, f"{rule_id!r} is not a rule id; GET /v1/rules lists them")
        return _json(_rule_json(record))

    # -- the questionnaire ----------------------------------------------------------------

    @app.get(
        "/v1/questions",
        tags=["questionnaire"],
        summary="The questionnaire's questions, in English and Chinese",
        response_model=QuestionSet,
    )
    def list_questions() -> Response:
        """One question per profile attribute, with its choices, help text and, for numbers, the unit.
        Ask them in the order `POST /v1/interview/next` gives to ask as few as `advisor ask` does."""
        return _json(questions_json)

    @app.post(
        "/v1/interview/next",
        tags=["questionnaire"],
        summary="The next question to ask, or why to stop, and how the modes stand",
        response_model=InterviewStep,
        responses={422: ERROR_RESPONSES[422], 413: ERROR_RESPONSES[413]},
    )
    def interview_next(request: InterviewRequest) -> Response:
        """The adaptive order of `advisor ask`: first the question whose answer could put another mode
        first, and so on; `done` once no remaining answer could change the advice. Send all the answers
        each time (the service keeps no session). The web questionnaire at / is built on this."""
        step = next_question(
            the_advisor, request.answers, request.skipped, ask_all=request.ask_all, questions=questions
        )
        standing = the_advisor.standing(request.answers)
        modes = []
        for mode_id, score in standing.ranking:
            record = knowledge.modes[mode_id]
            verdict = the_advisor.scorer.verdict(score, mode_id in standing.excluded)
            modes.append(
                {"id": mode_id, "name": record.name, "name_zh": record.name_zh, "score": score, "verdict": verdict}
            )
        body = {
            "done": step.done,
            "question": questions.get(step.attribute).model_dump(mode="json") if step.attribute else None,
            "ask_reason": step.ask_reason,
            "stop_reason": step.stop_reason,
            "reason": step.explain(the_advisor, request.lang),
            "could_lead": step.could_lead,
            "remaining": step.remaining,
            "decision": step.field.decision,
            "summary": step.field.line(request.lang),
            "field": step.field.model_dump(mode="json"),
            "modes": modes,
        }
        return _json(body)

    @app.post(
        "/v1/questions/{attribute}/parse",
        tags=["questionnaire"],
        summary="Read a typed answer as the terminal questionnaire does (e.g. 1.5y, 200万)",
        response_model=ParsedAnswer,
        response_model_exclude_none=True,
        responses={404: {"model": ErrorBody, "description": "No such question."}, 422: ERROR_RESPONSES[422]},
    )
    def parse(
        attribute: Annotated[str, PathParam(description="A profile attribute, e.g. funding_cny.")],
        request: ParseRequest,
    ) -> Response:
        """Durations (`18 months`, `1.5y`, `1年半`), amounts (`1.5m`, `200万`, `1.2亿`), yes/no, choices by
        number or name, lists separated by commas. A text that cannot be read gets 422 with one line
        (in `lang`) saying how to write it."""
        try:
            question = questions.get(attribute)
        except KeyError:
            raise StarletteHTTPException(
                404, f"{attribute!r} is not a question; GET /v1/questions lists them"
            ) from None
        try:
            value = parse_answer(question, request.text, request.lang)
        except AnswerError as error:
            example = question.example.get(request.lang) if question.example else None
            problem = _problem(attribute, request.text, str(error), example)
            return _json(error_body("invalid_request", str(error), [problem]), 422)
        if isinstance(value, Command):
            return _json({"attribute": attribute, "command": value.value})
        return _json({"attribute": attribute, "value": value, "display": display_value(question, value, request.lang)})

    # -- service --------------------------------------------------------------------------

    @app.get("/v1/schema/profile", tags=["service"], summary="JSON Schema of a profile (the input)")
    def profile_schema() -> dict[str, Any]:
        return Profile.model_json_schema()

    @app.get("/v1/schema/advice", tags=["service"], summary="JSON Schema of the advice (the output)")
    def advice_schema() -> dict[str, Any]:
        return Advice.model_json_schema()

    @app.get("/healthz", tags=["service"], summary="Liveness: the advisor is loaded", response_model=Health)
    def healthz() -> Response:
        return _json(
            {"status": "ok", "versions": versions, "rules": len(rulebook.rules), "modes": len(knowledge.modes)}
        )

    def _openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            # The request bodies (read by hand) and the batch stream's lines are described by
            # models no parameter names: add their schemas from the same pydantic models.
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (Profile, BatchLine):
                extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
                for name, definition in extra.pop("$defs", {}).items():
                    components.setdefault(name, definition)
                components[model.__name__] = extra
            # Every 422 has the ErrorBody shape (FastAPI would document its own shape).
            for methods in schema["paths"].values():
                for operation in methods.values():
                    if "422" in operation.get("responses", {}):
                        operation["responses"]["422"] = {
                            "description": ERROR_RESPONSES[422]["description"],
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                        }
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = _openapi  # type: ignore[method-assign]

    # -- the web questionnaire and the docs --------------------------------------------

    _mount_web(app)
    return app


def _split_rows(body: bytes, content_type: str) -> list[tuple[int, int | None, Any]]:
    """The rows of a batch body as (row, line, parsed JSON or a JSONDecodeError)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = _problem(
            "(body)", _MISSING, f"the body is not UTF-8 text (byte {error.start})", "UTF-8 JSON Lines or a JSON array"
        )
        raise _RequestRejected(error_body("invalid_request", "the body is not UTF-8 text", [problem])) from None
    stripped = text.lstrip()
    media = content_type.split(";")[0].strip().lower()
    if stripped.startswith("[") or media == "application/json":
        try:
            rows = json.loads(text, parse_constant=_not_json)
        except (ValueError, RecursionError) as error:
            problem = _problem("(body)", _MISSING, f"the body is not valid JSON ({error})", "a JSON array of profiles")
            raise _RequestRejected(
                error_body("invalid_request", "the body is not a valid JSON array", [problem])
            ) from None
        if not isinstance(rows, list):
            problem = _problem(
                "(body)",
                _MISSING,
                "a JSON body must be an array of profiles",
                "a JSON array, or JSON Lines sent as application/x-ndjson",
            )
            raise _RequestRejected(error_body("invalid_request", "the body is not a JSON array", [problem]))
        parsed: list[tuple[int, int | None, Any]] = [(number, None, row) for number, row in enumerate(rows, start=1)]
    else:
        parsed = []
        for line_number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value: Any = json.loads(line, parse_constant=_not_json)
            except (ValueError, RecursionError) as error:
                value = _BadLine(str(error) if isinstance(error, ValueError) else "nested too deeply")
            parsed.append((len(parsed) + 1, line_number, value))
    if not parsed:
        problem = _problem("(body)", _MISSING, "the body holds no rows", "JSON Lines or a JSON array of profiles")
        raise _RequestRejected(error_body("invalid_request", "the body holds no rows", [problem]))
    return parsed


class _BadLine(str):
    """A JSON Lines line that is not JSON: why."""


class _RequestRejected(StarletteHTTPException):
    """A request refused as a whole with 422 and a prepared error body."""

    def __init__(self, body: dict[str, Any]):
        super().__init__(422, body["message"])
        self.body = body


def _advise_rows(
    advisor: Advisor, rows: list[tuple[int, int | None, Any]], what_if: bool, questions: int
) -> Iterator[bytes]:
    """One JSON line per row, advised one at a time by the library's batch loop (the engine is
    shared with other requests). No row can cut the stream: each line is encoded on its own, a
    lone surrogate written as its JSON escape."""
    from .row_scoring import Rejected, RowValidator, score_rows

    inputs = (
        (number, {}, "not JSON") if isinstance(value, _BadLine) else (number, value, None) for number, _, value in rows
    )
    results = score_rows(
        advisor,
        inputs,
        full=True,
        what_if=what_if,
        max_questions=questions,
        validator=RowValidator(text_cells=False),
        chunk_size=1,
    )
    for (number, line, value), result in zip(rows, results, strict=True):
        head: dict[str, Any] = {"row": number}
        if line is not None:
            head["line"] = line
        row_id = value.get("id") if isinstance(value, dict) else None
        head["id"] = row_id if isinstance(row_id, str) else None
        if isinstance(value, _BadLine):
            problem = _problem("(row)", _MISSING, f"the line is not valid JSON ({value})", "one JSON object per line")
            head["error"] = error_body("invalid_request", "the line is not valid JSON", [problem])
            text = json.dumps(head, ensure_ascii=False)
        elif isinstance(result, Rejected) and result.internal:  # a bug on one row must not lose the others
            failure = getattr(result.problems, "error", None)
            log.error("internal error on batch row %s: %s", number, result.problems[0].message, exc_info=failure)
            error = type(failure).__name__ if failure is not None else "error"
            head["error"] = error_body("internal_error", f"internal error ({error}); this is a bug, please report it")
            text = json.dumps(head, ensure_ascii=False)
        elif isinstance(result, Rejected):
            head["error"] = _profile_error_body(ProfileError(result.problems))
            text = json.dumps(head, ensure_ascii=False, default=repr)
        else:
            assert result.advice is not None
            text = json.dumps(head, ensure_ascii=False)[:-1] + ', "advice": ' + result.advice.model_dump_json() + "}"
        # NOTE: backslashreplace turns a lone surrogate (only ever inside a JSON string) into its
        # JSON escape, so the line stays valid JSON instead of stopping the stream.
        yield (text + "\n").encode("utf-8", "backslashreplace")


_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_WEB_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/style.css": ("style.css", "text/css; charset=utf-8"),
}


def _mount_web(app: FastAPI) -> None:
    """The single-page questionnaire (advisor/web) and the offline API reference at /docs."""
    for route, (name, media_type) in _WEB_FILES.items():
        content = (WEB_DIR / name).read_bytes()

        def serve(content: bytes = content, media_type: str = media_type) -> Response:
            headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
            if media_type.startswith("text/html"):
                headers["Content-Security-Policy"] = _CSP
            return Response(content, media_type=media_type, headers=headers)

        app.add_api_route(route, serve, methods=["GET"], include_in_schema=False)

    def docs() -> Response:
        return Response(render_docs_page(app.openapi()), media_type="text/html; charset=utf-8")

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)


_API_DESCRIPTION = """\
Which of eight university-enterprise cooperation modes fits a planned partnership, why, and which
documented difficulties to prepare for. Every recommendation comes from the rule pack
(`GET /v1/rules`), each reason citing the knowledge it rests on.

**Errors** have one JSON shape: `{{"error": code, "message": sentence, "problems": [...]}}`, where each
problem names the `field`, the `value` given and what is `allowed`. 422: invalid input;
404: unknown id or page; 413: body over the limit; 405: wrong method; 500: a bug.

**Limits**: request bodies up to {max_body} bytes; `POST /v1/batch` up to {max_batch} bytes.
"""


def render_docs_page(schema: Mapping[str, Any]) -> str:
    """An API reference with a form per operation, rendered from the OpenAPI document.

    NOTE: FastAPI's Swagger UI and ReDoc pages load their scripts from a CDN, and the service
    must work with no network; this page needs nothing but the service itself.
    """
    esc = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(schema['info']['title'])} API</title><link rel='icon' href='data:,'>",
        "<link rel='stylesheet' href='/static/style.css'></head><body class='docs'><main>",
        f"<h1>{esc(schema['info']['title'])} HTTP API <small>{esc(schema['info']['version'])}</small></h1>",
        f"<p>{esc(schema['info'].get('summary', ''))}</p>",
        "<p>The machine-readable description is <a href='/openapi.json'>/openapi.json</a> (OpenAPI "
        f"{esc(schema['openapi'])}); the web questionnaire is at <a href='/'>/</a>.</p>",
        f"<div class='doc-text'>{_paragraphs(schema['info'].get('description', ''))}</div>",
        "<nav aria-label='Operations'><ul>",
    ]
    operations = [
        (path, method, operation) for path, methods in schema["paths"].items() for method, operation in methods.items()
    ]
    for index, (path, method, operation) in enumerate(operations):
        out.append(
            f"<li><a href='#op{index}'><code>{method.upper()} {esc(path)}</code></a> {esc(operation.get('summary', ''))}</li>"
        )
    out.append("</ul></nav>")
    for index, (path, method, operation) in enumerate(operations):
        out.append(f"<section class='op' id='op{index}'><h2><code>{method.upper()} {esc(path)}</code></h2>")
        out.append(f"<p><strong>{esc(operation.get('summary', ''))}</strong></p>")
        if operation.get("description"):
            out.append(f"<div class='doc-text'>{_paragraphs(operation['description'])}</div>")
        out.append(f"<form class='try' data-method='{method.upper()}' data-path='{esc(path)}'>")
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            default = parameter.get("schema", {}).get("default", "")
            required = " required" if parameter.get("required") else ""
            described = _inline(parameter.get("description", ""))
            out.append(
                f"<label>{esc(name)} <em>({parameter['in']})</em>"
                f"<input name='{esc(name)}' data-in='{parameter['in']}' value='{esc(str(default).lower() if isinstance(default, bool) else str(default))}'{required}>"
                f"<span class='hint'>{described}</span></label>"
            )
        body = operation.get("requestBody")
        if body:
            content = body["content"]
            media = next(iter(content))
            example = _example(content[media])
            out.append(
                f"<label>Body <em>({esc(media)})</em><textarea name='body' data-type='{esc(media)}' rows='8'>{esc(example)}</textarea></label>"
            )
        codes = "".join(
            f"<li><strong>{code}</strong> {_inline(response.get('description', ''))}</li>"
            for code, response in operation.get("responses", {}).items()
        )
        out.append(f"<div class='hint'>Responses:<ul>{codes}</ul></div>")
        out.append(
            "<button type='submit'>Send request</button><pre class='response' aria-live='polite'></pre></form></section>"
        )
    out.append("</main><script>" + _DOCS_SCRIPT + "</script></body></html>")
    return "\n".join(out)


def _inline(text: str) -> str:
    """Escaped text with the Markdown the descriptions use: `code` and **bold**."""
    text = html.escape(text).replace("\n", " ")
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{_inline(part.strip())}</p>" for part in text.split("\n\n") if part.strip())


def _example(content: Mapping[str, Any]) -> str:
    if "example" in content:
        value = content["example"]
        return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    for example in (content.get("examples") or {}).values():
        return json.dumps(example.get("value"), indent=2, ensure_ascii=False)
    return "{}"


_DOCS_SCRIPT = """
document.querySelectorAll('form.try').forEach(function (form) {
  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    var path = form.dataset.path, query = new URLSearchParams(), init = {method: form.dataset.method, headers: {}};
    form.querySelectorAll('input').forEach(function (input) {
      if (input.dataset.in === 'path') path = path.replace('{' + input.name + '}', encodeURIComponent(input.value));
      else if (input.value !== '') query.set(input.name, input.value);
    });
    var body = form.querySelector('textarea');
    if (body) { init.body = body.value; init.headers['Content-Type'] = body.dataset.type; }
    var out = form.querySelector('.response'), url = path + (query.toString() ? '?' + query : '');
    out.textContent = init.method + ' ' + url + ' ...';
    try {
      var response = await fetch(url, init), text = await response.text();
      try { if ((response.headers.get('content-type') || '').indexOf('application/json') === 0) text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
      out.textContent = init.method + ' ' + url + '\\n' + response.status + ' ' + response.statusText + '\\n\\n' + text;
    } catch (error) { out.textContent = 'request failed: ' + error; }
  });
});
"""
