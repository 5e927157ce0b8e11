"""Concurrency: 32 clients, 2,000 requests against one shared advisor give exactly the sequential answers.

The service runs as `advisor serve` on loopback, sharing one advisor between all requests; the
answers expected are computed first, one by one, by `advise()` over the same shipped pack. A mix of requests runs at once: plain advice, advice with the
what-if (which evaluates dozens of variants per request), invalid profiles (422) and small batches
(advised in worker threads while the event loop advises single profiles).
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import httpx
from profiles import random_profile

from advisor.core import default_advisor, validate_profile
from advisor.errors import ProfileError
from advisor.http_api import profile_problems

CLIENTS = 32
REQUESTS = 2000


def make_requests(rng: random.Random) -> list[tuple[str, dict[str, str], Any]]:
    """(path, query, JSON body) for each request: mostly advice, some what-if, invalid and batch."""
    requests = []
    for number in range(REQUESTS):
        profile = random_profile(rng)
        if number % 50 == 7:
            requests.append(("/v1/batch", {}, [random_profile(rng) for _ in range(3)] + [{"scope": "all"}]))
        elif number % 10 == 3:
            profile["enterprise_size"] = rng.choice(["huge", "tiny"])  # invalid: 422
            requests.append(("/v1/advise", {}, profile))
        elif number % 8 == 5:
            requests.append(("/v1/advise", {"what_if": "true"}, profile))
        else:
            requests.append(("/v1/advise", {}, profile))
    return requests


def sequential_answer(path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    """What the service must answer, computed by the library one request at a time."""
    advisor = default_advisor()
    if path == "/v1/batch":
        out = []
        for row, profile in enumerate(body, start=1):
            line: dict[str, Any] = {"row": row, "id": None}
            try:
                line["advice"] = json.loads(advisor.advise(profile, what_if=False).model_dump_json())
            except ProfileError as error:
                line["error"] = profile_problems(error)
            out.append(line)
        return 200, out
    try:
        validate_profile(body)
    except ProfileError as error:
        return 422, profile_problems(error)
    advice = advisor.advise(body, what_if=query.get("what_if") == "true")
    return 200, json.loads(advice.model_dump_json())


def comparable(status: int, text: str, path: str) -> tuple[int, Any]:
    if path == "/v1/batch":
        out = []
        for raw in text.splitlines():
            line = json.loads(raw)
            if "error" in line:
                line["error"] = line["error"]["problems"]
            out.append(line)
        return status, out
    body = json.loads(text)
    return status, body["problems"] if status == 422 else body


def drive(host: str, port: int, requests: list[tuple[str, dict[str, str], Any]]) -> list[tuple[int, Any]]:
    """Send every request from CLIENTS threads, each with its own keep-alive connection."""
    # NOTE: the standard library's client in threads, not httpx's AsyncClient: on this 2-core
    # machine httpx spent several times the server's CPU per request, which made the test slow.
    local = threading.local()
    connections: list[http.client.HTTPConnection] = []

    def send(request: tuple[str, dict[str, str], Any]) -> tuple[int, Any]:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection(host, port, timeout=120)
            connections.append(connection)
        path, query, body = request
        target = path + ("?" + urlencode(query) if query else "")
        connection.request("POST", target, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return comparable(response.status, response.read().decode("utf-8"), path)

    try:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            return list(pool.map(send, requests))
    finally:
        for connection in connections:
            connection.close()


def test_concurrent_requests_give_the_sequential_answers(start_serve):
    requests = make_requests(random.Random(20240611))
    expected = [sequential_answer(*request) for request in requests]
    assert {status for status, _ in expected} == {200, 422}
    with start_serve() as served:
        url = served.url
        httpx.get(url + "/healthz")  # the server answers before the clock starts
        started = time.perf_counter()
        host, port = url.removeprefix("http://").split(":")
        got = drive(host, int(port), requests)
        elapsed = time.perf_counter() - started
        # the engine is still healthy afterwards
        assert httpx.get(url + "/healthz").json()["status"] == "ok"
    mismatches = [index for index, (want, have) in enumerate(zip(expected, got, strict=False)) if want != have]
    assert not mismatches, (
        f"{len(mismatches)} answers differ from sequential advise(), first: request {mismatches[0]} {requests[mismatches[0]][:2]}"
    )
    assert len(got) == REQUESTS
    print(f"{REQUESTS} requests from {CLIENTS} concurrent clients in {elapsed:.1f} s")
