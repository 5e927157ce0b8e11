"""The HTTP API's routes: module-level functions, each a thin adapter over the library.

Each route finds the service's Pack (the Advisor and the questionnaire) on `request.app.state`;
http_api.create_app() puts it there and mounts these routers.
NOTE: bodies are read by hand (parse_json_body / parse_json_model) rather than declared as
parameters: a client that forgets the Content-Type (curl -d) is still understood, NaN, Infinity,
huge integers and deep nesting get the API's 422 instead of FastAPI's 400, and the problems read
exactly as the library words them.
"""

from __future__ import annotations

import difflib
import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .advice import Advice
from .answers import AnswerError, Command, display_value, parse_answer
from .catalogue import words
from .core import Advisor
from .errors import _MISSING, ProfileError
from .http_catalogue import accepted_lang
from .http_docs import openapi_document, render_docs_page
from .http_errors import (
    ERROR_RESPONSES,
    ErrorBody,
    RequestRejected,
    body_lang,
    error_body,
    json_bytes,
    json_reason,
    json_response,
    model_json_bytes,
    parse_json_body,
    parse_json_model,
    problem,
    profile_error_body,
    refusal,
    strict_json,
)
from .http_models import (
    EXAMPLE_PROFILE,
    Health,
    InterviewRequest,
    InterviewStep,
    ParsedAnswer,
    ParseRequest,
)
from .http_query import StrictQueryRoute
from .interview import next_question
from .knowledge import Mode
from .langs import FALLBACK, LANGS
from .pack import Pack
from .profile import Profile
from .questions import QuestionSet
from .render import render_markdown
from .rulebook import Rule

log = logging.getLogger("advisor.http")

NDJSON = "application/x-ndjson"
WEB_DIR = Path(__file__).resolve().parent / "web"

# The API refuses a query parameter a route does not declare, or one given twice (http_query);
# the page, its files and the documents take any query, as pages linked from elsewhere must.
api = APIRouter(route_class=StrictQueryRoute)
web = APIRouter(include_in_schema=False)


def _pack(request: Request) -> Pack:
    pack: Pack = request.app.state.pack
    return pack


# -- advice -----------------------------------------------------------------------------------


@api.post(
    "/v1/advise",
    tags=["advice"],
    summary="Advice for one partnership profile",
    response_model=Advice,
    responses={
        200: {
            "content": {
                "text/markdown": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
            "description": "The advice (JSON; a Markdown report with format=markdown; a self-contained HTML "
            "report with format=html).",
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
            description="Also compute `next_questions` by re-running the rules for each unanswered attribute (about twice the work)."
        ),
    ] = False,
    questions: Annotated[
        int, Query(ge=0, le=50, description="How many next questions to list when what_if is on.")
    ] = 5,
    format: Annotated[
        Literal["json", "markdown", "html"],
        Query(description="`markdown`: the advice as a Markdown report; `html`: as a report to forward."),
    ] = "json",
    lang: Annotated[
        Literal["en", "zh"],
        Query(
            description="Language of the reasons' `message` (all languages stay under `messages`) and of the reports."
        ),
    ] = "en",
) -> Response:
    """Every attribute is optional: a missing attribute means unknown. The body is a JSON object
    with the attributes of `GET /v1/schema/profile` (whatever the Content-Type says); the answer
    ranks all eight modes with the reasons for and against each, the difficulties to expect and
    their mitigations. Invalid attributes get 422 naming each field, its value and what is allowed."""
    data = parse_json_body(await request.body(), "profile", lang)
    # NOTE: the engine runs in the event loop: it holds the GIL and a lock for about a
    # millisecond, and a thread hop would only add to that (measured).
    pack = _pack(request)
    advice = pack.advisor.advise(data, what_if=what_if, max_questions=questions, lang=lang)
    if format == "markdown":
        return Response(render_markdown(advice, lang, pack.questions), media_type="text/markdown; charset=utf-8")
    if format == "html":
        from .report import render_html

        return Response(render_html(advice, lang, questions=pack.questions), media_type="text/html; charset=utf-8")
    # NOTE: serialised directly: returning the model would make FastAPI validate it again; and to
    # bytes, not to a str that the response encodes again (71 µs against 117 for an example's
    # ~37 KB advice, measured).
    return Response(model_json_bytes(advice), media_type="application/json")


@api.post(
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
                "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Profile"}}},
            },
        }
    },
)
async def batch(
    request: Request,
    what_if: Annotated[
        bool, Query(description="Also compute next_questions for each row (about twice the work).")
    ] = False,
    questions: Annotated[
        int, Query(ge=0, le=50, description="How many next questions per row when what_if is on.")
    ] = 5,
    lang: Annotated[
        Literal["en", "zh"],
        Query(description="Language of each advice's reason `message` and of each rejected row's problems."),
    ] = "en",
) -> StreamingResponse:
    """JSON Lines or a JSON array in, JSON Lines out, streamed as the rows are advised. A row that is
    not a valid profile gets a line with `error` (the same problems /v1/advise reports) and never
    stops the others. A body that cannot be split into rows at all gets 422."""
    rows = split_rows(await request.body(), request.headers.get("content-type", ""), lang)
    return StreamingResponse(advise_rows(_pack(request).advisor, rows, what_if, questions, lang), media_type=NDJSON)


