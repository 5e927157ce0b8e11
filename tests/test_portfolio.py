"""The batch as a programme officer forwards it: the portfolio report (HTML), the styled workbook,
the summary in both languages, and the columns of the spreadsheet that are not attributes.

The figures of the report and of the workbook's Summary sheet are re-derived here from the
output file the same run wrote (CSV for the counts, JSON Lines for the severities and the rules).
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from advisor.batch import Tally
from advisor.cli import EXIT_INPUT, cli
from advisor.portfolio import counted
from advisor.report import find_browser, write_pdf
from advisor.row_scoring import Outcome

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
CITIES = ["长沙", "株洲", "湘潭", "衡阳", "常德", "岳阳"]
NOTES = ["", "待复核", "重点项目", "=1+1"]
browser_needed = pytest.mark.skipif(find_browser() is None, reason="no headless Chromium on PATH")


def run(*args: str):
    result = CliRunner().invoke(cli, ["batch", *args], catch_exceptions=False)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return result


# -- the input: 5,000 generated proposals with a region and a 备注 column ------------------------


@pytest.fixture(scope="module")
def proposals(tmp_path_factory) -> Path:
    """5,000 realistic proposals (benchmarks/make_proposals.py, 1% bad rows) plus two columns
    that are not attributes: region and 备注."""
    folder = tmp_path_factory.mktemp("portfolio")
    plain = folder / "plain.csv"
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import make_proposals
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    make_proposals.main(["5000", "-o", str(plain), "--bad-fraction", "0.01"])
    rows = list(csv.reader(io.StringIO(plain.read_text(encoding="utf-8"))))
    source = folder / "proposals.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*rows[0], "region", "备注"])
        for number, row in enumerate(rows[1:]):
            writer.writerow([*row, CITIES[number % len(CITIES)], NOTES[number % len(NOTES)]])
    return source


@pytest.fixture(scope="module")
def batch_runs(proposals, tmp_path_factory) -> dict[str, dict[str, Path]]:
    """One run per language and output format, each with --report and --group-by region."""
    folder = tmp_path_factory.mktemp("runs")
    runs: dict[str, dict[str, Path]] = {}
    for lang in ("en", "zh"):
        for fmt in ("csv", "jsonl", "xlsx"):
            name = f"{lang}-{fmt}"
            output, report = folder / f"{name}.{fmt}", folder / f"{name}.html"
            result = run(
                str(proposals), "-o", str(output), "--report", str(report), "--lang", lang,
                "--group-by", "region", "--group-by", "enterprise_size", "--allow-rejects",
            )  # fmt: skip
            assert result.exit_code == 0, result.stderr
            runs[name] = {"output": output, "report": report, "errors": folder / f"{name}.errors.{fmt}"}
    return runs


# -- reading a report back ----------------------------------------------------------------------


class Element:
    def __init__(self, tag: str, attrs: dict[str, str]):
        self.tag, self.attrs, self.children, self.parts = tag, attrs, [], []

    @property
    def text(self) -> str:
        return "".join(part if isinstance(part, str) else part.text for part in self.parts)

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()
            ):
                found.append(child)
            found += child.find(tag, **attrs)
        return found

    def having(self, attribute: str) -> list[Element]:
        found = [child for child in self.children if attribute in child.attrs]
        for child in self.children:
            found += child.having(attribute)
        return found


class Page(HTMLParser):
    VOID = {"meta", "br", "rect", "link", "img", "input", "hr"}

    def __init__(self, html: str):
        super().__init__()
        self.root = Element("root", {})
        self.stack = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        self.stack[-1].parts.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        self.stack[-1].parts.append(element)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while len(self.stack) > 1:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data):
        self.stack[-1].parts.append(data)


def number(text: str) -> int:
    return int(text.strip().replace(",", ""))


def report_figures(html: str) -> dict[str, Any]:
    """What the report says, by the data-* attributes its rows carry."""
    page = Page(html).root
    stats = {
        e.attrs["data-figure"]: number(e.find("span", **{"class": "stat-value"})[0].text)
        for e in page.having("data-figure")
    }
    rows = {}
    for key in ("data-decision", "data-mode", "data-difficulty", "data-rule"):
        rows[key] = {e.attrs[key]: number(e.find("td")[1].text) for e in page.having(key) if e.tag == "tr"}
    groups = {e.attrs["data-group"]: int(e.attrs["data-total"]) for e in page.having("data-group")}
    review = page.find("table", **{"class": "review sortable"})
    return {
        "stats": stats,
        **rows,
        "groups": groups,
        "review_total": int(review[0].attrs["data-total"]) if review else 0,
        "review_rows": len(review[0].find("tr")) - 1 if review else 0,
        "page": page,
        "text": page.text,
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def derived_from_csv(path: Path) -> dict[str, Counter]:
    rows = read_csv(path)
    difficulties: Counter = Counter()
    for row in rows:
        difficulties.update(d for d in row["difficulties"].split(";") if d)
    return {
        "scored": len(rows),
        "modes": Counter(row["leading_mode"] for row in rows),
        "decisions": Counter(row["decision"] for row in rows),
        "difficulties": difficulties,
        "regions": Counter(row["region"] for row in rows),
    }


# -- the figures equal the output file's -----------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_figures_equal_the_csv_output(batch_runs, lang, shipped):
    files = batch_runs[f"{lang}-csv"]
    shown = report_figures(files["report"].read_text(encoding="utf-8"))
    derived = derived_from_csv(files["output"])
    rejected_rows = {row["row"] for row in read_csv(files["errors"])}
    assert shown["stats"]["scored"] == derived["scored"] > 4_000
    assert shown["stats"]["rejected"] == len(rejected_rows) > 0
    assert shown["stats"]["read"] == derived["scored"] + len(rejected_rows) == 5_000
    assert shown["data-decision"] == {
        d: derived["decisions"].get(d, 0) for d in ("clear", "close_call", "insufficient_information")
    }
    assert set(shown["data-mode"]) == set(shipped.knowledge.modes), "every mode is shown, with or without proposals"
    assert {m: n for m, n in shown["data-mode"].items() if n} == dict(derived["modes"])
    assert shown["data-difficulty"] == dict(derived["difficulties"])
    names = {
        shipped.knowledge.modes[m].name_zh if lang == "zh" else shipped.knowledge.modes[m].name
        for m in shipped.knowledge.modes
    }
    bar_names = {e.text for e in shown["page"].find("text", **{"class": "bar-name"})}
    assert names <= bar_names, "every mode has a bar"
    # --group-by region: a carried column; the groups are the output's region column
    assert {city: total for city, total in shown["groups"].items() if city in CITIES} == dict(derived["regions"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_severities_rules_and_review_equal_the_jsonl_output(batch_runs, lang, shipped):
    files = batch_runs[f"{lang}-jsonl"]
    shown = report_figures(files["report"].read_text(encoding="utf-8"))
    lines = read_jsonl(files["output"])
    rules: Counter = Counter()
    review = 0
    for line in lines:
        advice = line["advice"]
        rules.update(advice["fired_rules"])
        high = any(flag["severity"] == "high" for flag in advice["difficulties"])
        review += advice["decision"] != "clear" or high
    assert shown["data-rule"] == dict(rules)
    assert shown["review_total"] == review
    assert shown["review_rows"] == min(review, Tally.REVIEW)
    never = sorted(set(shipped.rulebook.rules) - set(rules))
    assert never, "the generated proposals leave some rules unfired"
    for rule_id in never[:20]:
        assert rule_id in shown["text"], f"{rule_id} never fired and is listed as such"
    more = review - Tally.REVIEW
    assert more > 0
    if lang == "en":
        assert f"{more:,} more in the output file ({files['output'].name})." in shown["text"]
    else:
        assert f"另有 {more:,} 项见输出文件（{files['output'].name}）。" in shown["text"]
    # the carried columns are in the JSON Lines too
    assert {line["columns"]["region"] for line in lines} == set(CITIES)


def test_the_report_is_self_contained_and_reads_in_its_language(batch_runs):
    for lang in ("en", "zh"):
        html = batch_runs[f"{lang}-csv"]["report"].read_text(encoding="utf-8")
        assert "<link" not in html and "src=" not in html and "@import" not in html
        assert not re.search(r"""(?:href|src)\s*=\s*["']?https?:""", html), "no network"
        assert "<svg" in html and "<table" in html
        page = Page(html).root
        headings = [h.text for h in page.find("h2")]
        assert len(headings) == 8, headings  # totals, decisions, modes, difficulties, review, 2 × by, rules
        if lang == "zh":
            assert all(CJK.search(h) for h in headings), headings
            assert page.find("html")[0].attrs["lang"] == "zh-CN"
            assert "中型企业" in html, "an attribute's groups read as its labels"
        else:
            assert not any(CJK.search(h) for h in headings if "region" not in h), headings


