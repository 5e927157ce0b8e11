"""The HTTP service as a client meets it: every route, the error codes and bodies, the OpenAPI document.

The app runs under uvicorn on loopback in a background thread, so requests go through real HTTP
(Content-Length, chunked uploads, streamed answers) exactly as another program's would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from advisor.advice import Advice
from advisor.cli import cli
from advisor.core import Advisor, default_advisor
from advisor.errors import ProfileError
from advisor.http_api import MAX_BODY_BYTES, BatchLine, Health, InterviewStep, ParsedAnswer, create_app
from advisor.interview import next_question
from advisor.profile import Profile
from advisor.questions import load_questions
from advisor.render import render_markdown
from advisor.service import listen

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = json.loads((ROOT / "examples" / "technology_transfer.json").read_text(encoding="utf-8"))


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn on a free loopback port; yield its base URL."""
    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    with serving(create_app()) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def expected(profile: dict[str, Any], **options: Any) -> Any:
    return json.loads(default_advisor().advise(profile, **options).model_dump_json())


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert body["message"] and "Traceback" not in response.text
    return body


# -- POST /v1/advise --------------------------------------------------------------------------


def test_advise_returns_the_library_advice(api):
    response = api.post("/v1/advise", json=EXAMPLE)
    assert response.status_code == 200
    assert response.json() == expected(EXAMPLE, what_if=False)
    assert Advice.model_validate(response.json()).leading_mode == "technology_transfer"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_advise_body_is_the_library_advice_byte_for_byte(api, lang):
    # The body is written as bytes by pydantic's serialiser: the same bytes as the library's JSON,
    # Chinese unescaped, for every example.
    for path in sorted((Path(__file__).parents[1] / "examples").glob("*.json")):
        profile = json.loads(path.read_text(encoding="utf-8"))
        response = api.post("/v1/advise", params={"lang": lang}, json=profile)
        assert response.status_code == 200, path.name
        advice = default_advisor().advise(profile, what_if=False, lang=lang)
        assert response.content == advice.model_dump_json().encode("utf-8"), path.name


def test_advise_what_if_adds_the_next_questions():
    sparse = {"enterprise_size": "large", "existing_result": True, "duration_months": 12}
    with serving(create_app()) as url:
        response = httpx.post(url + "/v1/advise", params={"what_if": "true", "questions": 3}, json=sparse)
    assert response.status_code == 200
    body = response.json()
    assert body == expected(sparse, what_if=True, max_questions=3)
    assert 0 < len(body["next_questions"]) <= 3


def test_advise_without_what_if_lists_no_next_questions(api):
    sparse = {"enterprise_size": "large", "existing_result": True}
    assert api.post("/v1/advise", json=sparse).json()["next_questions"] == []


def test_advise_as_markdown(api):
    response = api.post("/v1/advise", params={"format": "markdown"}, json=EXAMPLE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text == render_markdown(default_advisor().advise(EXAMPLE, what_if=False), "en", load_questions())


def test_advise_reads_json_whatever_the_content_type(api):
    # `curl -d @profile.json URL` sends application/x-www-form-urlencoded
    body = json.dumps(EXAMPLE).encode()
    response = api.post("/v1/advise", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert response.json()["leading_mode"] == "technology_transfer"


@pytest.mark.parametrize(
    ("profile", "field", "value", "allowed"),
    [
        ({"enterprise_size": "huge"}, "enterprise_size", "huge", "one of large, medium, small, none"),
        ({"duration_months": 0}, "duration_months", 0, "an integer >= 1 and <= 600"),
        ({"duration_months": "long"}, "duration_months", "long", "an integer >= 1 and <= 600"),
        ({"funding_sources": ["enterprise", "bank"]}, "funding_sources[1]", "bank", "a list of enterprise, government"),
        ({"ipr_agreement": "perhaps"}, "ipr_agreement", "perhaps", "true or false"),
    ],
)
def test_invalid_profile_gets_422_naming_field_value_and_allowed(api, profile, field, value, allowed):
    body = assert_error(api.post("/v1/advise", json=profile), 422, "invalid_profile")
    (problem,) = body["problems"]
    assert problem["field"] == field
    assert problem["value"] == value
    assert problem["allowed"].startswith(allowed)
    assert field in body["message"]


def test_invalid_profile_lists_every_problem_as_the_library_does(api):
    profile = {"enterprise_size": "huge", "scope": "everything", "duration_month": 12}
    body = assert_error(api.post("/v1/advise", json=profile), 422, "invalid_profile")
    with pytest.raises(ProfileError) as caught:
        default_advisor().advise(profile)
    assert [p["field"] for p in body["problems"]] == [p.field for p in caught.value.problems]
    unknown = body["problems"][-1]
    assert unknown["field"] == "duration_month"
    assert "did you mean 'duration_months'" in unknown["message"]
    assert "/v1/schema/profile" in unknown["allowed"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "a JSON body is required"),
        (b"{not json", "not valid JSON"),
        (b'{"funding_cny": NaN}', "NaN is not JSON"),
        (b"[" * 20000 + b"]" * 20000, "nested too deeply"),
    ],
)
def test_unreadable_body_gets_422(api, content, message):
    body = assert_error(api.post("/v1/advise", content=content), 422, "invalid_request")
    assert body["problems"][0]["field"] == "(body)"
    assert message in body["problems"][0]["message"]