# -- knowledge ---------------------------------------------------------------------------------

#: The `lang` of a route whose answer holds every language: it words only the route's refusal (a
#: 404 or 422). Each route names its refusal with `Annotated[RefusalLang, Query(description=...)]`
#: (FastAPI reads the last Query).
RefusalLang = Annotated[Literal["en", "zh"], Query()]


@api.get("/v1/modes", tags=["knowledge"], summary="The eight cooperation modes", response_model=list[Mode])
def modes(request: Request) -> Response:
    return json_response([mode.model_dump(mode="json") for mode in _pack(request).advisor.knowledge.modes.values()])


@api.get(
    "/v1/modes/{mode_id}",
    tags=["knowledge"],
    summary="One cooperation mode",
    response_model=Mode,
    responses={404: {"model": ErrorBody, "description": "No such mode."}},
)
def mode(
    request: Request,
    mode_id: Annotated[str, PathParam(description="A mode id, e.g. technology_transfer.")],
    lang: Annotated[
        RefusalLang, Query(description="Language of the 404 for an unknown id (the mode itself holds every language).")
    ] = "en",
) -> Response:
    known = _pack(request).advisor.knowledge.modes
    record = known.get(mode_id)
    if record is None:
        close = difflib.get_close_matches(mode_id, list(known), n=1)
        hint = refusal("did_you_mean", lang, close=repr(close[0])) if close else ""
        known_ids = refusal("id_sep", lang).join(known)
        raise StarletteHTTPException(404, refusal("no_mode", lang, id=repr(mode_id), hint=hint, known=known_ids))
    return json_response(record.model_dump(mode="json"))


def _rule_json(advisor: Advisor, rule: Rule) -> dict[str, Any]:
    data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["file"] = Path(advisor.rulebook.files[rule.id]).name
    return data


@api.get(
    "/v1/rules",
    tags=["knowledge"],
    summary="The rules of the rule pack",
    response_model=list[Rule],
    response_model_exclude_none=True,
    responses={422: ERROR_RESPONSES[422]},
)
def rules(
    request: Request,
    mode: Annotated[str | None, Query(description="Only the rules about this mode or difficulty id.")] = None,
    lang: Annotated[
        RefusalLang,
        Query(description="Language of the 422 for a mode no rule is about (each rule holds every language)."),
    ] = "en",
) -> Response:
    advisor = _pack(request).advisor
    chosen = list(advisor.rulebook.rules.values())
    if mode is not None:
        targets = sorted({rule.effect.target for rule in chosen})
        if mode not in targets:
            allowed = refusal("targets", lang, targets=refusal("id_sep", lang).join(targets))
            bad = problem("mode", mode, refusal("no_rule_about_problem", lang), allowed)
            return json_response(
                error_body("invalid_request", refusal("no_rule_about", lang, id=repr(mode)), [bad]), 422
            )
        chosen = [rule for rule in chosen if rule.effect.target == mode]
    return json_response([_rule_json(advisor, rule) for rule in chosen])


