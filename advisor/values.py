"""One input vocabulary: how text becomes a profile value, the same on every surface.

Every attribute of `ATTRIBUTES` gets one `Converter`. It reads typed JSON values strictly (a
boolean is true or false, never 1; a number is a number, never true) and text leniently: yes/no
words in English and Chinese, choices by name or label (case- and width-insensitive), lists
separated by `;` `,` `、` `；`, amounts with thousands separators and units (1.5m, 200万, 两千万),
durations in months or years (18, 1.5y, 3 years, 1年半, 三年半), and words meaning "unknown"
(empty text, "-", "n/a", 不知道), which are never read as "no".

NOTE: the text a converter accepts is defined by one regular expression per attribute, written
over *folded* text (full-width forms to ASCII, A-Z to a-z). The profile's JSON Schema publishes
the same expression widened back to every spelling that folds into it (`schema_pattern`), so the
schema and the library accept exactly the same strings by construction; ranges are part of the
expressions (a duration of 601 months does not match), and the value is then read from the text
with Decimal arithmetic. Keep the grammar to what both Python's `re` and ECMA-262 read alike:
classes, groups, alternation and quantifiers; no \\d, \\s or lookarounds.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .profile import ATTRIBUTES, AttributeSpec

__all__ = [
    "ValueProblem",
    "Converter",
    "converter",
    "converters",
    "item_schema",
    "read_value",
    "readers",
    "fold",
    "text_problem",
    "printable",
    "string_schema",
    "schema_pattern",
    "FREE_TEXT_PATTERN",
    "UNKNOWN_WORDS",
    "YES_WORDS",
    "NO_WORDS",
    "EMPTY_LIST_WORDS",
    "ALL_WORDS",
    "LIST_SEPARATORS",
]


class ValueProblem(ValueError):
    """A value a converter cannot read. `problem` names the kind of mistake (for translations),
    `details` the values a message may quote, `index` the list item at fault (if any)."""

    def __init__(self, message: str, problem: str, index: int | None = None, **details: Any):
        super().__init__(message)
        self.message = message
        self.problem = problem
        self.index = index
        self.details = details


# -- the words -------------------------------------------------------------------------------

#: Text that means "unknown" for every attribute (after folding and trimming). Never "no".
UNKNOWN_WORDS = (
    "",
    "-",
    "n/a",
    "unknown",
    "dk",
    "idk",
    "don't know",
    "don’t know",
    "dont know",
    "do not know",
    "not sure",
    "不知道",
    "不清楚",
    "不确定",
    "未知",
)
YES_WORDS = ("yes", "y", "true", "t", "on", "1", "ok", "是", "是的", "对", "有", "能", "会", "可以")
NO_WORDS = ("no", "n", "false", "f", "off", "0", "否", "不", "不是", "没有", "无", "不能", "不会")
#: Text for a list attribute that means "none of them" (an empty list), as opposed to unknown.
EMPTY_LIST_WORDS = ("none", "nothing", "nobody", "no one", "[]", "无", "没有", "都不是")
#: Text for a list attribute that means every allowed value.
ALL_WORDS = ("all", "everything", "全部", "都有", "都是", "所有")
#: What separates the items of a list written as text (full-width forms fold to the first two).
LIST_SEPARATORS = (";", ",", "、", "；", "，")

_AMOUNT_UNITS: dict[int, tuple[str, ...]] = {
    0: ("",),
    3: ("k", "thousand", "千"),
    4: ("w", "万"),
    5: ("十万",),
    6: ("m", "mn", "mio", "million", "millions", "百万"),
    7: ("千万",),
    8: ("亿", "億"),
    9: ("b", "bn", "billion"),
}
_CURRENCY_BEFORE = ("¥", "￥", "rmb", "cny", "人民币")
_CURRENCY_AFTER = ("元", "块", "cny", "rmb", "yuan", "人民币")
_MONTH_UNITS = ("months", "month", "mths", "mth", "mos", "mo", "m", "个月", "月")
_YEAR_UNITS = ("years", "year", "yrs", "yr", "y", "年")
_FOREIGN_CURRENCY = re.compile(r"\$|usd|dollars?|美元|€|eur|euros?|欧元|£|gbp|pounds?|英镑|jpy|日元|hkd|港币")

#: Digits of a whole number written as text when the attribute has no maximum.
TEXT_DIGITS = 15

# -- folding ---------------------------------------------------------------------------------

_FOLD = {code: code + 0x20 for code in range(ord("A"), ord("Z") + 1)}
_FOLD.update({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
_FOLD.update({code: code - 0xFEE0 + 0x20 for code in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ straight to a-z
_FOLD[0x3000] = 0x20


def fold(text: str) -> str:
    """Full-width forms to ASCII, ideographic space to space, A-Z to a-z; one character for one.

    NOTE: deliberately not NFKC or str.casefold: those map other characters into ASCII (the
    Kelvin sign to k, ligatures to two letters), which a JSON Schema pattern cannot follow."""
    return text.translate(_FOLD)


def _preimage(char: str) -> list[str]:
    """Every character that folds to `char` (itself included)."""
    found = [char]
    code = ord(char)
    if "a" <= char <= "z":
        found += [char.upper(), chr(code - 0x20 + 0xFEE0), chr(code + 0xFEE0)]
    elif 0x21 <= code <= 0x7E:
        found.append(chr(code + 0xFEE0))
    elif char == " ":
        found.append("\u3000")
    return found


# -- text hygiene ----------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: The JSON Schema pattern of free text (id, title): no control characters but tab, CR and LF.
FREE_TEXT_PATTERN = "^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


def printable(text: str) -> str:
    """`text` with each control character and lone surrogate written as an escape (\\u0001), so an
    error message can quote it in any output (JSON, a terminal, a spreadsheet cell)."""
    return _CONTROL.sub(lambda found: f"\\u{ord(found[0]):04x}", text)


def text_problem(text: str) -> str | None:
    """Why `text` cannot be taken as it is (a control character or a lone surrogate), or None."""
    if text.isprintable() and text.isascii():
        return None
    found = _CONTROL.search(text)
    if found is None:
        return None
    char = found[0]
    kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    return f"contains {kind} (U+{ord(char):04X}) at position {found.start() + 1}"


# -- building the expressions ----------------------------------------------------------------

_SYNTAX = set("^$\\.*+?()[]{}|/")
_WS = "[ \t\n\r\u00a0]"  # folded whitespace allowed around text values
_SEP = "[ _\\-]+"  # between the words of a name or label ("single program", "non-governmental")
_DIGIT = "[0-9]"
_END = "[.!。]*"  # an answer may end with a full stop or an exclamation mark


def _escape(char: str) -> str:
    return "\\" + char if char in _SYNTAX else char


def _group(parts: Iterable[str]) -> str:
    unique = list(dict.fromkeys(parts))
    return unique[0] if len(unique) == 1 else "(?:" + "|".join(unique) + ")"


def _literal(word: str) -> str:
    return "".join(_escape(char) for char in word)


_SEPARATORS = re.compile(r"[ _\-]+")


def _key(text: str) -> str:
    """A word as it is looked up: trimmed, a trailing full stop dropped, separators as one '_'."""
    return _SEPARATORS.sub("_", text.strip(" \t\n\r\u00a0").rstrip(".!。"))


def _word(word: str) -> str:
    """The expression of one word or label as _key reads it."""
    return _SEP.join(_literal(part) for part in _key(fold(word)).split("_"))


def _words(words: Iterable[str]) -> str:
    return _group(sorted({_word(word) for word in words}, key=lambda p: (-len(p), p)))


def _int_range(lo: int, hi: int) -> str:
    """An expression for the whole numbers lo..hi written without leading zeros."""
    if lo > hi:
        raise ValueError(f"empty range {lo}..{hi}")
    parts: list[str] = []
    if lo == 0:
        parts.append("0")
        lo = 1
    length = len(str(lo))
    while lo <= hi:
        top = min(hi, 10**length - 1)
        if lo <= top:
            parts.extend(_same_length(str(lo), str(top)))
        lo = max(lo, 10**length)
        length += 1
    return _group(parts)


def _same_length(low: str, high: str) -> list[str]:
    if len(low) == 1:
        return [low if low == high else f"[{low}-{high}]"]
    if low[0] == high[0]:
        return [low[0] + inner for inner in _same_length(low[1:], high[1:])]
    rest = len(low) - 1
    digits = _DIGIT + (f"{{{rest}}}" if rest > 1 else "")
    if low[1:] == "0" * rest and high[1:] == "9" * rest:
        return [f"[{low[0]}-{high[0]}]{digits}"]
    parts = [low[0] + inner for inner in _same_length(low[1:], "9" * rest)]
    if int(low[0]) + 1 <= int(high[0]) - 1:
        first, last = int(low[0]) + 1, int(high[0]) - 1
        parts.append((str(first) if first == last else f"[{first}-{last}]") + digits)
    parts += [high[0] + inner for inner in _same_length("0" * rest, high[1:])]
    return parts


def _whole(lo: int, hi: int) -> str:
    """lo..hi as text: leading zeros allowed."""
    return "0*" + _int_range(lo, hi)


def _decimal_up_to(exponent: int) -> str:
    """Non-negative decimals <= 10**exponent, with or without thousands separators."""
    frac = f"(?:\\.{_DIGIT}+)?"
    parts = [
        f"0*[1-9]{_DIGIT}{{0,{exponent - 1}}}{frac}" if exponent > 1 else f"0*[1-9]{frac}",
        f"0+{frac}",
        f"\\.{_DIGIT}+",
        f"0*1{'0' * exponent}(?:\\.0+)?",
    ]
    groups = 1
    while 1 + 3 * groups <= exponent:
        lead = min(3, exponent - 3 * groups)
        head = "[1-9]" + (f"{_DIGIT}{{0,{lead - 1}}}" if lead > 1 else "")
        parts.append(f"{head}(?:[,_' ]{_DIGIT}{{3}}){{{groups}}}{frac}")
        groups += 1
    if exponent >= 3:
        lead = exponent % 3 + 1
        parts.append("1" + "0" * (lead - 1) + "(?:[,_' ]000)" + f"{{{exponent // 3}}}" + "(?:\\.0+)?")
    return _group(parts)


# Chinese numerals: 一 .. 九千九百九十九 as a section; sections joined by 万 and 亿.
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_DIGITS.update({"壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9})
_ZH_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_D = "[" + "".join(_ZH_DIGITS) + "]"
_TEN, _HUNDRED, _THOUSAND = "[十拾]", "[百佰]", "[千仟]"
_ZH_SECTION = _group(
    [
        f"{_D}{_THOUSAND}(?:{_D}{_HUNDRED}(?:{_D}{_TEN}{_D}?|零{_D})?|零{_D}{_TEN}{_D}?|零{_D})?",
        f"{_D}{_HUNDRED}(?:{_D}{_TEN}{_D}?|零{_D})?",
        f"{_D}?{_TEN}{_D}?",
        _D,
    ]
)
_SECTION = _group([_ZH_SECTION, f"[1-9]{_DIGIT}{{0,3}}"])
_YI, _WAN = "[亿億]", "万"
_ZH_AMOUNT = _group(
    [
        f"{_SECTION}{_YI}(?:零?{_SECTION}{_WAN})?(?:零?{_SECTION})?",
        f"{_SECTION}{_WAN}(?:零?{_SECTION})?",
        _ZH_SECTION,
    ]
)


def _zh_small(lo: int, hi: int) -> str:
    """Chinese numerals for lo..hi (hi < 100), e.g. 三, 十八, 两."""
    spelled: list[str] = []
    for number in range(max(lo, 1), min(hi, 99) + 1):
        tens, ones = divmod(number, 10)
        ones_text = "一二三四五六七八九"[ones - 1] if ones else ""
        if tens == 0:
            spelled.append(ones_text)
            if number == 2:
                spelled.append("两")
        else:
            spelled.append(("" if tens == 1 else "一二三四五六七八九"[tens - 1]) + "十" + ones_text)
    return _group(sorted(spelled, key=lambda s: (-len(s), s))) if spelled else ""


def _count(lo: int, hi: int) -> str:
    """lo..hi in digits or (below 100) Chinese numerals."""
    chinese = _zh_small(lo, hi)
    return _group([_whole(lo, hi)] + ([chinese] if chinese else []))


# -- reading values from folded text -----------------------------------------------------------


def _zh_section(text: str) -> int:
    if text.isdigit():
        return int(text)
    total, pending = 0, None
    for char in text:
        if char in _ZH_DIGITS:
            pending = _ZH_DIGITS[char]
        elif char in _ZH_UNITS:
            total += (1 if pending is None else pending) * _ZH_UNITS[char]
            pending = None
    return total + (pending or 0)


def _zh_number(text: str) -> int:
    """一亿二千万, 1亿2000万, 两千, 十八 as a whole number."""
    total = 0
    for marker, scale in (("亿", 10**8), ("億", 10**8), ("万", 10**4)):
        if marker in text:
            head, text = text.split(marker, 1)
            total += _zh_section(head.strip("零")) * scale
    text = text.strip("零")
    return total + (_zh_section(text) if text else 0)


def _plain_decimal(text: str) -> Decimal:
    return Decimal(re.sub(r"[,_' ]", "", text))


_NUMBER_TEXT = re.compile(r"([0-9][0-9,_' ]*(?:\.[0-9]+)?|\.[0-9]+)")


# -- the converters ----------------------------------------------------------------------------


_NOT_A_WORD: Any = object()
_MAX_PLAIN_DIGITS = 20
_PLAIN_NUMBER = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,20})?")


def _plain_reader(low: Decimal, high: Decimal, whole: bool) -> Callable[[str], Any]:
    """Plain digits ("36", "1200000.5") read directly: the value when the expression would accept
    it (in range; whole where whole numbers are asked for), else None to let the expression decide.
    NOTE: the batch fast path meets mostly distinct amounts, which the expression reads 10x slower."""

    def plain(text: str) -> Any:
        if text.isdigit():  # a whole number: int is exact, and cheaper than Decimal
            whole_number = int(text)
            return whole_number if low <= whole_number <= high else None
        number = Decimal(text)
        if not low <= number <= high:
            return None
        if number == number.to_integral_value():
            return int(number)
        return None if whole else float(number)

    return plain


class Converter:
    """Reads one attribute's values: `__call__(value)` gives the profile value (None for unknown)
    or raises ValueProblem. `pattern` is the expression of its text over folded text."""

    def __init__(self, spec: AttributeSpec, labels: Mapping[str, Mapping[Any, Iterable[str]]]):
        self.spec = spec
        self.name = spec.name
        self._memo: dict[str, Any] = {}  # text -> value, for texts read before (errors are not kept)
        self._words: dict[str, Any] = {}  # whole texts read by their key: yes/no words, choices
        self._plain: Callable[[str], Any] | None = None  # plain digits: read without the expression
        self._items_by_key: Callable[[str], list[str] | None] | None = None  # a list: its pieces by key
        build = getattr(self, f"_build_{spec.kind}")
        self._text_pattern: str
        self._read_text: Callable[[str], Any]
        build(labels.get(spec.name, {}))
        self.pattern = f"{_WS}*{_group([self._text_pattern, _words(UNKNOWN_WORDS) + _END])}{_WS}*"
        self._match = re.compile(self.pattern).fullmatch
        self._unknown = {_key(word) for word in UNKNOWN_WORDS}
        # Plain digits may skip straight to _plain when no word of this attribute is plain digits
        # (they are control-free, fold and key to themselves, and are no list).
        self._digits_first = (
            self._plain is not None
            and self._items_by_key is None
            and not any(_PLAIN_NUMBER.fullmatch(key) for key in (*self._unknown, *self._words))
        )

    # -- reading -------------------------------------------------------------------------------

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.read_text(value)
        return self.read_typed(value)

    MEMO = 4096  # distinct texts remembered per attribute (values repeat: "true", "large")

    def read_text(self, text: str) -> Any:
        if self._digits_first and text.isdigit() and text.isascii() and len(text) <= _MAX_PLAIN_DIGITS:
            # NOTE: amounts in a batch are mostly distinct: plain digits are read directly, without
            # the steps below (each a no-op for them, see _digits_first) and without filling the memo.
            found = self._plain(text)  # type: ignore[misc]
            if found is not None:
                return found
        found = self._memo.get(text, _NOT_A_WORD)
        if found is not _NOT_A_WORD:
            return list(found) if type(found) is list else found
        found = self._read_new_text(text)
        if len(self._memo) < self.MEMO:
            self._memo[text] = found
        return list(found) if type(found) is list else found

    def _read_new_text(self, text: str) -> Any:
        problem = text_problem(text)
        if problem:
            raise ValueProblem(problem, "control")
        folded = fold(text)
        key = _key(folded)
        # NOTE: a word found by its key is exactly a text the expression matches (both ignore the
        # same blanks, final stops and separators; tests/test_schema_contract.py holds them
        # together), and a dictionary is much cheaper than the expression.
        if key in self._unknown:
            return None
        found = self._words.get(key, _NOT_A_WORD)
        if found is not _NOT_A_WORD:
            return list(found) if type(found) is list else found
        if self._items_by_key is not None:
            items = self._items_by_key(folded)
            if items is not None:
                return items
        stripped = folded.strip(" \t\n\r\u00a0")
        if self._plain is not None and _PLAIN_NUMBER.fullmatch(stripped):
            found = self._plain(stripped)
            if found is not None:
                return found
        if self._match(folded) is None:
            raise self._diagnose(text, folded)
        return self._read_text(stripped)

    def read_typed(self, value: Any) -> Any:
        kind = self.spec.kind
        if value is None:
            return None
        if kind == "boolean":
            if value is True or value is False:
                return value
            raise ValueProblem("not true or false", "boolean")
        if kind in ("integer", "number"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueProblem("not a number" if kind == "number" else "not an integer", kind)
            if kind == "integer" and isinstance(value, float):
                if not value.is_integer():
                    raise ValueProblem("not a whole number", "integer")
                value = int(value)
            return value  # the model checks the range (and that a number is finite)
        if kind == "choice":
            raise ValueProblem("not an allowed value", "choice")
        if not isinstance(value, list):
            raise ValueProblem("not a list", "list")
        items: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise ValueProblem("not text", "list_item", index, item=item)
            problem = text_problem(item)
            if problem or self._item_match(fold(item)) is None:
                reason = "control" if problem else "list_item"
                raise ValueProblem(problem or "not an allowed value", reason, index, item=item)
            found = self._items[_key(fold(item))]
            if found not in items:
                items.append(found)
        return items

    # -- the kinds -------------------------------------------------------------------------

    def _choice_words(self, labels: Mapping[Any, Iterable[str]], values: Iterable[Any]) -> dict[str, Any]:
        words: dict[str, Any] = {}
        for value in values:
            for word in [str(value), *labels.get(value, ())]:
                key = _key(fold(word))
                if words.get(key, value) != value:
                    raise ValueError(f"{self.name}: {word!r} would name both {words[key]!r} and {value!r}")
                words[key] = value
        return words

    def _build_boolean(self, labels: Mapping[Any, Iterable[str]]) -> None:
        words = self._choice_words(labels, [True, False])
        words.pop("true"), words.pop("false")  # str(True): the yes/no words below say it
        for value, spelled in ((True, YES_WORDS), (False, NO_WORDS)):
            words.update((_key(fold(word)), value) for word in spelled)
        self._words = words
        self._text_pattern = _words(words) + _END
        self._read_text = lambda text: words[_key(text)]

    def _build_choice(self, labels: Mapping[Any, Iterable[str]]) -> None:
        words = self._choice_words(labels, self.spec.choices)
        self._words = words
        self._text_pattern = _words(words) + _END
        self._read_text = lambda text: words[_key(text)]

    def _build_list(self, labels: Mapping[Any, Iterable[str]]) -> None:
        items = self._choice_words(labels, self.spec.choices)
        self._items = items
        item = _words(items) + _END
        self._item_pattern = f"{_WS}*{item}{_WS}*"
        self._item_match = re.compile(self._item_pattern).fullmatch
        sep = "[;,、]"
        body = f"(?:{_WS}*{sep})*{_WS}*{item}(?:{_WS}*{sep}(?:{_WS}*{item})?)*"
        empty, every = {_key(w) for w in EMPTY_LIST_WORDS}, {_key(w) for w in ALL_WORDS}
        self._text_pattern = _group([body, _words(EMPTY_LIST_WORDS) + _END, _words(ALL_WORDS) + _END])
        order = list(self.spec.choices)

        def read(text: str) -> list[str]:
            key = _key(text)
            if key in empty:
                return []
            if key in every:
                return order
            # NOTE: in the order written, as a JSON array keeps it; repeats carry no meaning.
            return list(dict.fromkeys(items[_key(piece)] for piece in re.split("[;,、]", text) if _key(piece)))

        self._read_text = read

        def by_key(folded: str) -> list[str] | None:
            # NOTE: what the list expression says, piece by piece: every piece between separators
            # is blank or one item, and one at least is an item (empty/all words are whole words).
            found: list[str] = []
            for piece in re.split("[;,、]", folded):
                if not piece.strip(" \t\n\r\u00a0"):
                    continue
                value = items.get(_key(piece))
                if value is None:
                    return None
                if value not in found:
                    found.append(value)
            return found or None

        self._items_by_key = by_key
        self._words.update(dict.fromkeys(empty, []))
        self._words.update(dict.fromkeys(every, order))

    def _build_integer(self, labels: Mapping[Any, Iterable[str]]) -> None:
        lo = int(self.spec.minimum) if self.spec.minimum is not None else 0
        hi = int(self.spec.maximum) if self.spec.maximum is not None else 10**TEXT_DIGITS - 1
        if self.spec.unit == "months":
            self._build_months(lo, hi)
            return
        self._plain = _plain_reader(Decimal(lo), Decimal(hi), whole=True)
        digits = _whole(lo, hi) + "(?:\\.0+)?"  # 36.0: a spreadsheet's export of 36
        chinese = _zh_small(lo, hi)
        self._text_pattern = _group([digits, chinese]) if chinese else digits
        self._read_text = lambda text: int(Decimal(text)) if text[:1].isdigit() else _zh_number(text)

    def _build_months(self, lo: int, hi: int) -> None:
        self._plain = _plain_reader(Decimal(lo), Decimal(hi), whole=True)
        months_unit, years_unit = _words(_MONTH_UNITS), _words(_YEAR_UNITS)
        zh_months, zh_years = _words(("个月", "月")), "年"
        forms = [f"{_whole(lo, hi)}(?:\\.0+)?(?:{_WS}*{months_unit})?"]
        if _zh_small(lo, hi):
            forms.append(f"{_zh_small(lo, hi)}{zh_months}")
        # Years with one decimal (1.3y is 15.6 months: 16) or in quarters (1.25y, 1.75y).
        fractions: dict[int, list[str]] = {}
        for digit in range(10):
            extra = int((Decimal("1.2") * digit).quantize(Decimal(1), ROUND_HALF_UP))
            fractions.setdefault(extra, []).append("(?:\\.0+)?" if digit == 0 else f"\\.{digit}0*")
        fractions.setdefault(3, []).append("\\.250*")
        fractions.setdefault(9, []).append("\\.750*")
        for extra, spelled in fractions.items():
            first, last = max(0 if extra else 1, -((extra - lo) // 12)), (hi - extra) // 12
            if first <= last:
                forms.append(f"{_whole(first, last)}{_group(spelled)}{_WS}*{years_unit}")
        first, last = max(0, -((6 - lo) // 12)), (hi - 6) // 12
        if first <= last:  # 1年半, 三年半
            forms.append(f"{_count(first, last)}年半" if first >= 1 else "半年")
            if first == 0 and last >= 1:
                forms.append(f"{_count(1, last)}年半")
        first, last = max(1, -((0 - lo) // 12)), hi // 12
        if first <= last and _zh_small(first, last):
            forms.append(f"{_zh_small(first, last)}{zh_years}")
        by_years: dict[tuple[int, int], list[int]] = {}
        for month in range(1, 12):  # 1 year 6 months, 1年6个月
            first, last = max(1, -((month - lo) // 12)), (hi - month) // 12
            if first <= last:
                by_years.setdefault((first, last), []).append(month)
        for (first, last), months in by_years.items():
            month_text = _count(min(months), max(months))
            forms.append(f"{_count(first, last)}{_WS}*{years_unit}{_WS}*(?:and{_WS}*)?{month_text}{_WS}*{months_unit}")
        self._text_pattern = _group(forms)
        self._read_text = _read_months

    def _build_number(self, labels: Mapping[Any, Iterable[str]]) -> None:
        top = Decimal(str(self.spec.maximum)) if self.spec.maximum is not None else Decimal(10) ** TEXT_DIGITS
        if top != 10 ** int(top.adjusted()) or (self.spec.minimum or 0) != 0:
            raise ValueError(f"{self.name}: text amounts need a range of 0 to a power of ten")
        exponent = int(top.adjusted())
        self._plain = _plain_reader(Decimal(0), top, whole=False)
        terms = []
        for power, units in _AMOUNT_UNITS.items():
            if exponent - power < 1:
                continue
            unit = _words(units) if units != ("",) else ""
            terms.append(_decimal_up_to(exponent - power) + (f"{_WS}*{unit}" if unit else ""))
        if exponent >= 12:
            terms.append(_ZH_AMOUNT)
        before, after = _words(_CURRENCY_BEFORE), _words(_CURRENCY_AFTER)
        self._text_pattern = f"(?:{before}{_WS}*)?{_group(terms)}(?:{_WS}*{after})?"
        self._read_text = _read_amount

    # -- messages --------------------------------------------------------------------------

    def _diagnose(self, text: str, folded: str) -> ValueProblem:
        """Why a text does not match: the most specific reason found."""
        kind, spec, shown = self.spec.kind, self.spec, text.strip()
        if kind == "boolean":
            return ValueProblem("not true or false", "boolean", text=shown)
        if kind == "choice":
            return ValueProblem("not an allowed value", "choice", text=shown)
        if kind == "list":
            originals = [piece for piece in re.split("[;,、；，]", text) if _key(fold(piece))]
            for index, piece in enumerate(originals):
                if self._item_match(fold(piece)) is None:
                    return ValueProblem("not an allowed value", "list_item", index, item=piece.strip())
            return ValueProblem("not an allowed value", "list_item", text=shown)
        norm = folded.strip(" \t\n\r\u00a0")
        if norm.startswith("-") and any(char.isdigit() for char in norm):
            return ValueProblem("out of range", "negative", text=shown)
        foreign = _FOREIGN_CURRENCY.search(norm)
        if kind == "number" and foreign:
            return ValueProblem(f"not in CNY ({foreign[0]})", "currency", currency=foreign[0])
        for number in _NUMBER_TEXT.findall(norm):
            number = number.strip()
            if re.search("[,_' ]", number) and not re.fullmatch(r"[0-9]{1,3}(?:[,_' ][0-9]{3})+(?:\.[0-9]+)?", number):
                return ValueProblem("not a number", "separators", number=number)
        if kind == "integer" and spec.unit == "months":
            return _duration_problem(norm, shown, spec)
        loose = _loose_value(norm, kind)
        if loose is not None:
            if kind == "integer" and loose != int(loose):
                return ValueProblem("not a whole number", "integer", text=shown)
            return ValueProblem("out of range", "range", text=shown, value=loose)
        if kind == "integer":
            return ValueProblem("not an integer", "integer", text=shown)
        return ValueProblem("not a number", "amount", text=shown)


def _loose_value(norm: str, kind: str) -> Decimal | None:
    """A number read from text without range limits, to say "out of range" rather than "unreadable"."""
    match = re.fullmatch(r"(?:[¥￥]|rmb|cny)?\s*([0-9][0-9,_' ]*(?:\.[0-9]+)?|\.[0-9]+)\s*([a-z\u4e00-\u9fff]*)", norm)
    if (
        match is None
        or re.search("[,_' ]", match[1].strip())
        and not re.fullmatch(r"[0-9]{1,3}(?:[,_' ][0-9]{3})+(?:\.[0-9]+)?", match[1].strip())
    ):
        return None
    unit = match[2].removesuffix("元").removesuffix("yuan").removesuffix("cny").removesuffix("rmb")
    if kind == "integer":
        return _plain_decimal(match[1].strip()) if not unit else None
    for power, units in _AMOUNT_UNITS.items():
        if unit in units:
            return _plain_decimal(match[1].strip()) * (Decimal(10) ** power)
    return None


def _duration_problem(norm: str, shown: str, spec: AttributeSpec) -> ValueProblem:
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([a-z\u4e00-\u9fff]*)", norm)
    months_units, years_units = {_key(u) for u in _MONTH_UNITS}, {_key(u) for u in _YEAR_UNITS}
    if match and (match[2] in months_units or match[2] == ""):
        number = Decimal(match[1])
        if number != number.to_integral_value():
            return ValueProblem("not a whole number of months", "whole_months", months=float(number))
        if spec.minimum is not None and number < spec.minimum or spec.maximum is not None and number > spec.maximum:
            return ValueProblem("out of range", "duration_range", text=shown, value=int(number))
        return ValueProblem("not a duration", "duration", text=shown)
    if match and match[2] in years_units:
        months = Decimal(match[1]) * 12
        rounded = int(months.quantize(Decimal(1), ROUND_HALF_UP))
        if spec.minimum is not None and rounded < spec.minimum or spec.maximum is not None and rounded > spec.maximum:
            return ValueProblem("out of range", "duration_range", text=shown, value=rounded)
        if months != months.to_integral_value():
            return ValueProblem(
                f"not a whole number of months: write years with one decimal or in quarters (1.5y, 1.25y), or months ({rounded})",
                "whole_months",
                months=float(months),
                rounded=rounded,
            )
    return ValueProblem("not a duration", "duration", text=shown)


def _strip_words(text: str, words: Iterable[str], at_start: bool) -> str:
    for word in sorted(words, key=len, reverse=True):
        if at_start and text.startswith(word):
            return text[len(word) :].lstrip(" \t\n\r\u00a0")
        if not at_start and text.endswith(word):
            return text[: -len(word)].rstrip(" \t\n\r\u00a0")
    return text


def _read_amount(text: str) -> int | float:
    text = _strip_words(text, _CURRENCY_BEFORE, at_start=True)
    text = _strip_words(text, _CURRENCY_AFTER, at_start=False)
    match = _NUMBER_TEXT.match(text)
    if match is None or re.search(r"[亿億万]", text) and re.fullmatch(_ZH_AMOUNT, text):
        amount = Decimal(_zh_number(text))
    else:
        unit = text[match.end() :].strip(" \t\n\r\u00a0")
        power = next(power for power, units in _AMOUNT_UNITS.items() if unit in units)
        amount = _plain_decimal(match[1].strip()) * (Decimal(10) ** power)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _read_months(text: str) -> int:
    if text == "半年":
        return 6

    def number(part: str) -> Decimal:
        return Decimal(part) if part[:1].isdigit() else Decimal(_zh_number(part))

    numeral = r"([0-9]+(?:\.[0-9]+)?|[一二两三四五六七八九十]+)"
    half = re.fullmatch(numeral + "年半", text)
    if half:
        return int(number(half[1]) * 12 + 6)
    both = re.fullmatch(
        numeral + r"[ \t\n\r\u00a0]*([a-z年]+)[ \t\n\r\u00a0]*(?:and[ \t\n\r\u00a0]*)?" + numeral + r".*", text, re.S
    )
    if both:
        return int(number(both[1]) * 12 + number(both[3]))
    single = re.fullmatch(numeral + r"[ \t\n\r\u00a0]*(.*)", text, re.S)
    assert single is not None, text
    unit = _key(single[2])
    months = number(single[1]) * (12 if unit in {_key(u) for u in _YEAR_UNITS} else 1)
    return int(months.quantize(Decimal(1), ROUND_HALF_UP))  # NOTE: half up: 1.125y would be 14


# -- every attribute ---------------------------------------------------------------------------


@functools.cache
def _labels() -> dict[str, dict[Any, list[str]]]:
    """The English and Chinese labels of each attribute's choices, from the shipped questions."""
    from .questions import load_questions  # NOTE: late: questions.py imports profile.py

    labels: dict[str, dict[Any, list[str]]] = {}
    for question in load_questions().questions:
        labels[question.attribute] = {
            choice.value: [choice.label.en, choice.label.zh, *choice.aliases] for choice in question.choices
        }
    return labels


