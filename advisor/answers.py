"""Reading what a person types as the answer to a question: choices, yes/no, lists, amounts and durations.

`parse_answer(question, text, lang)` returns a profile value, or one of the commands SKIP ("don't
know"), BACK, HELP and FINISH; a text it cannot read raises AnswerError with one line that says
what was wrong and how to write it, in the questionnaire's language.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from .profile import ATTRIBUTES
from .questions import Lang, Question

__all__ = [
    "Command",
    "SKIP",
    "BACK",
    "HELP",
    "FINISH",
    "AnswerError",
    "parse_answer",
    "parse_amount",
    "parse_months",
    "display_value",
]


class Command(enum.Enum):
    """What an answer can ask for instead of giving a value."""

    SKIP = "skip"  # "don't know": the attribute stays unknown (never taken as "no")
    BACK = "back"  # return to the previous question and change its answer
    HELP = "help"  # show the question's help and the meaning of each choice
    FINISH = "finish"  # stop asking and show the advice for the answers so far


SKIP, BACK, HELP, FINISH = Command.SKIP, Command.BACK, Command.HELP, Command.FINISH


class AnswerError(ValueError):
    """An answer that cannot be read. `str(error)` is one line for the user, in the question's language;
    `problem` names the kind of mistake (e.g. "choice", "amount", "separators", "duration_range")."""

    def __init__(self, message: str, problem: str = "invalid"):
        super().__init__(message)
        self.problem = problem


# Whole answers that are commands, after normalisation (NFKC, case-folded, trimmed). NOTE: the
# single letters b and q are reserved; every other single letter may select a choice (l = large).
_COMMANDS: dict[str, Command] = {
    **dict.fromkeys(
        [
            "",
            "-",
            "skip",
            "pass",
            "unknown",
            "dk",
            "idk",
            "don't know",
            "dont know",
            "do not know",
            "not sure",
            "n/a",
            "不知道",
            "不清楚",
            "不确定",
            "未知",
            "跳过",
        ],
        SKIP,
    ),
    **dict.fromkeys(["b", "back", "<", "返回", "上一题", "后退"], BACK),
    **dict.fromkeys(["?", "help", "帮助"], HELP),
    **dict.fromkeys(["q", "quit", "finish", "done", "stop", "结束", "完成", "退出"], FINISH),
}

_YES = {"yes", "y", "true", "t", "ok", "是", "是的", "对", "有", "能", "会", "可以"}
_NO = {"no", "n", "false", "f", "否", "不", "不是", "没有", "无", "不能", "不会"}
_NONE = {"none", "nobody", "nothing", "no one", "无", "没有", "都不是", "[]"}
_ALL = {"all", "everything", "全部", "都有", "都是", "所有"}

_MESSAGES: dict[str, dict[Lang, str]] = {
    "choice": {
        "en": '"{text}" is not one of the choices; answer {numbers} or a name ({names}), or ? for help',
        "zh": "“{text}”不是可选项；请回答编号 {numbers} 或名称（{names}），输入 ? 查看帮助",
    },
    "ambiguous": {
        "en": '"{text}" could mean {names}; type more of the name or the number',
        "zh": "“{text}”可能指 {names}；请多输入几个字或回答编号",
    },
    "number_range": {
        "en": "{number} is not a choice; answer {numbers}",
        "zh": "没有第 {number} 项；请回答 {numbers}",
    },
    "boolean": {
        "en": '"{text}" is neither yes nor no; answer y or n (or 1/2), or press Enter if you don\'t know',
        "zh": "“{text}”不是“是”或“否”；请回答 是 或 否（或 1/2），不知道请直接回车",
    },
    "list_item": {
        "en": '"{item}" is not one of the choices; answer numbers or names separated by commas ({names}), or "none"',
        "zh": "“{item}”不是可选项；请用逗号分隔编号或名称（{names}），没有请答“无”",
    },
    "amount": {
        "en": '"{text}" is not an amount in CNY; write e.g. 800000, 1,200,000, 1.5m, 500k or 200万',
        "zh": "“{text}”不是人民币金额；请写成例如 800000、1,200,000、200万、1.2亿、1.5m",
    },
    "currency": {
        "en": "give the amount in CNY (yuan), not {currency}",
        "zh": "请以人民币（元）为单位填写，而不是 {currency}",
    },
    "separators": {
        "en": (
            '"{number}" is not a number: use a point for decimals (1.5m) '
            "and commas only between groups of three digits (1,500,000)"
        ),
        "zh": "“{number}”不是有效数字：小数用点（1.5m），逗号只用于每三位分隔（1,500,000）",
    },
    "duration": {
        "en": '"{text}" is not a duration; write months or years, e.g. 18, 18 months, 1.5y or 3 years',
        "zh": "“{text}”不是时长；请按月或年填写，例如 18、18个月、1.5年、3年",
    },
    "whole_months": {
        "en": "{months:g} months is not a whole number of months; round it, e.g. {rounded}",
        "zh": "{months:g} 个月不是整月数；请取整，例如 {rounded}",
    },
    "duration_range": {
        "en": "the duration must be between {low} and {high} months (got {value})",
        "zh": "时长必须在 {low} 到 {high} 个月之间（输入的是 {value}）",
    },
    "amount_range": {
        "en": "the amount must be between 0 and {high} CNY (got {value})",
        "zh": "金额必须在 0 到 {high} 元之间（输入的是 {value}）",
    },
    "negative": {
        "en": "the amount cannot be negative (got {text})",
        "zh": "金额不能为负数（输入的是 {text}）",
    },
}


def _shown(text: str) -> str:
    """What the user typed, fit to quote in a one-line message: no control characters, not too long."""
    text = "".join(" " if unicodedata.category(char)[0] in "CZ" else char for char in text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= 40 else text[:37] + "..."


def _error(key: str, lang: Lang, **values: Any) -> AnswerError:
    typed = ("text", "item", "number", "currency", "value")
    quoted = {
        name: _shown(value) if name in typed and isinstance(value, str) else value for name, value in values.items()
    }
    return AnswerError(_MESSAGES[key][lang].format(**quoted), key)


def _normalise(text: str) -> str:
    """Full-width forms to ASCII (NFKC: ？ -> ?, １２ -> 12, ，-> ,), case-folded, trimmed."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = text.replace("’", "'")
    return re.sub(r"\s+", " ", text)


