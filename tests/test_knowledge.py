"""The knowledge base: complete, consistent, and traceable to the source passage by passage."""

from __future__ import annotations

import pytest

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
