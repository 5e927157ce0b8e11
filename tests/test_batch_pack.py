"""Nothing counts to eight by hand: a pack with seven modes runs through advise, batch, serve and ask.

The pack is the shipped one with one mode (technology_service) taken out of the knowledge base
and the rules, so every count the surfaces show must come from the knowledge base.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from advisor.cli import cli
from advisor.core import Advisor

ROOT = Path(__file__).resolve().parents[1]
DROPPED = "technology_service"
EXAMPLE = ROOT / "examples" / "program_cooperation.json"


def _without(node: Any) -> Any:
    """`node` with every mention of the dropped mode taken out (list items, records with its id)."""
    if isinstance(node, dict):
        return {key: _without(value) for key, value in node.items()}
    if isinstance(node, list):
        return [
            _without(item)
            for item in node
            if item != DROPPED and not (isinstance(item, dict) and item.get("id") == DROPPED)
        ]
    return node


@pytest.fixture(scope="module")
def seven(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("pack7")
    rules, knowledge = root / "rules", root / "knowledge"
    shutil.copytree(ROOT / "rules", rules)
    shutil.copytree(ROOT / "knowledge", knowledge)
    (rules / f"{DROPPED}.yml").unlink()
    for path in [*rules.glob("*.yml"), *knowledge.glob("*.yml")]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        changed = _without(data)
        if isinstance(changed, dict) and "rules" in changed:
            changed["rules"] = [r for r in changed["rules"] if DROPPED not in (r.get("effect") or {}).values()]
        if changed != data:
            path.write_text(yaml.safe_dump(changed, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return rules, knowledge


@pytest.fixture(scope="module")
def advisor7(seven) -> Advisor:
    rules, knowledge = seven
    advisor = Advisor(rules_dir=rules, knowledge_dir=knowledge)
    assert len(advisor.knowledge.modes) == 7 and DROPPED not in advisor.knowledge.modes
    return advisor


def pack_args(seven: tuple[Path, Path]) -> list[str]:
    return ["--rules", str(seven[0]), "--knowledge", str(seven[1])]


def invoke(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def test_advise_ranks_seven_modes(seven):
    result = invoke("advise", str(EXAMPLE), "--format", "json", *pack_args(seven))
    assert result.exit_code == 0, result.output
    modes = [mode["id"] for mode in json.loads(result.stdout)["modes"]]
    assert len(modes) == 7 and DROPPED not in modes


def test_advise_many_uses_the_seven_mode_pack(advisor7):
    profile = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    (advice,) = list(advisor7.advise_many([profile]))
    assert advice == advisor7.advise(profile, what_if=False)
    assert len(advice.modes) == 7


def test_batch_scores_and_summarises_seven_modes(seven, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "id,enterprise_size,scope,technology_level,university_goal\n"
        "a,large,multi_program,high,\n"
        "b,small,single_problem,low,public_interest\n"
    )
    summary = tmp_path / "summary.md"
    output = tmp_path / "out.csv"
    result = invoke("batch", str(source), "-o", str(output), "--summary-file", str(summary), *pack_args(seven))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 2 and all(row["leading_mode"] != DROPPED for row in rows)
    table = summary.read_text(encoding="utf-8").split("## Leading mode")[1].split("##")[0]
    assert len(re.findall(r"^\| (?!mode|---)", table, flags=re.M)) == 7


def test_serve_lists_and_advises_seven_modes(advisor7):
    import asyncio

    import httpx

    from advisor.http_api import create_app

    profile = json.loads(EXAMPLE.read_text(encoding="utf-8"))

    async def calls() -> tuple[Any, Any, Any, bytes]:
        transport = httpx.ASGITransport(app=create_app(advisor7))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            modes = (await client.get("/v1/modes")).json()
            health = (await client.get("/healthz")).json()
            advice = (await client.post("/v1/advise", json=profile)).json()
            batch = await client.post(
                "/v1/batch", content=json.dumps(profile) + "\n", headers={"content-type": "application/x-ndjson"}
            )
            return modes, health, advice, batch.content

    modes, health, advice, batch = asyncio.run(calls())
    assert len(modes) == 7 and health["modes"] == 7
    assert len(advice["modes"]) == 7
    (line,) = [json.loads(text) for text in batch.decode().splitlines()]
    assert len(line["advice"]["modes"]) == 7


def test_ask_with_answers_shows_seven_modes(seven):
    result = invoke("ask", "--answers", str(EXAMPLE), *pack_args(seven), input="")
    assert result.exit_code == 0, result.output
    ranking = result.output.split("Modes, best first")[1].split("\n\n")[0]
    numbered = re.findall(r"^\s+(\d+)\. ", ranking, flags=re.M)
    assert numbered == [str(n) for n in range(1, 8)]
