"""Fuzzing every surface with schema-derived, mutated and hostile profiles, checking the invariants.

Run:  .venv/bin/python benchmarks/fuzz.py [--profiles 2000] [--seed 1] [--surfaces library,cli,batch,ask,http]
          [--every 1] [--batch-size 50] [--progress 0]

`--every K` sends only every K-th profile through the per-invocation surfaces (cli, ask, http),
which cost ten times the library's time, and advises only every K-th twice with the what-if (every
profile is still advised twice without it: the library and its batch row must agree), so a run of
a million profiles fits in hours; the counts printed say how many profiles each check saw. `--progress N` prints the counts every N profiles
(a long run that is stopped still shows what it checked).

Each profile goes through `advise()` (twice: determinism), `advisor advise FILE`, `advisor batch`
(as JSON Lines, one file per round of profiles), `advisor ask --answers FILE` (no further answers)
and `POST /v1/advise` on the HTTP app, all in-process (click's CliRunner, FastAPI's TestClient).
The invariants (issue 12):
  - never exit 70 ("internal error") and never HTTP 500;
  - never a traceback in any output;
  - deterministic: the same profile gives the same advice twice;
  - a batch row's advice equals `advise()` of the same profile (without the what-if), and a row
    `advise()` accepts is not rejected by batch.
Every violation is counted by class ("surface: what") and a few examples are printed. `run()` is
also called by tests/test_fuzz.py with a small derandomised budget.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import shlex
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advisor.profile import ATTRIBUTES  # noqa: E402

SURFACES = ("library", "cli", "batch", "ask", "http")
EXIT_INTERNAL = 70


# -- profiles ----------------------------------------------------------------------------------


def _valid_value(name: str, rng: random.Random) -> Any:
    spec = ATTRIBUTES[name]
    if spec.kind == "boolean":
        return rng.random() < 0.5
    if spec.kind == "choice":
        return rng.choice(spec.choices)
    if spec.kind == "list":
        return [choice for choice in spec.choices if rng.random() < 0.4]
    low = spec.minimum if spec.minimum is not None else 0
    high = spec.maximum if spec.maximum is not None else 10**9
    if spec.kind == "integer":
        return rng.randint(int(low), int(high))
    return rng.choice([float(rng.randint(0, 10**8)), round(rng.uniform(low, min(high, 1e12)), 2), 0.0])


def schema_profile(rng: random.Random) -> dict[str, Any]:
    """A valid profile: each attribute answered with probability 0.6, values from the schema."""
    profile = {name: _valid_value(name, rng) for name in ATTRIBUTES if rng.random() < 0.6}
    if rng.random() < 0.3:
        profile["id"] = f"p{rng.randint(0, 10**6)}"
    if rng.random() < 0.3:
        profile["title"] = rng.choice(["Joint lab", "风电合作", "A & B <pilot>", "=cmd|' /C calc'!A0"])
    return profile


HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "\x01\x02",
    "\ud800",
    "a\udfffb",
    "=1+1",
    "\u202eevil",
    "x" * 5000,
    "null",
    "NaN",
    "1e3",
    "36",
    "yes",
    "是",
    "{}",
    "enterprise;government",
]


class Huge(int):
    """A huge integer (10**digits) that knows its own decimal text: Python refuses to convert ints
    of more than 4,300 digits to text, but a user's JSON file can hold one."""

    digits: int

    def __new__(cls, digits: int, sign: int = 1) -> Huge:
        number = super().__new__(cls, sign * 10**digits)
        number.digits = digits
        return number

    def text(self) -> str:
        return ("-" if self < 0 else "") + "1" + "0" * self.digits


HOSTILE_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    601,
    10**13,
    Huge(5000),
    Huge(5000, -1),
    0.5,
    1e-300,
    1e308,
    math.inf,
    -math.inf,
    math.nan,
    [],
    [None],
    [[[]]],
    {},
    {"a": 1},
    *HOSTILE_TEXT,
]


def _deep(levels: int, leaf: Any = 1) -> Any:
    value = leaf
    for level in range(levels):
        value = [value] if level % 2 else {"x": value}
    return value


def mutated_profile(rng: random.Random) -> dict[str, Any]:
    """A valid profile with one to three attributes given a wrong, odd or hostile value."""
    profile = schema_profile(rng)
    for _ in range(rng.randint(1, 3)):
        name = rng.choice([*ATTRIBUTES, "id", "title", "duraton_months", "\ud800", "", "x" * 300])
        profile[name] = rng.choice(HOSTILE_VALUES)
    return profile


