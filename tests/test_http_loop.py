"""`advisor serve` out of file descriptors: one line in its log, no flood of tracebacks, and the
connections it holds are still answered (advisor/http_loop.py)."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import time
from pathlib import Path

import pytest

from advisor.http_loop import raise_file_limit


def _get(client: socket.socket, path: str) -> bytes:
    client.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    client.settimeout(10)
    return client.recv(15)


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


@pytest.mark.parametrize(
    ("lang", "line"),
    [("en", "cannot accept new connections: all 48 file descriptors are in use"), ("zh", "48 个文件描述符已全部占用")],
)
def test_out_of_file_descriptors_is_one_line_and_the_service_goes_on(start_serve, lang, line):
    with start_serve("--lang", lang, open_files=48) as served, contextlib.ExitStack() as clients:
        opened = [clients.enter_context(socket.create_connection(("127.0.0.1", served.port))) for _ in range(80)]
        time.sleep(1.5)  # the service is out of descriptors: the later connections wait in the backlog
        assert _get(opened[0], "/healthz") == b"HTTP/1.1 200 OK"  # one it holds is answered
        before = _cpu_ticks(served.process.pid)
        time.sleep(2)
        assert _cpu_ticks(served.process.pid) - before < 50  # under a quarter of a core: no busy retrying
        for client in opened[1:40]:
            client.close()
        time.sleep(2)  # asyncio retries accepting once a second
        assert _get(opened[-1], "/healthz") == b"HTTP/1.1 200 OK"  # a waiting one is accepted once some close
    assert served.stderr.count(line) == 1, served.stderr
    assert "Traceback" not in served.stderr and len(served.stderr.splitlines()) < 10, served.stderr


def test_the_soft_limit_on_open_files_is_raised_towards_the_hard_one():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    pid = os.fork()
    if pid == 0:  # in a child, so this process's limit stays as it is
        code = 1
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
            raise_file_limit(wanted=256)
            code = 0 if resource.getrlimit(resource.RLIMIT_NOFILE) == (min(256, hard), hard) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (soft, hard)
