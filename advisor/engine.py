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
from .rulebook import AllOf, AnyOf, NotOf, Rule, Rulebook, AttributeTest

# Every fact carries this marker; every rule requires it. NOTE: the guard keeps rules from
# matching the session's own state fact, which otherwise loops forever (durable-rules #288).
_GUARD = {"$ex": {"pid": 1}}
# NOTE: a catch-all rule makes some action run for every fact. Deleting a session in which no
# rule fired frees uninitialised pointers in 2.0.28, and a fact no rule matches raises.
_CATCH_ALL = "__catch_all__"
# Result codes of the C engine's assert_fact (durable.engine.Ruleset._handle_result).
_OK, _NOT_HANDLED, _OBSERVED, _QUEUED = 0, 1, 2, 3

_NEGATED_COMPARISON = {"gt": "$lte", "gte": "$lt", "lt": "$gte", "lte": "$gt"}
_COMPARISON = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}
_ruleset_numbers = itertools.count(1)
# Facts per session in fired_many; small enough that fact-hash collisions (#376) stay remote.
_BATCH = 64
_PID_KEY = '"pid": '
_PID_LEN = len(_PID_KEY)
_PID_OFFSET = len('":{"m":{"pid": ')


class EngineError(AdvisorError):
    """The rule engine failed on an input; carries the engine's own message."""


def flag_name(attribute: str, value: str) -> str:
    """The fact key that says whether list attribute `attribute` holds `value`."""
    return f"{attribute}__{value}"


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
            fact[name] = len(value)
            for choice in spec.choices:
                fact[flag_name(name, choice)] = choice in value
        elif isinstance(value, float):
            fact[name] = _plain_number(value)
        else:
            fact[name] = value
    return fact


def _plain_number(value: float) -> int | float:
    """A float the engine can read. NOTE: durable-rules rejects JSON numbers in exponent notation
    (error 204), which json.dumps writes below 1e-4 and from 1e16; the profile keeps amounts to
    the cent and below 1e13, so writing whole amounts as integers is all that is left to do."""
    return int(value) if value.is_integer() else value


def _compile_test(test: AttributeTest, negated: bool) -> dict[str, Any]:
    op, value, attr = test.operator, test.operand, test.attr
    if op == "known":
        present = bool(value) != negated
        return {"$ex" if present else "$nex": {attr: 1}}
    if op == "contains":
        return {flag_name(attr, value): not negated}
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
    """The durable ruleset definition (JSON-able) for a rulebook, or some of its rules, plus the catch-all."""
    chosen = rulebook.rules if rule_ids is None else {rule_id: rulebook.rules[rule_id] for rule_id in rule_ids}
    definition = {rule_id: compile_rule(rule) for rule_id, rule in chosen.items()}
    definition[_CATCH_ALL] = {"all": [{"m": _GUARD}]}
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
            single = {rule_id: compile_rule(rule), _CATCH_ALL: {"all": [{"m": _GUARD}]}}
            try:
                _engine.create_ruleset(f"{name}_probe_{rule_id}", json.dumps(single, ensure_ascii=False))
            except Exception as rule_error:
                culprits.append(PackProblem(rulebook.files[rule_id], rule_id, f"durable-rules rejects the rule: {rule_error}"))
        raise RulePackError(culprits or [PackProblem(rulebook.directory, None, f"durable-rules rejects the pack: {error}")]) from None


