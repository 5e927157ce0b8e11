"""Chinese everywhere: every surface rendered in zh, and no sentence without Chinese characters.

The check (`english_sentences`) splits a text into sentences at line ends and Chinese
punctuation, and reports each one that has no Chinese character but still has a word once the
language-neutral parts are taken out by one regex (`NEUTRAL`): placeholders, ids and codes
(snake_case, dotted, hyphenated, rule ids, UPPER-CASE formats and metavariables), options,
file names, URLs, `code`, numbers, and the program's own codes (attribute names, values, mode,
difficulty and rule ids, command names, choices). Data shown verbatim (quotations of the English
source, English names beside the Chinese ones, the user's own input, source titles and regions)
is taken out by value before the check, field by field: it is the source's or the user's text,
not the program's.
"""

from __future__ import annotations

import csv
import html
import io
import json
import random
import re
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner
from profiles import random_profile

from advisor import browse, render
from advisor.advice import Advice, DecisionCode
from advisor.cases import MODE_CODES
from advisor.catalogue import catalogue
from advisor.cli import cli
from advisor.core import default_advisor
from advisor.profile import ATTRIBUTES
from advisor.scoring import WHY_PLACES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Where a sentence ends: a line end, or Chinese punctuation between clauses.
BREAK = re.compile(r"[\n。；，、：（）“”！？]")
#: Names of formats and tools a Chinese text writes as they are (JSON Lines, Markdown, Excel ...).
PROPER_NAMES = r"\b(?:Markdown|Excel|LibreOffice|OpenAPI|JSON Schema|JSON Lines|Ctrl-C|Enter)\b"


def _codes() -> str:
    """The program's own codes: attribute names and values, knowledge and rule ids, the modes'
    short codes, command names and option choices, language codes."""
    advisor = default_advisor()
    codes: set[str] = {"en", "zh", "advisor", "true", "false", "null", "id", "title"}  # id, title: the other columns
    for name, spec in ATTRIBUTES.items():
        codes.add(name)
        codes.update(str(choice) for choice in spec.choices)
    codes.update(advisor.knowledge.modes)
    codes.update(advisor.knowledge.difficulties)
    codes.update(advisor.knowledge.mitigations)
    codes.update(advisor.rulebook.rules)
    codes.update(MODE_CODES.values())  # the modes' short codes (tt, sa), the evaluation's matrix
    ctx = click.Context(cli)
    for command_name in cli.list_commands(ctx):
        codes.add(command_name)
        command = cli.get_command(ctx, command_name)
        assert command is not None
        for param in command.params:
            if isinstance(param.type, click.Choice):
                codes.update(str(choice) for choice in param.type.choices)
    return r"(?<![\w-])(?:" + "|".join(sorted(map(re.escape, codes), key=len, reverse=True)) + r")(?![\w-])"


NEUTRAL = re.compile(
    "|".join(
        [
            PROPER_NAMES,
            r"https?://\S+",  # URLs
            r"`[^`]*`",  # code
            r"\{[^{}]*\}",  # placeholders
            r"<[\w.]+>",  # <stdin>, <format>
            r"\$\w+",  # environment variables
            r"(?<![\w-])--?[A-Za-z][\w-]*",  # options
            r"[\w./<>*-]*\.(?:json|jsonl|ya?ml|md|html?|xlsx|csv|txt|py)\b",  # file names
            r"\b[a-z0-9]+(?:[_.\-/*][a-z0-9*]*)+",  # snake_case, dotted and hyphenated ids, versions, zh_*
            r"\b[A-Z][A-Z0-9_]+\b(?:-\d+)?",  # rule ids (TT001), formats and metavariables (JSON, FILE, UTF-8)
            r"\[[\w|-]+\]",  # click's choice lists: [en|zh]
            r"\b(?=[A-Za-z]*\d)\w+\b",  # codes with digits: gb18030, MP3
            _codes(),
        ]
    )
)
WORD = re.compile(r"[A-Za-z]{2,}")


def english_sentences(text: str) -> list[str]:
    """Each sentence of `text` with no Chinese character and a word that is not language-neutral."""
    found = []
    for sentence in BREAK.split(text):
        if HAN.search(sentence):
            continue
        if WORD.search(NEUTRAL.sub(" ", sentence)):
            found.append(sentence.strip())
    return found


def strings(tree: Any) -> Iterator[str]:
    """Every string in a catalogue section, a list or a mapping's values."""
    if isinstance(tree, str):
        yield tree
    elif isinstance(tree, dict):
        for value in tree.values():
            yield from strings(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from strings(item)


def without(text: str, values: Iterable[str]) -> str:
    """`text` with data shown verbatim taken out (longest first, so a quotation goes whole)."""
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def shown_data(advice: Any) -> list[str]:
    """What an advice shows verbatim from its data: quotations, English names, source titles,
    regions, the proposal's own title."""
    values: list[str] = [str(advice.profile.get("title") or ""), str(advice.profile.get("id") or "")]
    for mode in advice.modes:
        values.append(mode.name)
        for reason in mode.reasons_for + mode.reasons_against:
            # NOTE: the quote alone: the source's own words are shown beside their translation,
            # its section is shown in Chinese
            values += [c.quote for c in reason.citations]
    for flag in advice.difficulties:
        values.append(flag.name)
        values += [m.name for m in flag.mitigations]
    for case in advice.precedents:
        values += [case.name, case.source_title_zh, case.region]  # the title a Chinese reader is shown
    return values


def knowledge_data() -> list[str]:
    knowledge = default_advisor().knowledge
    values: list[str] = []
    for table in (knowledge.modes, knowledge.difficulties, knowledge.mitigations, knowledge.context):
        for record in table.values():
            values.append(record.name)
            values += [c.quote for c in record.citations]
    for mode in knowledge.modes.values():
        for instrument in mode.legal_instruments:
            values += [instrument.name, instrument.law]
    return values


@pytest.fixture
def unwrapped(monkeypatch):
    """The terminal texts without line wrapping, so a quotation can be taken out whole."""

    def one_line(text: str, first: str, rest: str, size: int = 0) -> list[str]:
        return [first + text]

    monkeypatch.setattr(render, "wrap", one_line)
    monkeypatch.setattr(browse, "wrap", one_line)


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Any:
    result = CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False, prog_name="advisor")
    assert "Traceback" not in result.output
    return result


# -- the check itself -------------------------------------------------------------------------


def test_the_check_finds_english_and_lets_codes_through():
    assert english_sentences("Decision: CLEAR. The leader is clear.") != []
    assert english_sentences("结论：明确。The decision is clear.") == ["The decision is clear."]
    neutral = (
        "TT001 technology_transfer `advisor schema` --lang zh proposals.xlsx https://example.org/a?b=c "
        "{name} <stdin> $ADVISOR_LANG FILE|- [en|zh] 5,000 1.2 JSON UTF-8 enterprise_size[1] large"
    )
    assert english_sentences(neutral) == []
    assert english_sentences("Source") == ["Source"] and english_sentences("none of them") == ["none of them"]


# -- every catalogue string, every rule text --------------------------------------------------


def test_every_chinese_catalogue_string_is_chinese():
    zh = catalogue("zh")
    found = [(section, text) for section in zh for text in strings(zh[section]) if english_sentences(text)]
    assert found == []


def test_every_rule_message_and_rationale_is_chinese(shipped):
    found = []
    for rule in shipped.rulebook.rules.values():
        for field in ("message", "rationale"):
            text = getattr(rule, field).get("zh")
            if english_sentences(text):
                found.append((rule.id, field, english_sentences(text)))
    assert found == []


# -- the surfaces -------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_advise_text_and_markdown_in_chinese(example, shipped, unwrapped):
    advice = shipped.advise(json.loads(example.read_text("utf-8")), what_if=True, lang="zh")
    data = shown_data(advice)
    for fmt in ("text", "markdown"):
        result = run("advise", str(example), "--lang", "zh", "--format", fmt)
        assert result.exit_code == 0
        assert english_sentences(without(result.stdout, data)) == [], fmt


def test_what_if_lines_and_a_sparse_profile_in_chinese(tmp_path, shipped, unwrapped):
    profile = {"enterprise_size": "large", "university_goal": "commercial"}
    path = tmp_path / "sparse.json"
    path.write_text(json.dumps(profile), "utf-8")
    result = run("advise", str(path), "--lang", "zh")
    assert "若答“中介”，政产学研合作将领先" in result.stdout
    advice = shipped.advise(profile, what_if=True, lang="zh")
    assert english_sentences(without(result.stdout, shown_data(advice))) == []


@pytest.mark.parametrize("example", EXAMPLES[:3], ids=lambda p: p.stem)
def test_json_messages_in_chinese(example):
    result = run("advise", str(example), "--lang", "zh", "--format", "json")
    advice = json.loads(result.stdout)
    assert advice["lang"] == "zh" and english_sentences(advice["decision_reasons"]["zh"]) == []
    reasons = [r for m in advice["modes"] for r in m["reasons_for"] + m["reasons_against"]]
    reasons += [r for d in advice["difficulties"] for r in d["triggered_by"]]
    assert reasons
    for reason in reasons:
        assert english_sentences(reason["message"]) == [] and english_sentences(reason["rationale"]) == []
        assert reason["rule_id"].isascii() and reason["effect"] in ("supports", "opposes", "excludes", "raises")
        for quote in reason["citations"]:  # each passage in Chinese, the source's words kept
            assert HAN.search(quote["section_zh"]) and HAN.search(quote["quote_zh"]) and quote["quote"].isascii()


def test_browsing_in_chinese(shipped, unwrapped):
    data = knowledge_data()
    outputs = [run("modes", "--lang", "zh"), run("rules", "--lang", "zh")]
    outputs += [run("mode", mode, "--lang", "zh") for mode in shipped.knowledge.modes]
    outputs += [run("explain", rule, "--lang", "zh") for rule in shipped.rulebook.rules]
    for result in outputs:
        assert result.exit_code == 0
        assert english_sentences(without(result.output, data)) == [], result.output[:200]


def test_a_rules_test_cases_read_in_chinese_and_line_up(shipped, tmp_path):
    """advisor explain lists a rule's cases by the fields' and values' labels under zh (已有成熟成果：是),
    not as Python data ({'existing_result': True}), and 触发 / 不触发 take the same width."""
    text = run("explain", "TT001", "--lang", "zh").output
    cases = text.split("测试用例\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert cases[0] == "  触发    result_and_capable_buyer（已有成熟成果：是；企业能否自行产业化：能）"
    assert cases[1].startswith("  不触发  no_result_yet（已有成熟成果：否；")
    for rule in shipped.rulebook.rules:
        shown = run("explain", rule, "--lang", "zh").output
        assert not re.search(r"\b(?:True|False)\b|\{'", shown), rule
    english = run("explain", "TT001", "--lang", "en").output
    assert (
        "  fires   result_and_capable_buyer: {'existing_result': True, 'enterprise_can_industrialize': True}" in english
    )


def test_what_if_answers_show_amounts_and_durations_as_the_rest_of_the_advice(tmp_path):
    """An answer still worth giving reads 1000 万元 and 3 年 under zh, as the answered questions and
    the precedents do, not 10,000,000 and 36; in the text and a batch's --what-if cell."""
    profile = {"foreign_controlled_fund": True, "university_discipline_strength": "leading", "enterprise_size": "large"}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(profile), "utf-8")
    text = run("advise", str(path), "--lang", "zh", "--questions", "30").output
    assert "若答“1000 万元”，" in text and "若答“3 年”，" in text and "若答“13 个月”，" in text
    assert not re.search(r"若答“[\d,]+”，结论", text.split("参与高校院所数")[0])  # a count stays a number
    sheet = tmp_path / "p.csv"
    sheet.write_text("foreign_controlled_fund,university_discipline_strength,enterprise_size\ntrue,leading,large\n")
    run("batch", str(sheet), "-o", str(tmp_path / "out.csv"), "--lang", "zh", "--what-if", "--questions", "30")
    with (tmp_path / "out.csv").open(encoding="utf-8-sig") as cells:
        cell = next(csv.DictReader(cells))["next_questions"]
    assert "经费（元）（若答“1000 万元”：" in cell and "若答“3 年”：" in cell
    english = run("advise", str(path), "--lang", "en", "--questions", "30").output
    assert "if 10,000,000 CNY: " in english and "if 3 years: " in english  # as `ask` and the page show them


