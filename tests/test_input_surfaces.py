"""One table of typed text, fed to every surface: the same value or the same error on each.

The surfaces: the library (a dict), a profile file (`advisor advise FILE`), a batch CSV cell
(`advisor batch`), an `ask` answer (and so the web page, which reads answers the same way) and
the HTTP API (`POST /v1/advise`). Rows marked UNKNOWN must leave the attribute unknown everywhere
(never "no"); rows with an error must be refused everywhere, with the same field and message.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from test_http_api import serving

from advisor.answers import SKIP, AnswerError, parse_answer
from advisor.cli import EXIT_INPUT, cli
from advisor.core import default_advisor, validate_profile
from advisor.errors import ProfileError
from advisor.http_api import create_app
from advisor.questions import load_questions
from advisor.values import ValueProblem, read_value

UNKNOWN: Any = object()


class Refused:
    """An expected error: the field it is filed under and the message every surface gives."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message

    def __repr__(self) -> str:
        return f"Refused({self.field!r}, {self.message!r})"


# (attribute, text, what every surface must make of it)
TABLE: list[tuple[str, str, Any]] = [
    # issue 9's table, row by row
    ("existing_result", "是", True),
    ("existing_result", "on", True),
    ("funding_sources", "enterprise,government", ["enterprise", "government"]),
    ("enterprise_size", "Large", "large"),
    ("funding_cny", "1,200,000", 1_200_000),
    ("funding_cny", "200万", 2_000_000),
    ("duration_months", "3 years", 36),
    # the rest of the vocabulary
    ("existing_result", "Ｙｅｓ", True),
    ("existing_result", "否", False),
    ("existing_result", "off", False),
    ("enterprise_can_industrialize", "不能", False),
    ("funding_sources", "企业、政府", ["enterprise", "government"]),
    ("funding_sources", "government；enterprise", ["government", "enterprise"]),
    ("funding_sources", "Enterprise; enterprise", ["enterprise"]),
    ("research_stages", "Pilot scale, market development", ["pilot", "market"]),
    ("government_roles", "none", []),
    ("government_roles", "无", []),
    ("enterprise_size", "大型企业", "large"),
    ("enterprise_size", "ＬＡＲＧＥ", "large"),
    ("scope", "single program", "single_program"),
    ("international_channel", "Non-governmental", "non_governmental"),
    ("funding_cny", "两千万", 20_000_000),
    ("funding_cny", "1.5m", 1_500_000),
    ("funding_cny", "1.2亿", 120_000_000),
    ("funding_cny", "50万元", 500_000),
    ("funding_cny", "１２０万", 1_200_000),
    ("duration_months", "18", 18),
    ("duration_months", "1.5y", 18),
    ("duration_months", "1年半", 18),
    ("duration_months", "三年半", 42),
    ("duration_months", "18个月", 18),
    ("duration_months", "1 year 6 months", 18),
    # unknown is never no (issue 12 row 10): "" is unknown for every kind, lists included
    ("funding_sources", "", UNKNOWN),
    ("government_roles", "  ", UNKNOWN),
    ("existing_result", "", UNKNOWN),
    ("existing_result", "n/a", UNKNOWN),
    ("enterprise_size", "不知道", UNKNOWN),
    ("duration_months", "-", UNKNOWN),
    # refused everywhere, with the same words
    ("existing_result", "maybe", Refused("existing_result", "not true or false")),
    ("enterprise_size", "huge", Refused("enterprise_size", "not an allowed value")),
    ("funding_sources", "enterprise;bank", Refused("funding_sources[1]", "not an allowed value")),
    ("duration_months", "700", Refused("duration_months", "out of range")),
    ("duration_months", "51 years", Refused("duration_months", "out of range")),
    ("duration_months", "3 weeks", Refused("duration_months", "not a duration")),
    ("duration_months", "18.5", Refused("duration_months", "not a whole number of months")),
    ("funding_cny", "1e3", Refused("funding_cny", "not a number")),
    ("funding_cny", "1,5m", Refused("funding_cny", "not a number")),
    ("funding_cny", "-5", Refused("funding_cny", "out of range")),
    ("funding_cny", "200000亿", Refused("funding_cny", "out of range")),
    ("funding_cny", "$5m", Refused("funding_cny", "not in CNY ($)")),
    ("enterprise_size", "large\x01", Refused("enterprise_size", "contains a control character (U+0001) at position 6")),
]

