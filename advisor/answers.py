"""The questionnaire's reading of a typed answer: its commands and menu shortcuts over the one vocabulary.

`parse_answer(question, text, lang)` returns a profile value, or one of the commands SKIP ("don't
know"), BACK, HELP and FINISH; a text it cannot read raises AnswerError with one line that says
what was wrong and how to write it, in the questionnaire's language. Values are read by
advisor/values.py, as on every other surface; this module adds only what belongs to a menu on a
screen: the commands, choices by their number (1-3) or a unique prefix ("med"), and lists joined
with "and", "/" or spaces.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from typing import Any

from .catalogue import words
from .profile import ATTRIBUTES
from .questions import Lang, Question
from .scoring import format_amount, format_duration
from .values import ALL_WORDS, EMPTY_LIST_WORDS, ValueProblem, fold, read_value

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
    # NOTE: "don't know" words (Enter, "-", 不知道) are the vocabulary's unknown (values.UNKNOWN_WORDS).
    **dict.fromkeys(["skip", "pass", "跳过"], SKIP),
    **dict.fromkeys(["b", "back", "<", "返回", "上一题", "后退"], BACK),
    **dict.fromkeys(["?", "help", "帮助"], HELP),
    **dict.fromkeys(["q", "quit", "finish", "done", "stop", "结束", "完成", "退出"], FINISH),
}

_NONE = frozenset(EMPTY_LIST_WORDS)
_ALL = frozenset(ALL_WORDS)


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
    return AnswerError(str(words(lang, "answers")[key]).format(**quoted), key)


def _normalise(text: str) -> str:
    """As the vocabulary folds text (full-width forms to ASCII: ？ -> ?, １２ -> 12), trimmed."""
    text = fold(text).strip().replace("’", "'")
    return re.sub(r"\s+", " ", text)


def parse_answer(question: Question, text: str, lang: Lang = "en") -> Any:
    """Read one typed answer to `question`.

    Returns the profile value (bool, str, list[str], int or float, already valid for the
    attribute), or a Command: SKIP for "don't know" (Enter, "-", "skip", 不知道), BACK ("b",
    "back"), HELP ("?") or FINISH ("q", "done"). Values are read as on every surface
    (advisor/values.py); choices may also be given by number or by a unique prefix of a name or
    label. Raises AnswerError with a one-line explanation in `lang` when the text cannot be read.
    """
    norm = _normalise(text)
    command = _COMMANDS.get(norm.rstrip(".。!"))
    if command is not None:
        return command
    try:
        value = read_value(question.attribute, text)
    except ValueProblem as problem:
        if problem.problem == "control":
            raise _error("control", lang) from None
        if question.kind == "boolean":
            return _parse_boolean(question, norm.rstrip(".。!"), text.strip(), lang)
        if question.kind == "choice":
            return _parse_choice(question, norm.rstrip(".。!"), text.strip(), lang)
        if question.kind == "list":
            return _parse_list(question, norm.rstrip(".。!"), lang)
        raise _translated(problem, question.attribute, text, lang) from None
    return SKIP if value is None else value


def _translated(problem: ValueProblem, attribute: str, text: str, lang: Lang) -> AnswerError:
    """The vocabulary's reason, said to the person in `lang` with an example of what to write."""
    spec = ATTRIBUTES[attribute]
    details, original = problem.details, text.strip()
    kind = problem.problem
    if kind == "currency":
        return _error("currency", lang, currency=details["currency"])
    if kind == "separators":
        return _error("separators", lang, number=details["number"])
    if kind == "negative":
        return _error("negative", lang, text=original)
    if spec.unit == "months":
        if kind == "whole_months":
            months = details["months"]
            return _error("whole_months", lang, months=months, rounded=details.get("rounded", round(months)))
        if kind == "duration_range":
            low, high = _bounds(spec)
            return _error("duration_range", lang, low=low, high=high, value=original)
        return _error("duration", lang, text=original)
    if spec.kind == "integer":
        if kind == "range":
            low, high = _bounds(spec)
            return _error("integer_range", lang, low=low, high=high, value=original)
        return _error("integer", lang, text=original)
    if kind == "range" and spec.maximum is not None:
        return _error("amount_range", lang, high=f"{spec.maximum:,.0f}", value=f"{float(details['value']):,.0f}")
    return _error("amount", lang, text=original)


