"""uvicorn's h11 protocol with a time limit on a request's head (the request line and headers).

uvicorn closes an idle keep-alive connection after 5 seconds, but any byte cancels that timer, and
a new connection has none: a client sending a header byte a second (or nothing) held its
connection for ever, and some 20,000 of them took the service's file descriptors (a "slowloris").
Here every connection has HEAD_SECONDS to send a whole request head, counted from the connection
(or from the end of the previous answer on a keep-alive connection); past that it is closed. The
body has its own limit (http_guards.BODY_SECONDS).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a client has to send a request's line and headers.
HEAD_SECONDS = 30.0


class HeadTimedH11Protocol(H11Protocol):
    """H11Protocol closing a connection whose request head is not complete within HEAD_SECONDS."""

    head_seconds = HEAD_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # a whole request head has been read
            self._disarm_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_timer()  # the next request on this keep-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.transport.close()
