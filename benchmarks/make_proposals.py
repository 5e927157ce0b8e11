"""Generate realistic random cooperation-proposal files for `advisor batch` (seeded, reproducible).

    python benchmarks/make_proposals.py 1000000 -o /tmp/proposals.csv
    python benchmarks/make_proposals.py 200 -o demo.csv --bad-fraction 0.05
    python benchmarks/make_proposals.py 500 -o demo.xlsx --all-attributes

Each proposal is drawn from one of eight archetypes (one per cooperation mode, with the values
a proposal of that kind usually has), then roughened the way real spreadsheets are: some cells
left empty, some values off-pattern. The default columns are the 16 a department's intake form
typically has (id, title and 14 attributes); --all-attributes writes every profile attribute.
--bad-fraction mixes in rows a clerk would get wrong (typos in values, text in number columns,
out-of-range numbers, a formula-looking title).

NOTE: stdlib only (plus openpyxl for .xlsx), and no import of the advisor: the generator must
not share code, and so mistakes, with what it feeds.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The profile's value sets (docs: /work/shared/design/product-brief.md, "The partnership profile").
CHOICES: dict[str, tuple[str, ...]] = {
    "funding_sources": ("enterprise", "government", "university", "investor", "foreign"),
    "enterprise_size": ("large", "medium", "small", "none"),
    "enterprise_engagement": ("active", "passive"),
    "university_discipline_strength": ("leading", "competitive", "ordinary"),
    "researcher_incentives": ("below_enterprise", "comparable"),
    "scope": ("single_problem", "single_program", "multi_program"),
    "disciplines": ("single", "multi"),
    "research_stages": ("fundamental", "applied", "pilot", "production", "market"),
    "technology_level": ("high", "conventional", "low"),
    "university_contribution": ("guidance_service", "commissioned_research"),
    "ip_owner": ("enterprise", "university", "joint", "undecided"),
    "ipr_sensitivity": ("low", "medium", "high"),
    "government_roles": ("funder", "mediator", "policy"),
    "university_goal": ("public_interest", "academic", "commercial"),
    "risk_sharing": ("low", "medium", "high"),
    "international_channel": ("governmental", "non_governmental"),
    "international_parties": ("bilateral", "multilateral"),
    "sector": (
        "electric_vehicles",
        "wind_power",
        "solar",
        "new_materials",
        "biotechnology",
        "information_technology",
        "healthcare",
        "agriculture",
        "manufacturing",
        "other",
    ),
}
LISTS = ("funding_sources", "research_stages", "government_roles")
BOOLEANS = (
    "pilot_funding_secured",
    "enterprise_can_industrialize",
    "institution_transformed",
    "existing_result",
    "ipr_agreement",
    "university_takes_equity",
    "university_commercializes",
    "joint_entity",
    "foreign_partner",
    "foreign_controlled_fund",
)
# How many of each party may sign (the profile's bounds).
COUNTS = {"enterprise_count": (0, 100_000), "institution_count": (1, 100_000)}
ALL_ATTRIBUTES = (
    "duration_months",
    "funding_cny",
    "funding_sources",
    "enterprise_count",
    "institution_count",
    "pilot_funding_secured",
    "enterprise_size",
    "enterprise_engagement",
    "enterprise_can_industrialize",
    "university_discipline_strength",
    "institution_transformed",
    "researcher_incentives",
    "scope",
    "disciplines",
    "research_stages",
    "technology_level",
    "existing_result",
    "university_contribution",
    "ip_owner",
    "ipr_sensitivity",
    "ipr_agreement",
    "university_takes_equity",
    "university_commercializes",
    "joint_entity",
    "government_roles",
    "university_goal",
    "risk_sharing",
    "foreign_partner",
    "international_channel",
    "international_parties",
    "foreign_controlled_fund",
    "sector",
)
# The 14 attributes of a typical intake form: the ones the rules read most.
FORM_ATTRIBUTES = (
    "duration_months",
    "funding_cny",
    "funding_sources",
    "enterprise_size",
    "enterprise_can_industrialize",
    "university_discipline_strength",
    "scope",
    "research_stages",
    "technology_level",
    "existing_result",
    "ip_owner",
    "university_takes_equity",
    "government_roles",
    "sector",
)

# Per archetype: attribute -> weighted options. A list attribute's options are lists.
# Durations in months and funding in CNY are (low, high) ranges, drawn log-uniformly for money.
ARCHETYPES: dict[str, dict[str, Any]] = {
    "strategic_alliance": {
        "duration_months": (36, 120),
        "funding_cny": (5e6, 2e8),
        "funding_sources": [
            (["enterprise", "government"], 5),
            (["enterprise"], 3),
            (["enterprise", "government", "university"], 2),
        ],
        "enterprise_size": [("large", 9), ("medium", 1)],
        "enterprise_engagement": [("active", 8), ("passive", 2)],
        "enterprise_can_industrialize": [(True, 8), (False, 2)],
        "university_discipline_strength": [("leading", 6), ("competitive", 4)],
        "scope": [("multi_program", 9), ("single_program", 1)],
        "disciplines": [("multi", 8), ("single", 2)],
        "research_stages": [
            (["applied", "pilot", "production", "market"], 5),
            (["fundamental", "applied", "pilot"], 3),
            (["applied", "pilot"], 2),
        ],
        "technology_level": [("high", 8), ("conventional", 2)],
        "existing_result": [(False, 6), (True, 4)],
        "ip_owner": [("joint", 7), ("undecided", 3)],
        "university_takes_equity": [(False, 7), (True, 3)],
        "government_roles": [(["funder", "policy"], 5), (["policy"], 3), ([], 2)],
        "joint_entity": [(True, 8), (False, 2)],
        "sector": [
            ("electric_vehicles", 3),
            ("wind_power", 2),
            ("solar", 2),
            ("new_materials", 2),
            ("manufacturing", 1),
        ],
    },
    "strategic_cooperation": {
        "duration_months": (24, 96),
        "funding_cny": (2e6, 5e7),
        "funding_sources": [(["enterprise"], 6), (["enterprise", "government"], 4)],
        "enterprise_size": [("large", 7), ("medium", 3)],
        "enterprise_engagement": [("active", 7), ("passive", 3)],
        "enterprise_can_industrialize": [(True, 7), (False, 3)],
        "university_discipline_strength": [("leading", 4), ("competitive", 5), ("ordinary", 1)],
        "scope": [("multi_program", 7), ("single_program", 3)],
        "disciplines": [("multi", 6), ("single", 4)],
        "research_stages": [(["applied", "pilot", "production"], 6), (["applied", "pilot"], 4)],
        "technology_level": [("high", 5), ("conventional", 5)],
        "existing_result": [(False, 7), (True, 3)],
        "ip_owner": [("joint", 6), ("enterprise", 4)],
        "university_takes_equity": [(False, 9), (True, 1)],
        "government_roles": [([], 6), (["policy"], 4)],
        "joint_entity": [(True, 6), (False, 4)],
        "sector": [("manufacturing", 3), ("new_materials", 3), ("information_technology", 2), ("other", 2)],
    },
    "government_mediated": {
        "duration_months": (12, 60),
        "funding_cny": (1e6, 3e7),
        "funding_sources": [(["government", "enterprise"], 6), (["government"], 4)],
        "enterprise_size": [("medium", 5), ("small", 4), ("large", 1)],
        "enterprise_engagement": [("passive", 6), ("active", 4)],
        "enterprise_can_industrialize": [(False, 5), (True, 5)],
        "university_discipline_strength": [("competitive", 6), ("ordinary", 4)],
        "scope": [("single_program", 6), ("multi_program", 4)],
        "disciplines": [("single", 5), ("multi", 5)],
        "research_stages": [(["applied", "pilot"], 6), (["applied"], 4)],
        "technology_level": [("conventional", 6), ("high", 4)],
        "existing_result": [(False, 7), (True, 3)],
        "ip_owner": [("undecided", 5), ("joint", 5)],
        "university_takes_equity": [(False, 9), (True, 1)],
        "government_roles": [(["mediator", "funder"], 6), (["mediator"], 3), (["mediator", "policy", "funder"], 1)],
        "sector": [("agriculture", 3), ("healthcare", 2), ("new_materials", 2), ("other", 3)],
    },
    "program_cooperation": {
        "duration_months": (6, 36),
        "funding_cny": (2e5, 5e6),
        "funding_sources": [(["enterprise"], 8), (["enterprise", "university"], 2)],
        "enterprise_size": [("medium", 5), ("small", 3), ("large", 2)],
        "enterprise_engagement": [("active", 8), ("passive", 2)],
        "enterprise_can_industrialize": [(True, 6), (False, 4)],
        "university_discipline_strength": [("competitive", 6), ("leading", 2), ("ordinary", 2)],
        "scope": [("single_program", 9), ("single_problem", 1)],
        "disciplines": [("single", 8), ("multi", 2)],
        "research_stages": [(["applied", "pilot"], 6), (["applied"], 4)],
        "technology_level": [("conventional", 6), ("high", 4)],
        "existing_result": [(False, 8), (True, 2)],
        "university_contribution": [("commissioned_research", 9), ("guidance_service", 1)],
        "ip_owner": [("enterprise", 6), ("joint", 4)],
        "university_takes_equity": [(False, 9), (True, 1)],
        "government_roles": [([], 8), (["policy"], 2)],
        "sector": [("manufacturing", 4), ("information_technology", 3), ("new_materials", 2), ("other", 1)],
    },
    "university_enterprise": {
        "duration_months": (24, 120),
        "funding_cny": (1e6, 2e7),
        "funding_sources": [(["university"], 5), (["university", "investor"], 5)],
        "enterprise_size": [("none", 8), ("small", 2)],
        "enterprise_engagement": [("active", 5), ("passive", 5)],
        "enterprise_can_industrialize": [(False, 7), (True, 3)],
        "university_discipline_strength": [("leading", 5), ("competitive", 5)],
        "scope": [("single_program", 5), ("multi_program", 5)],
        "disciplines": [("single", 6), ("multi", 4)],
        "research_stages": [(["applied", "pilot", "production", "market"], 7), (["pilot", "production"], 3)],
        "technology_level": [("high", 7), ("conventional", 3)],
        "existing_result": [(True, 8), (False, 2)],
        "ip_owner": [("university", 9), ("joint", 1)],
        "university_takes_equity": [(True, 5), (False, 5)],
        "university_commercializes": [(True, 9), (False, 1)],
        "government_roles": [([], 6), (["policy"], 4)],
        "sector": [("information_technology", 3), ("biotechnology", 3), ("new_materials", 2), ("healthcare", 2)],
    },
    "technology_transfer": {
        "duration_months": (3, 24),
        "funding_cny": (1e5, 1e7),
        "funding_sources": [(["enterprise"], 9), (["enterprise", "investor"], 1)],
        "enterprise_size": [("large", 5), ("medium", 4), ("small", 1)],
        "enterprise_engagement": [("active", 8), ("passive", 2)],
        "enterprise_can_industrialize": [(True, 9), (False, 1)],
        "university_discipline_strength": [("competitive", 5), ("leading", 3), ("ordinary", 2)],
        "scope": [("single_program", 6), ("single_problem", 4)],
        "disciplines": [("single", 8), ("multi", 2)],
        "research_stages": [(["pilot", "production", "market"], 6), (["production", "market"], 4)],
        "technology_level": [("conventional", 5), ("high", 5)],
        "existing_result": [(True, 9), (False, 1)],
        "ip_owner": [("enterprise", 8), ("joint", 2)],
        "university_takes_equity": [(False, 9), (True, 1)],
        "government_roles": [([], 9), (["policy"], 1)],
        "sector": [("manufacturing", 4), ("new_materials", 2), ("agriculture", 2), ("other", 2)],
    },
    "technology_equity": {
        "duration_months": (24, 96),
        "funding_cny": (1e6, 5e7),
        "funding_sources": [(["enterprise", "investor"], 7), (["investor"], 3)],
        "enterprise_size": [("small", 5), ("medium", 5)],
        "enterprise_engagement": [("active", 7), ("passive", 3)],
        "enterprise_can_industrialize": [(True, 6), (False, 4)],
        "university_discipline_strength": [("leading", 5), ("competitive", 5)],
        "scope": [("single_program", 8), ("multi_program", 2)],
        "disciplines": [("single", 7), ("multi", 3)],
        "research_stages": [(["pilot", "production", "market"], 7), (["applied", "pilot", "production"], 3)],
        "technology_level": [("high", 9), ("conventional", 1)],
        "existing_result": [(True, 9), (False, 1)],
        "ip_owner": [("joint", 6), ("enterprise", 4)],
        "university_takes_equity": [(True, 9), (False, 1)],
        "risk_sharing": [("high", 7), ("medium", 3)],
        "government_roles": [([], 8), (["policy"], 2)],
        "sector": [("biotechnology", 3), ("information_technology", 3), ("solar", 2), ("electric_vehicles", 2)],
    },
    "technology_service": {
        "duration_months": (1, 12),
        "funding_cny": (1e4, 5e5),
        "funding_sources": [(["enterprise"], 7), (["university"], 3)],
        "enterprise_size": [("small", 7), ("medium", 3)],
        "enterprise_engagement": [("active", 6), ("passive", 4)],
        "enterprise_can_industrialize": [(False, 6), (True, 4)],
        "university_discipline_strength": [("ordinary", 5), ("competitive", 5)],
        "scope": [("single_problem", 9), ("single_program", 1)],
        "disciplines": [("single", 9), ("multi", 1)],
        "research_stages": [(["production"], 7), (["production", "market"], 3)],
        "technology_level": [("low", 7), ("conventional", 3)],
        "existing_result": [(False, 9), (True, 1)],
        "university_contribution": [("guidance_service", 9), ("commissioned_research", 1)],
        "ip_owner": [("enterprise", 6), ("undecided", 4)],
        "university_takes_equity": [(False, 10)],
        "university_goal": [("public_interest", 6), ("commercial", 4)],
        "government_roles": [([], 9), (["policy"], 1)],
        "sector": [("agriculture", 4), ("manufacturing", 4), ("other", 2)],
    },
}
ARCHETYPE_SHARE = {  # how often each kind of proposal arrives at a provincial department
    "program_cooperation": 26,
    "technology_service": 22,
    "technology_transfer": 16,
    "strategic_cooperation": 10,
    "government_mediated": 10,
    "technology_equity": 7,
    "strategic_alliance": 5,
    "university_enterprise": 4,
}

UNIVERSITIES = (
    "中南大学",
    "湖南大学",
    "湘潭大学",
    "长沙理工大学",
    "湖南师范大学",
    "湖南农业大学",
    "南华大学",
    "吉首大学",
    "湖南科技大学",
    "中南林业科技大学",
    "湖南工业大学",
    "长沙学院",
)
FIRMS = ("株洲", "长沙", "湘潭", "衡阳", "岳阳", "常德", "益阳", "郴州", "娄底", "邵阳")
TOPICS = {
    "electric_vehicles": ("动力电池管理系统", "电驱动总成", "充电桩快充模块"),
    "wind_power": ("风电齿轮箱", "叶片复合材料", "风机变桨控制"),
    "solar": ("光伏组件封装", "硅片切割工艺", "储能逆变器"),
    "new_materials": ("硬质合金刀具", "石墨烯导热膜", "先进陶瓷"),
    "biotechnology": ("杂交水稻分子育种", "生物农药", "酶制剂"),
    "information_technology": ("工业互联网平台", "北斗定位终端", "智能客服系统"),
    "healthcare": ("中药提取工艺", "医疗影像辅助诊断", "康复器械"),
    "agriculture": ("茶叶烘干", "油茶深加工", "生猪养殖粪污处理"),
    "manufacturing": ("轨道交通牵引电机", "工程机械液压件", "数控机床主轴"),
    "other": ("文旅数字化", "污水处理工艺", "建筑节能"),
}
KINDS = ("联合研发", "技术转让", "技术服务", "产学研合作", "成果转化", "共建研发中心")
BAD_TITLES = (
    '=HYPERLINK("http://example.invalid","详情")',
    "+86 731 8888 0000 热线合作",
    "@联合实验室",
    "-新材料- 合作意向",
)


def _weighted(rng: random.Random, options: list[tuple[Any, int]]) -> Any:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights)[0]


def _random_value(rng: random.Random, name: str) -> Any:
    if name == "duration_months":
        return rng.randint(1, 120)
    if name == "funding_cny":
        return round(10 ** rng.uniform(4, 8.3), -3)
    if name in COUNTS:
        low, _ = COUNTS[name]
        return rng.choice((low, low + 1, low + 1, low + 2, low + 3, low + 5))
    if name in BOOLEANS:
        return rng.random() < 0.5
    if name in LISTS:
        return rng.sample(CHOICES[name], rng.randint(0, len(CHOICES[name])))
    return rng.choice(CHOICES[name])


def proposal(rng: random.Random, number: int, columns: tuple[str, ...], blank: float, noise: float) -> dict[str, Any]:
    """One proposal: an archetype's typical values, with blanks and off-pattern values mixed in."""
    kind = _weighted(rng, list(ARCHETYPE_SHARE.items()))
    archetype = ARCHETYPES[kind]
    sector_options = archetype["sector"]
    row: dict[str, Any] = {"id": f"HN-2024-{number:07d}"}
    for name in columns:
        if rng.random() < blank:
            continue
        spec = archetype.get(name)
        if spec is None or rng.random() < noise:
            value = _random_value(rng, name)
        elif name == "duration_months":
            value = rng.randint(*spec)
        elif name == "funding_cny":
            low, high = spec
            value = round(10 ** rng.uniform(len(str(int(low))) - 1, len(str(int(high))) - 1), -3)
        else:
            value = _weighted(rng, spec)
        row[name] = value
    sector = row.get("sector") or _weighted(rng, sector_options)
    topic = rng.choice(TOPICS[sector])
    row["title"] = f"{rng.choice(UNIVERSITIES)}与{rng.choice(FIRMS)}某企业{topic}{rng.choice(KINDS)}"
    return row


