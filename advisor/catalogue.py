"""The words a person reads, per language, from data files (advisor/locales/<lang>.yml).

NOTE: YAML catalogues rather than gettext: the texts are short keyed phrases with named
placeholders, read by Python and (as JSON) by the web page alike, and a translator edits one
plain file per language. A third language is a third file.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .texts import FALLBACK, LANGS
from .yamlfile import read_yaml

_LOCALES = Path(__file__).resolve().parent / "locales"


@functools.cache
def catalogue(lang: str) -> Mapping[str, Any]:
    """Every phrase of one language, by section; a phrase missing in `lang` reads in the fallback."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; allowed: {', '.join(LANGS)}")
    fallback = read_yaml(_LOCALES / f"{FALLBACK}.yml") or {}
    if lang == FALLBACK:
        return fallback
    return _merged(fallback, read_yaml(_LOCALES / f"{lang}.yml") or {})


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = _merged(base[key], value)
        else:
            merged[key] = value
    return merged


def words(lang: str, section: str) -> Mapping[str, Any]:
    """The phrases of one section (e.g. "report") in `lang`."""
    return catalogue(lang)[section]