def parse_answer(question: Question, text: str, lang: Lang = "en") -> Any:
    """Read one typed answer to `question`.

    Returns the profile value (bool, str, list[str], int or float, already valid for the
    attribute), or a Command: SKIP for "don't know" (Enter, "-", "skip", 不知道), BACK ("b",
    "back"), HELP ("?") or FINISH ("q", "done"). Choices are read by number or by name, case-
    insensitively; a unique prefix of a name or label is enough. Raises AnswerError with a
    one-line explanation in `lang` when the text cannot be read.
    """
    norm = _normalise(text)
    command = _COMMANDS.get(norm.rstrip(".。!"))
    if command is not None:
        return command
    if question.kind == "boolean":
        return _parse_boolean(question, norm, text.strip(), lang)
    if question.kind == "choice":
        return _parse_choice(question, norm.rstrip(".。!"), text.strip(), lang)
    if question.kind == "list":
        return _parse_list(question, norm.rstrip(".。!"), lang)
    if question.unit == "months":
        return parse_months(text, lang, question.attribute)
    return parse_amount(text, lang, question.attribute)


# -- choices ---------------------------------------------------------------------------------


def _key(text: str) -> str:
    """A name as it is matched: case-folded, with spaces and hyphens read as underscores."""
    return re.sub(r"[\s\-]+", "_", _normalise(text))


def _names(question: Question, lang: Lang) -> str:
    if lang == "zh":
        return "、".join(choice.label.zh for choice in question.choices)
    return ", ".join(str(choice.value).lower() for choice in question.choices)


def _numbers(question: Question) -> str:
    return f"1-{len(question.choices)}"


