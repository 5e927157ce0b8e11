"""Shared fixtures: the shipped advisor is built once per test session."""

from __future__ import annotations

import pytest

from advisor.core import default_advisor


@pytest.fixture(scope="session")
def shipped():
    """The advisor over the shipped rule pack and knowledge base (thread-safe, shared)."""
    return default_advisor()
