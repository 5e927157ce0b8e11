"""The rulebook: rules as data records (condition, effect, message, citation, test cases), loaded from rules/."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import PackProblem, RulePackError
from .texts import LocalText
from .yamlfile import read_yaml

Scalar = bool | int | float | str
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "known")
ORDERING_OPERATORS = ("gt", "gte", "lt", "lte")

# Limits that keep every pack loadable in bounded time and memory (docs/engine.md): the loader
# checks them on the raw YAML, before a condition is built, so a condition nested thousands
# deep is refused with this message instead of exhausting the stack.
# NOTE: MAX_RULES is what this 2-core machine loads and validates within about a minute and a few GB:
# 20,000 generated rules took about 12 s of CPU and 2.0-2.4 GB each (benchmarks/bench_pack.py).
MAX_RULES = 20_000
MAX_NESTING = 8
MAX_TESTS_PER_RULE = 40
MAX_IN_VALUES = 100_000


class ValueList(list):  # type: ignore[type-arg]
    """The values of an `in` test: a list that answers `value in ...` from a set.

    NOTE: `in` lists may hold 100,000 values; the what-if and the linter ask membership of
    thousands of candidate answers, which a plain list answers in linear time.
    """

    def __init__(self, values: Any = ()) -> None:
        super().__init__(values)
        self._members = frozenset(self)

    def __contains__(self, value: object) -> bool:
        try:
            return value in self._members
        except TypeError:  # an unhashable value is in no list of scalars
            return False


class Record(BaseModel):
    # NOTE: no NaN or infinity anywhere in a pack: durable-rules cannot read them (error 202) and a
    # scoring policy with an infinite number cannot be turned into scores.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class AttributeTest(Record):
    """A test of one attribute, e.g. {attr: duration_months, gte: 36}. Exactly one operator.

    An unknown (missing) attribute makes every test false except `known: false`, and a test
    under `not` is still false when its attribute is unknown: unknown is never "no".
    """

    attr: str
    eq: Scalar | None = None
    ne: Scalar | None = None
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    in_: list[Scalar] | None = Field(None, alias="in", min_length=1)
    contains: str | None = Field(None, description="A list attribute holds this value.")
    known: bool | None = None

    @field_validator("in_", mode="after")
    @classmethod
    def _fast_membership(cls, values: list[Scalar] | None) -> list[Scalar] | None:
        return None if values is None else ValueList(values)

    @model_validator(mode="after")
    def _one_operator(self) -> AttributeTest:
        used = self.operators()
        if len(used) != 1:
            raise ValueError(
                f"a test of {self.attr!r} needs exactly one operator of {', '.join(OPERATORS)}; got {used or 'none'}"
            )
        return self

    def operators(self) -> list[str]:
        return [op for op in OPERATORS if getattr(self, "in_" if op == "in" else op) is not None]

    # NOTE: cached: the what-if and the linter ask a test for its operator millions of times on
    # big packs, and finding it means looking at all nine operator fields.
    @cached_property
    def operator(self) -> str:
        return self.operators()[0]

    @cached_property
    def operand(self) -> Any:
        return getattr(self, "in_" if self.operator == "in" else self.operator)


class AllOf(Record):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Record):
    any: list[Condition] = Field(min_length=1)


class NotOf(Record):
    not_: Condition = Field(alias="not")


def _condition_kind(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return key
        return "test"
    if isinstance(value, BaseModel):
        return {AllOf: "all", AnyOf: "any", NotOf: "not"}.get(type(value), "test")
    return "test"


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[AttributeTest, Tag("test")],
    Discriminator(_condition_kind),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


def attribute_tests(condition: Any) -> list[AttributeTest]:
    """Every attribute test in a condition, depth first."""
    if isinstance(condition, AttributeTest):
        return [condition]
    if isinstance(condition, NotOf):
        return attribute_tests(condition.not_)
    children = condition.all if isinstance(condition, AllOf) else condition.any
    return [test for child in children for test in attribute_tests(child)]


class Effect(Record):
    """What a firing rule does: support, oppose or exclude a mode, or raise a difficulty."""

    supports: str | None = None
    opposes: str | None = None
    excludes: str | None = None
    raises: str | None = None
    weight: int | None = Field(None, ge=1, le=100)
    severity: Literal["low", "medium", "high"] | None = None

    @model_validator(mode="after")
    def _one_effect(self) -> Effect:
        kinds = [k for k in ("supports", "opposes", "excludes", "raises") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"an effect needs exactly one of supports, opposes, excludes, raises; got {kinds or 'none'}"
            )
        kind = kinds[0]
        if kind in ("supports", "opposes") and self.weight is None:
            raise ValueError(f"a '{kind}' effect needs a weight (1-100)")
        if kind in ("excludes", "raises") and self.weight is not None:
            raise ValueError(f"a '{kind}' effect takes no weight")
        if kind == "raises" and self.severity is None:
            raise ValueError("a 'raises' effect needs a severity (low, medium or high)")
        if kind != "raises" and self.severity is not None:
            raise ValueError(f"a '{kind}' effect takes no severity")
        return self

    @property
    def kind(self) -> Literal["supports", "opposes", "excludes", "raises"]:
        for kind in ("supports", "opposes", "excludes", "raises"):
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError("validated effect has a kind")

    @property
    def target(self) -> str:
        target: str = getattr(self, self.kind)  # the validator above makes the kind's field a str
        return target


class Case(Record):
    """A named test case beside the rule: a minimal profile and whether the rule fires on it."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    profile: dict[str, Any]
    fires: bool


