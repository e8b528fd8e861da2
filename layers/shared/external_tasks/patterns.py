"""What the service accepts in a text, as regular expressions that Python's ``re`` and JSON Schema's
``pattern`` (ECMA-262) read alike: the code checks input with them or with what they are built from, and
tools/openapi.py puts them in openapi/openapi.json, so that the document is exactly as strict as the service.

Characters are written as ``\\uXXXX`` escapes, never in the pattern's text. Where the code compares text in
any letter case (``str.lower``), a pattern lists every character that lowers to the letter: the Kelvin sign
lowers to ``k``, so ``UNKNOWN`` with one is ``unknown``. Where it strips white space (``str.strip``), a
pattern allows the characters Python counts as white space, which are not only ASCII's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

type Ranges = Sequence[tuple[int, int]]

# The characters no text may hold (docs/api.md: Limits): control characters but TAB, LF and CR; surrogates;
# and
# U+FFFE/U+FFFF, which no XML document can carry.
_FORBIDDEN: Ranges = (
    (0x00, 0x08),
    (0x0B, 0x0C),
    (0x0E, 0x1F),
    (0x7F, 0x9F),
    (0xD800, 0xDFFF),
    (0xFFFE, 0xFFFF),
)
# What str.strip() and re's \s count as white space.
_WHITESPACE: Ranges = (
    (0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
    (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip


def _escape(code: int) -> str:
    return f"\\u{code:04x}"


def _ranges(ranges: Ranges) -> str:
    """A character class's contents for ``ranges``, merged: ``\\u0009-\\u000d\\u0020``."""
    merged: list[list[int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return "".join(_escape(low) if low == high else f"{_escape(low)}-{_escape(high)}" for low, high in merged)


def _minus(ranges: Ranges, removed: Ranges) -> list[tuple[int, int]]:
    """The code points of ``ranges`` that are not in ``removed``."""
    kept = list(ranges)
    for cut_low, cut_high in removed:
        kept = [
            part
            for low, high in kept
            for part in ((low, min(high, cut_low - 1)), (max(low, cut_high + 1), high))
            if part[0] <= part[1]
        ]
    return kept


FORBIDDEN = f"[{_ranges(_FORBIDDEN)}]"
# Surrogates are no characters: JSON Schema's strings (and the Rust regex engine Schemathesis validates
# with) hold none, so the patterns of a document leave them out; the service refuses a text with one anyway.
_SURROGATES = ((0xD800, 0xDFFF),)
_REFUSED = _minus(_FORBIDDEN, _SURROGATES)
TEXT_CHARACTER = f"[^{_ranges(_REFUSED)}]"
# Any text a body may hold (docs/api.md: Limits).
TEXT = f"^{TEXT_CHARACTER}*$"
# White space as Python strips it, in a query parameter (where any character may come) ...
WHITESPACE = f"[{_ranges(_WHITESPACE)}]"
# ... and in a body, where the white space that is also a control character is refused before.
BODY_WHITESPACE = f"[{_ranges(_minus(_WHITESPACE, _FORBIDDEN))}]"
# A character of a body's text that is not white space.
BODY_VISIBLE = f"[^{_ranges([*_REFUSED, *_WHITESPACE])}]"
UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


# Characters other than a letter's two ASCII cases that str.lower() turns into it (tests/unit/test_patterns.py
# checks every code point).
_OTHER_SPELLINGS = {"k": "\u212a"}  # KELVIN SIGN


def any_case(word: str) -> str:
    """``word`` in any letter case, as ``str.lower`` compares: ``[Ss][Tt][Ee][Pp][Ss]``."""
    parts = []
    for letter in word:
        if not letter.isascii() or not letter.isalpha():
            parts.append(letter if letter.isalnum() or letter == "_" else f"\\{letter}")
            continue
        others = "".join(_escape(ord(other)) for other in _OTHER_SPELLINGS.get(letter, ""))
        parts.append(f"[{letter.upper()}{letter}{others}]")
    return "".join(parts)


def whitespace_and(characters: str) -> str:
    """A character class: white space as Python strips it, and ``characters``."""
    return f"[{_ranges(_WHITESPACE)}{characters}]"


def one_of(words: Iterable[str]) -> str:
    """One of ``words``, in any letter case."""
    return "(?:" + "|".join(any_case(word) for word in words) + ")"


def padded(inner: str, space: str) -> str:
    """The whole text: ``inner`` with any white space (``space``) around it, as ``str.strip`` takes it off."""
    return f"^{space}*{inner}{space}*$"
