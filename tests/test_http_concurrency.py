"""Concurrency: 32 clients, 2,000 requests against one shared advisor give exactly the sequential answers.

The service runs as `advisor serve` on loopback, sharing one advisor between all requests; the
answers expected are computed first, one by one, by `advise()` over the same shipped pack. A mix of requests runs at once: plain advice, advice with the
what-if (which evaluates dozens of variants per request), invalid profiles (422) and small batches
(advised in worker threads while the event loop advises single profiles).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from profiles import random_profile

from advisor.core import default_advisor, validate_profile
from advisor.errors import ProfileError
from advisor.http_api import profile_problems
from advisor.paths import default_rules_dir
from advisor.serve_workers import QUICK_DEATH_SECONDS, QUICK_DEATHS

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


def _workers_of(pid: int) -> list[int]:
    """The worker processes `advisor serve --workers` started: its children running a spawned Python."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue  # gone meanwhile
        if parent == pid and b"multiprocessing.spawn" in command and b"resource_tracker" not in command:
            children.append(int(entry.name))
    return children


def _wait_for(check, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_workers_give_the_sequential_answers_replace_a_killed_worker_and_stop_cleanly(start_serve):
    """`--workers 2`: two processes answer (the same answers as one), a worker killed with SIGKILL
    is replaced without the service failing a request for long, and SIGTERM stops them all, exit 0."""
    requests = make_requests(random.Random(7))[:300]
    expected = [sequential_answer(*request) for request in requests]
    with start_serve("--workers", "2", stop=signal.SIGTERM) as served:
        workers = _wait_for(lambda: (found := _workers_of(served.process.pid)) and len(found) == 2 and found)
        _wait_for(lambda: httpx.get(served.url + "/healthz").status_code == 200)
        host, port = served.url.removeprefix("http://").split(":")
        assert drive(host, int(port), requests) == expected
        os.kill(workers[0], signal.SIGKILL)
        replaced = _wait_for(
            lambda: (found := _workers_of(served.process.pid)) and len(found) == 2 and workers[0] not in found and found
        )
        assert workers[1] in replaced
        _wait_for(lambda: all(httpx.get(served.url + "/healthz").status_code == 200 for _ in range(10)))
        assert drive(host, int(port), requests[:50]) == expected[:50]
    assert served.returncode == 0
    assert not _workers_of(served.process.pid)
    assert not any(Path(f"/proc/{pid}").exists() for pid in replaced)


def test_ctrl_c_stops_every_worker_and_exits_0():
    """Ctrl+C in a terminal reaches the whole process group: the parent and each worker."""
    command = [sys.executable, "-m", "advisor", "serve", "--port", "0", "--workers", "2", "--log-level", "warning"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    assert process.stdout is not None
    url = re.search(r"http://[\d.]+:\d+", process.stdout.readline()).group(0)  # type: ignore[union-attr]
    workers = _wait_for(lambda: (found := _workers_of(process.pid)) and len(found) == 2 and found)
    _wait_for(lambda: httpx.get(url + "/healthz").status_code == 200)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_a_worker_that_cannot_start_is_given_up_and_the_others_serve_on(start_serve, tmp_path):
    """The pack broken on disk after the start: a killed worker's replacements cannot load it;
    after three quick deaths it is not started again, with the pack's problems said (no
    traceback), and the other worker goes on answering."""
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    with start_serve("--workers", "2", "--rules", str(rules), stop=signal.SIGTERM) as served:
        workers = _wait_for(lambda: (found := _workers_of(served.process.pid)) and len(found) == 2 and found)
        _wait_for(lambda: httpx.get(served.url + "/healthz").status_code == 200)
        # Both workers up (each has loaded the pack), and past the time a death counts as one at start-up.
        time.sleep(QUICK_DEATH_SECONDS + 1)
        (rules / "pack.yml").write_text("scoring: [not, a, mapping\n", encoding="utf-8")
        os.kill(workers[0], signal.SIGKILL)
        # NOTE: each failed start takes a second or two (a fresh interpreter); then one is left.
        time.sleep(2)
        _wait_for(lambda: _workers_of(served.process.pid) == [workers[1]], seconds=90)
        time.sleep(QUICK_DEATH_SECONDS)  # and it stays so: no more restarts
        assert _workers_of(served.process.pid) == [workers[1]]
        assert all(httpx.get(served.url + "/healthz").status_code == 200 for _ in range(20))
    assert served.returncode == 0
    assert served.stderr.count("malformed YAML") == QUICK_DEATHS, served.stderr
    assert "(signal 9); starting another" in served.stderr, served.stderr
    assert f"ended {QUICK_DEATHS} times in a row right after starting" in served.stderr, served.stderr


def test_workers_on_a_system_without_so_reuseport_get_a_clear_error_in_the_service_language(monkeypatch):
    """Several workers each need their own socket on one address (SO_REUSEPORT); where the system
    has none, `serve --workers 2` says so, in the language asked for, and exits 2 before listening."""
    import types

    from click.testing import CliRunner

    from advisor import service
    from advisor.cli import cli

    without = types.SimpleNamespace(**{name: getattr(socket, name) for name in dir(socket) if name != "SO_REUSEPORT"})
    monkeypatch.setattr(service, "socket", without)
    for lang, expected in (("en", "needs SO_REUSEPORT"), ("zh", "不支持")):
        result = CliRunner().invoke(cli, ["serve", "--lang", lang, "--port", "0", "--workers", "2"])
        assert result.exit_code == 2, result.output
        assert expected in result.output and "--workers 1" in result.output, result.output
        assert "Traceback" not in result.output


def test_the_service_takes_its_start_up_objects_out_of_the_collectors_sight_before_serving(monkeypatch):
    """`advisor serve` freezes what it built at start-up (the pack, the app) before it serves, so
    a full garbage collection no longer walks them with every request in flight waiting."""
    import gc

    import uvicorn
    from click.testing import CliRunner

    from advisor.cli import cli
    from advisor.serve_workers import _serve

    seen: list[int] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: seen.append(gc.get_freeze_count()))
    try:
        result = CliRunner().invoke(cli, ["serve", "--port", "0"])
        gc.unfreeze()
        # and a `--workers` worker, as its process runs it
        pack = json.dumps({"rules": None, "knowledge": None, "cors_origins": [], "lang": "en"})
        with socket.socket() as unused:
            _serve(unused, pack, {"log_level": "warning"})
    finally:
        gc.unfreeze()
    assert result.exit_code == 0, result.output
    assert len(seen) == 2 and min(seen) > 10_000, seen  # the pack alone is tens of thousands of objects
