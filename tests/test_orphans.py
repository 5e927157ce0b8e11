"""Workers end with the process that started them, even when it is killed outright (SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")

ROOT = Path(__file__).resolve().parents[1]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and "spawn_main" in (entry / "cmdline").read_text():
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def kill_and_check(process: subprocess.Popen[bytes], workers: int) -> None:
    assert wait_for(lambda: len(children(process.pid)) == workers, 60), "the workers did not start"
    started = children(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    try:
        assert wait_for(lambda: not any(alive(pid) for pid in started), 20), "a worker outlived its parent"
    finally:
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_batch_workers_end_when_the_main_process_is_killed(tmp_path):
    source = tmp_path / "many.csv"
    rows = "\n".join(f"P{n},large,multi_program,{12 + n % 60}" for n in range(40_000))
    source.write_text("id,enterprise_size,scope,duration_months\n" + rows + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "advisor", "batch", str(source), "-o", str(tmp_path / "out.csv")]
    process = subprocess.Popen(
        [*command, "--what-if", "--workers", "2", "--no-progress"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kill_and_check(process, 2)
    assert not (tmp_path / "out.csv").exists()  # and, as documented, no advice under the final name


def test_serve_workers_end_when_the_supervisor_is_killed():
    command = [sys.executable, "-m", "advisor", "serve", "--port", "0", "--workers", "2", "--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kill_and_check(process, 2)