def test_a_body_that_is_not_an_object_gets_422(api):
    body = assert_error(api.post("/v1/advise", json=["enterprise_size", "large"]), 422, "invalid_profile")
    assert body["problems"][0]["field"] == "(profile)"
    assert body["problems"][0]["value"] == ["enterprise_size", "large"]


@pytest.mark.parametrize(
    ("params", "field", "allowed"),
    [
        ({"what_if": "maybe"}, "what_if", "true or false"),
        ({"questions": "99"}, "questions", "a number <= 50"),
        ({"format": "pdf"}, "format", "one of 'json', 'markdown' or 'html'"),
    ],
)
def test_bad_query_parameter_gets_422(api, params, field, allowed):
    body = assert_error(api.post("/v1/advise", params=params, json={}), 422, "invalid_request")
    (problem,) = body["problems"]
    assert (problem["field"], problem["value"], problem["allowed"]) == (field, params[field], allowed)


def test_body_over_the_limit_gets_413_by_content_length(api):
    profile = {"title": "x" * MAX_BODY_BYTES}
    body = assert_error(api.post("/v1/advise", json=profile), 413, "body_too_large")
    assert str(MAX_BODY_BYTES) in body["message"]


def test_chunked_body_over_the_limit_gets_413_while_reading(api):
    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted as the body arrives
        yield b'{"title": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    assert_error(api.post("/v1/advise", content=chunks()), 413, "body_too_large")


def test_a_body_just_under_the_limit_is_read(api):
    title = "x" * (MAX_BODY_BYTES - 100)
    response = api.post("/v1/advise", json={"title": title})
    assert response.status_code == 200
    assert response.json()["profile"]["title"] == title


# -- POST /v1/batch ---------------------------------------------------------------------------


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines()]


