"""Worker processes that end with the process that started them.

A `batch --workers` or `serve --workers` worker whose parent is killed outright (SIGKILL, an
out-of-memory kill) would otherwise live on: a batch worker blocked for ever writing to a pipe
nobody reads, a service worker still answering on the port, which a restarted service would then
share with it (SO_REUSEPORT). On Linux the kernel sends the worker SIGTERM when its parent dies
(prctl PR_SET_PDEATHSIG); elsewhere nothing changes.
"""

from __future__ import annotations

import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def end_with_parent(parent: int) -> None:
    """Ask for SIGTERM when the process `parent` (this one's parent when it was started) ends;
    end now if it has already ended."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the worker simply lives as before
        return
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)
