"""The service under hostile and careless clients (issue 12): strict JSON, HEAD, CORS refusals,
disconnects, SIGTERM, limits and security headers; each answer in the API's error shape."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_http_api import EXAMPLE, serving

from advisor.http_api import create_app
from advisor.http_guards import CONTENT_SECURITY_POLICY


@pytest.fixture(scope="module")
def api():
    with serving(create_app()) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def late_body(url: str, query: str = "") -> dict[str, Any]:
    """The 408 answer to a POST /v1/advise whose body never arrives whole (1 of 100 bytes sent)."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST /v1/advise{query} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{".encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    result: dict[str, Any] = json.loads(body)
    return result


def strict_json(response: httpx.Response) -> Any:
    """The body as JSON that a strict parser accepts (no NaN, no Infinity)."""

    def refuse(constant: str) -> Any:
        raise AssertionError(f"{constant} in the body: not JSON")

    return json.loads(response.content, parse_constant=refuse)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = strict_json(response)
    assert body["error"] == code and body["message"] and isinstance(body["problems"], list)
    assert "Traceback" not in response.text
    return body


# -- row 16: strict JSON on every route that reads a body ------------------------------------------

HOSTILE = {
    "Infinity": b'{"answers": {"duration_months": Infinity}}',
    "-Infinity": b'{"answers": {"funding_cny": -Infinity}}',
    "NaN": b'{"answers": {"funding_cny": NaN}}',
    "5,000-digit integer": b'{"answers": {"funding_cny": ' + b"9" * 5000 + b"}}",
    "nested 30,000 deep": b'{"answers": {"title": ' + b"[" * 30_000 + b"]" * 30_000 + b"}}",
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("path", ["/v1/interview/next", "/v1/advise", "/v1/questions/funding_cny/parse"])
def test_non_json_numbers_huge_integers_and_deep_nesting_get_a_json_422(api, path, body):
    if path == "/v1/advise":
        body = body.replace(b'{"answers": ', b"", 1)[:-1]
    problem = assert_error(api.post(path, content=body), 422, "invalid_request")["problems"][0]
    assert problem["field"] == "(body)" and "not valid JSON" in problem["message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/advise", b'{"funding_cny": 1e400}', "funding_cny"),
        ("/v1/advise?lang=zh", b'{"duration_months": -1e400}', "duration_months"),
        ("/v1/advise", b'{"funding_sources": ["enterprise", 1e400]}', "funding_sources[1]"),
        ("/v1/interview/next", b'{"answers": {"funding_cny": 1e400}}', "funding_cny"),
        ("/v1/questions/funding_cny/parse", b'{"text": 1e400}', "text"),
    ],
)
def test_a_number_too_big_for_a_float_is_named_in_a_422_never_a_500(api, path, body, field):
    # 1e400 is valid JSON that Python reads as infinity: the 422 quotes it as text ("inf")
    response = api.post(path, content=body)
    assert response.status_code == 422, response.text
    (found,) = [p for p in strict_json(response)["problems"] if p["field"] == field]
    assert found["value"] in ("inf", "-inf")


def test_a_number_too_big_for_a_float_loses_no_other_row_of_a_batch(api):
    response = api.post("/v1/batch", content=b'{"id": "b0"}\n{"id": "a", "funding_cny": 1e400}\n{"id": "b"}\n')
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert response.status_code == 200 and [line["id"] for line in lines] == ["b0", "a", "b"]
    assert "advice" in lines[0] and "advice" in lines[2]
    assert lines[1]["error"]["problems"][0]["value"] == "inf"


def test_a_huge_integer_is_refused_in_the_words_of_every_surface(api):
    problem = assert_error(
        api.post("/v1/advise", content=b'{"funding_cny": ' + b"9" * 5000 + b"}"), 422, "invalid_request"
    )
    assert "a number has 5,000 digits, over the limit of 100" in problem["problems"][0]["message"]
    assert "sys.set_int_max_str_digits" not in problem["message"] + problem["problems"][0]["message"]


def test_a_valid_body_of_the_wrong_shape_gets_the_api_shape_too(api):
    body = assert_error(api.post("/v1/interview/next", json=[1, 2]), 422, "invalid_request")
    assert body["problems"][0]["field"] == "(body)"
    body = assert_error(api.post("/v1/interview/next", json={"answers": [], "colour": 1}), 422, "invalid_request")
    assert {p["field"] for p in body["problems"]} == {"answers", "colour"}


def test_a_lone_surrogate_is_answered_as_json_never_a_500(api):
    response = api.post("/v1/interview/next", content=b'{"answers": {"scope": "\\ud800"}}')
    body = assert_error(response, 422, "invalid_profile")
    assert (
        body["problems"][0]["field"] == "scope" and body["problems"][0]["value"] == "\\ud800"
    )  # quoted with the character escaped


