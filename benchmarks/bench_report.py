"""What the portfolio report and the styled workbook cost: `advisor batch` with and without them.

    python benchmarks/bench_report.py                         # 100,000 rows, 2 rounds
    python benchmarks/bench_report.py --rows 1000000 --rounds 1 --no-xlsx
    python benchmarks/bench_report.py --before /work/main     # the .xlsx output of another checkout too

Runs, alternating in each round so that the machine's load falls on all alike:
  csv         advisor batch IN -o OUT.csv
  csv+report  the same with --report OUT.html --group-by sector --summary-file OUT.md
  xlsx        advisor batch IN -o OUT.xlsx (the styled workbook with its Summary sheet)
  csv-before, xlsx-before: the same outputs by the checkout given with --before (e.g. main)

The issue's target: the report adds at most 10% to a batch run, and memory stays flat in the
number of rows. Each run is the real command in a subprocess; peak memory is sampled as in
bench_batch.py. NOTE: not a test; nothing here is timed by CI.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_batch import PeakMemory, _load, proposals_file  # noqa: E402


def timed(command: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak MB of the process tree) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)
    sampler = PeakMemory(process.pid)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode not in (0, 4):
        raise SystemExit(f"the batch run failed ({process.returncode}): {shlex.join(command)}\n{stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, sampler.peak_mb()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--no-xlsx", action="store_true", help="Leave out the .xlsx runs (an Excel sheet holds 1,048,575 rows)."
    )
    parser.add_argument(
        "--before", type=Path, help="Another checkout whose .xlsx output to time too (e.g. /work/main)."
    )
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "advisor-bench")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    source = proposals_file(args.rows, args.seed, args.dir)
    out = args.dir / "report-bench"
    base = [sys.executable, "-m", "advisor", "batch", str(source), "--allow-rejects"]
    runs: dict[str, tuple[list[str], Path]] = {
        "csv": ([*base, "-o", f"{out}.csv"], ROOT),
        "csv+report": (
            [
                *base,
                "-o",
                f"{out}-r.csv",
                "--report",
                f"{out}.html",
                "--group-by",
                "sector",
                "--summary-file",
                f"{out}.md",
            ],
            ROOT,
        ),
    }
    if args.before is not None:
        runs["csv-before"] = ([*base, "-o", f"{out}-before.csv"], args.before.resolve())
    if not args.no_xlsx:
        runs["xlsx"] = ([*base, "-o", f"{out}.xlsx"], ROOT)
        if args.before is not None:
            runs["xlsx-before"] = ([*base, "-o", f"{out}-before.xlsx"], args.before.resolve())
    print(f"{args.rows:,} rows, {args.rounds} round(s); {_load()}")
    for name, (command, cwd) in runs.items():
        print(f"  {name:12} cd {cwd} && {shlex.join(command)}")
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
    for round_number in range(args.rounds):
        for name, (command, cwd) in runs.items():
            results[name].append(timed(command, cwd))
            wall, cpu, peak = results[name][-1]
            print(f"round {round_number + 1} {name:12} {wall:7.1f} s wall {cpu:7.1f} s CPU {peak:6.0f} MB", flush=True)
    print(f"\nbest of {args.rounds} ({_load()}):")
    best = {name: min(values, key=lambda value: value[1]) for name, values in results.items()}  # least CPU
    for name, (wall, cpu, _peak) in best.items():
        print(f"  {name:12} {wall:7.1f} s wall {cpu:7.1f} s CPU {max(p for _, _, p in results[name]):6.0f} MB peak")
    report_cost = best["csv+report"][1] / best["csv"][1] - 1
    print(f"the report adds {100 * report_cost:+.1f}% CPU to the CSV run (target: at most +10%)")
    if "csv-before" in best:
        print(
            f"the CSV run: {best['csv'][1] / best['csv-before'][1]:.2f}x the CPU of the one before (the tally counts more)"
        )
    if "xlsx-before" in best:
        print(f"the styled workbook: {best['xlsx'][1] / best['xlsx-before'][1]:.2f}x the CPU of the unstyled one")


if __name__ == "__main__":
    main()
