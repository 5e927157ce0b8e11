"""Benchmark `advisor batch` end to end on a generated proposal file; prints rows/s, peak RSS and the floor ratio.

    python benchmarks/bench_batch.py                     # 1,000,000 CSV rows, one process
    python benchmarks/bench_batch.py --workers 1,2       # compare --workers 1 and --workers 2
    python benchmarks/bench_batch.py --rows 100000 --jsonl-rows 20000

Targets (issue 9, "One core, thin surfaces"): 1,000,000 CSV rows scored end to end in at most 10
times the floor (the time to merely read and re-write the same CSV with the same libraries: csv
module, same encodings, measured here too, in the same run) with peak memory under 150 MB; the
older target of 60 s per million rows is still printed.

The run is the real command, `python -m advisor batch IN -o OUT`, in a subprocess: start-up,
reading, validating, durable-rules, scoring and writing included. Peak memory is the largest sum
of the resident sets of that process and its workers (sampled from /proc every 0.1 s; each
process's own high-water mark VmHWM is used, so this is an upper bound).
NOTE: not a test; nothing here is timed by CI. The machine's load average is printed beside the
figures because other work on a 2-core VM changes them a lot.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_SECONDS = 60.0
TARGET_MB = 150.0
TARGET_RATIO = 10.0


def proposals_file(rows: int, seed: int, directory: Path) -> Path:
    """The generated proposal CSV (made once per size and seed, then reused)."""
    path = directory / f"proposals-{rows}-seed{seed}.csv"
    if not path.exists():
        print(f"generating {rows:,} proposals -> {path} ...", file=sys.stderr, flush=True)
        partial = path.with_suffix(".part")
        subprocess.run(
            [sys.executable, str(HERE / "make_proposals.py"), str(rows), "-o", str(partial), "--seed", str(seed)],
            check=True,
        )
        partial.replace(path)
    return path


def floor_seconds(source: Path, target: Path) -> tuple[float, float]:
    """(wall, CPU seconds) to read and re-write every row of the CSV, with the csv module and batch's encodings."""
    started, cpu = time.perf_counter(), time.process_time()
    with (
        open(source, encoding="utf-8-sig", newline="") as infile,
        open(target, "w", encoding="utf-8-sig", newline="", buffering=1 << 20) as outfile,
    ):
        writer = csv.writer(outfile, lineterminator="\n")
        for row in csv.reader(infile):
            writer.writerow(row)
    return time.perf_counter() - started, time.process_time() - cpu


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue += children.get(pid, [])
    return found