@api.get(
    "/v1/rules/{rule_id}",
    tags=["knowledge"],
    summary="One rule: when it fires, what it does, why, and where that comes from",
    response_model=Rule,
    response_model_exclude_none=True,
    responses={404: {"model": ErrorBody, "description": "No such rule."}},
)
def rule(
    request: Request,
    rule_id: Annotated[str, PathParam(description="A rule id, e.g. TT001 (case-insensitive).")],
    lang: Annotated[
        RefusalLang, Query(description="Language of the 404 for an unknown id (the rule itself holds every language).")
    ] = "en",
) -> Response:
    advisor = _pack(request).advisor
    record = advisor.rulebook.rules.get(rule_id.upper())
    if record is None:
        raise StarletteHTTPException(404, refusal("no_rule", lang, id=repr(rule_id)))
    return json_response(_rule_json(advisor, record))


# -- the questionnaire -------------------------------------------------------------------------


@api.get(
    "/v1/questions",
    tags=["questionnaire"],
    summary="The questionnaire's questions, in English and Chinese",
    response_model=QuestionSet,
)
def list_questions(request: Request) -> Response:
    """One question per profile attribute, with its choices, help text and, for numbers, the unit.
    Ask them in the order `POST /v1/interview/next` gives to ask as few as `advisor ask` does."""
    return Response(request.app.state.questions_json, media_type="application/json")


