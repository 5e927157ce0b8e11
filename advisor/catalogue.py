"""The words a person reads, per language, from data files (advisor/locales/<lang>.yml).

NOTE: YAML catalogues rather than gettext: the texts are short keyed phrases with named
placeholders, read by Python and (as JSON) by the web page alike, and a translator edits one
plain file per language. A third language is a third file.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .langs import FALLBACK, LANGS
from .yamlfile import read_yaml

_LOCALES = Path(__file__).resolve().parent / "locales"


@functools.cache
def catalogue(lang: str) -> Mapping[str, Any]:
    """Every phrase of one language, by section; a phrase missing in `lang` reads in the fallback."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; allowed: {', '.join(LANGS)}")
    fallback: Mapping[str, Any] = read_yaml(_LOCALES / f"{FALLBACK}.yml") or {}
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
    phrases: Mapping[str, Any] = catalogue(lang)[section]
    return phrases


def attribute_label(name: str, lang: str) -> str:
    """A profile field's short label in `lang` (企业规模), or its name when it has none."""
    return str(catalogue(lang).get("attributes", {}).get(name, name))


#: The fields whose values are written with their unit (800 万元, 30 个月) where a reader sees them.
UNIT_SHOWN = frozenset({"funding_cny", "duration_months"})


def value_label(name: str, lang: str) -> str:
    """The label beside a value written with its unit: 经费 for 经费（元）, Duration for Duration
    (months), so that a line never reads 经费（元）：800 万元; other fields keep their label."""
    label = attribute_label(name, lang)
    if name in UNIT_SHOWN:
        for opening, closing in (("（", "）"), (" (", ")")):
            if label.endswith(closing) and opening in label:
                return label[: label.rindex(opening)]
    return label


def place_label(region: str, lang: str) -> str:
    """A case's region ("China · Hunan") in `lang` (中国·湖南); unknown places as written."""
    places = catalogue(lang).get("places", {})
    parts = [str(places.get(part.strip(), part.strip())) for part in region.split("·")]
    return str(places.get("sep", " · ")).join(parts)


def normalise_header(text: str) -> str:
    """A header as compared: width-folded (ＡＢＣ = ABC), case-folded, inner spaces and
    underscores alike, outer spaces dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("_", " ")
    return " ".join(folded.split())


@functools.cache
def header_names() -> Mapping[str, str]:
    """Every header a spreadsheet may use for a field, normalised -> the field's name: the name
    itself and its label in every language (Enterprise size, 企业规模)."""
    names: dict[str, str] = {}
    for lang in LANGS:
        for name, label in catalogue(lang).get("attributes", {}).items():
            names.setdefault(normalise_header(name), name)
            names.setdefault(normalise_header(str(label)), name)
    return names
