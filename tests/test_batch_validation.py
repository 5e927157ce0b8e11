"""The batch fast path against the reference: the same values as Profile, the same advice as advise().

`advisor batch` converts cells itself and ranks modes from `fired_many` + `Scorer.standing`
instead of building an Advice per row; these tests hold it to pydantic and to `Advisor.advise`.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.cells import _REVIEWED_VALIDATORS, _SLOW, _prepared, _text, fast_path_reviewed
from advisor.core import validate_profile
from advisor.errors import ProfileError
from advisor.profile import ATTRIBUTES, AttributeSpec, Profile
from advisor.row_scoring import Outcome, Outcomes, Rejected, RowValidator, Scored, score_rows

FAST = RowValidator()


def reference(data: dict[str, Any]) -> tuple[str | None, str | None, dict[str, Any]]:
    """What pydantic makes of a row, after the batch's spelling normalisation only."""
    prepared: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if key in ATTRIBUTES:
            prepared[key] = _prepared(ATTRIBUTES[key], value)
        elif key in ("id", "title"):
            text = _text(value)
            prepared[key] = value if text is None or text is _SLOW else text
        else:
            prepared[key] = value
    profile = validate_profile(prepared)
    return profile.id, profile.title, profile.known()


def outcome_of(attempt: Any) -> tuple[str, Any]:
    try:
        return "ok", attempt()
    except ProfileError as error:
        return "error", sorted(problem.field for problem in error.problems)


# -- cell strategies: what spreadsheets and JSON files put in a column ---------------------------

_JUNK = st.one_of(
    st.text(max_size=8), st.sampled_from(["abc", "三年", "-", "N/A", "1e3", "0x10", "١٢", "１２", "nan", "inf"])
)


def _respell(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [word, word.upper(), word.title(), f" {word} ", word.replace("_", " "), word.replace("_", "-")]
    )


def cells(spec: AttributeSpec) -> st.SearchStrategy[Any]:
    if spec.kind == "integer":
        numbers = st.integers(-5, 700)
        return st.one_of(
            numbers,
            numbers.map(str),
            numbers.map(lambda n: f" {n} "),
            numbers.map(lambda n: f"{n}.0"),
            numbers.map(float),
            st.floats(allow_nan=True),
            st.booleans(),
            numbers.map(lambda n: f"{n:,}"),
            _JUNK,
        )
    if spec.kind == "number":
        amounts = st.one_of(
            st.integers(-10, 10**14), st.floats(-1, 1e14), st.sampled_from([float("nan"), float("inf")])
        )
        return st.one_of(
            amounts,
            amounts.map(str),
            st.integers(0, 10**12).map(lambda n: f"{n:,}"),
            st.decimals(0, 10**9, places=3).map(str),
            st.booleans(),
            _JUNK,
        )
    if spec.kind == "boolean":
        words = st.sampled_from(["true", "false", "yes", "no", "y", "n", "t", "f", "on", "off", "1", "0", "是", "否"])
        return st.one_of(st.booleans(), words.flatmap(_respell), st.sampled_from([0, 1, 2, 1.0, "2"]), _JUNK)
    choice = st.sampled_from(spec.choices).flatmap(_respell)
    if spec.kind == "choice":
        return st.one_of(choice, _JUNK, st.integers())
    separators = st.sampled_from([";", "; ", ",", "，", "；", "、", ";;"])
    items = st.lists(st.one_of(choice, _JUNK), max_size=6)
    return st.one_of(
        st.tuples(items, separators).map(lambda pair: pair[1].join(pair[0])),
        items,
        st.sampled_from(["none", "None", "[]", "无", " ; "]),
        st.lists(st.one_of(st.integers(), st.none()), min_size=1, max_size=2),
    )


CLEAN = st.characters(blacklist_categories=("Cc", "Cs"))

ROWS = st.fixed_dictionaries(
    {},
    optional={
        # text hygiene (control characters, lone surrogates) is tested on its own below
        "id": st.one_of(st.text(CLEAN, max_size=6), st.integers(), st.floats(allow_nan=False), st.booleans()),
        "title": st.one_of(st.text(CLEAN, max_size=10), st.sampled_from(["=1+1", "  spaced  "])),
        **{name: cells(spec) for name, spec in ATTRIBUTES.items()},
    },
)


# -- the fast converters agree with pydantic ------------------------------------------------------


def test_fast_path_is_on_for_the_shipped_profile():
    # Fails when Profile gains a validator the fast converters have not been checked against:
    # review cells._converter, then add the validator's name to cells._REVIEWED_VALIDATORS.
    found = set(Profile.__pydantic_decorators__.field_validators)
    assert found <= _REVIEWED_VALIDATORS, f"review the batch fast path for {sorted(found - _REVIEWED_VALIDATORS)}"
    assert fast_path_reviewed()
    assert FAST.fast


CELLS = st.sampled_from(sorted(ATTRIBUTES)).flatmap(lambda name: st.tuples(st.just(name), cells(ATTRIBUTES[name])))


@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
@given(CELLS)
def test_fast_validation_of_a_cell_equals_pydantic(cell: tuple[str, Any]) -> None:
    name, value = cell
    row = {"id": "P1", name: value}
    assert outcome_of(lambda: FAST(row)) == outcome_of(lambda: reference(row))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(ROWS)