def test_a_severity_reads_as_high_medium_or_low_risk():
    """高风险 / 中风险 / 低风险, as the reports' 高风险困难 says, on the rules' list and the page's
    badge; 风险中 reads as "at risk"."""
    listing = run("rules", "--lang", "zh").output
    assert "（高风险）" in listing and "（中风险）" in listing and "（低风险）" in listing
    web = catalogue("zh")["web"]
    badges = [web["severityBadge"].format(level=level) for level in web["severity"].values()]
    assert badges == ["高风险", "中风险", "低风险"]
    assert not re.search("风险[高中低]", listing)


# -- the source's passages: in Chinese, with the source's own words kept ------------------------

PROGRAM = str(ROOT / "examples" / "program_cooperation.json")
ZH_PASSAGE = "合作模式 — 校企项目合作模式：“企业向科研机构提供研究经费”"
ORIGINAL = "原文：“Enterprise provides research funding to scientific research institutions”"


def test_a_passage_reads_in_chinese_with_the_source_s_words_below_it():
    text = run("advise", PROGRAM, "--lang", "zh").stdout
    assert f"  出处：\n    {ZH_PASSAGE}\n      {ORIGINAL}\n" in text
    markdown = run("advise", PROGRAM, "--lang", "zh", "--format", "markdown").stdout
    assert f"  - {ZH_PASSAGE}（{ORIGINAL}）\n" in markdown
    mode = run("mode", "program_cooperation", "--lang", "zh").output
    assert f"出处\n  - {ZH_PASSAGE}\n    {ORIGINAL}\n" in mode
    explain = run("explain", "PC001", "--lang", "zh").output
    assert f"[program_cooperation]\n    {ZH_PASSAGE}\n    {ORIGINAL}\n" in explain
    # English shows the source's words as before, and nothing of the translation
    english = run("advise", PROGRAM, "--lang", "en").stdout + run("mode", "program_cooperation").output
    assert 'Program Cooperation Mode: "Enterprise provides' in english
    assert "原文" not in english and "企业向科研机构提供研究经费" not in english


def test_every_passage_of_every_mode_shows_in_chinese_and_in_the_source_s_words(shipped, unwrapped):
    for mode in shipped.knowledge.modes.values():
        shown = run("mode", mode.id, "--lang", "zh").output.split("\n出处\n", 1)[1]
        expected = [
            line for c in mode.citations for line in (f"  - {c.section_zh}：“{c.quote_zh}”", f"    原文：“{c.quote}”")
        ]
        assert shown.splitlines() == expected, mode.id


def test_the_api_gives_each_passage_in_chinese_beside_the_source_s_words(service):
    import httpx

    profile = json.loads(Path(PROGRAM).read_text("utf-8"))
    advice = httpx.post(service + "/v1/advise", json=profile, timeout=30).json()
    assert advice["modes"][0]["reasons_for"][0]["citations"][0] == {
        "knowledge_id": "program_cooperation",
        "section": "Modes of cooperation — University-Enterprise Program Cooperation Mode",
        "section_zh": "合作模式 — 校企项目合作模式",
        "quote": "Enterprise provides research funding to scientific research institutions",
        "quote_zh": "企业向科研机构提供研究经费",
        "source": "hunan",
    }
    quotes = [c for m in advice["modes"] for r in m["reasons_for"] + m["reasons_against"] for c in r["citations"]]
    quotes += [c for d in advice["difficulties"] for m in d["mitigations"] for c in m["citations"]]
    modes = httpx.get(service + "/v1/modes", timeout=30).json()
    quotes += [c for m in modes for c in m["citations"]]
    assert len(quotes) > 30 and all(HAN.search(c["section_zh"]) and HAN.search(c["quote_zh"]) for c in quotes)


def test_the_research_side_is_named_one_way(shipped):
    """高校或科研院所 (or 高校 where only universities are meant, 高校院所 for a count of both), never
    研究方 or 科研方 beside it, nor 高校或院所 (a choice's label) or 院校 (universities and colleges,
    said of the research side in a help, a meaning and a legal note); 高等院校 stays where the source
    is translated. A label reworded keeps its old words as aliases, so old sheets still read."""
    from advisor.questions import load_questions
    from advisor.values import converter

    texts = [rule.message.get("zh") + rule.rationale.get("zh") for rule in shipped.rulebook.rules.values()]
    texts += [
        json.dumps(record.model_dump(), ensure_ascii=False)
        for table in (shipped.knowledge.modes, shipped.knowledge.difficulties, shipped.knowledge.mitigations)
        for record in table.values()
    ]
    questions = load_questions().questions
    texts.append(json.dumps([q.model_dump(exclude={"choices"}) for q in questions], ensure_ascii=False))
    texts += [choice.label.zh + choice.meaning.zh for q in questions for choice in q.choices]
    texts += list(strings(catalogue("zh")))
    assert [text for text in texts if re.search("研究方|科研方|高校或院所|(?<!高等)院校", text)] == []
    assert converter("ip_owner")("高校或院所") == converter("ip_owner")("高校或科研院所") == "university"
    assert converter("funding_sources")("企业；高校或院所") == ["enterprise", "university"]


def test_the_cooperation_is_named_one_way():
    """产学研合作, as the product and the source call it: the page's lead-in and the API page said
    校企合作 for the same thing (校企项目合作, a mode's name, is another thing)."""
    texts = list(strings(catalogue("zh")))
    assert [text for text in texts if re.search("校企合作", text)] == []
    assert "产学研合作" in catalogue("zh")["web"]["lede"] and "产学研合作" in catalogue("zh")["openapi"]["summary"]


HOSTILE = {
    "enterprise_size": "huge",
    "funding_cny": "12 dollars",
    "duration_months": 999,
    "scope": "x",
    "foo": 1,
    "enterprse_size": "large",
    "government_roles": ["mediator", "bad"],
    "enterprise_can_industrialize": "maybe",
    "title": "a\u0001b",
}


def test_profile_errors_in_chinese_name_the_field_by_its_label(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(HOSTILE), "utf-8")
    result = run("advise", str(path), "--lang", "zh")
    assert result.exit_code == 3
    assert "“企业规模”（enterprise_size）：不是可选的值（填写的是 'huge'）" in result.stderr
    assert "可选：大型企业（large）、中型企业（medium）" in result.stderr
    assert "是否想填 'enterprise_size'" in result.stderr
    assert "货币单位“dollars”不是人民币（填写的是 '12 dollars'）" in result.stderr
    assert "）（" not in result.stderr  # one bracket after another: 不是以人民币计的金额（dollars）（填写的是 …）
    given = [str(path), *HOSTILE, *(repr(v) for v in HOSTILE.values()), "dollars"]
    assert english_sentences(without(result.stderr, given)) == []
    # the same under ADVISOR_LANG=zh, and English stays English
    assert "合作概况填写有误" in run("advise", str(path), env={"ADVISOR_LANG": "zh"}).stderr
    assert "invalid profile" in run("advise", str(path), "--lang", "en").stderr


def test_every_problem_template_translates_every_english_one():
    from advisor.problem_text import translate

    english, chinese = catalogue("en")["problems"], catalogue("zh")["problems"]
    for section in ("messages", "allowed_values"):
        for key, template in english[section].items():
            sample = re.sub(r"\{(\w+)\}", "7", str(template))
            translated = translate(sample, "zh", section)
            assert translated != sample and HAN.search(translated), (key, translated)
            assert english_sentences(str(chinese[section][key])) == []


def _commands() -> list[str]:
    return sorted(cli.list_commands(click.Context(cli)))


@pytest.mark.parametrize("command", ["", *_commands()])
@pytest.mark.parametrize("env", [{"ADVISOR_LANG": "zh"}, {"ADVISOR_LANG": "", "LC_ALL": "", "LANG": "zh_CN.UTF-8"}])
def test_help_of_every_command_in_chinese(command, env):
    result = run(*([command] if command else []), "--help", env=env)
    assert result.exit_code == 0 and "用法：" in result.output and "选项：" in result.output
    assert english_sentences(result.output) == [], result.output


def test_help_stays_english_without_a_chinese_language():
    result = run("advise", "--help", env={"ADVISOR_LANG": "en"})
    assert "Usage:" in result.output and "Advise on one partnership profile" in result.output
    result = run("advise", "--help", env={"ADVISOR_LANG": "zh"})
    assert "为一份合作概况给出建议" in result.output
    result = run("advise", "--help", env={"ADVISOR_LANG": "en"})  # put back, not kept from the last run
    assert "Advise on one partnership profile" in result.output


@pytest.mark.parametrize(
    "words",
    [
        ("--lang", "zh", "--help"),
        ("advise", "--help", "--lang", "zh"),
        ("advise", "--lang=zh", "--help"),
        ("--lang", "zh", "advise", "--help"),
        ("--lang", "zh", "batch", "--help"),
    ],
)
def test_help_follows_lang_wherever_it_stands(words):
    """--help is read before the options, and still comes in the language the line asks for."""
    result = run(*words, env={"ADVISOR_LANG": "en"})
    assert result.exit_code == 0 and "用法：" in result.output and "选项：" in result.output
    assert english_sentences(result.output) == [], result.output


def test_lang_before_the_command_is_every_commands_language_and_its_own_wins():
    english = {"ADVISOR_LANG": "en"}
    assert "结论：" in run("--lang", "zh", "advise", str(EXAMPLES[0]), "--no-what-if", env=english).output
    assert "Decision:" in run("--lang", "zh", "advise", str(EXAMPLES[0]), "--lang", "en", env=english).output
    own = run("--lang", "zh", "advise", "--lang", "en", "--help", env={"ADVISOR_LANG": "zh"}).output
    assert "Usage:" in own and "Advise on one partnership profile" in own
    missing = run("--lang", "zh", "advise", "no-such-file.json", env=english)
    assert missing.exit_code != 0 and missing.stderr.startswith("错误：")
    assert run("--lang", "zh", "--version", env=english).output.startswith("advisor 版本")
    wrong = run("--lang", "fr", "modes", env=english)
    assert wrong.exit_code == 2 and "'fr' is not one of 'en', 'zh'" in wrong.stderr


def _commands_with_lang() -> list[str]:
    ctx = click.Context(cli)
    return [name for name in _commands() if any(p.name == "lang" for p in cli.get_command(ctx, name).params)]


@pytest.mark.parametrize("command", _commands_with_lang())
@pytest.mark.parametrize(
    ("lang", "default"),
    [
        ("en", "[default: (advisor --lang, else $ADVISOR_LANG, or zh under a zh_* locale, else en)]"),
        ("zh", "[默认：（依次为 advisor --lang、$ADVISOR_LANG；都没有时，zh_* 区域设置下为 zh，否则为 en）]"),
    ],
)
def test_every_commands_lang_help_names_the_lang_before_the_command_first(command, lang, default):
    """`advisor --lang zh COMMAND` sets the language too, so each command's --lang default says so
    first (it said only $ADVISOR_LANG and the locale), in each language."""
    shown = run(command, "--help", "--lang", lang, env={"ADVISOR_LANG": "en"}).output
    if lang == "en":  # click wraps at spaces
        assert default in re.sub(r"\s+", " ", shown), shown
    else:  # Chinese may wrap between any two characters
        assert re.sub(r"\s+", "", default) in re.sub(r"\s+", "", shown), shown


