"""`advisor serve`: the HTTP service and the web questionnaire, one shared Advisor under uvicorn.

NOTE: only click and the standard library are imported at module level: `advisor --help` loads
this module to list the command, and FastAPI/uvicorn would cost it a quarter of a second.
"""

from __future__ import annotations

import errno
import functools
import ipaddress
import signal
import socket
from typing import Any

import click

from .options import lang_option, load_pack, with_pack

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})
#: How long, in seconds, a stop (Ctrl+C or SIGTERM) waits for the requests in flight to finish.
GRACEFUL_SECONDS = 30


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int, reuse_port: bool = False, lang: str = "en") -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port); click errors say what to change,
    in `lang` (catalogue section `serve`). `reuse_port`: others may listen on the same address too
    (SO_REUSEPORT; `--workers`)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        from .catalogue import words

        say = words(lang, "serve")
        message = say["cannot_resolve"].format(host=repr(host), reason=resolve_reason(error, lang))
        raise click.BadParameter(message, param_hint="--host") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        from .catalogue import words
        from .problem_text import os_reason

        say = words(lang, "serve")
        hint = say["port_in_use"] if error.errno == errno.EADDRINUSE else ""
        message = say["cannot_listen"].format(host=host, port=port, reason=os_reason(error, lang), hint=hint)
        # NOTE: an address this machine does not have is the host's fault, not the port's
        culprit = "--host" if error.errno == errno.EADDRNOTAVAIL else "--port"
        raise click.BadParameter(message, param_hint=culprit) from None
    sock.set_inheritable(True)
    return sock


def resolve_reason(error: socket.gaierror, lang: str) -> str:
    """Why a host name could not be resolved, in `lang`: the catalogue's words for the resolver's
    common codes (`serve.resolve_reasons`, by EAI_ name), else the resolver's own words."""
    own = error.strerror or str(error)
    if lang == "en":
        return own
    from .catalogue import words

    names = {getattr(socket, name, None): name for name in words(lang, "serve").get("resolve_reasons", {})}
    name = names.get(error.errno)
    return str(words(lang, "serve")["resolve_reasons"][name]) if name else own


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _stop(number: int, frame: object) -> None:
    raise SystemExit(0)


@click.command("serve", short_help="Serve the web questionnaire and the HTTP API.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The default accepts connections from this machine only.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free port, printed at start).",
)
@with_pack
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from ORIGIN (e.g. https://portal.example.org) call the API; repeatable.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log one line per request.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes answering requests, each with its own copy of the pack (about 70 MB each); "
    "more than one uses more cores. A worker that dies is replaced.",
)
@lang_option("Language of the lines serve prints (the web page follows each browser's language).")
def command(
    host: str,
    port: int,
    rules_dir: str | None,
    knowledge_dir: str | None,
    cors_origins: tuple[str, ...],
    log_level: str,
    access_log: bool,
    workers: int,
    lang: str,
) -> None:
    """Serve the web questionnaire and the HTTP API; open the printed address in a browser.

    \b
    /           the questionnaire, in English or Chinese
    /docs       the API reference (works offline); /openapi.json the OpenAPI document
    /v1/advise  POST a profile (JSON), get the advice
    """
    import uvicorn

    from . import http_loop
    from .catalogue import words
    from .http_api import create_app, settle_heap
    from .http_guards import MAX_HEADER_BYTES
    from .http_protocol import HeadTimedH11Protocol

    say = words(lang, "serve")
    http_loop.raise_file_limit()
    http_loop.out_of_files_message = str(say["out_of_files"])
    # The pack is loaded before listening, so a broken --rules fails at once with its problems.
    pack = load_pack(rules_dir, knowledge_dir)
    if workers > 1 and not hasattr(socket, "SO_REUSEPORT"):
        raise click.BadParameter(say["no_reuse_port"], param_hint="--workers")
    if workers == 1:
        sockets = [listen(host, port, lang=lang)]
    else:
        from .serve_workers import reuse_port_sockets

        sockets = reuse_port_sockets(functools.partial(listen, lang=lang), host, port, workers)
    sock = sockets[0]
    url = _url(host, sock.getsockname()[1])
    click.echo(say["started"].format(version=pack.advisor.version, url=url))
    if not _is_loopback(host):
        click.echo(say["remote"].format(host=host), err=True)
    settings: dict[str, Any] = {
        "log_level": log_level,
        "access_log": access_log,
        "timeout_graceful_shutdown": GRACEFUL_SECONDS,
        # NOTE: h11, not httptools even when installed: h11 bounds the headers while it reads them,
        # httptools reads them unbounded (and measured no less CPU per request: docs/http.md).
        "http": HeadTimedH11Protocol,  # h11 with a time limit on a request's head (http_protocol.py)
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "loop": "advisor.http_loop:ServingLoop",  # out of file descriptors: a line, not a flood
    }
    if workers > 1:
        from .serve_workers import Supervisor

        def tell(key: str, code: int | None, **values: Any) -> None:
            if code is not None:
                values["how"] = (
                    say["killed_by"].format(signal=-code) if code < 0 else say["exit_code"].format(code=code)
                )
            click.echo(say[key].format(**values), err=True)

        named = {"rules": rules_dir, "knowledge": knowledge_dir, "cors_origins": list(cors_origins), "lang": lang}
        try:
            code = Supervisor(sockets, named, settings, tell).run()
        finally:
            for each in sockets:
                each.close()
        raise SystemExit(code)
    config = uvicorn.Config(create_app(pack, cors_origins=cors_origins), **settings)
    settle_heap()
    # NOTE: while it runs, uvicorn stops on SIGTERM as on Ctrl+C (no new connections, the requests
    # in flight finished, up to GRACEFUL_SECONDS) and then raises the signal again, which lands
    # here: a stop asked for and done cleanly exits 0, as it does before uvicorn has started.
    signal.signal(signal.SIGTERM, _stop)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after a graceful shutdown
        pass
    finally:
        sock.close()
