"""`advisor ask` driven as a person uses it: in a pseudo-terminal (pexpect), and with answers piped on stdin."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

from advisor.core import default_advisor
from advisor.interview import Interview
from advisor.profile import ATTRIBUTES
from advisor.questions import load_questions

ROOT = Path(__file__).resolve().parents[1]
ADVISOR = Path(sys.executable).parent / "advisor"
QUESTIONS = load_questions()
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][AB012]")
QUESTION_LINE = re.compile(r"^(?:Q\d+|第 \d+ 题)  (.+)$", re.MULTILINE)
MODE_NAMES = {mode.id: mode.name for mode in default_advisor().knowledge.modes.values()}


def example(name: str) -> dict:
    data = json.loads((ROOT / "examples" / f"{name}.json").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if key in ATTRIBUTES}


def typed(attribute: str, value, lang: str = "en") -> str:
    """What a person would type for a value: yes/no, a label or name, an amount with a unit."""
    question = QUESTIONS.get(attribute)
    if question.kind == "boolean":
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if question.kind == "choice":
        return question.choice(value).label.zh if lang == "zh" else value.upper()
    if question.kind == "list":
        if not value:
            return "无" if lang == "zh" else "none"
        return "、".join(question.choice(v).label.zh for v in value) if lang == "zh" else ", ".join(value)
    if attribute == "duration_months":
        return (f"{value // 12}年" if lang == "zh" else f"{value // 12} years") if value % 12 == 0 else str(value)
    if value % 10_000 == 0 and lang == "zh":
        return f"{value // 10_000}万"
    return f"{value / 1e6:g}m" if value % 100_000 == 0 else f"{value:,}"


class Session:
    """One `advisor ask` in a pseudo-terminal, read the way a person reads it."""

    def __init__(self, tmp_path: Path, *args: str, columns: int = 200):
        self.child = pexpect.spawn(
            str(ADVISOR), ["ask", *args], cwd=str(tmp_path), encoding="utf-8", timeout=60, dimensions=(60, columns)
        )
        self.transcript = ""
        self.attribute: str | None = None
        self.questions: list[str] = []

    def wait(self) -> str:
        """Until the program waits for input: 'question', 'yes_no', 'save', or 'end' when it exits."""
        kinds = ["save", "yes_no", "question", "end"]
        index = self.child.expect([r"(?:save|保存)> $", r"\[y/N\] $", r"> $", pexpect.EOF])
        after = self.child.after if isinstance(self.child.after, str) else ""
        text = ANSI.sub("", self.child.before + after).replace("\r\n", "\n")
        self.transcript += text
        kind = kinds[index]
        if kind == "question":
            shown = QUESTION_LINE.findall(text)
            if shown:  # a new question (else: the same question again, after an error or help)
                self.attribute = self._attribute(shown[-1])
                self.questions.append(self.attribute)
        return kind

    def _attribute(self, line: str) -> str:
        for question in QUESTIONS.questions:
            if line.startswith(question.text.en) or line.startswith(question.text.zh):
                return question.attribute
        raise AssertionError(f"an unknown question was shown: {line!r}")

    def send(self, line: str) -> None:
        self.child.sendline(line)

    def answer_from(self, profile: dict, lang: str = "en") -> str:
        """Answer every question from a profile ("don't know" where it has no value); returns what came next."""
        for _ in range(60):  # a bound, so that a misread question fails the test instead of hanging it
            if (kind := self.wait()) != "question":
                return kind
            value = profile.get(self.attribute)
            self.send("" if value is None else typed(self.attribute, value, lang))
        raise AssertionError(f"still asking after 60 answers:\n{self.transcript[-2000:]}")

    def end(self) -> int:
        self.child.expect(pexpect.EOF)
        self.transcript += ANSI.sub("", self.child.before).replace("\r\n", "\n")
        self.child.close()
        assert "Traceback" not in self.transcript, self.transcript
        return self.child.exitstatus if self.child.exitstatus is not None else 128 + self.child.signalstatus


# -- whole sessions -------------------------------------------------------------------------------


def finish_without_saving(session: Session, profile: dict, lang: str) -> None:
    """Answer the rest from `profile`, decline more detail, save nothing and end (exit 0)."""
    kind = session.answer_from(profile, lang=lang)
    if kind == "yes_no":
        session.send("n")
        kind = session.wait()
    assert kind == "save"
    session.send("")
    assert session.end() == 0


@pytest.mark.parametrize(
    "mode", ["technology_transfer", "university_enterprise", "government_mediated", "technology_equity"]
)
def test_a_full_session_reaches_the_mode(tmp_path, mode):
    session = Session(tmp_path, "--save", "answers.json", "--report", "advice.md")
    kind = session.answer_from(example(mode))
    if kind == "yes_no":  # more questions for detail? not now
        session.send("n")
    assert session.end() == 0
    out = session.transcript
    assert "Enough to advise" in out
    assert "Decision: CLEAR" in out
    assert f"1. {MODE_NAMES[mode]} (" in out
    assert len(session.questions) < 15
    assert out.count("  → ") == len(session.questions)  # the field after every answer
    saved = json.loads((tmp_path / "answers.json").read_text(encoding="utf-8"))
    assert default_advisor().advise(saved).leading_mode == mode
    assert set(saved) <= set(example(mode))
    assert (tmp_path / "advice.md").read_text(encoding="utf-8").startswith("# Cooperation advice")


def test_bad_answers_get_a_line_and_the_same_question_and_back_changes_an_answer(tmp_path):
    session = Session(tmp_path, "--save", "answers.yaml")
    assert session.wait() == "question" and session.attribute == "enterprise_size"
    for bad, words in [
        ("huge", '"huge" is not one of the choices'),
        ("9", "9 is not a choice"),
        ("sm all", "not one of"),
    ]:
        session.send(bad)
        assert session.wait() == "question"
        assert words in session.transcript.splitlines()[-2]
        assert session.questions == ["enterprise_size"]  # asked again, not a new question
    session.send("?")
    assert session.wait() == "question"
    assert "No outside enterprise: the university or institute works alone" in session.transcript
    session.send("Medium")
    assert session.wait() == "question"
    second = session.attribute
    assert second != "enterprise_size"
    session.send("back")
    assert session.wait() == "question"
    assert session.attribute == "enterprise_size"
    assert "Q1  How large is the enterprise partner?  (before: Medium-sized enterprise)" in session.transcript
    session.send("3")
    assert session.wait() == "question" and session.attribute == second
    if QUESTIONS.get(second).kind == "boolean":
        session.send("perhaps")
        assert session.wait() == "question"
        assert "neither yes nor no" in session.transcript
    session.send("q")
    assert session.end() == 0  # with --save, no offer to save
    assert "Stopped at your request." in session.transcript
    saved = yaml.safe_load((tmp_path / "answers.yaml").read_text(encoding="utf-8"))
    assert saved == {"enterprise_size": "small"}
    assert "Traceback" not in session.transcript


def test_ctrl_c_keeps_what_was_answered(tmp_path):
    session = Session(tmp_path, "--save", "answers.json")
    profile = example("technology_transfer")
    for _ in range(2):
        assert session.wait() == "question"
        session.send(typed(session.attribute, profile[session.attribute]))
    assert session.wait() == "question"
    answered = session.questions[:2]
    session.child.sendintr()
    assert session.end() == 130
    assert "Interrupted." in session.transcript
    assert "advisor ask --answers answers.json" in session.transcript
    saved = json.loads((tmp_path / "answers.json").read_text(encoding="utf-8"))
    assert saved == {name: profile[name] for name in ATTRIBUTES if name in answered}


@pytest.mark.parametrize("end", ["ctrl-c", "q", "eof"])
def test_an_answer_taken_back_stands_until_it_is_replaced(tmp_path, end):
    # "back" re-asks a question to change its answer; ending the session before a new answer keeps
    # the old one (in the saved file at every moment, and in the advice)
    session = Session(tmp_path, "--save", "answers.json")
    assert session.wait() == "question" and session.attribute == "enterprise_size"
    session.send("Medium")
    assert session.wait() == "question"
    second = session.attribute
    session.send("1")
    assert session.wait() == "question"
    session.send("back")
    assert session.wait() == "question" and session.attribute == second
    saved = json.loads((tmp_path / "answers.json").read_text(encoding="utf-8"))
    assert set(saved) == {"enterprise_size", second}  # taken back, but not gone from the file
    session.send("back")  # and one further: both stand until replaced
    assert session.wait() == "question" and session.attribute == "enterprise_size"
    assert json.loads((tmp_path / "answers.json").read_text(encoding="utf-8")) == saved
    if end == "ctrl-c":
        session.child.sendintr()
        assert session.end() == 130
        assert "Your 2 answers are kept in answers.json" in " ".join(session.transcript.split())
    elif end == "q":
        session.send("q")
        assert session.end() == 0
    else:
        session.child.sendeof()
        assert session.end() == 0
    assert json.loads((tmp_path / "answers.json").read_text(encoding="utf-8")) == saved
    assert "Traceback" not in session.transcript


def test_end_of_input_gives_the_advice_so_far(tmp_path):
    session = Session(tmp_path, "--save", "answers.json")
    assert session.wait() == "question"
    session.send("large")
    assert session.wait() == "question"
    session.child.sendeof()
    assert session.end() == 0
    assert "End of input." in session.transcript and "Modes, best first" in session.transcript
    assert json.loads((tmp_path / "answers.json").read_text(encoding="utf-8")) == {"enterprise_size": "large"}


def test_a_resumed_session_asks_only_what_is_missing(tmp_path):
    profile = example("technology_transfer")
    preloaded = {"title": "Wastewater process sale", "enterprise_size": "large", "existing_result": True}
    (tmp_path / "draft.yaml").write_text(yaml.safe_dump(preloaded), encoding="utf-8")
    session = Session(tmp_path, "--answers", "draft.yaml", "--save", "draft.yaml")
    if session.answer_from(profile) == "yes_no":
        session.send("n")
    assert session.end() == 0
    assert "Starting from 2 answers in draft.yaml." in session.transcript
    assert not {"enterprise_size", "existing_result"} & set(session.questions)
    assert "Advice for: Wastewater process sale" in session.transcript
    saved = yaml.safe_load((tmp_path / "draft.yaml").read_text(encoding="utf-8"))
    assert saved["title"] == "Wastewater process sale"
    assert {"enterprise_size", "existing_result", *session.questions} >= set(saved) - {"title"}
    assert default_advisor().advise(saved).leading_mode == "technology_transfer"


def test_chinese_questions_and_answers(tmp_path):
    session = Session(tmp_path, "--lang", "zh")
    assert session.wait() == "question"
    assert "第 1 题  合作企业的规模如何？" in session.transcript
    session.send("巨型")
    assert session.wait() == "question"
    assert "“巨型”不是可选项" in session.transcript
    session.send("？")
    assert session.wait() == "question"
    assert "没有外部企业：高校或科研院所自己实施或自办企业" in session.transcript
    session.send("小型")
    finish_without_saving(session, example("technology_service"), "zh")
    out = session.transcript
    assert "= 小型企业" in out and "= 不知道" in out
    assert "技术服务领先（" in out and "可以给出建议了" in out
    assert "1. 技术服务  " in out and "合作模式（按适合程度排序）" in out  # the advice in Chinese


def test_chinese_lines_fit_the_terminal(tmp_path):
    """A Chinese character takes two columns: a line of 50 of them fills a 100-column terminal, so
    the questionnaire wraps by columns (an error line, the standing line, the stop line), with its
    indent, instead of letting the terminal cut a word (难分|高下) at the edge."""
    from advisor.textwidth import width

    columns = 100
    session = Session(tmp_path, "--lang", "zh", columns=columns)
    assert session.wait() == "question"
    session.send("巨型")  # the error line lists the four choices: about 110 columns
    assert session.wait() == "question"
    profile = example("government_mediated")
    session.send(typed("enterprise_size", profile["enterprise_size"], "zh"))
    finish_without_saving(session, profile, "zh")
    lines = session.transcript.splitlines()
    assert "“巨型”不是可选项" in session.transcript and "可以给出建议了" in session.transcript
    too_wide = [line for line in lines if width(line) >= columns]
    assert not too_wide, f"lines the terminal would cut: {too_wide}"
    wrapped = next(i for i, line in enumerate(lines) if "“巨型”不是可选项" in line)
    assert lines[wrapped + 1].startswith("    ")  # the continuation keeps the "  ! " indent


def test_more_detail_and_the_offer_to_save(tmp_path):
    profile = example("university_enterprise")
    session = Session(tmp_path)
    assert session.answer_from(profile) == "yes_no"
    quick = len(session.questions)
    session.send("y")
    assert session.answer_from(profile) == "save"
    assert len(session.questions) > quick
    assert (
        "No remaining question can change the advice." in session.transcript or "Every question" in session.transcript
    )
    for name in ("notes.txt", "mine.yaml", "report.md", ""):
        session.send(name)
        if name:
            assert session.wait() == "save"
    assert session.end() == 0
    assert "Use a name ending in .json, .yaml, .yml, .md or .html." in session.transcript
    saved = yaml.safe_load((tmp_path / "mine.yaml").read_text(encoding="utf-8"))
    assert saved and set(saved) <= set(profile)
    assert default_advisor().advise(saved).leading_mode == "university_enterprise"
    assert (tmp_path / "report.md").read_text(encoding="utf-8").startswith("# Cooperation advice")
    assert not (tmp_path / "notes.txt").exists()


# -- without a terminal ----------------------------------------------------------------------------


def piped_lines(profile: dict) -> list[str]:
    """The answers, one a line, in the order the questionnaire will ask (the library decides it)."""
    interview, lines = Interview(default_advisor()), []
    while not (step := interview.step()).done:
        if step.attribute in profile:
            interview.answer(step.attribute, profile[step.attribute])
            lines.append(typed(step.attribute, profile[step.attribute]))
        else:
            interview.skip(step.attribute)
            lines.append("")
    return lines


def run_piped(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(ADVISOR), "ask", *args], input=text, capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_piped_answers_give_the_same_advice_as_advise(tmp_path):
    lines = piped_lines(example("program_cooperation"))
    result = run_piped(tmp_path, "\n".join(lines) + "\n", "--save", "p.json")
    assert result.returncode == 0 and result.stderr == ""
    advise = subprocess.run([str(ADVISOR), "advise", "p.json"], capture_output=True, text=True, cwd=tmp_path)
    assert advise.returncode == 0
    assert advise.stdout in result.stdout  # the same advice text, word for word
    assert "1. University–Enterprise Program Cooperation" in advise.stdout
    assert "save>" not in result.stdout and "[y/N]" not in result.stdout  # nothing asked that no one can answer


def test_piped_input_that_ends_early_or_is_bad(tmp_path):
    result = run_piped(tmp_path, "large\n")
    assert result.returncode == 0 and "= Large enterprise" in result.stdout
    assert "End of input." in result.stdout and "Decision: INSUFFICIENT INFORMATION" in result.stdout
    # a piped answer that does not fit stops there: the next line is not taken for the same
    # question, which would shift every later answer onto the wrong one
    result = run_piped(tmp_path, "large\nhuge\nyes\nyes\n", "--save", "p.json")
    assert result.returncode == 3
    assert '! "huge"' in result.stdout and "Stopped at that answer" in result.stdout
    assert "Modes, best first" in result.stdout  # the advice for the answers before it
    assert json.loads((tmp_path / "p.json").read_text(encoding="utf-8")) == {"enterprise_size": "large"}


def test_bad_files_are_refused_before_any_question(tmp_path):
    (tmp_path / "bad.json").write_text('{"duration_months": 0}', encoding="utf-8")
    result = run_piped(tmp_path, "", "--answers", "bad.json")
    assert result.returncode == 3 and "duration_months" in result.stderr and result.stdout == ""
    result = run_piped(tmp_path, "", "--save", "answers.txt")
    assert result.returncode == 2 and "--save" in result.stderr
    result = run_piped(tmp_path, "", "--save", "missing/answers.json")
    assert result.returncode == 2 and "does not exist" in result.stderr


@pytest.mark.parametrize(
    ("lang", "folder", "missing", "socket_file"),
    [
        (
            "zh",
            "无法写入 d.json：这是文件夹，不是文件",
            "无法写入 nowhere/x.json：文件或文件夹不存在",
            "s.json：这是套接字，不是普通文件",
        ),
        (
            "en",
            "Cannot write d.json: a folder",
            "Cannot write nowhere/x.json: no such folder",
            "s.json: is a socket, not a file",
        ),
    ],
)
def test_the_offer_to_save_says_why_a_name_cannot_be_written_in_the_sessions_language(
    tmp_path, lang, folder, missing, socket_file
):
    import socket

    (tmp_path / "d.json").mkdir()
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(tmp_path / "s.json"))  # refused as batch refuses it; it was replaced by a regular file
    session = Session(tmp_path, "--lang", lang)
    kind = session.answer_from(example("technology_service"), lang=lang)
    if kind == "yes_no":
        session.send("n")
        kind = session.wait()
    assert kind == "save"
    for name in ("d.json", "nowhere/x.json", "s.json", ""):
        session.send(name)
        if name == "s.json":  # it exists: replace it?
            assert session.wait() == "yes_no"
            session.send("y")
        if name:
            assert session.wait() == "save"
    assert session.end() == 0
    listening.close()
    assert folder in session.transcript and missing in session.transcript, session.transcript[-1500:]
    assert socket_file in session.transcript, session.transcript[-1500:]
    assert (tmp_path / "d.json").is_dir() and not (tmp_path / "nowhere").exists()
    assert (tmp_path / "s.json").is_socket()


# -- --save onto a symbolic link: written through, as batch writes its outputs ------------------------


def test_save_onto_a_link_replaces_the_file_it_leads_to_and_keeps_the_link(tmp_path):
    # the link was replaced by a regular file, while `batch -o LINK` writes through it
    store = tmp_path / "store"
    store.mkdir()
    real = store / "real.json"
    real.write_text("{}\n", encoding="utf-8")
    link = tmp_path / "answers.json"
    link.symlink_to("store/real.json")
    with open(real, "rb") as original:  # held open: its inode cannot be reused while the run replaces it
        result = run_piped(tmp_path, "large\n", "--save", "answers.json")
        assert result.returncode == 0, result.stdout + result.stderr
        # replaced whole by a rename, never written into in place: the old file is gone, unchanged
        assert os.fstat(original.fileno()).st_nlink == 0 and original.read() == b"{}\n"
    assert link.is_symlink() and str(link.readlink()) == "store/real.json"
    assert json.loads(real.read_text(encoding="utf-8")) == {"enterprise_size": "large"}
    # no temporary file left anywhere
    assert sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*")) == [
        "answers.json",
        "store",
        "store/real.json",
    ]


def _dangling(path: Path) -> None:
    path.symlink_to("nowhere" + path.suffix)


def _loop(path: Path) -> None:
    path.symlink_to(path.name + ".other")
    path.with_name(path.name + ".other").symlink_to(path.name)


@pytest.mark.parametrize(
    ("make", "english", "chinese"),
    [
        (
            _dangling,
            "{name}: is a symbolic link to 'nowhere{suffix}', which does not exist; give the file itself or create it first",
            "{name}：这是指向 'nowhere{suffix}' 的符号链接，但它指向的文件不存在；请给出文件本身，或先创建该文件",
        ),
        (
            _loop,
            "{name}: is a symbolic link that leads back to itself; give the file itself",
            "{name}：这是一个指回自身的符号链接；请给出文件本身",
        ),
    ],
    ids=["dangling", "loop"],
)
def test_save_onto_a_link_to_nothing_is_refused_as_batch_refuses_it(tmp_path, make, english, chinese):
    make(tmp_path / "a.json")
    make(tmp_path / "a.csv")
    made = sorted(tmp_path.iterdir())
    (tmp_path / "in.csv").write_text("id,enterprise_size\nx,large\n", encoding="utf-8")
    batch = subprocess.run(
        [str(ADVISOR), "batch", "in.csv", "-o", "a.csv"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    said = english.format(name="a.csv", suffix=".csv")
    assert batch.returncode == 3 and batch.stderr == f"error: {said}\n", batch.stderr
    for lang, words in (("en", english), ("zh", chinese)):
        result = run_piped(tmp_path, "large\n", "--save", "a.json", "--lang", lang)
        error = "error: " if lang == "en" else "错误："
        assert result.returncode == 3 and result.stderr == f"{error}{words.format(name='a.json', suffix='.json')}\n"
        assert result.stdout == ""  # refused before any question
    assert sorted(path for path in tmp_path.iterdir() if path.name != "in.csv") == made  # nothing written


def test_save_onto_a_link_to_a_pipe_writes_into_the_pipe_and_keeps_the_link(tmp_path):
    # the link was replaced by a regular file (mode of a new file); batch -o LINK writes into the pipe
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    (tmp_path / "a.json").symlink_to("pipe")
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so that opening it to write does not wait
    try:
        result = run_piped(tmp_path, "large\n", "--save", "a.json")
        written = os.read(reader, 1 << 16).decode("utf-8")
    finally:
        os.close(reader)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "a.json").is_symlink() and str((tmp_path / "a.json").readlink()) == "pipe"
    assert pipe.is_fifo()
    assert written.endswith(json.dumps({"enterprise_size": "large"}, indent=2) + "\n"), written  # the answers, saved
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.json", "pipe"]  # no temporary file left


def test_save_and_report_onto_a_link_to_dev_null_keep_the_link_as_batch_does(tmp_path):
    # the link was replaced by a world-writable regular file (/dev/null's permissions, -rw-rw-rw-)
    for name in ("a.json", "r.md", "out.csv"):
        (tmp_path / name).symlink_to(os.devnull)
    result = run_piped(tmp_path, "large\n", "--save", "a.json", "--report", "r.md")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Answers saved to a.json (1 answers)" in result.stdout and "Advice written to r.md." in result.stdout
    (tmp_path / "in.csv").write_text("id,enterprise_size\nx,large\n", encoding="utf-8")
    batch = subprocess.run(
        [str(ADVISOR), "batch", "in.csv", "-o", "out.csv"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert batch.returncode == 0, batch.stderr
    for name in ("a.json", "r.md", "out.csv"):  # ask as batch: the link stays, and leads to the device
        assert (tmp_path / name).is_symlink() and str((tmp_path / name).readlink()) == os.devnull, name
    assert Path(os.devnull).is_char_device()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.json", "in.csv", "out.csv", "r.md"]


def test_save_onto_a_socket_is_refused_before_any_question_as_batch_refuses_it(tmp_path):
    # it was replaced by a regular file
    import socket

    place = tmp_path / "s.json"
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(place))
        result = run_piped(tmp_path, "large\n", "--save", "s.json")
    assert result.returncode == 3 and result.stdout == ""
    assert result.stderr == (
        "error: s.json: is a socket, not a file; advice is written only to regular files, pipes and character devices\n"
    )
    assert place.is_socket()
