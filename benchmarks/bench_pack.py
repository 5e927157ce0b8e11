"""Benchmark of loading and validating big rule packs: many rules, and very long `in:` lists.

Run:  .venv/bin/python benchmarks/bench_pack.py [--rules 1000 2000 5000] [--values 500 10000]

Each pack is generated into a temporary directory and loaded in a fresh process, so every line's
time and peak memory are its own. "load" is `Advisor(rules_dir=...)` (what `advise --rules` and
`serve` do at start-up: checks, the engine and the what-if rulesets); "validate" is `lint_pack`
(what `advisor validate` does: the same, plus every rule's cases and the can-it-fire search).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from advisor.paths import default_rules_dir  # noqa: E402
from advisor.profile import ATTRIBUTES  # noqa: E402

MODES = [
    "strategic_alliance",
    "strategic_cooperation",
    "government_mediated",
    "program_cooperation",
    "university_enterprise",
    "technology_transfer",
    "technology_equity",
    "technology_service",
]
CHOICES = [name for name, spec in ATTRIBUTES.items() if spec.kind == "choice"]
BOOLEANS = [name for name, spec in ATTRIBUTES.items() if spec.kind == "boolean"]
LISTS = [name for name, spec in ATTRIBUTES.items() if spec.kind == "list"]


def _rule_id(index: int) -> str:
    return f"X{chr(ord('A') + index // 1000)}{index % 1000:03d}"


def _other(name: str, value: Any) -> Any:
    return next(choice for choice in ATTRIBUTES[name].choices if choice != value)


def synthetic_rule(index: int, rng: random.Random) -> dict[str, Any]:
    """One rule of three shapes over the profile attributes, with a firing and a silent case."""
    shape = index % 3
    choice = rng.choice(CHOICES)
    value = rng.choice(ATTRIBUTES[choice].choices)
    if shape == 0:
        months = rng.randint(2, 600)
        when: dict[str, Any] = {"all": [{"attr": "duration_months", "gte": months}, {"attr": choice, "eq": value}]}
        fires = {"duration_months": months, choice: value}
        silent = {"duration_months": months - 1, choice: value}
        message = "Runs {duration_months} months with {" + choice + "}."
    elif shape == 1:
        amount = rng.randint(1, 10**8)
        flag = rng.choice(BOOLEANS)
        when = {
            "all": [
                {"attr": "funding_cny", "lt": amount},
                {"attr": flag, "eq": True},
                {"not": {"attr": choice, "eq": value}},
            ]
        }
        fires = {"funding_cny": amount - 1, flag: True, choice: _other(choice, value)}
        silent = {"funding_cny": amount, flag: True, choice: _other(choice, value)}
        message = "Funding of {funding_cny} CNY."
    else:
        listed = rng.choice(LISTS)
        member = rng.choice(ATTRIBUTES[listed].choices)
        values = rng.sample(ATTRIBUTES[choice].choices, k=min(3, len(ATTRIBUTES[choice].choices)))
        when = {"all": [{"attr": listed, "contains": member}, {"attr": choice, "in": values}]}
        fires = {listed: [member], choice: values[0]}
        silent = {listed: [], choice: values[0]}
        message = "Covers {" + listed + "}."
    mode = MODES[index % len(MODES)]
    effect = {"supports": mode, "weight": rng.randint(5, 20)} if rng.random() < 0.8 else {"opposes": mode, "weight": 5}
    return {
        "id": _rule_id(index),
        "name": f"synthetic.rule_{index}",
        "when": when,
        "effect": effect,
        "message": message,
        "rationale": "Generated for the pack benchmark.",
        "cites": [mode],
        "cases": [
            {"name": "fires", "profile": fires, "fires": True},
            {"name": "silent", "profile": silent, "fires": False},
        ],
    }


def long_list_rule(values: int) -> dict[str, Any]:
    """A rule whose `in:` list holds `values` funding amounts (1,000 CNY apart)."""
    amounts = [1000 * (step + 1) for step in range(values)]
    return {
        "id": "XL001",
        "name": "synthetic.long_list",
        "when": {"all": [{"attr": "funding_cny", "in": amounts}, {"attr": "enterprise_size", "eq": "large"}]},
        "effect": {"supports": "technology_transfer", "weight": 10},
        "message": "Funding of {funding_cny} CNY from a large enterprise.",
        "rationale": "Generated for the pack benchmark.",
        "cites": ["technology_transfer"],
        "cases": [
            {"name": "listed", "profile": {"funding_cny": amounts[-1], "enterprise_size": "large"}, "fires": True},
            {"name": "unlisted", "profile": {"funding_cny": 1500, "enterprise_size": "large"}, "fires": False},
        ],
    }


def write_synthetic_pack(directory: Path, rules: int, seed: int = 7) -> Path:
    """A pack of `rules` generated rules (no shipped rules), in files of 1,000 rules."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pack.yml").write_text("name: synthetic\nversion: '1'\n", encoding="utf-8")
    rng = random.Random(seed)
    generated = [synthetic_rule(index, rng) for index in range(rules)]
    for start in range(0, rules, 1000):
        chunk = {"rules": generated[start : start + 1000]}
        (directory / f"synthetic_{start // 1000:02d}.yml").write_text(yaml.safe_dump(chunk), encoding="utf-8")
    return directory


