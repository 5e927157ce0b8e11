"""The API reads its query strings strictly: a parameter a route does not take, or one given twice,
is refused with a 422 naming it, the value given and what the route takes (advisor/http_query.py);
valid requests and the pages for browsers are answered as before."""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel
from test_http_api import EXAMPLE, expected, serving
from test_languages import english_sentences, without

from advisor.http_api import create_app
from advisor.http_errors import install_error_handlers
from advisor.http_query import StrictQueryRoute, declared_query


@pytest.fixture(scope="module")
def api():
    with serving(create_app()) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "invalid_request" and "Traceback" not in response.text
    return body


# -- a parameter the route does not take -------------------------------------------------------------

ROUTES = [
    ("POST", "/v1/advise", EXAMPLE, ["what_if", "questions", "format", "lang"]),
    ("POST", "/v1/batch", [EXAMPLE], ["what_if", "questions", "lang"]),
    ("GET", "/v1/rules", None, ["mode", "lang"]),
    ("GET", "/v1/catalogue", None, ["lang"]),
    ("GET", "/v1/modes", None, []),
    ("GET", "/v1/modes/technology_transfer", None, ["lang"]),
    ("GET", "/v1/rules/TT001", None, ["lang"]),
    ("GET", "/healthz", None, []),
    ("POST", "/v1/interview/next", {"answers": {}}, []),
    ("POST", "/v1/questions/funding_cny/parse", {"text": "200万"}, []),
]