def test_model_json_bytes_writes_what_json_bytes_writes_of_the_dumped_models():
    """The interview step's serialiser (pydantic's, for speed) against the strict one: the same
    JSON for models and plain data, and the strict way for what pydantic would not write strictly."""
    from advisor.http_errors import json_bytes, model_json_bytes
    from advisor.scoring import ModeStanding

    standing = ModeStanding(id="x", name="X 中", name_zh="叉", score=70, verdict="recommended")
    data = {"modes": [standing], "n": 1.5, "none": None, "text": "NaN is a word here"}
    plain = {"modes": [standing.model_dump(mode="json")], "n": 1.5, "none": None, "text": "NaN is a word here"}
    assert json.loads(model_json_bytes(data)) == json.loads(json_bytes(plain))
    assert model_json_bytes({"a": "\ud800"}) == json_bytes({"a": "\ud800"}) == b'{"a": "\\ud800"}'
    for odd in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            model_json_bytes({"modes": [standing], "score": odd})


# -- row 18: HEAD, CORS refusals, disconnects -------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/healthz", "/v1/modes", "/static/app.js", "/openapi.json", "/docs"])
def test_head_is_answered_on_every_get_route(api, path):
    get, head = api.get(path), api.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))


def test_head_on_a_post_route_gets_405_naming_head(api):
    response = api.head("/v1/advise")
    assert response.status_code == 405 and response.content == b""
    body = assert_error(api.request("PUT", "/v1/advise"), 405, "method_not_allowed")
    assert "PUT" in body["message"]


def test_a_refused_cors_preflight_is_answered_in_the_api_shape():
    allowed = "https://portal.example.org"
    with serving(create_app(cors_origins=[allowed])) as url:
        refused = httpx.options(
            url + "/v1/advise",
            headers={"origin": "https://elsewhere.example", "access-control-request-method": "POST"},
        )
        body = assert_error(refused, 400, "cors_refused")
        assert "origin" in body["message"] and "--cors-origin" in body["message"]
        granted = httpx.options(
            url + "/v1/advise", headers={"origin": allowed, "access-control-request-method": "POST"}
        )
    assert granted.status_code == 200 and granted.headers["access-control-allow-origin"] == allowed


def raw_request(port: int, data: bytes, read: bool = False) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        return sock.recv(200) if read else b""


