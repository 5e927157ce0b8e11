"""Benchmark the input vocabulary: validate_profile on typed and text profiles, and batch cells.

    python benchmarks/bench_values.py
    python benchmarks/bench_values.py --rounds 5 --profiles 2000

Prints, per run: the first-use cost of the converters (a questions file and the expressions),
`validate_profile` per profile for typed JSON values and for the same values as text, and the
batch row validator (`RowValidator`, the fast path `advisor batch` uses) on spreadsheet rows,
all as medians over rounds. NOTE: not a test; compare ratios within one run (the machine is
shared and noisy). Runs against whichever `advisor` package is first on sys.path, so the same
command on another checkout (PYTHONPATH=that/checkout) compares two versions.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = sorted((HERE.parent / "examples").glob("*.json"))


def _as_text(value: object) -> object:
    """A typed value as a spreadsheet cell holds it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value) if value else "none"
    if isinstance(value, int | float):
        return str(value)
    return value


def _profiles(count: int, seed: int) -> list[dict[str, object]]:
    from advisor.profile import ATTRIBUTES

    rng = random.Random(seed)
    examples = [json.loads(path.read_text(encoding="utf-8")) for path in EXAMPLES]
    profiles = []
    for _ in range(count):
        profile = dict(rng.choice(examples))
        name = rng.choice(sorted(ATTRIBUTES))
        spec = ATTRIBUTES[name]
        if spec.kind == "choice":
            profile[name] = rng.choice(spec.choices)
        elif spec.kind == "boolean":
            profile[name] = rng.random() < 0.5
        profile.pop("title", None)
        profiles.append(profile)
    return profiles


def _median_rate(work, items: list, rounds: int) -> float:
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for item in items:
            work(item)
        rates.append(len(items) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    print(f"benchmark command: {shlex.join([sys.executable, *sys.argv])}")

    start = time.perf_counter()
    from advisor.core import validate_profile

    validate_profile({"existing_result": "true"})  # builds one converter (where there are converters)
    first_use = time.perf_counter() - start
    import advisor

    print(f"advisor package: {Path(advisor.__file__).parent}")
    print(f"import and first text value: {first_use * 1000:.0f} ms")

    typed = _profiles(args.profiles, args.seed)
    text = [{key: _as_text(value) for key, value in profile.items()} for profile in typed]
    assert all(validate_profile(a).known() == validate_profile(b).known() for a, b in zip(typed, text, strict=True))

    from advisor.batch import RowValidator

    rows = RowValidator()
    for label, work, items in (
        ("validate_profile, typed JSON", validate_profile, typed),
        ("validate_profile, text values", validate_profile, text),
        ("batch RowValidator, text cells", rows, text),
    ):
        rate = _median_rate(work, items, args.rounds)
        print(f"  {label:<34} {rate:>10,.0f} profiles/s  ({1e6 / rate:6.1f} µs each)")


if __name__ == "__main__":
    main()