def test_every_help_translation_names_a_real_command_and_option():
    help_zh = catalogue("zh")["help"]
    ctx = click.Context(cli)
    for name, texts in help_zh["commands"].items():
        command = cli if name == "advisor" else cli.get_command(ctx, name)
        assert command is not None, name
        params = {p.name for p in command.params}
        assert set(texts.get("options", {})) <= params, name
    assert {name for name in help_zh["commands"] if name != "advisor"} == set(_commands())


# -- the web page -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    from test_http_api import serving

    from advisor.http_api import create_app

    with serving(create_app()) as url:
        yield url


@pytest.fixture
def get(service):
    import httpx

    def fetch(path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.get(service + path, headers=headers or {}, timeout=30)

    return fetch


def test_the_web_page_reads_every_word_from_the_catalogue(get):
    body = get("/v1/catalogue?lang=zh").json()
    assert body["lang"] == "zh" and body["web"] == dict(catalogue("zh")["web"])
    assert [text for text in strings(body) if english_sentences(text)] == []
    web = ROOT / "advisor" / "web"
    used = set(re.findall(r'\bt\("(\w+)"', (web / "app.js").read_text("utf-8")))
    used |= set(re.findall(r'data-t="(\w+)"', (web / "index.html").read_text("utf-8")))
    assert used and used <= set(body["web"]), used - set(body["web"])
    assert set(catalogue("en")["web"]) == set(body["web"])  # English has every word too
    assert "var TEXT = {};" in (web / "app.js").read_text("utf-8")  # no word table of its own


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh;q=0.8", "en"),
        ("fr-FR, zh-TW;q=0.5", "zh"),
        ("zh;q=0, en", "en"),
        ("de", "en"),
        (None, "en"),
    ],
)
def test_a_first_visit_follows_accept_language(header, lang, get):
    headers = {"Accept-Language": header} if header is not None else {}
    response = get("/v1/catalogue", headers)
    assert response.json()["lang"] == lang and "Accept-Language" in response.headers["vary"]
    assert get("/v1/catalogue?lang=en", headers).json()["lang"] == "en"


# -- the check can fail -------------------------------------------------------------------------


def test_an_english_catalogue_entry_is_reported(monkeypatch, unwrapped, tmp_path):
    """Break one string: the Chinese heading of the next questions put back to English."""
    path = tmp_path / "sparse.json"
    path.write_text(json.dumps({"enterprise_size": "large"}), "utf-8")
    before = run("advise", str(path), "--lang", "zh").stdout
    monkeypatch.setitem(catalogue("zh")["text"], "find_out", "What else to find out")
    after = run("advise", str(path), "--lang", "zh").stdout
    assert sorted(english_sentences(after)) == sorted([*english_sentences(before), "What else to find out"])
    zh = catalogue("zh")
    assert any(english_sentences(text) for text in strings(zh["text"]))


def test_an_english_rule_message_is_reported(shipped, monkeypatch):
    rule = next(iter(shipped.rulebook.rules.values()))
    monkeypatch.setitem(rule.message.root, "zh", rule.message.get("en"))
    assert english_sentences(rule.message.get("zh"))


def test_an_english_help_text_is_reported(monkeypatch):
    monkeypatch.delitem(catalogue("zh")["help"]["commands"]["modes"], "help")
    result = run("modes", "--help", env={"ADVISOR_LANG": "zh"})
    assert english_sentences(result.output) == ["List the eight cooperation modes."]


def test_batch_row_errors_in_chinese_keep_ids_in_json(tmp_path):
    source = tmp_path / "proposals.csv"
    source.write_text("id,enterprise_size,funding_cny\np1,huge,5000000\np2,large,12 dollars\n", "utf-8")
    out = tmp_path / "advice.jsonl"
    result = run("batch", str(source), "-o", str(out), env={"ADVISOR_LANG": "zh"})
    assert result.exit_code == 4
    records = [json.loads(line) for line in (tmp_path / "advice.errors.jsonl").read_text("utf-8").splitlines()]
    assert [(r["row"], r["id"], r["field"], r["value"]) for r in records] == [
        (2, "p1", "enterprise_size", "huge"),
        (3, "p2", "funding_cny", "12 dollars"),
    ]
    assert records[0]["message"] == "不是可选的值" and "大型企业（large）" in records[0]["allowed"]
    for record in records:
        assert english_sentences(without(record["message"], ["dollars"])) == []
        assert english_sentences(record["allowed"]) == []
    # to stderr when the advice goes to stdout
    result = run("batch", str(source), "-o", "-", env={"ADVISOR_LANG": "zh"})
    assert "未能评估：第 2 行（项目编号 p1）：“企业规模”（enterprise_size）：不是可选的值" in result.stderr
    # and English stays English
    result = run("batch", str(source), "-o", "-", env={"ADVISOR_LANG": "en"})
    assert "rejected: row 2 (id p1): enterprise_size: not an allowed value" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["advise", "--nope", "x"], "错误：没有选项 '--nope'。"),
        (["advize", "x"], "错误：没有命令 'advize'。是否想用 'advise'？"),
        (["--nope"], "错误：没有选项 '--nope'。"),
        (["advise", "--questions", "99", "x"], "错误：'--questions' 的值无效：99 超出允许范围 0<=x<=50。"),
        (["advise", "--questions", "x", "y"], "错误：'--questions' 的值无效：'x' 不是整数。"),
        (["advise", "--lang", "fr", "x"], "错误：'--lang' 的值无效：'fr' 不是可选值；可选：'en'、'zh'。"),
        (["advise"], "错误：缺少参数 'FILE|-'。"),
        (["advise", "a", "b"], "错误：多出了参数（b）"),
        (["advise", "x.json", "--format", "pdf"], "错误：--format pdf 会写出文件：请用 -o FILE.pdf 指定文件名。"),
        (["mode", "joint_venture"], "错误：ID 的值无效：'joint_venture' 不是合作模式编号"),
        (["explain", "ZZ999"], "错误：RULE_ID 的值无效：'ZZ999' 不是规则编号"),
    ],
)
def test_usage_errors_in_chinese(args, expected):
    result = run(*args, env={"ADVISOR_LANG": "zh"})
    assert result.exit_code == 2 and expected in result.stderr
    assert "用法：advisor" in result.stderr or "--format pdf" in expected
    assert english_sentences(without(result.stderr, [arg for arg in args if len(arg) > 2])) == []
    english = run(*args, env={"ADVISOR_LANG": "en"})
    assert english.exit_code == 2 and "Error: " in english.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["advise", "--lang", "zh", "x", "--nope"], "错误：没有选项 '--nope'。"),
        (["advise", "--nope", "--lang=zh", "x"], "错误：没有选项 '--nope'。"),
        (["advize", "--lang", "zh"], "错误：没有命令 'advize'。"),
        (["--nope", "--lang", "zh"], "错误：没有选项 '--nope'。"),
    ],
)
def test_usage_errors_follow_the_lang_on_the_command_line(args, expected):
    # An unknown option or command is found before --lang is read: the words given still decide.
    result = run(*args, env={"ADVISOR_LANG": "en"})
    assert result.exit_code == 2 and expected in result.stderr and "用法：advisor" in result.stderr
    english = run(*[arg.replace("zh", "en") for arg in args], env={"ADVISOR_LANG": "zh"})
    assert english.exit_code == 2 and "Error: No such" in english.stderr
    # a --lang after `--` is an argument, not the option; an invalid value is not a language
    assert "Error: " in run("advise", "--nope", "--", "--lang", "zh", env={"ADVISOR_LANG": "en"}).stderr
    assert "Error: " in run("advise", "--nope", "--lang", "fr", env={"ADVISOR_LANG": "en"}).stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_catalogue_key_is_written_twice(lang):
    """YAML keeps the last of two equal keys silently: a second `amount:` would hide the first."""
    import yaml

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        keys = [loader.construct_object(key) for key, _ in node.value]
        doubled = {key for key in keys if keys.count(key) > 1}
        assert not doubled, f"{lang}.yml line {node.start_mark.line + 1}: {sorted(map(str, doubled))} twice"
        return loader.construct_mapping(node)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    data = yaml.load((ROOT / "advisor" / "locales" / f"{lang}.yml").read_text("utf-8"), Loader=Strict)  # noqa: S506
    assert {"text", "web", "problems", "help" if lang == "zh" else "report"} <= set(data)
    assert all(isinstance(key, str) for section in data.values() for key in section)  # no yes:/no: read as booleans


def test_unreadable_files_in_chinese(tmp_path):
    (tmp_path / "bad.json").write_text("{", "utf-8")
    (tmp_path / "list.json").write_text("[1]", "utf-8")
    (tmp_path / "empty.json").write_text("", "utf-8")
    (tmp_path / "twice.csv").write_text("id,id\n1,2\n", "utf-8")
    (tmp_path / "bad.docx").write_text("id\n1\n", "utf-8")
    cases = [
        (["advise", str(tmp_path / "nope.json")], "：文件不存在"),
        (["advise", str(tmp_path)], "：这是文件夹，不是合作概况文件"),
        (["advise", str(tmp_path / "bad.json")], "：JSON 格式有误（第 1 行第 2 列）："),
        (["advise", str(tmp_path / "list.json")], "：应为合作概况的字段表（例如 "),
        (["advise", str(tmp_path / "empty.json")], "：文件是空的；应为 JSON 或 YAML 格式的合作概况"),
        (["advise", str(tmp_path / "bad.json"), "-o", str(tmp_path / "no" / "x.txt")], "不存在"),
        (["batch", str(tmp_path / "twice.csv"), "-o", "-"], "：列 'id' 出现了两次（第 1 列和第 2 列）"),
        (["batch", str(tmp_path / "bad.docx"), "-o", "-"], "：无法从扩展名 '.docx' 判断格式；请使用 "),
    ]
    for args, expected in cases:
        result = run(*args, env={"ADVISOR_LANG": "zh"})
        assert result.exit_code == 3 and result.stderr.startswith("错误：") and expected in result.stderr, result.stderr
        # the JSON parser's own words are quoted as it gives them
        shown = without(result.stderr, [str(tmp_path), "Expecting property name enclosed in double quotes"])
        assert english_sentences(shown) == [], shown
        assert run(*args, env={"ADVISOR_LANG": "en"}).stderr.startswith("error: ")


def test_every_case_region_reads_in_chinese():
    """Precedents show their region; every place a shipped case names has its Chinese name."""
    from advisor.catalogue import place_label
    from advisor.core import default_advisor

    regions = {case.region for case in default_advisor().cases}
    assert len(regions) > 10
    for region in regions:
        shown = place_label(region, "zh")
        assert not re.search(r"[A-Za-z]", shown), (region, shown)
    assert place_label("China · Hunan", "zh") == "中国·湖南"
    assert place_label("China · Hunan", "en") == "China · Hunan"
    assert place_label("Atlantis", "zh") == "Atlantis"  # an unknown place is shown as written


def test_the_batch_run_line_and_summary_in_chinese(tmp_path):
    """The one line a batch ends with, the summary and the rejected rows, all in Chinese."""
    source = tmp_path / "项目.csv"
    source.write_text("id,scope,enterprise_size\na,single_problem,large\na,bogus,small\n", "utf-8")
    output = tmp_path / "out.csv"
    result = run("batch", str(source), "-o", str(output), "--lang", "zh", "--summary")
    assert result.exit_code == 4
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("批量评估：读取 2 行，完成评估 1 行，未能评估 1 行（见 ") and "编号重复：“a”" in line
    given = [str(source), str(output), str(tmp_path / "out.errors.csv"), "bogus", "single_problem"]
    assert english_sentences(without(result.output + result.stderr, given)) == []
    english = run("batch", str(source), "-o", str(output), "--lang", "en")
    assert english.stderr.strip().splitlines()[-1].startswith("batch: 2 rows read, 1 scored, 1 rejected")


