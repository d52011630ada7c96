"""What may be signed and for how long: the allow-list and the expiry bounds (pure logic).

The allow-list is written ``bucket`` or ``bucket/prefix``, comma-separated. A prefix is a folder:
``cogs/public`` allows ``cogs/public/a.tif`` and everything below it, never ``cogs/public-old/…``.
Bucket names match exactly, on every endpoint the deployment signs for. An empty list allows
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from stacsift.errors import InvalidParameter, NotAllowed
from stacsift.signing.hrefs import ObjectRef

MAX_EXPIRES_LIMIT = 7 * 24 * 3600  # SigV4 refuses presigned URLs valid for longer than a week
DEFAULT_EXPIRES = 3600
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,61}[A-Za-z0-9]$")


@dataclass(frozen=True, slots=True)
class AllowRule:
    """One allow-list entry: a whole bucket (``prefix`` empty) or a folder in it."""

    bucket: str
    prefix: str = ""  # "" or "folder/sub/" (always ending with "/")

    def __str__(self) -> str:
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket


class AllowList:
    """The buckets and folders that may be signed; everything else is refused with a reason."""

    def __init__(self, rules: Iterable[AllowRule]) -> None:
        self.rules = tuple(rules)
        self._by_bucket: dict[str, tuple[str, ...]] = {}
        for rule in self.rules:
            self._by_bucket[rule.bucket] = (*self._by_bucket.get(rule.bucket, ()), rule.prefix)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def check(self, ref: ObjectRef, href: str) -> None:
        """Raise :class:`NotAllowed`, naming the reason, unless ``ref`` is allow-listed."""
        prefixes = self._by_bucket.get(ref.bucket)
        if prefixes is None:
            raise NotAllowed(href, f"bucket {ref.bucket!r} is not in the presign allow-list")
        if not any(ref.key.startswith(prefix) for prefix in prefixes):
            allowed = ", ".join(f"{ref.bucket}/{p}" for p in prefixes)
            raise NotAllowed(
                href, f"key {ref.key!r} is outside the allow-listed prefixes ({allowed})"
            )


def parse_allow(text: str) -> AllowList:
    """``"bucket-a, bucket-b/cogs"`` → an :class:`AllowList`; malformed entries are refused."""
    return AllowList(_rule(entry.strip()) for entry in text.split(",") if entry.strip())


def _rule(entry: str) -> AllowRule:
    bucket, _, prefix = entry.removeprefix("s3://").partition("/")
    if not _BUCKET.match(bucket):
        raise InvalidParameter("allow", f"{entry!r}: {bucket!r} is not a valid bucket name")
    prefix = prefix.strip("/")
    segments = prefix.split("/") if prefix else []
    if any(s in ("", ".", "..") for s in segments):
        raise InvalidParameter("allow", f"{entry!r}: empty, '.' or '..' folder in the prefix")
    return AllowRule(bucket, f"{prefix}/" if prefix else "")


def parse_expires(raw: object, *, default: int, maximum: int) -> int:
    """Seconds a signed URL stays valid: ``default`` when not given, else 1 … ``maximum``."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InvalidParameter("expires", "must be a whole number of seconds")
    text = str(raw).strip()
    if not text.isdigit() or not text.isascii() or len(text) > 12:
        raise InvalidParameter("expires", f"must be a whole number of seconds, got {_short(raw)}")
    value = int(text)
    if value < 1:
        raise InvalidParameter("expires", "must be at least 1 second")
    if value > maximum:
        raise InvalidParameter("expires", f"must be at most {maximum} seconds, got {value}")
    return value


def _short(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else f"{text[:40]}…"
