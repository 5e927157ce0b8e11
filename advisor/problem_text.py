"""Problems with a profile or a row, worded in a language from the catalogues (section `problems`).

The code words each problem in English (advisor.errors.FieldProblem); the English catalogue
holds those wordings as templates ("not in CNY ({currency})"), so a message is found by its
template and its {placeholders} carried into the other language's template. A field is shown
with its label (企业规模（enterprise_size）), what is allowed with the values' labels
(大型企业（large）). A message no template matches reads in English.
NOTE: templates rather than codes on every FieldProblem: the problems are raised in a dozen
modules (values, core, row_scoring, batch_io ...) and their English wording is already tested.
"""

from __future__ import annotations

import ast
import errno
import functools
import os
import re
from collections.abc import Mapping
from typing import Any

from .catalogue import attribute_label, words
from .errors import _MISSING, FieldProblem, PackProblem, show_value

#: attribute -> value -> {lang: label}
ValueLabels = Mapping[str, Mapping[Any, Mapping[str, str]]]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_INDEX = re.compile(r"^(?P<base>[^\[]+)(?P<index>(\[[^\]]*\])*)$")


@functools.cache
def _patterns(section: str, top: str = "problems") -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(key, pattern) for each English template of `<top>.<section>`, longest first (the most
    specific wins: "unknown attribute; did you mean …" before "unknown attribute")."""
    templates = words("en", top)[section]
    found = []
    for key, template in templates.items():
        parts = _PLACEHOLDER.split(str(template))
        # split() alternates literal text and placeholder names
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        found.append((key, re.compile(regex + r"\Z", re.DOTALL)))
    return tuple(sorted(found, key=lambda pair: -len(str(templates[pair[0]]))))


def translate(text: str, lang: str, section: str = "messages", top: str = "problems") -> str:
    """An English problem text of `<top>.<section>` in `lang`; unchanged when none matches."""
    if lang == "en" or not text:
        return text
    catalogue = words(lang, top)
    target = catalogue[section]
    for key, pattern in _patterns(section, top):
        match = pattern.match(text)
        if match and key in target:
            values = {name: _value(name, value, lang, catalogue) for name, value in match.groupdict().items()}
            return _form(target[key], match).format(**values)
    return text


def _form(template: Any, match: re.Match[str]) -> str:
    """The template for what matched. A language may give one template as forms (a mapping)
    where what the message names changes what should be said: keyed by what the parser found,
    `{found}` as `yaml_found` keys it ("\\t"), with `other` for the rest (a tab is a matter of
    indentation, an "@" of quoting)."""
    if not isinstance(template, Mapping):
        return str(template)
    found = match.groupdict().get("found")
    try:
        shown = ast.literal_eval(found) if found is not None else None
    except (ValueError, SyntaxError):
        shown = found
    return str(template.get(shown, template["other"]) if isinstance(shown, str) else template["other"])


def _value(name: str, value: str, lang: str, catalogue: Mapping[str, Any]) -> str:
    """A matched placeholder's value in `lang`: a file name stays (but standard input is named),
    a parser's own detail and a JSON key (whatever its words) are quoted as given, a JSON kind is
    named; English pieces elsewhere are translated (see `fragments`)."""
    if name == "path":
        return stream_name(value, lang)
    if name == "detail":  # a parser's own words: json's are known in other languages, others stay
        return translate(value, lang, "json_reasons", "request_problems")
    if name == "problem":  # YAML's own words (PyYAML's, libyaml's): known in other languages, others stay
        return translate(value, lang, "yaml_reasons")
    if name in _YAML_PARTS:
        return _yaml_part(name, value, catalogue)
    if name == "key":
        return value
    if name in _REASONS and (code := _os_codes().get(value.casefold())) is not None:
        return os_reason(OSError(code, value), lang)
    if name in _REASONS and value in catalogue.get("codec_reasons", {}):  # why bytes are not UTF-8
        return str(catalogue["codec_reasons"][value])
    if name == "kind":
        return str(catalogue.get("kinds", {}).get(value, value))
    if name in ("low", "high") and lang == "zh":
        return _count(value)
    if name in _LISTS:  # the code lists them with English commas: .csv, .jsonl
        return value.replace(", ", str(catalogue.get("allowed_parts", {}).get("value_sep", ", ")))
    return _fragments(value, lang)


#: Placeholders of `problems.yaml_reasons` that hold a part of the document as the parser quotes it.
_YAML_PARTS = frozenset({"found", "node", "alias", "tag", "handle", "hex"})

#: How PyYAML writes a standard tag (`!!int`) in its messages.
_YAML_TAG_PREFIX = "tag:yaml.org,2002:"


def _yaml_part(name: str, value: str, catalogue: Mapping[str, Any]) -> str:
    """A part of a YAML document as a YAML parser quotes it (`'\\t'`, `'<stream end>'`, `scalar`,
    `'tag:yaml.org,2002:python/tuple'`), as a reader of the language knows it (制表符（Tab）,
    文件结尾, 单个值, “!!python/tuple”): `problems.yaml_found` names the characters and tokens it
    can, `yaml_nodes` the kinds of node, `yaml_quoted` quotes the rest."""
    if name == "hex":  # a character's code as the reader writes it (#x0001): U+0001
        return value.upper()
    if name == "node":
        return str(catalogue.get("yaml_nodes", {}).get(value, value))
    try:
        text = ast.literal_eval(value)  # the parser's repr() of a character, token, name or tag
    except (ValueError, SyntaxError):
        return value
    if not isinstance(text, str):
        return value
    if name == "found" and text in catalogue.get("yaml_found", {}):
        return str(catalogue["yaml_found"][text])
    if name == "found" and len(text) == 1 and not text.isprintable():
        return str(catalogue.get("yaml_character", "U+{hex}")).format(hex=f"{ord(text):04X}")
    if name == "tag" and text.startswith(_YAML_TAG_PREFIX):
        text = "!!" + text[len(_YAML_TAG_PREFIX) :]
    if name == "alias":  # written into its template (“*{alias}”)
        return text
    return str(catalogue.get("yaml_quoted", "{text}")).format(text=text)


#: Placeholders that may hold the system's reason (an OSError's strerror) for a file it refused.
_REASONS = frozenset({"reason", "error"})


def os_reason(error: OSError, lang: str) -> str:
    """Why the system refused a file (an OSError), in `lang`: the catalogue's words for the common
    errno names (`problems.os_reasons`: ENOENT 文件或文件夹不存在, EACCES 没有权限 ...), else the
    system's own words (strerror), never dropped. English reads the system's own words."""
    own = error.strerror or str(error)
    name = errno.errorcode.get(error.errno) if isinstance(error.errno, int) else None
    if lang == "en" or name is None:
        return own
    return str(words(lang, "problems").get("os_reasons", {}).get(name, own))


@functools.cache
def _os_codes() -> Mapping[str, int]:
    """The system's words for each errno the catalogue words, case-folded -> the errno: how a reason
    inside an English message (an InputError built far from any language) is known again."""
    codes = (getattr(errno, name, None) for name in words("en", "problems").get("os_reasons", {}))
    return {os.strerror(code).casefold(): code for code in codes if code is not None}


#: Placeholders that hold a list the code joins with ", " (extensions, formats, a file's columns).
_LISTS = frozenset({"suffixes", "formats", "columns", "tables", "values"})

#: The names the code gives the standard streams, and their keys in `problems`.
_STREAMS = {"<stdin>": "stdin", "<stdout>": "stdout"}


def stream_name(name: str, lang: str) -> str:
    """A file name as given, but standard input and output (`<stdin>`, `<stdout>`) named in `lang` (标准输入)."""
    key = _STREAMS.get(name)
    return str(words(lang, "problems").get(key, name)) if key else name


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _amount(text: str, lang: str) -> str:
    """A bound of an amount as a reader writes it (10 万亿元), from the English wording (10,000,000,000,000)."""
    from .scoring import format_amount

    number = _number(text)
    return format_amount(number, lang) if number is not None else text


def _count(text: str) -> str:
    """A whole bound in Chinese without a thousands comma (100000, as the questionnaire writes it)."""
    number = _number(text)
    return str(int(number)) if number is not None and number == int(number) else text


@functools.cache
def _fragment_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(key, pattern) for each English piece of `problems.fragments`, longest first."""
    pieces = words("en", "problems").get("fragments", {})
    found = []
    for key, piece in pieces.items():
        parts = _PLACEHOLDER.split(str(piece))
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^()]+?)" for i, part in enumerate(parts))
        found.append((key, re.compile(regex)))
    return tuple(sorted(found, key=lambda pair: -len(str(pieces[pair[0]]))))


