"""Laying out text for a terminal: display widths, padding and wrapping that know Chinese."""

from __future__ import annotations

import itertools
import re
import textwrap
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

WIDTH = 96


def columns(char: str) -> int:
    """Terminal columns of one character: East Asian wide characters take two."""
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def width(text: str) -> int:
    return sum(columns(char) for char in text)


def pad(text: str, size: int) -> str:
    return text + " " * max(0, size - width(text))


#: A space no line breaks at (`wrap` prints it as a plain space): keeps a tag such as
#: "[PC006 +30]" on one line.
NO_BREAK = "\u00a0"
_BREAKING_SPACES = re.compile(r"[^\S\u00a0]+")  # any whitespace but NO_BREAK


def wrap(text: str, first: str, rest: str, size: int = WIDTH) -> list[str]:
    """Wrap to `size` columns with a first-line and a continuation indent. Text with Chinese in it
    (no spaces, two columns a character) breaks between characters, never inside a word, nor at a
    NO_BREAK space."""
    # NOTE: not str.split(), which would also split at NO_BREAK; textwrap breaks only at ASCII spaces.
    text = _BREAKING_SPACES.sub(" ", text).strip(" ")
    if all(columns(char) == 1 for char in text):
        lines = textwrap.wrap(text, size, initial_indent=first, subsequent_indent=rest)
    else:
        # NOTE: the help's wrapper: Chinese breaks between characters, never before closing
        # punctuation nor after an opening bracket, and a word (an id, a code, a number) is never cut
        wrapper = WideTextWrapper(
            width=size, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False, break_long_words=False
        )
        lines = wrapper.wrap(text)
    return [line.replace(NO_BREAK, " ") for line in lines] or [first.rstrip()]


# -- wrapping help text (click's wrap_text, measured in display columns) ------------------------

_ANSI = re.compile(r"\033\[[0-?]*[ -/]*[@-~]")
#: Closing punctuation (full- and half-width): never at the start of a line, it stays with what it closes.
CLOSING = frozenset("，。、；：？！）》」』〉】〕〗］｝”’…·,.;:!?)]}>")
#: Opening brackets and quotes: never at the end of a line, they go with what they open.
OPENING = frozenset("（《「『〈【〔〖［｛“‘([{<")


def is_narrow(text: str) -> bool:
    """Whether every character of `text` takes one column (its display width is its length)."""
    return all(columns(char) == 1 for char in text)


def visible_width(text: str) -> int:
    """Display columns of `text` in a terminal: wide characters two, ANSI escapes none."""
    return width(_ANSI.sub("", text))


def _visible_prefix(text: str, size: int) -> str:
    """The longest start of `text` at most `size` columns wide (escape sequences kept whole)."""
    used = index = cut = 0
    while index < len(text):
        escape = _ANSI.match(text, index)
        if escape is not None:
            index = escape.end()
            continue
        used += columns(text[index])
        if used > size:
            break
        index += 1
        cut = index
    return text[:cut]


