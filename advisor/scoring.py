"""Scoring: from the ids of fired rules to ranked modes, a decision and the difficulties."""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Collection, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from .advice import (
    Decision,
    DecisionBasis,
    DifficultyFlag,
    MitigationAdvice,
    ModeAssessment,
    Reason,
    SourceQuote,
    Verdict,
)
from .catalogue import words
from .knowledge import Citation, KnowledgeBase
from .rulebook import Rule, Rulebook
from .texts import FALLBACK, LANGS, name_in

#: The one order of severities (most severe first): the advice and the batch outcome both sort by it.
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


#: Why a decision was reached: a code (advice.DecisionCode), then the values its sentence names,
#: in the order `WHY_PLACES` gives for the code (`leader` and `runner` are mode ids). It is the
#: cheap form of `DecisionBasis`. NOTE: a plain tuple: one is made per batch row, and a named
#: tuple of pairs cost three times the f-string it replaced (measured).
DecisionWhy = tuple[Any, ...]

#: The placeholders of each code's sentence, in the order the why gives their values.
WHY_PLACES: dict[str, tuple[str, ...]] = {
    "all_excluded": (),
    "too_few_answers": ("answered", "needed"),
    "no_support": (),
    "weak_support": ("leader", "support", "needed"),
    "weak_leader": ("leader", "score"),
    "close_call": ("leader", "score", "runner", "runner_score", "margin"),
    "tie": ("leader", "score", "runner", "runner_score", "margin"),
    "leads_alone": ("leader",),
    "leads_by": ("leader", "lead", "runner"),
}
_MODE_PLACES = frozenset({"leader", "runner"})


def why_values(why: DecisionWhy) -> dict[str, Any]:
    """A why's values by placeholder."""
    return dict(zip(WHY_PLACES[why[0]], why[1:], strict=True))


def decision_basis(why: DecisionWhy) -> DecisionBasis:
    """The advice's form of a why."""
    return DecisionBasis(code=why[0], values=why_values(why))


def why_of(basis: DecisionBasis) -> DecisionWhy:
    """The why an advice's basis states (its values in the code's order)."""
    return (basis.code, *(basis.values[place] for place in WHY_PLACES[basis.code]))


def decision_reason_text(why: DecisionWhy, lang: str, mode_names: Mapping[str, str]) -> str:
    """The decision's reason in `lang`, the modes named by `mode_names` (mode id -> name); a
    fractional policy number reads as it was written (30.0 as 30)."""
    values = {
        key: mode_names.get(value, value) if key in _MODE_PLACES else f"{value:g}" if type(value) is float else value
        for key, value in why_values(why).items()
    }
    return str(words(lang, "decision_reasons")[why[0]]).format_map(values)


#: The whys that name nothing, and the one of a standing ranked without explain.
ALL_EXCLUDED: DecisionWhy = ("all_excluded",)
NO_SUPPORT: DecisionWhy = ("no_support",)
UNEXPLAINED: DecisionWhy = ("",)


class Standing(NamedTuple):
    """The cheap part of the advice: enough to compare what-if answers.

    NOTE: a named tuple, not a frozen dataclass: one is built per batch row and dozens per
    what-if, and a frozen dataclass's __init__ cost a fifth of ranking the modes (measured)."""

    ranking: tuple[tuple[str, int], ...]  # (mode id, score), best first, excluded modes last
    excluded: frozenset[str]
    support: Mapping[str, int]
    opposition: Mapping[str, int]
    decision: Decision
    decision_reason: str  # in English ("" when the standing was ranked without explain)
    why: DecisionWhy

    @property
    def leader(self) -> str | None:
        mode, _ = self.ranking[0]
        return None if mode in self.excluded else mode

    @property
    def leader_score(self) -> int:
        return self.ranking[0][1]

    def score(self, mode: str) -> int:
        return dict(self.ranking)[mode]