def spoil(rng: random.Random, row: dict[str, Any]) -> None:
    """Make one mistake a clerk makes."""
    mistake = rng.randrange(5)
    if mistake == 0:
        row["duration_months"] = rng.choice(["三年", "36 months", "abc"])
    elif mistake == 1:
        row["enterprise_size"] = rng.choice(["huge", "大型", "mid-size"])
    elif mistake == 2:
        row["duration_months"] = rng.choice([0, 700, 9999])
    elif mistake == 3:
        row["funding_sources"] = ["enterprise", rng.choice(["bank", "银行"])]
    else:
        row["title"] = rng.choice(BAD_TITLES)
        row["funding_cny"] = -rng.randint(1, 10**6)


def proposals(
    rows: int, seed: int, columns: tuple[str, ...], blank: float, noise: float, bad: float
) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for number in range(1, rows + 1):
        row = proposal(rng, number, columns, blank, noise)
        if bad and rng.random() < bad:
            spoil(rng, row)
        yield row


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value) if value else "none"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write(path: str, header: list[str], rows: Iterator[dict[str, Any]], encoding: str) -> None:
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("proposals")
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(row[name]) if name in row else None for name in header])
        book.save(path)
        return
    out = sys.stdout if path == "-" else open(path, "w", encoding=encoding, newline="")
    try:
        if suffix == ".jsonl":
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            writer = csv.writer(out)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_cell(row[name]) if name in row else "" for name in header])
    finally:
        if out is not sys.stdout:
            out.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("rows", type=int, help="How many proposals.")
    parser.add_argument(
        "-o", "--output", default="-", help="File to write (.csv, .jsonl or .xlsx); - for stdout (CSV)."
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--all-attributes",
        action="store_true",
        help="A column for every profile attribute, not the 14 of the intake form.",
    )
    parser.add_argument("--blank", type=float, default=0.12, help="Share of cells left empty (default 0.12).")
    parser.add_argument(
        "--noise",
        type=float,
        default=0.15,
        help="Share of values drawn at random instead of from the archetype (0.15).",
    )
    parser.add_argument(
        "--bad-fraction", type=float, default=0.0, help="Share of rows with a clerk's mistake (default 0)."
    )
    parser.add_argument("--encoding", default="utf-8", help="CSV encoding, e.g. utf-8-sig or gb18030 (default utf-8).")
    args = parser.parse_args(argv)
    columns = ALL_ATTRIBUTES if args.all_attributes else FORM_ATTRIBUTES
    header = ["id", "title", *columns]
    rows = proposals(args.rows, args.seed, columns, args.blank, args.noise, args.bad_fraction)
    write(args.output, header, rows, args.encoding)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # e.g. `make_proposals.py 1000 | head`
        sys.stderr.close()
