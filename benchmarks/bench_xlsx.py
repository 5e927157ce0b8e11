"""What reading an .xlsx input costs, before and after a change: the reader alone and `advisor batch`.

    python benchmarks/bench_xlsx.py --before /tmp/main-export        # 100,000 rows, 3 rounds
    python benchmarks/bench_xlsx.py --rows 20000 --rounds 1 --no-batch

Workbooks (generated once per size and seed, by make_proposals.py, then reused):
  plain      the proposals as openpyxl writes them: 16 columns, no formula
  formulas   the same with a 17th column (`year`, carried through) holding a formula and the value
             a spreadsheet program computed for it, in every row (`<f>2024</f><v>2024</v>`)

Runs, alternating in each round so that the machine's load falls on all alike, each in a
subprocess with PYTHONPATH set to the checkout (this one, and the one given with --before):
  read       `advisor.batch_io.read_rows` over every row of the workbook (what the reading costs)
  batch      `python -m advisor batch IN.xlsx -o OUT.csv --allow-rejects` (end to end)
and, in one process of this checkout, the sheet parsed alternately by openpyxl's
`iter_rows(values_only=True)` and by `advisor.sheet_values.sheet_rows` (the same parser, also
looking for formulas without a value): the cost of the search itself, least affected by the load.

The least CPU time of the rounds is compared (wall time follows the machine's load). NOTE: not a
test; nothing here is timed by CI. Give --before a plain copy of the other checkout (`git archive
main | tar -x -C DIR`): Python writes its bytecode caches into the checkout it runs.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_batch import _load  # noqa: E402

READ = """
import sys, time
from advisor.batch_io import Columns, read_rows
from advisor.profile import ATTRIBUTES
started = time.process_time()
columns = Columns(["id", "title", *ATTRIBUTES], ignore_unknown=False, carry=True)
rows = sum(1 for _ in read_rows(sys.argv[1], "xlsx", columns))
print(rows, time.process_time() - started)
"""

PARSE = """
import sys, time
from openpyxl import load_workbook
from advisor.sheet_values import sheet_rows
ways = {"openpyxl iter_rows": lambda sheet: sheet.iter_rows(values_only=True), "sheet_rows": sheet_rows}
times = {name: [] for name in ways}
for _ in range(int(sys.argv[2])):
    for name, rows in ways.items():
        book = load_workbook(sys.argv[1], read_only=True, data_only=True)
        started = time.process_time()
        for _ in rows(book.worksheets[0]):
            pass
        times[name].append(time.process_time() - started)
        book.close()
print(" ".join(f"{min(spent):.3f}" for spent in times.values()))
"""


def workbook(rows: int, seed: int, directory: Path) -> Path:
    """The generated proposals as .xlsx (made once per size and seed)."""
    path = directory / f"proposals-{rows}-seed{seed}.xlsx"
    if not path.exists():
        print(f"generating {rows:,} proposals -> {path} ...", file=sys.stderr, flush=True)
        partial = path.with_name(path.stem + ".part.xlsx")
        subprocess.run(
            [sys.executable, str(HERE / "make_proposals.py"), str(rows), "-o", str(partial), "--seed", str(seed)],
            check=True,
        )
        partial.replace(path)
    return path


_ROW_END = re.compile(rb'(<row r="(\d+)"[^>]*>.*?)(</row>)', re.DOTALL)


def with_cached_formulas(plain: Path) -> Path:
    """`plain` with a column `year` whose every cell is a formula with its computed value."""
    path = plain.with_name(plain.stem + "-formulas.xlsx")
    if path.exists():
        return path

    def add_cell(found: re.Match[bytes]) -> bytes:
        number = found.group(2)
        if number == b"1":
            cell = b'<c r="Q1" t="inlineStr"><is><t>year</t></is></c>'
        else:
            cell = b'<c r="Q' + number + b'"><f>2023+1</f><v>2024</v></c>'
        return found.group(1) + cell + found.group(3)

    partial = path.with_name(path.stem + ".part.xlsx")
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = _ROW_END.sub(add_cell, data)
                data = re.sub(rb'<dimension ref="A1:P(\d+)"', rb'<dimension ref="A1:Q\1"', data)
            target.writestr(info.filename, data)
    partial.replace(path)
    return path


def timed(command: list[str], checkout: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(command, capture_output=True, text=True, cwd=checkout, env=env)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 4):
        raise SystemExit(f"failed ({done.returncode}): cd {checkout} && {shlex.join(command)}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, done.stdout.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--before", type=Path, help="A copy of another checkout to time too (e.g. of main).")
    parser.add_argument("--no-batch", action="store_true", help="Time the reader only, not `advisor batch`.")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "advisor-bench")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    books = {"plain": workbook(args.rows, args.seed, args.dir)}
    books["formulas"] = with_cached_formulas(books["plain"])
    checkouts = {"after": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    runs: dict[str, tuple[list[str], Path]] = {}
    for book, path in books.items():
        for version, checkout in checkouts.items():
            runs[f"read {book} {version}"] = ([sys.executable, "-c", READ, str(path)], checkout)
            if not args.no_batch:
                out = args.dir / f"xlsx-bench-{book}-{version}.csv"
                command = [sys.executable, "-m", "advisor", "batch", str(path), "-o", str(out), "--allow-rejects"]
                runs[f"batch {book} {version}"] = (command, checkout)
    print(f"{args.rows:,} rows, {args.rounds} round(s); {_load()}")
    for name, (command, checkout) in runs.items():
        print(f"  {name:24} cd {checkout} && {shlex.join(command)}")
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for round_number in range(args.rounds):
        for name, (command, checkout) in runs.items():
            wall, cpu, said = timed(command, checkout)
            results[name].append((wall, cpu))
            shown = f"  ({said.split()[0]} rows)" if name.startswith("read") else ""
            print(f"round {round_number + 1} {name:24} {wall:7.2f} s wall {cpu:7.2f} s CPU{shown}", flush=True)
    print(f"\nleast CPU of {args.rounds} ({_load()}):")
    best = {name: min(values, key=lambda value: value[1]) for name, values in results.items()}
    for name, (wall, cpu) in best.items():
        print(f"  {name:24} {wall:7.2f} s wall {cpu:7.2f} s CPU")
    for book, path in books.items():
        _, _, said = timed([sys.executable, "-c", PARSE, str(path), str(args.rounds)], ROOT)
        stock, ours = (float(figure) for figure in said.split())
        print(
            f"  parse {book:18} openpyxl iter_rows {stock:6.2f} s CPU, sheet_rows {ours:6.2f} s CPU: "
            f"{ours / stock:.3f}x (least of {args.rounds}, alternating, one process)"
        )
    if args.before:
        for name in best:
            if name.endswith(" after") and name.replace(" after", " before") in best:
                ratio = best[name][1] / best[name.replace(" after", " before")][1]
                print(f"  {name.removesuffix(' after'):24} after/before: {ratio:.3f}x CPU")


if __name__ == "__main__":
    main()