def test_batch_json_lines_streams_one_line_per_row_with_errors_in_place(api):
    rows = [
        json.dumps({**EXAMPLE, "id": "a"}),
        "",
        "{broken",
        json.dumps({"id": "c", "scope": "everything"}),
        json.dumps({"id": "d", "enterprise_size": "large", "duration_months": 60}),
    ]
    response = api.post("/v1/batch", content="\n".join(rows) + "\n", headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers.get("transfer-encoding") == "chunked"  # streamed, not buffered
    out = lines(response)
    for line in out:  # each line is the documented BatchLine
        BatchLine.model_validate(line)
    assert [(o["row"], o["line"], o["id"]) for o in out] == [(1, 1, "a"), (2, 3, None), (3, 4, "c"), (4, 5, "d")]
    assert out[0]["advice"] == expected({**EXAMPLE, "id": "a"}, what_if=False)
    assert (
        out[1]["error"]["error"] == "invalid_request" and "not valid JSON" in out[1]["error"]["problems"][0]["message"]
    )
    assert out[2]["error"]["error"] == "invalid_profile"
    assert out[2]["error"]["problems"][0] == {
        "field": "scope",
        "value": "everything",
        "message": "not an allowed value",
        "allowed": "one of single_problem, single_program, multi_program",
    }
    assert out[3]["advice"] == expected({"id": "d", "enterprise_size": "large", "duration_months": 60}, what_if=False)
    assert "advice" not in out[2] and "error" not in out[3]


def test_batch_accepts_a_json_array(api):
    profiles = [EXAMPLE, {"enterprise_size": "large"}, 7]
    response = api.post("/v1/batch", json=profiles)
    assert response.status_code == 200
    out = lines(response)
    assert [o["row"] for o in out] == [1, 2, 3]
    assert "line" not in out[0]
    assert out[1]["advice"] == expected({"enterprise_size": "large"}, what_if=False)
    assert out[2]["error"]["problems"][0]["field"] == "(profile)"


def test_batch_what_if(api):
    sparse = {"enterprise_size": "large", "existing_result": True, "duration_months": 12}
    out = lines(api.post("/v1/batch", params={"what_if": "true"}, json=[sparse]))
    assert out[0]["advice"] == expected(sparse, what_if=True)


def test_batch_in_chinese_tells_each_rows_problems_and_reasons_in_chinese(api):
    good = {"enterprise_size": "large", "duration_months": 24, "scope": "single_program"}
    out = lines(api.post("/v1/batch", params={"lang": "zh"}, json=[{"scope": "everything"}, good]))
    assert out[0]["error"] == {
        "error": "invalid_profile",
        "message": "合作概况有 1 处问题：“合作范围”（scope）",
        "problems": [
            {
                "field": "scope",
                "value": "everything",
                "message": "不是可选的值",
                "allowed": out[0]["error"]["problems"][0]["allowed"],
                "label": "合作范围",
            }
        ],
    }
    assert out[0]["error"]["problems"][0]["allowed"].startswith("可选：")
    assert out[1]["advice"] == expected(good, what_if=False, lang="zh")
    broken = lines(
        api.post("/v1/batch?lang=zh", content=b"{broken\n", headers={"content-type": "application/x-ndjson"})
    )
    assert broken[0]["error"]["message"] == "这一行不是有效的 JSON"
    assert broken[0]["error"]["problems"][0]["allowed"] == "每行一个 JSON 对象"
    assert "适合" in out[1]["advice"]["modes"][0]["reasons_for"][0]["message"]


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"", "application/x-ndjson", "holds no rows"),
        (b"\n \n", "application/x-ndjson", "holds no rows"),
        (b"[{}, ", "application/json", "not valid JSON"),
        (b'{"enterprise_size": "large"}', "application/json", "must be an array"),
        (b"\xff\xfe{}", "application/x-ndjson", "not UTF-8"),
    ],
)
def test_batch_body_that_cannot_be_split_into_rows_gets_422(api, content, content_type, message):
    body = assert_error(
        api.post("/v1/batch", content=content, headers={"content-type": content_type}), 422, "invalid_request"
    )
    assert message in body["problems"][0]["message"]


def test_batch_has_its_own_larger_limit():
    small = create_app(max_body_bytes=200, max_batch_bytes=2000)
    row = json.dumps({"title": "x" * 150}) + "\n"
    with serving(small) as url, httpx.Client(base_url=url) as client:
        assert client.post("/v1/batch", content=row * 10).status_code == 200  # 1,660 bytes: over the advise limit
        assert client.post("/v1/advise", content=row * 2).status_code == 413
        body = assert_error(client.post("/v1/batch", content=row * 13), 413, "body_too_large")
        assert "2000" in body["message"]


class _Flaky(Advisor):
    """An advisor whose engine fails on one profile, as a bug would."""

    def __init__(self) -> None:  # reuse the shipped advisor's parts; build nothing
        self.__dict__.update(default_advisor().__dict__)

    def advise(self, profile: Any, **options: Any) -> Advice:
        if isinstance(profile, dict) and profile.get("id") == "boom":
            raise RuntimeError("engine failure")
        return super().advise(profile, **options)


def test_a_bug_gets_a_500_json_body_and_never_stops_a_batch():
    with serving(create_app(_Flaky())) as url, httpx.Client(base_url=url) as client:
        body = assert_error(client.post("/v1/advise", json={"id": "boom"}), 500, "internal_error")
        assert "RuntimeError" in body["message"]
        out = lines(client.post("/v1/batch", json=[{"id": "boom"}, {"id": "fine"}]))
        assert out[0]["error"]["error"] == "internal_error"
        assert out[1]["advice"]["profile"] == {"id": "fine"}


# -- knowledge ----------------------------------------------------------------------------------


def test_modes_lists_the_eight_modes(api):
    modes = api.get("/v1/modes").json()
    assert [m["id"] for m in modes] == list(default_advisor().knowledge.modes)
    assert len(modes) == len(default_advisor().knowledge.modes)
    assert {m["name_zh"] for m in modes} >= {"技术转让", "技术入股", "战略联盟"}


def test_one_mode(api):
    mode = api.get("/v1/modes/technology_equity").json()
    assert mode == default_advisor().knowledge.modes["technology_equity"].model_dump(mode="json")


