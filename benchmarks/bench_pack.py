"""Benchmark of loading and validating big rule packs: many rules, and very long `in:` lists.

Run:  .venv/bin/python benchmarks/bench_pack.py [--rules 1000 5000 10000 20000] [--values 500 10000]
      [--no-over]

Each pack is generated once into a temporary directory, then loaded in one fresh process and
validated in another, so each line's times and peak memory are those of one command. "load" is
`Advisor(rules_dir=...)` (what `advise --rules` and `serve` do at start-up: checks, the engine and
the what-if rulesets); "advise" is one advice on three known attributes, "advise {}" one on an
empty profile (the what-if then tries every attribute: the slowest advice), both in the loading
process; "validate" is `lint_pack` (what `advisor validate` does: the same compilation, plus every
rule's cases and the can-it-fire search). Times are wall clock, with the CPU time of the process
after the slash (the machine is shared: under load the wall clock also counts waiting for a core).
The last line is a pack one rule over the loader's limit (MAX_RULES), refused by both commands.
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


def _dump(data: Any) -> str:
    # NOTE: libyaml's dumper when PyYAML has it: the same YAML data, twice as fast for 20,000 rules.
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper))


def write_synthetic_pack(directory: Path, rules: int, seed: int = 7) -> Path:
    """A pack of `rules` generated rules (no shipped rules), in files of 1,000 rules."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pack.yml").write_text("name: synthetic\nversion: '1'\n", encoding="utf-8")
    rng = random.Random(seed)
    generated = [synthetic_rule(index, rng) for index in range(rules)]
    for start in range(0, rules, 1000):
        chunk = {"rules": generated[start : start + 1000]}
        (directory / f"synthetic_{start // 1000:02d}.yml").write_text(_dump(chunk), encoding="utf-8")
    return directory


def write_long_list_pack(directory: Path, values: int) -> Path:
    """The shipped pack plus one rule with an `in:` list of `values` values."""
    shutil.copytree(default_rules_dir(), directory)
    (directory / "long_list.yml").write_text(_dump({"rules": [long_list_rule(values)]}), encoding="utf-8")
    return directory


def measure(what: str, pack: Path) -> dict[str, Any]:
    """Load (and advise) or validate one pack; run in a fresh process per pack and command."""
    from advisor import Advisor
    from advisor.errors import RulePackError
    from advisor.lint import lint_pack

    row: dict[str, Any] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    if what == "load":
        try:
            advisor = Advisor(rules_dir=pack)
        except RulePackError as error:
            row["refused"] = error.problems[0].message
        row["load"] = (time.perf_counter() - wall, time.process_time() - cpu)
        if "refused" not in row:
            row["rules"], row["rulesets"] = len(advisor.rulebook.rules), advisor.engine.rulesets
            row["what_if_rulesets"] = sum(engine.rulesets for engine in advisor.what_if.engines.values())
            for key, profile in (
                ("advise", {"duration_months": 36, "funding_cny": 1_000_000, "enterprise_size": "large"}),
                ("advise_empty", {}),
            ):
                wall, cpu = time.perf_counter(), time.process_time()
                row["fired" if key == "advise" else "fired_empty"] = len(advisor.advise(profile).fired_rules)
                row[key] = (time.perf_counter() - wall, time.process_time() - cpu)
    else:
        report = lint_pack(pack)
        row["validate"] = (time.perf_counter() - wall, time.process_time() - cpu)
        row["errors"] = len(report.errors)
    row["peak_mb"] = _peak_mb()
    return row


def _peak_mb() -> float:
    """This process's peak resident memory. NOTE: Linux keeps ru_maxrss across exec, so a child
    started by this benchmark would report the parent's peak if higher (the parent holds the
    generated pack); VmHWM belongs to the new address space."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(what: str, pack: Path) -> dict[str, Any] | str:
    out = subprocess.run(
        [sys.executable, __file__, "--one", what, str(pack)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        return f"failed (exit {out.returncode}): {out.stderr.strip()[-300:]}"
    row: dict[str, Any] = json.loads(out.stdout)
    return row


def _seconds(pair: list[float], digits: int = 1) -> str:
    return f"{pair[0]:.{digits}f}/{pair[1]:.{digits}f}s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, nargs="*", default=[1000, 5000, 10000, 20000])
    parser.add_argument("--values", type=int, nargs="*", default=[500, 10000])
    parser.add_argument("--no-over", action="store_true", help="Leave out the pack one rule over the limit.")
    parser.add_argument("--one", nargs=2, metavar=("WHAT", "PACK"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one[0], Path(args.one[1]))))
        return
    from advisor.rulebook import MAX_RULES

    print(
        f"$ {Path(sys.executable).relative_to(ROOT) if ROOT in Path(sys.executable).parents else sys.executable} "
        f"benchmarks/bench_pack.py {' '.join(sys.argv[1:])}".rstrip()
    )
    print(
        f"{'':<36}{'rulesets':>10}{'load':>12}{'advise':>12}{'advise {}':>12}{'peak RSS':>10}  |"
        f"{'validate':>12}{'errors':>7}{'peak RSS':>10}"
    )
    jobs = [("rules", size) for size in args.rules] + [("values", size) for size in args.values]
    if not args.no_over:
        jobs.append(("over", MAX_RULES + 1))
    for kind, size in jobs:
        label = {
            "rules": f"{size:,} generated rules",
            "values": f"shipped + one {size:,}-value in: list",
            "over": f"{size:,} generated rules (over)",
        }[kind]
        with tempfile.TemporaryDirectory() as tmp:
            pack = Path(tmp) / "rules"
            if kind == "values":
                write_long_list_pack(pack, size)
            else:
                write_synthetic_pack(pack, size)
            load, validate = _run("load", pack), _run("validate", pack)
        if isinstance(load, str) or isinstance(validate, str):
            print(f"{label}: load {load if isinstance(load, str) else 'ok'}; validate {validate}")
            continue
        if "refused" in load:
            print(
                f"{label:<36}{'refused':>10}{_seconds(load['load']):>12}{'':>24}{load['peak_mb']:>8.0f}MB  |"
                f"{_seconds(validate['validate']):>12}{validate['errors']:>7}{validate['peak_mb']:>8.0f}MB"
            )
            continue
        rulesets = f"{load['rulesets']}+{load['what_if_rulesets']}"
        print(
            f"{label:<36}{rulesets:>10}{_seconds(load['load']):>12}{_seconds(load['advise'], 2):>12}"
            f"{_seconds(load['advise_empty'], 2):>12}{load['peak_mb']:>8.0f}MB  |"
            f"{_seconds(validate['validate']):>12}{validate['errors']:>7}{validate['peak_mb']:>8.0f}MB"
        )
    print("rulesets: the main engine's + the what-if's; times: wall/CPU")


if __name__ == "__main__":
    main()
