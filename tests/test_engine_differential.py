"""Differential tests: the durable-rules adapter against the plain-Python oracle (tests/oracle.py).

The oracle implements the rule semantics independently (it never imports advisor.engine); any
profile on which the two disagree is a bug in one of them.
"""

from __future__ import annotations

import math
import sys
import textwrap
from pathlib import Path
from typing import Any

import oracle
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from profiles import rule_thresholds

from advisor.core import Advisor, validate_profile
from advisor.engine import EngineError, RuleEngine
from advisor.errors import ProfileError
from advisor.profile import ATTRIBUTES, AttributeSpec
from advisor.rulebook import Rulebook, load_rulebook

# One Advisor over the shipped pack for the whole module (compiling the pack is the slow part).
ADVISOR = Advisor()
PRESENT_OUT_OF_TEN = 6  # each attribute is answered with probability ~0.6


# -- profile strategy --------------------------------------------------------------------------


def _integer_values(spec: AttributeSpec, limits: set[float]) -> st.SearchStrategy[int]:
    low = int(spec.minimum) if spec.minimum is not None else 0
    high = int(spec.maximum) if spec.maximum is not None else 10**6
    near = {low, high}
    for limit in limits:
        for value in range(math.floor(limit) - 1, math.ceil(limit) + 2):
            near.add(value)
    near = {value for value in near if low <= value <= high}
    return st.one_of(st.sampled_from(sorted(near)), st.integers(low, high))


def _number_values(spec: AttributeSpec, limits: set[float]) -> st.SearchStrategy[float]:
    low = spec.minimum if spec.minimum is not None else 0.0
    high = spec.maximum
    near = {float(low)}
    for limit in limits:
        for value in (
            limit - 1,
            limit - 0.5,
            math.nextafter(limit, -math.inf),
            limit,
            math.nextafter(limit, math.inf),
            limit + 0.5,
            limit + 1,
        ):
            near.add(value)
    # Every order of magnitude, in range: json writes 1e-05 and 1e+16 in exponent notation, which
    # durable-rules cannot read (the profile now rounds amounts to the cent and caps them).
    near |= {10.0**power for power in range(-8, 23)} | {2e16, 5e-324, sys.float_info.max}
    near = {value for value in near if value >= low and (high is None or value <= high)}
    whole_max = 10**9 if high is None else int(min(high, 10**9))
    return st.one_of(
        st.sampled_from(sorted(near)),
        st.integers(int(low), whole_max).map(float),  # whole amounts, the common case
        st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False),
    )


def value_strategy(spec: AttributeSpec, limits: set[float]) -> st.SearchStrategy[Any]:
    if spec.kind == "integer":
        return _integer_values(spec, limits)
    if spec.kind == "number":
        return _number_values(spec, limits)
    if spec.kind == "boolean":
        return st.booleans()
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    if spec.kind == "list":
        return st.lists(st.sampled_from(spec.choices), unique=True, max_size=len(spec.choices))
    raise AssertionError(f"unhandled attribute kind {spec.kind}")


def value_strategies(rulebook: Rulebook) -> dict[str, st.SearchStrategy[Any]]:
    limits = rule_thresholds(rulebook)
    return {name: value_strategy(spec, limits.get(name, set())) for name, spec in ATTRIBUTES.items()}


def profile_strategy(rulebook: Rulebook) -> st.SearchStrategy[dict[str, Any]]:
    """Profiles with each attribute answered independently, with probability ~0.6."""
    values = value_strategies(rulebook)
    # False first: hypothesis shrinks towards the first element, so failing profiles shrink to few answers.
    presence = st.sampled_from([False] * (10 - PRESENT_OUT_OF_TEN) + [True] * PRESENT_OUT_OF_TEN)

    @st.composite
    def profiles(draw: st.DrawFn) -> dict[str, Any]:
        return {name: draw(strategy) for name, strategy in values.items() if draw(presence)}

    return profiles()


