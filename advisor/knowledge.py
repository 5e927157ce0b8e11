"""The knowledge base: cooperation modes, difficulties, mitigations and context, loaded from knowledge/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import PackProblem, RulePackError
from .langs import FALLBACK, LANGS
from .yamlfile import read_yaml

Id = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Stable snake_case identifier; never reused.")


class Record(BaseModel):
    """A knowledge record. Its texts are written in the files once per language,
    `name: {en: …, zh: …}` (a list field: `suits: {en: [...], zh: [...]}`), so a language is data;
    the model keeps each text under its field (English) and `<field>_zh`, which the surfaces read.
    A file may still give `name:` and `name_zh:` side by side, as knowledge written before."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _split_languages(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in cls.model_fields:
            twin = f"{name}_zh"
            if twin not in cls.model_fields or not isinstance(data.get(name), dict):
                continue
            texts = data.pop(name)
            unknown = sorted(str(lang) for lang in texts if lang not in LANGS)
            if unknown:
                raise ValueError(f"{name}: unknown language {', '.join(unknown)}; allowed: {', '.join(LANGS)}")
            if FALLBACK not in texts:
                raise ValueError(f"{name} has no {FALLBACK!r} text; write it as {{{', '.join(LANGS)}}}")
            if twin in data:
                raise ValueError(f"{name} is given twice in Chinese: as {name}.zh and as {twin}")
            data[name] = texts[FALLBACK]
            if "zh" in texts:
                data[twin] = texts["zh"]
        return data

    def missing_languages(self) -> list[tuple[str, str]]:
        """(field, language) for every text given in English but not in another language."""
        return [
            (name, "zh")
            for name in type(self).model_fields
            if f"{name}_zh" in type(self).model_fields and getattr(self, name) and not getattr(self, f"{name}_zh")
        ]


class Citation(Record):
    """Where in the source a record rests: a section title and a short verbatim quote, each with
    its Chinese rendering (`section: {en: …, zh: …}`); the English quote stays the source's words."""

    section: str
    section_zh: str = ""
    quote: str = Field(description="Verbatim from the source (whitespace-normalised).")
    quote_zh: str = Field("", description="A faithful Chinese translation of the quote, shown beside it.")
    source: str = Field("hunan", description="Key of the source in knowledge/sources.yml.")


class Cited(Record):
    """A record resting on citations (each declares its `citations` among its own fields, in
    their order): a text missing a language is looked for in the citations too."""

    def missing_languages(self) -> list[tuple[str, str]]:
        """(field, language) for every text given in English but not in another language, the
        citations' included (`citations[2].quote`)."""
        missing = super().missing_languages()
        citations: list[Citation] = getattr(self, "citations", [])
        for number, citation in enumerate(citations, start=1):
            missing += [(f"citations[{number}].{name}", lang) for name, lang in citation.missing_languages()]
        return missing


class LegalInstrument(Record):
    name: str
    name_zh: str = ""
    law: str
    law_zh: str = ""
    note: str = ""
    note_zh: str = ""


class Mode(Cited):
    id: str = Id
    name: str
    name_zh: str = ""
    representation: str
    representation_zh: str = ""
    features: str
    features_zh: str = ""
    suits: list[str] = Field(min_length=1, description="The partnership profile the mode suits.")
    suits_zh: list[str] = Field(default_factory=list)
    strengths: list[str] = Field(min_length=1)
    strengths_zh: list[str] = Field(default_factory=list)
    weaknesses: list[str] = Field(default_factory=list)
    weaknesses_zh: list[str] = Field(default_factory=list)
    legal_instruments: list[LegalInstrument] = Field(default_factory=list)
    citations: list[Citation] = Field(min_length=1)


class Difficulty(Cited):
    id: str = Id
    name: str
    name_zh: str = ""
    description: str
    description_zh: str = ""
    scope: Literal["domestic", "international", "mode"]
    modes: list[str] = Field(default_factory=list, description="Modes it mainly afflicts.")
    mitigations: list[str] = Field(min_length=1)
    citations: list[Citation] = Field(min_length=1)


class Mitigation(Cited):
    id: str = Id
    name: str
    name_zh: str = ""
    action: str = Field(description="What to do, as an instruction to the partners.")
    action_zh: str = ""
    citations: list[Citation] = Field(min_length=1)


