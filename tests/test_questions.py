"""knowledge/questions.yml: one question per profile attribute, in English and Chinese, with valid choices."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from advisor.errors import RulePackError
from advisor.knowledge import load_knowledge
from advisor.paths import default_knowledge_dir
from advisor.profile import ATTRIBUTES
from advisor.questions import LANGS, load_questions

QUESTIONS_FILE = default_knowledge_dir() / "questions.yml"
RAW = yaml.safe_load(QUESTIONS_FILE.read_text(encoding="utf-8"))
QUESTIONS = load_questions()


def test_every_profile_attribute_is_asked_exactly_once():
    # Read from the file itself, so a duplicate cannot hide behind the loader.
    asked = [entry["attribute"] for entry in RAW["questions"]]
    assert sorted(asked) == sorted(ATTRIBUTES)
    assert len(asked) == len(set(asked))


@pytest.mark.parametrize("attribute", list(ATTRIBUTES))
def test_question_matches_the_profile_attribute(attribute):
    spec = ATTRIBUTES[attribute]
    question = QUESTIONS.get(attribute)
    assert question.kind == spec.kind
    values = [choice.value for choice in question.choices]
    if spec.kind == "boolean":
        assert values == [True, False]
    elif spec.kind in ("choice", "list"):
        assert sorted(values) == sorted(spec.choices) and len(values) == len(spec.choices)
        assert all(isinstance(value, str) for value in values)
    else:
        assert values == []
        assert question.unit in ("months", "cny", "count") and question.example is not None
    for lang in LANGS:
        assert question.text.get(lang).strip() and question.help.get(lang).strip()
        labels = [choice.label.get(lang) for choice in question.choices]
        assert len(labels) == len(set(labels)), f"two choices of {attribute} share the label in {lang}"
        assert all(choice.meaning.get(lang).strip() for choice in question.choices)


def test_chinese_texts_are_chinese():
    for question in QUESTIONS.questions:
        assert any("\u4e00" <= char <= "\u9fff" for char in question.text.zh), question.attribute
        assert not any("\u4e00" <= char <= "\u9fff" for char in question.text.en), question.attribute


def test_orders_are_unique_and_the_set_is_sorted_by_them():
    orders = [question.order for question in QUESTIONS.questions]
    assert len(orders) == len(set(orders))
    assert orders == sorted(orders)


def test_ask_if_names_attributes_and_their_values():
    conditional = {q.attribute: q.ask_if for q in QUESTIONS.questions if q.ask_if}
    assert conditional["foreign_controlled_fund"] == {"foreign_partner": [True]}
    for attribute, conditions in conditional.items():
        for other, values in conditions.items():
            spec = ATTRIBUTES[other]
            allowed = [True, False] if spec.kind == "boolean" else list(spec.choices)
            assert values and all(value in allowed for value in values), (attribute, other)


def test_applies_only_while_the_condition_may_hold():
    fund = QUESTIONS.get("foreign_controlled_fund")
    assert fund.applies({})
    assert fund.applies({"foreign_partner": True})
    assert not fund.applies({"foreign_partner": False})


def test_questions_serialise_to_json_for_the_http_api():
    data = json.loads(QUESTIONS.model_dump_json())
    assert [entry["attribute"] for entry in data["questions"]] == [q.attribute for q in QUESTIONS.questions]
    assert data["questions"][0]["text"]["zh"]


def test_the_knowledge_loader_does_not_read_the_questionnaire():
    assert load_knowledge(default_knowledge_dir()).modes  # questions.yml would fail its schema


def _broken_copy(tmp_path: Path, edit) -> Path:
    directory = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), directory)
    data = yaml.safe_load((directory / "questions.yml").read_text(encoding="utf-8"))
    edit(data["questions"])
    (directory / "questions.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return directory


def _by_attribute(questions: list[dict], attribute: str) -> dict:
    return next(entry for entry in questions if entry["attribute"] == attribute)


@pytest.mark.parametrize(
    ("edit", "attribute", "words"),
    [
        (lambda qs: qs.remove(_by_attribute(qs, "sector")), "sector", "no question asks"),
        (lambda qs: qs.append(dict(_by_attribute(qs, "scope"), order=999)), "scope", "asked twice"),
        (lambda qs: _by_attribute(qs, "scope")["choices"].pop(), "scope", "choices must be exactly"),
        (
            lambda qs: _by_attribute(qs, "foreign_partner")["choices"][0].update(value="yes"),
            "foreign_partner",
            "choices must be exactly",
        ),
        (lambda qs: _by_attribute(qs, "duration_months").update(kind="number"), "duration_months", "kind is 'number'"),
        (lambda qs: _by_attribute(qs, "funding_cny").pop("unit"), "funding_cny", "needs a unit"),
        (lambda qs: _by_attribute(qs, "sector").update(ask_if={"foreign_partner": ["maybe"]}), "sector", "ask_if"),
        (lambda qs: _by_attribute(qs, "sector").update(attribute="industry"), "industry", "not a profile attribute"),
    ],
    ids=[
        "missing",
        "duplicate",
        "missing-choice",
        "bad-boolean-value",
        "wrong-kind",
        "no-unit",
        "bad-ask-if",
        "unknown",
    ],
)
def test_a_broken_questionnaire_is_refused_naming_the_attribute(tmp_path, edit, attribute, words):
    directory = _broken_copy(tmp_path, edit)
    with pytest.raises(RulePackError) as caught:
        load_questions(directory)
    described = [problem.describe() for problem in caught.value.problems]
    assert any(f"[{attribute}]" in line and words in line for line in described), described


def test_a_missing_chinese_text_is_refused(tmp_path):
    directory = _broken_copy(tmp_path, lambda qs: _by_attribute(qs, "scope")["text"].pop("zh"))
    with pytest.raises(RulePackError) as caught:
        load_questions(directory)
    assert "zh" in str(caught.value)


def test_a_missing_questionnaire_is_refused(tmp_path):
    with pytest.raises(RulePackError, match="questionnaire file is missing"):
        load_questions(tmp_path)


# -- the questionnaire is part of the pack: `validate` checks it, `ask` reads it from --knowledge -----


def _knowledge_copy(tmp_path: Path, edit) -> Path:
    directory = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), directory)
    path = directory / "questions.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data["questions"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory


def test_validate_fails_on_a_questionnaire_naming_an_unknown_attribute(tmp_path):
    from click.testing import CliRunner

    from advisor.cli import cli
    from advisor.options import EXIT_PACK

    def misspell(questions):
        _by_attribute(questions, "duration_months")["attribute"] = "duration_monthz"

    directory = _knowledge_copy(tmp_path, misspell)
    result = CliRunner().invoke(cli, ["validate", "--knowledge", str(directory)])
    assert result.exit_code == EXIT_PACK, result.output
    assert "questions.yml" in result.output and "duration_monthz" in result.output
    assert "not a profile attribute" in result.output
    assert "no question asks for this profile attribute" in result.output  # duration_months now unasked
    shipped = CliRunner().invoke(cli, ["validate"])
    assert shipped.exit_code == 0, shipped.output


def test_ask_reads_the_questions_of_its_knowledge_directory(tmp_path):
    import subprocess
    import sys

    def mark(questions):
        for question in questions:
            question["text"]["zh"] = "【自定】" + question["text"]["zh"]

    directory = _knowledge_copy(tmp_path, mark)
    # q: stop at once and see the advice, whose questions still worth asking are worded by the questionnaire
    result = subprocess.run(
        [sys.executable, "-m", "advisor", "ask", "--lang", "zh", "--knowledge", str(directory)],
        input="q\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    asked, _, report = result.stdout.partition("已按您的要求结束提问。")
    assert "第 1 题  【自定】" in asked
    listed = [line for line in report.splitlines() if line.lstrip().startswith("? ")]
    assert listed and all("【自定】" in line for line in listed), report