def _body_schema(model: type[Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    }


@api.post(
    "/v1/interview/next",
    tags=["questionnaire"],
    summary="The next question to ask, or why to stop, and how the modes stand",
    response_model=InterviewStep,
    responses={422: ERROR_RESPONSES[422], 413: ERROR_RESPONSES[413]},
    openapi_extra=_body_schema(InterviewRequest),
)
async def interview_next(request: Request) -> Response:
    """The adaptive order of `advisor ask`: first the question whose answer could put another mode
    first, and so on; `done` once no remaining answer could change the advice (or, in a close call,
    separate the two leaders). Send all the answers each time (the service keeps no session). The
    web questionnaire at / is built on this."""
    asked: InterviewRequest = parse_json_model(await request.body(), InterviewRequest)
    # NOTE: run in the event loop, as /v1/advise is. A step now takes about 2 ms of CPU (p99 9 ms,
    # the longest of 600 random interview states 25 ms), and the hop to a worker thread cost
    # 0.3-0.5 ms of server CPU per step on top (benchmarks/bench_http.py --interview, measured);
    # a thread gives no parallelism anyway, the engine and the scoring hold the GIL.
    try:
        return _interview_step(_pack(request), asked, request.app.state.question_json)
    except ProfileError as error:  # the answers' problems in the body's `lang`, as the step's sentences are
        return json_response(profile_error_body(error, asked.lang), 422)


def _interview_step(pack: Pack, asked: InterviewRequest, question_json: Mapping[str, Any]) -> Response:
    """One step's answer; `question_json` holds each question as JSON-ready data (made once per app)."""
    advisor = pack.advisor
    step = next_question(advisor, asked.answers, asked.skipped, ask_all=asked.ask_all, questions=pack.questions)
    body = {
        "done": step.done,
        "question": question_json[step.attribute] if step.attribute else None,
        "ask_reason": step.ask_reason,
        "stop_reason": step.stop_reason,
        "reason": step.explain(advisor, asked.lang),
        "could_lead": step.could_lead,
        "remaining": step.remaining,
        "decision": step.field.decision,
        "summary": step.field.line(asked.lang),
        "field": step.field,
        "modes": step.modes,
    }
    return Response(model_json_bytes(body), media_type="application/json")


@api.post(
    "/v1/questions/{attribute}/parse",
    tags=["questionnaire"],
    summary="Read a typed answer as the terminal questionnaire does (e.g. 1.5y, 200万)",
    response_model=ParsedAnswer,
    response_model_exclude_none=True,
    responses={404: {"model": ErrorBody, "description": "No such question."}, 422: ERROR_RESPONSES[422]},
    openapi_extra=_body_schema(ParseRequest),
)
async def parse(
    request: Request, attribute: Annotated[str, PathParam(description="A profile attribute, e.g. funding_cny.")]
) -> Response:
    """Durations (`18 months`, `1.5y`, `1年半`), amounts (`1.5m`, `200万`, `1.2亿`), yes/no, choices by
    number or name, lists separated by commas. A text that cannot be read gets 422 with one line
    (in `lang`) saying how to write it; an unknown attribute gets 404, in `lang` too."""
    try:
        question = _pack(request).questions.get(attribute)
    except KeyError:
        lang = body_lang(await request.body())  # as every sentence of this route: in its body's `lang`
        raise StarletteHTTPException(404, refusal("no_question", lang, id=repr(attribute))) from None
    typed: ParseRequest = parse_json_model(await request.body(), ParseRequest)
    try:
        value = parse_answer(question, typed.text, typed.lang)
    except AnswerError as error:
        example = question.example.get(typed.lang) if question.example else None
        bad = problem(attribute, typed.text, str(error), example)
        return json_response(error_body("invalid_request", str(error), [bad]), 422)
    if isinstance(value, Command):
        return json_response({"attribute": attribute, "command": value.value})
    return json_response(
        {"attribute": attribute, "value": value, "display": display_value(question, value, typed.lang)}
    )


# -- service -----------------------------------------------------------------------------------


@api.get("/v1/schema/profile", tags=["service"], summary="JSON Schema of a profile (the input)")
def profile_schema() -> dict[str, Any]:
    return Profile.model_json_schema()


@api.get("/v1/schema/advice", tags=["service"], summary="JSON Schema of the advice (the output)")
def advice_schema() -> dict[str, Any]:
    return Advice.model_json_schema()


@api.get("/healthz", tags=["service"], summary="Liveness: the advisor is loaded", response_model=Health)
def healthz(request: Request) -> Response:
    pack = _pack(request)
    advisor = pack.advisor
    return json_response(
        {
            "status": "ok",
            "versions": pack.versions,
            "rules": len(advisor.rulebook.rules),
            "modes": len(advisor.knowledge.modes),
        }
    )


# -- the web questionnaire, its files and the docs page ------------------------------------------

WEB_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/values.js": ("values.js", "text/javascript; charset=utf-8"),
    "/static/docs.js": ("docs.js", "text/javascript; charset=utf-8"),
    "/static/style.css": ("style.css", "text/css; charset=utf-8"),
}
_web_cache: dict[str, bytes] = {}


def _web_file(name: str) -> bytes:
    content = _web_cache.get(name)
    if content is None:
        content = _web_cache[name] = (WEB_DIR / name).read_bytes()
    return content


def _serve_file(request: Request) -> Response:
    name, media_type = WEB_FILES[request.url.path]
    return Response(_web_file(name), media_type=media_type, headers={"Cache-Control": "no-cache"})


for _route in WEB_FILES:
    web.add_api_route(_route, _serve_file, methods=["GET"])


@web.get("/openapi.json")
def openapi(request: Request) -> Response:
    return json_response(openapi_document(request.app))


@web.get("/docs")
def docs(request: Request) -> Response:
    # The language as the web page picks it: ?lang=en|zh, else the browser's Accept-Language.
    asked = request.query_params.get("lang")
    lang = asked if asked in LANGS else accepted_lang(request.headers.get("accept-language"))
    pages = request.app.state.docs_pages  # NOTE: built once per language: the pack never changes
    if lang not in pages:
        pages[lang] = render_docs_page(openapi_document(request.app), lang, request.app.state.limits).encode()
    return Response(
        pages[lang],
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache", "Vary": "Accept-Language"},
    )


# -- /v1/batch: rows in, one JSON line per row out -----------------------------------------------


class _BadLine(str):
    """A JSON Lines line that is not JSON: why (in the request's language)."""