def test_a_batch_rows_decision_reason_is_in_the_runs_language(tmp_path):
    """The decision_reason column reads as the advice's own Chinese reason, row by row."""
    examples = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.json"))
    profiles = [json.loads(path.read_text("utf-8")) for path in examples]
    source = tmp_path / "rows.jsonl"
    source.write_text("".join(json.dumps(profile, ensure_ascii=False) + "\n" for profile in profiles), "utf-8")
    for lang in ("zh", "en"):
        output = tmp_path / f"out.{lang}.csv"
        assert run("batch", str(source), "-o", str(output), "--lang", lang).exit_code == 0
        rows = list(csv.DictReader(output.read_text("utf-8-sig").splitlines()))
        assert len(rows) == len(profiles)
        for row, profile in zip(rows, profiles, strict=True):
            advice = default_advisor().advise(profile, what_if=False)
            assert row["decision_reason"] == advice.decision_reasons[lang], row["id"]


# -- validate, evaluate, diff and the API's reference page ------------------------------------------


def _broken_pack(tmp_path: Path) -> Path:
    """A copy of the shipped rules with one error of each common kind and a missing translation."""
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    path = rules / "government_mediated.yml"
    text = path.read_text("utf-8")
    text = text.replace('      zh: "政府充当中介或信息平台（政府作用：{government_roles}）。"\n', "", 1)
    text = text.replace(
        "cites: [government_mediated, use_government_platform]", "cites: [government_mediated, nosuch]", 1
    )
    text = text.replace(
        "{attr: enterprise_size, in: [medium, small]}", "{attr: enterprise_size, in: [medium, tiny]}", 1
    )
    path.write_text(text, "utf-8")
    return rules


def test_validate_in_chinese(tmp_path):
    rules = _broken_pack(tmp_path)
    result = run("validate", "--rules", str(rules), "--lang", "zh")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    # file, rule id and field stay literal; the sentence around them is Chinese
    assert any(line.startswith("错误：") and "（GM001）：引用了不存在的知识编号 'nosuch'" in line for line in lines)
    assert any("'tiny' 不是 enterprise_size 的可选值" in line for line in lines)
    assert any(line.startswith("警告：") and "message 缺少 'zh' 文本" in line for line in lines)
    assert lines[-1].startswith("检查未通过：共 ") and "错误 2 处，警告 1 处" in lines[-1]
    assert english_sentences(result.stderr) == [], result.stderr
    ok = run("validate", env={"ADVISOR_LANG": "zh"})
    assert ok.exit_code == 0 and ok.stdout.startswith("检查通过：共 ") and english_sentences(ok.stdout) == []
    english = run("validate", "--rules", str(rules), "--lang", "en").stderr
    assert "[GM001]: cites unknown knowledge id 'nosuch'" in english and "failed: " in english


def test_an_unusable_pack_in_chinese(tmp_path):
    result = run("advise", str(EXAMPLES[0]), "--rules", str(tmp_path / "nope"), "--lang", "zh")
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：规则包或知识库无法使用：") and "：规则目录不存在" in result.stderr
    assert english_sentences(result.stderr) == []


def test_every_pack_problem_template_translates_every_english_one():
    from advisor.problem_text import translate

    english, chinese = catalogue("en")["pack_problems"], catalogue("zh")["pack_problems"]
    for key, template in english["messages"].items():
        sample = re.sub(r"\{(\w+)\}", "7", str(template))
        translated = translate(sample, "zh", "messages", "pack_problems")
        assert translated != sample and HAN.search(translated), (key, translated)
        assert english_sentences(str(chinese["messages"][key])) == []


def test_evaluate_in_chinese_and_its_json_language_neutral():
    from advisor.cases import default_cases_dir

    case_ids = [path.stem for path in default_cases_dir().rglob("*.yml")]
    for fmt in ("text", "markdown"):
        result = run("evaluate", "--format", fmt, "--calibrate", "--lang", "zh")
        assert (
            result.exit_code == 0
            and "第一名吻合" in result.stdout
            and "技术转让（technology_transfer）" in result.stdout
        )
        shown = without(result.stdout, [str(default_cases_dir()), *case_ids])
        assert english_sentences(shown) == [], fmt
    english = run("evaluate", "--lang", "en").stdout
    assert english.startswith("Evaluation of rulebook ") and "top-1 (leader is the mode used)" in english
    assert json.loads(run("evaluate", "--format", "json", "--lang", "zh").stdout) == json.loads(
        run("evaluate", "--format", "json", "--lang", "en").stdout
    )
    gate = run("evaluate", "--min-top1", "0.999", env={"ADVISOR_LANG": "zh"})
    assert gate.exit_code == 1 and gate.stderr.startswith("未通过质量关口：第一名吻合率为 ")


def test_diff_in_chinese(tmp_path):
    source = tmp_path / "proposals.csv"
    source.write_text(
        "id,enterprise_size,expected_mode\na,large,technology_transfer\nb,huge,technology_transfer\nc,small,nosuch\n",
        "utf-8",
    )
    rules = str(ROOT / "rules")
    for fmt in ("text", "markdown"):
        result = run("diff", str(source), "--base-rules", rules, "--format", fmt, "--lang", "zh")
        assert result.exit_code == 0
        assert "规则包对比：" in result.stdout and "第 3 行：“企业规模”（enterprise_size）" in result.stdout
        assert "expected_mode：不是合作模式编号（填写的是 'nosuch'）" in result.stdout
        assert "与实际采用模式的吻合情况（1 项）" in result.stdout  # the expected mode: the one actually used
        shown = without(result.stdout, [str(source), rules, "huge", "nosuch"])
        assert english_sentences(shown) == [], shown
    english = run("diff", str(source), "--base-rules", rules, "--lang", "en").stdout
    assert english.startswith("Rule pack diff: ") and "row 4: expected_mode: not a mode (got 'nosuch')" in english
    json_zh = json.loads(run("diff", str(source), "--base-rules", rules, "--format", "json", "--lang", "zh").stdout)
    assert json_zh["new"].startswith("shipped rules") and json_zh["rejected"][0]["where"] == "row 3"


def test_chinese_sentences_that_read_wrong_are_worded_as_a_reader_expects(tmp_path):
    """Wordings a Chinese reader stumbled on: a precedent's differing values are the case's (该案例),
    not the other party's (对方); the page's stop line is two sentences, not 结束：可以给出建议了：…;
    the unanswered questions that could still change a clear leader are named in brackets, not run
    into the sentence (回答“不知道”的高校提供的内容仍可能…)."""
    zh = catalogue("zh")
    markdown = run(
        "advise", str(ROOT / "examples" / "program_cooperation.json"), "--lang", "zh", "--format", "markdown"
    )
    assert "  - 不同之处（该案例）：所属领域：农业" in markdown.output
    stop = zh["web"]["stop"].format(reason=zh["interview"]["clear"].format(leader="技术服务"))
    assert all(sentence.count("：") <= 1 for sentence in stop.split("。")), stop
    doubts = zh["interview"]["clear_doubts"].format(doubts="高校提供的内容、政府作用")
    assert "回答“不知道”的问题（高校提供的内容、政府作用）仍可能改变结果" in doubts


def half_width_in_chinese(text: str) -> list[str]:
    """Each line with Chinese in it that still has a half-width comma or semicolon between items,
    or a half-width bracket, once quoted values ('huge', “巨型”), `code` and URLs are taken out."""
    found = []
    for line in text.splitlines():
        bare = re.sub(r"'[^']*'|“[^”]*”|`[^`]*`|https?://\S+|(?<![\w-])-\w, --", " ", line)  # and -o, --output
        if HAN.search(line) and re.search(r", |; |[()]", bare):
            found.append(line.strip())
    return found


def test_lists_and_brackets_in_chinese_messages_use_chinese_punctuation(tmp_path):
    """A list the code joins (modes, rule targets, extensions, formats, columns, choices, the
    template's choices) takes 、 under zh, and click's bracket of extras in --help takes ；and （）:
    可选：strategic_alliance, strategic_cooperation … and [默认：5; 0<=x<=50] read as English."""
    import openpyxl

    from advisor.answers import AnswerError, parse_answer
    from advisor.questions import load_questions

    source = tmp_path / "p.csv"
    source.write_text("id,scope\na,single_problem\n", "utf-8")
    (tmp_path / "p.foo").write_text("", "utf-8")
    texts = [
        run("mode", "nosuch", "--lang", "zh").stderr,
        run("rules", "--mode", "nosuch", "--lang", "zh").stderr,
        run("batch", str(tmp_path / "p.foo"), "--lang", "zh").stderr,
        run("batch", str(source), "--lang", "zh", "--report", str(tmp_path / "r.html"), "--group-by", "地区").stderr,
        run("ask", "--lang", "zh", "--save", str(tmp_path / "out.txt"), input="").stderr,
    ]
    assert "可选：strategic_alliance、strategic_cooperation、" in texts[0]
    assert "请使用 .csv、.jsonl、.json、.xlsx，或用 --input-format 指定（csv、jsonl、json、xlsx）" in texts[2]
    assert "文件中的列有：id、scope" in texts[3] and "文件名须以 .json、.yaml、.yml 结尾" in texts[4]
    with pytest.raises(AnswerError) as ambiguous:
        parse_answer(load_questions().get("scope"), "单个", "zh")
    texts.append(str(ambiguous.value))
    assert "“单个”可能指单个技术问题、单个项目；" in texts[-1]
    assert run("template", "--lang", "zh", "-o", str(tmp_path / "t.xlsx")).exit_code == 0
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx").worksheets[0]
    texts += [rule.error for rule in sheet.data_validations.dataValidation if rule.error]
    assert "请从以下选项中选择：企业、政府、高校或科研院所、投资者、外方" in texts
    for command in ["", *_commands()]:
        texts.append(run(*command.split(), "--help", env={"ADVISOR_LANG": "zh"}).output)
    assert "[默认：5；" in run("advise", "--help", env={"ADVISOR_LANG": "zh"}).output
    found = [line for text in texts for line in half_width_in_chinese(text)]
    assert found == []


