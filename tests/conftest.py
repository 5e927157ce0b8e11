"""Shared fixtures: the shipped advisor, built once per test session, and `advisor serve` in a process."""

from __future__ import annotations

import re
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from advisor.core import default_advisor


@pytest.fixture(scope="session")
def shipped():
    """The advisor over the shipped rule pack and knowledge base (thread-safe, shared)."""
    return default_advisor()


class Served:
    """An `advisor serve` process: its base URL, and what it wrote to stderr once it has stopped."""

    def __init__(self, process: subprocess.Popen[str], url: str, port: int, first_line: str):
        self.process = process
        self.url = url
        self.port = port
        self.first_line = first_line
        self.stderr = ""
        self.returncode: int | None = None


@contextmanager
def _serve(
    *options: str, stop: int = signal.SIGINT, check: bool = True, open_files: int | None = None
) -> Iterator[Served]:
    """Run `advisor serve --port 0 OPTIONS` in a process of its own (so client and server each get a
    core) until the block ends; then stop it with `stop` and (with `check`) require a clean exit:
    code 0, no traceback. `open_files`: the process's limit on file descriptors (soft and hard)."""
    command = [sys.executable, "-m", "advisor", "serve", "--port", "0", *options]
    if "--log-level" not in options:
        command += ["--no-access-log", "--log-level", "warning"]

    def limit() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://[\d.]+:(\d+)", line)
    if not match:
        process.kill()
        _, err = process.communicate(timeout=30)
        raise AssertionError(f"advisor serve did not start: {line!r} {err}")
    served = Served(process, match.group(0), int(match.group(1)), line)
    try:
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(stop)
        _, served.stderr = process.communicate(timeout=60)
        served.returncode = process.returncode
    if check:
        assert served.returncode == 0, served.stderr
        assert "Traceback" not in served.stderr and "Segmentation" not in served.stderr, served.stderr


@pytest.fixture(scope="session")
def start_serve() -> Callable[..., AbstractContextManager[Served]]:
    """`with start_serve(*options) as served:` runs `advisor serve` for the block (see _serve)."""
    return _serve