def hostile_profile(rng: random.Random) -> Any:
    """Not a profile at all, or one built to hurt: deep nesting, huge numbers, many keys."""
    choice = rng.randrange(8)
    if choice == 0:
        return _deep(rng.choice([50, 500, 5000]))
    if choice == 1:
        return {"duration_months": Huge(rng.choice([20, 400, 5000]))}
    if choice == 2:
        return {f"k{index}": index for index in range(rng.choice([100, 5000]))}
    if choice == 3:
        return rng.choice([[], "profile", 42, None, True, [{"duration_months": 36}]])
    if choice == 4:
        return {"funding_sources": [rng.choice(HOSTILE_TEXT) for _ in range(rng.choice([1, 50]))]}
    if choice == 5:
        return {"title": rng.choice(HOSTILE_TEXT), "id": rng.choice(HOSTILE_TEXT)}
    if choice == 6:
        return {"duration_months": _deep(rng.choice([10, 1000]))}
    return {name: rng.choice(HOSTILE_VALUES) for name in rng.sample(list(ATTRIBUTES), 5)}


KINDS = ("schema", "mutated", "hostile")


def profiles(count: int, seed: int, kinds: tuple[str, ...] = KINDS) -> Iterator[tuple[str, Any]]:
    """(kind, profile): half schema-derived, a third mutated, the rest hostile (of those asked for)."""
    rng = random.Random(seed)
    makers = {"schema": schema_profile, "mutated": mutated_profile, "hostile": hostile_profile}
    weights = [{"schema": 0.5, "mutated": 0.33, "hostile": 0.17}[kind] for kind in kinds]
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        yield kind, makers[kind](rng)


def _textable(value: Any, huge: list[Huge]) -> Any:
    if isinstance(value, Huge):
        huge.append(value)
        return f"__huge_{len(huge) - 1}__"
    if isinstance(value, dict):
        return {key: _textable(item, huge) for key, item in value.items()}
    if isinstance(value, list):
        return [_textable(item, huge) for item in value]
    return value