def _page_text(page: str) -> str:
    """The words a reader sees on a page: no tags, no example bodies, no `code`, nothing marked
    as another language (the switch link's "English")."""
    other = r"<(\w+)[^>]* lang='(?!zh)[^']*'[^>]*>.*?</\1>"
    page = re.sub(rf"<textarea[^>]*>.*?</textarea>|<code>.*?</code>|<script.*?</script>|{other}", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


@pytest.mark.parametrize(("path", "headers"), [("/docs?lang=zh", {}), ("/docs", {"Accept-Language": "zh-CN,zh;q=0.9"})])
def test_the_api_reference_page_in_chinese(path, headers, get):
    response = get(path, headers)
    page = response.text
    assert response.status_code == 200 and "<html lang='zh-CN'>" in page and "发送请求" in page
    assert "Accept-Language" in response.headers["vary"]
    assert english_sentences(_page_text(page)) == [], english_sentences(_page_text(page))
    assert "data-failed='请求失败：'" in page  # the page script's one phrase, read from the page
    english = get("/docs?lang=en", {"Accept-Language": "zh-CN"}).text
    assert "<html lang='en'>" in english and "Send request" in english and "lang='zh'>中文</a>" in english


def test_an_untranslated_operation_on_the_reference_page_is_reported(monkeypatch):
    from advisor.http_api import create_app
    from advisor.http_docs import openapi_document, render_docs_page

    app = create_app()
    schema = openapi_document(app)
    operations = catalogue("zh")["openapi"]["operations"]
    assert english_sentences(_page_text(render_docs_page(schema, "zh", app.state.limits))) == []
    monkeypatch.delitem(operations, "GET /v1/modes")
    found = english_sentences(_page_text(render_docs_page(schema, "zh", app.state.limits)))
    assert found == ["The eight cooperation modes", "The eight cooperation modes"]  # the list and the section


def test_an_untranslated_pack_problem_is_reported(tmp_path, monkeypatch):
    rules = _broken_pack(tmp_path)
    monkeypatch.delitem(catalogue("zh")["pack_problems"]["messages"], "unknown_cite")
    result = run("validate", "--rules", str(rules), "--lang", "zh")
    assert english_sentences(result.stderr) == ["cites unknown knowledge id 'nosuch'"]


def test_batch_usage_and_column_errors_in_chinese(tmp_path):
    """What a Chinese user meets when a sheet or the command line is wrong, all in Chinese."""
    good = tmp_path / "项目.csv"
    good.write_text("id,scope,enterprise_size,备注\na,single_problem,large,hello\n", "utf-8")
    misspelt = tmp_path / "拼错.csv"
    misspelt.write_text("id,enterprse_size,scoep\na,large,single_problem\n", "utf-8")
    existing = tmp_path / "已有.csv"
    existing.write_text("", "utf-8")
    report = str(tmp_path / "报告.html")
    runs = [
        ("batch", str(misspelt), "-o", str(tmp_path / "o1.csv")),
        ("batch", str(good), "-o", str(good)),
        ("batch", str(good), "-o", str(tmp_path / "o2.csv"), "--report", report, "--group-by", "enterprse_size"),
        ("batch", str(good), "-o", str(tmp_path / "o3.csv"), "--report", report, "--group-by", "nosuch"),
        ("batch", str(good), "--group-by", "enterprise_size"),
        ("batch", str(good), "-o", "-", "--format", "xlsx"),
        ("template", "-o", str(existing)),
    ]
    given = [str(tmp_path), "enterprse_size", "scoep", "nosuch", "hello"]
    for args in runs:
        result = run(*args, "--lang", "zh")
        assert result.exit_code != 0, args
        assert english_sentences(without(result.stderr, given)) == [], args
    misspelt_error = run("batch", str(misspelt), "-o", str(tmp_path / "o1.csv"), "--lang", "zh").stderr
    assert "（是不是 'enterprise_size'？）" in misspelt_error and "这些列看来是拼错的合作概况字段" in misspelt_error


def test_serve_announces_itself_in_chinese(start_serve):
    with start_serve("--lang", "zh", "--no-access-log") as served:
        assert "已启动。问卷：http://127.0.0.1:" in served.first_line
        assert english_sentences(served.first_line.replace("coop-advisor", " ")) == []
        assert httpx.get(served.url + "/healthz").json()["status"] == "ok"  # up, so Ctrl+C stops it cleanly


def test_version_in_the_default_language():
    from importlib.metadata import version

    assert run("--version", env={"ADVISOR_LANG": "zh"}).stdout == f"advisor 版本 {version('coop-advisor')}\n"
    assert run("--version", env={"ADVISOR_LANG": "en"}).stdout == f"advisor, version {version('coop-advisor')}\n"


def test_rejected_rows_of_every_kind_in_chinese(tmp_path):
    """Rows too long, cut short, empty, not an object, with a bad value: the errors file's message
    and allowed columns read in Chinese."""
    sheet = tmp_path / "rows.csv"
    sheet.write_text(
        "id,scope,enterprise_size\na,single_problem,large\n\nb,single_problem,large,extra\nc,single_problem\nd,bogus,huge\n",
        "utf-8",
    )
    lines = tmp_path / "rows.jsonl"
    lines.write_text('{"id": "a", "scope": "single_problem"}\n[1, 2]\n', "utf-8")
    for source in (sheet, lines):
        output = tmp_path / f"{source.stem}.{source.suffix[1:]}.out.csv"
        result = run("batch", str(source), "-o", str(output), "--lang", "zh")
        assert result.exit_code == 4
        rows = list(csv.DictReader((tmp_path / f"{output.stem}.errors.csv").read_text("utf-8-sig").splitlines()))
        assert rows
        for row in rows:
            assert english_sentences(row["message"] + "。" + row["allowed"]) == [], row


def test_schema_problems_of_a_rule_file_in_chinese(tmp_path):
    """A misspelt key, a missing field and a value of the wrong type, as a rule author makes them."""
    pack = tmp_path / "rules"
    pack.mkdir()
    for path in (ROOT / "rules").glob("*.yml"):
        (pack / path.name).write_text(path.read_text("utf-8"), "utf-8")
    target = pack / "technology_service.yml"
    text = target.read_text("utf-8")
    text = text.replace(
        "effect: {supports: technology_service, weight: 25}", "effect: {suports: technology_service}", 1
    )
    text = text.replace("    message:", "    mesage:", 1)
    text = text.replace("weight: 20}", "weight: many}", 1)
    target.write_text(text, "utf-8")
    difficulties = pack / "difficulties.yml"
    difficulties.write_text(difficulties.read_text("utf-8").replace("severity: high", "severity: severe", 1), "utf-8")
    result = run("validate", "--rules", str(pack), "--lang", "zh")
    assert result.exit_code != 0 and "不认识这一项" in result.stderr and "缺少这一项" in result.stderr
    assert "应为整数（填写的是 'many'）" in result.stderr
    assert "应为 'low', 'medium' 或 'high'（填写的是 'severe'）" in result.stderr
    given = [str(pack), "'technology_service'", "'many'", "'severe'"]
    assert english_sentences(without(result.stderr, given)) == []


def test_a_rule_tests_problems_in_chinese(tmp_path):
    """An operator unfit for the attribute, an attribute or mode misspelt: the static checks' words."""
    pack = tmp_path / "rules"
    pack.mkdir()
    for path in (ROOT / "rules").glob("*.yml"):
        (pack / path.name).write_text(path.read_text("utf-8"), "utf-8")
    edits = {
        "technology_service.yml": ("{attr: technology_level", "{attr: technology_levle"),
        "technology_transfer.yml": ("effect: {supports: technology_transfer", "effect: {supports: technology_transfr"),
        "program_cooperation.yml": (
            "{attr: funding_sources, contains: enterprise}",
            "{attr: funding_sources, eq: enterprise}",
        ),
    }
    for name, (old, new) in edits.items():
        text = (pack / name).read_text("utf-8")
        assert old in text, name
        (pack / name).write_text(text.replace(old, new, 1), "utf-8")
    result = run("validate", "--rules", str(pack), "--lang", "zh")
    assert result.exit_code != 0 and result.stderr.count("错误：") >= 3
    assert "是列表字段" in result.stderr and "不存在（现有：" in result.stderr
    assert english_sentences(without(result.stderr, [str(pack)])) == []


# -- the messages a Chinese reader met in English (the review of 2026-11-29) -------------------------


def _zh_error(tmp_path: Path, name: str, content: bytes, *args: str) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    result = run(*[str(path) if arg == "FILE" else arg for arg in args], "--lang", "zh")
    assert result.exit_code != 0
    return result.stderr


@pytest.mark.parametrize(
    ("name", "content", "args", "expected"),
    [
        (
            "gbk.csv",
            "项目编号,企业规模\nA,大型企业\n".encode("gb18030"),
            ["batch", "FILE", "-o", "-"],
            "gbk.csv：第 1 行不是有效的 utf-8 编码（字节 0x",
        ),
        (
            "unk.csv",
            b"a,b\n1,2\n",
            ["batch", "FILE", "-o", "-"],
            "unk.csv：第一行没有任何合作概况字段；第一行必须是表头",
        ),
        ("arr.json", b"[1, 2]", ["advise", "FILE"], "arr.json：应为合作概况的字段表"),
        (
            "j.jsonl",
            b'{"enterprise_size": "large"}\n{bad json}\n[1]\n',
            ["batch", "FILE", "-o", "-"],
            "整行：JSON 格式有误（第 2 列）：",
        ),
        (
            "p.csv",
            b"id,enterprise_size\nP1,large\n",
            ["batch", "FILE", "-o", "-", "--encoding", "rot13"],
            "是一种转换，不是文本编码",
        ),
        (
            "q.csv",
            b"id,enterprise_size\nP1,large\n",
            ["batch", "FILE", "-o", "-", "--encoding", "nosuch"],
            "不认识的编码 'nosuch'",
        ),
    ],
    ids=["gbk", "no-attribute-header", "not-a-mapping", "jsonl-line", "transform-codec", "unknown-codec"],
)
def test_input_errors_read_in_chinese(tmp_path, name, content, args, expected):
    stderr = _zh_error(tmp_path, name, content, *args)
    assert expected in stderr
    # json's own reasons ("Expecting property name ...") read in Chinese too
    assert english_sentences(without(stderr, [str(tmp_path)])) == []


def test_json_kinds_and_standard_input_are_named_in_chinese(tmp_path):
    stderr = _zh_error(tmp_path, "arr.json", b"[1, 2]", "advise", "FILE")
    assert "读到的是数组（列表）" in stderr and "list" not in stderr
    stderr = _zh_error(tmp_path, "j.jsonl", b'{"enterprise_size": "large"}\n[1]\n', "batch", "FILE", "-o", "-")
    assert "实际是数组（列表）" in stderr and "未能评估 1 行" in stderr
    empty = run("advise", "-", "--lang", "zh", input="")
    assert empty.exit_code == 3 and "错误：标准输入：文件是空的" in empty.stderr


def test_standard_input_and_output_are_named_in_chinese_in_every_message_and_report(tmp_path):
    """`<stdin>` and `<stdout>` are the code's names (the check lets `<...>` through as a code):
    under zh an invalid profile read from stdin and a batch's summary and report name the streams
    标准输入 and 标准输出; English keeps `<stdin>`."""
    invalid = run("advise", "-", "--lang", "zh", input='{"scope": "x"}')
    assert invalid.exit_code == 3 and invalid.stderr.startswith("错误：标准输入：合作概况填写有误")
    rows = "id,scope,enterprise_size\na,single_problem,large\nb,multi_program,small\n"
    report = tmp_path / "r.html"
    batch = run("batch", "-", "-o", "-", "--lang", "zh", "--summary", "--report", str(report), input=rows)
    assert batch.exit_code == 0 and "批量评估汇总：标准输入" in batch.stderr
    page = report.read_text("utf-8")
    assert "项目组合分析报告：标准输入" in page and "评估结果已写入 标准输出" in page
    for text in (invalid.stderr, batch.output, batch.stderr, page):
        assert "stdin" not in text and "stdout" not in text
    assert "error: <stdin>: invalid profile" in run("advise", "-", "--lang", "en", input='{"scope": "x"}').stderr
    english = run("batch", "-", "-o", "-", "--lang", "en", "--summary", input=rows)
    assert "<stdin>" in english.stderr


def test_a_parsers_detail_is_quoted_as_it_gives_it(tmp_path):
    # "' or '" is translated where the advisor wrote it, never inside the YAML parser's own words: a
    # reason that no template of problems.yaml_reasons knows is shown whole, as the parser gave it
    from advisor.problem_text import translate

    unknown = "p.yaml: malformed YAML at line 2, column 1: expected ',' or ']' in words the parser has not used before"
    assert translate(unknown, "zh", "input") == (
        "p.yaml：YAML 格式有误（第 2 行第 1 列）：expected ',' or ']' in words the parser has not used before"
    )
    stderr = _zh_error(tmp_path, "bad.yaml", b"enterprise_size: [large\n", "advise", "FILE")
    assert "YAML 格式有误（第 2 行第 1 列）：这里应为逗号“,”或方括号列表结尾的“]”，却遇到了文件结尾" in stderr
    assert " 或 " not in stderr


def test_ask_path_errors_read_in_chinese(tmp_path):
    wrong = run("ask", "--lang", "zh", "--save", str(tmp_path / "out.txt"), input="")
    assert wrong.exit_code == 2 and "文件名须以 .json、.yaml、.yml 结尾" in wrong.stderr
    missing = run("ask", "--lang", "zh", "--report", str(tmp_path / "nowhere" / "r.md"), input="")
    assert missing.exit_code == 2 and f"文件夹 {tmp_path / 'nowhere'} 不存在" in missing.stderr
    for result in (wrong, missing):
        assert english_sentences(without(result.stderr, [str(tmp_path)])) == []


INSUFFICIENT = [
    (
        {"disciplines": "single", "international_parties": "bilateral"},
        "合作概况中只有 2 项是已知的，至少需要回答 3 项。",
    ),
    (
        {"enterprise_engagement": "passive", "university_takes_equity": False, "foreign_partner": False},
        "尚无规则支持任何一种模式，还需要进一步了解合作情况。",
    ),
    (
        {"enterprise_size": "none", "existing_result": False, "enterprise_engagement": "passive"},
        "尚无模式得到足够支持：领先的校办企业只得到 20 分支持，至少需要 25 分。",
    ),
    (
        {
            "enterprise_engagement": "passive",
            "sector": "manufacturing",
            "government_roles": ["policy"],
            "risk_sharing": "high",
            "technology_level": "high",
            "university_takes_equity": False,
            "university_discipline_strength": "ordinary",
            "scope": "multi_program",
            "university_goal": "public_interest",
            "existing_result": False,
            "joint_entity": True,
            "enterprise_size": "none",
            "ipr_sensitivity": "medium",
        },
        "即使领先的技术服务也只有 {score} 分，没有很适合的模式。",
    ),
]


@pytest.mark.parametrize(("profile", "expected"), INSUFFICIENT)
def test_insufficient_information_says_what_is_missing_in_chinese(profile, expected, tmp_path):
    """What the English reason says (too few answers, too little support, a weak leader), with its
    numbers, and not the label again: 结论：信息不足。信息不足，… read twice."""
    advice = default_advisor().advise(profile, what_if=False)
    assert advice.decision == "insufficient_information"
    leader = next(mode for mode in advice.modes if mode.verdict != "excluded")
    assert advice.decision_reasons["zh"] == expected.format(score=leader.score)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(profile), "utf-8")
    text = run("advise", str(path), "--lang", "zh", "--no-what-if").output
    assert f"结论：信息不足。{advice.decision_reasons['zh']}" in text.replace("\n  ", "")
    batch = tmp_path / "p.csv"
    batch.write_text(",".join(profile) + "\n" + ",".join(_cell(v) for v in profile.values()) + "\n", "utf-8")
    run("batch", str(batch), "-o", str(tmp_path / "out.csv"), "--lang", "zh")
    with (tmp_path / "out.csv").open(encoding="utf-8-sig") as cells:
        row = next(csv.DictReader(cells))
    assert row["decision_reason"] == advice.decision_reasons["zh"]


