"""The durable-rules adapter: compiles a rulebook to a durable ruleset and reports which rules fire.

This is the only module that imports durable-rules. It calls the C extension directly (the
calls `durable.engine.Ruleset` makes), because the stock `Host` starts timer threads that call
into the non-thread-safe engine and crash it; see docs/engine.md for every sharp edge avoided.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import durable_rules_engine as _engine

from .errors import AdvisorError, PackProblem, RulePackError
from .profile import ATTRIBUTES
from .rulebook import AllOf, AnyOf, AttributeTest, NotOf, Rule, Rulebook

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

_NEGATED_COMPARISON = {"gt": "$lte", "gte": "$lt", "lt": "$gte", "lte": "$gt"}
_COMPARISON = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}
_ruleset_numbers = itertools.count(1)


class EngineError(AdvisorError):
    """The rule engine failed on an input; carries the engine's own message."""


def flag_name(attribute: str, value: str) -> str:
    """The name of the fact field that says whether list attribute `attribute` holds `value`."""
    return f"{attribute}__{value}"


def _short_keys() -> dict[str, str]:
    # NOTE: the engine copies the whole fact into the message of every rule that fires; short
    # keys ("a3", "a3_1") make those copies, and so each fired rule, about a third cheaper.
    keys = {}
    for number, (name, spec) in enumerate(ATTRIBUTES.items()):
        keys[name] = f"a{number}"
        if spec.kind == "list":
            for index, choice in enumerate(spec.choices):
                keys[flag_name(name, choice)] = f"a{number}_{index}"
    return keys


_KEY = _short_keys()
_NUMBERS = frozenset(name for name, spec in ATTRIBUTES.items() if spec.kind in ("integer", "number"))
_LISTS = frozenset(name for name, spec in ATTRIBUTES.items() if spec.kind == "list")


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
                fact[_key(flag_name(name, choice))] = choice in value
        elif isinstance(value, float):
            fact[_key(name)] = _plain_number(value)
        else:
            fact[_key(name)] = value
    return fact


def _plain_number(value: float) -> int | float:
    """A float the engine can read. NOTE: durable-rules rejects JSON numbers in exponent notation
    (error 204), which json.dumps writes below 1e-4 and from 1e16; the profile keeps amounts to
    the cent and below 1e13, so writing whole amounts as integers is all that is left to do."""
    return int(value) if value.is_integer() else value


class _FactWriter:
    """Writes facts as JSON text, from cached fragments per (attribute, value).

    NOTE: building the fact dict and json.dumps-ing it cost more than the engine's own match;
    choices, booleans and lists take few values, so their JSON fragments are cached and joined.
    """

    def __init__(self) -> None:
        self._fragments: dict[tuple[str, Any], str] = {}

    def write(self, known: Mapping[str, Any], pid: int, sid: str) -> str:
        fragments = self._fragments
        parts = [f'{{"pid": {pid}']
        for name, value in known.items():
            if name in _NUMBERS:
                number = _plain_number(value) if isinstance(value, float) else value
                parts.append(f', "{_KEY[name]}": {number}')
                continue
            key = (name, tuple(value)) if name in _LISTS else (name, value)
            text = fragments.get(key)
            if text is None:
                text = fragments[key] = ", " + json.dumps(to_fact({name: value}), ensure_ascii=False)[1:-1]
            parts.append(text)
        parts.append(f', "sid": "{sid}"}}')
        return "".join(parts)


def _compile_test(test: AttributeTest, negated: bool) -> dict[str, Any]:
    op, value, attr = test.operator, test.operand, _key(test.attr)
    if op == "known":
        present = bool(value) != negated
        return {"$ex" if present else "$nex": {attr: 1}}
    if op == "contains":
        return {_key(flag_name(test.attr, value)): not negated}
    if op in _COMPARISON:
        return {(_NEGATED_COMPARISON if negated else _COMPARISON)[op]: {attr: value}}
    if op == "eq" or op == "ne":
        equal = (op == "eq") != negated
        return {attr: value} if equal else {"$neq": {attr: value}}
    if op == "in":
        if negated:
            return {"$and": [{"$neq": {attr: item}} for item in value]}
        return {"$or": [{attr: item} for item in value]} if len(value) > 1 else {attr: value[0]}
    raise AssertionError(f"unhandled operator {op}")


def compile_condition(condition: Any, negated: bool = False) -> dict[str, Any]:
    """Translate a rule condition to durable's JSON, pushing `not` down to the tests (De Morgan)."""
    if isinstance(condition, AttributeTest):
        return _compile_test(condition, negated)
    if isinstance(condition, NotOf):
        return compile_condition(condition.not_, not negated)
    if isinstance(condition, AllOf):
        parts, joiner = condition.all, ("$or" if negated else "$and")
    elif isinstance(condition, AnyOf):
        parts, joiner = condition.any, ("$and" if negated else "$or")
    else:
        raise AssertionError(f"unhandled condition {condition!r}")
    compiled = [compile_condition(part, negated) for part in parts]
    return compiled[0] if len(compiled) == 1 else {joiner: compiled}


def compile_rule(rule: Rule) -> dict[str, Any]:
    return {"all": [{"m": {"$and": [_GUARD, compile_condition(rule.when)]}}]}