@functools.cache
def converter(attribute: str) -> Converter:
    """The converter of one attribute, built on first use (KeyError for a name that is not one)."""
    return Converter(ATTRIBUTES[attribute], _labels())


def converters() -> dict[str, Converter]:
    """One converter per attribute of ATTRIBUTES."""
    return {name: converter(name) for name in ATTRIBUTES}


def read_value(attribute: str, value: Any) -> Any:
    """The profile value of `value` (text or typed JSON) for `attribute`; None means unknown.
    Raises ValueProblem (KeyError for a name that is not an attribute)."""
    return readers()[attribute](value)


@functools.cache
def readers() -> dict[str, Callable[[Any], Any]]:
    """One reading function per attribute, as `read_value` applies them.

    NOTE: values already in their canonical form (true, 36, "large", ["pilot"]) are returned
    without building the converter, which costs a questions file and a few regular expressions
    on first use; each function is specialised to its kind because Profile calls it per field."""
    return {name: _reader(spec) for name, spec in ATTRIBUTES.items()}


def _reader(spec: AttributeSpec) -> Callable[[Any], Any]:
    name, kind, canonical = spec.name, spec.kind, frozenset(spec.choices)

    def slow(value: Any) -> Any:
        return converter(name)(value)

    if kind == "boolean":

        def boolean(value: Any) -> Any:
            return value if value is True or value is False or value is None else slow(value)

        return boolean
    if kind == "integer":

        def integer(value: Any) -> Any:
            return value if type(value) is int or value is None else slow(value)

        return integer
    if kind == "number":
        low = -math.inf if spec.minimum is None else spec.minimum
        high = math.inf if spec.maximum is None else spec.maximum

        def number(value: Any) -> Any:
            kind_of = type(value)
            if kind_of is not float and kind_of is not int:
                if value is None:
                    return None
                value = slow(value)
                if value is None:
                    return None
            # NOTE: amounts are kept to the cent, so every surface and the rule engine see the same
            # number (the engine cannot read floats JSON writes in exponent notation, e.g. 1e-07).
            # Only values in range are rounded: the model words the range error for the others.
            if type(value) is int or not low <= value <= high:
                return value  # whole already, or out of range (for the model to word)
            return round(value, 2)

        return number
    if kind == "choice":

        def choice(value: Any) -> Any:
            return value if (type(value) is str and value in canonical) or value is None else slow(value)

        return choice

    def items(value: Any) -> Any:
        if type(value) is list and all(type(item) is str and item in canonical for item in value):
            return list(dict.fromkeys(value))
        return None if value is None else slow(value)

    return items