def test_the_summary_sheet_equals_the_report(batch_runs, shipped):
    from openpyxl import load_workbook

    for lang in ("en", "zh"):
        files = batch_runs[f"{lang}-xlsx"]
        shown = report_figures(files["report"].read_text(encoding="utf-8"))
        book = load_workbook(files["output"])
        advice, summary = book.worksheets
        assert summary.title == ("Summary" if lang == "en" else "汇总")
        values = [row for row in summary.iter_rows(values_only=True)]
        figures = {row[0]: row[1] for row in values[:9]}
        read_label = "Read" if lang == "en" else "读取"
        assert figures[read_label] == shown["stats"]["read"] == 5_000
        mode_rows = {row[0]: row[1] for row in values if row[0] and isinstance(row[1], int)}
        for mode_id, record in shipped.knowledge.modes.items():
            name = record.name_zh if lang == "zh" else record.name
            assert mode_rows[name] == shown["data-mode"][mode_id]
        rule_rows = {row[0]: row[1] for row in values if row[0] in shipped.rulebook.rules}
        assert rule_rows == {rule_id: shown["data-rule"].get(rule_id, 0) for rule_id in shipped.rulebook.rules}
        group_rows = {row[0]: row[1] for row in values if row[0] in CITIES}
        assert group_rows == {city: total for city, total in shown["groups"].items() if city in CITIES}
        # the advice sheet: names next to the ids, a header a reader can read (labels in the run's
        # language, carried columns as the file named them), styled, frozen, filtered, colour scale
        from advisor.workbook import column_ids

        assert advice.title == ("Advice" if lang == "en" else "建议")
        labels = [cell.value for cell in advice[1]]
        assert labels[:5] == (
            ["Row", "ID", "Title", "Leading mode (id)", "Leading mode"]
            if lang == "en"
            else ["行号", "项目编号", "项目名称", "领先模式代码", "领先模式"]
        )
        header = column_ids(labels, lang)
        assert header[:8] == [
            "row",
            "id",
            "title",
            "leading_mode",
            "leading_mode_name",
            "leading_score",
            "decision",
            "decision_name",
        ]
        assert header[-2:] == ["region", "备注"]
        first = dict(zip(header, [cell.value for cell in advice[2]], strict=True))
        record = shipped.knowledge.modes[first["leading_mode"]]
        assert first["leading_mode_name"] == (record.name_zh if lang == "zh" else record.name)
        assert advice.freeze_panes == "D2"
        assert advice.auto_filter.ref == f"A1:{advice.cell(1, len(header)).column_letter}{advice.max_row}"
        assert advice["A1"].font.b and advice.column_dimensions["C"].width >= 30
        scaled = {str(rng.sqref) for rng in advice.conditional_formatting}
        assert f"F2:F{advice.max_row}" in scaled and len(scaled) == 3, scaled
        assert sum(1 for _ in advice.iter_rows(min_row=2)) == shown["stats"]["scored"]
        with zipfile.ZipFile(files["output"]) as archive:
            charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
            assert charts, "the Summary sheet has a native chart"
            assert b"<barChart>" in archive.read(charts[0])


