"""CQL2 ``LIKE``: ``%`` matches any run of characters, ``_`` one character, ``\\`` escapes.

Patterns come from users, so they never become backtracking regexes: a pattern is split at its
``%`` into pieces of fixed length, the first must start the value, the last must end it, and the
middle ones are found left to right (the leftmost place is always the best one). Each piece is a
regex without repetition, so matching costs at most the value's length times the pattern's.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple


class _Pattern(NamedTuple):
    first: re.Pattern[str]
    middle: tuple[re.Pattern[str], ...]
    last: re.Pattern[str] | None  # None when the pattern has no "%"
    last_width: int


def like(value: str, pattern: str) -> bool:
    """Whether ``value`` matches the LIKE ``pattern`` (case-sensitive)."""
    first, middle, last, last_width = _compile(pattern)
    if last is None:
        return first.fullmatch(value) is not None
    head = first.match(value)
    if head is None:
        return False
    at, end = head.end(), len(value) - last_width
    if end < at or last.fullmatch(value, end) is None:
        return False
    for piece in middle:
        found = piece.search(value, at, end)
        if found is None:
            return False
        at = found.end()
    return True


@lru_cache(maxsize=256)
def _compile(pattern: str) -> _Pattern:
    pieces: list[list[str]] = [[]]  # one regex element per character matched
    chars = iter(pattern)
    for char in chars:
        if char == "%":
            pieces.append([])
        elif char == "_":
            pieces[-1].append(".")
        else:
            literal = next(chars, "\\") if char == "\\" else char
            pieces[-1].append(re.escape(literal))
    regexes = [re.compile("".join(piece), re.DOTALL) for piece in pieces]
    if len(pieces) == 1:
        return _Pattern(regexes[0], (), None, 0)
    middle = tuple(r for r, piece in zip(regexes[1:-1], pieces[1:-1], strict=True) if piece)
    return _Pattern(regexes[0], middle, regexes[-1], len(pieces[-1]))