def split_rows(body: bytes, content_type: str, lang: str = FALLBACK) -> list[tuple[int, int | None, Any]]:
    """The rows of a batch body as (row, line, parsed JSON or a _BadLine saying why it is not);
    RequestRejected (422, in `lang`) for a body that cannot be split into rows."""
    w = words(lang, "request_problems")["batch"]
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = str(w["not_utf8_at"]).format(position=error.start)
        bad = problem("(body)", _MISSING, message, str(w["utf8_rows"]))
        raise RequestRejected(error_body("invalid_request", str(w["not_utf8"]), [bad])) from None
    stripped = text.lstrip()
    media = content_type.split(";")[0].strip().lower()
    if stripped.startswith("[") or media == "application/json":
        try:
            rows = strict_json(text)
        except (ValueError, RecursionError) as error:
            # NOTE: English keeps the text it has always given (Python's own for a RecursionError)
            detail = str(error) if lang == FALLBACK else json_reason(error, lang)
            message = str(words(lang, "request_problems")["body"]["not_json_detail"]).format(detail=detail)
            bad = problem("(body)", _MISSING, message, str(w["array_of_profiles"]))
            raise RequestRejected(error_body("invalid_request", str(w["not_json_array"]), [bad])) from None
        if not isinstance(rows, list):
            bad = problem("(body)", _MISSING, str(w["must_be_array"]), str(w["array_or_lines"]))
            raise RequestRejected(error_body("invalid_request", str(w["not_array"]), [bad]))
        parsed: list[tuple[int, int | None, Any]] = [(number, None, row) for number, row in enumerate(rows, start=1)]
    else:
        parsed = []
        for line_number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                # NOTE: as strict as /v1/advise: a key given twice or a number of over 100 digits is refused
                value: Any = strict_json(line)
            except (ValueError, RecursionError) as error:
                value = _BadLine(json_reason(error, lang, line=line_number))
            parsed.append((len(parsed) + 1, line_number, value))
    if not parsed:
        bad = problem("(body)", _MISSING, str(w["no_rows"]), str(w["rows"]))
        raise RequestRejected(error_body("invalid_request", str(w["no_rows"]), [bad]))
    return parsed


def advise_rows(
    advisor: Advisor, rows: list[tuple[int, int | None, Any]], what_if: bool, questions: int, lang: str = "en"
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
        lang=lang,
    )
    said = words(lang, "request_problems")
    for (number, line, value), result in zip(rows, results, strict=True):
        head: dict[str, Any] = {"row": number}
        if line is not None:
            head["line"] = line
        row_id = value.get("id") if isinstance(value, dict) else None
        head["id"] = row_id if isinstance(row_id, str) else None
        if isinstance(value, _BadLine):
            bad = problem(
                "(row)", _MISSING, str(said["bad_line_detail"]).format(detail=value), said["one_object_per_line"]
            )
            head["error"] = error_body("invalid_request", str(said["bad_line"]), [bad])
            yield json_bytes_line(head)
        elif isinstance(result, Rejected) and result.internal:  # a bug on one row must not lose the others
            failure = getattr(result.problems, "error", None)
            log.error("internal error on batch row %s: %s", number, result.problems[0].message, exc_info=failure)
            error = type(failure).__name__ if failure is not None else "error"
            head["error"] = error_body("internal_error", str(said["internal_row"]).format(error=error))
            yield json_bytes_line(head)
        elif isinstance(result, Rejected):
            head["error"] = profile_error_body(ProfileError(result.problems), lang)
            yield json_bytes_line(head)
        else:
            assert result.advice is not None
            text = json.dumps(head, ensure_ascii=False)[:-1] + ', "advice": ' + result.advice.model_dump_json() + "}"
            # NOTE: backslashreplace turns a lone surrogate (only ever inside a JSON string) into its
            # JSON escape, so the line stays valid JSON instead of stopping the stream.
            yield (text + "\n").encode("utf-8", "backslashreplace")


def json_bytes_line(record: dict[str, Any]) -> bytes:
    return json_bytes(record) + b"\n"