IDS = [f"{row}-{attribute}-{text!r}" for row, (attribute, text, _) in enumerate(TABLE, start=1)]
QUESTIONS = load_questions()


def _same(found: Any, expected: Any) -> bool:
    return found == expected and (isinstance(found, list) == isinstance(expected, list))


# -- each surface, run once over the whole table -------------------------------------------------


@pytest.fixture(scope="module")
def batch_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, list[dict[str, str]]]]:
    """The table as one CSV (one row per entry), scored by `advisor batch`: advice and errors by id."""
    folder = tmp_path_factory.mktemp("surfaces")
    source, output, errors = folder / "in.csv", folder / "out.jsonl", folder / "errors.csv"
    attributes = sorted({attribute for attribute, _, _ in TABLE})
    with open(source, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", *attributes])
        for number, (attribute, text, _) in enumerate(TABLE):
            writer.writerow([f"r{number}", *(text if name == attribute else "" for name in attributes)])
    result = CliRunner().invoke(
        cli,
        ["batch", str(source), "-o", str(output), "--errors", str(errors), "--allow-rejects"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    scored = {line["id"]: line["advice"]["profile"] for line in map(json.loads, output.read_text().splitlines())}
    refused: dict[str, list[dict[str, str]]] = {}
    with open(errors, encoding="utf-8-sig", newline="") as file:
        for line in csv.DictReader(file):
            refused.setdefault(line["id"], []).append(line)
    return scored, refused


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with serving(create_app(default_advisor())) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.mark.parametrize(("attribute", "text", "expected"), TABLE, ids=IDS)
def test_library_dict(attribute, text, expected):
    if isinstance(expected, Refused):
        with pytest.raises(ProfileError) as caught:
            validate_profile({attribute: text})
        [problem] = caught.value.problems
        assert (problem.field, problem.message) == (expected.field, expected.message)
        return
    known = validate_profile({attribute: text}).known()
    if expected is UNKNOWN:
        assert attribute not in known
    else:
        assert _same(known[attribute], expected)


@pytest.mark.parametrize(("attribute", "text", "expected"), TABLE, ids=IDS)
@pytest.mark.parametrize("suffix", [".json", ".yml"])
def test_profile_file(tmp_path: Path, attribute, text, expected, suffix):
    path = tmp_path / f"profile{suffix}"
    path.write_text(json.dumps({attribute: text}, ensure_ascii=False), encoding="utf-8")  # JSON is YAML too
    result = CliRunner().invoke(cli, ["advise", str(path), "--format", "json"], catch_exceptions=False)
    if isinstance(expected, Refused):
        assert result.exit_code == EXIT_INPUT
        assert f"{expected.field}: {expected.message}" in result.stderr
        return
    assert result.exit_code == 0, result.stderr
    profile = json.loads(result.stdout)["profile"]
    if expected is UNKNOWN:
        assert attribute not in profile
    else:
        assert _same(profile[attribute], expected)


@pytest.mark.parametrize(("attribute", "text", "expected"), TABLE, ids=IDS)
def test_batch_csv_cell(batch_results, attribute, text, expected):
    scored, refused = batch_results
    ident = f"r{TABLE.index((attribute, text, expected))}"
    if isinstance(expected, Refused):
        assert ident not in scored
        [line] = refused[ident]
        assert (line["field"], line["message"]) == (expected.field, expected.message)
        return
    assert ident not in refused, refused.get(ident)
    if expected is UNKNOWN:
        assert attribute not in scored[ident]
    else:
        assert _same(scored[ident][attribute], expected)


@pytest.mark.parametrize(("attribute", "text", "expected"), TABLE, ids=IDS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ask_answer(attribute, text, expected, lang):
    question = QUESTIONS.get(attribute)
    if isinstance(expected, Refused):
        with pytest.raises(AnswerError) as caught:
            parse_answer(question, text, lang)
        with pytest.raises(ValueProblem) as reason:
            read_value(attribute, text)
        # the same reason, said in the questionnaire's words and language
        assert caught.value.problem in (reason.value.problem, _ASK_PROBLEM.get(reason.value.problem))
        return
    found = parse_answer(question, text, lang)
    if expected is UNKNOWN:
        assert found is SKIP
    else:
        assert _same(found, expected)


# the vocabulary's reason -> the questionnaire's message for it (same reason, its own wording)
_ASK_PROBLEM = {"range": "amount_range"}


@pytest.mark.parametrize(("attribute", "text", "expected"), TABLE, ids=IDS)
def test_http_api(http, attribute, text, expected):
    response = http.post("/v1/advise?what_if=false", json={attribute: text})
    if isinstance(expected, Refused):
        assert response.status_code == 422, response.text
        [problem] = response.json()["problems"]
        assert (problem["field"], problem["message"]) == (expected.field, expected.message)
        return
    assert response.status_code == 200, response.text
    profile = response.json()["profile"]
    if expected is UNKNOWN:
        assert attribute not in profile
    else:
        assert _same(profile[attribute], expected)


@pytest.mark.parametrize(("attribute", "text", "expected"), TABLE, ids=IDS)
def test_web_page_answer(http, attribute, text, expected):
    # the web questionnaire's free-text fields are read by the server, as `ask` reads them
    response = http.post(f"/v1/questions/{attribute}/parse", json={"text": text, "lang": "en"})
    if isinstance(expected, Refused):
        assert response.status_code == 422, response.text
        [problem] = response.json()["problems"]
        assert problem["field"] == attribute
        return
    assert response.status_code == 200, response.text
    body = response.json()
    if expected is UNKNOWN:
        assert body["command"] == "skip"
    else:
        assert _same(body["value"], expected)


def test_the_table_covers_every_row_of_the_issue():
    # issue 9's table: each input that surfaces used to read differently is a row above
    issue_rows = {
        ("existing_result", "是"),
        ("existing_result", "on"),
        ("funding_sources", "enterprise,government"),
        ("enterprise_size", "Large"),
        ("funding_cny", "1,200,000"),
        ("funding_cny", "200万"),
        ("duration_months", "3 years"),
    }
    assert issue_rows <= {(attribute, text) for attribute, text, _ in TABLE}


# -- text hygiene (issue 12 row 3): refused in the model, so every surface refuses it the same way ---

BAD_TEXT = [("title", "\ud800"), ("id", "a\x00b"), ("title", "bell\x07"), ("enterprise_size", "large\ud800")]


@pytest.mark.parametrize(("field", "text"), BAD_TEXT)
def test_http_refuses_bad_text_with_422_naming_the_field(http, field, text):
    body = json.dumps({field: text, "enterprise_size": "large"} if field != "enterprise_size" else {field: text})
    response = http.post("/v1/advise", content=body.encode())  # json.dumps escapes the surrogate
    assert response.status_code == 422, response.text
    [problem] = response.json()["problems"]
    assert problem["field"] == field and "at position" in problem["message"]
    assert "\\u" in problem["value"]  # quoted escaped, so any output can carry it


@pytest.mark.parametrize(("field", "text"), BAD_TEXT)
def test_cli_refuses_bad_text_with_exit_3(tmp_path, field, text):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({field: text}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["advise", str(path)], catch_exceptions=False)
    assert result.exit_code == EXIT_INPUT
    assert f"{field}: contains a" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("output", ["out.csv", "out.xlsx", "out.jsonl"])
def test_batch_rejects_only_the_row_with_bad_text(tmp_path, output):
    source = tmp_path / "in.csv"
    source.write_text('id,title,enterprise_size\nA,"bad\x01title",large\nB,fine,large\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(source), "-o", str(tmp_path / output)], catch_exceptions=False)
    assert result.exit_code == 4, result.stderr  # some rows rejected
    assert "2 rows read, 1 scored, 1 rejected" in result.stderr
