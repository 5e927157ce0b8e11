"""Benchmark of the HTTP service: requests/s and latency of POST /v1/advise on loopback, and the cost
of one interview step (POST /v1/interview/next) against one /v1/advise call, in the same run.

Run:  .venv/bin/python benchmarks/bench_http.py [--requests 5000] [--concurrency 32] [--what-if]
      .venv/bin/python benchmarks/bench_http.py --interview    (also: what-if and interview steps, ratios)
      .venv/bin/python benchmarks/bench_http.py --workers 2   (advisor serve --workers 2)
      .venv/bin/python benchmarks/bench_http.py --url http://127.0.0.1:8000   (a server already running)

It starts `advisor serve --port 0` in a process of its own (as a user would), then drives it from
this process with `--concurrency` keep-alive connections, each sending the next request as soon
as its previous answer is in (a closed loop). The client is a few lines of asyncio over raw
sockets, because an HTTP library would spend more CPU than the server on this 2-core machine.
Latency is measured per request from the first byte sent to the last byte received.
Targets (issue 9): p99 under 20 ms and at least 1,500 requests/s with 32 clients on /v1/advise;
one interview step at most 1.2x one /v1/advise call (server CPU per request, same run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATE = 1500  # requests/s on /v1/advise
TARGET_P99_MS = 20
TARGET_STEP_RATIO = 1.2  # one interview step against one /v1/advise call, server CPU


def _met(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def profiles() -> list[bytes]:
    """The example profiles of the repository, as request bodies."""
    return [path.read_bytes() for path in sorted((ROOT / "examples").glob("*.json"))]


def interview_bodies() -> list[bytes]:
    """Interviews under way: each example's answers to the first half of the questionnaire."""
    import yaml

    order = [q["attribute"] for q in yaml.safe_load((ROOT / "knowledge" / "questions.yml").read_text())["questions"]]
    first_half = set(order[: len(order) // 2])
    bodies = []
    for path in sorted((ROOT / "examples").glob("*.json")):
        profile = json.loads(path.read_text(encoding="utf-8"))
        answers = {name: value for name, value in profile.items() if name in first_half}
        bodies.append(json.dumps({"answers": answers}).encode())
    return bodies


def start_server(workers: int = 1) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "advisor", "serve", "--port", "0", "--no-access-log", "--log-level", "warning"]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://[^/\s]+", line)
    if not match:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    url = match.group(0)
    if workers > 1:  # the workers load the pack after the parent has printed its address
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_children(process.pid)) < workers:
            time.sleep(0.2)
        asyncio.run(run(url, "/v1/advise", 200, workers * 4, profiles()))
    return process, url


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError):
                pass
    return found


def cpu_of_tree(pid: int) -> float:
    """CPU time of a process and its children (the `--workers` processes)."""
    total = 0.0
    for process in [pid, *_children(pid)]:
        try:
            total += cpu_seconds(process)
        except OSError:
            pass
    return total


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    return status, await reader.readexactly(length)