def _resolve(question: Question, norm: str, original: str, lang: Lang) -> Any:
    """The value of the choice that `norm` names: by number, value, label, or a unique prefix of one."""
    choices = question.choices
    if re.fullmatch(r"\d+", norm):
        number = int(norm)
        if 1 <= number <= len(choices):
            return choices[number - 1].value
        raise _error("number_range", lang, number=number, numbers=_numbers(question))
    key = _key(norm)
    names = {index: {_key(str(c.value)), _key(c.label.en), _key(c.label.zh)} for index, c in enumerate(choices)}
    exact = [index for index, keys in names.items() if key in keys]
    if len(exact) == 1:
        return choices[exact[0]].value
    if key:
        prefixed = [index for index, keys in names.items() if any(k.startswith(key) for k in keys)]
        if len(prefixed) == 1:
            return choices[prefixed[0]].value
        if len(prefixed) > 1:
            matching = ", ".join(str(choices[i].value) for i in prefixed)
            raise _error("ambiguous", lang, text=original, names=matching)
    raise _error("choice", lang, text=original, numbers=_numbers(question), names=_names(question, lang))


def _parse_boolean(question: Question, norm: str, original: str, lang: Lang) -> bool:
    word = norm.rstrip(".。!")
    if word in _YES:
        return True
    if word in _NO:
        return False
    try:
        value = _resolve(question, word, original, lang)
    except AnswerError:
        raise _error("boolean", lang, text=original) from None
    return bool(value)


def _parse_choice(question: Question, norm: str, original: str, lang: Lang) -> str:
    return str(_resolve(question, norm, original, lang))


def _parse_list(question: Question, norm: str, lang: Lang) -> list[str]:
    order = [str(choice.value) for choice in question.choices]
    if norm in _NONE:
        return []
    if norm in _ALL:
        return order
    try:  # the whole answer may be one choice whose label has spaces ("pilot scale")
        return [str(_resolve(question, norm, norm, lang))]
    except AnswerError:
        pass
    chosen: set[str] = set()
    for piece in re.split(r"\s*(?:[,;、/&+]|\band\b|和|与|及)\s*", norm):
        if not piece:
            continue
        try:  # a piece may be one label with spaces ("pilot scale") or several names ("1 3")
            chosen.add(str(_resolve(question, piece, piece, lang)))
            continue
        except AnswerError:
            pass
        for item in piece.split(" "):
            span = re.fullmatch(r"(\d+)-(\d+)", item)
            try:
                if span:
                    for number in range(int(span[1]), int(span[2]) + 1):
                        chosen.add(str(_resolve(question, str(number), str(number), lang)))
                else:
                    chosen.add(str(_resolve(question, item, item, lang)))
            except AnswerError:
                raise _error("list_item", lang, item=item, names=_names(question, lang)) from None
    return [value for value in order if value in chosen]


# -- numbers with units ---------------------------------------------------------------------

# A number as people write it: 1500000, 1,500,000, 1 500 000, 1_500_000, 1.5, .5
_NUMBER = r"\d{1,3}(?:[,_' ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_LOOSE_NUMBER = r"[\d.,_']*\d[\d.,_']*"

