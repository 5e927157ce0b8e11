"""The durable-rules adapter: compiles a rulebook to a durable ruleset and reports which rules fire.

This is the only module that imports durable-rules. It calls the C extension directly (the
calls `durable.engine.Ruleset` makes), because the stock `Host` starts timer threads that call
into the non-thread-safe engine and crash it; see docs/engine.md for every sharp edge avoided.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import string
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import durable_rules_engine as _engine

from .errors import AdvisorError, PackProblem, RulePackError
from .profile import ATTRIBUTES
from .rulebook import MAX_TESTS_PER_RULE, AllOf, AnyOf, AttributeTest, NotOf, Rule, Rulebook

# Every fact carries this marker; every rule requires it. NOTE: the guard keeps rules from
# matching the session's own state fact, which otherwise loops forever (durable-rules #288).
_GUARD = {"$ex": {"pid": 1}}
# NOTE: deleting a session in which no rule ever fired frees uninitialised pointers in 2.0.28.
# Every session therefore starts with a primer fact that this rule, and only this rule, matches;
# the primer stays in the session. (A catch-all rule matching every profile would do the same at
# the price of one more action per profile, about 12% of the evaluation.)
_SESSION_RULE = "__session__"
_PRIMER = {"$ex": {"primer": 1}}
# Result codes of the C engine's assert_fact (durable.engine.Ruleset._handle_result); code 2,
# "already observed", cannot happen here: every fact carries a fresh pid.
_OK, _NOT_HANDLED, _QUEUED = 0, 1, 3
_HANDLED = frozenset({_OK, _NOT_HANDLED, _QUEUED})
# The C calls of the hot path, bound once (each is called about 20 times per profile).
_assert_fact = _engine.assert_fact
_start_action_for_state = _engine.start_action_for_state
_complete_and_start_action = _engine.complete_and_start_action
_retract_fact = _engine.retract_fact

_NEGATED_COMPARISON = {"gt": "$lte", "gte": "$lt", "lt": "$gte", "lte": "$gt"}
_COMPARISON = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}
_ruleset_numbers = itertools.count(1)


class EngineError(AdvisorError):
    """The rule engine failed on an input; carries the engine's own message."""


def flag_name(attribute: str, value: str) -> str:
    """The name of the fact field that says whether list attribute `attribute` holds `value`."""
    return f"{attribute}__{value}"


