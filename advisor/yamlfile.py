"""Reading YAML data files with errors that name the file and line instead of a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import PackProblem, RulePackError
from .limits import MAX_PACK_VALUES, LimitExceeded, check_expansion

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RulePackError([PackProblem(str(path), None, f"cannot read file: {error}")]) from None
    try:
        # NOTE: libyaml's loader when PyYAML has it: about 10x faster on packs of thousands of rules.
        data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader either way
        check_expansion(data, MAX_PACK_VALUES)
        return data
    except LimitExceeded as error:
        raise RulePackError([PackProblem(str(path), None, str(error))]) from None
    except ValueError as error:  # NOTE: PyYAML reading an integer of over 4,300 digits
        problem = "a number has more than 4,300 digits" if "digits" in str(error) else str(error)
        raise RulePackError([PackProblem(str(path), None, f"malformed YAML: {problem}")]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise RulePackError([PackProblem(str(path), None, f"malformed YAML{where}: {problem}")]) from None
