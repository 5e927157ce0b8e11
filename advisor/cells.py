"""Reading spreadsheet cells as profile values: the fast converters behind the batch row validator.

NOTE: the converters read every cell with the one vocabulary (advisor/values.py); what they add
is the fast path's range checks and memo-friendly sentinels. The row validator
(advisor/row_scoring.py) calls only `_converter`, `_prepared`, `_text` and `fast_path_reviewed`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .profile import AttributeSpec

_SLOW: Any = object()  # "the fast path cannot vouch for this value: ask pydantic"
_BLANK: Any = object()  # an empty cell, or a word meaning unknown: unknown
_MISS: Any = object()
# NOTE: the fast path converts cells with the one vocabulary (advisor/values.py) and checks the
# ranges itself (about 5x cheaper than a pydantic model plus model_dump per row); it may accept a
# value only where every validator of Profile would give the same. These are the validators it
# has been checked against; any other (a new field or model validator) turns the fast path off,
# and tests/test_batch_validation.py fails until this list and the converters are reviewed.
_REVIEWED_VALIDATORS = frozenset({"_read_value"})


def _converter(spec: AttributeSpec) -> Callable[[Any], Any]:
    """A function from a cell to the validated value, _BLANK for unknown, or _SLOW when pydantic
    must decide (and word the error)."""
    from .values import readers

    name, kind = spec.name, spec.kind
    read_value = readers()[name]  # NOTE: bound once: this runs for every cell a memo has not seen
    lo = -math.inf if spec.minimum is None else spec.minimum
    hi = math.inf if spec.maximum is None else spec.maximum

    def convert(value: Any) -> Any:
        try:
            result = read_value(value)
        except ValueError:
            return _SLOW
        if result is None:
            return _BLANK
        if kind == "number":
            if type(result) is int and abs(result) > 2**53:
                return _SLOW
            result = float(result)
            if not (math.isfinite(result) and lo <= result <= hi):
                return _SLOW
            return round(result, 2)  # as Profile keeps amounts (to the cent)
        if kind == "integer" and not lo <= result <= hi:
            return _SLOW
        return result

    return convert


def _prepared(spec: AttributeSpec, value: Any) -> Any:
    """A cell as pydantic should see it: Profile reads text itself now (advisor/values.py)."""
    return value


def _text_problem(text: str) -> str | None:
    """Why free text cannot be kept (a control character), by advisor.values, imported once."""
    global _text_problem
    from .values import text_problem

    _text_problem = text_problem  # NOTE: the import once, not per cell
    return text_problem(text)


def _text(value: Any) -> Any:
    """An id or title cell as text: numbers (Excel's ids) become their digits; blanks are unknown."""
    kind_of = type(value)
    if kind_of is str:
        return _SLOW if _text_problem(value) else value.strip() or None
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
