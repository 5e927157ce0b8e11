"""The API's query strings read strictly: a parameter the route does not declare, or one given
twice, is refused with a 422 naming it, the value given and the parameters the route takes.

Nothing a client gave is silently dropped: FastAPI on its own ignores `?what_iff=true` (the
advice comes back as though it had not been asked) and keeps the last of `?what_if=true&what_if=false`.
The API's routers make their routes with `StrictQueryRoute`; what a route takes is read once,
when the route is built, from the parameters FastAPI itself reads for it (its dependant's query
parameters, its dependencies' included), so the check cannot drift from the routes.
NOTE: the web page, its files, /docs and /openapi.json are not API routes and keep the default
route class: a link to a page may carry what the service never reads (`?utm_source=…`, a chat
app's `?from=singlemessage`, a cache-buster), and a person following it must get the page, not
a JSON error. The page reads its `?lang=` in the browser.
"""

from __future__ import annotations

import collections.abc
import difflib
import types
import typing
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from .catalogue import words
from .http_errors import RequestRejected, error_body, problem, request_lang

_MANY = (list, tuple, set, frozenset, collections.abc.Sequence, collections.abc.Set)


@dataclass(frozen=True)
class QueryParameters:
    """The query parameters a route declares, in the order declared (`names`), as a set
    (`accepted`), and those declared as lists, which may be given more than once (`repeatable`)."""

    names: tuple[str, ...]
    accepted: frozenset[str]
    repeatable: frozenset[str]


def declared_query(dependant: Dependant) -> QueryParameters:
    """The query parameters FastAPI reads for a route: its own and its dependencies', a query
    model's fields one by one, each by the name a client writes (its alias)."""
    names: dict[str, bool] = {}  # name -> may be repeated
    for field in _query_fields(dependant):
        model = _model_of(field.field_info.annotation)
        if model is not None:
            for name, info in model.model_fields.items():
                key = info.alias or name
                names[key] = names.get(key, False) or _takes_many(info.annotation)
            continue
        validation_alias = getattr(field, "validation_alias", None)
        key = validation_alias if isinstance(validation_alias, str) else field.alias
        names[key] = names.get(key, False) or _takes_many(field.field_info.annotation)
    return QueryParameters(tuple(names), frozenset(names), frozenset(name for name, many in names.items() if many))


def _query_fields(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from _query_fields(sub)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model of a query parameter declared as one (`Annotated[Filters, Query()]`), optional or not."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        annotation = found[0] if len(found) == 1 else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _takes_many(annotation: Any) -> bool:
    """Whether a parameter is declared as a list (`?tag=a&tag=b`), optional or not."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _takes_many(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_takes_many(arg) for arg in typing.get_args(annotation))
    kind = origin if origin is not None else annotation
    return isinstance(kind, type) and issubclass(kind, _MANY) and not issubclass(kind, (str, bytes))


def refuse_undeclared(request: Request, declared: QueryParameters) -> None:
    """RequestRejected (422) when the query names a parameter the route does not declare or
    gives one of its single-valued parameters more than once; nothing otherwise.

    NOTE: on every request of the API with a query string; the common case, every name known and
    none repeated, costs two set operations on the query FastAPI parses anyway (and keeps)."""
    params = request.query_params
    items = params.multi_items()
    if len(items) == len(params) and declared.accepted.issuperset(params.keys()):
        return
    given: dict[str, list[str]] = {}
    for name, value in items:
        given.setdefault(name, []).append(value)
    lang = request_lang(request)  # English when `lang` is given twice and disagrees
    w = words(lang, "query_params")
    names = str(w["name_sep"]).join(declared.names)
    problems = []
    for name, values in given.items():
        shown: Any = values[0] if len(values) == 1 else values
        if name not in declared.accepted:
            close = difflib.get_close_matches(name, declared.names, n=1)
            message = str(w["unknown_hint"]).format(suggestion=repr(close[0])) if close else str(w["unknown"])
            allowed = str(w["allowed_names"]).format(names=names) if declared.names else str(w["allowed_none"])
            problems.append(problem(name or "(query)", shown, message, allowed))
        elif len(values) > 1 and name not in declared.repeatable:
            message = str(w["repeated"]).format(count=len(values))
            problems.append(problem(name, shown, message, str(w["allowed_once"])))
    if not problems:  # NOTE: only a list parameter was repeated, as it may be
        return
    route = f"{request.scope.get('advisor.method', request.method)} {request.url.path}"  # HEAD is served as GET
    takes = str(w["takes"] if declared.names else w["takes_none"]).format(route=route, names=names)
    fields = str(w["field_sep"]).join(str(item["field"]) for item in problems)
    summary = str(w["summary_one"] if len(problems) == 1 else w["summary_many"])
    raise RequestRejected(
        error_body("invalid_request", summary.format(count=len(problems), fields=fields, takes=takes), problems)
    )


class StrictQueryRoute(APIRoute):
    """An API route that refuses a query parameter it does not declare, or one given twice
    (refuse_undeclared), before anything else reads the request.

    NOTE: what a route takes is read from its own dependant, which holds its function's parameters
    and its own and its router's dependencies; a dependency given to `include_router(...)` itself
    is not in it (FastAPI adds those per inclusion), so the API's routers are included without one."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        declared = declared_query(self.dependant)

        async def checked(request: Request) -> Response:
            if request.scope["query_string"]:
                refuse_undeclared(request, declared)
            return await handler(request)

        return checked
