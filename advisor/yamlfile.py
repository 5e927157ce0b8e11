"""Reading YAML data files with errors that name the file and line instead of a traceback.

Every file of a rule pack or knowledge base is read within the limits of advisor/limits.py: a
regular file (a named pipe among the rules would wait for a writer forever, /dev/zero fill the
memory), of at most MAX_PACK_FILE_BYTES, in UTF-8, holding at most MAX_PACK_VALUES values.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import PackProblem, RulePackError
from .limits import MAX_PACK_FILE_BYTES, MAX_PACK_VALUES, LimitExceeded, check_expansion, check_yaml_values

_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check_timestamp(loader: Any, node: yaml.Node) -> None:
    """A ConstructorError (at the value) when a value tagged !!timestamp is not a date or time:
    PyYAML's own constructor fails on it with an AttributeError, read as a bug."""
    if isinstance(node, yaml.ScalarNode) and loader.timestamp_regexp.match(node.value) is None:
        raise yaml.constructor.ConstructorError(
            None, None, f"the value {node.value!r} is tagged !!timestamp but is not a date or time", node.start_mark
        )


class _PackLoader(_SAFE_LOADER):  # type: ignore[misc]
    """The safe loader, with a message (at the value) for a value tagged !!bool or !!timestamp
    that is neither: PyYAML's own constructors fail on them with a KeyError or AttributeError."""

    def construct_yaml_bool(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode) and str(node.value).lower() not in self.bool_values:
            raise yaml.constructor.ConstructorError(
                None, None, f"the value {node.value!r} is tagged !!bool but is not true or false", node.start_mark
            )
        return super().construct_yaml_bool(node)

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        check_timestamp(self, node)
        return super().construct_yaml_timestamp(node)


_PackLoader.add_constructor("tag:yaml.org,2002:bool", _PackLoader.construct_yaml_bool)
_PackLoader.add_constructor("tag:yaml.org,2002:timestamp", _PackLoader.construct_yaml_timestamp)


def _problem(path: Path, message: str) -> RulePackError:
    return RulePackError([PackProblem(str(path), None, message)])


def read_text(path: Path) -> str:
    """The text of one file of a pack; RulePackError naming the file when it is not a regular file,
    is over MAX_PACK_FILE_BYTES, or is not UTF-8."""
    try:
        # NOTE: O_NONBLOCK so that opening a named pipe returns at once; it is then refused.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise _problem(path, f"cannot read file: {error.strerror or error}") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise _problem(path, f"is a {_kind(mode)}, not a file")
    with os.fdopen(descriptor, "rb") as file:
        try:
            data = file.read(MAX_PACK_FILE_BYTES + 1)
        except OSError as error:
            raise _problem(path, f"cannot read file: {error.strerror or error}") from None
    if len(data) > MAX_PACK_FILE_BYTES:
        size = max(os.stat(path).st_size, len(data))
        raise _problem(
            path,
            f"the file is {size:,} bytes, over the limit of {MAX_PACK_FILE_BYTES:,} for one file of a pack "
            f"(20,000 rules are about 13 MB); split it into several files",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise _problem(
            path, f"not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); save the file as UTF-8"
        ) from None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def read_yaml(path: Path) -> Any:
    text = read_text(path)
    try:
        check_yaml_values(text, MAX_PACK_VALUES)
        # NOTE: libyaml's loader when PyYAML has it: about 10x faster on packs of thousands of rules.
        data = yaml.load(text, Loader=_PackLoader)  # noqa: S506 - a safe loader either way
        check_expansion(data, MAX_PACK_VALUES)
        return data
    except LimitExceeded as error:
        raise _problem(path, str(error)) from None
    except (ValueError, OverflowError) as error:  # NOTE: an integer of over 4,300 digits, a date that is none
        problem = "a number has more than 4,300 digits" if "digits" in str(error) else str(error)
        raise _problem(path, f"malformed YAML: {problem}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise _problem(path, f"malformed YAML{where}: {problem}") from None
