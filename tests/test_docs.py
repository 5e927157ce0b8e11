"""The README stays true: its demo output, its attribute table and its command table match the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from advisor.cli import cli
from advisor.profile import ATTRIBUTES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_quick_start_is_the_two_make_commands():
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quick_start, flags=re.MULTILINE)
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "EXAMPLE ?= examples/program_cooperation.json" in makefile
    assert "$(BIN)/python -m pytest" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_shows_the_real_demo_output():
    shown = README.split("`make demo` prints:", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    result = CliRunner().invoke(cli, ["advise", str(ROOT / "examples" / "program_cooperation.json")])
    assert result.exit_code == 0
    assert shown == result.stdout, "README demo output is stale: paste `make demo` output again"


def test_readme_shows_the_real_chinese_output():
    section = README.split("## 中文", 1)[1].split("\n## ", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    example = "examples/program_cooperation.json"
    assert f"`advisor advise {example} --lang zh` prints:" in section
    result = CliRunner().invoke(cli, ["advise", str(ROOT / example), "--lang", "zh"])
    assert result.exit_code == 0 and "结论：明确。" in shown
    assert shown == result.stdout, "README Chinese example is stale: paste `advisor advise ... --lang zh` again"


def test_readme_documents_every_profile_attribute():
    table = README.split("## The partnership profile", 1)[1].split("## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
    assert documented == list(ATTRIBUTES)


def test_readme_documents_every_command():
    import click

    commands = cli.list_commands(click.Context(cli))
    for command in commands:
        assert re.search(rf"`advisor {command}\b", README), f"README does not document `advisor {command}`"


def test_linked_docs_exist():
    for link in re.findall(r"\]\((docs/[^)]+)\)", README):
        assert (ROOT / link).exists(), link


# -- the other documents' examples ----------------------------------------------------------------

DOCS = ROOT / "docs"


def _doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_http_doc_examples_are_what_the_service_answers(start_serve):

    import httpx

    text = _doc("http.md")
    with start_serve() as served, httpx.Client(base_url=served.url, timeout=30) as client:
        _check_http_examples(text, client)


def _check_http_examples(text: str, client: Any) -> None:
    import json

    # the /v1/advise example: decision, leading mode and the first mode's score, as jq prints them
    shown = text.split(".modes[0].score'\n", 1)[1].split("```", 1)[0].split()
    profile = json.loads((ROOT / "examples" / "technology_transfer.json").read_text(encoding="utf-8"))
    advice = client.post("/v1/advise", json=profile).json()
    assert shown == [
        json.dumps(advice["decision"]),
        json.dumps(advice["leading_mode"]),
        str(advice["modes"][0]["score"]),
    ]
    # the interview example: the body sent and the figures shown
    block = text.split("$ curl -s -X POST http://127.0.0.1:8000/v1/interview/next", 1)[1].split("```", 1)[0]
    sent = json.loads(re.search(r"-d '(\{.*?\})'", block).group(1))  # type: ignore[union-attr]
    step = client.post("/v1/interview/next", json=sent).json()
    assert f'"remaining": {step["remaining"]},' in block
    assert f'"attribute": "{step["question"]["attribute"]}"' in block
    assert f'"summary": "{step["summary"]}"' in block
    # the parse example
    found = re.search(r"with `(\{[^`]*\})` answers\s+`(\{[^`]*\})`", text)
    assert found is not None
    sent, answer = json.loads(found.group(1)), json.loads(found.group(2))
    response = client.post("/v1/questions/funding_cny/parse", json=sent)
    assert response.status_code == 200 and response.json() == answer
    # the refused query parameters: each request shown and the whole answer to it
    section = text.split("### Query parameters", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    exchanges = re.findall(r"^\$ curl -s -X POST '([^']+)' -d @(\S+)\n(.*?)(?=^\$|\Z)", section, re.M | re.S)
    assert len(exchanges) == 2
    for url, body, shown in exchanges:
        response = client.post(url.removeprefix("http://127.0.0.1:8000"), content=(ROOT / body).read_bytes())
        assert response.status_code == 422 and response.json() == json.loads(shown), url
    # the refusals in Chinese and in English: each request shown and the whole answer to it
    section = text.split("Every refusal a client can provoke", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    sent = re.findall(
        r"^\$ curl -s -X POST '([^']+)' -H 'Content-Type: application/json' -d '([^']*)'\n(.*?)(?=^\$|\Z)",
        section,
        re.M | re.S,
    )
    assert len(sent) == 2
    for url, body, shown in sent:
        response = client.post(
            url.removeprefix("http://127.0.0.1:8000"), content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422 and response.json() == json.loads(shown), url
    piped = re.search(
        r"^\$ head -c (\d+) /dev/zero \| curl -s -X POST '([^']+)' --data-binary @-\n(.*?)$", section, re.M
    )
    assert piped is not None
    response = client.post(piped.group(2).removeprefix("http://127.0.0.1:8000"), content=bytes(int(piped.group(1))))
    assert response.status_code == 413 and response.json() == json.loads(piped.group(3))


def test_questionnaire_doc_piped_answers_save_the_session_shown(tmp_path):
    import json

    import yaml

    text = _doc("questionnaire.md")
    answers = re.search(r"\$ printf '([^']*)' \| advisor ask --save wastewater.json", text)
    assert answers is not None
    saved_block = text.split("The saved file is an ordinary profile", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    target = tmp_path / "wastewater.json"
    result = CliRunner().invoke(
        cli, ["ask", "--lang", "en", "--save", str(target)], input=answers.group(1).encode().decode("unicode_escape")
    )
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8")) == yaml.safe_load(saved_block)


def test_engine_doc_states_the_shipped_packs_ruleset_measures():
    from advisor import engine
    from advisor.core import default_advisor

    found = re.search(r"needs one ruleset \(stack bound (\d+), (\d+) different tests\)", _doc("engine.md"))
    assert found is not None
    rulebook = default_advisor().rulebook
    memberships = engine._Memberships()
    definitions = {
        rule_id: engine.compile_rule(rulebook.rules[rule_id], memberships) for rule_id in sorted(rulebook.rules)
    }
    tree = engine._Tree()
    for rule_id in sorted(definitions):
        tree.add(engine._chains(definitions[rule_id]))
    assert (int(found.group(1)), int(found.group(2))) == (tree.root.stack, len(tree.tests))
    assert len(engine.plan_rulesets(definitions)[0]) == 1


def test_languages_doc_counts_the_shipped_rules():
    from advisor.core import default_advisor

    found = re.search(r"共 (\d+) 条规则", _doc("languages.md"))
    assert found is not None and int(found.group(1)) == len(default_advisor().rulebook.rules)


def test_batch_doc_shows_what_a_formula_without_its_value_gives(tmp_path):
    """docs/batch.md#formulas: the errors file's lines and the Chinese message, as a run writes them."""
    from openpyxl import Workbook

    section = _doc("batch.md").split("### Formulas", 1)[1].split("\n### ", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    book = Workbook()
    sheet = book.active
    sheet.title = "申报"
    sheet.append(["id", "title", "Enterprise size", "funding_cny"])
    sheet.append(["P1", "Water treatment pilot", "large", 2_500_000])
    sheet.append(["P2", "Sensor calibration", '=IF(D3>1000000,"large","small")', 2_500_000])  # no value: openpyxl
    source = tmp_path / "proposals.xlsx"
    book.save(source)
    for lang in ("en", "zh"):
        result = CliRunner().invoke(cli, ["batch", str(source), "-o", str(tmp_path / "advice.csv"), "--lang", lang])
        assert result.exit_code == 4, result.output
        errors = (tmp_path / "advice.errors.csv").read_text(encoding="utf-8-sig")
        if lang == "en":
            assert errors == shown
        else:
            import csv
            import io

            message = list(csv.DictReader(io.StringIO(errors)))[0]["message"]
            assert "".join(message.split()) in "".join(section.split()), message
