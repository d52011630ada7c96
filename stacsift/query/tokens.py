"""Page tokens: signed, bounded, and pinned to the generation they were made on.

A token says where a page starts (:class:`Cursor`): after a value of the sort key, skipping the
results that share exactly that value and were already returned. A deep page is then a range
clause on the sort field plus a short skip, never an offset into everything before it. Results
ordered by relevance have no key to continue after; their pages end at :data:`MAX_SKIP`.

The payload is compact JSON, base64url-encoded, followed by an HMAC-SHA256 tag of it under the
deployment's key. Tokens are checked before they are decoded, and decoded values are checked
again (a leaked key must not buy a crash): a token this API did not issue is a 400 naming
``token``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
from dataclasses import dataclass
from typing import Any

import orjson

from stacsift.errors import InvalidParameter

MAX_SKIP = 10_000  # results sharing one sort value (or ranked by relevance) a page may skip
MAX_TOKEN_CHARS = 2_000
MAX_KEY_CHARS = 1_024  # a string sort value in a token (ids, collection ids)
_TAG_BYTES = 16
_VERSION = 1


class Missing:
    """The sort value of results that lack the sort field (they come last in either order)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()
Value = int | float | str | Missing


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after results of sort value ``after`` (None: from the first result),
    skipping the first ``skip`` results of exactly that value (or of all, without ``after``)."""

    after: Value | None = None
    skip: int = 0

    @property
    def at_start(self) -> bool:
        return self.after is None and self.skip == 0


@dataclass(frozen=True)
class Token:
    """A page request: the generation, the page's cursor, the previous page's cursor (for a
    ``prev`` link, one page back), the number of matches counted on the first page (or a lower
    bound of it), and the fingerprint of the search it continues."""

    generation: int
    cursor: Cursor
    back: Cursor | None = None
    matched: int | None = None
    search: str = ""
    at_least: bool = False  # ``matched`` is a lower bound (the search counted no further)


def derive_key(root: str) -> bytes:
    """The signing key of an index root when no ``STACSIFT_TOKEN_KEY`` is set.

    Not secret (anyone who knows the root can forge tokens); tokens are bounded and checked
    after decoding as well, so a forged token can only ask for what a request could.
    """
    return hashlib.sha256(b"stacsift-page-token\x00" + root.encode()).digest()


def encode(token: Token, key: bytes) -> str:
    payload = orjson.dumps(
        [
            _VERSION,
            token.generation,
            *_cursor_json(token.cursor),
            *(_cursor_json(token.back) if token.back else [None, None]),
            {"ge": token.matched} if token.at_least else token.matched,
            token.search,
        ]
    )
    tag = hmac.new(key, payload, hashlib.sha256).digest()[:_TAG_BYTES]
    return f"{_b64(payload)}.{_b64(tag)}"


def decode(text: str, key: bytes) -> Token:
    """The token ``text`` stands for, or InvalidParameter("token", …)."""
    if len(text) > MAX_TOKEN_CHARS:
        raise _invalid()
    payload_text, _, tag_text = text.partition(".")
    try:
        payload, tag = _unb64(payload_text), _unb64(tag_text)
    except (binascii.Error, ValueError):
        raise _invalid() from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:_TAG_BYTES]
    if not hmac.compare_digest(tag, expected):
        raise _invalid()
    try:
        raw = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise _invalid() from None
    if not isinstance(raw, list) or len(raw) != 8 or raw[0] != _VERSION:
        raise _invalid()
    _, generation, after, skip, back_after, back_skip, matched, search = raw
    back = None if back_skip is None else _cursor(back_after, back_skip)
    if not isinstance(search, str) or len(search) > 64:
        raise _invalid()
    at_least = isinstance(matched, dict)
    count = _optional_count(matched.get("ge") if isinstance(matched, dict) else matched)
    if at_least and (count is None or len(matched) != 1):
        raise _invalid()
    return Token(_count(generation), _cursor(after, skip), back, count, search, at_least)


def _cursor_json(cursor: Cursor) -> list[Any]:
    after = cursor.after
    return [{"m": 1} if after is MISSING else after, cursor.skip]


def _cursor(after: object, skip: object) -> Cursor:
    if not isinstance(skip, int) or isinstance(skip, bool) or not 0 <= skip <= MAX_SKIP:
        raise _invalid()
    return Cursor(_value(after), skip)


def fingerprint(parts: object) -> str:
    """A short digest of a search's parameters (their ``repr``), so that a token is only
    accepted by the search that issued it."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _value(raw: object) -> Value | None:
    if raw is None or raw == {"m": 1}:
        return None if raw is None else MISSING
    if isinstance(raw, bool):
        raise _invalid()
    if isinstance(raw, int) and -(2**63) <= raw < 2**63:
        return raw
    if isinstance(raw, float) and math.isfinite(raw):
        return raw
    if isinstance(raw, str) and len(raw) <= MAX_KEY_CHARS:
        return raw
    raise _invalid()


def _count(raw: object) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw < 2**63:
        raise _invalid()
    return raw


def _optional_count(raw: object) -> int | None:
    return None if raw is None else _count(raw)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _invalid() -> InvalidParameter:
    return InvalidParameter("token", "is not a page token this API issued")