def test_the_carried_columns_are_in_every_output_unchanged(batch_runs, proposals):
    source = read_csv(proposals)
    csv_rows = read_csv(batch_runs["en-csv"]["output"])
    by_row = {int(row["row"]): row for row in csv_rows}
    for number, row in enumerate(source, start=2):
        if number in by_row:
            out = by_row[number]
            assert out["region"] == row["region"]
            assert out["备注"] == ("'" + row["备注"] if row["备注"].startswith("=") else row["备注"]), (
                "formulas neutralised"
            )
    from openpyxl import load_workbook

    book = load_workbook(batch_runs["zh-xlsx"]["output"], read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    notes = Counter(row[-1] for row in rows[1:])
    assert notes["待复核"] > 1000 and notes["'=1+1"] > 1000


# -- grammar and the Chinese summary --------------------------------------------------------------


def test_counts_read_in_the_right_number():
    phrase = {"one": "{n} close call", "other": "{n} close calls"}
    assert counted(phrase, 1) == "1 close call"
    assert counted(phrase, 0) == "0 close calls"
    assert counted(phrase, 1234) == "1,234 close calls"
    assert counted("{n} 项", 2) == "2 项"
    assert counted({"one": "{n} more in {output}", "other": "{n} more in {output}"}, 3) == "3 more in {output}"


def test_the_summary_reads_in_chinese(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("项目编号,企业规模,合作范围\nP1,大型企业,单个技术问题\nP2,小型企业,\n", encoding="utf-8")
    result = run(str(source), "-o", str(tmp_path / "out.csv"), "--summary", "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith("# 批量评估汇总：")
    assert "共读取 2 项，完成评估 2 项，未能评估 0 项。" in text
    for line in text.splitlines():
        if line.startswith("#") or (line and not line.startswith("|")):
            assert CJK.search(line), f"not Chinese: {line!r}"
    assert "proposals" not in text and "close call" not in text
    english = run(str(source), "-o", str(tmp_path / "out2.csv"), "--summary", "--lang", "en").stdout
    assert "2 proposals read: 2 scored, 0 rejected." in english


# -- carried columns (issue 10): Chinese headers, Chinese values, 备注 --------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_a_chinese_sheet_with_a_notes_column_scores_and_keeps_it(tmp_path, fmt):
    from openpyxl import Workbook, load_workbook

    rows = [
        ["项目编号", "项目名称", "企业规模", "合作范围", "合作期限（月）", "备注", "notes"],
        ["HN-1", "油茶深加工", "大型企业", "多个项目", "60", "请张处长复核", "call back"],
        ["HN-2", "污水处理", "小型企业", "单个技术问题", "12", "", ""],
    ]
    source = tmp_path / "申报.xlsx"
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(source)
    output = tmp_path / f"out.{fmt}"
    result = run(str(source), "-o", str(output))
    assert result.exit_code == 0, result.stderr
    if fmt == "csv":
        out = read_csv(output)
        assert [(r["备注"], r["notes"]) for r in out] == [("请张处长复核", "call back"), ("", "")]
    elif fmt == "jsonl":
        out = read_jsonl(output)
        assert out[0]["columns"] == {"备注": "请张处长复核", "notes": "call back"}
        assert out[1]["columns"] == {"备注": None, "notes": None}
        assert out[0]["advice"]["profile"]["enterprise_size"] == "large"
    else:
        sheet = load_workbook(output).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        assert header[-2:] == ["备注", "notes"]
        assert [cell.value for cell in sheet[2]][-2:] == ["请张处长复核", "call back"]


def test_a_misspelt_chinese_header_is_still_an_error_with_a_suggestion(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("项目编号,企业规摸,备注\nP1,大型,x\n", encoding="utf-8")
    result = run(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == EXIT_INPUT
    assert "'企业规摸' (did you mean '企业规模'?)" in result.stderr
    assert "备注" not in result.stderr.split("(columns that")[0], "备注 is not the problem"
    assert not (tmp_path / "out.csv").exists()


def test_a_row_with_only_a_note_is_rejected_not_dropped(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,scope,备注\nP1,single_problem,\n,,a note under no proposal\n", encoding="utf-8")
    result = run(str(source), "-o", str(tmp_path / "out.csv"), "--allow-rejects")
    assert result.exit_code == 0
    (error,) = read_csv(tmp_path / "out.errors.csv")
    assert error["row"] == "3" and "only columns that are not attributes" in error["message"]


def test_an_input_column_named_like_an_output_column_is_kept_apart(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,scope,decision\nP1,single_problem,approved\n", encoding="utf-8")
    result = run(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.stderr
    (row,) = read_csv(tmp_path / "out.csv")
    assert row["decision (input)"] == "approved" and row["decision"] in (
        "clear",
        "close_call",
        "insufficient_information",
    )


# -- checked before any work ------------------------------------------------------------------------


def test_a_group_by_column_the_file_lacks_stops_before_any_work(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,scope,region\nP1,single_problem,长沙\n", encoding="utf-8")
    output, report = tmp_path / "out.csv", tmp_path / "r.html"
    result = run(str(source), "-o", str(output), "--report", str(report), "--group-by", "regoin")
    assert result.exit_code == EXIT_INPUT
    assert "--group-by 'regoin': no such column (did you mean 'region'?)" in result.stderr
    assert not output.exists() and not report.exists() and not (tmp_path / "out.errors.csv").exists()
    missing = run(str(source), "-o", str(output), "--report", str(report), "--group-by", "enterprise_size")
    assert missing.exit_code == EXIT_INPUT and "that attribute is not a column of the file" in missing.stderr
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"id": "P1", "scope": "single_problem"}\n', encoding="utf-8")
    refused = run(str(jsonl), "-o", str(output), "--report", str(report), "--group-by", "region")
    assert refused.exit_code == EXIT_INPUT and "a JSON input has no header" in refused.stderr
    fine = run(str(jsonl), "-o", str(output), "--report", str(report), "--group-by", "scope")
    assert fine.exit_code == 0, fine.stderr


def test_group_by_without_a_report_is_a_usage_error(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,scope\nP1,single_problem\n", encoding="utf-8")
    result = run(str(source), "-o", str(tmp_path / "out.csv"), "--group-by", "scope")
    assert result.exit_code == 2 and "--report" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_an_unwritable_report_stops_the_run_with_nothing_written(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,scope\nP1,single_problem\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    result = run(str(source), "-o", str(output), "--report", str(tmp_path / "no" / "such" / "r.html"))
    assert result.exit_code == EXIT_INPUT and "does not exist" in result.stderr
    assert not output.exists()
    same = run(str(source), "-o", str(output), "--report", str(output))
    assert same.exit_code == EXIT_INPUT and "the same file" in same.stderr


def test_workers_give_the_same_report(proposals, tmp_path):
    reports = []
    for workers in ("1", "2"):
        report = tmp_path / f"r{workers}.html"
        result = run(
            str(proposals), "-o", str(tmp_path / f"o{workers}.csv"), "--report", str(report),
            "--group-by", "region", "--workers", workers, "--allow-rejects",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        reports.append(report.read_text(encoding="utf-8").replace(f"o{workers}.csv", "OUT"))
    assert reports[0] == reports[1]
    assert (tmp_path / "o1.csv").read_bytes() == (tmp_path / "o2.csv").read_bytes()


# -- memory stays flat: counts, not rows ---------------------------------------------------------------


def test_the_tally_keeps_counts_not_rows(shipped, monkeypatch):
    monkeypatch.setattr(Tally, "GROUP_VALUES", 5)
    tally = Tally(shipped, ["id"])
    outcome = Outcome(
        "technology_service", 60, "close_call", "close", (("technology_service", 60), ("program_cooperation", 58)), ()
    )
    for number in range(2, 20_002):
        tally.add_scored(number, f"P{number}", "t", outcome, (f"P{number}",))
    assert len(tally.review) == Tally.REVIEW and tally.review_count == 20_000
    assert len(tally.groups[0]) == 6, "five values, then one group for the rest"
    assert sum(sum(c.values()) for c in tally.groups[0].values()) == 20_000
    assert len(tally.close_examples) == Tally.EXAMPLES


# -- in a real browser --------------------------------------------------------------------------------

_PROBE = """<script>
window.addEventListener("load", function () {
  var wide = [];
  document.querySelectorAll("body *").forEach(function (e) {
    var box = e.getBoundingClientRect();
    if (box.right > document.documentElement.clientWidth + 1) { wide.push(e.tagName + "." + e.getAttribute("class") + ":" + e.textContent.slice(0, 30)); }
  });
  document.body.setAttribute("data-overflow", wide.slice(0, 5).join(" ") || "none");
  document.body.setAttribute("data-scroll", document.documentElement.scrollWidth + "/" + document.documentElement.clientWidth);
});
</script></body>"""


def _chromium(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    browser = find_browser()
    assert browser is not None
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


@browser_needed
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_in_chromium_nothing_is_wider_than_an_a4_page_and_the_pdf_prints(batch_runs, lang, tmp_path):
    html = batch_runs[f"{lang}-csv"]["report"].read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", _PROBE), encoding="utf-8")
    # A4 less the print margins is 180 mm, about 680 CSS pixels
    dom = _chromium("--window-size=680,1000", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()).stdout
    found = re.search(r'data-overflow="([^"]*)"', dom)
    assert found, dom[-500:]
    assert found.group(1) == "none", f"wider than the page: {found.group(1)}"
    shot = tmp_path / "shot.png"
    _chromium("--window-size=1100,1400", f"--screenshot={shot}", batch_runs[f"{lang}-csv"]["report"].as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    pdf = tmp_path / "report.pdf"
    write_pdf(html, pdf)
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595) < 1.5 and abs(float(h) - 842) < 1.5 for w, h in boxes)
    assert 3 <= len(boxes) <= 30, f"{len(boxes)} pages"


@browser_needed
def test_the_review_table_sorts_in_the_browser(tmp_path, batch_runs):
    html = batch_runs["en-csv"]["report"].read_text(encoding="utf-8")
    click = """<script>
window.addEventListener("load", function () {
  var th = document.querySelectorAll("table.review th")[0];
  th.click(); th.click();  // row, descending
  var rows = Array.from(document.querySelectorAll("table.review tbody tr")).map(function (r) { return r.cells[0].textContent; });
  document.body.setAttribute("data-rows", rows.slice(0, 3).join(","));
});
</script></body>"""
    page = tmp_path / "sort.html"
    page.write_text(html.replace("</body>", click), encoding="utf-8")
    dom = _chromium("--virtual-time-budget=5000", "--dump-dom", page.as_uri()).stdout
    rows = [int(n) for n in re.search(r'data-rows="([^"]*)"', dom).group(1).split(",")]
    assert rows == sorted(rows, reverse=True) and rows[0] > 100


def test_repeated_ids_read_in_the_summary_language(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,scope\nP1,single_problem\nP1,single_program\nP2,single_problem\n", encoding="utf-8")
    zh = run(str(source), "-o", str(tmp_path / "a.csv"), "--summary", "--lang", "zh").stdout
    assert "有 1 个编号出现在多行（重复 1 次），均已评估。“P1”（第 2、3 行）。" in zh
    en = run(str(source), "-o", str(tmp_path / "b.csv"), "--summary", "--lang", "en").stdout
    assert "1 id appears on more than one row (1 repeat); all were scored. 'P1' (rows 2, 3)." in en


def test_the_run_line_says_one_row_in_the_singular(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,scope\nP1,single_problem\n", encoding="utf-8")
    result = run(str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0
    assert "batch: 1 row read, 1 scored, 0 rejected" in result.stderr  # it said "1 rows read"


def test_a_clear_proposal_with_a_high_severity_difficulty_is_reviewed(tmp_path, shipped):
    profile = json.loads((ROOT / "examples" / "technology_transfer.json").read_text(encoding="utf-8"))
    profile["pilot_funding_secured"] = False  # DF001: pilot-scale funding gap, high severity
    advice = shipped.advise(profile, what_if=False)
    assert advice.decision == "clear" and ("pilot_funding_gap", "high") in {
        (d.id, d.severity) for d in advice.difficulties
    }
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(profile) + "\n", encoding="utf-8")
    report = tmp_path / "r.html"
    assert run(str(source), "-o", str(tmp_path / "out.csv"), "--report", str(report)).exit_code == 0
    shown = report_figures(report.read_text(encoding="utf-8"))
    assert shown["review_total"] == shown["review_rows"] == 1
    row = shown["page"].find("table", **{"class": "review sortable"})[0].find("tr")[1]
    assert "example-technology-transfer" in row.text and "high-severity difficulty: Pilot-scale funding gap" in row.text
    badge = shown["page"].find("tr", data_difficulty="pilot_funding_gap")[0].find("span", **{"class": "badge s-high"})
    assert badge and badge[0].text == "high 1"
    assert "1 proposal is a close call" in shown["text"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_batch_with_nothing_scored_still_reports(tmp_path, lang):
    source = tmp_path / "in.csv"
    source.write_text("id,scope\nP1,everything\nP2,nothing\n", encoding="utf-8")
    report = tmp_path / "r.html"
    result = run(str(source), "-o", str(tmp_path / "out.xlsx"), "--report", str(report), "--lang", lang)
    assert result.exit_code == 4, result.stderr
    shown = report_figures(report.read_text(encoding="utf-8"))
    assert shown["stats"] == {"read": 2, "scored": 0, "rejected": 2, "duplicates": 0}
    assert set(shown["data-mode"].values()) == {0}
    assert ("No proposal needs a human look." if lang == "en" else "没有需要人工审阅的项目。") in shown["text"]
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "out.xlsx")
    assert book.worksheets[0].max_row == 1 and book.worksheets[1]["B2"].value == 2
