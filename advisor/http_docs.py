"""The API's own documents: the OpenAPI document (from the same pydantic models) and the /docs page.

NOTE: FastAPI's Swagger UI and ReDoc pages load their scripts from a CDN, and the service must
work with no network; the /docs page rendered here needs nothing but the service itself (its
script is advisor/web/docs.js, beside the web questionnaire's).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .catalogue import catalogue, words
from .http_errors import ERROR_RESPONSES
from .http_models import BatchLine, InterviewRequest, ParseRequest
from .profile import Profile


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, built once: FastAPI's, plus the schemas of the bodies read by
    hand, and every 422 in the ErrorBody shape."""
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
        for model in (Profile, BatchLine, InterviewRequest, ParseRequest):
            extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in extra.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = extra
        # Every 422 has the ErrorBody shape (FastAPI would document its own shape), and every
        # operation has one: each refuses a query parameter it does not take (http_query).
        for methods in schema["paths"].values():
            for operation in methods.values():
                operation.setdefault("responses", {})["422"] = {
                    "description": ERROR_RESPONSES[422]["description"],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                }
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
    return app.openapi_schema


API_DESCRIPTION = """\
Which of eight university-enterprise cooperation modes fits a planned partnership, why, and which
documented difficulties to prepare for. Every recommendation comes from the rule pack
(`GET /v1/rules`), each reason citing the knowledge it rests on.

**Errors** have one JSON shape: `{{"error": code, "message": sentence, "problems": [...]}}`, where each
problem names the `field`, the `value` given and what is `allowed`. 422: invalid input (also a
query parameter the operation does not take, or one given twice);
404: unknown id or page; 413: body over the limit; 431: headers over the limit; 408: the body
took too long to arrive; 405: wrong method; 400: a refused cross-origin preflight; 500: a bug.

**Limits**: request bodies up to {max_body} bytes; `POST /v1/batch` up to {max_batch} bytes;
headers up to {max_headers} bytes; a body must arrive within {body_seconds:g} seconds.
"""


def render_docs_page(schema: Mapping[str, Any], lang: str = "en", limits: Mapping[str, Any] | None = None) -> str:
    """An API reference with a form per operation, rendered from the OpenAPI document, in `lang`.

    The English texts are the OpenAPI document's own; another language's catalogue (section
    `api_docs`) gives each operation's texts by "METHOD path", and a text it lacks reads in English.
    NOTE: FastAPI's Swagger UI and ReDoc pages load their scripts from a CDN, and the service
    must work with no network; this page needs nothing but the service itself.
    """
    esc = html.escape
    w = words(lang, "api_docs")
    t = catalogue(lang).get("openapi", {})  # the OpenAPI texts translated (English has none)
    other = str(w["switch_lang"])  # the language the page's switch link leads to

    def located(where: str) -> str:  # "(query)", "（查询参数）"
        return str(w["located"]).format(where=where)

    info = schema["info"]
    description = info.get("description", "")
    if "description" in t and limits is not None:
        description = str(t["description"]).format(**limits)
    links = esc(str(w["links"])).format(
        openapi="<a href='/openapi.json'>/openapi.json</a>", version=esc(schema["openapi"]), page="<a href='/'>/</a>"
    )
    out = [
        f"<!doctype html><html lang='{esc(str(w['html_lang']))}'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(str(w['title']).format(title=info['title']))}</title><link rel='icon' href='data:,'>",
        "<link rel='stylesheet' href='/static/style.css'></head>",
        # NOTE: docs.js reads its one phrase from here (the page allows no inline script)
        f"<body class='docs' data-failed='{esc(str(w['failed']))}'><main>",
        # the other language's own name, marked as such (lang, hreflang)
        f"<p class='lang-switch'><a href='/docs?lang={esc(other)}' hreflang='{esc(other)}' lang='{esc(other)}'>"
        f"{esc(str(words(other, 'api_docs')['language_name']))}</a></p>",
        f"<h1>{esc(str(w['heading']).format(title=info['title']))} <small>{esc(info['version'])}</small></h1>",
        f"<p>{esc(str(t.get('summary', info.get('summary', ''))))}</p>",
        f"<p>{links}</p>",
        f"<div class='doc-text'>{_paragraphs(description)}</div>",
        f"<nav aria-label='{esc(str(w['operations_label']))}'><ul>",
    ]
    operations = [
        (path, method, operation, t.get("operations", {}).get(f"{method.upper()} {path}", {}))
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    for index, (path, method, operation, text) in enumerate(operations):
        summary = text.get("summary", operation.get("summary", ""))
        out.append(f"<li><a href='#op{index}'><code>{method.upper()} {esc(path)}</code></a> {esc(summary)}</li>")
    out.append("</ul></nav>")
    for index, (path, method, operation, text) in enumerate(operations):
        out.append(f"<section class='op' id='op{index}'><h2><code>{method.upper()} {esc(path)}</code></h2>")
        out.append(f"<p><strong>{esc(text.get('summary', operation.get('summary', '')))}</strong></p>")
        if operation.get("description"):
            out.append(f"<div class='doc-text'>{_paragraphs(text.get('description', operation['description']))}</div>")
        out.append(f"<form class='try' data-method='{method.upper()}' data-path='{esc(path)}'>")
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            default = parameter.get("schema", {}).get("default", "")
            required = " required" if parameter.get("required") else ""
            described = _inline(text.get("parameters", {}).get(name, parameter.get("description", "")))
            out.append(
                f"<label><code>{esc(name)}</code> <em>{esc(located(w['locations'].get(parameter['in'], parameter['in'])))}</em>"
                f"<input name='{esc(name)}' data-in='{parameter['in']}' value='{esc(str(default).lower() if isinstance(default, bool) else str(default))}'{required}>"
                f"<span class='hint'>{described}</span></label>"
            )
        body = operation.get("requestBody")
        if body:
            content = body["content"]
            media = next(iter(content))
            example = _example(content[media])
            out.append(
                f"<label>{esc(str(w['body']))} <em>{esc(located(media))}</em><textarea name='body' data-type='{esc(media)}' rows='8'>{esc(example)}</textarea></label>"
            )
        responses = {**t.get("responses", {}), **text.get("responses", {})}
        codes = "".join(
            f"<li><strong>{code}</strong> {_inline(responses.get(code, response.get('description', '')))}</li>"
            for code, response in operation.get("responses", {}).items()
        )
        out.append(f"<div class='hint'>{esc(str(w['responses_label']))}<ul>{codes}</ul></div>")
        out.append(
            f"<button type='submit'>{esc(str(w['send']))}</button><pre class='response' aria-live='polite'></pre></form></section>"
        )
    out.append("</main><script src='/static/docs.js'></script></body></html>")
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
