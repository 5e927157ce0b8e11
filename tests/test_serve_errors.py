"""`advisor serve --host/--port` refused in the command's language: a port another program listens
on (a real one, in a process of its own) and a host name that does not resolve.

NOTE: resolving a name asks the system's resolver, which may ask a name server over the network; the
unresolvable host is therefore tested in-process with the resolver standing in (socket.getaddrinfo
raising the gaierror the system gives for an unknown name), never over the network."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner
from test_languages import english_sentences

from advisor.cli import cli
from advisor.serve_workers import Supervisor
from advisor.service import resolve_reason


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port a socket of this process listens on, for as long as the test runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def _never_serve(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("serve started serving on a port that is in use")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_said_in_chinese(taken_port, workers, monkeypatch):
    # in a process of its own: should the refusal regress, the service would run on
    zh = subprocess.run(
        [sys.executable, "-m", "advisor", "serve", "--port", str(taken_port), "--workers", workers, "--lang", "zh"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in zh.stderr and "internal error" not in zh.stderr, zh.stderr
    assert zh.returncode == 2 and zh.stdout == ""  # refused before it listened: no "serving at" line
    assert zh.stderr.endswith(
        f"错误：--port 的值无效：无法在 127.0.0.1:{taken_port} 上监听：地址已被占用，已有程序在这个端口上监听；"
        "请换一个 --port（0 表示自动选一个空闲端口）\n"
    ), zh.stderr
    assert english_sentences(zh.stderr.replace("[OPTIONS]", "")) == [], zh.stderr
    # English in this process, where serving could never start: it would fail the test instead
    monkeypatch.setattr(uvicorn.Server, "run", _never_serve)
    monkeypatch.setattr(Supervisor, "run", _never_serve)
    en = CliRunner().invoke(
        cli, ["serve", "--port", str(taken_port), "--workers", workers, "--lang", "en"], prog_name="advisor"
    )
    assert en.exit_code == 2 and en.stdout == "", en.output
    assert en.stderr.endswith(
        f"Error: Invalid value for --port: cannot listen on 127.0.0.1:{taken_port}: Address already in use; "
        "choose another --port (0 picks a free one)\n"
    ), en.stderr


def _no_such_name(*args: Any, **kwargs: Any) -> Any:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_a_host_that_does_not_resolve_is_said_in_chinese(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _no_such_name)

    def serve(lang: str) -> Any:
        return CliRunner().invoke(cli, ["serve", "--host", "no-such-host.invalid", "--lang", lang], prog_name="advisor")

    zh = serve("zh")
    assert zh.exit_code == 2 and "Traceback" not in zh.output
    assert zh.stderr.endswith(
        "错误：--host 的值无效：无法解析主机名 'no-such-host.invalid'：找不到这个主机名；"
        "请检查 --host 的拼写，或直接写 IP 地址（如 127.0.0.1）\n"
    ), zh.stderr
    assert english_sentences(zh.stderr.replace("[OPTIONS]", "").replace("no-such-host.invalid", "")) == []
    en = serve("en")
    assert en.exit_code == 2 and en.stderr.endswith(
        "Error: Invalid value for --host: cannot resolve 'no-such-host.invalid': Name or service not known\n"
    ), en.stderr


def test_the_resolvers_reasons_in_chinese_and_an_unknown_one_kept():
    offline = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert resolve_reason(offline, "zh") == "暂时无法解析主机名（域名服务器没有响应，或本机没有联网）"
    assert resolve_reason(offline, "en") == "Temporary failure in name resolution"
    odd = socket.gaierror(socket.EAI_MEMORY, "Memory allocation failure")
    assert resolve_reason(odd, "zh") == "Memory allocation failure"  # never dropped


def test_an_address_this_machine_does_not_have_is_the_hosts_fault():
    # 192.0.2.1 is for documentation only (RFC 5737): no machine has it, and binding it sends nothing
    for lang, expected in (
        ("en", "Invalid value for --host: cannot listen on 192.0.2.1:0: Cannot assign requested address"),
        ("zh", "--host 的值无效：无法在 192.0.2.1:0 上监听：本机没有这个地址"),
    ):
        result = CliRunner().invoke(cli, ["serve", "--host", "192.0.2.1", "--port", "0", "--lang", lang])
        assert result.exit_code == 2 and expected in result.stderr, result.stderr
