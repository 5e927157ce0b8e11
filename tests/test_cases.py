"""The documented cases: the shipped set validates, and a bad case file gets a precise message."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from advisor.cases import MODE_CODES, CaseFileError, default_cases_dir, load_cases
from advisor.cli import cli
from advisor.errors import InputError

RULES = Path(__file__).resolve().parents[1] / "rules"
GOOD = {
    "id": "tt-example-licence",
    "name": {"en": "An institute licenses a patent", "zh": "某研究所许可专利"},
    "parties": {"institutions": ["Example Institute"], "enterprises": ["Example Co."]},
    "years": "2016",
    "region": "China · Hunan",
    "mode": "technology_transfer",
    "confidence": "high",
    "evidence": "The institute licensed its patent to the company for a fee.",
    "sources": [{"url": "https://example.org/news/1", "title": "News"}],
    "profile": {"existing_result": True, "enterprise_count": 1, "institution_count": 1},
}


def write(folder: Path, name: str, data) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_set_validates_and_covers_every_mode():
    cases = load_cases()
    assert len(cases) >= 60
    by_mode = Counter(case.mode for case in cases)
    assert set(by_mode) == set(MODE_CODES)
    assert min(by_mode.values()) >= 5
    assert any(case.region == "China · Hunan" for case in cases)
    assert any(not case.region.startswith("China") for case in cases)


def test_every_shipped_case_names_its_mode_in_its_id_and_file():
    for path in sorted(default_cases_dir().glob("*.yml")):
        (case,) = load_cases(path)
        assert path.stem == case.id
        assert case.id.startswith(MODE_CODES[case.mode] + "-")
        assert all(source.url.startswith(("http://", "https://")) for source in case.sources)


def test_a_good_case_loads(tmp_path):
    write(tmp_path, "a.yml", GOOD)
    (case,) = load_cases(tmp_path)
    assert case.mode == "technology_transfer"
    assert case.known() == {"existing_result": True, "enterprise_count": 1, "institution_count": 1}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"mode": None},
            "[tt-example-licence]: mode: not an allowed value (got None); allowed: one of strategic_alliance",
        ),
        ({"profile": {"existing_results": True}}, "profile.existing_results: unknown field; allowed: the attributes"),
        (
            {"profile": {"enterprise_size": "huge"}},
            "profile.enterprise_size: not an allowed value (got 'huge'); allowed: one of large",
        ),
        ({"profile": {"institution_count": 0}}, "profile.institution_count:"),
        (
            {"mode": "technology_equity"},
            "id: the prefix 'tt' does not name the mode technology_equity (got 'tt-example-licence')",
        ),
        ({"sources": []}, "sources: too short or empty"),
        ({"sources": [{"url": "https://example.org/1"}]}, "sources.0: give the page's title, or for a page that"),
        (
            {"sources": [{"url": "https://example.org/1", "title": "News", "described": {"en": "A", "zh": "甲"}}]},
            "sources.0: give the page's title, or for a page that shows none `described: {en, zh}`",
        ),
        ({"sources": [{"url": "https://example.org/1", "described": {"en": "A"}}]}, "sources.0.described.zh: missing"),
        ({"confidence": "low"}, "confidence: not an allowed value (got 'low'); allowed: high or medium"),
    ],
)
def test_a_bad_case_names_file_case_field_value_and_allowed(tmp_path, change, expected):
    data = {**GOOD, **change}
    if change.get("mode", "x") is None:
        del data["mode"]
        expected = "[tt-example-licence]: mode: missing"
    write(tmp_path, "bad.yml", data)
    with pytest.raises(CaseFileError) as error:
        load_cases(tmp_path)
    assert "bad.yml" in str(error.value)
    assert expected in str(error.value)


def test_a_source_without_a_title_is_described_in_each_language():
    """A page whose stored copy shows no title is described in our words, in English and Chinese,
    and marked as ours; a page's own title is shown as it is in either language."""
    from advisor.cases import CaseSource

    described = CaseSource(url="https://example.org/1", described={"en": "Report on X", "zh": "关于 X 的报道"})
    assert described.shown("en") == "Report on X (page title not shown in the stored copy)"
    assert described.shown("zh") == "关于 X 的报道（存档页面未显示标题）"
    titled = CaseSource(url="https://example.org/1", title="Patent Fights")
    assert titled.shown("en") == titled.shown("zh") == "Patent Fights"


def test_a_duplicate_id_is_reported_with_both_files(tmp_path):
    write(tmp_path, "a.yml", GOOD)
    write(tmp_path, "b.yml", GOOD)
    with pytest.raises(CaseFileError, match=r"b\.yml \[tt-example-licence\]: id: duplicate id \(also in .*a\.yml\)"):
        load_cases(tmp_path)


def test_an_empty_file_says_so(tmp_path):
    path = tmp_path / "empty.yml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="no cases found"):
        load_cases(path)


@pytest.mark.parametrize("command", ["evaluate", "diff"])
def test_the_cli_exits_3_on_a_bad_case_file(tmp_path, command):
    write(tmp_path, "bad.yml", {**GOOD, "profile": {"enterprise_count": -1}})
    args = [command, str(tmp_path)] if command == "evaluate" else [command, "--base-rules", str(RULES), str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3, result.output
    assert "bad.yml [tt-example-licence]: profile.enterprise_count: out of range (got -1)" in result.stderr
    assert "Traceback" not in result.output


def test_evaluate_on_an_empty_file_says_so(tmp_path):
    (tmp_path / "none.yml").write_text("cases: []\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", str(tmp_path / "none.yml")])
    assert result.exit_code == 3
    assert "no cases found" in result.stderr