def _fragments(value: str, lang: str) -> str:
    """A matched message's value with the English pieces inside it ("(did you mean 'x'?)", "the
    output") in `lang` (file names are left alone by the caller)."""
    pieces = words(lang, "problems").get("fragments", {})
    for key, pattern in _fragment_patterns():
        if key in pieces:
            value = pattern.sub(functools.partial(_filled, str(pieces[key])), value)
    return value


def _filled(piece: str, match: re.Match[str]) -> str:
    return piece.format(**match.groupdict())


@functools.cache
def default_value_labels() -> ValueLabels:
    """The shipped questionnaire's choice labels (empty if it cannot be read: the values then read as they are)."""
    from .errors import AdvisorError
    from .paths import default_knowledge_dir
    from .questions import load_questions

    try:
        questions = load_questions(default_knowledge_dir()).questions
    except (AdvisorError, OSError):
        return {}
    return {q.attribute: {c.value: {"en": c.label.en, "zh": c.label.zh} for c in q.choices} for q in questions}


def field_name(field: str, lang: str) -> str:
    """A field as a reader knows it: 企业规模（enterprise_size）, 政府作用（government_roles[1]）, 整行."""
    if lang == "en":
        return field
    w = words(lang, "problems")
    if field in w["fields"]:
        return str(w["fields"][field])
    match = _INDEX.match(field)
    base = match["base"] if match else field
    label = attribute_label(base, lang)
    return field if label == base else str(w["field"].format(label=label, field=field))