def _cell(value: Any) -> str:
    return ";".join(value) if isinstance(value, list) else str(value).lower()


#: Every why the scorer gives (scoring.Scorer._decide), and its sentence in each language.
WHYS = [
    (("all_excluded",), "Every mode is excluded by the profile.", "所有模式均被排除。"),
    (
        ("too_few_answers", 2, 3),
        "Only 2 of the profile's attributes are known; answer at least 3.",
        "合作概况中只有 2 项是已知的，至少需要回答 3 项。",
    ),
    (
        ("no_support",),
        "No rule supports any mode yet: more of the partnership must be known.",
        "尚无规则支持任何一种模式，还需要进一步了解合作情况。",
    ),
    (
        ("weak_support", "technology_service", 20, 30.0),
        "No mode has enough support yet: the leader, Technology Service, has 20 points of supporting evidence and needs 30.",
        "尚无模式得到足够支持：领先的技术服务只得到 20 分支持，至少需要 30 分。",
    ),
    (
        ("weak_leader", "technology_service", 41),
        "Even the leader, Technology Service, scores only 41: no mode fits well.",
        "即使领先的技术服务也只有 41 分，没有很适合的模式。",
    ),
    (
        ("close_call", "technology_transfer", 65, "technology_service", 61, 5.0),
        "Technology Transfer (65) and Technology Service (61) are within 5 points.",
        "技术转让（65 分）与技术服务（61 分）相差不大。",
    ),
    (
        ("tie", "technology_transfer", 65, "technology_service", 65, 5.0),
        "Technology Transfer (65) and Technology Service (65) are within 5 points.",
        "技术转让与技术服务并列，均为 65 分。",
    ),
    (
        ("leads_alone", "technology_equity"),
        "Technology Equity leads; every other mode is excluded.",
        "技术入股领先，其余模式均被排除。",
    ),
    (
        ("leads_by", "technology_equity", 12, "technology_transfer"),
        "Technology Equity leads by 12 points over Technology Transfer.",
        "技术入股领先技术转让 12 分。",
    ),
]


@pytest.mark.parametrize(("why", "english", "chinese"), WHYS, ids=[why[0] for why, _, _ in WHYS])
def test_each_decision_why_reads_in_each_language(why, english, chinese):
    """The sentences fit a spreadsheet cell: no "the questions below" (a batch cell has nothing
    below it), and never the label again (结论：信息不足。信息不足，…)."""
    scorer = default_advisor().scorer
    assert scorer.reason_text(why, "en") == english
    assert scorer.reason_text(why, "zh") == chinese


def test_every_decision_code_is_worded_in_every_language_and_tested():
    codes = {why[0] for why, _, _ in WHYS}
    assert set(WHY_PLACES) == codes == set(typing.get_args(DecisionCode))
    for lang in ("en", "zh"):
        assert set(catalogue(lang)["decision_reasons"]) == codes, lang


def test_the_advice_words_its_own_why_in_every_language():
    """decision_reasons comes from the scorer's why, not from the English sentence: the English
    is the same sentence, and the Chinese names the same modes and numbers."""
    advisor = default_advisor()
    seen = set()
    for seed in range(150):
        profile = random_profile(random.Random(seed), (0.15, 0.4, 0.8)[seed % 3])
        advice = advisor.advise(profile, what_if=False)
        basis = advice.decision_basis
        assert basis is not None
        seen.add(basis.code)
        assert advice.decision_reasons["en"] == advice.decision_reason
        zh = advice.decision_reasons["zh"]
        assert "{" not in zh and english_sentences(zh) == [], zh
        for place in ("leader", "runner"):
            if place in basis.values:
                assert advisor.knowledge.modes[str(basis.values[place])].name_zh in zh
    assert {"too_few_answers", "close_call", "leads_by"} <= seen, seen


def test_an_advice_read_back_from_json_keeps_its_reasons_and_basis():
    """A saved advice (JSON) read back is the same advice: its reason in every language and why it
    was decided survive, and a batch row made from it words its reason as the fast path does."""
    from advisor.row_scoring import Outcome, Outcomes

    advisor = default_advisor()
    for path in EXAMPLES:
        advice = advisor.advise(json.loads(path.read_text("utf-8")), what_if=False)
        again = Advice.model_validate_json(advice.model_dump_json())
        assert again == advice
        assert set(again.decision_reasons) == {"en", "zh"} and again.decision_basis == advice.decision_basis
        assert render.decision_reason(again, "zh") == render.decision_reason(advice, "zh")
        assert render.render_markdown(again, "zh") == render.render_markdown(advice, "zh")
        fast = Outcomes(advisor)(frozenset(advice.fired_rules), len(advice.answered))
        assert Outcome.from_advice(again).why == fast.why


def test_values_with_their_unit_are_read_as_people_write_them():
    # a threshold or a value written with its unit; the label beside it then drops its own unit
    sa004 = run("explain", "SA004", "--lang", "zh").stdout
    assert "经费不少于 1000 万元" in sa004 and "1e+07" not in sa004
    assert "合作期限不超过 1 年" in run("explain", "TS004", "--lang", "zh").stdout
    advice = run("advise", str(ROOT / "examples" / "technology_equity.json"), "--lang", "zh").stdout
    assert "经费：800 万元" in advice and "经费（元）：" not in advice
    assert "funding_cny <= 500000" in run("explain", "TS004", "--lang", "en").stdout  # English as it was


def test_the_questions_still_worth_asking_are_named_by_their_labels_in_chinese(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"enterprise_size": "medium", "funding_cny": 3500000, "duration_months": 30}))
    chinese = run("advise", str(path), "--lang", "zh").stdout.split("还需了解", 1)[1]
    assert "? 高校技术入股：" in chinese and "university_takes_equity" not in chinese
    assert "? university_takes_equity: " in run("advise", str(path), "--lang", "en").stdout


def test_ranges_in_chinese_errors_have_no_thousands_commas(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"funding_cny": -5, "institution_count": 1000000}))
    stderr = run("advise", str(path), "--lang", "zh").stderr
    assert "应为 0 元到 10 万亿元之间的金额" in stderr and "应为 1 到 100000 之间的整数" in stderr
    assert not re.search(r"\d,\d{3}", stderr)


def test_the_chinese_template_states_ranges_in_chinese(tmp_path):
    import openpyxl

    target = tmp_path / "模板.xlsx"
    assert run("template", "--lang", "zh", "-o", str(target)).exit_code == 0
    book = openpyxl.load_workbook(target)
    texts = [
        value for sheet in book for row in sheet.iter_rows(values_only=True) for value in row if isinstance(value, str)
    ]
    texts += [rule.error for sheet in book for rule in sheet.data_validations.dataValidation if rule.error]
    assert any("应为 1 到 600 之间的整数" in text for text in texts)
    assert any("应为 0 元到 10 万亿元之间的金额" in text for text in texts)
    assert not [text for text in texts if "an integer" in text or "a number >=" in text]


@pytest.mark.parametrize(
    ("lang", "sheet", "header"),
    [
        ("zh", "未能评估的行", ["行号", "项目编号", "字段", "填写的值", "问题", "可填写的值"]),
        ("en", "Rejected rows", ["Row", "ID", "Field", "Value given", "Problem", "Allowed"]),
    ],
)
def test_the_errors_workbook_is_in_the_runs_language(tmp_path, lang, sheet, header):
    import openpyxl

    source = tmp_path / "p.csv"
    source.write_text("id,enterprise_size\nP1,large\nP2,超大型\n", encoding="utf-8")
    result = run("batch", str(source), "-o", str(tmp_path / "out.xlsx"), "--lang", lang, "--no-progress")
    assert result.exit_code == 4
    book = openpyxl.load_workbook(tmp_path / "out.errors.xlsx")
    rows = list(book.active.iter_rows(values_only=True))
    assert book.sheetnames == [sheet] and list(rows[0]) == header
    assert rows[1][:4] == (3, "P2", "enterprise_size", "超大型")
    from advisor.batch import ERROR_COLUMNS
    from advisor.workbook import column_ids

    assert column_ids(rows[0], lang) == list(ERROR_COLUMNS)  # a program maps the labels back


def test_the_what_if_cell_reads_in_chinese(tmp_path):
    source = tmp_path / "p.csv"
    source.write_text(
        "id,enterprise_size,existing_result,research_stages,technology_level\nP1,medium,true,production,high\n",
        encoding="utf-8",
    )
    english = run("batch", str(source), "-o", "-", "--what-if", "--lang", "en", "--no-progress").stdout
    chinese = run("batch", str(source), "-o", "-", "--what-if", "--lang", "zh", "--no-progress").stdout
    english_cell = list(csv.DictReader(english.lstrip("\ufeff").splitlines()))[0]["next_questions"]
    chinese_cell = list(csv.DictReader(chinese.lstrip("\ufeff").splitlines()))[0]["next_questions"]
    assert re.match(r"[a-z_]+ \(", english_cell)  # English keeps the ids a program reads
    assert chinese_cell and "若答“" in chinese_cell and " 分" in chinese_cell
    assert not re.search(r"[a-z]{3,}_[a-z]", chinese_cell) and english_sentences(chinese_cell) == []