def write_long_list_pack(directory: Path, values: int) -> Path:
    """The shipped pack plus one rule with an `in:` list of `values` values."""
    shutil.copytree(default_rules_dir(), directory)
    (directory / "long_list.yml").write_text(yaml.safe_dump({"rules": [long_list_rule(values)]}), encoding="utf-8")
    return directory


def measure(kind: str, size: int) -> dict[str, Any]:
    """Generate one pack, then load it and validate it; run in a fresh process per pack."""
    from advisor import Advisor
    from advisor.lint import lint_pack

    with tempfile.TemporaryDirectory() as tmp:
        pack = Path(tmp) / "rules"
        if kind == "rules":
            write_synthetic_pack(pack, size)
        else:
            write_long_list_pack(pack, size)
        started = time.perf_counter()
        advisor = Advisor(rules_dir=pack)
        load = time.perf_counter() - started
        started = time.perf_counter()
        advice = advisor.advise({"duration_months": 36, "funding_cny": 1_000_000, "enterprise_size": "large"})
        advise = time.perf_counter() - started
        started = time.perf_counter()
        report = lint_pack(pack)
        validate = time.perf_counter() - started
    return {
        "rules": len(advisor.rulebook.rules),
        "rulesets": advisor.engine.rulesets,
        "load": load,
        "advise": advise,
        "fired": len(advice.fired_rules),
        "validate": validate,
        "errors": len(report.errors),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, nargs="*", default=[1000, 2000, 5000])
    parser.add_argument("--values", type=int, nargs="*", default=[500, 10000])
    parser.add_argument("--one", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return
    print(
        f"$ {Path(sys.executable).relative_to(ROOT) if ROOT in Path(sys.executable).parents else sys.executable} "
        f"benchmarks/bench_pack.py {' '.join(sys.argv[1:])}".rstrip()
    )
    header = f"{'pack':<34}{'rulesets':>9}{'load':>9}{'advise':>9}{'validate':>10}{'errors':>8}{'peak RSS':>10}"
    print(header)
    jobs = [("rules", size) for size in args.rules] + [("values", size) for size in args.values]
    for kind, size in jobs:
        out = subprocess.run(
            [sys.executable, __file__, "--one", kind, str(size)], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            print(f"{kind} {size}: failed (exit {out.returncode}): {out.stderr.strip()[-300:]}")
            continue
        row = json.loads(out.stdout)
        label = f"{size:,} generated rules" if kind == "rules" else f"shipped + one {size:,}-value in: list"
        print(
            f"{label:<34}{row['rulesets']:>9}{row['load']:>8.2f}s{row['advise'] * 1000:>7.1f}ms"
            f"{row['validate']:>9.2f}s{row['errors']:>8}{row['peak_mb']:>8.0f}MB"
        )


if __name__ == "__main__":
    main()
