"""The pack: the rule pack, the knowledge base and the questionnaire, loaded and checked together once.

Every surface that needs more than `advise()` (the questionnaire's questions, their texts in
Chinese) takes them from one `Pack`, so `--rules` and `--knowledge` mean the same thing everywhere.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .core import Advisor, default_advisor
from .errors import PackProblem, RulePackError
from .questions import Lang, QuestionSet, load_questions

__all__ = ["Pack", "load_pack", "questions_problems"]


@dataclass(frozen=True)
class Pack:
    """An Advisor (rules + knowledge, compiled) and the questionnaire of the same knowledge directory."""

    advisor: Advisor
    questions: QuestionSet
    _texts: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def versions(self) -> dict[str, str]:
        """The versions every answer carries: advisor, knowledge base, rulebook (name and version); built once."""
        advisor = self.advisor
        return {
            "advisor": advisor.version,
            "knowledge": advisor.knowledge.version,
            "rulebook": f"{advisor.rulebook.meta.name} {advisor.rulebook.meta.version}",
        }

    def question_texts(self, lang: Lang) -> dict[str, str]:
        """Each attribute's question in one language (to list the questions still worth asking)."""
        texts = self._texts.get(lang)
        if texts is None:
            texts = {q.attribute: q.text.get(lang) for q in self.questions.questions}
            self._texts[lang] = texts
        return texts


_default: Pack | None = None
_default_lock = threading.Lock()


def load_pack(rules_dir: Path | str | None = None, knowledge_dir: Path | str | None = None) -> Pack:
    """The pack of these directories (the shipped ones by default, built once per process).

    Raises RulePackError naming every problem when the rules, the knowledge or the questions are
    broken, before anything is served or asked."""
    global _default
    if rules_dir is None and knowledge_dir is None:
        with _default_lock:
            if _default is None:
                advisor = default_advisor()
                _default = Pack(advisor, load_questions(advisor.knowledge.directory))
            return _default
    advisor = Advisor(rules_dir=rules_dir, knowledge_dir=knowledge_dir)
    return Pack(advisor, load_questions(advisor.knowledge.directory))


def questions_problems(knowledge_dir: Path | str | None = None) -> list[PackProblem]:
    """The problems of a knowledge directory's questions.yml (none when it is sound)."""
    try:
        load_questions(knowledge_dir)
    except RulePackError as error:
        return list(error.problems)
    return []
