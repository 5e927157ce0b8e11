"""The knowledge base: complete, consistent, and traceable to the source passage by passage."""

from __future__ import annotations

import re
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


# -- the citations in Chinese: every passage translated, one rendering per English text ---------

CITATIONS = [(record, citation) for record in RECORDS for citation in record.citations]
HAN = re.compile(r"[\u4e00-\u9fff]")
#: Half-width punctuation a Chinese sentence writes full-width (，；：（）“”？！……).
HALF_WIDTH = re.compile(r"[,;:()\"'?!]|\.\.\.|(?<![0-9])\.(?![0-9])")


def test_every_citation_has_its_chinese_section_and_quote():
    assert len(CITATIONS) == 91
    missing = [(record.id, c.quote) for record, c in CITATIONS if not (c.section_zh and c.quote_zh)]
    assert missing == []
    for record, citation in CITATIONS:
        for text in (citation.section_zh, citation.quote_zh):
            assert HAN.search(text), (record.id, text)
            assert not HALF_WIDTH.search(text), (record.id, text)
        assert citation.quote_zh != citation.quote


def test_an_english_passage_reads_the_same_in_chinese_wherever_it_is_cited():
    sections: dict[str, set[str]] = {}
    quotes: dict[str, set[str]] = {}
    for _, citation in CITATIONS:
        sections.setdefault(citation.section, set()).add(citation.section_zh)
        quotes.setdefault(normalise_space(citation.quote), set()).add(citation.quote_zh)
    assert {name: zh for name, zh in sections.items() if len(zh) > 1} == {}
    assert {quote: zh for quote, zh in quotes.items() if len(zh) > 1} == {}
    # one title of the source in one Chinese wording: its parts translate alike in every title
    parts: dict[str, set[str]] = {}
    for section, (chinese,) in sections.items():
        english, translated = section.split(" — "), chinese.split(" — ")
        assert len(english) == len(translated), section
        for part, zh in zip(english, translated, strict=True):
            parts.setdefault(part, set()).add(zh)
    assert {part: zh for part, zh in parts.items() if len(zh) > 1} == {}


def test_a_mode_section_is_titled_with_the_modes_chinese_name():
    english = {
        "Strategic Alliance Mode": "strategic_alliance",
        "Strategic Cooperation Mode": "strategic_cooperation",
        "Politics-Production-Development-Research Cooperation Mode": "government_mediated",
        "University-Enterprise Program Cooperation Mode": "program_cooperation",
        "University-Run Enterprises Mode": "university_enterprise",
        "Technology Transfer Mode": "technology_transfer",
        "Technology Equity Mode": "technology_equity",
        "Technology Service Mode": "technology_service",
    }
    for _, citation in CITATIONS:
        head, _, title = citation.section.partition(" — ")
        if head == "Modes of cooperation":
            assert citation.section_zh == f"合作模式 — {MODE_IDS[english[title]]}模式", citation.section


def test_a_citation_without_its_chinese_is_a_validate_warning_naming_file_id_and_citation(tmp_path):
    from advisor.lint import lint_pack

    knowledge = _knowledge_with(tmp_path, EXTRA.format(name="{en: Extra, zh: 额外}", action="{en: Do., zh: 做。}"))
    shown = [problem.describe() for problem in lint_pack(knowledge_dir=knowledge).warnings]
    for field in ("citations[1].section", "citations[1].quote"):
        assert any(f"mitigations.yml [extra_mitigation]: {field} has no 'zh' text" in line for line in shown), shown
    assert not any("[extra_mitigation]: name" in line for line in shown)
    # the shipped knowledge has no such warning
    shipped = lint_pack(knowledge_dir=default_knowledge_dir()).warnings
    assert [p.describe() for p in shipped if "has no 'zh' text" in p.describe()] == []
