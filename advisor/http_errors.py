"""The HTTP API's one error shape: {"error": code, "message": sentence, "problems": [...]}.

Bodies, the problems of a profile or of a request, strict reading of JSON bodies, and the
exception handlers that turn every error into that shape (never a traceback, never bare NaN).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import PydanticSerializationError, to_json, to_jsonable_python
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException

from .catalogue import attribute_label, words
from .errors import _MISSING, ProfileError
from .langs import FALLBACK, LANGS
from .limits import bounded_int, unique_keys
from .problem_text import allowed_text, field_name, translate

ErrorCode = Literal[
    "invalid_profile",
    "invalid_request",
    "not_found",
    "method_not_allowed",
    "body_too_large",
    "headers_too_large",
    "request_timeout",
    "cors_refused",
    "internal_error",
]


class Problem(BaseModel):
    """One thing wrong with the request: which field, what was given, what is allowed."""

    field: str = Field(
        description="The attribute or part of the request at fault, e.g. `scope`, `funding_sources[1]`, `(body)`."
    )
    value: Any = Field(None, description="The value given; absent when nothing was given.")
    message: str = Field(description="What is wrong with it (in the language of `?lang=`).")
    allowed: str | None = Field(None, description="What the field accepts (in the language of `?lang=`).")
    label: str | None = Field(None, description="The field's label in the language of `?lang=`, when not English.")


class ErrorBody(BaseModel):
    """The body of every error response (400, 404, 405, 408, 413, 422, 431, 500)."""

    error: ErrorCode = Field(description="A stable code to branch on.")
    message: str = Field(description="One sentence for a person.")
    problems: list[Problem] = Field(default_factory=list, description="Each field at fault (422 only).")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "The body is over the size limit."},
    422: {
        "model": ErrorBody,
        "description": "Invalid input: each problem names the field, the value and what is allowed.",
    },
}


def model_json_bytes(data: Any) -> bytes:
    """`json_bytes` for JSON-ready data that may hold pydantic models (dumped as `model_dump(mode="json")`
    would), written by pydantic's own serialiser.

    NOTE: an interview step's body is mostly models; serialising them in Rust, as `/v1/advise`
    does its advice, takes 13 µs where dumping them to dicts for `json.dumps` took 38 (measured).
    What pydantic would not write strictly goes the strict way: a lone surrogate (it refuses)
    and NaN or infinity (it writes them bare; the words inside a text only cost the slow way)."""
    try:
        written: bytes | None = to_json(data, by_alias=False)
    except PydanticSerializationError:
        written = None
    if written is None or b"NaN" in written or b"Infinity" in written:
        return json_bytes(to_jsonable_python(data, by_alias=False))
    return written


def json_bytes(data: Any) -> bytes:
    """Strict JSON (no NaN or Infinity) as UTF-8; a lone surrogate in a value is escaped, not a 500."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, default=repr)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # NOTE: "\ud800" cannot be UTF-8; JSON's \u escape can carry it
        return json.dumps(data, ensure_ascii=True, allow_nan=False, default=repr).encode("ascii")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json_bytes(data), status_code=status, media_type="application/json")


def error_body(code: str, message: str, problems: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "problems": problems or []}


def problem(field: str, value: Any, message: str, allowed: str | None) -> dict[str, Any]:
    """One problem record; `value` is left out when it is errors._MISSING (nothing was given)."""
    record: dict[str, Any] = {"field": field}
    if value is not _MISSING:
        record["value"] = _json_safe(value)
    record["message"] = message
    record["allowed"] = allowed
    return record


def _json_safe(value: Any) -> Any:
    """A refused value as JSON can carry it: a number JSON has no word for (1e400 read as
    infinity, NaN) is quoted as text ("inf"), so the 422 that names it is never a 500."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    return value


def profile_problems(error: ProfileError, lang: str = FALLBACK) -> list[dict[str, Any]]:
    """The problems of a ProfileError as JSON records (field, value, message, allowed), their
    sentences in `lang`; in a language other than English each with its field's `label`."""
    problems = []
    for item in error.problems:
        message, allowed = item.message, item.allowed
        if allowed and "advisor schema" in allowed:  # the CLI's pointer, said the HTTP way
            allowed = str(words(lang, "request_problems")["schema_attribute"])
        elif allowed and lang != FALLBACK:
            allowed = allowed_text(item.field, allowed, lang)
        if lang != FALLBACK:
            message = translate(message, lang)
        record = problem(item.field, item.value, message, allowed)
        if lang != FALLBACK:
            record["label"] = attribute_label(item.field.split("[", 1)[0], lang)
        problems.append(record)
    return problems