def test_fast_validation_of_a_row_equals_pydantic(row: dict[str, Any]) -> None:
    fast = outcome_of(lambda: FAST(row))
    slow = outcome_of(lambda: reference(row))
    if slow[0] == "error" and not row:
        return
    if fast[0] == "error" and fast[1] == ["(row)"]:
        # only a row with nothing in it is "empty"; pydantic sees a valid empty profile
        assert slow == ("ok", (None, None, {}))
        return
    assert fast == slow


@pytest.mark.parametrize(
    ("cell", "attribute", "value"),
    [
        ("Large", "enterprise_size", "large"),
        (" single program ", "scope", "single_program"),
        ("Non-Governmental", "international_channel", "non_governmental"),
        ("TRUE", "existing_result", True),
        ("是", "joint_entity", True),
        ("否", "joint_entity", False),
        ("enterprise，Government、enterprise", "funding_sources", ["enterprise", "government"]),
        ("none", "government_roles", []),
        ("1,500,000", "funding_cny", 1_500_000.0),
        ("036", "duration_months", 36),
        ("36.0", "duration_months", 36),
        ("1234.5678", "funding_cny", 1234.57),
    ],
)
def test_spreadsheet_spellings_are_understood(cell, attribute, value):
    assert FAST({attribute: cell}) == (None, None, {attribute: value})


def test_excel_numbers_as_ids_become_text():
    assert FAST({"id": 1001.0, "title": 7, "scope": "single_problem"})[:2] == ("1001", "7")


@pytest.mark.parametrize(
    ("cell", "field", "allowed"),
    [
        ({"duration_months": "三周"}, "duration_months", "an integer >= 1 and <= 600"),
        ({"enterprise_size": "huge"}, "enterprise_size", "one of large, medium, small, none"),
        ({"funding_sources": "enterprise;bank"}, "funding_sources[1]", None),
        ({"existing_result": "maybe"}, "existing_result", "true or false"),
        ({"colour": "blue", "scope": "single_problem"}, "colour", None),
        ({"title": "only blanks", "duration_months": True}, "duration_months", None),
    ],
)
def test_a_bad_cell_is_named_with_what_is_allowed(cell, field, allowed):
    with pytest.raises(ProfileError) as caught:
        FAST(cell)
    problem = next(p for p in caught.value.problems if p.field == field)
    if allowed:
        assert problem.allowed == allowed
    assert problem.message


def test_an_empty_row_is_rejected_but_a_row_with_only_an_id_is_scored():
    with pytest.raises(ProfileError) as caught:
        FAST({"title": "   ", "scope": ""})
    assert [p.field for p in caught.value.problems] == ["(row)"]
    assert FAST({"id": "P1"}) == ("P1", None, {})


# -- the fast path gives the advice advise() gives -------------------------------------------------


def _profiles() -> st.SearchStrategy[dict[str, Any]]:
    def value(spec: AttributeSpec) -> st.SearchStrategy[Any]:
        if spec.kind == "integer":
            return st.sampled_from([1, 6, 12, 23, 24, 25, 35, 36, 37, 47, 48, 60, 120, 600])
        if spec.kind == "number":
            return st.sampled_from([0.0, 5e4, 499_999.99, 5e5, 500_000.01, 999_999.0, 1e6, 9_999_999.0, 1e7, 3e7])
        if spec.kind == "boolean":
            return st.booleans()
        if spec.kind == "choice":
            return st.sampled_from(spec.choices)
        return st.lists(st.sampled_from(spec.choices), unique=True, max_size=len(spec.choices))

    return st.fixed_dictionaries({}, optional={name: value(spec) for name, spec in ATTRIBUTES.items()})


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(_profiles(), min_size=1, max_size=80))
def test_score_rows_gives_what_advise_gives(shipped, profiles: list[dict[str, Any]]) -> None:
    # up to 80 rows: several engine sessions of 64 in one fired_many call, with repeats
    rows = [{"id": f"P{number}", **profile} for number, profile in enumerate(profiles)]
    fast = list(score_rows(shipped, rows, outcomes=Outcomes(shipped)))
    assert [result.number for result in fast] == list(range(1, len(rows) + 1))
    for row, result in zip(rows, fast, strict=True):
        assert isinstance(result, Scored), getattr(result, "problems", None)
        expected = Outcome.from_advice(shipped.advise(row, what_if=False))
        assert result.outcome == expected, row
        assert result.id == row["id"]


def test_score_rows_full_carries_the_advice_advise_gives(shipped):
    rows = [
        {"id": "a", "enterprise_size": "large", "scope": "multi_program", "duration_months": 60},
        {"scope": "wrong"},
    ]
    first, second = list(score_rows(shipped, rows, full=True))
    assert isinstance(first, Scored) and first.advice is not None
    assert first.advice == shipped.advise(rows[0], what_if=False)
    assert isinstance(second, Rejected) and second.number == 2
    assert [p.field for p in second.problems] == ["scope"]


def test_text_cells_score_like_typed_values(shipped):
    typed = {
        "existing_result": True,
        "enterprise_can_industrialize": True,
        "research_stages": ["pilot", "production"],
        "funding_cny": 3_000_000.0,
        "duration_months": 12,
        "enterprise_size": "large",
    }
    as_text = {
        "existing_result": "TRUE",
        "enterprise_can_industrialize": "yes",
        "research_stages": "Pilot; production",
        "funding_cny": "3,000,000",
        "duration_months": "12",
        "enterprise_size": "Large",
    }
    by_type, by_text = list(score_rows(shipped, [typed, as_text]))
    assert isinstance(by_type, Scored) and isinstance(by_text, Scored)
    assert by_type.outcome == by_text.outcome == Outcome.from_advice(shipped.advise(typed, what_if=False))