@pytest.mark.parametrize(("method", "path", "body", "takes"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_an_unknown_parameter_is_refused_naming_it_its_value_and_what_the_route_takes(api, method, path, body, takes):
    answer = refused(api.request(method, path, params={"colour": "blue"}, json=body))
    accepts = f"accepts {', '.join(takes)}" if takes else "accepts no query parameter"
    assert answer["message"] == f"the query has 1 problem: colour; {method} {path} {accepts}"
    allowed = f"one of {', '.join(takes)}" if takes else "none: this route accepts no query parameter"
    assert answer["problems"] == [
        {"field": "colour", "value": "blue", "message": "unknown query parameter", "allowed": allowed}
    ]


def test_a_near_miss_gets_a_did_you_mean(api):
    answer = refused(api.post("/v1/advise?what_iff=true", json=EXAMPLE))
    assert answer == {
        "error": "invalid_request",
        "message": "the query has 1 problem: what_iff; POST /v1/advise accepts what_if, questions, format, lang",
        "problems": [
            {
                "field": "what_iff",
                "value": "true",
                "message": "unknown query parameter; did you mean 'what_if'?",
                "allowed": "one of what_if, questions, format, lang",
            }
        ],
    }
    (problem,) = refused(api.get("/v1/rules?Mode=technology_equity"))["problems"]
    assert problem["message"] == "unknown query parameter; did you mean 'mode'?"


def test_every_problem_of_a_query_is_named_at_once(api):
    answer = refused(api.post("/v1/advise?lang=en&lnag=zh&what_if=true&what_if=false&x", json=EXAMPLE))
    assert answer["message"].startswith("the query has 3 problems: lnag, what_if, x; POST /v1/advise accepts")
    assert [(p["field"], p["value"]) for p in answer["problems"]] == [
        ("lnag", "zh"),
        ("what_if", ["true", "false"]),
        ("x", ""),  # given without a value: still given
    ]


def test_a_parameter_without_a_name_is_refused_too(api):
    (problem,) = refused(api.get("/v1/rules?=technology_equity"))["problems"]
    assert (problem["field"], problem["value"], problem["allowed"]) == (
        "(query)",
        "technology_equity",
        "one of mode, lang",
    )


def test_head_is_refused_as_get_is(api):
    assert api.head("/v1/modes?colour=blue").status_code == 422
    assert api.head("/v1/modes").status_code == 200


# -- a parameter given twice --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "query", "values"),
    [
        ("POST", "/v1/advise", "what_if=true&what_if=false", ["true", "false"]),
        ("POST", "/v1/advise", "lang=en&lang=en", ["en", "en"]),  # the same value twice is refused too
        ("POST", "/v1/batch", "questions=1&questions=2&questions=3", ["1", "2", "3"]),
        (
            "GET",
            "/v1/rules",
            "mode=technology_equity&mode=technology_transfer",
            ["technology_equity", "technology_transfer"],
        ),
        ("GET", "/v1/catalogue", "lang=en&lang=zh", ["en", "zh"]),
    ],
)
def test_a_parameter_given_twice_is_refused_with_every_value_given(api, method, path, query, values):
    body = {"POST": [EXAMPLE] if path == "/v1/batch" else EXAMPLE}.get(method)
    answer = refused(api.request(method, f"{path}?{query}", json=body))
    name = query.split("=", 1)[0]
    assert answer["problems"] == [
        {
            "field": name,
            "value": values,
            "message": f"given {len(values)} times; a query parameter is given once",
            "allowed": "one value",
        }
    ]


# -- in Chinese ------------------------------------------------------------------------------------------


def test_the_refusal_reads_in_chinese_under_lang_zh(api):
    answer = refused(api.post("/v1/advise?lang=zh&lnag=en", json=EXAMPLE))
    assert answer == {
        "error": "invalid_request",
        "message": "查询参数有 1 处问题：lnag；POST /v1/advise 可用的查询参数有 what_if、questions、format、lang",
        "problems": [
            {
                "field": "lnag",
                "value": "en",
                "message": "本接口不接受这个查询参数（是不是 'lang'？）",
                "allowed": "可用的查询参数：what_if、questions、format、lang",
            }
        ],
    }
    twice = refused(api.post("/v1/advise?lang=zh&what_if=true&what_if=false", json=EXAMPLE))
    assert twice["problems"][0]["message"] == "出现了 2 次；每个查询参数只能给一次"
    assert twice["problems"][0]["allowed"] == "只给一个值"
    names = ["what_if", "questions", "format", "lang", "lnag", "POST /v1/advise"]  # shown as they are written
    for body in (answer, twice):
        texts = [body["message"]] + [p[key] for p in body["problems"] for key in ("message", "allowed")]
        assert [english_sentences(without(text, names)) for text in texts] == [[]] * len(texts)


def test_lang_zh_is_heard_on_a_route_that_does_not_take_it(api):
    """`?lang=zh` says which language the client reads, even where the route takes no `lang`."""
    answer = refused(api.get("/v1/modes?lang=zh"))
    assert answer["message"] == "查询参数有 1 处问题：lang；GET /v1/modes 不接受任何查询参数"
    assert answer["problems"] == [
        {
            "field": "lang",
            "value": "zh",
            "message": "本接口不接受这个查询参数",
            "allowed": "无：本接口不接受任何查询参数",
        }
    ]
    assert refused(api.get("/v1/modes?lang=fr&x=1"))["message"].startswith("the query has 2 problems")
    assert (
        refused(api.get("/v1/catalogue?lang=zh&lang=zh"))["problems"][0]["message"]
        == "出现了 2 次；每个查询参数只能给一次"
    )
    # two languages asked for at once: which one is meant cannot be told, so English
    assert refused(api.get("/v1/catalogue?lang=zh&lang=en"))["problems"][0]["allowed"] == "one value"


def test_every_chinese_query_word_is_there():
    from advisor.catalogue import catalogue

    assert set(catalogue("zh")["query_params"]) == set(catalogue("en")["query_params"])
    assert catalogue("zh")["query_params"]["unknown"] != catalogue("en")["query_params"]["unknown"]


# -- valid requests, and the pages for browsers, as before ------------------------------------------------


def test_valid_queries_are_answered_as_before(api):
    advice = api.post(
        "/v1/advise", params={"what_if": "true", "questions": 3, "format": "json", "lang": "zh"}, json=EXAMPLE
    )
    assert advice.status_code == 200 and advice.json() == expected(EXAMPLE, what_if=True, max_questions=3, lang="zh")
    assert api.post("/v1/advise?", json=EXAMPLE).json() == expected(EXAMPLE)  # an empty query is no parameter
    assert api.post("/v1/advise?&&", json=EXAMPLE).json() == expected(EXAMPLE)
    rules = api.get("/v1/rules", params={"mode": "technology_equity"})
    assert (
        rules.status_code == 200
        and rules.json()
        and all("technology_equity" in rule["effect"].values() for rule in rules.json())
    )
    assert api.get("/v1/catalogue?lang=zh").json()["lang"] == "zh"
    batch = api.post("/v1/batch?what_if=false&questions=2", json=[EXAMPLE])
    assert batch.status_code == 200 and json.loads(batch.text.splitlines()[0])["row"] == 1
    for path in ("/v1/modes", "/v1/modes/technology_transfer", "/healthz", "/v1/questions", "/v1/schema/profile"):
        assert api.get(path).status_code == 200, path


def test_a_wrong_value_of_a_known_parameter_is_still_named_by_its_own_check(api):
    (problem,) = refused(api.post("/v1/advise?what_if=maybe", json=EXAMPLE))["problems"]
    assert (problem["field"], problem["value"], problem["allowed"]) == ("what_if", "maybe", "true or false")


@pytest.mark.parametrize(
    "path",
    [
        "/?utm_source=newsletter&from=singlemessage",
        "/?lang=zh",
        "/static/app.js?v=2",
        "/static/style.css?v=2&v=3",
        "/docs?lang=zh&utm_source=x",
        "/openapi.json?x=1",
    ],
)
def test_the_pages_and_their_files_take_any_query(api, path):
    assert api.get(path).status_code == 200
    assert api.head(path).status_code == 200


def test_the_docs_page_still_reads_its_lang(api):
    assert "<html lang='zh-CN'>" in api.get("/docs?lang=zh&x=1").text


def test_an_interviews_answers_are_refused_in_the_language_of_its_body(api):
    body = {"answers": {"enterprise_size": "huge"}, "lang": "zh"}
    answer = api.post("/v1/interview/next", json=body)
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_profile"
    assert answer.json()["problems"][0]["message"] == "不是可选的值"
    english = api.post("/v1/interview/next", json={"answers": {"enterprise_size": "huge"}}).json()
    assert english["problems"][0]["message"] == "not an allowed value"


# -- what a route takes is what it declares, as the OpenAPI document says ------------------------------


def test_every_operation_refuses_what_it_does_not_declare_and_lists_what_it_does(api):
    """The check reads the routes' own parameters: for every operation of the OpenAPI document, the
    parameters named in the refusal are exactly the query parameters the document lists, and a 422
    is documented."""
    document = api.get("/openapi.json").json()
    assert len(document["paths"]) >= 13
    for path, methods in document["paths"].items():
        concrete = path.replace("{mode_id}", "technology_transfer").replace("{rule_id}", "TT001")
        concrete = concrete.replace("{attribute}", "funding_cny")
        for method, operation in methods.items():
            takes = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            answer = refused(api.request(method.upper(), concrete + "?nope=1"))
            (problem,) = answer["problems"]
            assert problem["field"] == "nope" and problem["value"] == "1", (method, path)
            if takes:
                assert problem["allowed"] == "one of " + ", ".join(takes), (method, path)
            else:
                assert problem["allowed"] == "none: this route accepts no query parameter", (method, path)
            assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }


class Window(BaseModel):
    start: int = 0
    size: int = 10


def _sort_order(order: str = "asc") -> str:
    return order


#: A small API of its own, made as the service's routers are, with what the service's routes lack.
toy = APIRouter(route_class=StrictQueryRoute)


@toy.get("/items")
def _items(
    order: Annotated[str, Depends(_sort_order)],
    tag: Annotated[list[str] | None, Query()] = None,
    page_size: Annotated[int, Query(alias="page-size")] = 10,
) -> dict[str, Any]:
    return {"order": order, "tag": tag, "page_size": page_size}


@toy.get("/window")
def _window(window: Annotated[Window, Query()]) -> dict[str, int]:
    return window.model_dump()


def test_declared_parameters_include_dependencies_aliases_lists_and_query_models():
    """What a route takes is read from what FastAPI reads: its dependencies' parameters, aliases,
    list parameters (which may repeat) and a query model's fields."""
    declared = {route.path: declared_query(route.dependant) for route in toy.routes}  # type: ignore[attr-defined]
    assert set(declared["/items"].names) == {"tag", "page-size", "order"}
    assert declared["/items"].repeatable == {"tag"}
    assert set(declared["/window"].names) == {"start", "size"} and not declared["/window"].repeatable

    app = FastAPI()
    app.include_router(toy)
    install_error_handlers(app)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        answer = client.get("/items?tag=a&tag=b&page-size=3&order=desc")
        assert answer.status_code == 200 and answer.json() == {"order": "desc", "tag": ["a", "b"], "page_size": 3}
        assert client.get("/window?start=5&size=2").json() == {"start": 5, "size": 2}
        refusal = refused(client.get("/items?page_size=3&order=a&order=b"))
        assert [(p["field"], p["value"]) for p in refusal["problems"]] == [("page_size", "3"), ("order", ["a", "b"])]
        assert refusal["problems"][0]["message"] == "unknown query parameter; did you mean 'page-size'?"
        assert refused(client.get("/window?stop=3"))["problems"][0]["allowed"] == "one of start, size"


def test_a_wrong_value_of_a_known_parameter_reads_in_chinese_under_lang_zh(api):
    answer = refused(api.post("/v1/advise?lang=zh&questions=99&format=pdf", json=EXAMPLE))
    assert answer == {
        "error": "invalid_request",
        "message": "请求有 2 处问题：questions、format",
        "problems": [
            {"field": "questions", "value": "99", "message": "超出允许范围", "allowed": "不大于 50 的数"},
            {"field": "format", "value": "pdf", "message": "不是可选的值", "allowed": "可选：json、markdown、html"},
        ],
    }
    # the same in English keeps pydantic's own sentences
    english = refused(api.post("/v1/advise?questions=99", json=EXAMPLE))
    assert english["message"] == "the request has 1 problem: questions"
    assert english["problems"][0]["message"] == "Input should be less than or equal to 50"
    assert english["problems"][0]["allowed"] == "a number <= 50"


def test_an_interview_body_of_the_wrong_shape_is_refused_in_its_own_language(api):
    answer = refused(api.post("/v1/interview/next", json={"answers": {}, "lang": "zh", "ask_all": "maybe"}))
    assert answer["message"] == "请求有 1 处问题：ask_all"
    assert answer["problems"] == [
        {"field": "ask_all", "value": "maybe", "message": "不是 true 或 false", "allowed": "true 或 false"}
    ]