def profile_error_body(error: ProfileError, lang: str = FALLBACK) -> dict[str, Any]:
    """The 422 body of a profile that does not validate, its sentences in `lang` (the `error` code,
    the `field` names and the values stay as they are in every language)."""
    problems = profile_problems(error, lang)
    w = words(lang, "problems")
    fields = str(w["field_sep"]).join(field_name(item.field, lang) for item in error.problems)
    summary = w["summary_one"] if len(problems) == 1 else w["summary_many"]
    return error_body("invalid_profile", str(summary).format(count=len(problems), fields=fields), problems)


def request_lang(request: Request) -> str:
    """The language a request asked for with `?lang=` (a language the advisor speaks), else English."""
    return query_lang(request.query_params)


def query_lang(query: QueryParams) -> str:
    """The language a query names with `lang`, else English: when it names none, one the advisor
    does not speak, or two at once (which is meant cannot be told)."""
    asked = set(query.getlist("lang"))
    if len(asked) == 1:
        (lang,) = asked
        if lang in LANGS:
            return lang
    return FALLBACK


#: The pydantic error types a request can meet, by the word another language uses for each
#: (request_problems.messages; English keeps pydantic's own sentence). A type not here reads
#: `invalid` ("不符合要求"); tests/test_http_languages.py tries every query parameter of every route
#: and every field of every body model with hostile values and checks each type met is here.
MESSAGE_KEYS = {
    "bool_type": "bool",
    "bool_parsing": "bool",
    "int_type": "int",
    "int_parsing": "int",
    "int_from_float": "int",
    "int_parsing_size": "too_big",
    "greater_than": "range",
    "greater_than_equal": "range",
    "less_than": "range",
    "less_than_equal": "range",
    "literal_error": "literal",
    "missing": "missing",
    "string_type": "string",
    "string_too_long": "too_long",
    "list_type": "list",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
    "extra_forbidden": "extra",
}
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _allowed_from_error(item: Mapping[str, Any], lang: str = FALLBACK, accepted: Sequence[str] = ()) -> str | None:
    """What a request parameter accepts, read off a pydantic error, in `lang`; `accepted` are the
    names of the fields of the body model, for a field it does not have."""
    w = words(lang, "request_problems")
    allowed = w["allowed"]
    ctx = item.get("ctx") or {}
    kind = item["type"]
    if kind == "extra_forbidden":
        return str(allowed["fields"]).format(names=str(w["field_sep"]).join(accepted)) if accepted else None
    if "expected" in ctx:
        expected = str(ctx["expected"])
        if lang != FALLBACK:  # pydantic's "'json', 'markdown' or 'html'" as the language lists
            expected = str(words(lang, "problems")["field_sep"]).join(_QUOTED.findall(expected)) or expected
        return str(allowed["one_of"]).format(values=expected)
    for key in ("ge", "gt", "le", "lt", "max_length"):
        if key in ctx:
            return str(allowed[key]).format(bound=ctx[key])
    for prefix, key in (("bool", "boolean"), ("int", "integer"), ("list", "list"), ("string", "string")):
        if kind.startswith(prefix):
            return str(allowed[key])
    if kind.startswith("dict") or kind.startswith("model"):
        return str(allowed["object"])
    return None


def _message(item: Mapping[str, Any], lang: str) -> str:
    """A pydantic error's sentence: its own in English, by its type in another language."""
    if lang != FALLBACK:
        messages = words(lang, "request_problems")["messages"]
        return str(messages[MESSAGE_KEYS.get(item["type"], "invalid")])
    return str(item["msg"]).rstrip(".")


