"""Where the shipped rule pack and knowledge base live, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    # NOTE: a wheel carries rules/ and knowledge/ under advisor/_data (pyproject's force-include);
    # a source checkout or editable install has them beside the package.
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def default_rules_dir() -> Path:
    return _data_dir("rules")


def default_knowledge_dir() -> Path:
    return _data_dir("knowledge")
