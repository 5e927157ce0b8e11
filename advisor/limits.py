"""Bounded reading: the size, nesting and number limits every profile file and batch input obeys.

A profile or proposal is a few hundred bytes, two levels deep, with numbers of a dozen digits. A
document far beyond that (`/dev/zero`, a 5,000-digit integer, JSON nested 100,000 deep) is
refused with a message that names the limit, before it can exhaust memory or Python's stack.
`advisor/profile_files.py` and `advisor/batch_io.py` read through these functions.

NOTE: imports only the standard library (yaml, and values for an error's wording, inside the functions that need them).
"""

from __future__ import annotations

import json
import re
from typing import IO, Any

#: A profile file (JSON or YAML) is read up to this many bytes.
MAX_PROFILE_BYTES = 1 << 20
#: A line of a CSV or JSON Lines input, or one element of a JSON array, up to this many characters.
MAX_LINE_CHARS = 1 << 20
#: Lists and mappings nested in one another, the document itself counting as level 1.
MAX_DEPTH = 32
#: Digits of an integer (Python itself stops at 4,300).
MAX_INT_DIGITS = 100
#: Characters of one attribute's value in a batch cell (the longest list of choices is far shorter).
MAX_CELL_CHARS = 1000
#: Values in a YAML profile (a profile holds a few dozen), counted as it is parsed and again with
#: every alias (*name) counted as the copy it stands for (600 bytes of aliases of aliases can stand
#: for 387 million values). NOTE: PyYAML's Python parser takes about 20 us a value: 1 MiB of
#: one-character items took 15-25 s before the count stopped it here.
MAX_PROFILE_VALUES = 10_000
#: The same for one file of a rule pack or knowledge base (20,000 rules are about 10^6 values).
MAX_PACK_VALUES = 10_000_000
#: One file of a rule pack or knowledge base, in bytes (a pack of 20,000 rules in one file is about
#: 13 MB; one rule with an `in:` list of 100,000 values about 1.7 MB).
MAX_PACK_FILE_BYTES = 64 << 20


class LimitExceeded(ValueError):
    """A document over one of the limits; the message names the limit."""


def bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise LimitExceeded(
            f"a number has {len(text.lstrip('-')):,} digits, over the limit of {MAX_INT_DIGITS} ({text[:12]}...)"
        )
    return int(text)