class ContextEntry(Cited):
    """International cooperation forms, principles, programmes and priority fields."""

    id: str = Id
    kind: Literal["international_form", "programme", "priority_field"]
    name: str
    name_zh: str = ""
    description: str
    description_zh: str = ""
    citations: list[Citation] = Field(min_length=1)


class Source(Record):
    key: str
    title: str
    file: str | None = Field(None, description="Text of the source, relative to knowledge/.")
    reference: str | None = None


class KnowledgeFile(Record):
    """The shape every file in knowledge/ may take; each key is optional."""

    version: str | None = None
    sources: list[Source] = Field(default_factory=list)
    modes: list[Mode] = Field(default_factory=list)
    difficulties: list[Difficulty] = Field(default_factory=list)
    mitigations: list[Mitigation] = Field(default_factory=list)
    context: list[ContextEntry] = Field(default_factory=list)


class KnowledgeBase(Record):
    version: str
    directory: str
    sources: dict[str, Source]
    modes: dict[str, Mode]
    difficulties: dict[str, Difficulty]
    mitigations: dict[str, Mitigation]
    context: dict[str, ContextEntry]
    files: dict[str, str] = Field(default_factory=dict, description="The file each record id comes from.")

    def ids(self) -> set[str]:
        return set(self.modes) | set(self.difficulties) | set(self.mitigations) | set(self.context)

    def record(self, record_id: str) -> Mode | Difficulty | Mitigation | ContextEntry | None:
        for table in (self.modes, self.difficulties, self.mitigations, self.context):
            if record_id in table:
                return table[record_id]
        return None

    def source_text(self, key: str) -> str | None:
        source = self.sources.get(key)
        if source is None or source.file is None:
            return None
        return (Path(self.directory) / source.file).read_text(encoding="utf-8")


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# Files in knowledge/ that are not knowledge records (e.g. the questionnaire) are named here.
NON_RECORD_FILES = frozenset({"questions.yml"})


def load_knowledge(directory: Path | str) -> KnowledgeBase:
    """Load and validate every *.yml file of a knowledge directory; raise RulePackError on problems."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RulePackError([PackProblem(str(directory), None, "knowledge directory does not exist")])
    problems: list[PackProblem] = []
    # Record tables by name; each holds its own record type (Source, Mode, ...), checked by KnowledgeBase.
    tables: dict[str, dict[str, Any]] = {
        "sources": {},
        "modes": {},
        "difficulties": {},
        "mitigations": {},
        "context": {},
    }
    versions: list[str] = []
    record_files: dict[str, str] = {}
    # NOTE: hidden files (a name that starts with a dot: an editor's lock or swap file) are left out
    files = sorted(p for p in directory.glob("*.y*ml") if p.name not in NON_RECORD_FILES and not p.name.startswith("."))
    if not files:
        problems.append(PackProblem(str(directory), None, "no knowledge files (*.yml) found"))
    seen_ids: dict[str, str] = {}
    for path in files:
        try:
            data = read_yaml(path)
            parsed = KnowledgeFile.model_validate(data if data is not None else {})
        except RulePackError as error:
            problems.extend(error.problems)
            continue
        except ValidationError as error:
            problems.extend(PackProblem.from_validation(str(path), error, data))
            continue
        if parsed.version:
            versions.append(parsed.version)
        for source in parsed.sources:
            tables["sources"][source.key] = source
        for table in ("modes", "difficulties", "mitigations", "context"):
            for record in getattr(parsed, table):
                if record.id in seen_ids:
                    problems.append(
                        PackProblem(
                            str(path), record.id, f"duplicate knowledge id (first defined in {seen_ids[record.id]})"
                        )
                    )
                    continue
                seen_ids[record.id] = path.name
                record_files[record.id] = str(path)
                tables[table][record.id] = record
    if problems:
        raise RulePackError(problems)
    base = KnowledgeBase(
        version=versions[0] if versions else "unversioned",
        directory=str(directory),
        files=record_files,
        **tables,
    )
    problems = _check_references(base)
    if problems:
        raise RulePackError(problems)
    return base


def _check_references(base: KnowledgeBase) -> list[PackProblem]:
    problems = []
    where = base.directory
    for difficulty in base.difficulties.values():
        for mitigation in difficulty.mitigations:
            if mitigation not in base.mitigations:
                problems.append(PackProblem(where, difficulty.id, f"names unknown mitigation {mitigation!r}"))
        for mode in difficulty.modes:
            if mode not in base.modes:
                problems.append(PackProblem(where, difficulty.id, f"names unknown mode {mode!r}"))
    return problems
