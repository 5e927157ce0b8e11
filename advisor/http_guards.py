"""The HTTP service's guards: pure ASGI middlewares around every request.

Limits (header bytes, body bytes, time to send the body), the security headers of every answer,
HEAD served as GET without the body, CORS refusals in the API's JSON error shape, and a bug in a
request answered with a 500 ErrorBody (the traceback in the server's log only). A client that
disconnects is noted in one log line, never with a traceback.
NOTE: pure ASGI (not BaseHTTPMiddleware) so they cost next to nothing on the hot path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from fastapi.responses import Response
from starlette.datastructures import Headers, QueryParams
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .http_errors import BodyTooLarge, error_body, json_bytes, query_lang, refusal

log = logging.getLogger("advisor.http")

#: Largest request body, in bytes, for every route but /v1/batch (a profile is well under 2 KiB).
MAX_BODY_BYTES = 64 * 1024
#: Largest /v1/batch body, in bytes (about 20,000 typical profiles).
MAX_BATCH_BYTES = 16 * 1024 * 1024
#: Largest total size of a request's headers, in bytes (names and values).
MAX_HEADER_BYTES = 16 * 1024
#: Longest time, in seconds, a client may take to send a request's body.
BODY_SECONDS = 30.0

#: The page's own files only: no inline script, nothing from another origin, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
]


def scope_lang(scope: Scope) -> str:
    """The language of a request's `?lang=` (http_errors.query_lang), read from its raw query
    string before any route has: English when it names none the advisor speaks, or two."""
    return query_lang(QueryParams(scope.get("query_string", b"")))


async def send_error(send: Send, status: int, code: str, message: str, headers: Mapping[str, str] = {}) -> None:
    """Answer with an ErrorBody straight from a middleware (before the app has answered)."""
    body = json_bytes(error_body(code, message))
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class _BodyTimeout(Exception):
    pass


class RequestLimits:
    """Refuses headers over MAX_HEADER_BYTES (431), bodies over their size limit (413: by
    Content-Length before reading, else while reading, so chunked uploads are bounded too) and
    bodies that take longer than `body_seconds` to arrive (408)."""

    def __init__(
        self,
        app: ASGIApp,
        default_limit: int,
        limits: Mapping[str, int],
        header_limit: int = MAX_HEADER_BYTES,
        body_seconds: float = BODY_SECONDS,
    ):
        self.app = app
        self.default_limit = default_limit
        self.limits = dict(limits)
        self.header_limit = header_limit
        self.body_seconds = body_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default_limit)
        header_bytes = 0
        for name, value in scope["headers"]:
            header_bytes += len(name) + len(value)
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await send_error(send, 413, "body_too_large", refusal("body_too_large", scope_lang(scope), limit=limit))
                return
        if header_bytes > self.header_limit:
            message = refusal("headers_too_large", scope_lang(scope), limit=self.header_limit)
            await send_error(send, 431, "headers_too_large", message)
            return
        received = 0
        deadline = asyncio.get_running_loop().time() + self.body_seconds

        async def limited() -> Message:
            nonlocal received
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _BodyTimeout from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTimeout:
            message = refusal("timeout", scope_lang(scope), seconds=f"{self.body_seconds:g}")
            await send_error(send, 408, "request_timeout", message, {"Connection": "close"})


class ResponseHeaders:
    """Every answer (page, assets, API, errors) carries nosniff and the Content-Security-Policy;
    HEAD is answered as GET with the same headers and no body."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET", "advisor.method": "HEAD"}

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *_SECURITY_HEADERS]
            elif head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, secured)


class InternalErrors:
    """A bug in a request gets a 500 ErrorBody; the traceback goes to the server's log only.
    A client that went away is logged in one line, without a traceback.

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
        except (ClientDisconnect, ConnectionError) as error:
            # NOTE: nobody is left to answer; a traceback here would only alarm whoever reads the log.
            log.info("client went away during %s %s (%s)", scope.get("method"), scope.get("path"), type(error).__name__)
        except Exception as error:
            if started:  # too late for a clean answer (a stream broke): let the server close it
                raise
            log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
            message = refusal("internal", scope_lang(scope), error=type(error).__name__)
            await send_error(send, 500, "internal_error", message)


class JsonCORS(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the API's JSON error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        refused = bytes(response.body).decode("utf-8", "replace")  # e.g. "Disallowed CORS origin, method"
        what = refused.removeprefix("Disallowed CORS ")
        body: dict[str, Any] = error_body(
            "cors_refused",
            f"cross-origin request refused: this {what} is not allowed (advisor serve --cors-origin sets the origins)",
        )
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        return Response(
            json_bytes(body), status_code=response.status_code, media_type="application/json", headers=headers
        )