def test_a_misspelt_chinese_header_is_mended_by_its_chinese_label(tmp_path):
    source = tmp_path / "p.csv"
    source.write_text("项目编号,企业规摸\nA,大型企业\n", encoding="utf-8")
    for lang in ("zh", "en"):
        stderr = run("batch", str(source), "-o", "-", "--lang", lang).stderr
        assert "'企业规摸'" in stderr and "'企业规模'" in stderr and "enterprise_size" not in stderr


def test_chinese_screens_break_lines_as_chinese_is_typeset():
    # 避头尾: no line starts with closing punctuation or ends with an opening bracket; no line is
    # wider than the text's width (96 columns), and law names are in 《》
    from advisor.textwidth import CLOSING, OPENING, WIDTH, width

    screens = [run("mode", mode, "--lang", "zh").stdout for mode in shipped_mode_ids()]
    screens += [run("advise", str(path), "--lang", "zh").stdout for path in sorted((ROOT / "examples").glob("*.json"))]
    for screen in screens:
        for line in screen.splitlines():
            body = line.strip()
            if body:
                assert body[0] not in CLOSING - {".", ",", ";", ":", "!", "?", ")", "]", "}", ">", "…", "·"}, line
                assert body[-1] not in OPENING - {"(", "[", "{", "<"}, line
                assert width(line) <= WIDTH or " " not in body, line
    assert "《中华人民共和国民法典》第三编“合同”" in run("mode", "technology_transfer", "--lang", "zh").stdout


def shipped_mode_ids() -> list[str]:
    from advisor.core import default_advisor

    return list(default_advisor().knowledge.modes)


def test_a_reason_tag_is_never_broken_across_lines():
    # "[PC006 +30]" once broke after the rule id when the sentence filled the line
    import re

    cut_after_id = re.compile(r"\[[A-Z]{2}\d{3}$")
    cut_before_weight = re.compile(r"^[+-]\d+\]")
    for lang in ("zh", "en"):
        for path in sorted((ROOT / "examples").glob("*.json")):
            screen = run("advise", str(path), "--lang", lang).stdout
            assert re.search(r"\[[A-Z]{2}\d{3} [+-]\d+\]", screen)  # the tags are there
            for line in screen.splitlines():
                assert not cut_after_id.search(line.rstrip()) and not cut_before_weight.match(line.strip()), line


def test_a_cell_without_a_header_and_a_row_of_carried_columns_only_are_told_in_chinese(tmp_path):
    source = tmp_path / "p.csv"
    source.write_text("id,enterprise_size,,备注\nP1,large,x,\n,,,note\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    run("batch", str(source), "-o", str(out), "--lang", "zh")
    errors = list(csv.DictReader((tmp_path / "out.errors.csv").read_text("utf-8-sig").splitlines()))
    assert [error["message"] for error in errors] == [
        "第 3 列没有表头，却填了 'x'",
        "这一行只填了非合作概况字段的列，没有项目编号、项目名称或任何字段",
    ]


#: Seven levels of ten aliases each: 10,000,000 values once expanded (the limit is 1,048,576).
_ALIAS_BOMB = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 7)
)


@pytest.mark.parametrize(
    ("text", "chinese", "english"),
    [
        (
            '{"scope": }',
            "标准输入：JSON 格式有误（第 1 行第 11 列）：此处应为一个 JSON 值",
            "malformed JSON at line 1, column 11: Expecting value",
        ),
        (
            '{"scope": "a", "scope": "b"}',
            "标准输入：键 'scope' 出现了两次；每个键只能给一次",
            "the key 'scope' appears twice; give each key once",
        ),
        (
            '{"funding_cny": 1' + "0" * 150 + "}",
            "整数 100000000000... 长达 151 位，超过了 100 位的上限",
            "a number has 151 digits",
        ),
        (
            '{"a": ' + "[" * 300 + "]" * 300 + "}",
            "列表和对象的嵌套超过了 32 层的上限",
            "nest deeper than the limit of 32 levels",
        ),
        (
            "scope: a\nscope: b\n",
            "键 'scope' 出现了两次（第 2 行）；每个键只能给一次",
            "the key 'scope' appears twice (line 2)",
        ),
        (_ALIAS_BOMB, "展开别名（*名称）后，文档包含的值超过", "values once its aliases (*name) are expanded"),
    ],
    ids=["json-reason", "key-twice", "digits", "too-deep", "yaml-key-twice", "yaml-aliases"],
)
def test_a_profile_file_over_a_limit_or_malformed_is_refused_in_chinese(text, chinese, english):
    """A profile that json or the limits refuse (advisor/limits.py) says why in Chinese under zh,
    json's own reasons included; English keeps its wording."""
    zh = run("advise", "-", "--lang", "zh", input=text)
    assert zh.exit_code != 0 and chinese in zh.stderr, zh.stderr
    assert english_sentences(zh.stderr) == []
    en = run("advise", "-", input=text)
    assert en.exit_code != 0 and english in en.stderr and "<stdin>" in en.stderr


def _link_loop(path: Path) -> None:
    path.symlink_to(path.name)


@pytest.mark.parametrize(
    ("name", "make", "args", "chinese", "english"),
    [
        ("loop.json", _link_loop, ["advise", "FILE"], "这是一个指回自身的符号链接", "leads back to itself"),
        (
            "dangling.json",
            lambda path: path.symlink_to("/nonexistent-profile.json"),
            ["advise", "FILE"],
            "但它指向的文件不存在",
            "which leads to no file",
        ),
        (
            "u16.json",
            lambda path: path.write_bytes('{"scope": "single_problem"}'.encode("utf-16")),
            ["advise", "FILE"],
            "文件是 UTF-16 文本（以 UTF-16 字节顺序标记开头），不是 UTF-8；请另存为 UTF-8",
            "the file is UTF-16 text",
        ),
        (
            "u16le.json",
            lambda path: path.write_bytes('{"scope": "single_problem"}'.encode("utf-16-le")),
            ["advise", "FILE"],
            "字节位置 1 处有空字节 NUL",
            "a NUL byte at byte 1",
        ),
        (
            "u16.csv",
            lambda path: path.write_bytes("id,scope\na,single_problem\n".encode("utf-16")),
            ["batch", "FILE", "-o", "-"],
            "请加上 --encoding utf-16，或另存为 UTF-8",
            "pass --encoding utf-16",
        ),
        (
            "many.yml",
            lambda path: path.write_text("scope: [" + ", ".join(["a"] * 20_000) + "]\n", "utf-8"),
            ["advise", "FILE"],
            "文档包含的值超过 10,000 个",
            "holds more than 10,000 values",
        ),
    ],
    ids=["link-loop", "dangling-link", "utf16-bom", "utf16-no-bom", "batch-utf16", "yaml-values"],
)
def test_the_hostile_file_refusals_read_in_chinese(tmp_path, name, make, args, chinese, english):
    """The refusals of files that are not what they claim (a link loop, UTF-16, too many values)
    read in Chinese under zh and keep their English wording otherwise."""
    path = tmp_path / name
    make(path)
    argv = [str(path) if arg == "FILE" else arg for arg in args]
    zh = run(*argv, "--lang", "zh")
    assert zh.exit_code == 3 and chinese in zh.stderr, zh.stderr
    assert english_sentences(without(zh.stderr, [str(path), "/nonexistent-profile.json"])) == []
    en = run(*argv, "--lang", "en")
    assert en.exit_code == 3 and english in en.stderr


# -- the operating system's reasons (strerror) --------------------------------------------------------

#: The errno names whose reason the catalogue words (problems.os_reasons); any other reads as the OS gives it.
OS_REASON_NAMES = [
    "ENOENT", "EACCES", "EPERM", "ENOSPC", "EISDIR", "ENOTDIR", "EROFS", "EEXIST", "ENAMETOOLONG", "ELOOP",
    "EMFILE", "ENFILE", "EFBIG", "EDQUOT", "EIO", "EBUSY", "EAGAIN", "EWOULDBLOCK", "ETXTBSY", "EINVAL",
]  # fmt: skip


@pytest.mark.parametrize("name", OS_REASON_NAMES)
def test_a_common_os_reason_reads_in_chinese_and_in_the_systems_english(name):
    import errno
    import os

    from advisor.problem_text import os_reason, translate

    code = getattr(errno, name)
    error = OSError(code, os.strerror(code))
    chinese = os_reason(error, "zh")
    assert HAN.search(chinese) and english_sentences(chinese) == [], chinese
    assert os_reason(error, "en") == os.strerror(code)  # English: the system's own words, as before
    # the same reason inside an English message built far from any language (an InputError)
    message = f"x.json: cannot read: {os.strerror(code)}"
    assert translate(message, "zh", "input") == f"x.json：无法读取：{chinese}"


def test_an_uncommon_os_reason_keeps_the_systems_words():
    import errno
    import os

    from advisor.problem_text import os_reason, translate

    reason = os.strerror(errno.EXDEV)
    assert os_reason(OSError(errno.EXDEV, reason), "zh") == reason  # never dropped
    assert os_reason(OSError("no errno at all"), "zh") == "no errno at all"
    assert translate(f"x.json: cannot read: {reason}", "zh", "input") == f"x.json：无法读取：{reason}"


def _zh_and_en(args: list[str], prefix: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """`advisor ARGS --lang zh` and `--lang en`, each in a process of its own (after `prefix`)."""
    import subprocess
    import sys

    def one(lang: str) -> Any:
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "advisor", *args, "--lang", lang],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
        return result

    return one("zh"), one("en")


def _unreadable(path: Path) -> tuple[str, ...]:
    """Makes `path` unreadable (chmod 000); returns the prefix of a command that then cannot read it.

    NOTE: root reads a file of mode 000 all the same. As root the file is given to nobody and the
    command runs in a user namespace of its own (`unshare --user --map-root-user`): there root's
    powers reach only the files of the users mapped into it, and nobody is not. Without one, the
    test is skipped, saying why."""
    import os
    import shutil
    import subprocess

    path.chmod(0)
    if os.geteuid() != 0:
        return ()
    os.chown(path, 65534, 65534)
    prefix = ("unshare", "--user", "--map-root-user")
    if shutil.which("unshare") is None:
        pytest.skip("running as root, whom chmod 000 does not stop, and there is no `unshare` to run as another")
    probe = subprocess.run([*prefix, "cat", str(path)], capture_output=True, timeout=30)
    if probe.returncode == 0 or b"Permission denied" not in probe.stderr:
        pytest.skip(f"running as root, and no user namespace where chmod 000 denies reading: {probe.stderr!r}")
    return prefix


@pytest.mark.parametrize("where", ["profile", "pack"])
def test_an_unreadable_file_says_permission_denied_in_chinese(tmp_path, where):
    import shutil

    if where == "profile":
        path = tmp_path / "p.json"
        path.write_text('{"enterprise_size": "large"}', "utf-8")
        args = ["advise", str(path)]
        chinese, english = "p.json：无法读取：没有权限", "p.json: cannot read: Permission denied"
    else:
        rules = tmp_path / "rules"
        shutil.copytree(ROOT / "rules", rules)
        path = rules / "locked.yml"
        path.write_text("rules: []\n", "utf-8")
        args = ["validate", "--rules", str(rules)]
        chinese, english = "locked.yml：无法读取文件：没有权限", "locked.yml: cannot read file: Permission denied"
    zh, en = _zh_and_en(args, _unreadable(path))
    assert zh.returncode != 0 and chinese in zh.stderr, zh.stderr
    assert english_sentences(without(zh.stderr, [str(tmp_path)])) == [], zh.stderr
    assert en.returncode == zh.returncode and english in en.stderr, en.stderr


