"""Texts in several languages: one value per language code, so a new language is data only."""

from __future__ import annotations

from collections.abc import ItemsView
from typing import Any

from pydantic import RootModel, model_validator

from .langs import FALLBACK, LANGS, Lang, default_lang

__all__ = ["FALLBACK", "LANGS", "Lang", "LocalText", "default_lang", "name_in"]


class LocalText(RootModel[dict[str, str]]):
    """A text keyed by language code, e.g. {en: "...", zh: "..."}.

    A plain string is read as English, so packs written before translations existed still load;
    `advisor validate` reports the languages such a text is missing.
    """

    @model_validator(mode="before")
    @classmethod
    def _plain_string_is_english(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {FALLBACK: value}
        return value

    @model_validator(mode="after")
    def _has_fallback(self) -> LocalText:
        unknown = sorted(set(self.root) - set(LANGS))
        if unknown:
            raise ValueError(f"unknown language {', '.join(unknown)}; allowed: {', '.join(LANGS)}")
        if not self.root.get(FALLBACK, "").strip():
            raise ValueError(f"the {FALLBACK!r} text is required")
        return self

    def get(self, lang: str) -> str:
        """The text in `lang`, or in the fallback language when it has none."""
        return self.root.get(lang) or self.root[FALLBACK]

    def missing(self) -> list[str]:
        """The languages of LANGS this text has no (non-blank) wording for."""
        return [lang for lang in LANGS if not self.root.get(lang, "").strip()]

    def items(self) -> ItemsView[str, str]:
        """(language, text) pairs, for checks that read every language."""
        return self.root.items()

    def __str__(self) -> str:
        return self.get(FALLBACK)


def name_in(record: Any, lang: str) -> str:
    """A mode's, difficulty's or case's name in `lang`: its Chinese name where asked for and
    given, else its (English) name."""
    name_zh = getattr(record, "name_zh", "")
    return str(name_zh if lang == "zh" and name_zh else record.name)