def whole_response(client: socket.socket) -> bytes:
    """One response, head and body, however many segments the server wrote it in."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(4096)
        assert chunk, f"closed after {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line[15:]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:"))
    while len(body) < length:
        chunk = client.recv(4096)
        assert chunk, f"closed after {data!r}"
        body += chunk
    assert len(body) == length, "more bytes than one response"
    return head


def test_a_client_that_disconnects_is_logged_without_a_traceback(start_serve):
    with start_serve("--log-level", "info", "--no-access-log") as served:
        # a body promised and never sent in full
        raw_request(served.port, b'POST /v1/advise HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"scope"')
        # a batch stream whose reader goes away after the first bytes
        rows = b"".join(json.dumps({**EXAMPLE, "id": f"r{n}"}).encode() + b"\n" for n in range(400))
        head = b"POST /v1/batch?what_if=true HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
        assert raw_request(served.port, head + b"Content-Length: %d\r\n\r\n" % len(rows) + rows, read=True)
        time.sleep(1.5)
        assert httpx.get(served.url + "/healthz").status_code == 200  # still serving
    # start_serve checks the exit code and that stderr holds no traceback
    assert "internal error" not in served.stderr and "Exception in ASGI application" not in served.stderr


# -- item 6: SIGTERM, limits, headers ----------------------------------------------------------------


def test_sigterm_finishes_the_requests_in_flight_then_exits_0(start_serve):
    rows = "".join(json.dumps({**EXAMPLE, "id": f"r{n}"}) + "\n" for n in range(300))
    result: dict[str, Any] = {}

    def slow_request(url: str) -> None:
        response = httpx.post(url + "/v1/batch?what_if=true", content=rows, timeout=120)
        result["status"] = response.status_code
        result["lines"] = [json.loads(line) for line in response.text.splitlines()]

    with start_serve(stop=0) as served:  # signal 0: the test sends the signal itself
        client = threading.Thread(target=slow_request, args=(served.url,))
        started = time.monotonic()
        client.start()
        time.sleep(0.5)  # the batch is being advised
        import signal

        served.process.send_signal(signal.SIGTERM)
        client.join(120)
        served.process.wait(60)
        took = time.monotonic() - started
    assert result["status"] == 200
    assert len(result["lines"]) == 300 and all("advice" in line for line in result["lines"])
    assert served.returncode == 0 and took < 60


def test_headers_over_the_limit_get_431(api):
    body = assert_error(api.get("/healthz", headers={"x-padding": "a" * 20_000}), 431, "headers_too_large")
    assert "16384" in body["message"]


def test_a_body_that_does_not_arrive_in_time_gets_408():
    with serving(create_app(body_seconds=0.5)) as url:
        assert late_body(url)["error"] == "request_timeout"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/", None),
        ("GET", "/static/app.js", None),
        ("GET", "/docs", None),
        ("GET", "/v1/modes", None),
        ("POST", "/v1/advise", EXAMPLE),
        ("POST", "/v1/advise", {"scope": "galaxy"}),
        ("GET", "/nowhere", None),
    ],
)
def test_every_answer_sends_nosniff_and_the_content_security_policy(api, method, path, body):
    response = api.request(method, path, json=body)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "default-src 'self'" in CONTENT_SECURITY_POLICY


def test_the_docs_page_needs_no_inline_script_under_its_policy(api):
    page = api.get("/docs").text
    assert "<script src='/static/docs.js'></script>" in page
    assert "<script>" not in page
    script = api.get("/static/docs.js")
    assert script.status_code == 200 and "form.try" in script.text


@pytest.mark.parametrize("path", ["/v1/advise", "/v1/interview/next"])
def test_a_key_given_twice_is_refused_naming_it(api, path):
    body = b'{"enterprise_size": "large", "enterprise_size": "small"}'
    if path == "/v1/interview/next":
        body = b'{"answers": ' + body + b"}"
    problem = assert_error(api.post(path, content=body), 422, "invalid_request")["problems"][0]
    assert "the key 'enterprise_size' appears twice" in problem["message"]


def test_a_key_given_twice_in_a_batch_is_refused_naming_it(api):
    twice = b'{"enterprise_size": "large", "enterprise_size": "small"}'
    # a JSON array cannot be read at all: the body is refused (before, the last value won silently)
    array = assert_error(api.post("/v1/batch", content=b"[" + twice + b"]"), 422, "invalid_request")
    assert "the key 'enterprise_size' appears twice" in array["problems"][0]["message"]
    # in JSON Lines only that line is refused, and the next is advised
    lines = api.post(
        "/v1/batch",
        content=twice + b'\n{"enterprise_size": "large"}\n',
        headers={"content-type": "application/x-ndjson"},
    )
    first, second = (json.loads(line) for line in lines.text.splitlines())
    assert "the key 'enterprise_size' appears twice" in first["error"]["problems"][0]["message"]
    assert second["advice"]["profile"]["enterprise_size"] == "large"


# -- a time limit on a request's head (a "slowloris" held connections for ever) --------------------


def test_a_request_head_that_never_completes_is_closed_and_a_whole_one_is_answered():
    import socket
    import threading

    import uvicorn

    from advisor.http_protocol import HeadTimedH11Protocol
    from advisor.service import listen

    class Quick(HeadTimedH11Protocol):
        head_seconds = 0.5

    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(), http=Quick, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = sock.getsockname()[1]

    def closed_within(client: socket.socket, seconds: float, trickle: bytes = b"") -> bool:
        client.settimeout(0.1)
        deadline = time.monotonic() + seconds
        try:
            for byte in trickle:
                client.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:  # closed by the server mid-way
            return True
        while time.monotonic() < deadline:
            try:
                if client.recv(1024) == b"":
                    return True
            except TimeoutError:
                pass
            except OSError:
                return True
        return False

    try:
        with contextlib.ExitStack() as clients:

            def connect() -> socket.socket:
                return clients.enter_context(socket.create_connection(("127.0.0.1", port)))

            silent = connect()
            assert closed_within(silent, 3)  # sent nothing
            slow = connect()
            assert closed_within(slow, 5, trickle=b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40)
            whole = connect()
            whole.settimeout(5)
            whole.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert whole_response(whole).startswith(b"HTTP/1.1 200")
            time.sleep(0.3)  # a pause shorter than the limit after the answer does not close it
            whole.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert whole_response(whole).startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_advisor_serve_runs_the_head_timed_protocol():
    from advisor import service
    from advisor.http_protocol import HEAD_SECONDS, HeadTimedH11Protocol

    assert "HeadTimedH11Protocol" in Path(service.__file__).read_text(encoding="utf-8")
    assert HeadTimedH11Protocol.head_seconds == HEAD_SECONDS == 30.0


def test_an_interview_that_answers_and_skips_one_question_gets_a_422(api):
    body = {"answers": {"scope": "single_problem"}, "skipped": ["scope", "enterprise_size"]}
    problems = assert_error(api.post("/v1/interview/next", json=body), 422, "invalid_profile")["problems"]
    assert problems == [
        {
            "field": "skipped",
            "value": "scope",
            "message": "answered and skipped at once",
            "allowed": "an attribute not in `answers`",
        }
    ]


def test_an_interview_that_answers_and_skips_one_question_is_refused_in_chinese_too(api):
    body = {"answers": {"scope": "single_problem"}, "skipped": ["scope"], "lang": "zh"}
    problem = assert_error(api.post("/v1/interview/next", json=body), 422, "invalid_profile")["problems"][0]
    assert problem["message"] == "既已回答，又标为“不知道”" and problem["allowed"] == "应为不在 answers 中的字段"