def _short_keys() -> dict[str, str]:
    # NOTE: the engine copies the whole fact into the message of every rule that fires; one-letter
    # keys ("c", "D") make those copies, and so each fired rule, cheaper. (Membership fields are
    # "_0", "_1", ...; the engine's own are "pid" and "sid".)
    names = []
    for name, spec in ATTRIBUTES.items():
        names.append(name)
        if spec.kind == "list":
            names += [flag_name(name, choice) for choice in spec.choices]
    letters = string.ascii_letters
    return {
        name: letters[index]
        if index < len(letters)
        else letters[index // len(letters) - 1] + letters[index % len(letters)]
        for index, name in enumerate(names)
    }


_KEY = _short_keys()
_NUMBERS = frozenset(name for name, spec in ATTRIBUTES.items() if spec.kind in ("integer", "number"))
_AMOUNTS = frozenset(name for name, spec in ATTRIBUTES.items() if spec.kind == "number")


def _key(name: str) -> str:
    return _KEY.get(name, name)


def to_fact(known: Mapping[str, Any]) -> dict[str, Any]:
    """Encode validated profile values as a durable fact.

    NOTE: list attributes become one boolean flag per allowed value (plus their length), so
    "does not contain" is a plain equality that is true on an empty list and absent when the
    list is unknown; durable's `$iall` is false on an empty list.
    """
    fact: dict[str, Any] = {}
    for name, value in known.items():
        spec = ATTRIBUTES.get(name)
        if spec is not None and spec.kind == "list":
            fact[_key(name)] = len(value)
            for choice in spec.choices:
                fact[_key(flag_name(name, choice))] = int(choice in value)
        elif isinstance(value, float):
            fact[_key(name)] = _plain_number(value)
        else:
            fact[_key(name)] = choice_code(name, value)
    return fact


_CHOICE_CODES = {
    name: {choice: index for index, choice in enumerate(spec.choices)}
    for name, spec in ATTRIBUTES.items()
    if spec.kind == "choice"
}


_BOOLEANS = frozenset(name for name, spec in ATTRIBUTES.items() if spec.kind == "boolean")


def choice_code(attribute: str, value: Any) -> Any:
    """A choice or yes/no as the engine sees it: a choice's position among the attribute's choices,
    1 or 0 for a boolean attribute's true or false.

    NOTE: "university_enterprise" and "false" are copied into the message of every rule that
    fires; 4 and 0 are not. Smaller facts made each fired rule cheaper. Any other value stays as
    it is (and so equals no profile's value, as before).
    """
    codes = _CHOICE_CODES.get(attribute)
    if codes is not None:
        return codes.get(value, value) if isinstance(value, str) else value
    if attribute in _BOOLEANS and isinstance(value, bool):
        return int(value)
    return value


def _plain_number(value: float) -> int | float:
    """A float the engine can read. NOTE: durable-rules rejects JSON numbers in exponent notation
    (error 204), which json.dumps writes below 1e-4 and from 1e16; the profile keeps amounts to
    the cent and below 1e13, so writing whole amounts as integers is all that is left to do."""
    return int(value) if value.is_integer() else value


# NOTE: an `in` list longer than this becomes one set-membership field of the fact, computed in
# Python before asserting, instead of an `$or` of equalities: durable-rules hangs in
# create_ruleset once one test has more than 511 alternatives below it (issue 12, row 13).
INLINE_IN_VALUES = 8


class _Memberships:
    """The set-membership fields of one compiled ruleset: (attribute, values) -> fact key."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, frozenset[Any]], str] = {}
        self.by_attribute: dict[str, list[tuple[str, frozenset[Any]]]] = {}

    def key(self, attribute: str, values: Iterable[Any]) -> str:
        members = frozenset(values)
        found = self.keys.get((attribute, members))
        if found is None:
            found = self.keys[(attribute, members)] = f"_{len(self.keys)}"
            self.by_attribute.setdefault(attribute, []).append((found, members))
        return found


class _FactWriter:
    """Writes facts as JSON text, from cached fragments per attribute and value.

    NOTE: building the fact dict and json.dumps-ing it cost more than the engine's own match;
    choices, booleans, lists and whole months take few values, so their JSON fragments are cached
    (one dict per attribute, so no key tuple is built) and joined. Amounts are written directly.
    """

    def __init__(self, memberships: _Memberships | None = None, fields: Iterable[str] | None = None) -> None:
        self._sets = memberships.by_attribute if memberships is not None else {}
        self._fields = None if fields is None else frozenset(fields)
        self._cached: dict[str, dict[Any, str]] = {name: {} for name in ATTRIBUTES if name not in _AMOUNTS}

    def _fragment(self, name: str, value: Any) -> str:
        # NOTE: only the fields some rule reads are written: the engine parses the fact on assert
        # and retract and copies it into every fired rule's message, so a smaller fact is faster.
        wanted = self._fields
        if name in _NUMBERS:
            number = _plain_number(value) if isinstance(value, float) else value
            text = f',"{_KEY[name]}":{number}' if wanted is None or _KEY[name] in wanted else ""
        else:
            fact = to_fact({name: value})
            if wanted is not None:
                fact = {key: item for key, item in fact.items() if key in wanted}
            text = "," + json.dumps(fact, ensure_ascii=False, separators=(",", ":"))[1:-1] if fact else ""
        for key, members in self._sets.get(name, ()):
            text += f',"{key}":{1 if value in members else 0}'
        return text

    def write(self, known: Mapping[str, Any], pid: int) -> str:
        """The fact without its closing brace: each ruleset adds its own session id."""
        return f'{{"pid":{pid}' + self.fields(known)

    def fields(self, known: Mapping[str, Any]) -> str:
        """The fact's fields for these values, each after a comma (no pid, no braces)."""
        parts: list[str] = []
        append = parts.append
        cached = self._cached
        for name, value in known.items():
            cache = cached.get(name)
            if cache is None:  # an amount: too many values to cache
                append(self._fragment(name, value))
                continue
            key = tuple(value) if value.__class__ is list else value
            text = cache.get(key)
            if text is None:
                text = cache[key] = self._fragment(name, value)
            append(text)
        return "".join(parts)


def _compile_test(test: AttributeTest, negated: bool, memberships: _Memberships) -> dict[str, Any]:
    op, value, attr = test.operator, test.operand, _key(test.attr)
    if op in ("eq", "ne"):
        value = choice_code(test.attr, value)
    elif op == "in" and len(value) <= INLINE_IN_VALUES:
        value = [choice_code(test.attr, item) for item in value]
    if op == "known":
        present = bool(value) != negated
        return {"$ex" if present else "$nex": {attr: 1}}
    if op == "contains":
        return {_key(flag_name(test.attr, value)): int(not negated)}
    if op in _COMPARISON:
        return {(_NEGATED_COMPARISON if negated else _COMPARISON)[op]: {attr: value}}
    if op == "eq" or op == "ne":
        equal = (op == "eq") != negated
        return {attr: value} if equal else {"$neq": {attr: value}}
    if op == "in":
        if len(value) > INLINE_IN_VALUES:
            # Absent when the attribute is unknown, so neither form matches then.
            return {memberships.key(test.attr, value): int(not negated)}
        if negated:
            return (
                {"$and": [{"$neq": {attr: item}} for item in value]} if len(value) > 1 else {"$neq": {attr: value[0]}}
            )
        return {"$or": [{attr: item} for item in value]} if len(value) > 1 else {attr: value[0]}
    raise AssertionError(f"unhandled operator {op}")


def compile_condition(condition: Any, negated: bool = False, memberships: _Memberships | None = None) -> dict[str, Any]:
    """Translate a rule condition to durable's JSON, pushing `not` down to the tests (De Morgan).

    NOTE: a group nested in a group of the same kind is merged into it (`all` in `all`): durable
    allows 32 and/or expressions per rule (error 113), so flatter is safer, and it means the same.
    """
    memberships = memberships if memberships is not None else _Memberships()
    if isinstance(condition, AttributeTest):
        return _compile_test(condition, negated, memberships)
    if isinstance(condition, NotOf):
        return compile_condition(condition.not_, not negated, memberships)
    if isinstance(condition, AllOf):
        parts, joiner = condition.all, ("$or" if negated else "$and")
    elif isinstance(condition, AnyOf):
        parts, joiner = condition.any, ("$and" if negated else "$or")
    else:
        raise AssertionError(f"unhandled condition {condition!r}")
    compiled: list[dict[str, Any]] = []
    for part in parts:
        child = compile_condition(part, negated, memberships)
        compiled.extend(child[joiner] if len(child) == 1 and joiner in child else [child])
    return compiled[0] if len(compiled) == 1 else {joiner: compiled}


def compile_rule(rule: Rule, memberships: _Memberships | None = None) -> dict[str, Any]:
    condition = compile_condition(rule.when, memberships=memberships)
    tests = condition["$and"] if len(condition) == 1 and "$and" in condition else [condition]
    return {"all": [{"m": {"$and": [_GUARD, *tests]}}]}


_SESSION_DEFINITION = {"all": [{"m": _PRIMER}]}


def compile_rulebook(rulebook: Rulebook, rule_ids: Iterable[str] | None = None) -> dict[str, Any]:
    """The durable ruleset definition (JSON-able) for a rulebook, or some of its rules, plus the
    session rule, as one ruleset (RuleEngine splits big packs across several)."""
    chosen = rulebook.rules if rule_ids is None else {rule_id: rulebook.rules[rule_id] for rule_id in rule_ids}
    memberships = _Memberships()
    definition = {rule_id: compile_rule(rule, memberships) for rule_id, rule in chosen.items()}
    definition[_SESSION_RULE] = _SESSION_DEFINITION
    return definition


# -- splitting a pack across rulesets ------------------------------------------------------------

# Limits of one durable-rules 2.0.28 ruleset, measured on this machine (docs/engine.md). Within a
# ruleset, the tests of each rule's `$and` form a chain below the pid guard, and the branches of
# an `$or` fork it, so the rules make a tree of tests; at create_ruleset:
# - more than 511 different tests directly below one test: create_ruleset never returns (and
#   ignores Ctrl-C), or returns error 106;
# - more than 128 `known: false` ($nex) tests below one test: error 107;
# - more than 256 rules ending at one test (identical conditions): error 108;
# and at assert_fact, walking the tree depth first with a stack of 64 entries:
# - more true tests waiting on that stack than 64: error 303, on the profile, at evaluation time.
# NOTE: no test can have more different tests below it than the ruleset holds, so capping the
# different tests per ruleset keeps every one far from the hang; the stack is bounded by
# `_Tree.depth_bound`, an upper bound computed from the tree. The errors at create_ruleset are
# errors, not hangs: should one still happen, that ruleset is split in two and compiled again.
MAX_TESTS_PER_RULESET = 400
MAX_ABSENCE_TESTS_PER_RULESET = 100
MAX_RULES_PER_RULESET = 200
MAX_STACK_PER_RULESET = 56
#: More alternatives (paths through `any`s) than this in one rule is refused.
MAX_PATHS_PER_RULE = 1024
#: More different long `in` lists (set-membership fact fields) than this in one pack is refused:
#: durable-rules reads at most 255 fields per fact (error 302).
MAX_MEMBERSHIP_FIELDS = 150
# The loader caps a rule at MAX_TESTS_PER_RULE tests, so one rule always fits in a ruleset.
assert MAX_TESTS_PER_RULE * INLINE_IN_VALUES < MAX_TESTS_PER_RULESET

# durable-rules reports its failures as bare numbers (durable-rules src/rules/rules.h).
ENGINE_ERRORS = {
    101: "durable-rules ran out of memory",
    102: "durable-rules met a value of an unexpected type",
    104: "durable-rules met an unexpected value",
    106: "too many different tests follow one test (durable-rules allows 511): split the rule or the pack",
    107: "too many 'known: false' tests follow one test (durable-rules allows 128)",
    108: "too many rules share one identical condition (durable-rules allows 256)",
    113: "the condition has too many and/or groups for durable-rules (32 per rule): flatten or split it",
    201: "durable-rules could not read a value of the JSON it was given",
    202: "durable-rules could not read a text or special number (e.g. Infinity, NaN) in the JSON it was given",
    203: "durable-rules could not read a number of the JSON it was given",
    204: "durable-rules could not read the JSON object it was given (e.g. a number in exponent notation, 1e-05)",
    205: "durable-rules could not read a list of the JSON it was given",
    302: "the fact has more fields than durable-rules reads (255)",
    303: "more tests held at once than durable-rules can follow (64)",
}
_LIMIT_ERRORS = frozenset({106, 107, 108, 113})


def engine_error_code(error: BaseException) -> int | None:
    """The number at the end of a durable-rules error message ("..., error code: 106")."""
    match = re.search(r"error code: (\d+)", str(error))
    return int(match.group(1)) if match else None


def explain_engine_error(error: BaseException) -> str:
    """durable-rules' message with what its error code means."""
    code = engine_error_code(error)
    meaning = ENGINE_ERRORS.get(code) if code is not None else None
    return f"{meaning} (durable-rules error {code})" if meaning else str(error)


def _is_group(node: dict[str, Any], joiner: str) -> bool:
    return len(node) == 1 and joiner in node


def _path_count(condition: dict[str, Any]) -> int:
    if _is_group(condition, "$and"):
        return math.prod(_path_count(part) for part in condition["$and"])
    if _is_group(condition, "$or"):
        return sum(_path_count(part) for part in condition["$or"])
    return 1


def _paths(condition: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The chains of tests of a compiled condition: one per combination of `$or` branches."""
    if _is_group(condition, "$and"):
        chains: list[list[dict[str, Any]]] = [[]]
        for part in condition["$and"]:
            chains = [chain + tail for chain in chains for tail in _paths(part)]
        return chains
    if _is_group(condition, "$or"):
        return [chain for part in condition["$or"] for chain in _paths(part)]
    return [[condition]]


def _test_kind(test: dict[str, Any]) -> tuple[str, str]:
    """(fact field, operator) of a compiled test."""
    ((operator, body),) = test.items()
    if operator.startswith("$"):
        ((field, _),) = body.items()
        return field, operator
    return operator, "$eq"


class _Node:
    """A test in the tree of a ruleset's tests, with an upper bound on the stack below it."""

    __slots__ = ("children", "fields", "true_at_once", "deepest", "stack")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        # per fact field: [has an equality, other tests that can hold together, has $nex]
        self.fields: dict[str, list[int]] = {}
        self.true_at_once = 0  # the most children that can hold for one fact
        self.deepest = 0  # the largest `stack` of a child
        self.stack = 0

    def add_child(self, signature: str, test: dict[str, Any]) -> _Node:
        field, operator = _test_kind(test)
        counts = self.fields.setdefault(field, [0, 0, 0])
        before = max(counts[0] + counts[1], counts[2])
        if operator == "$eq":
            counts[0] = 1  # at most one value of a field is equal
        elif operator == "$nex":
            counts[2] = 1  # an absent field makes every other test on it false
        else:
            counts[1] += 1
        self.true_at_once += max(counts[0] + counts[1], counts[2]) - before
        child = self.children[signature] = _Node()
        return child


class _Tree:
    """The tree of tests durable-rules builds for a group of rules, with its limits' measures."""

    def __init__(self) -> None:
        self.root = _Node()  # the pid guard
        self.tests: set[str] = set()
        self.absences = 0
        self.rules = 0

    def add(self, chains: list[list[tuple[str, dict[str, Any]]]]) -> None:
        self.rules += 1
        for chain in chains:
            node, path = self.root, [self.root]
            for signature, test in chain:
                child = node.children.get(signature)
                if child is None:
                    child = node.add_child(signature, test)
                    if signature not in self.tests:
                        self.tests.add(signature)
                        self.absences += signature.startswith('{"$nex"')
                node = child
                path.append(node)
            # NOTE: depth first, a test with k true children leaves k - 1 of them waiting while the
            # first is followed; bounds only grow as rules are added, so update along the chain.
            for index in range(len(path) - 1, -1, -1):
                current = path[index]
                current.stack = max(current.true_at_once, current.true_at_once - 1 + current.deepest)
                if index:
                    parent = path[index - 1]
                    parent.deepest = max(parent.deepest, current.stack)

    def fits(self) -> bool:
        return (
            len(self.tests) <= MAX_TESTS_PER_RULESET
            and self.absences <= MAX_ABSENCE_TESTS_PER_RULESET
            and self.rules <= MAX_RULES_PER_RULESET
            and self.root.stack <= MAX_STACK_PER_RULESET
        )


def _chains(definition: dict[str, Any]) -> list[list[tuple[str, dict[str, Any]]]]:
    tests = definition["all"][0]["m"]["$and"][1:]  # after the pid guard
    return [[(json.dumps(test, sort_keys=True), test) for test in chain] for chain in _paths({"$and": tests})]


def plan_rulesets(definitions: Mapping[str, dict[str, Any]]) -> tuple[list[list[str]], dict[str, str]]:
    """Rule ids grouped into rulesets, in id order, each within durable's limits; and the rules
    that cannot be compiled safely even alone, with the reason."""
    groups: list[list[str]] = []
    refused: dict[str, str] = {}
    tree = _Tree()
    for rule_id in sorted(definitions):
        condition = {"$and": definitions[rule_id]["all"][0]["m"]["$and"][1:]}
        paths = _path_count(condition)
        if paths > MAX_PATHS_PER_RULE:
            refused[rule_id] = (
                f"the condition has {paths:,} alternative paths through its 'any' groups; at most "
                f"{MAX_PATHS_PER_RULE:,} are allowed: split it into several rules"
            )
            continue
        chains = _chains(definitions[rule_id])
        alone = _Tree()
        alone.add(chains)
        if not alone.fits():
            refused[rule_id] = (
                f"the condition can hold {alone.root.stack} tests at once for one profile; durable-rules "
                f"follows at most 64 (error 303): split it into several rules"
            )
            continue
        if groups:
            tree.add(chains)
            if tree.fits():
                groups[-1].append(rule_id)
                continue
        tree = alone
        groups.append([rule_id])
    return groups, refused


def _create(definition: dict[str, Any]) -> int:
    # NOTE: the C extension is untyped; create_ruleset returns the new ruleset's handle, an int.
    handle: int = _engine.create_ruleset(
        f"coop_advisor_{next(_ruleset_numbers)}", json.dumps(definition, ensure_ascii=False)
    )
    return handle


def _fields_read(definitions: Mapping[str, dict[str, Any]]) -> set[str]:
    """Every fact field some rule's test reads."""
    return {
        _test_kind(test)[0]
        for definition in definitions.values()
        for chain in _paths(definition["all"][0]["m"])
        for test in chain
    }


def _create_rulesets(
    rulebook: Rulebook, rule_ids: frozenset[str], memberships: _Memberships
) -> tuple[list[tuple[int, list[str]]], set[str]]:
    """Compile the rules into as few durable rulesets as the engine's limits allow; each handle
    with the ids of its rules, and the fact fields the rules read."""
    definitions = {rule_id: compile_rule(rulebook.rules[rule_id], memberships) for rule_id in sorted(rule_ids)}
    if len(memberships.keys) > MAX_MEMBERSHIP_FIELDS:
        raise RulePackError(
            [
                PackProblem(
                    rulebook.directory,
                    None,
                    f"the rules hold {len(memberships.keys)} different 'in' lists of more than {INLINE_IN_VALUES} "
                    f"values; at most {MAX_MEMBERSHIP_FIELDS} are allowed (durable-rules reads 255 fields per fact)",
                )
            ]
        )
    groups, refused = plan_rulesets(definitions)
    problems = [PackProblem(rulebook.files[rule_id], rule_id, reason) for rule_id, reason in refused.items()]
    handles: list[tuple[int, list[str]]] = []
    pending = groups or [[]]
    while pending:
        group = pending.pop(0)
        definition = {rule_id: definitions[rule_id] for rule_id in group}
        definition[_SESSION_RULE] = _SESSION_DEFINITION
        try:
            handles.append((_create(definition), group))
        except Exception as error:  # the C extension raises bare Exceptions with error codes
            if engine_error_code(error) in _LIMIT_ERRORS and len(group) > 1:
                half = len(group) // 2
                pending[:0] = [group[:half], group[half:]]
                continue
            problems.extend(_culprits(rulebook, group, definitions, error))
    if problems:
        raise RulePackError(problems)
    return handles, _fields_read(definitions)


def _culprits(
    rulebook: Rulebook, group: list[str], definitions: Mapping[str, dict[str, Any]], error: BaseException
) -> list[PackProblem]:
    """The rules of a group durable-rules refuses on their own, each with the reason."""
    culprits = []
    for rule_id in group:
        try:
            _create({rule_id: definitions[rule_id], _SESSION_RULE: _SESSION_DEFINITION})
        except Exception as rule_error:
            reason = explain_engine_error(rule_error)
            culprits.append(PackProblem(rulebook.files[rule_id], rule_id, f"durable-rules rejects the rule: {reason}"))
    if culprits:
        return culprits
    return [PackProblem(rulebook.directory, None, f"durable-rules rejects the pack: {explain_engine_error(error)}")]


class _Session:
    """One durable ruleset and the one session in it that every evaluation uses."""

    def __init__(self, handle: int) -> None:
        self.handle = handle
        self._numbers = itertools.count(1)
        self.start()

    def start(self) -> None:
        """Open a session and fire its primer rule, so that deleting it later is safe."""
        self.sid = str(next(self._numbers))
        self.suffix = f',"sid":"{self.sid}"}}'
        code, state = _engine.assert_fact(self.handle, json.dumps({"primer": 1, "sid": self.sid}))
        if code != _OK:
            raise EngineError(f"durable-rules did not start a session (code {code})")
        started = _engine.start_action_for_state(self.handle, state)
        message = started[1] if started else None
        while message:
            message = _engine.complete_and_start_action(self.handle, state)

    def restart(self) -> None:
        """Drop the session (its facts and pending actions) and continue in a fresh one."""
        old = self.sid
        self.start()
        try:
            _engine.delete_state(self.handle, old)
        except Exception:  # the session is abandoned either way
            pass

    def collect(self, body: str, ids: set[str]) -> None:
        """Assert the fact, add the ids of the rules that fire to `ids`, retract the fact."""
        handle = self.handle
        payload = body + self.suffix
        try:
            code, state = _assert_fact(handle, payload)
        except Exception as error:
            raise EngineError(f"durable-rules refused the profile: {explain_engine_error(error)}") from None
        if code not in _HANDLED:
            raise EngineError(f"durable-rules returned code {code} for the profile")
        try:
            started = _start_action_for_state(handle, state) if code != _NOT_HANDLED else None
            message = started[1] if started else None
            add = ids.add
            while message:
                # NOTE: a message is {"<rule id>":{"m":<fact>}} and rule ids are validated to
                # five characters (two letters, three digits): read the id off the front
                # instead of parsing the fact back.
                add(message[2:7])
                message = _complete_and_start_action(handle, state)
            _retract_fact(handle, payload)
        except BaseException:
            self.restart()
            raise

    def facts(self) -> int:
        return len(json.loads(_engine.get_facts(self.handle, self.sid)))


class RuleEngine:
    """One compiled rulebook in durable-rules. Safe to share between threads.

    An evaluation asserts the profile as a fact (with a fresh `pid`) into the engine's one
    session, collects the ids of the rules whose actions the engine starts, and retracts the
    fact again. NOTE: retracting instead of deleting a session per profile halves the cost:
    creating a session's state is most of the price of an assert. Measured: memory flat and
    results identical over 400,000 profiles (docs/engine.md); the tests compare this path with
    an independent evaluator. Should anything fail mid-way, the session is deleted and a new
    one started, so no half-evaluated fact can leak into the next evaluation.
    A pack too big for one durable ruleset is split across several (`plan_rulesets`); the
    fact is asserted into each and the fired ids are the union.
    NOTE: a lock serialises assert -> collect -> retract: the C engine is not thread-safe and
    holds the GIL anyway, so threads could not run it in parallel.
    """

    def __init__(self, rulebook: Rulebook, rule_ids: Iterable[str] | None = None):
        """Compile the whole rulebook, or only `rule_ids` of it."""
        self.rule_ids = frozenset(rulebook.rules if rule_ids is None else rule_ids)
        memberships = _Memberships()
        handles, fields = _create_rulesets(rulebook, self.rule_ids, memberships)
        self._sessions = [_Session(handle) for handle, _ in handles]
        self._session_of = {
            rule_id: session for session, (_, group) in zip(self._sessions, handles, strict=True) for rule_id in group
        }
        self._lock = threading.Lock()
        self._pids = itertools.count(1)
        self._writer = _FactWriter(memberships, fields)

    @property
    def rulesets(self) -> int:
        """How many durable rulesets the rules were split across (1 unless the pack is big)."""
        return len(self._sessions)

    def fired(self, known: Mapping[str, Any]) -> frozenset[str]:
        """Ids of the rules that fire on one profile's known values."""
        ids: set[str] = set()
        with self._lock:
            body = self._writer.write(known, next(self._pids))
            for session in self._sessions:
                session.collect(body, ids)
        return frozenset(ids)

    def fires(self, known: Mapping[str, Any], rule_id: str) -> bool:
        """Whether one rule fires on a profile's known values.

        NOTE: asserted only into the ruleset holding the rule: `advisor validate` asks this for
        every case of every rule, and asking `fired` (every ruleset) grew with the square of a
        big pack's rules."""
        session = self._session_of[rule_id]
        ids: set[str] = set()
        with self._lock:
            session.collect(self._writer.write(known, next(self._pids)), ids)
        return rule_id in ids

    def fired_with_each(self, known: Mapping[str, Any], attribute: str, values: Iterable[Any]) -> list[frozenset[str]]:
        """`fired` for `known` plus each of `values` for `attribute`, in order.

        NOTE: the what-if's path: the fields of `known` are written once for all the values (the
        order of a fact's fields means nothing to the engine)."""
        if attribute in known:
            return [self.fired({**known, attribute: value}) for value in values]
        results = []
        writer = self._writer
        with self._lock:
            shared = writer.fields(known)
            for value in values:
                ids: set[str] = set()
                body = f'{{"pid":{next(self._pids)}' + shared + writer.fields({attribute: value})
                for session in self._sessions:
                    session.collect(body, ids)
                results.append(frozenset(ids))
        return results

    def fired_many(self, profiles: Iterable[Mapping[str, Any]]) -> list[frozenset[str]]:
        """`fired` for each of several profiles, in order.

        NOTE: asserting profiles together (assert_facts) was tried: with the session kept open it
        is slower than one at a time, because each action message must then be searched for the
        fact it is about.
        """
        # NOTE: `fired` inlined (the batch's hot loop: one call per row); the lock is still taken
        # per profile, so an advice on another thread waits for one evaluation, not for a chunk.
        write, pids, sessions, lock = self._writer.write, self._pids, self._sessions, self._lock
        results = []
        for known in profiles:
            ids: set[str] = set()
            with lock:
                body = write(known, next(pids))
                for session in sessions:
                    session.collect(body, ids)
            results.append(frozenset(ids))
        return results

    def session_facts(self) -> int:
        """How many facts the engine's sessions hold: 1 (the primer) each between evaluations."""
        with self._lock:
            return max(session.facts() for session in self._sessions)