class RuleEngine:
    """One compiled rulebook in durable-rules. Safe to share between threads.

    Each evaluation asserts the profile as one fact in a session of its own, collects the ids
    of the rules whose actions the engine starts, and deletes the session in a `finally`.
    NOTE: a lock serialises assert -> collect -> delete: the C engine is not thread-safe and
    holds the GIL anyway, so threads could not run it in parallel.
    """

    def __init__(self, rulebook: Rulebook, rule_ids: Iterable[str] | None = None):
        """Compile the whole rulebook, or only `rule_ids` of it."""
        self.rule_ids = frozenset(rulebook.rules if rule_ids is None else rule_ids)
        self._handle = _create_ruleset(rulebook, self.rule_ids)
        self._lock = threading.Lock()
        self._sessions = itertools.count(1)

    def fired(self, known: Mapping[str, Any]) -> frozenset[str]:
        """Ids of the rules that fire on one profile's known values."""
        with self._lock:
            return self._evaluate(to_fact(known))

    def fired_many(self, profiles: Iterable[Mapping[str, Any]]) -> list[frozenset[str]]:
        """`fired` for several profiles at once (the what-if's variants of one proposal).

        NOTE: the profiles go into one session, at most _BATCH at a time, as facts told apart by
        their `pid`: that halves the cost per profile. Each rule matches a single fact, so facts
        in one session cannot combine; the tests check this path against `fired` profile by profile.
        """
        facts = []
        for number, known in enumerate(profiles, start=1):
            fact = {"pid": number}  # first key: the engine echoes facts in key order
            fact.update(to_fact(known))
            facts.append(fact)
        results: list[frozenset[str]] = []
        with self._lock:
            for start in range(0, len(facts), _BATCH):
                results += self._evaluate_batch(facts[start : start + _BATCH], start + 1)
        return results

    def _evaluate_batch(self, facts: list[dict[str, Any]], first_pid: int) -> list[frozenset[str]]:
        sid = str(next(self._sessions))
        for fact in facts:
            fact["sid"] = sid
        try:
            code, state = _engine.assert_facts(self._handle, json.dumps(facts, ensure_ascii=False))
        except Exception as error:
            raise EngineError(f"durable-rules refused the profiles: {error}") from None
        if code not in (_OK, _QUEUED):
            raise EngineError(f"durable-rules returned code {code} for the profiles")
        fired: list[set[str]] = [set() for _ in facts]
        try:
            started = _engine.start_action_for_state(self._handle, state)
            message = started[1] if started else None
            while message:
                end = message.index('"', 2)
                rule_id = message[2:end]
                # Each fact in the message starts with its pid: {"<rule>":{"m":{"pid": 7, ...}}};
                # several frames come as a list: {"<rule>":[{"m":{"pid": 7, ...}}, ...]}.
                if message[end + 2] == "[":
                    position = message.find(_PID_KEY)
                    while position != -1:
                        stop = message.index(",", position)
                        fired[int(message[position + _PID_LEN : stop]) - first_pid].add(rule_id)
                        position = message.find(_PID_KEY, stop)
                else:
                    position = end + _PID_OFFSET
                    stop = message.index(",", position)
                    fired[int(message[position:stop]) - first_pid].add(rule_id)
                message = _engine.complete_and_start_action(self._handle, state)
        finally:
            _engine.delete_state(self._handle, sid)
        return [frozenset(ids - {_CATCH_ALL}) for ids in fired]

    def _evaluate(self, fact: dict[str, Any]) -> frozenset[str]:
        sid = str(next(self._sessions))
        fact["sid"] = sid
        fact["pid"] = 1
        payload = json.dumps(fact, ensure_ascii=False)
        try:
            code, state = _engine.assert_fact(self._handle, payload)
        except Exception as error:
            raise EngineError(f"durable-rules refused the profile: {error}") from None
        if code not in (_OK, _QUEUED):
            # NOTE: no delete_state here: with no rule fired it frees uninitialised memory. The
            # catch-all rule makes this unreachable; the check guards against a broken compile.
            raise EngineError(f"durable-rules returned code {code} for the profile")
        fired: set[str] = set()
        try:
            started = _engine.start_action_for_state(self._handle, state)
            message = started[1] if started else None
            while message:
                # NOTE: the message is {"<rule id>":{"m":<the fact>}}; rule ids are plain ASCII
                # (validated), so the id is read off the front instead of parsing the fact back.
                # A rule with `$or` fires once per true branch; the set keeps one of each.
                fired.add(message[2 : message.index('"', 2)])
                message = _engine.complete_and_start_action(self._handle, state)
        finally:
            _engine.delete_state(self._handle, sid)
        fired.discard(_CATCH_ALL)
        return frozenset(fired)
