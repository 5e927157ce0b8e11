"""Laying out text for a terminal: display widths, padding and wrapping that know Chinese."""

from __future__ import annotations

import re
import textwrap
import unicodedata

WIDTH = 96
_TOKENS = re.compile(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+|\s+")
#: Punctuation a Chinese line never starts with: it hangs at the end of the line before instead.
_NO_LINE_START = set("，。、；：？！）》」』”’…·")


def columns(char: str) -> int:
    """Terminal columns of one character: East Asian wide characters take two."""
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def width(text: str) -> int:
    return sum(columns(char) for char in text)


def pad(text: str, size: int) -> str:
    return text + " " * max(0, size - width(text))


def wrap(text: str, first: str, rest: str, size: int = WIDTH) -> list[str]:
    """Wrap to `size` columns with a first-line and a continuation indent. Text with Chinese in it
    (no spaces, two columns a character) breaks between characters, never inside a word."""
    text = " ".join(text.split())
    if all(columns(char) == 1 for char in text):
        return textwrap.wrap(text, size, initial_indent=first, subsequent_indent=rest) or [first.rstrip()]
    lines, line, used = [], first, len(first)
    for token in _TOKENS.findall(text):
        token_width = width(token)
        if used + token_width > size and line.strip() and token not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = rest, len(rest)
            if token.isspace():
                continue
        line += token
        used += token_width
    return lines + [line.rstrip()]
