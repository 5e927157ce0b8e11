"""`advisor serve --workers N`: N processes, each accepting from a listening socket of its own.

The sockets are bound to the same address with SO_REUSEPORT, so the kernel spreads new
connections between the workers. NOTE: uvicorn's own supervisor (`uvicorn.run(workers=N)`) hands
every worker the same socket instead; the worker whose event loop wakes first then accepts every
connection waiting, and keep-alive connections stay with it: measured here with 32 clients, two
workers so served 1,055-1,062 requests/s in two runs of four, no more than one process; with a
socket each, 1,706-1,776 in three of three (docs/http.md). uvicorn does not offer a socket per
worker, hence this small supervisor: it starts the workers, replaces one that dies and stops
them all on Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

#: A worker that dies this soon after it started, this many times in a row, is not started again
#: (something in its start-up is broken, e.g. the pack changed on disk since the service started,
#: and restarting would spin).
QUICK_DEATH_SECONDS = 5.0
QUICK_DEATHS = 3
#: How long the supervisor waits for a worker to finish its requests in flight after SIGTERM.
STOP_GRACE_SECONDS = 40.0


def reuse_port_sockets(listen: Callable[..., socket.socket], host: str, port: int, count: int) -> list[socket.socket]:
    """`count` listening sockets on host:port (port 0: the one the first gets), each its own."""
    first = listen(host, port, reuse_port=True)
    port = first.getsockname()[1]
    sockets = [first]
    try:
        sockets += [listen(host, port, reuse_port=True) for _ in range(count - 1)]
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _worker(sock: socket.socket, pack: str, settings: dict[str, Any], parent: int) -> None:
    """One worker process: the service on its own socket, over the pack the parent checked; it
    ends when the supervisor does, however that ends (advisor/orphans.py)."""
    from .orphans import end_with_parent

    end_with_parent(parent)
    try:
        _serve(sock, pack, settings)
    except KeyboardInterrupt:  # uvicorn re-raises a Ctrl+C once it has stopped gracefully
        pass


def _serve(sock: socket.socket, pack: str, settings: dict[str, Any]) -> None:
    import uvicorn

    from . import http_loop
    from .catalogue import words
    from .errors import RulePackError
    from .http_api import create_app, settle_heap
    from .options import EXIT_PACK, load_pack
    from .problem_text import describe_pack_problem

    named = json.loads(pack)
    http_loop.out_of_files_message = str(words(named["lang"], "serve")["out_of_files"])
    try:
        app = create_app(load_pack(named["rules"], named["knowledge"]), cors_origins=tuple(named["cors_origins"]))
    except RulePackError as error:  # e.g. the pack was changed on disk since the service started
        lang = named["lang"]
        lines = [str(words(lang, "pack_problems")["unusable"])]
        lines += [f"  {describe_pack_problem(problem, lang)}" for problem in error.problems]
        print("\n".join(lines), file=sys.stderr, flush=True)
        raise SystemExit(EXIT_PACK) from None
    except Exception as error:  # a file half written, unreadable...: said in a line, never a traceback
        failed = str(words(named["lang"], "serve")["worker_failed"]).format(error=f"{type(error).__name__}: {error}")
        print(failed, file=sys.stderr, flush=True)
        raise SystemExit(EXIT_PACK) from None
    # NOTE: uvicorn stops on SIGTERM as on Ctrl+C: no new connections, the requests in flight
    # finished, then the process ends (re-raising Ctrl+C, which `_worker` takes).
    settle_heap()
    uvicorn.Server(uvicorn.Config(app, **settings)).run(sockets=[sock])


class Supervisor:
    """Starts a worker per socket, replaces one that dies, and stops them all when asked."""

    def __init__(self, sockets: list[socket.socket], pack: dict[str, Any], settings: dict[str, Any], say: Any):
        self._sockets = sockets
        self._pack = json.dumps(pack)
        self._settings = settings
        self._say = say
        # NOTE: spawn, not fork: the parent has loaded the pack (durable-rules' C state) and may
        # hold threads; a fresh interpreter per worker is the safe copy.
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[Any] = []
        self._started: list[float] = []
        self._quick: list[int] = []
        self._stop = False

    def _start(self, index: int) -> None:
        process = self._context.Process(
            target=_worker, args=(self._sockets[index], self._pack, self._settings, os.getpid()), daemon=False
        )
        # NOTE: the worker starts with Ctrl+C ignored (a disposition a new process keeps), so a
        # Ctrl+C while it is still importing or loading the pack cannot end it mid-way with a
        # traceback; uvicorn takes Ctrl+C over once it serves, and the supervisor stops a worker
        # with SIGTERM anyway.
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            process.start()
        finally:
            signal.signal(signal.SIGINT, interrupt)
        self._workers[index] = process
        self._started[index] = time.monotonic()

    def _ask_to_stop(self, number: int, frame: object) -> None:
        self._stop = True

    def run(self) -> int:
        """Serve until Ctrl+C or SIGTERM: 0 once every worker has stopped cleanly; 1 if every
        worker kept dying right after starting (a worker that does is not started again, the
        others go on serving)."""
        previous = {sig: signal.signal(sig, self._ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        count = len(self._sockets)
        self._workers, self._started, self._quick = [None] * count, [0.0] * count, [0] * count
        given_up: set[int] = set()
        try:
            for index in range(count):
                self._start(index)
            while not self._stop and len(given_up) < count:
                time.sleep(0.2)
                for index, process in enumerate(self._workers):
                    if self._stop or index in given_up or process.is_alive():
                        continue
                    quick = time.monotonic() - self._started[index] < QUICK_DEATH_SECONDS
                    self._quick[index] = self._quick[index] + 1 if quick else 0
                    if self._quick[index] >= QUICK_DEATHS:
                        self._say(
                            "worker_gave_up", process.exitcode, slot=index + 1, pid=process.pid, times=QUICK_DEATHS
                        )
                        given_up.add(index)
                        # NOTE: its socket is closed, so the kernel sends new connections to the others.
                        self._sockets[index].close()
                        continue
                    self._say("worker_died", process.exitcode, slot=index + 1, pid=process.pid)
                    self._start(index)
            if len(given_up) == count:
                self._say("no_workers", None)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 1 if len(given_up) == count else 0

    def _stop_all(self) -> None:
        for process in self._workers:
            if process is not None and process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self._workers:
            if process is None:
                continue
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():  # it did not finish in time
                process.kill()
                process.join()