def allowed_text(field: str, allowed: str, lang: str, labels: ValueLabels | None = None) -> str:
    """What a field allows, in `lang`: from the attribute's own spec (with the values' labels)
    when `allowed` is the spec's wording, else by the catalogue's templates."""
    if lang == "en":
        return allowed
    from .profile import ATTRIBUTES

    match = _INDEX.match(field)
    spec = ATTRIBUTES.get(match["base"] if match else field)
    if spec is None or spec.allowed() != allowed:
        return translate(allowed, lang, "allowed_values")
    w = {**words(lang, "problems")["allowed_values"], **words(lang, "problems")["allowed_parts"]}
    if spec.kind == "boolean":
        return str(w["boolean"])
    if spec.kind in ("choice", "list"):
        by_value = (labels if labels is not None else default_value_labels()).get(spec.name, {})
        shown = [
            str(w["value"].format(label=by_value[value][lang], value=value))
            if by_value.get(value, {}).get(lang)
            else str(value)
            for value in spec.choices
        ]
        return str(w[spec.kind].format(values=str(w["value_sep"]).join(shown)))
    if spec.unit == "cny":
        bounds = _patterns("allowed_values")
        for key, pattern in bounds:
            match = pattern.match(allowed)
            if key == "number_range" and match:
                bounds_shown = {name: _amount(value, lang) for name, value in match.groupdict().items()}
                return str(w["amount_range"].format(**bounds_shown))
    return translate(allowed, lang, "allowed_values")


def describe(
    problem: FieldProblem, lang: str = "en", labels: ValueLabels | None = None, shown: str | None = None
) -> str:
    """One problem as one line in `lang`: field, message, the value given, what is allowed. `shown`:
    the field as the line names it, when not by its label (a case file's `profile.scope`)."""
    if lang == "en":
        return problem.describe()
    w = words(lang, "problems")
    field = shown if shown is not None else field_name(problem.field, lang)
    text = str(w["line"].format(field=field, message=translate(problem.message, lang)))
    if problem.value is not _MISSING:
        text += str(w["got"].format(value=show_value(problem.value)))
    if problem.allowed:
        text += str(w["allowed"].format(allowed=allowed_text(problem.field, problem.allowed, lang, labels)))
    return text


def describe_pack_problem(problem: PackProblem, lang: str = "en") -> str:
    """A rule pack's or knowledge base's problem in `lang` (section `pack_problems`): the file,
    record id and field names stay literal, the sentence around them is translated."""
    if lang == "en":
        return problem.describe()
    w = words(lang, "pack_problems")
    where = (
        str(w["where_record"]).format(file=problem.file, record=problem.record_id)
        if problem.record_id
        else problem.file
    )
    return str(w["line"]).format(where=where, message=translate(problem.message, lang, "messages", "pack_problems"))
