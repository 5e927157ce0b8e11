"""`advisor diff`: two rule packs over proposals or cases, and what changes between them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from advisor.cli import cli
from advisor.core import Advisor
from advisor.pack_diff import diff_packs, load_items

ROOT = Path(__file__).resolve().parents[1]
PROPOSALS = (
    "id,title,expected_mode,existing_result,funding_sources,scope,enterprise_can_industrialize\n"
    "p1,sale,technology_transfer,true,enterprise,single_program,true\n"
    "p2,contract,program_cooperation,false,enterprise,single_program,\n"
    "p3,bad,technology_transfer,maybe,enterprise,single_program,\n"
    "p4,unknown mode,selling,true,enterprise,single_program,\n"
)


@pytest.fixture(scope="module")
def weaker_pack(tmp_path_factory):
    """The shipped pack without TT007 (an enterprise paying for a finished result)."""
    folder = tmp_path_factory.mktemp("pack") / "rules"
    shutil.copytree(ROOT / "rules", folder)
    path = folder / "technology_transfer.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["rules"] = [rule for rule in data["rules"] if rule["id"] != "TT007"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def test_load_items_reads_proposals_and_reports_bad_rows(tmp_path):
    path = tmp_path / "proposals.csv"
    path.write_text(PROPOSALS, encoding="utf-8")
    items, rejected = load_items(str(path))
    assert [(i.id, i.expected) for i in items] == [("p1", "technology_transfer"), ("p2", "program_cooperation")]
    assert [r.where for r in rejected] == ["row 4", "row 5"]
    assert "existing_result" in rejected[0].message and "'maybe'" in rejected[0].message
    assert "expected_mode: not a mode (got 'selling')" in rejected[1].message


def test_load_items_refuses_the_rows_batch_refuses(tmp_path):
    # The same row validator as `advisor batch`: an empty row is left out with the same reason,
    # not compared as an empty profile; the cells are read with the same vocabulary.
    from advisor.batch import BatchOptions, run_batch
    from advisor.core import default_advisor

    path = tmp_path / "proposals.csv"
    path.write_text("id,enterprise_size,existing_result\nP1,大型企业,是\n,,\nP3,small,maybe\n", encoding="utf-8")
    items, rejected = load_items(str(path))
    assert [item.id for item in items] == ["P1"]
    assert items[0].profile.known() == {"enterprise_size": "large", "existing_result": True}
    assert [r.where for r in rejected] == ["row 3", "row 4"]
    assert "the row is empty" in rejected[0].message
    errors = tmp_path / "errors.csv"
    options = BatchOptions(str(path), "csv", str(tmp_path / "out.csv"), "csv", str(errors), "csv")
    run_batch(default_advisor(), options)
    batch_rejected = [line.split(",")[0] for line in errors.read_text(encoding="utf-8-sig").splitlines()[1:]]
    assert batch_rejected == ["3", "4"]


def test_same_pack_changes_nothing(shipped):
    items, _ = load_items(str(ROOT / "evaluation" / "cases"))
    diff = diff_packs(shipped, shipped, items)
    assert diff.flips() == {} and diff.decision_changes() == {} and diff.rule_changes() == []
    accuracy = diff.accuracy()
    assert accuracy["top1_before"] == accuracy["top1_after"]


def test_removing_a_rule_shows_its_flips_and_firings(shipped, weaker_pack, tmp_path):
    path = tmp_path / "proposals.csv"
    path.write_text(PROPOSALS, encoding="utf-8")
    items, rejected = load_items(str(path))
    diff = diff_packs(Advisor(rules_dir=weaker_pack), shipped, items, rejected)
    fired_new = sum("TT007" in r.fired for r in diff.after)
    assert fired_new == 1
    assert ("TT007", 0, 1) in diff.rule_changes()
    before = {r.case_id: r.leader for r in diff.before}
    after = {r.case_id: r.leader for r in diff.after}
    expected_flips = {(before[i], after[i]) for i in before if before[i] != after[i]}
    assert set(diff.flips()) == expected_flips
    assert len(diff.rejected) == 2


def test_diff_cli_on_cases_json(weaker_pack):
    result = CliRunner().invoke(
        cli, ["diff", "--base-rules", str(weaker_pack), str(ROOT / "evaluation" / "cases"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    changes = {row["rule"]: row for row in data["rule_firing_changes"]}
    assert changes["TT007"]["before"] == 0 and changes["TT007"]["after"] > 0
    assert data["accuracy"]["items"] == data["items"]
    for flip in data["leader_flips"]:
        assert flip["count"] == len(flip["ids"])


def test_diff_cli_text_on_proposals(weaker_pack, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(PROPOSALS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["diff", "--base-rules", str(weaker_pack), str(path)])
    assert result.exit_code == 0, result.output
    assert "Rules whose firing count changed most" in result.stdout
    assert "TT007: 0 -> 1 (+1)" in result.stdout
    assert "row 4:" in result.stdout and "row 5:" in result.stdout


def test_diff_cli_needs_base_rules(tmp_path):
    result = CliRunner().invoke(cli, ["diff", str(tmp_path)])
    assert result.exit_code == 2
    assert "--base-rules" in result.stderr


def test_diff_leaves_out_unknown_columns_when_asked(tmp_path):
    path = tmp_path / "proposals.csv"
    path.write_text("id,enterprise_size,地区\nP1,large,长沙\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["diff", "--base-rules", str(ROOT / "rules"), str(path)])
    assert refused.exit_code == 3 and "--ignore-unknown-columns" in refused.stderr
    result = CliRunner().invoke(
        cli, ["diff", "--base-rules", str(ROOT / "rules"), str(path), "--ignore-unknown-columns"]
    )
    assert result.exit_code == 0, result.output
    assert "on 1 item" in result.stdout
