"""Reading spreadsheet cells as profile values: the fast converters behind the batch row validator.

NOTE: moved verbatim from advisor/batch.py (the bodies are unchanged) so the library's row
validator (advisor/row_scoring.py) does not import the command module. The one-vocabulary work
(advisor/values.py) replaces these; the row validator calls only `_converter`, `_prepared`,
`_text` and `fast_path_reviewed`, with these signatures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .profile import AttributeSpec

_SLOW: Any = object()  # "the fast path cannot vouch for this value: ask pydantic"
_BLANK: Any = object()  # an empty cell: unknown
_MISS: Any = object()
_LIST_SEPARATORS = re.compile(r"[;；,，、]")
_EMPTY_LIST_WORDS = frozenset({"none", "[]", "无"})
_THOUSANDS = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
_BOOLEAN_WORDS = {
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "on": True,
    "1": True,
    "是": True,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "off": False,
    "0": False,
    "否": False,
}
# NOTE: the fast path converts cells itself (about 5x cheaper than a pydantic model plus
# model_dump per row) and may accept a value only where every validator of Profile would leave
# it unchanged. These are the validators it has been checked against; any other (a new field or
# model validator) turns the fast path off, and tests/test_batch_validation.py fails until this
# list and the converters are reviewed.
_REVIEWED_VALIDATORS = frozenset({"_split_and_dedupe", "_no_booleans_for_numbers", "_to_the_cent"})


def _choice_word(text: str, choices: frozenset[str]) -> str | None:
    """A choice as a spreadsheet may spell it ("Large", "single program", "non-governmental")."""
    if text in choices:
        return text
    word = text.strip().lower().replace(" ", "_").replace("-", "_")
    return word if word in choices else None


def _converter(spec: AttributeSpec) -> Callable[[Any], Any]:
    """A function from a cell to the validated value, or _SLOW when pydantic must decide."""
    kind = spec.kind
    low, high = spec.minimum, spec.maximum
    choices = frozenset(spec.choices)

    if kind == "integer":
        lo = -math.inf if low is None else low
        hi = math.inf if high is None else high

        def integer(value: Any) -> Any:
            kind_of = type(value)
            if kind_of is str:
                text = value.strip()
                if not (text.isascii() and text.isdigit()):
                    return _SLOW
                value = int(text)
            elif kind_of is float:
                if not value.is_integer():
                    return _SLOW
                value = int(value)
            elif kind_of is not int:
                return _SLOW
            return value if lo <= value <= hi else _SLOW

        return integer

    if kind == "number":
        lo = -math.inf if low is None else low
        hi = math.inf if high is None else high

        def number(value: Any) -> Any:
            kind_of = type(value)
            if kind_of is str:
                text = value.strip()
                if _THOUSANDS.match(text):
                    text = text.replace(",", "")
                if not _DECIMAL.match(text):
                    return _SLOW
                value = float(text)
            elif kind_of is int:
                if abs(value) > 2**53:
                    return _SLOW
                value = float(value)
            elif kind_of is not float or not math.isfinite(value):
                return _SLOW
            # identity under the profile's rounding to the cent: otherwise pydantic decides
            return value if lo <= value <= hi and round(value, 2) == value else _SLOW

        return number

    if kind == "boolean":

        def boolean(value: Any) -> Any:
            if value is True or value is False:
                return value
            if type(value) is str:
                found = _BOOLEAN_WORDS.get(value.strip().lower())
                return _SLOW if found is None else found
            return _SLOW

        return boolean

    if kind == "choice":

        def choice(value: Any) -> Any:
            if type(value) is str:
                found = _choice_word(value, choices)
                return _SLOW if found is None else found
            return _SLOW

        return choice

    if kind == "list":

        def items(value: Any) -> Any:
            if type(value) is str:
                text = value.strip()
                if text.lower() in _EMPTY_LIST_WORDS:
                    return []
                parts: list[Any] = _LIST_SEPARATORS.split(text)
            elif type(value) is list:
                parts = value
            else:
                return _SLOW
            result: list[str] = []
            for part in parts:
                if type(part) is not str:
                    return _SLOW
                if not part.strip():
                    if type(value) is list:
                        return _SLOW  # [""] is an error pydantic words better
                    continue
                found = _choice_word(part, choices)
                if found is None:
                    return _SLOW
                if found not in result:
                    result.append(found)
            return result

        return items

    raise AssertionError(f"unhandled attribute kind {kind}")


def _prepared(spec: AttributeSpec, value: Any) -> Any:
    """A cell cleaned up for pydantic (which words the error): blanks stripped, known spellings
    normalised, list text split; what is still wrong is left as the user wrote it."""
    if isinstance(value, str):
        text = value.strip()
        if spec.kind == "list":
            if text.lower() in _EMPTY_LIST_WORDS:
                return []
            parts = [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]
            return [_choice_word(part, frozenset(spec.choices)) or part for part in parts]
        if spec.kind == "choice":
            return _choice_word(text, frozenset(spec.choices)) or text
        if spec.kind == "boolean":
            found = _BOOLEAN_WORDS.get(text.lower())
            return text if found is None else found
        if spec.kind in ("integer", "number") and _THOUSANDS.match(text):
            return text.replace(",", "")
        return text
    if isinstance(value, list) and spec.kind == "list":
        return [
            (_choice_word(item, frozenset(spec.choices)) or item.strip()) if isinstance(item, str) else item
            for item in value
        ]
    return value


def _text(value: Any) -> Any:
    """An id or title cell as text: numbers (Excel's ids) become their digits; blanks are unknown."""
    kind_of = type(value)
    if kind_of is str:
        return value.strip() or None
    if kind_of is int:
        return str(value)
    if kind_of is float and value.is_integer():
        return str(int(value))
    if kind_of is float:
        return repr(value)
    return _SLOW


def fast_path_reviewed() -> bool:
    """Whether Profile's validators are the ones the fast converters were checked against."""
    from .profile import Profile

    decorators = Profile.__pydantic_decorators__
    others = (decorators.validators, decorators.root_validators, decorators.model_validators)
    strict = bool(Profile.model_config.get("strict"))
    plain_text = all(not Profile.model_fields[name].metadata for name in ("id", "title"))  # no length limits
    return not strict and not any(others) and plain_text and set(decorators.field_validators) <= _REVIEWED_VALIDATORS
