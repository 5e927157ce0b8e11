"""The languages the advisor speaks, and the one a person gets without asking.

NOTE: no imports beyond the standard library: `advisor --help` reads the default language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Lang = Literal["en", "zh"]
#: The languages every user-facing text of a pack is written in; the first is the fallback.
LANGS: tuple[Lang, ...] = ("en", "zh")
FALLBACK: Lang = LANGS[0]


def default_lang(environ: Mapping[str, str]) -> Lang:
    """The language a person gets without --lang: $ADVISOR_LANG, else Chinese when the locale
    ($LC_ALL, $LC_MESSAGES, $LANG, the first set) is a zh_* one, else English."""
    chosen = environ.get("ADVISOR_LANG", "").strip().lower()
    if chosen:
        for lang in LANGS:
            if chosen == lang or chosen.startswith(lang + "_") or chosen.startswith(lang + "-"):
                return lang
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if value:
            return "zh" if value.lower().startswith("zh") else FALLBACK
    return FALLBACK
