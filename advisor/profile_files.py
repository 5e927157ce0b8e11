"""Reading a profile from a JSON or YAML file (or stdin) with messages instead of tracebacks.

Every document is read within the limits of advisor/limits.py (size, nesting depth, digits of
an integer): a device, a huge or a hostile file gets a message naming the limit, in bounded memory.
"""

from __future__ import annotations

import codecs
import json
import stat
import sys
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError
from .limits import (
    MAX_PROFILE_BYTES,
    MAX_PROFILE_VALUES,
    LimitExceeded,
    check_expansion,
    check_yaml,
    loads_json,
    printable_key,
    read_bounded,
)
from .yamlfile import check_timestamp


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (it would keep the last),
    and reading as text what YAML 1.1 alone would turn into something else: `1:30` (base 60, so
    90) and `yes`/`no`/`on`/`off` (booleans). The text is then read by the vocabulary as every
    surface reads it, and a refusal quotes what was written."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        if ":" in str(node.value):
            return str(node.value)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
        if ":" in str(node.value):
            return str(node.value)
        return super().construct_yaml_float(node)

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> Any:
        if str(node.value).lower() not in ("true", "false"):
            return str(node.value)
        return super().construct_yaml_bool(node)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        check_timestamp(self, node)
        return super().construct_yaml_timestamp(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # `!!map 1`: SafeLoader says what it expected
            return super().construct_mapping(node, deep=deep)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base`, whose keys this mapping may give again
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:  # a key that cannot be a key (a list): SafeLoader says so itself
                break
            if repeated:
                raise LimitExceeded(
                    f"the key {printable_key(key)} appears twice (line {key_node.start_mark.line + 1}); give each key once"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _UniqueKeyLoader.construct_yaml_int)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:float", _UniqueKeyLoader.construct_yaml_float)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:bool", _UniqueKeyLoader.construct_yaml_bool)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _UniqueKeyLoader.construct_yaml_timestamp)


def parse_profile_text(text: str, name: str, fmt: str | None = None) -> dict[str, Any]:
    """Parse one profile document; `fmt` is 'json', 'yaml' or None (JSON first, then YAML)."""
    if not text.strip():
        raise InputError(f"{name}: the file is empty; expected a JSON or YAML mapping of profile attributes")
    data: Any
    if fmt == "json" or (fmt is None and text.lstrip().startswith(("{", "["))):
        try:
            data = loads_json(text)
        except LimitExceeded as error:
            raise InputError(f"{name}: {error}") from None
        except json.JSONDecodeError as error:
            raise InputError(
                f"{name}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
    else:
        try:
            check_yaml(text)
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
            check_expansion(data, MAX_PROFILE_VALUES)
        except LimitExceeded as error:
            raise InputError(f"{name}: {error}") from None
        except (ValueError, OverflowError) as error:  # a date that is none (2024-02-30), a \U escape past U+10FFFF
            raise InputError(f"{name}: malformed YAML: {error}") from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            raise InputError(f"{name}: malformed YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise InputError(
            f'{name}: expected a mapping of profile attributes (e.g. {{"enterprise_size": "large"}}), got {kind}'
        )
    return data


def read_profile(path: str) -> dict[str, Any]:
    """Read a profile from a path, or from stdin when path is '-'."""
    name = "<stdin>" if path == "-" else path
    if path == "-":
        raw = _read_limited(sys.stdin.buffer, name)
    else:
        from .batch_io import missing_file

        file = Path(path)
        if not file.exists():
            raise InputError(missing_file(path))
        if file.is_dir():
            raise InputError(f"{path}: is a directory, not a profile file")
        try:
            mode = file.stat().st_mode
            if stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
                raise InputError(f"{path}: is a device or socket, not a profile file")
            with open(file, "rb") as stream:
                raw = _read_limited(stream, name)
        except OSError as error:
            raise InputError(f"{path}: cannot read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise InputError(
                f"{name}: the file is UTF-16 text (it begins with a UTF-16 byte order mark), not UTF-8; save it as UTF-8"
            ) from None
        raise InputError(f"{name}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    if "\x00" in text:  # NOTE: valid UTF-8, but never in JSON or YAML: UTF-16 without its mark, or binary
        raise InputError(
            f"{name}: not UTF-8 text (a NUL byte at byte {raw.index(0):,}: UTF-16 text, or not text at all); "
            f"save it as UTF-8"
        )
    suffix = Path(path).suffix.lower() if path != "-" else ""
    fmt = "json" if suffix == ".json" else "yaml" if suffix in (".yml", ".yaml") else None
    return parse_profile_text(text, name, fmt)


def _read_limited(stream: Any, name: str) -> bytes:
    try:
        return read_bounded(stream, MAX_PROFILE_BYTES, name, "the profile")
    except LimitExceeded as error:
        raise InputError(f"{error}; a profile is a few hundred bytes of JSON or YAML") from None