def compile_rulebook(rulebook: Rulebook, rule_ids: Iterable[str] | None = None) -> dict[str, Any]:
    """The durable ruleset definition (JSON-able) for a rulebook, or some of its rules, plus the session rule."""
    chosen = rulebook.rules if rule_ids is None else {rule_id: rulebook.rules[rule_id] for rule_id in rule_ids}
    definition = {rule_id: compile_rule(rule) for rule_id, rule in chosen.items()}
    definition[_SESSION_RULE] = {"all": [{"m": _PRIMER}]}
    return definition


def _create_ruleset(rulebook: Rulebook, rule_ids: frozenset[str]) -> int:
    definition = compile_rulebook(rulebook, sorted(rule_ids))
    name = f"coop_advisor_{next(_ruleset_numbers)}"
    try:
        return _engine.create_ruleset(name, json.dumps(definition, ensure_ascii=False))
    except Exception as error:  # the C extension raises bare Exceptions with error codes
        culprits = []
        for rule_id in sorted(rule_ids):
            rule = rulebook.rules[rule_id]
            single = {rule_id: compile_rule(rule), _SESSION_RULE: {"all": [{"m": _PRIMER}]}}
            try:
                _engine.create_ruleset(f"{name}_probe_{rule_id}", json.dumps(single, ensure_ascii=False))
            except Exception as rule_error:
                culprits.append(
                    PackProblem(rulebook.files[rule_id], rule_id, f"durable-rules rejects the rule: {rule_error}")
                )
        raise RulePackError(
            culprits or [PackProblem(rulebook.directory, None, f"durable-rules rejects the pack: {error}")]
        ) from None


class RuleEngine:
    """One compiled rulebook in durable-rules. Safe to share between threads.

    An evaluation asserts the profile as a fact (with a fresh `pid`) into the engine's one
    session, collects the ids of the rules whose actions the engine starts, and retracts the
    fact again. NOTE: retracting instead of deleting a session per profile halves the cost:
    creating a session's state is most of the price of an assert. Measured: memory flat and
    results identical over 400,000 profiles (docs/engine.md); the tests compare this path with
    an independent evaluator. Should anything fail mid-way, the session is deleted and a new
    one started, so no half-evaluated fact can leak into the next evaluation.
    NOTE: a lock serialises assert -> collect -> retract: the C engine is not thread-safe and
    holds the GIL anyway, so threads could not run it in parallel.
    """

    def __init__(self, rulebook: Rulebook, rule_ids: Iterable[str] | None = None):
        """Compile the whole rulebook, or only `rule_ids` of it."""
        self.rule_ids = frozenset(rulebook.rules if rule_ids is None else rule_ids)
        self._handle = _create_ruleset(rulebook, self.rule_ids)
        self._lock = threading.Lock()
        self._sessions = itertools.count(1)
        self._pids = itertools.count(1)
        self._writer = _FactWriter()
        self._start_session()

    def fired(self, known: Mapping[str, Any]) -> frozenset[str]:
        """Ids of the rules that fire on one profile's known values."""
        handle = self._handle
        ids: set[str] = set()
        with self._lock:
            payload = self._writer.write(known, next(self._pids), self._sid)
            try:
                code, state = _engine.assert_fact(handle, payload)
            except Exception as error:
                raise EngineError(f"durable-rules refused the profile: {error}") from None
            if code not in (_OK, _QUEUED, _NOT_HANDLED):
                raise EngineError(f"durable-rules returned code {code} for the profile")
            try:
                started = _engine.start_action_for_state(handle, state) if code != _NOT_HANDLED else None
                message = started[1] if started else None
                while message:
                    # NOTE: a message is {"<rule id>":{"m":<fact>}} and rule ids are validated to
                    # five characters (two letters, three digits): read the id off the front
                    # instead of parsing the fact back.
                    ids.add(message[2:7])
                    message = _engine.complete_and_start_action(handle, state)
                _engine.retract_fact(handle, payload)
            except BaseException:
                self._new_session()
                raise
        return frozenset(ids)

    def fired_many(self, profiles: Iterable[Mapping[str, Any]]) -> list[frozenset[str]]:
        """`fired` for each of several profiles, in order.

        NOTE: asserting profiles together (assert_facts) was tried: with the session kept open it
        is slower than one at a time, because each action message must then be searched for the
        fact it is about.
        """
        return [self.fired(known) for known in profiles]

    def session_facts(self) -> int:
        """How many facts the engine's session holds: 1 (the primer) between evaluations."""
        with self._lock:
            return len(json.loads(_engine.get_facts(self._handle, self._sid)))

    def _start_session(self) -> None:
        """Open a session and fire its primer rule, so that deleting it later is safe."""
        self._sid = str(next(self._sessions))
        code, state = _engine.assert_fact(self._handle, json.dumps({"primer": 1, "sid": self._sid}))
        if code != _OK:
            raise EngineError(f"durable-rules did not start a session (code {code})")
        started = _engine.start_action_for_state(self._handle, state)
        message = started[1] if started else None
        while message:
            message = _engine.complete_and_start_action(self._handle, state)

    def _new_session(self) -> None:
        """Drop the session (its facts and pending actions) and continue in a fresh one."""
        old = self._sid
        self._start_session()
        try:
            _engine.delete_state(self._handle, old)
        except Exception:  # the session is abandoned either way
            pass
