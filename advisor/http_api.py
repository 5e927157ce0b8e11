"""The HTTP service: a FastAPI app over one shared Pack (JSON API, OpenAPI document, web questionnaire).

`create_app()` assembles it: the routes (http_routes), the error shape (http_errors), the
guards (http_guards) and the documents (http_docs); `advisor serve` (advisor/service.py) runs
it under uvicorn. Every error is a JSON body {"error": code, "message": sentence, "problems": [...]};
never a traceback.
"""

from __future__ import annotations

import gc
import json
from typing import Any

from fastapi import FastAPI

from .core import Advisor
from .http_catalogue import catalogue_routes
from .http_docs import API_DESCRIPTION
from .http_errors import ErrorBody, Problem, install_error_handlers, profile_problems
from .http_guards import (
    BODY_SECONDS,
    MAX_BATCH_BYTES,
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    InternalErrors,
    JsonCORS,
    RequestLimits,
    ResponseHeaders,
)
from .http_models import BatchLine, Health, InterviewRequest, InterviewStep, ModeStanding, ParsedAnswer, ParseRequest
from .http_routes import api, web
from .pack import Pack, load_pack
from .questions import load_questions

__all__ = [
    "create_app",
    "MAX_BODY_BYTES",
    "MAX_BATCH_BYTES",
    "MAX_HEADER_BYTES",
    "BODY_SECONDS",
    "ErrorBody",
    "Problem",
    "BatchLine",
    "Health",
    "InterviewRequest",
    "InterviewStep",
    "ModeStanding",
    "ParseRequest",
    "ParsedAnswer",
    "profile_problems",
]

_TAGS = [
    {"name": "advice", "description": "Advice for one profile or for many."},
    {"name": "knowledge", "description": "The cooperation modes and the rules behind the advice."},
    {"name": "questionnaire", "description": "The questions of the adaptive questionnaire, for other front-ends."},
    {"name": "service", "description": "Health and schemas."},
]


def create_app(
    advisor: Advisor | Pack | None = None,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_batch_bytes: int = MAX_BATCH_BYTES,
    max_header_bytes: int = MAX_HEADER_BYTES,
    body_seconds: float = BODY_SECONDS,
    cors_origins: tuple[str, ...] | list[str] = (),
) -> FastAPI:
    """The service over one shared pack (the shipped one by default; an Advisor is paired with the
    questionnaire of its knowledge directory). Safe for concurrent requests."""
    if advisor is None:
        pack = load_pack()
    elif isinstance(advisor, Pack):
        pack = advisor
    else:  # RulePackError (at start-up) if the questionnaire is broken
        pack = Pack(advisor, load_questions(advisor.knowledge.directory))
    limits = {
        "max_body": max_body_bytes,
        "max_batch": max_batch_bytes,
        "max_headers": max_header_bytes,
        "body_seconds": body_seconds,
    }
    app = FastAPI(
        title="coop-advisor",
        version=pack.advisor.version,
        summary="Advice on which university-enterprise cooperation mode fits a planned partnership.",
        description=API_DESCRIPTION.format(**limits),
        docs_url=None,  # NOTE: /docs and /openapi.json are http_routes' own: FastAPI's pages load a CDN
        redoc_url=None,
        openapi_url=None,
        openapi_tags=_TAGS,
    )
    app.state.pack = pack
    app.state.advisor = pack.advisor
    # NOTE: built once: the questionnaire and the versions never change while the service runs.
    app.state.questions_json = json.dumps(pack.questions.model_dump(mode="json"), ensure_ascii=False).encode()
    app.state.question_json = {
        question.attribute: question.model_dump(mode="json") for question in pack.questions.questions
    }
    app.state.docs_pages = {}  # lang -> the /docs page, rendered on first request
    app.state.limits = limits  # the /docs page states them in every language
    app.include_router(api)
    app.include_router(catalogue_routes)
    app.include_router(web)
    install_error_handlers(app)
    # Innermost first: the limits, then 500s, then CORS, and the headers on every answer outermost.
    app.add_middleware(
        RequestLimits,
        default_limit=max_body_bytes,
        limits={"/v1/batch": max_batch_bytes},
        header_limit=max_header_bytes,
        body_seconds=body_seconds,
    )
    app.add_middleware(InternalErrors)
    if cors_origins:
        app.add_middleware(
            JsonCORS, allow_origins=list(cors_origins), allow_methods=["GET", "POST"], allow_headers=["*"]
        )
    app.add_middleware(ResponseHeaders)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def settle_heap() -> None:
    """Take what the process has built so far (the pack, compiled and checked; the app) out of the
    garbage collector's sight, for the process's lifetime: call it once, before serving.

    NOTE: those are some 65,000 objects that live as long as the service. A full collection
    walked them all, 34-41 ms with the event loop stopped and every request in flight waiting
    (once in the first 4,500 requests, in each of two in-process runs of the benchmark's
    requests); after `gc.freeze()`, which leaves the collector only what came later, 1.7 ms.

    Also imports now what the first requests would import: a service whose file descriptors are
    all taken by connections (advisor/http_loop.py) cannot open a module file, and a sync route's
    first call, which imports anyio's asyncio backend, then failed with a 500."""
    import anyio._backends._asyncio  # noqa: F401  (run_in_threadpool's backend, imported lazily by anyio)

    gc.collect()
    gc.freeze()


def _openapi(app: FastAPI) -> dict[str, Any]:
    from .http_docs import openapi_document

    return openapi_document(app)