class Rule(Record):
    id: str = Field(pattern=r"^[A-Z]{2}[0-9]{3}$", description="Permanent code: group letters + number; never reused.")
    name: str = Field(
        pattern=r"^[a-z_]+(\.[a-z0-9_]+)+$", description="Dotted human name, e.g. alliance.large_partner."
    )
    when: Condition
    effect: Effect
    message: LocalText = Field(
        description="One sentence about the profile, per language; may use {attribute} placeholders."
    )
    rationale: LocalText = Field(description="Why it matters and where the seed says so, per language.")
    cites: list[str] = Field(min_length=1, description="Ids of the knowledge records the rule rests on.")
    cases: list[Case] = Field(default_factory=list)

    def attributes(self) -> list[str]:
        seen: list[str] = []
        for test in attribute_tests(self.when):
            if test.attr not in seen:
                seen.append(test.attr)
        return seen


class ScoringPolicy(Record):
    """How fired rules become scores, verdicts and a decision; part of the pack so packs can tune it."""

    # NOTE: defaults are given as `default=` so type checkers see each field as optional in ScoringPolicy().
    # NOTE: linear and clamped rather than a sigmoid, so a user can recompute a score by hand
    # from the reasons shown: score = 50 + points_per_weight * (support - opposition).
    points_per_weight: float = Field(default=0.5, gt=0, description="Score points per unit of net rule weight.")
    recommended: float = Field(default=65, description="Score from which a mode is 'recommended'.")
    possible: float = Field(default=45, description="Score from which a mode is 'possible'; below: 'unlikely'.")
    close_call_margin: float = Field(
        default=5, ge=0, description="Leader within this many points of the runner-up: close call."
    )
    min_support: float = Field(
        default=25, ge=0, description="Leader needs at least this much supporting weight to be advised."
    )
    min_answered: int = Field(
        default=3, ge=0, description="Fewer answered attributes than this: insufficient information."
    )


class PackMeta(Record):
    name: str
    version: str
    description: str = ""
    scoring: ScoringPolicy = ScoringPolicy()


class Rulebook(Record):
    meta: PackMeta
    directory: str
    rules: dict[str, Rule]
    files: dict[str, str] = Field(description="Rule id -> the file that defines it.")


PACK_FILE = "pack.yml"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a pack is read and compiled, as it was after.

    NOTE: loading allocates millions of objects and frees almost none, so the collector's full
    passes (each over every object alive) found nothing and grew with the square of the pack: at
    20,000 rules they were half the time of a load (29 -> 14 s CPU, peak memory the same). Safe
    from several threads: whoever found it enabled enables it again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_rulebook(directory: Path | str) -> Rulebook:
    """Load and validate a rule pack directory (pack.yml plus rule files); raise RulePackError on problems."""
    rulebook, problems = read_rulebook(directory)
    if problems or rulebook is None:
        raise RulePackError(problems)
    return rulebook


def read_rulebook(directory: Path | str) -> tuple[Rulebook | None, list[PackProblem]]:
    """Every valid rule of a pack, and every problem found on the way (for the linter).

    Each rule is validated on its own, so one broken rule hides neither the problems nor the
    good rules of the rest of the pack. The rulebook is None only when the directory is missing.
    """
    with gc_paused():
        return _read_rulebook(Path(directory))


