"""GET /v1/catalogue: the words of the web page in one language, from the same catalogues as the
command line (advisor/locales/<lang>.yml), so the page keeps no word tables of its own.

Without `?lang=` the language is the first of the request's Accept-Language that the advisor
speaks (zh-CN, zh-TW, zh → zh), else English: a first visit reads the browser's language.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response

from .catalogue import UNIT_SHOWN, value_label, words
from .http_query import StrictQueryRoute
from .langs import FALLBACK, LANGS

catalogue_routes = APIRouter(route_class=StrictQueryRoute)

#: The sections the page reads (its own, the shared reliability sentences, the cases' place names,
#: how an amount and a duration are written).
SECTIONS = ("web", "reliability", "places", "quantities")


def accepted_lang(header: str | None) -> str:
    """The advisor language an Accept-Language header prefers most, else the fallback."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        ranked.append((-weight, position, tag.strip().lower()))
    for weight, _, tag in sorted(ranked):
        if weight >= 0:  # q=0 means "not this one"
            continue
        primary = tag.split("-")[0]
        if primary in LANGS:
            return primary
    return FALLBACK


def page_words(lang: str) -> dict[str, Any]:
    """The sections the page reads, in `lang`, and the labels the command line puts beside a value
    written with its unit (经费 for 经费（元）: 经费：3000 万元), by field."""
    body: dict[str, Any] = {section: words(lang, section) for section in SECTIONS}
    body["value_labels"] = {name: value_label(name, lang) for name in sorted(UNIT_SHOWN)}
    return body


@catalogue_routes.get(
    "/v1/catalogue",
    tags=["questionnaire"],
    summary="The web page's words in one language (default: from Accept-Language)",
)
def get_catalogue(
    request: Request,
    lang: Literal["en", "zh"] | None = Query(None, description="en or zh; without it, from Accept-Language."),
) -> Response:
    chosen = lang or accepted_lang(request.headers.get("accept-language"))
    body = {"lang": chosen, **page_words(chosen)}
    return Response(
        json.dumps(body, ensure_ascii=False).encode(),
        media_type="application/json",
        headers={"Vary": "Accept-Language", "Cache-Control": "no-cache"},
    )