class ModeStanding(BaseModel):
    """One mode's place for the answers so far: the bars of the chart, the leader of the field line."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    name_zh: str
    score: int
    verdict: Verdict


def format_value(value: Any, lang: str = "en", labels: Mapping[Any, Mapping[str, str]] | None = None) -> str:
    """A profile value as a person writes it: lists joined, booleans yes/no, big numbers grouped.

    In a language other than English a choice reads as its label in that language (大型企业, not
    `large`) when `labels` (value -> {lang: label}) has one; English keeps the value itself, which
    is what a user types and what the rules say.
    """
    if lang != "en" and labels is not None and not isinstance(value, (list, tuple)):
        label = labels.get(value, {}).get(lang) if isinstance(value, (str, bool)) else None
        if label:
            return label
    words = _VALUE_WORDS.get(lang, _VALUE_WORDS["en"])
    if isinstance(value, bool):
        return words["yes"] if value else words["no"]
    if isinstance(value, (list, tuple)):
        return words["sep"].join(format_value(item, lang, labels) for item in value) if value else words["none"]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and abs(value) >= 10000:
        return f"{value:,}"
    return str(value)


def format_amount(value: float, lang: str) -> str:
    """An amount of CNY as a reader writes it: 5000 万元 / 1.2 亿元 / 10 万亿元 in Chinese (no
    thousands commas beside 万 and 亿, never an exponent), 50,000,000 CNY in English.

    The rule is the catalogue's `quantities` section, which the web page applies too
    (advisor/web/values.js): one rule, so every surface writes an amount the same way."""
    rule = _quantities(lang)
    for size, wording, places in rule["amounts"]:
        if value >= size:
            return str(wording).format(n=_number(value / size if size else value, places, rule["thousands"]))
    return _number(value, 2, rule["thousands"])  # below every unit (a negative number): as it is


def format_duration(months: int, lang: str) -> str:
    """18 months / 18 个月; whole years as years (3 years / 3 年), by the catalogue's `quantities`."""
    rule = _quantities(lang)
    years, rest = divmod(months, 12)
    count, forms = (months, rule["months"]) if rest else (years, rule["years"])
    return str(forms[0 if count == 1 else 1]).format(n=count)


#: The message placeholders that write a quantity with its unit: name -> (the attribute whose value
#: they write, how). `{duration}` reads 5 years / 5 年 and `{funding}` 30,000,000 CNY / 3000 万元,
#: as every other surface writes them; `{duration_months}` is the bare number (60). The advice fills
#: them (_LazyValues) and the linter allows them where the rule reads the attribute (check_template).
QUANTITY_PLACEHOLDERS: Mapping[str, tuple[str, Callable[[Any, str], str]]] = {
    "duration": ("duration_months", format_duration),
    "funding": ("funding_cny", format_amount),
}


def _quantities(lang: str) -> Mapping[str, Any]:
    return words(lang if lang in LANGS else FALLBACK, "quantities")