def near_case_strategy(
    rulebook: Rulebook, base: st.SearchStrategy[dict[str, Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """A random profile overlaid with a case of a random rule, each case answer kept (90%), dropped
    or re-drawn: rules with three or four conditions fire, or just miss, far more often than on
    independent random answers."""
    values = value_strategies(rulebook)
    cases = st.sampled_from([rule.cases for _, rule in sorted(rulebook.rules.items()) if rule.cases]).flatmap(
        st.sampled_from
    )
    action = st.sampled_from(["keep"] * 18 + ["drop", "redraw"])

    @st.composite
    def profiles(draw: st.DrawFn) -> dict[str, Any]:
        profile = dict(draw(base))
        for name, value in draw(cases).profile.items():
            chosen = draw(action) if name in values else "keep"
            if chosen == "keep":
                profile[name] = value
            elif chosen == "drop":
                profile.pop(name, None)
            else:
                profile[name] = draw(values[name])
        return profile

    return profiles()


PROFILES = profile_strategy(ADVISOR.rulebook)
NEAR_CASES = near_case_strategy(ADVISOR.rulebook, PROFILES)


def _difference(engine: frozenset[str], expected: frozenset[str]) -> str:
    return f"engine only: {sorted(engine - expected)}; oracle only: {sorted(expected - engine)}"


# -- the shipped pack --------------------------------------------------------------------------


@settings(max_examples=2000, deadline=None, derandomize=True, database=None)
@given(PROFILES)
def test_engine_agrees_with_oracle_on_random_profiles(data: dict[str, Any]) -> None:
    profile = validate_profile(data)
    engine = ADVISOR.fired_rules(profile)
    expected = oracle.fired_rules(ADVISOR.rulebook, profile.known())
    assert engine == expected, _difference(engine, expected)


@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@given(NEAR_CASES)
def test_engine_agrees_with_oracle_near_rule_cases(data: dict[str, Any]) -> None:
    profile = validate_profile(data)
    engine = ADVISOR.fired_rules(profile)
    expected = oracle.fired_rules(ADVISOR.rulebook, profile.known())
    assert engine == expected, _difference(engine, expected)


@st.composite
def batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Lists of profiles up to 200 long (past fired_many's 64 per session), repeating a drawn few."""
    distinct = draw(st.lists(PROFILES, min_size=1, max_size=40))
    size = draw(st.one_of(st.sampled_from([1, 63, 64, 65, 128, 129]), st.integers(1, 200)))
    return [distinct[number % len(distinct)] for number in range(size)]


# No shrinking: the assertion names the failing profile, and shrinking long batches is slow.
@settings(max_examples=100, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate])
@given(batches())
def test_fired_many_agrees_with_oracle(batch: list[dict[str, Any]]) -> None:
    # fired_many puts up to 64 profiles into one durable session (the what-if path); the batches
    # run past that, and repeat profiles within a session.
    answers: dict[int, tuple[dict[str, Any], frozenset[str]]] = {}  # by id(): the batch repeats dicts
    for data in batch:
        if id(data) not in answers:
            known = validate_profile(data).known()
            answers[id(data)] = known, oracle.fired_rules(ADVISOR.rulebook, known)
    results = ADVISOR.engine.fired_many([answers[id(data)][0] for data in batch])
    assert len(results) == len(batch)
    for number, (engine, data) in enumerate(zip(results, batch, strict=False)):
        values, expected = answers[id(data)]
        assert engine == expected, f"profile {number} of {len(batch)} ({values}): " + _difference(engine, expected)


def test_engine_agrees_with_oracle_on_every_rule_case() -> None:
    """The rules' own test cases are hand-picked boundaries; check the whole fired set on each."""
    checked = 0
    for rule in ADVISOR.rulebook.rules.values():
        for case in rule.cases:
            known = validate_profile(case.profile).known()
            engine = ADVISOR.fired_rules(known)
            expected = oracle.fired_rules(ADVISOR.rulebook, known)
            assert engine == expected, f"{rule.id} case {case.name} {known}: " + _difference(engine, expected)
            checked += 1
    assert checked >= len(ADVISOR.rulebook.rules)


# json.dumps writes floats below 1e-4 and from 1e16 in exponent notation ("1e-05", "1e+16"), which
# durable-rules 2.0.28 refuses (error 204); infinity it refuses too (error 202).
NUMBER_FORMS = [
    0.0,
    0.0001,
    1e-05,
    2.5e-05,
    1e-07,
    5e-324,
    0.01,
    12345.67,
    9999999.995,
    9999999999999.99,
    1e13,
    999999999999999.9,
    1e15,
    1e16,
    2e16,
    1.5e16,
    1e20,
    sys.float_info.max,
    math.inf,
]


def test_engine_takes_every_valid_funding_amount() -> None:
    """Every amount the Profile accepts gets the oracle's answer, whatever form json gives the number."""
    failures = {}
    checked = 0
    for amount in NUMBER_FORMS:
        data = {"funding_cny": amount, "duration_months": 48, "existing_result": True}
        try:
            known = validate_profile(data).known()
        except ProfileError:
            continue  # rejecting the amount up front is as good as answering it
        checked += 1
        expected = oracle.fired_rules(ADVISOR.rulebook, known)
        try:
            engine = ADVISOR.fired_rules(known)
        except EngineError as error:
            failures[amount] = str(error)
            continue
        if engine != expected:
            failures[amount] = _difference(engine, expected)
    assert failures == {}
    assert checked >= 5, "the profile rejected nearly every amount, so this checked nothing"


def test_profile_strategies_exercise_the_rules() -> None:
    """The generated profiles make the rules fire and stay silent (else the differential tests are blind)."""
    rules = set(ADVISOR.rulebook.rules)
    coverage: dict[str, tuple[set[str], set[str]]] = {}
    answered: list[int] = []

    for label, strategy in (("random", PROFILES), ("near cases", NEAR_CASES)):
        fired_somewhere: set[str] = set()
        silent_somewhere: set[str] = set()
        coverage[label] = (fired_somewhere, silent_somewhere)

        @settings(max_examples=600, deadline=None, derandomize=True, database=None)
        @given(strategy)
        def sample(data: dict[str, Any]) -> None:
            ids = oracle.fired_rules(ADVISOR.rulebook, validate_profile(data).known())
            fired_somewhere.update(ids)  # noqa: B023 (sample() runs inside this iteration)
            silent_somewhere.update(rules - ids)  # noqa: B023
            if strategy is PROFILES:  # noqa: B023
                answered.append(len(data))

        sample()

    # Each strategy alone may miss a few rules (independent answers rarely meet four conditions);
    # together they should leave next to none untested either way.
    fired = coverage["random"][0] | coverage["near cases"][0]
    silent = coverage["random"][1] | coverage["near cases"][1]
    assert len(fired) >= 0.95 * len(rules), f"no generated profile fires {sorted(rules - fired)}"
    assert len(silent) >= 0.95 * len(rules), f"every generated profile fires {sorted(rules - silent)}"
    share = sum(answered) / (len(answered) * len(ATTRIBUTES))
    assert 0.45 < share < 0.75, f"attributes answered {share:.0%} of the time, not ~60%"


# -- a tiny hand-written pack ------------------------------------------------------------------

# Each operator plain and under `not`, then nested all/any/not. Attributes: enterprise_size
# (choice), duration_months (integer), funding_cny (number), sector (choice), research_stages and
# government_roles (lists), existing_result (boolean).
HAND_CONDITIONS = {
    "OP001": "{attr: enterprise_size, eq: large}",
    "OP002": "{not: {attr: enterprise_size, eq: large}}",
    "OP003": "{attr: enterprise_size, ne: large}",
    "OP004": "{not: {attr: enterprise_size, ne: large}}",
    "OP005": "{attr: duration_months, gt: 24}",
    "OP006": "{not: {attr: duration_months, gt: 24}}",
    "OP007": "{attr: duration_months, gte: 24}",
    "OP008": "{not: {attr: duration_months, gte: 24}}",
    "OP009": "{attr: funding_cny, lt: 1000}",
    "OP010": "{not: {attr: funding_cny, lt: 1000}}",
    "OP011": "{attr: funding_cny, lte: 1000}",
    "OP012": "{not: {attr: funding_cny, lte: 1000}}",
    "OP013": "{attr: sector, in: [solar, wind_power]}",
    "OP014": "{not: {attr: sector, in: [solar, wind_power]}}",
    "OP015": "{attr: research_stages, contains: pilot}",
    "OP016": "{not: {attr: research_stages, contains: pilot}}",
    "OP017": "{attr: government_roles, known: true}",
    "OP018": "{not: {attr: government_roles, known: true}}",
    "OP019": "{attr: government_roles, known: false}",
    "OP020": "{not: {attr: government_roles, known: false}}",
    "OP021": "{attr: existing_result, eq: false}",
    "OP022": "{not: {attr: existing_result, eq: false}}",
    "OP023": "{attr: duration_months, eq: 24}",
    "OP024": "{attr: funding_cny, eq: 1000}",
    "OP025": "{attr: enterprise_size, in: [small]}",
    "OP026": "{not: {attr: enterprise_size, in: [small]}}",
    # duration >= 24 and (sector solar or (stages known and no fundamental)) and
    # (size known, not small) and (existing_result known, not false)
    "NS001": """
        all:
          - {attr: duration_months, gte: 24}
          - any:
              - {attr: sector, in: [solar]}
              - not: {attr: research_stages, contains: fundamental}
          - not:
              any:
                - {attr: enterprise_size, eq: small}
                - {attr: existing_result, eq: false}""",
    # (existing_result known, not true) or (stages known, no pilot)
    "NS002": "{not: {all: [{attr: existing_result, eq: true}, {attr: research_stages, contains: pilot}]}}",
    # double negation: size is large
    "NS003": "{not: {not: {attr: enterprise_size, eq: large}}}",
    # funding known and <= 5000
    "NS004": "{not: {any: [{attr: funding_cny, known: false}, {attr: funding_cny, gt: 5000}]}}",
    # (roles known, no funder) or (duration < 12 and sector known, not other)
    "NS005": """
        any:
          - not: {attr: government_roles, contains: funder}
          - all:
              - {attr: duration_months, lt: 12}
              - not: {attr: sector, eq: other}""",
    # roles unknown, or mediator among roles, or size medium/small
    "NS006": """
        not:
          all:
            - {attr: government_roles, known: true}
            - not:
                any:
                  - {attr: government_roles, contains: mediator}
                  - {attr: enterprise_size, in: [medium, small]}""",
}

# The rules that fire on each profile, worked out by hand from the semantics (not by running code).
HAND_CASES: dict[str, tuple[dict[str, Any], set[str]]] = {
    "nothing_known": ({}, {"OP018", "OP019", "NS006"}),
    "only_short_duration": ({"duration_months": 3}, {"OP006", "OP008", "OP018", "OP019", "NS006"}),
    "at_the_thresholds": (
        {
            "enterprise_size": "large",
            "duration_months": 24,
            "funding_cny": 1000,
            "sector": "solar",
            "research_stages": ["pilot", "production"],
            "government_roles": [],
            "existing_result": True,
        },
        {
            "OP001",
            "OP004",
            "OP006",
            "OP007",
            "OP010",
            "OP011",
            "OP013",
            "OP015",
            "OP017",
            "OP020",
            "OP022",
            "OP023",
            "OP024",
            "OP026",
            "NS001",
            "NS003",
            "NS004",
            "NS005",
        },
    ),
    "just_past_the_thresholds_empty_stages": (
        {
            "enterprise_size": "small",
            "duration_months": 25,
            "funding_cny": 999.5,
            "sector": "other",
            "research_stages": [],
            "existing_result": False,
        },
        {
            "OP002",
            "OP003",
            "OP005",
            "OP007",
            "OP009",
            "OP011",
            "OP014",
            "OP016",
            "OP018",
            "OP019",
            "OP021",
            "OP025",
            "NS002",
            "NS004",
            "NS006",
        },
    ),
    "size_and_result_unknown": (
        {
            "duration_months": 23,
            "funding_cny": 1000.5,
            "research_stages": ["fundamental"],
            "government_roles": ["funder", "mediator"],
            "sector": "wind_power",
        },
        {"OP006", "OP008", "OP010", "OP012", "OP013", "OP016", "OP017", "OP020", "NS002", "NS004", "NS006"},
    ),
    "zero_funding_medium_enterprise": (
        {
            "duration_months": 6,
            "sector": "agriculture",
            "government_roles": ["policy"],
            "enterprise_size": "medium",
            "funding_cny": 0,
            "existing_result": True,
            "research_stages": ["fundamental", "applied"],
        },
        {
            "OP002",
            "OP003",
            "OP006",
            "OP008",
            "OP009",
            "OP011",
            "OP014",
            "OP016",
            "OP017",
            "OP020",
            "OP022",
            "OP026",
            "NS002",
            "NS004",
            "NS005",
            "NS006",
        },
    ),
    "nested_second_branches": (
        {
            "duration_months": 30,
            "research_stages": ["applied"],
            "enterprise_size": "none",
            "existing_result": True,
            "funding_cny": 5000.0,
            "sector": "other",
        },
        {
            "OP002",
            "OP003",
            "OP005",
            "OP007",
            "OP010",
            "OP012",
            "OP014",
            "OP016",
            "OP018",
            "OP019",
            "OP022",
            "OP026",
            "NS001",
            "NS002",
            "NS004",
            "NS006",
        },
    ),
    "short_funded_solar": (
        {"duration_months": 3, "sector": "solar", "funding_cny": 5000.5, "government_roles": ["funder"]},
        {"OP006", "OP008", "OP010", "OP012", "OP013", "OP017", "OP020", "NS005"},
    ),
}


def _write_hand_pack(directory: Path) -> None:
    (directory / "pack.yml").write_text("name: hand-written\nversion: '0.1'\n", encoding="utf-8")
    lines = ["rules:"]
    for rule_id, condition in HAND_CONDITIONS.items():
        lines += [
            f"  - id: {rule_id}",
            f"    name: hand.{rule_id.lower()}",
            "    when:"
            + (textwrap.indent(textwrap.dedent(condition), " " * 6) if "\n" in condition else f" {condition}"),
            "    effect: {supports: technology_transfer, weight: 1}",
            "    message: hand-written",
            "    rationale: hand-written",
            "    cites: [technology_transfer]",
        ]
    (directory / "hand.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_hand_written_conditions(tmp_path: Path) -> None:
    _write_hand_pack(tmp_path)
    rulebook = load_rulebook(tmp_path)
    assert set(rulebook.rules) == set(HAND_CONDITIONS)
    engine = RuleEngine(rulebook)
    every_rule_seen_both_ways = {rule_id: set() for rule_id in HAND_CONDITIONS}
    for name, (data, expected) in HAND_CASES.items():
        known = validate_profile(data).known()
        assert oracle.fired_rules(rulebook, known) == expected, f"oracle on {name}"
        assert engine.fired(known) == expected, f"engine on {name}"
        for rule_id in HAND_CONDITIONS:
            every_rule_seen_both_ways[rule_id].add(rule_id in expected)
    # The same profiles through the batched path, twice over so one session holds duplicates.
    knowns = [validate_profile(data).known() for data, _ in HAND_CASES.values()] * 2
    assert engine.fired_many(knowns) == [frozenset(expected) for _, expected in HAND_CASES.values()] * 2
    # The hand cases are only worth something if every rule both fires and stays silent somewhere.
    assert {rule_id for rule_id, seen in every_rule_seen_both_ways.items() if seen != {True, False}} == set()
