"""The knowledge base: complete, consistent, and traceable to the source passage by passage."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.errors import RulePackError
from advisor.knowledge import load_knowledge, normalise_space
from advisor.paths import default_knowledge_dir

KB = load_knowledge(default_knowledge_dir())
RECORDS = [record for table in (KB.modes, KB.difficulties, KB.mitigations, KB.context) for record in table.values()]

MODE_IDS = {
    "strategic_alliance": "战略联盟",
    "strategic_cooperation": "战略合作",
    "government_mediated": "政产学研合作",
    "program_cooperation": "校企项目合作",
    "university_enterprise": "校办企业",
    "technology_transfer": "技术转让",
    "technology_equity": "技术入股",
    "technology_service": "技术服务",
}
# The difficulties the source documents (Difficulties, the Sino-British difficulties, and the
# weaknesses it names for single modes).
DIFFICULTY_IDS = {
    "pilot_funding_gap",
    "value_orientation_conflict",
    "alliance_without_substance",
    "enterprise_inactive",
    "early_ipr_awareness",
    "tax_and_thin_government_input",
    "st_funds_hard_to_get",
    "transformed_institution_funding",
    "talent_instability",
    "intl_government_only_funding",
    "intl_foreign_controlled_fund",
    "intl_weak_continuity",
    "equity_university_inferior_later",
    "service_low_technology",
    "program_single_project_lifetime",
}
# Experience (five items), the government-mediated and transfer feature analyses, and the
# spirit of international cooperation (five items).
MITIGATION_IDS = {
    "stimulate_enterprise_enthusiasm",
    "protect_teacher_ipr",
    "integrate_discipline_industry_chains",
    "increase_researcher_rewards",
    "rd_centre_in_large_enterprise",
    "use_government_platform",
    "enterprise_as_pilot_base",
    "equality",
    "mutual_benefit",
    "achievement_sharing",
    "ipr_protection",
    "international_practice",
}


def test_the_eight_modes_with_their_chinese_names():
    assert {mode_id: mode.name_zh for mode_id, mode in KB.modes.items()} == MODE_IDS


def test_every_documented_difficulty_and_mitigation_is_there():
    assert set(KB.difficulties) == DIFFICULTY_IDS
    assert set(KB.mitigations) == MITIGATION_IDS


def test_international_forms_and_priority_fields():
    kinds = {}
    for entry in KB.context.values():
        kinds.setdefault(entry.kind, set()).add(entry.id)
    assert kinds["international_form"] == {
        "intl_governmental",
        "intl_non_governmental",
        "intl_bilateral",
        "intl_multilateral",
    }
    assert {"field_electric_vehicles", "field_wind_power", "field_solar", "field_biotechnology"} <= kinds[
        "priority_field"
    ]


@pytest.mark.parametrize("mode", list(KB.modes.values()), ids=list(KB.modes))
def test_modes_have_every_section(mode):
    assert mode.representation.strip() and mode.features.strip()
    assert mode.suits and mode.strengths and mode.citations


def test_modes_name_their_legal_instrument_where_chinese_law_has_one():
    for mode_id in ("program_cooperation", "technology_transfer", "technology_equity", "technology_service"):
        assert KB.modes[mode_id].legal_instruments, mode_id


@pytest.mark.parametrize("record", RECORDS, ids=[record.id for record in RECORDS])
def test_every_quote_is_verbatim_in_its_source(record):
    for citation in record.citations:
        source = KB.sources[citation.source]
        if source.file is None:
            assert source.reference, f"{citation.source} has neither a file nor a reference"
            continue
        text = normalise_space(KB.source_text(citation.source) or "")
        assert normalise_space(citation.quote) in text, f"{record.id}: quote not in {source.file}: {citation.quote!r}"


def test_every_difficulty_has_mitigations_that_exist():
    for difficulty in KB.difficulties.values():
        assert difficulty.mitigations
        assert set(difficulty.mitigations) <= set(KB.mitigations)


def test_ids_are_unique_across_tables():
    ids = [record.id for record in RECORDS]
    assert len(ids) == len(set(ids))


# -- texts in every language (issue 10: a language is data) ---------------------------------


def _knowledge_with(tmp_path, mitigation_yaml: str):
    import shutil

    from advisor.paths import default_knowledge_dir

    target = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), target)
    path = target / "mitigations.yml"
    path.write_text(path.read_text("utf-8") + mitigation_yaml, encoding="utf-8")
    return target


EXTRA = """
- id: extra_mitigation
  name: {name}
  action: {action}
  citations:
  - section: Experience
    quote: strengthen the incubation of high-tech
"""


def test_knowledge_texts_are_written_once_per_language():
    base = load_knowledge(default_knowledge_dir())
    raw = (Path(default_knowledge_dir()) / "modes.yml").read_text("utf-8")
    assert "name_zh:" not in raw and "\n    zh: 战略联盟\n" in raw
    assert base.modes["technology_transfer"].name_zh == "技术转让"
    for mode in base.modes.values():
        assert all(instrument.note_zh for instrument in mode.legal_instruments if instrument.note), mode.id


def test_a_record_without_its_chinese_text_is_a_validate_warning_naming_file_and_id(tmp_path):
    from advisor.lint import lint_pack

    knowledge = _knowledge_with(tmp_path, EXTRA.format(name="{en: Extra}", action="{en: Do more., zh: 多做。}"))
    report = lint_pack(knowledge_dir=knowledge)
    shown = [problem.describe() for problem in report.warnings]
    assert any("mitigations.yml [extra_mitigation]: name has no 'zh' text" in line for line in shown), shown
    assert not any("action" in line for line in shown)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("{en: Extra, fr: Plus}", "unknown language fr; allowed: en, zh"),
        ("{zh: 额外}", "name has no 'en' text"),
    ],
)
def test_a_text_in_an_unknown_language_or_without_english_is_refused(tmp_path, name, message):
    knowledge = _knowledge_with(tmp_path, EXTRA.format(name=name, action="Do more."))
    with pytest.raises(RulePackError) as caught:
        load_knowledge(knowledge)
    shown = "\n".join(problem.describe() for problem in caught.value.problems)
    assert "mitigations.yml" in shown and message in shown, shown