def _bounds(spec: Any) -> tuple[int, Any]:
    low = int(spec.minimum) if spec.minimum is not None else 0
    return low, (int(spec.maximum) if spec.maximum is not None else "∞")


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
    names = {
        index: {_key(str(c.value)), _key(c.label.en), _key(c.label.zh), *map(_key, c.aliases)}
        for index, c in enumerate(choices)
    }
    exact = [index for index, keys in names.items() if key in keys]
    if len(exact) == 1:
        return choices[exact[0]].value
    if key:
        prefixed = [index for index, keys in names.items() if any(k.startswith(key) for k in keys)]
        if len(prefixed) == 1:
            return choices[prefixed[0]].value
        if len(prefixed) > 1:
            matching = (
                "、".join(choices[i].label.zh for i in prefixed)
                if lang == "zh"
                else ", ".join(str(choices[i].value) for i in prefixed)
            )
            raise _error("ambiguous", lang, text=original, names=matching)
    raise _error("choice", lang, text=original, numbers=_numbers(question), names=_names(question, lang))


def _parse_boolean(question: Question, norm: str, original: str, lang: Lang) -> bool:
    word = norm.rstrip(".。!")
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


def parse_amount(text: str, lang: Lang = "en", attribute: str = "funding_cny") -> int | float:
    """An amount of CNY as people write it: 800000, 1,200,000, 1.5m, 500k, 200万, 两千万, ¥3m, 50万元.

    Read by the one vocabulary (advisor/values.py). Returns an int when the amount is whole, else
    a float. Raises AnswerError for other currencies, malformed separators (1,5m), negative
    amounts, amounts out of range and text that is not an amount (including "don't know").
    """
    value: int | float = _number(text, lang, attribute, "amount")
    return value


def parse_months(text: str, lang: Lang = "en", attribute: str = "duration_months") -> int:
    """A duration in whole months: 18, 18 months, 18个月, 1.5y, 2 years, 3年, 1年半, 三年半, 1 year 6 months.

    Read by the one vocabulary (advisor/values.py). A bare number is months; years may have one
    decimal (rounded to the nearest month) or be in quarters. Raises AnswerError otherwise.
    """
    value = _number(text, lang, attribute, "duration")
    return int(value)


def _number(text: str, lang: Lang, attribute: str, unreadable: str) -> Any:
    try:
        value = read_value(attribute, text)
    except ValueProblem as problem:
        raise _translated(problem, attribute, text, lang) from None
    if value is None:
        raise _error(unreadable, lang, text=text.strip())
    return value


# -- showing an answer back -----------------------------------------------------------------


def display_value(question: Question, value: Any, lang: Lang = "en") -> str:
    """An answer as the user reads it back: labels for choices, '18 months', '1,200,000 CNY', '3'."""
    if question.kind in ("boolean", "choice"):
        choice = question.choice(value)
        return choice.label.get(lang) if choice else str(value)
    if question.kind == "list":
        w = words(lang, "answers")
        if not value:
            return str(w["none"])
        labels = [question.choice(item) for item in value]
        return str(w["list_sep"]).join(
            choice.label.get(lang) if choice else str(item) for choice, item in zip(labels, value, strict=True)
        )
    if question.unit == "months":
        return format_duration(value, lang)  # 18 个月, 3 年 / 18 months, 3 years
    if question.unit == "count":
        return f"{value:,}"
    return format_amount(value, lang)  # 120 万元 / 1,200,000 CNY