# -- the JSON Schema ---------------------------------------------------------------------------


def schema_pattern(pattern: str) -> str:
    """An expression over folded text widened to every spelling that folds into it, anchored."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(_char_class(_preimage(pattern[index + 1])))
            index += 2
        elif char == "[":
            end = index + 1
            members: list[str] = []
            while pattern[end] != "]":
                if pattern[end] == "\\":
                    members.append(pattern[end + 1])
                    end += 2
                elif end + 2 < len(pattern) and pattern[end + 1] == "-" and pattern[end + 2] != "]":
                    low, high = pattern[end], pattern[end + 2]
                    if not (low.isdigit() and high.isdigit() or low.islower() and high.islower()):
                        raise ValueError(f"unsupported range {low}-{high}")
                    members.extend(chr(code) for code in range(ord(low), ord(high) + 1))
                    end += 3
                else:
                    members.append(pattern[end])
                    end += 1
            out.append(_char_class([spelling for member in members for spelling in _preimage(member)]))
            index = end + 1
        elif char in "(){}|?*+":
            if char == "(" and pattern.startswith("(?:", index):
                out.append("(?:")
                index += 3
                continue
            if char == "{":
                end = pattern.index("}", index)
                out.append(pattern[index : end + 1])
                index = end + 1
                continue
            out.append(char)
            index += 1
        else:
            out.append(_char_class(_preimage(char)))
            index += 1
    return "^" + "".join(out) + "$"


def _char_class(chars: Iterable[str]) -> str:
    unique = sorted(set(chars))
    if len(unique) == 1:
        return _escape(unique[0])
    runs: list[list[str]] = []
    for char in unique:
        if runs and ord(char) == ord(runs[-1][-1]) + 1:
            runs[-1].append(char)
        else:
            runs.append([char])

    def member(char: str) -> str:
        return "\\" + char if char in "\\]^-[" else char

    parts = [member(run[0]) + "-" + member(run[-1]) if len(run) > 2 else "".join(map(member, run)) for run in runs]
    return "[" + "".join(parts) + "]"


def string_schema(attribute: str) -> dict[str, Any]:
    """The JSON Schema of an attribute's text form (see docs/input.md)."""
    return {"type": "string", "pattern": schema_pattern(converter(attribute).pattern)}


def item_schema(attribute: str) -> dict[str, Any]:
    """The JSON Schema of one item of a list attribute given as a JSON array."""
    return {"type": "string", "pattern": schema_pattern(converter(attribute)._item_pattern)}