def unique_keys(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """A JSON object whose keys are all different; a key given twice is refused, naming it (json
    would keep the last value and drop the first without a word)."""
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[Any] = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise LimitExceeded(f"the key {printable_key(repeated)} appears twice; give each key once")
    return found


def printable_key(key: Any) -> str:
    """A key quoted as a message quotes it: in quotes, with values.printable's escapes (\u0001;
    imported only on this error); a key that is not text (YAML's 1) as Python writes it."""
    if not isinstance(key, str):
        return repr(key)
    from .values import printable

    return f"'{printable(key)}'"


_DECODER = json.JSONDecoder(parse_int=bounded_int, object_pairs_hook=unique_keys)


def too_deep_message() -> str:
    return f"lists and objects nest deeper than the limit of {MAX_DEPTH} levels"


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Raises LimitExceeded when lists and mappings nest deeper than `limit` (the value is level 1)."""
    # NOTE: iterative, so a value that Python could build is never too deep to check.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise LimitExceeded(too_deep_message())
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def check_expansion(value: Any, limit: int) -> None:
    """Raises LimitExceeded when the lists and mappings of `value` hold more than `limit` values
    counting every shared one (a YAML alias) as often as it appears, or when one holds itself.

    NOTE: each distinct list or mapping is sized once (by id), so this takes time in what the
    document holds, not in what its aliases stand for."""
    if not isinstance(value, (dict, list)):
        return  # an empty document (None) or one scalar: nothing to expand (it was a TypeError)
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, children_done = stack.pop()
        key = id(item)
        children = list(item.values()) if isinstance(item, dict) else item
        if children_done:
            open_ids.discard(key)
            size = len(children) + sum(sizes.get(id(child), 0) for child in children if isinstance(child, (dict, list)))
            if size > limit:
                raise LimitExceeded(
                    f"the document stands for more than {limit:,} values once its aliases (*name) are expanded"
                )
            sizes[key] = size
            continue
        if key in sizes:
            continue
        open_ids.add(key)
        stack.append((item, True))
        for child in children:
            if isinstance(child, (dict, list)):
                if id(child) in open_ids:
                    raise LimitExceeded("an alias (*name) refers to the list or mapping that holds it")
                if id(child) not in sizes:
                    stack.append((child, False))


def loads_json(text: str) -> Any:
    """json.loads within the limits: raises json.JSONDecodeError for malformed text and
    LimitExceeded for a too-long integer or too-deep nesting."""
    value, end = raw_decode_json(text, 0)
    end = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


_WHITESPACE = re.compile(r"[ \t\n\r]*")


def raw_decode_json(text: str, position: int) -> tuple[Any, int]:
    """One JSON value from `text` at `position` within the limits, and where it ends."""
    try:
        value, end = _DECODER.raw_decode(text, _WHITESPACE.match(text, position).end())  # type: ignore[union-attr]
    except RecursionError:
        raise LimitExceeded(too_deep_message()) from None
    if isinstance(value, (dict, list)):
        check_depth(value)
    return value, end


def read_bounded(stream: IO[bytes], limit: int, name: str, what: str) -> bytes:
    """All of a binary stream, or LimitExceeded once it passes `limit` bytes (read in bounded memory)."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise LimitExceeded(f"{name}: {what} is larger than the limit of {limit:,} bytes")
    return data


def check_yaml(text: str) -> None:
    """Raises LimitExceeded when a YAML document nests deeper than MAX_DEPTH, holds more than
    MAX_PROFILE_VALUES values or an integer of more than MAX_INT_DIGITS digits; yaml.YAMLError
    when it is malformed.

    NOTE: PyYAML's parser is iterative but its composer is recursive: the events are checked
    first, so a deep document is refused before the composer can overflow the stack.
    """
    import yaml

    depth = 0
    values = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.NodeEvent):
            values += 1
            if values > MAX_PROFILE_VALUES:
                raise LimitExceeded(
                    f"the document holds more than {MAX_PROFILE_VALUES:,} values; a profile holds a few dozen"
                )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise LimitExceeded(too_deep_message())
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and event.implicit[0]:
            digits = event.value.lstrip("+-").replace("_", "")
            if len(digits) > MAX_INT_DIGITS and digits.isdigit():
                raise LimitExceeded(
                    f"a number has {len(digits):,} digits, over the limit of {MAX_INT_DIGITS} ({event.value[:12]}...)"
                )


#: Characters before which a YAML value can begin (with the document's own): every value but the
#: document is written after one of them, and one of them begins at most two (a key and its value).
_VALUE_MARKS = ",\n[{:-?"


def check_yaml_values(text: str, limit: int) -> None:
    """Raises LimitExceeded when a YAML document holds more than `limit` values (each scalar, list,
    mapping and alias once), counted as it is parsed, before any is built; yaml.YAMLError when
    counting finds it malformed.

    NOTE: PyYAML builds about 400 bytes of objects for each value before check_expansion can look
    at them (12 million one-character items, a 48 MB file: 4.7 GB). Counting costs about 1 us a
    value in libyaml, so it is done only when the characters that can begin a value say that the
    document might hold more than `limit`: never for a pack of 20,000 ordinary rules.
    """
    if 2 * (sum(text.count(mark) for mark in _VALUE_MARKS) + 1) <= limit:
        return
    import yaml

    count = 0
    for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(event, yaml.NodeEvent):
            count += 1
            if count > limit:
                raise LimitExceeded(f"the file holds more than {limit:,} values (scalars, lists and mappings)")
