"""Reading a profile from a JSON or YAML file (or stdin) with messages instead of tracebacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError


def parse_profile_text(text: str, name: str, fmt: str | None = None) -> dict[str, Any]:
    """Parse one profile document; `fmt` is 'json', 'yaml' or None (JSON first, then YAML)."""
    if not text.strip():
        raise InputError(f"{name}: the file is empty; expected a JSON or YAML mapping of profile attributes")
    data: Any
    if fmt == "json" or (fmt is None and text.lstrip().startswith(("{", "["))):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{name}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
    else:
        try:
            data = yaml.safe_load(text)
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
    if path == "-":
        return parse_profile_text(sys.stdin.read(), "<stdin>")
    file = Path(path)
    if not file.exists():
        raise InputError(f"{path}: no such file")
    if file.is_dir():
        raise InputError(f"{path}: is a directory, not a profile file")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
    suffix = file.suffix.lower()
    fmt = "json" if suffix == ".json" else "yaml" if suffix in (".yml", ".yaml") else None
    return parse_profile_text(text, path, fmt)
