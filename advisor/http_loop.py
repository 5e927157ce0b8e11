"""The event loop `advisor serve` runs: asyncio's, told what to do when it runs out of file descriptors.

With every file descriptor in use (too many open connections for `ulimit -n`), accepting a
connection fails. CPython 3.11 and 3.12 then log the failure with a traceback and, without
stopping, try `accept()` again up to the listening backlog's count (2,048) in the same turn of
the loop, scheduling a retry for each: a service at its limit wrote thousands of tracebacks a
second to its log. Here the loop stops trying after the first failure of a turn (one retry a
second, as asyncio intends) and says so in one line, at most once a minute.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import socket
import time
from typing import Any

#: The errors asyncio treats as "out of a system resource" when accepting (it pauses, then retries).
_OUT_OF_RESOURCE = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: Seconds between two lines about accept failures.
REPORT_SECONDS = 60.0
#: What the line says; `advisor serve` sets it in its --lang ({limit}: the file descriptor limit).
out_of_files_message = (
    "cannot accept new connections: all {limit} file descriptors are in use; they wait until some close "
    "(raise the limit with `ulimit -n`)"
)

_logger = logging.getLogger("uvicorn.error")


class _StopAfterOneFailure:
    """A listening socket whose accept() reports "nothing waiting" after a resource failure, so
    asyncio's accept loop ends there (it retries once a second)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.failed = False

    def accept(self) -> tuple[socket.socket, Any]:
        if self.failed:
            raise BlockingIOError(errno.EAGAIN, "not retried until asyncio's pause is over")
        try:
            return self.sock.accept()
        except OSError as error:
            if error.errno in _OUT_OF_RESOURCE:
                self.failed = True
            raise

    def __getattr__(self, name: str) -> Any:  # fileno, getsockname, ...: the socket's own
        return getattr(self.sock, name)


class ServingLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop, with accept failures told once a minute in a line, no traceback.
    uvicorn's `loop` setting names it ("advisor.http_loop:ServingLoop": uvicorn 0.36 and later
    take a custom loop as the class, or any callable, that makes one)."""

    def __init__(self) -> None:
        super().__init__()
        self._last_report = -REPORT_SECONDS
        self.set_exception_handler(self._handle)

    def _accept_connection(self, protocol_factory: Any, sock: Any, *args: Any, **kwargs: Any) -> None:
        # NOTE: asyncio's private method (the same signature in 3.11 and 3.12); the socket handed on
        # is unwrapped first, since a retry comes back here with what it was given.
        plain = sock.sock if isinstance(sock, _StopAfterOneFailure) else sock
        super()._accept_connection(protocol_factory, _StopAfterOneFailure(plain), *args, **kwargs)  # type: ignore[misc]

    def _handle(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in _OUT_OF_RESOURCE and "accept" in context.get("message", ""):
            now = time.monotonic()
            if now - self._last_report >= REPORT_SECONDS:
                self._last_report = now
                _logger.warning(out_of_files_message.format(limit=resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
            return
        loop.default_exception_handler(context)


def raise_file_limit(wanted: int = 65536) -> None:
    """Lift the soft limit on open files towards the hard one (to `wanted` at most), as servers do:
    the soft limit is often 1,024, a few hundred keep-alive clients."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):  # not allowed here: the limit stays as it was
            pass