def to_json(profile: Any) -> str:
    """The profile as JSON text as a user would write it (surrogates, NaN and huge numbers included)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    huge: list[Huge] = []
    text = json.dumps(_textable(profile, huge), ensure_ascii=True, allow_nan=True)
    for index, number in enumerate(huge):
        text = text.replace(f'"__huge_{index}__"', number.text(), 1)
    return text


# -- checking ----------------------------------------------------------------------------------


@dataclass
class Report:
    counts: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def violation(self, kind: str, profile: Any, detail: str = "") -> None:
        self.violations[kind] += 1
        if kind not in self.examples:
            shown = to_json(profile) if not isinstance(profile, str) else profile
            self.examples[kind] = (shown[:160] + ("..." if len(shown) > 160 else "")) + (
                f"  -> {detail[:200]}" if detail else ""
            )


class _Collect(logging.Handler):
    def __init__(self, records: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(f"{record.name}: {record.getMessage()[:120]}")


def _has_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" in text


def _advice_json(advice: Any) -> Any:
    return advice.model_dump(mode="json")


class Fuzzer:
    def __init__(self, surfaces: tuple[str, ...] = SURFACES) -> None:
        from advisor.core import default_advisor

        self.surfaces = surfaces
        self.advisor = default_advisor()
        self.tmp = Path(tempfile.mkdtemp(prefix="advisor-fuzz-"))
        self.report = Report()
        self._client: Any = None
        # NOTE: the service logs the exceptions behind an HTTP 500 with their traceback; the
        # fuzzer collects those records (a finding of their own) instead of printing them.
        self._logged: list[str] = []
        logging.getLogger().addHandler(_Collect(self._logged))

    # Each check returns the library's advice JSON (None when the library rejects the profile).

    def library(self, profile: Any, twice: bool = True) -> Any:
        from advisor.errors import AdvisorError

        self.report.counts["library"] += 1
        self.report.counts["library twice"] += twice
        results = []
        for _ in range(2 if twice else 1):
            try:
                results.append(_advice_json(self.advisor.advise(profile)))
            except AdvisorError as error:
                results.append(("rejected", str(error)))
            except BaseException as error:  # noqa: BLE001 - every other exception is the finding
                self.report.violation(f"library: {type(error).__name__}", profile, str(error))
                return None
        if twice and results[0] != results[1]:
            self.report.violation("library: not deterministic", profile)
        return results[0] if isinstance(results[0], dict) else None

    def cli(self, profile: Any, runner: Any) -> None:
        from advisor.cli import cli

        self.report.counts["cli"] += 1
        path = self.tmp / "profile.json"
        path.write_text(to_json(profile), encoding="utf-8")
        result = runner.invoke(cli, ["advise", "--format", "json", str(path)])
        self._check_exit("cli", profile, result)

    def ask(self, profile: Any, runner: Any) -> None:
        from advisor.cli import cli

        self.report.counts["ask"] += 1
        path = self.tmp / "answers.json"
        path.write_text(to_json(profile), encoding="utf-8")
        result = runner.invoke(cli, ["ask", "--answers", str(path)], input="")
        self._check_exit("ask", profile, result)

    def _check_exit(self, surface: str, profile: Any, result: Any) -> None:
        output = (result.stdout or "") + (result.stderr or "")
        if result.exit_code == EXIT_INTERNAL:
            last = output.strip().splitlines()[-1] if output.strip() else ""
            cause = last.removeprefix("internal error: ").split(":", 1)[0] if "internal error: " in last else "?"
            self.report.violation(f"{surface}: exit 70 ({cause})", profile, last)
        elif result.exception is not None and not isinstance(result.exception, SystemExit):
            self.report.violation(f"{surface}: {type(result.exception).__name__}", profile, str(result.exception))
        if _has_traceback(output):
            self.report.violation(f"{surface}: traceback printed", profile)

    def http(self, profile: Any, expected: Any) -> None:
        if self._client is None:
            with warnings.catch_warnings():
                # NOTE: this starlette warns that its TestClient will move to httpx2; not our concern.
                warnings.simplefilter("ignore")
                from fastapi.testclient import TestClient

            from advisor.http_api import create_app

            self._client = TestClient(create_app(self.advisor), raise_server_exceptions=False)
        self.report.counts["http"] += 1
        self._logged.clear()
        response = self._client.post(
            "/v1/advise?what_if=true", content=to_json(profile).encode(), headers={"content-type": "application/json"}
        )
        if self._logged:
            self.report.violation("http: traceback logged", profile, self._logged[0])
        if response.status_code >= 500:
            cause = (
                response.text.split("internal error (", 1)[-1].split(")", 1)[0]
                if "internal error (" in response.text
                else "?"
            )
            self.report.violation(f"http: {response.status_code} ({cause})", profile, response.text[:200])
            return
        if _has_traceback(response.text):
            self.report.violation("http: traceback in body", profile)
        if expected is not None and response.status_code == 200 and response.json() != expected:
            self.report.violation("http: differs from advise()", profile)
        if expected is not None and response.status_code != 200:
            self.report.violation(f"http: {response.status_code} on a profile advise() accepts", profile)

    def batch(self, rows: list[Any], expected: list[Any], runner: Any) -> None:
        """One JSON Lines file of rows through `advisor batch`; each scored row must equal advise()."""
        from advisor.cli import cli

        self.report.counts["batch rows"] += len(rows)
        source, output = self.tmp / "rows.jsonl", self.tmp / "rows.advice.jsonl"
        source.write_text("".join(to_json(row) + "\n" for row in rows), encoding="utf-8")
        output.unlink(missing_ok=True)
        result = runner.invoke(cli, ["batch", str(source), "-o", str(output), "--format", "jsonl"])
        self._check_exit("batch", rows[:3], result)
        if not output.exists():
            return
        scored = {}
        for line in output.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            scored[record["row"]] = record.get("advice")
        for number, (row, advice) in enumerate(zip(rows, expected, strict=True), start=1):
            if advice is None:
                continue  # the library rejects it; batch may read text more leniently
            got = scored.get(number)
            if got is None:
                # NOTE: batch refuses a row that gives nothing but blank text (docs/batch.md: "the
                # row is empty"), where the library advises on an empty profile.
                if not _only_blank_text(row):
                    self.report.violation("batch: rejects a row advise() accepts", row)
                continue
            without_what_if = {**advice, "next_questions": []}
            # NOTE: batch names a row without an id by its number and strips blank text; the id and
            # title are not advice, so they are left out of the comparison.
            if _without_labels(got) != _without_labels(without_what_if):
                self.report.violation("batch: row differs from advise()", row)

    def run(
        self,
        count: int,
        seed: int,
        kinds: tuple[str, ...] = KINDS,
        batch_size: int = 50,
        every: int = 1,
        progress: int = 0,
    ) -> Report:
        from click.testing import CliRunner

        runner = CliRunner()
        pending_rows: list[Any] = []
        pending_expected: list[Any] = []
        started = time.perf_counter()
        for number, (kind, profile) in enumerate(profiles(count, seed, kinds), start=1):
            self.report.counts[kind] += 1
            sampled = number % every == 0
            checked = "library" in self.surfaces or "batch" in self.surfaces
            expected = self.library(profile, twice=sampled) if checked else None
            if "cli" in self.surfaces and sampled:
                self.cli(profile, runner)
            if "ask" in self.surfaces and sampled:
                self.ask(profile, runner)
            if "http" in self.surfaces and sampled:
                self.http(profile, expected)
            if progress and number % progress == 0:
                print(
                    f"  [{time.perf_counter() - started:,.0f} s] {number:,} profiles, "
                    f"{sum(self.report.violations.values()):,} violations, "
                    + ", ".join(f"{name} {value:,}" for name, value in sorted(self.report.counts.items())),
                    flush=True,
                )
            if "batch" in self.surfaces and isinstance(profile, dict):
                pending_rows.append(profile)
                # NOTE: the advice without the what-if is the advice with it, less the next questions
                # (checked: tests/test_fuzz.py); deriving it saves one advise() per profile.
                pending_expected.append({**expected, "next_questions": []} if expected is not None else None)
                if len(pending_rows) == batch_size:
                    self.batch(pending_rows, pending_expected, runner)
                    pending_rows, pending_expected = [], []
        if pending_rows:
            self.batch(pending_rows, pending_expected, runner)
        return self.report


def run(
    count: int,
    seed: int,
    surfaces: tuple[str, ...] = SURFACES,
    kinds: tuple[str, ...] = KINDS,
    *,
    every: int = 1,
    batch_size: int = 50,
    progress: int = 0,
) -> Report:
    """Fuzz `count` profiles from `seed` through the given surfaces; the report of what was seen."""
    return Fuzzer(surfaces).run(count, seed, kinds, batch_size=batch_size, every=every, progress=progress)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--surfaces", default=",".join(SURFACES))
    parser.add_argument("--kinds", default=",".join(KINDS), help="profile kinds: schema, mutated, hostile")
    parser.add_argument("--every", type=int, default=1, help="cli, ask and http see every K-th profile")
    parser.add_argument("--batch-size", type=int, default=50, help="rows per `advisor batch` run")
    parser.add_argument("--progress", type=int, default=0, help="print the counts every N profiles")
    args = parser.parse_args(argv)
    surfaces = tuple(part for part in args.surfaces.split(",") if part)
    unknown = set(surfaces) - set(SURFACES)
    if unknown:
        parser.error(f"unknown surfaces {sorted(unknown)}; choose from {', '.join(SURFACES)}")
    print("$ " + shlex.join([Path(sys.executable).name, *sys.argv]))
    started = time.perf_counter()
    kinds = tuple(part for part in args.kinds.split(",") if part)
    if set(kinds) - set(KINDS) or not kinds:
        parser.error(f"--kinds: choose from {', '.join(KINDS)}")
    if args.every < 1 or args.batch_size < 1 or args.progress < 0:
        parser.error("--every and --batch-size must be at least 1, --progress at least 0")
    report = run(
        args.profiles, args.seed, surfaces, kinds, every=args.every, batch_size=args.batch_size, progress=args.progress
    )
    elapsed = time.perf_counter() - started
    print(f"{args.profiles:,} profiles (seed {args.seed}) in {elapsed:.1f} s")
    for name, number in sorted(report.counts.items()):
        print(f"  {name:<12} {number:>8,}")
    total = sum(report.violations.values())
    print(f"violations: {total:,}")
    for kind, number in report.violations.most_common():
        print(f"  {number:>6,}  {kind}")
        print(f"          e.g. {report.examples[kind]}")
    sys.exit(1 if total else 0)


def _only_blank_text(row: Any) -> bool:
    return isinstance(row, dict) and all(
        key in ("id", "title") and (value is None or (isinstance(value, str) and not value.strip()))
        for key, value in row.items()
    )


def _without_labels(advice: dict[str, Any]) -> dict[str, Any]:
    profile = {key: value for key, value in advice.get("profile", {}).items() if key not in ("id", "title")}
    return {**advice, "profile": profile}


if __name__ == "__main__":
    main()