def _read_rulebook(directory: Path) -> tuple[Rulebook | None, list[PackProblem]]:
    if not directory.is_dir():
        return None, [PackProblem(str(directory), None, "rules directory does not exist")]
    problems: list[PackProblem] = []
    meta = PackMeta(name="(missing pack.yml)", version="0")
    pack_path = directory / PACK_FILE
    if not pack_path.exists():
        problems.append(
            PackProblem(str(pack_path), None, "missing: every rule pack needs pack.yml with name and version")
        )
    else:
        data = _read_yaml(pack_path, problems)
        try:
            if data is not _UNREADABLE:
                meta = PackMeta.model_validate(data if data is not None else {})
        except ValidationError as error:
            problems.extend(PackProblem.from_validation(str(pack_path), error, data))
    rules: dict[str, Rule] = {}
    files: dict[str, str] = {}
    # NOTE: hidden files (a name that starts with a dot: an editor's lock or swap file) are left out
    rule_paths = sorted(p for p in directory.glob("*.y*ml") if p.name != PACK_FILE and not p.name.startswith("."))
    if not rule_paths:
        problems.append(PackProblem(str(directory), None, "no rule files (*.yml) found"))
    # NOTE: every file is read before any rule is validated, so a pack over the limit is refused
    # after reading its YAML alone: validating and compiling it would take longer than allowed.
    raw_files = [(path, _read_rule_file(path, problems)) for path in rule_paths]
    count = sum(len(raw_rules) for _, raw_rules in raw_files)
    if count > MAX_RULES:
        problems.append(PackProblem(str(directory), None, too_many_rules(count)))
        raw_files = []
    for path, raw_rules in raw_files:
        for rule in _validate_rules(path, raw_rules, problems):
            if rule.id in rules:
                problems.append(
                    PackProblem(str(path), rule.id, f"duplicate rule id (first defined in {files[rule.id]})")
                )
                continue
            rules[rule.id] = rule
            files[rule.id] = str(path)
    return Rulebook(meta=meta, directory=str(directory), rules=rules, files=files), problems


def too_many_rules(count: int) -> str:
    """Why a pack of `count` rules is refused (docs/engine.md measures loading by pack size)."""
    return (
        f"the pack has {count:,} rules; at most {MAX_RULES:,} are allowed, so that loading and validating "
        f"a pack stays within about a minute and a few GB of memory (docs/engine.md)"
    )


def _read_rule_file(path: Path, problems: list[PackProblem]) -> list[dict[str, Any]]:
    """The rules of one file as read (not yet validated); its problems are added to `problems`."""
    data = _read_yaml(path, problems)
    if data is _UNREADABLE:
        return []
    try:
        shape = _FileShape.model_validate(data if data is not None else {})
    except ValidationError as error:
        problems.extend(PackProblem.from_validation(str(path), error, data))
        return []
    return shape.rules


def _validate_rules(path: Path, raw_rules: list[dict[str, Any]], problems: list[PackProblem]) -> list[Rule]:
    """The valid rules of one file; the problems of the others are added to `problems`."""
    rules = []
    for index, raw in enumerate(raw_rules):
        record = str(raw["id"]) if raw.get("id") else f"rules[{index}]"
        too_big = condition_limits(raw.get("when"))
        if too_big:
            problems.extend(PackProblem(str(path), record, f"when: {problem}") for problem in too_big)
            continue
        try:
            rules.append(Rule.model_validate(raw))
        except ValidationError as error:
            problems.extend(PackProblem.from_validation(str(path), error, raw, record))
    return rules


class _FileShape(Record):
    """A rule file before its rules are validated one by one."""

    rules: list[dict[str, Any]] = Field(default_factory=list)


_UNREADABLE = object()


def _read_yaml(path: Path, problems: list[PackProblem]) -> Any:
    """A YAML file's data, or _UNREADABLE with the reason added to `problems`."""
    try:
        return read_yaml(path)
    except RulePackError as error:
        problems.extend(error.problems)
    except RecursionError:
        problems.append(PackProblem(str(path), None, "the YAML is nested too deeply to read"))
    return _UNREADABLE


def condition_limits(when: Any) -> list[str]:
    """What is too big about a raw condition (nesting, tests, `in` values); [] when it is fine.

    NOTE: walked with an explicit stack, before any model is built: a condition nested thousands
    deep must get this message, not a RecursionError.
    """
    problems: list[str] = []
    tests = 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(when, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict):
            continue  # the model reports what is wrong with it
        groups = [key for key in ("all", "any", "not") if key in node]
        if not groups:
            tests += 1
            values = node.get("in")
            if isinstance(values, list) and len(values) > MAX_IN_VALUES:
                problems.append(
                    f"the 'in' list of {node.get('attr')!r} has {len(values):,} values; "
                    f"at most {MAX_IN_VALUES:,} are allowed"
                )
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_NESTING:
            problems.append(f"conditions nest deeper than {MAX_NESTING} levels of all/any/not")
            return problems
        for key in groups:
            children = node[key]
            for child in children if isinstance(children, list) else [children]:
                stack.append((child, depth + 1))
    if tests > MAX_TESTS_PER_RULE:
        problems.append(f"the condition has {tests} attribute tests; at most {MAX_TESTS_PER_RULE} are allowed")
    return problems