async def client(
    host: str,
    port: int,
    path: str,
    bodies: list[bytes],
    queue: asyncio.Queue[int],
    latencies: list[float],
    failures: list[str],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            try:
                number = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            body = bodies[number % len(bodies)]
            request = (
                f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            started = time.perf_counter()
            writer.write(request)
            status, answer = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 200 or not (b'"leading_mode"' in answer or b'"done"' in answer):
                failures.append(f"{status}: {answer[:200]!r}")
    finally:
        writer.close()


async def run(
    url: str, path: str, requests: int, concurrency: int, bodies: list[bytes]
) -> tuple[float, list[float], list[str]]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(requests):
        queue.put_nowait(number)
    latencies: list[float] = []
    failures: list[str] = []
    started = time.perf_counter()
    await asyncio.gather(*(client(host, port, path, bodies, queue, latencies, failures) for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, failures


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="Measured requests (after a warm-up of 500).")
    parser.add_argument("--concurrency", type=int, default=32, help="Concurrent keep-alive clients.")
    parser.add_argument("--what-if", action="store_true", help="POST /v1/advise?what_if=true (next questions too).")
    parser.add_argument("--url", help="Benchmark a server already running at this address instead of starting one.")
    parser.add_argument(
        "--workers", type=int, default=1, help="Start `advisor serve --workers N` (server CPU then sums the processes)."
    )
    parser.add_argument(
        "--interview",
        action="store_true",
        help="Then also POST /v1/advise?what_if=true and POST /v1/interview/next, with the CPU ratios.",
    )
    args = parser.parse_args()

    process = None
    url = args.url
    if url is None:
        process, url = start_server(args.workers)
    runs = [("/v1/advise" + ("?what_if=true" if args.what_if else ""), profiles())]
    if args.interview:
        runs += [("/v1/advise?what_if=true", profiles()), ("/v1/interview/next", interview_bodies())]
    results = []
    try:
        for path, bodies in runs:
            asyncio.run(run(url, path, 500, args.concurrency, bodies))  # warm-up
            cpu_before = cpu_of_tree(process.pid) if process else None
            elapsed, latencies, failures = asyncio.run(run(url, path, args.requests, args.concurrency, bodies))
            server_cpu = cpu_of_tree(process.pid) - cpu_before if process and cpu_before is not None else None
            results.append((path, len(bodies), elapsed, latencies, failures, server_cpu))
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)

    command = "benchmarks/bench_http.py " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    ms = 1000
    print(f"command      .venv/bin/python {command.strip()}")
    print(f"machine      {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end")
    cpu: dict[str, float] = {}
    verdicts: list[str] = []
    for path, count, elapsed, latencies, failures, server_cpu in results:
        print()
        print(f"endpoint     POST {path}  ({count} bodies in turn; server: advisor serve)")
        print(f"clients      {args.concurrency} concurrent keep-alive connections, {len(latencies)} requests")
        print(f"throughput   {len(latencies) / elapsed:,.0f} requests/s")
        print(
            f"latency      p50 {statistics.median(latencies) * ms:.1f} ms   p90 {percentile(latencies, 0.90) * ms:.1f} ms   "
            f"p99 {percentile(latencies, 0.99) * ms:.1f} ms   max {max(latencies) * ms:.1f} ms"
        )
        if server_cpu is not None:
            # NOTE: a server process's work holds the GIL, so CPU per request bounds each process's
            # throughput on one idle core whatever else shares the machine while this runs.
            per_request = server_cpu / len(latencies)
            cpu[path] = per_request
            print(
                f"server CPU   {per_request * ms:.2f} ms per request (one core's worth: at most {1 / per_request:,.0f} requests/s)"
            )
        print(f"failures     {len(failures)}" + (f" (first: {failures[0]})" if failures else ""))
        if path == "/v1/advise" and args.concurrency == 32:
            rate, p99 = len(latencies) / elapsed, percentile(latencies, 0.99) * ms
            verdicts.append(
                f"throughput {_met(rate >= TARGET_RATE)} ({rate:,.0f} requests/s; target >= {TARGET_RATE:,})"
            )
            verdicts.append(f"p99 {_met(p99 < TARGET_P99_MS)} ({p99:.1f} ms; target < {TARGET_P99_MS} ms)")
    if "/v1/interview/next" in cpu:
        step = cpu["/v1/interview/next"]
        print()
        print(f"one interview step / one /v1/advise call (server CPU):            {step / cpu['/v1/advise']:.2f}")
        print(
            f"one interview step / one /v1/advise?what_if=true call (server CPU): {step / cpu['/v1/advise?what_if=true']:.2f}"
        )
        ratio = step / cpu["/v1/advise"]
        verdicts.append(
            f"interview step {_met(ratio <= TARGET_STEP_RATIO)} ({ratio:.3f}; target <= {TARGET_STEP_RATIO})"
        )
    if verdicts:
        print()
        print("targets (issue 9, at 32 clients):  " + "; ".join(verdicts))
    if any(result[4] for result in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