def test_unknown_mode_gets_404_with_a_hint(api):
    body = assert_error(api.get("/v1/modes/technology_transfre"), 404, "not_found")
    assert "did you mean 'technology_transfer'" in body["message"]


def test_rules_lists_every_rule_as_data(api):
    rules = api.get("/v1/rules").json()
    rulebook = default_advisor().rulebook
    assert [r["id"] for r in rules] == list(rulebook.rules)
    first = rules[0]
    assert set(first) >= {"id", "name", "when", "effect", "message", "rationale", "cites", "file"}
    assert first == {
        **rulebook.rules[first["id"]].model_dump(mode="json", by_alias=True, exclude_none=True),
        "file": first["file"],
    }


def test_rules_filtered_by_mode(api):
    rules = api.get("/v1/rules", params={"mode": "technology_equity"}).json()
    assert rules and all(
        r["effect"].get("supports", r["effect"].get("opposes", r["effect"].get("excludes"))) == "technology_equity"
        for r in rules
    )
    body = assert_error(api.get("/v1/rules", params={"mode": "nothing"}), 422, "invalid_request")
    assert "technology_equity" in body["problems"][0]["allowed"]


def test_one_rule_case_insensitive_and_404(api):
    rule_id = next(iter(default_advisor().rulebook.rules))
    assert api.get(f"/v1/rules/{rule_id.lower()}").json()["id"] == rule_id
    body = assert_error(api.get("/v1/rules/ZZ999"), 404, "not_found")
    assert "/v1/rules" in body["message"]


# -- the questionnaire ------------------------------------------------------------------------------


def test_questions_are_the_questionnaire_in_both_languages(api):
    body = api.get("/v1/questions").json()
    assert body == load_questions().model_dump(mode="json")
    first = body["questions"][0]
    assert first["text"]["en"] and first["text"]["zh"] and first["choices"][0]["label"]["zh"]


def test_interview_next_asks_what_advisor_ask_asks():
    advisor = default_advisor()
    answers: dict[str, Any] = {}
    skipped: list[str] = []
    profile = {key: value for key, value in EXAMPLE.items() if key not in ("id", "title")}
    asked = []
    with serving(create_app()) as url, httpx.Client(base_url=url) as client:
        for _ in range(40):
            step = client.post("/v1/interview/next", json={"answers": answers, "skipped": skipped}).json()
            InterviewStep.model_validate(step)  # the documented shape
            expected_step = next_question(advisor, answers, skipped)
            assert step["done"] == expected_step.done
            assert step["reason"] == expected_step.explain(advisor, "en")
            assert step["summary"] == expected_step.field.line("en")
            standing = advisor.standing(answers)
            assert [(m["id"], m["score"]) for m in step["modes"]] == list(standing.ranking)
            if step["done"]:
                assert step["question"] is None and step["stop_reason"] == expected_step.stop_reason
                break
            attribute = step["question"]["attribute"]
            assert attribute == expected_step.attribute
            asked.append(attribute)
            if attribute in profile:
                answers[attribute] = profile[attribute]
            else:
                skipped.append(attribute)
    assert step["done"] and len(asked) > 2


def test_interview_speaks_chinese(api):
    step = api.post("/v1/interview/next", json={"answers": {"enterprise_size": "large"}, "lang": "zh"}).json()
    expected_step = next_question(default_advisor(), {"enterprise_size": "large"}, [])
    assert step["reason"] == expected_step.explain(default_advisor(), "zh")
    assert step["summary"] == expected_step.field.line("zh")
    assert re.search(r"[\u4e00-\u9fff]", step["summary"])


def test_interview_with_invalid_answers_gets_422(api):
    body = assert_error(api.post("/v1/interview/next", json={"answers": {"scope": "galaxy"}}), 422, "invalid_profile")
    assert body["problems"][0]["field"] == "scope" and body["problems"][0]["value"] == "galaxy"
    body = assert_error(api.post("/v1/interview/next", json={"skipped": ["scop"]}), 422, "invalid_profile")
    assert body["problems"][0] == {
        "field": "skipped",
        "value": "scop",
        "message": "not a profile attribute",
        "allowed": "an attribute listed by GET /v1/schema/profile",
    }
    body = assert_error(api.post("/v1/interview/next", json={"skipped": "scope", "lang": "fr"}), 422, "invalid_request")
    assert {p["field"] for p in body["problems"]} == {"skipped", "lang"}
    assert_error(api.post("/v1/interview/next", content=b"{nope"), 422, "invalid_request")