_AMOUNT_UNITS = {
    "": 1,
    "k": 1e3,
    "thousand": 1e3,
    "千": 1e3,
    "w": 1e4,
    "万": 1e4,
    "十万": 1e5,
    "m": 1e6,
    "mn": 1e6,
    "mio": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "百万": 1e6,
    "千万": 1e7,
    "亿": 1e8,
    "億": 1e8,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_CURRENCY_WORDS = r"cny|rmb|yuan|元|人民币|¥"
_FOREIGN_CURRENCY = re.compile(r"\$|usd|dollars?|美元|€|eur|euros?|欧元|£|gbp|pounds?|英镑|jpy|日元|hk\$|hkd|港币")

_MONTH_UNITS = {"": 1, "m": 1, "mo": 1, "mos": 1, "mth": 1, "mths": 1, "month": 1, "months": 1, "个月": 1, "月": 1}
_YEAR_UNITS = {"y": 12, "yr": 12, "yrs": 12, "year": 12, "years": 12, "年": 12}


def _number(text: str, lang: Lang) -> float:
    if not re.fullmatch(_NUMBER, text):
        raise _error("separators", lang, number=text)
    return float(re.sub(r"[,_' ]", "", text))


def _terms(text: str, units: Mapping[str, float], lang: Lang, error: str) -> list[tuple[float, float]]:
    """Split '1.5m', '1 year 6 months', '1亿2000万' into (number, multiplier) pairs.

    Raises AnswerError if anything is left over."""
    pattern = re.compile(rf"\s*({_LOOSE_NUMBER}(?: \d{{3}})*)\s*([a-z\u4e00-\u9fff]*)\s*")
    terms = []
    position = 0
    while position < len(text):
        match = pattern.match(text, position)
        if match is None or match.end() == position:
            raise _error(error, lang, text=text)
        unit = match[2]
        if unit not in units:
            raise _error(error, lang, text=text)
        terms.append((_number(match[1].strip(), lang), units[unit]))
        position = match.end()
    if not terms:
        raise _error(error, lang, text=text)
    return terms


def parse_amount(text: str, lang: Lang = "en", attribute: str = "funding_cny") -> int | float:
    """An amount of CNY as people write it: 800000, 1,200,000, 1.5m, 500k, 200万, 1.2亿, ¥3m, 50万元.

    Returns an int when the amount is whole, else a float kept to the cent. Raises AnswerError
    for other currencies, malformed separators (1,5m), negative amounts and amounts out of range.
    """
    norm = _normalise(text)
    original = text.strip()
    foreign = _FOREIGN_CURRENCY.search(norm)
    if foreign:
        raise _error("currency", lang, currency=foreign[0])
    if norm.startswith("-"):
        raise _error("negative", lang, text=original)
    norm = re.sub(_CURRENCY_WORDS, " ", norm).strip()
    norm = norm.replace("万元", "万")
    if not norm:
        raise _error("amount", lang, text=original)
    try:
        value = sum(number * multiplier for number, multiplier in _terms(norm, _AMOUNT_UNITS, lang, "amount"))
    except AnswerError as error:
        if error.problem == "separators":
            raise
        raise _error("amount", lang, text=original) from None
    value = round(value, 2)
    high = ATTRIBUTES[attribute].maximum if attribute in ATTRIBUTES else None
    if high is not None and value > high:
        raise _error("amount_range", lang, high=f"{high:,.0f}", value=f"{value:,.0f}")
    return int(value) if float(value).is_integer() else value


def parse_months(text: str, lang: Lang = "en", attribute: str = "duration_months") -> int:
    """A duration in whole months: 18, 18 months, 18个月, 1.5y, 2 years, 3年, 1年半, 半年, 1 year 6 months.

    A bare number is months. Years are converted and rounded to the nearest month; fractional
    months and values outside the attribute's range raise AnswerError.
    """
    norm = _normalise(text)
    original = text.strip()
    norm = re.sub(r"^半年$", "6个月", norm)
    norm = re.sub(r"(\d)\s*年半$", r"\1.5年", norm)
    units = {**_MONTH_UNITS, **_YEAR_UNITS}
    try:
        terms = _terms(norm, units, lang, "duration")
    except AnswerError as error:
        if error.problem == "separators":
            raise
        raise _error("duration", lang, text=original) from None
    months = 0.0
    for number, multiplier in terms:
        if multiplier == 1 and not float(number).is_integer():
            raise _error("whole_months", lang, months=number, rounded=round(number))
        months += number * multiplier
    whole = int(months + 0.5)  # NOTE: half up, so 1.125y (13.5 months) reads as 14, not banker's 14/13
    spec = ATTRIBUTES[attribute] if attribute in ATTRIBUTES else None
    low = int(spec.minimum) if spec and spec.minimum is not None else 1
    high = int(spec.maximum) if spec and spec.maximum is not None else None
    if whole < low or (high is not None and whole > high):
        raise _error("duration_range", lang, low=low, high=high, value=original)
    return whole


# -- showing an answer back -----------------------------------------------------------------


def display_value(question: Question, value: Any, lang: Lang = "en") -> str:
    """An answer as the user reads it back: labels for choices, '18 months', '1,200,000 CNY'."""
    if question.kind in ("boolean", "choice"):
        choice = question.choice(value)
        return choice.label.get(lang) if choice else str(value)
    if question.kind == "list":
        if not value:
            return "无" if lang == "zh" else "none"
        labels = [question.choice(item) for item in value]
        joiner = "、" if lang == "zh" else ", "
        return joiner.join(
            choice.label.get(lang) if choice else str(item) for choice, item in zip(labels, value, strict=True)
        )
    if question.unit == "months":
        return f"{value}个月" if lang == "zh" else f"{value} month{'s' if value != 1 else ''}"
    amount = f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return f"{amount} 元" if lang == "zh" else f"{amount} CNY"