def validation_problems(
    errors: list[Any], prefix: tuple[str, ...] = (), lang: str = FALLBACK, accepted: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """pydantic/FastAPI validation errors (query and path parameters, bodies) as problems, in `lang`;
    `accepted` names the fields of a body model (for a field it does not have)."""
    w = words(lang, "request_problems")["body"]
    problems: list[dict[str, Any]] = []
    for item in errors:
        path: tuple[int | str, ...] = (*prefix, *item["loc"])
        where, *parts = path
        if where == "body" and item["type"] == "json_invalid":
            detail = translate(
                str((item.get("ctx") or {}).get("error", "malformed")), lang, "json_reasons", "request_problems"
            )
            message = str(w["not_json_detail"]).format(detail=detail)
            problems.append(problem("(body)", _MISSING, message, str(w["object"])))
            continue
        if where == "body" and not parts and item["type"] in ("missing", "model_attributes_type", "dict_type"):
            message = str(w["required"] if item["type"] == "missing" else w["not_object"])
            problems.append(problem("(body)", _MISSING, message, str(w["object"])))
            continue
        field = "".join(
            f"[{part}]" if isinstance(part, int) else (f".{part}" if i else str(part)) for i, part in enumerate(parts)
        )
        value = item.get("input", _MISSING) if item["type"] != "missing" else _MISSING
        allowed = _allowed_from_error(item, lang, accepted if len(parts) == 1 else ())
        problems.append(problem(field or f"({where})", value, _message(item, lang), allowed))
    return problems


def request_error_body(problems: list[dict[str, Any]], lang: str = FALLBACK) -> dict[str, Any]:
    w = words(lang, "request_problems")
    fields = str(w["field_sep"]).join(p["field"] for p in problems)
    if len(problems) == 1:
        message = str(w["summary_one"]).format(fields=fields)
    else:
        message = str(w["summary_many"]).format(count=len(problems), fields=fields)
    return error_body("invalid_request", message, problems)


class RequestRejected(StarletteHTTPException):
    """A request refused as a whole with a prepared error body (422 unless said otherwise)."""

    def __init__(self, body: dict[str, Any], status: int = 422):
        super().__init__(status, body["message"])
        self.body = body


class BodyTooLarge(HTTPException):
    """Raised while a body is read past its limit; rendered as a 413 ErrorBody.

    NOTE: FastAPI re-raises HTTPExceptions met while it reads a body (any other exception there
    becomes a 400), so this must be one.
    """

    def __init__(self, limit: int):
        super().__init__(413, refusal("body_too_large", FALLBACK, limit=limit))
        self.limit = limit


def refusal(key: str, lang: str, **values: Any) -> str:
    """The sentence refusing a request as a whole (request_problems.refusals: a body or headers over
    their limit, a timeout, an unknown page, a method not allowed, a bug) in `lang`."""
    return str(words(lang, "request_problems")["refusals"][key]).format(**values)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def strict_json(text: str | bytes) -> Any:
    """json.loads as every route reads a body: NaN and Infinity are refused (they are not JSON and
    could not be echoed back as JSON), so are integers of over 100 digits and a key given twice
    (advisor/limits.py). Raises ValueError (JSONDecodeError, UnicodeDecodeError, LimitExceeded) or
    RecursionError; json_reason says why in a language."""
    return json.loads(text, parse_constant=_not_json, parse_int=bounded_int, object_pairs_hook=unique_keys)


def json_reason(error: ValueError | RecursionError, lang: str, line: int | None = None) -> str:
    """Why strict_json refused a text, in `lang`: in English as json (or advisor/limits.py) words
    it ("Expecting value: line 1 column 4 (char 3)"); in another language in its own words, with
    the line and column ("第 1 行第 4 列：此处应为一个 JSON 值"). `line` is the line the text
    starts on in a longer body (a JSON Lines row), for the other languages' line numbers.

    NOTE: English keeps the text it has always given: clients and the docs quote it."""
    w = words(lang, "request_problems")
    if isinstance(error, RecursionError):
        return str(w["json_reasons"]["too_deep"])
    if lang == FALLBACK:
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        return str(w["json_not_utf8"]).format(position=error.start)
    if isinstance(error, json.JSONDecodeError):
        reason = translate(error.msg, lang, "json_reasons", "request_problems")
        if reason == error.msg:  # a wording of another Python than the catalogue knows
            reason = str(w["json_unknown"])
        return str(w["json_at"]).format(line=error.lineno + (line or 1) - 1, column=error.colno, reason=reason)
    reason = translate(str(error), lang, "json_reasons", "request_problems")
    return reason if reason != str(error) else str(w["json_unknown"])


def parse_json_body(body: bytes, expected: str = "object", lang: str = FALLBACK) -> Any:
    """The JSON value of a request body (strict_json); RequestRejected (422) in `lang` when there
    is none or it is malformed. `expected` names what the body should be (request_problems.body:
    `object`, `profile`).

    NOTE: nesting past the recursion limit is refused too."""
    w = words(lang, "request_problems")["body"]
    if not body.strip():
        missing = problem("(body)", _MISSING, str(w["required"]), str(w[expected]))
        raise RequestRejected(error_body("invalid_request", str(w["none"]), [missing]))
    try:
        return strict_json(body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        detail = json_reason(error, lang)
        bad = problem("(body)", _MISSING, str(w["not_json_detail"]).format(detail=detail), str(w[expected]))
        raise RequestRejected(error_body("invalid_request", str(w["not_json"]), [bad])) from None


def body_lang(body: bytes) -> str:
    """The language a JSON object body names with its `lang`, else English: a body that cannot be
    read names none. Refuses nothing (reading the body as the route's model does that)."""
    try:
        data = strict_json(body)
    except (ValueError, RecursionError):
        return FALLBACK
    asked = data.get("lang") if isinstance(data, dict) else None
    return asked if isinstance(asked, str) and asked in LANGS else FALLBACK


def parse_json_model(body: bytes, model: type[BaseModel]) -> Any:
    """A request body read strictly (parse_json_body) and validated as `model`; 422 problems otherwise.

    NOTE: the language of a body that says its own (the interview's `lang`) is read from the body,
    so a body that is not JSON at all, or not an object, is refused in English: which language
    its sender reads cannot be known."""
    data = parse_json_body(body)
    asked = data.get("lang") if isinstance(data, dict) else None
    lang = asked if isinstance(asked, str) and asked in LANGS else FALLBACK
    try:
        return model.model_validate(data)
    except ValidationError as error:
        accepted = [info.alias or name for name, info in model.model_fields.items()]
        problems = validation_problems(error.errors(include_url=False), ("body",), lang, accepted)
        raise RequestRejected(request_error_body(problems, lang)) from None
    except RecursionError:
        w = words(lang, "request_problems")["body"]
        bad = problem("(body)", _MISSING, str(w["too_deep"]), str(w["object"]))
        raise RequestRejected(error_body("invalid_request", str(w["too_deep"]), [bad])) from None


_STATUS_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "body_too_large",
    422: "invalid_request",
    431: "headers_too_large",
}


async def _invalid_request(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    lang = request_lang(request)
    return json_response(request_error_body(validation_problems(list(error.errors()), lang=lang), lang), 422)


async def _invalid_profile(request: Request, error: Exception) -> Response:
    assert isinstance(error, ProfileError)
    return json_response(profile_error_body(error, request_lang(request)), 422)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if isinstance(error, RequestRejected):
        return json_response(error.body, error.status_code)
    code = _STATUS_CODES.get(error.status_code, "invalid_request")
    message = str(error.detail)
    lang = request_lang(request)
    if isinstance(error, BodyTooLarge):  # a body sent in chunks, refused as it passed the limit
        message = refusal("body_too_large", lang, limit=error.limit)
    elif error.status_code == 404 and message == "Not Found":
        message = refusal("no_page", lang, path=request.url.path)
    elif error.status_code == 405:
        method = request.scope.get("advisor.method", request.method)  # HEAD is served as GET
        message = refusal("method", lang, method=method, path=request.url.path)
    response = json_response(error_body(code, message), error.status_code)
    response.headers.update(dict(error.headers or {}))
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Every error the framework or the library raises, answered in the one ErrorBody shape."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(ProfileError, _invalid_profile)
    app.add_exception_handler(StarletteHTTPException, _http_error)