@pytest.mark.parametrize(
    ("attribute", "text", "lang", "expected"),
    [
        ("funding_cny", "200万", "zh", {"attribute": "funding_cny", "value": 2_000_000, "display": "200 万元"}),
        ("duration_months", "1.5y", "en", {"attribute": "duration_months", "value": 18, "display": "18 months"}),
        (
            "enterprise_size",
            "2",
            "en",
            {"attribute": "enterprise_size", "value": "medium", "display": "Medium-sized enterprise"},
        ),
        ("scope", "不知道", "zh", {"attribute": "scope", "command": "skip"}),
    ],
)
def test_parse_reads_typed_answers_as_the_terminal_does(api, attribute, text, lang, expected):
    response = api.post(f"/v1/questions/{attribute}/parse", json={"text": text, "lang": lang})
    assert response.status_code == 200
    assert response.json() == expected
    ParsedAnswer.model_validate(response.json())


def test_parse_errors(api):
    body = assert_error(
        api.post("/v1/questions/duration_months/parse", json={"text": "forever"}), 422, "invalid_request"
    )
    problem = body["problems"][0]
    assert (problem["field"], problem["value"]) == ("duration_months", "forever")
    assert "1.5y" in problem["allowed"]
    assert_error(api.post("/v1/questions/nothing/parse", json={"text": "1"}), 404, "not_found")


# -- service routes -------------------------------------------------------------------------------


def test_schemas_are_the_models(api):
    assert api.get("/v1/schema/profile").json() == Profile.model_json_schema()
    assert api.get("/v1/schema/advice").json() == Advice.model_json_schema()


def test_healthz(api):
    body = api.get("/healthz").json()
    Health.model_validate(body)
    advisor = default_advisor()
    assert body["status"] == "ok"
    assert body["versions"]["knowledge"] == advisor.knowledge.version
    assert body["rules"] == len(advisor.rulebook.rules) and body["modes"] == len(advisor.knowledge.modes)


def test_unknown_path_gets_404_and_wrong_method_405(api):
    assert_error(api.get("/v2/advise"), 404, "not_found")
    body = assert_error(api.get("/v1/advise"), 405, "method_not_allowed")
    assert "GET" in body["message"]


def test_cors_is_off_unless_an_origin_is_given(api):
    preflight = {"origin": "https://portal.example.org", "access-control-request-method": "POST"}
    assert "access-control-allow-origin" not in api.options("/v1/advise", headers=preflight).headers
    with serving(create_app(cors_origins=["https://portal.example.org"])) as url:
        response = httpx.options(url + "/v1/advise", headers=preflight)
    assert response.headers["access-control-allow-origin"] == "https://portal.example.org"


# -- the OpenAPI document and the docs ------------------------------------------------------------