def _high_water_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory(threading.Thread):
    """Samples the process tree under `pid`: the largest sum of the processes' high-water marks."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.marks: dict[int, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in _descendants(self.pid):
                mark = _high_water_kb(pid)
                if mark:
                    self.marks[pid] = max(mark, self.marks.get(pid, 0))
            self.stop.wait(0.1)

    def peak_mb(self) -> float:
        return sum(self.marks.values()) / 1024


def run_batch(command: list[str]) -> tuple[float, float, float, float, str]:
    """(wall seconds, CPU seconds, peak MB of the process tree, largest single process MB, the summary line)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    sampler = PeakMemory(process.pid)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    largest = max(sampler.marks.values(), default=0) / 1024
    if after.ru_maxrss > before.ru_maxrss:  # the high-water mark of all children so far: only if this run raised it
        largest = max(largest, after.ru_maxrss / 1024)
    if process.returncode not in (0, 4):
        raise SystemExit(f"the batch run failed ({process.returncode}):\n{stderr}")
    line = next((text for text in stderr.splitlines() if text.startswith("batch:")), stderr.strip())
    return elapsed, cpu, max(sampler.peak_mb(), largest), largest, line


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Proposals in the CSV (default 1,000,000).")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--workers", default="1", help="Comma-separated --workers values to run, e.g. 1,2 (default 1).")
    parser.add_argument(
        "--jsonl-rows", type=int, default=20_000, help="Rows for the JSON Lines (full advice) run; 0 to skip."
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "coop-advisor-bench",
        help="Where the generated and output files go.",
    )
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    source = proposals_file(args.rows, args.seed, args.dir)
    print(f"# advisor batch benchmark: {args.rows:,} rows, {source.stat().st_size / 1e6:,.0f} MB CSV, 16 columns")
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}; {_load()}")
    print(f"benchmark command: {shlex.join([sys.executable, *sys.argv])}")

    floor, floor_cpu = floor_seconds(source, args.dir / "floor-out.csv")
    print(
        f"\nfloor (csv.reader -> csv.writer, same file and encodings): {floor:.2f} s ({floor_cpu:.2f} s of CPU), "
        f"{args.rows / floor:,.0f} rows/s"
    )

    results = []
    for workers in [int(value) for value in args.workers.split(",")]:
        target = args.dir / f"advice-w{workers}.csv"
        command = [sys.executable, "-m", "advisor", "batch", str(source), "-o", str(target), "--no-progress"]
        if workers > 1:
            command += ["--workers", str(workers)]
        elapsed, cpu, peak, largest, line = run_batch(command)
        ratio = elapsed / floor
        results.append((workers, elapsed, peak, ratio))
        print(f"\nrun: {shlex.join(command)}")
        print(f"  {line}")
        print(
            f"  end to end {elapsed:.1f} s = {args.rows / elapsed:,.0f} rows/s ({cpu:.1f} s of CPU); "
            f"peak RSS {peak:.0f} MB (largest single process {largest:.0f} MB); "
            f"{ratio:.1f} x the floor ({cpu / floor_cpu:.1f} x in CPU time); {_load()}"
        )
        verdicts = [
            (
                "time",
                elapsed <= TARGET_SECONDS * args.rows / 1_000_000,
                f"{elapsed:.1f} s; target <= {TARGET_SECONDS * args.rows / 1_000_000:.0f} s",
            ),
            ("memory", peak < TARGET_MB, f"{peak:.0f} MB; target < {TARGET_MB:.0f} MB"),
            ("ratio", ratio <= TARGET_RATIO, f"{ratio:.1f} x; target <= {TARGET_RATIO:.0f} x"),
        ]
        print(
            "  targets: " + "; ".join(f"{name} {'MET' if ok else 'MISSED'} ({detail})" for name, ok, detail in verdicts)
        )

    if args.jsonl_rows:
        sample = args.dir / f"proposals-{args.jsonl_rows}-head.csv"
        with open(source, encoding="utf-8") as infile, open(sample, "w", encoding="utf-8") as outfile:
            for _, line in zip(range(args.jsonl_rows + 1), infile, strict=False):
                outfile.write(line)
        command = [
            sys.executable,
            "-m",
            "advisor",
            "batch",
            str(sample),
            "-o",
            str(args.dir / "advice.jsonl"),
            "--no-progress",
        ]
        elapsed, cpu, peak, largest, line = run_batch(command)
        size = (args.dir / "advice.jsonl").stat().st_size
        print(f"\nfull advice (JSON Lines): {shlex.join(command)}")
        print(f"  {line}")
        print(
            f"  {elapsed:.1f} s = {args.jsonl_rows / elapsed:,.0f} rows/s ({cpu:.1f} s of CPU); "
            f"peak RSS {peak:.0f} MB; "
            f"{size / args.jsonl_rows / 1024:.1f} KiB of JSON per row; {_load()}"
        )

    for written in [*args.dir.glob("advice*"), args.dir / "floor-out.csv"]:
        written.unlink(missing_ok=True)  # the generated proposals stay, for the next run
    if len(results) > 1:
        base = results[0][1]
        print("\nworkers: " + "; ".join(f"--workers {w}: {e:.1f} s ({base / e:.2f}x)" for w, e, _, _ in results))


if __name__ == "__main__":
    main()