def test_a_pack_file_that_does_not_exist_says_so_in_chinese(tmp_path):
    # a link among the rules to a file that is gone: the reason is the system's (ENOENT)
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / "gone.yml").symlink_to("nowhere.yml")
    zh, en = _zh_and_en(["validate", "--rules", str(rules)])
    assert zh.returncode == 1 and "gone.yml：无法读取文件：文件或文件夹不存在" in zh.stderr, zh.stderr
    assert english_sentences(without(zh.stderr, [str(tmp_path)])) == [], zh.stderr
    assert en.returncode == 1 and "gone.yml: cannot read file: No such file or directory" in en.stderr


@pytest.mark.parametrize(
    ("args", "chinese", "english"),
    [
        (["advise", "PROFILE", "-o", "/dev/full"], "错误：/dev/full：无法写入：", "/dev/full: cannot write: "),
        (["advise", "PROFILE"], "错误：无法写出输出：", "error: cannot write the output: "),
        (["batch", "ROWS", "-o", "/dev/full"], "错误：/dev/full：无法完成：", "/dev/full: cannot finish: "),
    ],
    ids=["advise-o", "advise-stdout", "batch-o"],
)
def test_a_full_device_says_so_in_chinese(tmp_path, args, chinese, english):
    import subprocess
    import sys

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    (tmp_path / "p.json").write_text('{"enterprise_size": "large"}', "utf-8")
    (tmp_path / "in.csv").write_text("id,enterprise_size\na,large\n", "utf-8")
    argv = [{"PROFILE": str(tmp_path / "p.json"), "ROWS": str(tmp_path / "in.csv")}.get(arg, arg) for arg in args]
    results = {}
    for lang in ("zh", "en"):
        with open("/dev/full", "w") as full:  # standard output too, for the command that writes there
            results[lang] = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "advisor",
                    *argv,
                    "--lang",
                    lang,
                    *(["--no-progress"] if "batch" in argv else []),
                ],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
                cwd=ROOT,
            )
    zh, en = results["zh"], results["en"]
    assert zh.returncode == 3 and chinese + "磁盘空间不足" in zh.stderr, zh.stderr
    assert english_sentences(without(zh.stderr, [str(tmp_path)])) == [], zh.stderr
    assert en.returncode == 3 and english in en.stderr and "o space left on device" in en.stderr, en.stderr


class _MakesADirectoryOnFirstRead(io.BytesIO):
    """Piped answers that, when first read, put a folder where the answers are saved (as a person
    might, mid-session, in another window): the save then meets the system's EISDIR."""

    def __init__(self, data: bytes, folder: Path):
        super().__init__(data)
        self.folder = folder

    def _first(self, size: int | None) -> None:
        if size != 0 and not self.folder.exists():  # NOTE: click tries read(0) to see the stream is binary
            self.folder.mkdir()

    def read(self, size: int | None = -1) -> bytes:
        self._first(size)
        return super().read(size)

    def read1(self, size: int = -1) -> bytes:
        self._first(size)
        return super().read1(size)

    def readline(self, size: int | None = -1) -> bytes:
        self._first(size)
        return super().readline(size)


@pytest.mark.parametrize(
    ("lang", "said"), [("zh", "无法写入 s.json：这是文件夹，不是文件"), ("en", "Cannot write s.json: Is a directory")]
)
def test_a_folder_where_the_answers_are_saved_is_said_in_the_sessions_language(tmp_path, monkeypatch, lang, said):
    monkeypatch.chdir(tmp_path)
    stdin = _MakesADirectoryOnFirstRead(b"large\n", tmp_path / "s.json")
    result = CliRunner().invoke(cli, ["ask", "--save", "s.json", "--lang", lang], input=stdin, catch_exceptions=False)
    assert result.exit_code == 3 and (tmp_path / "s.json").is_dir()
    assert said in result.stdout, result.stdout
    assert result.stdout.count(said) == 1  # said once, not after every answer
    if lang == "zh":
        assert "Is a directory" not in result.stdout


class _RemovesTheFolderOnFirstRead(_MakesADirectoryOnFirstRead):
    """Piped answers that, when first read, remove the folder the answers are saved in."""

    def _first(self, size: int | None) -> None:
        if size != 0 and self.folder.exists():
            self.folder.rmdir()


def test_a_folder_removed_where_the_answers_are_saved_is_said_as_before(tmp_path, monkeypatch):
    # said in the session's words ("Cannot write ...: No such file or directory"), not in batch's
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    stdin = _RemovesTheFolderOnFirstRead(b"large\n", tmp_path / "d")
    result = CliRunner().invoke(cli, ["ask", "--save", "d/s.json", "--lang", "en"], input=stdin, catch_exceptions=False)
    assert result.exit_code == 3 and not (tmp_path / "d").exists()
    assert result.stdout.count("Cannot write d/s.json: No such file or directory") == 1, result.stdout


# -- a pack's files refused by kind, size, count of values or encoding (advisor/yamlfile.py) -----------


def _pack_with(tmp_path: Path, name: str, make: Any) -> Path:
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    make(rules / name)
    return rules


_PACK_REFUSALS = [
    # (id, file, make it, limits to lower, Chinese, English)
    (
        "directory",
        "dir.yml",
        Path.mkdir,
        {},
        "dir.yml：这是文件夹，不是普通文件",
        "dir.yml: is a directory, not a file",
    ),
    (
        "size",
        "big.yml",
        lambda path: path.write_text("rules: []\n" + "# a comment line\n" * 7000, "utf-8"),
        {"MAX_PACK_FILE_BYTES": 100_000},  # over every shipped file
        "big.yml：文件有 119,010 字节，超过了规则包中单个文件 100,000 字节的上限（2 万条规则约 13 MB）；请把它拆成几个文件",
        "big.yml: the file is 119,010 bytes, over the limit of 100,000 for one file of a pack",
    ),
    (
        "values",
        "many.yml",
        lambda path: path.write_text("rules: []\nstuff: [" + "1," * 6000 + "1]\n", "utf-8"),
        {"MAX_PACK_VALUES": 5000},  # over every shipped file's count
        "many.yml：文件包含的值（标量、列表和映射）超过 5,000 个",
        "many.yml: the file holds more than 5,000 values (scalars, lists and mappings)",
    ),
    (
        "aliases",
        "laughs.yml",
        lambda path: path.write_text(
            "rules: []\na: &a [" + "1, " * 99 + "1]\nb: [" + "*a, " * 99 + "*a]\n", "utf-8"
        ),  # 200 values written, 10,000 once the aliases are expanded
        {"MAX_PACK_VALUES": 5000},
        "laughs.yml：展开别名（*名称）后，文档包含的值超过 5,000 个",
        "laughs.yml: the document stands for more than 5,000 values once its aliases (*name) are expanded",
    ),
    (
        "alias-loop",
        "loop.yml",
        lambda path: path.write_text("rules: []\na: &a [*a]\n", "utf-8"),
        {},
        "loop.yml：别名（*名称）指向了包含它自己的列表或映射",
        "loop.yml: an alias (*name) refers to the list or mapping that holds it",
    ),
    (
        "utf-8",
        "latin.yml",
        lambda path: path.write_bytes(b"rules: []\n# caf\xe9\n"),
        {},
        "latin.yml：不是 UTF-8 文本（第 2 行，字节 0xe9）；请把文件另存为 UTF-8",
        "latin.yml: not UTF-8 text (byte 0xe9 on line 2); save the file as UTF-8",
    ),
    (
        "digits",
        "digits.yml",
        lambda path: path.write_text("rules: []\nn: " + "1" * 5000 + "\n", "utf-8"),
        {},
        "digits.yml：YAML 格式有误：有一个整数超过了 4,300 位",
        "digits.yml: malformed YAML: a number has more than 4,300 digits",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "limits", "chinese", "english"),
    [refusal[1:] for refusal in _PACK_REFUSALS],
    ids=[refusal[0] for refusal in _PACK_REFUSALS],
)
def test_validate_names_a_refused_pack_file_in_chinese(tmp_path, monkeypatch, name, make, limits, chinese, english):
    import advisor.yamlfile

    for limit, value in limits.items():  # lowered, so that the files stay small; the checks are the same
        monkeypatch.setattr(advisor.yamlfile, limit, value)
    rules = _pack_with(tmp_path, name, make)
    zh = run("validate", "--rules", str(rules), "--lang", "zh")
    assert zh.exit_code == 1 and chinese in zh.stderr, zh.stderr
    assert english_sentences(without(zh.stderr, [str(tmp_path)])) == [], zh.stderr
    en = run("validate", "--rules", str(rules), "--lang", "en")
    assert en.exit_code == 1 and english in en.stderr, en.stderr


@pytest.mark.parametrize(
    ("kind", "chinese", "english"),
    [
        ("pipe", "odd.yml：这是命名管道，不是普通文件", "odd.yml: is a named pipe, not a file"),
        ("device", "odd.yml：这是字符设备，不是普通文件", "odd.yml: is a character device, not a file"),
    ],
)
def test_validate_names_a_pipe_or_a_device_among_the_rules_in_chinese(tmp_path, kind, chinese, english):
    import os

    # in processes of their own: should the refusal regress, a pipe would wait and /dev/zero fill the memory
    make = os.mkfifo if kind == "pipe" else (lambda path: path.symlink_to("/dev/zero"))
    rules = _pack_with(tmp_path, "odd.yml", make)
    zh, en = _zh_and_en(["validate", "--rules", str(rules)])
    assert zh.returncode == 1 and chinese in zh.stderr, zh.stderr
    assert english_sentences(without(zh.stderr, [str(tmp_path)])) == [], zh.stderr
    assert en.returncode == 1 and english in en.stderr, en.stderr


def test_a_refused_pack_file_given_to_another_command_is_named_in_chinese(tmp_path):
    rules = _pack_with(tmp_path, "latin.yml", lambda path: path.write_bytes(b"rules: []\n# caf\xe9\n"))
    zh = run("advise", str(EXAMPLES[0]), "--rules", str(rules), "--lang", "zh")
    assert zh.exit_code == 1 and zh.stderr.startswith("错误：规则包或知识库无法使用：")
    assert "latin.yml：不是 UTF-8 文本（第 2 行，字节 0xe9）；请把文件另存为 UTF-8" in zh.stderr, zh.stderr
    assert english_sentences(without(zh.stderr, [str(tmp_path)])) == [], zh.stderr
    en = run("advise", str(EXAMPLES[0]), "--rules", str(rules), "--lang", "en")
    assert en.exit_code == 1 and "latin.yml: not UTF-8 text (byte 0xe9 on line 2)" in en.stderr


def test_a_character_the_output_encoding_lacks_is_refused_in_a_sentence_that_reads(tmp_path):
    """After the problem, what is allowed reads as the other allowed texts do (应为 …)."""
    source = tmp_path / "p.csv"
    source.write_text("id,title,scope\np1,snow \u2603,single_program\n", "utf-8")
    run("batch", str(source), "-o", str(tmp_path / "out.csv"), "--output-encoding", "gb2312", "--lang", "zh")
    with (tmp_path / "out.errors.csv").open(encoding="gb2312") as errors:
        row = next(csv.DictReader(errors))
    assert row["field"] == "title" and row["message"] == "字符 '\\u2603'（U+2603）无法用 gb2312 编码写出"
    assert row["allowed"] == "应为输出编码中有的字符，或改用包含该字符的编码，例如 --output-encoding utf-8-sig"