def test_openapi_document_validates_and_documents_every_route(api):
    from openapi_spec_validator import validate

    document = api.get("/openapi.json").json()
    validate(document)
    expected_paths = {
        "/v1/advise", "/v1/batch", "/v1/modes", "/v1/modes/{mode_id}", "/v1/rules", "/v1/rules/{rule_id}",
        "/v1/schema/profile", "/v1/schema/advice", "/v1/questions", "/v1/interview/next",
        "/v1/questions/{attribute}/parse", "/healthz", "/v1/catalogue",
    }  # fmt: skip
    assert set(document["paths"]) == expected_paths
    schemas = document["components"]["schemas"]
    assert schemas["Profile"]["properties"].keys() == Profile.model_json_schema()["properties"].keys()
    advise = document["paths"]["/v1/advise"]["post"]
    assert advise["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Profile"}
    assert advise["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Advice"
    }
    for path, methods in document["paths"].items():
        for operation in methods.values():
            for status in ("413", "422", "404"):
                if status in operation["responses"]:
                    schema = operation["responses"][status]["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)
    assert "HTTPValidationError" not in schemas
    for path, model in (
        ("/v1/interview/next", "InterviewRequest"),
        ("/v1/questions/{attribute}/parse", "ParseRequest"),
    ):
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{model}"} and model in schemas


def test_docs_page_works_offline_and_lists_every_operation(api):
    page = api.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    document = api.get("/openapi.json").json()
    for path, methods in document["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}" in page.text
    assert not re.search(r"""(src|href)=['"](https?:)?//""", page.text), (
        "the docs page must load nothing from elsewhere"
    )
    assert api.get("/redoc").status_code == 404


def test_web_page_and_assets_are_served_from_the_package(api):
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert not re.search(r"""(src|href)=['"](https?:)?//""", page.text), "the page must load nothing from elsewhere"
    for asset, kind in (
        ("/static/app.js", "text/javascript"),
        ("/static/values.js", "text/javascript"),
        ("/static/style.css", "text/css"),
    ):
        response = api.get(asset)
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
        assert asset in page.text
        assert "http://" not in response.text and "https://" not in response.text


# -- `advisor serve` ------------------------------------------------------------------------------


def test_serve_module_imports_no_web_framework():
    code = (
        "import sys, advisor.service; print(sorted(m for m in ('fastapi', 'uvicorn', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_serve_prints_its_address_answers_and_stops_on_ctrl_c(start_serve):
    with start_serve("--no-access-log") as served:
        assert re.search(r"serving http://127\.0\.0\.1:\d+/ \(questionnaire\)", served.first_line)
        assert httpx.get(served.url + "/healthz").json()["status"] == "ok"
        assert httpx.post(served.url + "/v1/advise", json=EXAMPLE).json()["leading_mode"] == "technology_transfer"
        # the port is taken now: a second server says so and how to fix it
        taken = subprocess.run(
            [sys.executable, "-m", "advisor", "serve", "--port", str(served.port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert taken.returncode == 2
        assert "Address already in use" in taken.stderr and "another --port" in taken.stderr
        assert "Traceback" not in taken.stderr
    assert served.returncode == 0  # stopped by SIGINT (Ctrl+C), cleanly


def test_serve_with_a_missing_rule_pack_fails_before_listening(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--rules", str(tmp_path / "nowhere"), "--port", "0"])
    assert result.exit_code == 1
    assert "rules directory does not exist" in result.output
    assert "serving" not in result.output


def test_serve_help_documents_the_defaults():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "127.0.0.1" in result.output and "8000" in result.output


def test_interview_stops_when_the_two_leaders_cannot_be_separated(api):
    from test_interview import CLOSE_CALL, LAST_ANSWER

    for lang, sentence in (("en", "The remaining questions cannot separate"), ("zh", "剩下的问题已无法区分")):
        answers = dict(CLOSE_CALL, **dict([LAST_ANSWER]))
        step = api.post("/v1/interview/next", json={"answers": answers, "lang": lang}).json()
        assert step["done"] and step["stop_reason"] == "inseparable" and step["question"] is None
        assert step["decision"] == "close_call" and step["reason"].startswith(sentence)
        leader, runner = step["modes"][0], step["modes"][1]
        name = "name_zh" if lang == "zh" else "name"
        assert leader[name] in step["reason"] and runner[name] in step["reason"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_advise_writes_the_reports_in_the_asked_language(api, lang):
    html = api.post("/v1/advise", params={"format": "html", "lang": lang}, json=EXAMPLE)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.text.startswith("<!DOCTYPE html>") and f'lang="{"zh-CN" if lang == "zh" else "en"}"' in html.text
    markdown = api.post("/v1/advise", params={"format": "markdown", "lang": lang}, json=EXAMPLE).text
    assert ("合作模式咨询报告" in markdown) is (lang == "zh")
    advice = api.post("/v1/advise", params={"lang": lang}, json=EXAMPLE).json()
    reason = advice["modes"][0]["reasons_for"][0]
    assert advice["lang"] == lang and reason["message"] == reason["messages"][lang]


def test_a_profile_error_reads_in_the_language_asked_for(api):
    """?lang=zh: the sentences in Chinese with each field's label; codes, fields and values as given."""
    body = {"enterprise_size": "huge", "duration_months": -3}
    english = api.post("/v1/advise", json=body).json()
    chinese = api.post("/v1/advise?lang=zh", json=body).json()
    assert english["error"] == chinese["error"] == "invalid_profile"
    assert english["message"] == "the profile has 2 problems: duration_months, enterprise_size"
    assert chinese["message"].startswith("合作概况有 2 处问题：") and "“企业规模”" in chinese["message"]
    by_field = {problem["field"]: problem for problem in chinese["problems"]}
    assert by_field["enterprise_size"]["value"] == "huge" and by_field["enterprise_size"]["label"] == "企业规模"
    assert by_field["enterprise_size"]["message"] == "不是可选的值"
    assert "大型企业（large）" in by_field["enterprise_size"]["allowed"]
    assert all("label" not in problem for problem in english["problems"])