def _number(number: float, places: int, thousands: str) -> str:
    """`number` with at most `places` decimals, a half rounded up (as JavaScript's toFixed rounds),
    trailing zeros dropped and `thousands` between groups of three digits: 2,000 / 1.2 / 12.3457."""
    exact = Decimal(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    whole, _, decimals = f"{exact:f}".partition(".")
    decimals = decimals.rstrip("0")
    return f"{int(whole):,}".replace(",", thousands) + (f".{decimals}" if decimals else "")


_VALUE_WORDS = {
    "en": {"yes": "yes", "no": "no", "none": "none", "sep": ", "},
    "zh": {"yes": "是", "no": "否", "none": "无", "sep": "、"},
}


class _Values(dict[str, str]):
    """Formatted profile values for message templates; an unknown attribute reads "unknown"."""

    def __missing__(self, key: str) -> str:
        return "unknown"


class _LazyValues(dict[str, str]):
    """The profile's values formatted in one language for message templates, each formatted when a
    template first asks for it, a quantity placeholder's with its unit (QUANTITY_PLACEHOLDERS); an
    unknown attribute reads "unknown".

    NOTE: a rule's message names one or two of the profile's values: formatting all of them in
    every language for every advice was most of the time spent on reasons (measured)."""

    def __init__(self, known: Mapping[str, Any], lang: str, labels: Mapping[str, Mapping[Any, Mapping[str, str]]]):
        super().__init__()
        self._known = known
        self._lang = lang
        self._labels = labels

    def __missing__(self, key: str) -> str:
        attribute, write = QUANTITY_PLACEHOLDERS.get(key, (key, None))
        if attribute not in self._known:
            return "unknown"
        value = self._known[attribute]
        text = self[key] = write(value, self._lang) if write else format_value(value, self._lang, self._labels.get(key))
        return text


def render_message(template: str, values: Mapping[str, str]) -> str:
    """A rule's message with the formatted values filled in (the linter compiles messages with it)."""
    return string.Formatter().vformat(template, (), values if isinstance(values, _Values) else _Values(values))


class Scorer:
    """Turns fired rule ids into mode standings and full advice parts, per a pack's scoring policy."""

    def __init__(
        self,
        rulebook: Rulebook,
        knowledge: KnowledgeBase,
        value_labels: Mapping[str, Mapping[Any, Mapping[str, str]]] | None = None,
    ):
        self.rulebook = rulebook
        self.knowledge = knowledge
        # attribute -> value -> {lang: label}: how a value reads inside a message in each language.
        self.value_labels = value_labels or {}
        self.policy = rulebook.meta.scoring
        self.mode_order = list(knowledge.modes)
        self._positions = list(enumerate(self.mode_order))
        self._quote_cache: dict[str, tuple[SourceQuote, ...]] = {}
        self._rule_cache: dict[str, tuple[tuple[str, ...], dict[str, str], tuple[SourceQuote, ...]]] = {}
        self._reason_texts: dict[str, dict[DecisionWhy, str]] = {}  # by language
        self._names: dict[str, dict[str, str]] = {}
        # Per rule: (mode, supporting weight, opposing weight, excludes?); raising rules are absent.
        self._effects = {
            rule_id: (
                rule.effect.target,
                rule.effect.weight or 0 if rule.effect.kind == "supports" else 0,
                rule.effect.weight or 0 if rule.effect.kind == "opposes" else 0,
                rule.effect.kind == "excludes",
            )
            for rule_id, rule in rulebook.rules.items()
            if rule.effect.kind != "raises"
        }
        # rank()'s packed sort key: position in the low bits, then support (as most - support),
        # then 100 - score (scores are 0-100), then the excluded flag.
        most_support = sum(
            rule.effect.weight or 0 for rule in rulebook.rules.values() if rule.effect.kind == "supports"
        )
        support_shift = max(1, len(self.mode_order)).bit_length()
        score_shift = support_shift + most_support.bit_length() + 1
        self._position_mask = (1 << support_shift) - 1
        self._rank_packing = (score_shift, support_shift, most_support, 1 << (score_shift + 7))
        # NOTE: a score depends on the net weight only; a table of every reachable net saves the
        # arithmetic in the batch and what-if hot paths. Scores round half up: 72.5 counts as 73.
        reach = sum(rule.effect.weight or 0 for rule in rulebook.rules.values())
        points = self.policy.points_per_weight
        self._least_net: dict[int, float] = {}
        self._score_of_net = {
            net: max(0, min(100, math.floor(50.5 + points * net))) for net in range(-reach, reach + 1)
        }

    def score_of(self, net: int) -> int:
        """The score of a mode with this net weight (support - opposition); it never falls as the net grows."""
        score = self._score_of_net.get(net)
        if score is None:  # beyond every reachable net (a bound adding up several answers)
            score = max(0, min(100, math.floor(50.5 + self.policy.points_per_weight * net)))
        return score

    def least_net_scoring(self, score: int) -> float:
        """The least net weight whose score is at least `score` (scores never fall as the net grows)."""
        least = self._least_net.get(score)
        if least is None:
            if score <= 0:
                least = -math.inf
            elif score > 100:
                least = math.inf
            else:
                # The least integer net with floor(50.5 + points * net) >= score, then checked
                # against score_of itself, so the two can never disagree.
                least = math.ceil((score - 50.5) / self.policy.points_per_weight)
                while self.score_of(least - 1) >= score:
                    least -= 1
                while self.score_of(least) < score:
                    least += 1
            self._least_net[score] = least
        return least

    # -- the standing ------------------------------------------------------------------

    def standing(self, fired: Collection[str], answered: int, explain: bool = True) -> Standing:
        """Rank the modes for a set of fired rules. `explain=False` skips the decision's wording
        (the what-if ranks dozens of standings per advice and needs only the numbers)."""
        support, opposition, excluded = self.tally(fired)
        return self.rank(support, opposition, excluded, answered, explain)

    def tally(self, fired: Collection[str]) -> tuple[dict[str, int], dict[str, int], set[str]]:
        """Supporting and opposing weight per mode, and the modes excluded, for a set of fired rules."""
        support = dict.fromkeys(self.mode_order, 0)
        opposition = dict.fromkeys(self.mode_order, 0)
        excluded = set()
        effects = self._effects
        for rule_id in fired:
            effect = effects.get(rule_id)
            if effect is not None:
                mode, plus, minus, excludes = effect
                support[mode] += plus
                opposition[mode] += minus
                if excludes:
                    excluded.add(mode)
        return support, opposition, excluded

    def rank(
        self,
        support: dict[str, int],
        opposition: dict[str, int],
        excluded: Collection[str],
        answered: int,
        explain: bool = True,
    ) -> Standing:
        """The standing for a tally (see `tally`): modes ranked, and the decision."""
        # The order: modes not excluded first, then higher score, then more support, then the
        # knowledge base's order; each mode's sort key is those four packed into one integer
        # (NOTE: sorting eight ints is about a third cheaper than sorting eight tuples; this runs
        # once per batch row and dozens of times per what-if).
        score_of_net = self._score_of_net
        score_shift, support_shift, most_support, excluded_bit = self._rank_packing
        keys = []
        scores = []
        for position, mode in self._positions:
            held = support[mode]
            if mode in excluded:
                score = 0
                keys.append(excluded_bit | (100 << score_shift) | ((most_support - held) << support_shift) | position)
            else:
                score = score_of_net[held - opposition[mode]]
                keys.append(((100 - score) << score_shift) | ((most_support - held) << support_shift) | position)
            scores.append(score)
        keys.sort()
        order, mask = self.mode_order, self._position_mask
        ranking = tuple([(order[key & mask], scores[key & mask]) for key in keys])
        frozen = frozenset(excluded)
        decision, why = self._decide(ranking, frozen, support, answered, explain)
        reason = self.reason_text(why) if why is not UNEXPLAINED else ""
        return Standing(ranking, frozen, support, opposition, decision, reason, why)

    def mode_standings(self, standing: Standing) -> list[ModeStanding]:
        """Every mode's score and verdict, best first (as `standing.ranking`)."""
        modes = self.knowledge.modes
        return [
            ModeStanding(
                id=mode_id,
                name=modes[mode_id].name,
                name_zh=modes[mode_id].name_zh,
                score=score,
                verdict=self.verdict(score, mode_id in standing.excluded),
            )
            for mode_id, score in standing.ranking
        ]

    def verdict(self, score: int, excluded: bool) -> Verdict:
        if excluded:
            return "excluded"
        if score >= self.policy.recommended:
            return "recommended"
        if score >= self.policy.possible:
            return "possible"
        return "unlikely"

    def _decide(
        self,
        ranking: tuple[tuple[str, int], ...],
        excluded: frozenset[str],
        support: Mapping[str, int],
        answered: int,
        explain: bool = True,
    ) -> tuple[Decision, DecisionWhy]:
        """The decision for a ranking, and why: a code of the catalogue's `decision_reasons` with
        the modes and numbers its sentence names (worded per language by `decision_reason_text`).
        Without `explain`, why is `UNEXPLAINED`: the what-if ranks dozens of standings per advice
        and needs only the decision."""
        policy = self.policy
        leader, leader_score = ranking[0]
        if leader in excluded:
            return "insufficient_information", ALL_EXCLUDED
        if answered < policy.min_answered:
            why = ("too_few_answers", answered, policy.min_answered) if explain else UNEXPLAINED
            return "insufficient_information", why
        if not any(support.values()):
            return "insufficient_information", NO_SUPPORT
        if support[leader] < policy.min_support:
            why = ("weak_support", leader, support[leader], policy.min_support) if explain else UNEXPLAINED
            return "insufficient_information", why
        if self.verdict(leader_score, False) == "unlikely":
            why = ("weak_leader", leader, leader_score) if explain else UNEXPLAINED
            return "insufficient_information", why
        runner_up, runner_score = ranking[1]
        if runner_up not in excluded and leader_score - runner_score < policy.close_call_margin:
            if not explain:
                return "close_call", UNEXPLAINED
            return "close_call", (
                "tie" if leader_score == runner_score else "close_call",
                leader,
                leader_score,
                runner_up,
                runner_score,
                policy.close_call_margin,
            )
        if not explain:
            return "clear", UNEXPLAINED
        if runner_up in excluded:
            return "clear", ("leads_alone", leader)
        return "clear", ("leads_by", leader, leader_score - runner_score, runner_up)

    def reason_text(self, why: DecisionWhy, lang: str = "en") -> str:
        """The sentence for a decision's why in `lang`, remembered (a batch asks for a few
        thousand distinct ones a million times)."""
        texts = self._reason_texts.get(lang)
        if texts is None:
            texts = self._reason_texts[lang] = {}
        text = texts.get(why)
        if text is None:
            text = decision_reason_text(why, lang, self._mode_names(lang))
            if len(texts) < 100_000:
                texts[why] = text
        return text

    def reason_texts(self, why: DecisionWhy) -> dict[str, str]:
        """The sentence for a decision's why in every language, by code."""
        return {lang: self.reason_text(why, lang) for lang in LANGS}

    def _mode_names(self, lang: str) -> Mapping[str, str]:
        names = self._names.get(lang)
        if names is None:
            names = self._names[lang] = {
                mode_id: name_in(record, lang) for mode_id, record in self.knowledge.modes.items()
            }
        return names

    # -- the full advice parts ---------------------------------------------------------

    def reasons(self, fired: Collection[str], known: Mapping[str, Any], lang: str = "en") -> dict[str, Reason]:
        """A Reason for each fired rule, by rule id, in id order; `message` and `rationale` in
        `lang`, every language under `messages` and `rationales`."""
        values: dict[str, _LazyValues] = {
            language: _LazyValues(known, language, self.value_labels) for language in LANGS
        }
        rules = self.rulebook.rules
        return {rule_id: self._reason(rules[rule_id], known, values, lang) for rule_id in sorted(fired)}

    def _reason(self, rule: Rule, known: Mapping[str, Any], values: Mapping[str, _LazyValues], lang: str) -> Reason:
        # NOTE: str.format_map writes what render_message writes for the templates a loaded pack can
        # hold (check_template allows named placeholders only), without string.Formatter's Python loop.
        messages: dict[str, str] = {
            language: rule.message.get(language).format_map(values[language]) for language in LANGS
        }
        attributes, rationales, citations = self._rule_parts(rule)
        return Reason(
            rule_id=rule.id,
            rule_name=rule.name,
            effect=rule.effect.kind,
            weight=rule.effect.weight,
            message=messages.get(lang, messages[FALLBACK]),
            rationale=rationales.get(lang, rationales[FALLBACK]),
            messages=messages,
            rationales=dict(rationales),
            triggered_by={name: known[name] for name in attributes if name in known},
            citations=list(citations),
        )

    def _rule_parts(self, rule: Rule) -> tuple[tuple[str, ...], dict[str, str], tuple[SourceQuote, ...]]:
        """What a reason takes from its rule whatever the profile: the attributes it reads, its
        rationale in every language and its quotes; worked out once per rule (measured: a sixth
        of advise() went to walking each fired rule's condition again)."""
        parts = self._rule_cache.get(rule.id)
        if parts is None:
            parts = self._rule_cache[rule.id] = (
                tuple(rule.attributes()),
                {language: rule.rationale.get(language) for language in LANGS},
                tuple(quote for knowledge_id in rule.cites for quote in self._quotes(knowledge_id)),
            )
        return parts

    def _quotes(self, knowledge_id: str) -> list[SourceQuote]:
        # NOTE: built once per knowledge record and shared (SourceQuote is frozen): building them
        # for every reason of every advice was a third of advise() (measured).
        quotes = self._quote_cache.get(knowledge_id)
        if quotes is None:
            record = self.knowledge.record(knowledge_id)
            citations: list[Citation] = record.citations if record is not None else []
            quotes = self._quote_cache[knowledge_id] = tuple(
                SourceQuote(
                    knowledge_id=knowledge_id,
                    section=c.section,
                    section_zh=c.section_zh,
                    quote=c.quote,
                    quote_zh=c.quote_zh,
                    source=c.source,
                )
                for c in citations
            )
        return list(quotes)

    def modes(self, standing: Standing, reasons: Mapping[str, Reason]) -> list[ModeAssessment]:
        rules = self.rulebook.rules
        # One pass over the reasons, in their (rule id) order, sorting each to the modes it names.
        supporting: dict[str, list[Reason]] = {}
        opposing: dict[str, list[Reason]] = {}
        for reason in reasons.values():
            effect = rules[reason.rule_id].effect
            if effect.supports is not None:
                supporting.setdefault(effect.supports, []).append(reason)
            for target in {effect.opposes, effect.excludes} - {None}:
                opposing.setdefault(target, []).append(reason)  # type: ignore[arg-type]
        assessments = []
        for rank, (mode_id, score) in enumerate(standing.ranking, start=1):
            mode = self.knowledge.modes[mode_id]
            reasons_for = supporting.get(mode_id, [])
            against = opposing.get(mode_id, [])
            assessments.append(
                ModeAssessment(
                    id=mode_id,
                    name=mode.name,
                    name_zh=mode.name_zh,
                    rank=rank,
                    score=score,
                    verdict=self.verdict(score, mode_id in standing.excluded),
                    support=standing.support[mode_id],
                    opposition=standing.opposition[mode_id],
                    reasons_for=sorted(reasons_for, key=lambda r: (-(r.weight or 0), r.rule_id)),
                    reasons_against=sorted(
                        against, key=lambda r: (r.effect != "excludes", -(r.weight or 0), r.rule_id)
                    ),
                )
            )
        return assessments

    def difficulties(self, reasons: Mapping[str, Reason]) -> list[DifficultyFlag]:
        rules = self.rulebook.rules
        raised: dict[str, list[Reason]] = {}
        for reason in reasons.values():
            target = rules[reason.rule_id].effect.raises
            if target is not None:
                raised.setdefault(target, []).append(reason)
        flags = []
        for difficulty_id, triggers in raised.items():
            difficulty = self.knowledge.difficulties[difficulty_id]
            severity = min(
                (rules[r.rule_id].effect.severity or "low" for r in triggers), key=SEVERITY_ORDER.__getitem__
            )
            mitigations = [self.knowledge.mitigations[m] for m in difficulty.mitigations]
            flags.append(
                DifficultyFlag(
                    id=difficulty_id,
                    name=difficulty.name,
                    name_zh=difficulty.name_zh,
                    description=difficulty.description,
                    description_zh=difficulty.description_zh,
                    severity=severity,
                    triggered_by=sorted(triggers, key=lambda r: r.rule_id),
                    mitigations=[
                        MitigationAdvice(
                            id=m.id,
                            name=m.name,
                            name_zh=m.name_zh,
                            action=m.action,
                            action_zh=m.action_zh,
                            citations=self._quotes(m.id),
                        )
                        for m in mitigations
                    ],
                )
            )
        order = {difficulty_id: index for index, difficulty_id in enumerate(self.knowledge.difficulties)}
        return sorted(flags, key=lambda f: (SEVERITY_ORDER[f.severity], order[f.id]))