class WideTextWrapper(textwrap.TextWrapper):
    """click's help wrapper (textwrap's rules: whitespace and hyphens break, whitespace dropped at
    the ends of lines) measuring in display columns, and breaking Chinese between characters: never
    before closing punctuation (，。）」 …), never after an opening bracket (（「 …).
    NOTE: without a wide character, the chunks and lines are textwrap's own."""

    def _split(self, text: str) -> list[str]:
        chunks: list[str] = []
        for wide, run in itertools.groupby(text, key=lambda char: columns(char) == 2):
            if wide:
                chunks.extend(run)  # one chunk a character: Chinese breaks between any two
            else:
                chunks.extend(super()._split("".join(run)))
        glued: list[str] = []
        for chunk in chunks:
            after_word = bool(glued) and not glued[-1].isspace() and not chunk.isspace()
            if after_word and (chunk[0] in CLOSING or glued[-1][-1] in OPENING):
                glued[-1] += chunk
            else:
                glued.append(chunk)
        return glued

    def _handle_long_word(self, reversed_chunks: list[str], cur_line: list[str], cur_len: int, width: int) -> None:
        """A word wider than a line: as much of it as fits is cut onto this one (textwrap's rule).
        NOTE: click's own puts one character on a full line, a column too many."""
        if self.break_long_words:
            last = reversed_chunks[-1]
            cut = _visible_prefix(last, width - cur_len if width >= 1 else 1)
            if not cut and not cur_line:  # a wide character in a line one column wide: taken anyway
                cut = _visible_prefix(last, 2) or last
            cur_line.append(cut)
            reversed_chunks[-1] = last[len(cut) :]
        elif not cur_line:
            cur_line.append(reversed_chunks.pop())

    def _wrap_chunks(self, chunks: list[str]) -> list[str]:
        """textwrap's algorithm (without max_lines) with widths in display columns."""
        if self.width <= 0:
            raise ValueError(f"invalid width {self.width!r} (must be > 0)")
        if self.max_lines is not None:
            raise ValueError("max_lines is not supported")
        lines: list[str] = []
        chunks.reverse()
        while chunks:
            indent = self.subsequent_indent if lines else self.initial_indent
            room = self.width - visible_width(indent)
            if self.drop_whitespace and chunks[-1].strip() == "" and lines:
                del chunks[-1]
            cur_line: list[str] = []
            cur_len = 0
            while chunks and cur_len + visible_width(chunks[-1]) <= room:
                cur_len += visible_width(chunks[-1])
                cur_line.append(chunks.pop())
            if chunks and visible_width(chunks[-1]) > room:
                self._handle_long_word(chunks, cur_line, cur_len, room)
                if chunks and not chunks[-1]:
                    chunks.pop()
            while self.drop_whitespace and cur_line and cur_line[-1].strip() == "":
                del cur_line[-1]
            if cur_line:
                lines.append(indent + "".join(cur_line))
        return lines

    @contextmanager
    def extra_indent(self, indent: str) -> Iterator[None]:
        initial, subsequent = self.initial_indent, self.subsequent_indent
        self.initial_indent += indent
        self.subsequent_indent += indent
        try:
            yield
        finally:
            self.initial_indent, self.subsequent_indent = initial, subsequent

    def indent_only(self, text: str) -> str:
        return "\n".join(
            (self.subsequent_indent if index else self.initial_indent) + line
            for index, line in enumerate(text.splitlines())
        )


def wrap_text(
    text: str,
    size: int,
    initial_indent: str = "",
    subsequent_indent: str = "",
    preserve_paragraphs: bool = False,
    break_on_hyphens: bool = True,
) -> str:
    """`click.formatting.wrap_text` in display columns (WideTextWrapper): with `preserve_paragraphs`,
    paragraphs are kept apart (and their indent), and one whose first line is `\\b` is not rewrapped.
    Text without a wide character comes out as click's, but where click cuts a long word onto a
    line already full (see WideTextWrapper._handle_long_word)."""
    text = text.expandtabs()
    wrapper = WideTextWrapper(
        size,
        initial_indent=initial_indent,
        subsequent_indent=subsequent_indent,
        replace_whitespace=False,
        break_on_hyphens=break_on_hyphens,
    )
    if not preserve_paragraphs:
        return wrapper.fill(text)
    paragraphs: list[tuple[int, bool, str]] = []
    lines: list[str] = []
    indent: int | None = None

    def flush() -> None:
        if lines:
            raw = lines[0].strip() == "\b"
            paragraphs.append((indent or 0, raw, "\n".join(lines[1:]) if raw else " ".join(lines)))
            lines.clear()

    for line in text.splitlines():
        if not line:
            flush()
            indent = None
            continue
        if indent is None:
            stripped = line.lstrip()
            indent = visible_width(line) - visible_width(stripped)
            line = stripped
        lines.append(line)
    flush()
    out = []
    for extra, raw, paragraph in paragraphs:
        with wrapper.extra_indent(" " * extra):
            out.append(wrapper.indent_only(paragraph) if raw else wrapper.fill(paragraph))
    return "\n\n".join(out)
