"""Parse and validate search parameters given as strings (HTTP query, CLI) or JSON (POST body).

Every failure is an :class:`InvalidParameter` naming the parameter, so that the HTTP edge answers
400 and the CLI prints one line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from stacsift.errors import InvalidParameter
from stacsift.index.documents import to_micros
from stacsift.query import tokens
from stacsift.query.tokens import Cursor, Token

BBox = tuple[float, float, float, float]
MAX_DATETIME_CHARS = 100
# RFC 3339 date-time, as the STAC API requires (a date alone or no offset is refused).
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class SortKey:
    """One ``sortby`` entry: a field (``id``, ``collection`` or a property) and a direction."""

    field: str
    descending: bool = False


@dataclass(frozen=True)
class Fields:
    """The fields extension: dotted paths to include and to exclude."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchRequest:
    """A validated item (or collection) search."""

    q: str | None = None
    collections: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    bbox: BBox | None = None
    intersects: dict[str, Any] | None = None
    datetime: tuple[int | None, int | None] | None = None
    limit: int = 10
    token: Token | None = None  # the page to continue (stacsift.query.tokens)
    sortby: tuple[SortKey, ...] = ()
    fields: Fields | None = None
    filter: Any = None  # a parsed CQL2 expression (stacsift.query.cql2)

    @property
    def cursor(self) -> Cursor:
        return self.token.cursor if self.token is not None else Cursor()

    def fingerprint(self) -> str:
        """What a page token of this search must carry: every parameter but the page's own."""
        return tokens.fingerprint(replace(self, token=None, limit=0, fields=None))


def parse_bbox(value: str | Sequence[object] | None) -> BBox | None:
    """``west,south,east,north`` (or 6 numbers with heights); west > east crosses 180°."""
    if value is None or value == "":
        return None
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, list | tuple) or len(parts) not in (4, 6):
        raise InvalidParameter("bbox", "expected 4 or 6 comma-separated numbers")
    try:
        numbers = [float(p) for p in parts]
    except (TypeError, ValueError):
        raise InvalidParameter("bbox", f"not all numbers: {value!r}") from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter("bbox", "numbers must be finite")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise InvalidParameter("bbox", "longitudes must be within [-180, 180]")
    if not (-90 <= south <= north <= 90):
        raise InvalidParameter("bbox", "latitudes must be within [-90, 90] with south <= north")
    return west, south, east, north


def parse_datetime(
    value: str | None, *, dates: bool = False
) -> tuple[int | None, int | None] | None:
    """An RFC 3339 instant or interval ``start/end`` with ``..`` or empty for an open end.

    With ``dates`` (the command line), a full date alone (``2020-01-01``) is that whole UTC
    day, as people write it. The API refuses it with a 400, as the STAC API requires (and
    stac-api-validator checks)."""
    if value is None or value.strip() == "":
        return None
    if len(value) > MAX_DATETIME_CHARS:
        raise InvalidParameter("datetime", f"is longer than {MAX_DATETIME_CHARS} characters")
    text = value.strip()
    if "/" not in text:
        return _instant(text, dates), _instant(text, dates, end_of_day=True)
    start_text, _, end_text = text.partition("/")
    start = None if start_text in ("", "..") else _instant(start_text, dates)
    end = None if end_text in ("", "..") else _instant(end_text, dates, end_of_day=True)
    if start is None and end is None:
        raise InvalidParameter("datetime", "an interval needs at least one closed end")
    if start is not None and end is not None and start > end:
        raise InvalidParameter("datetime", "the interval's start is after its end")
    return start, end


_DAY = 86_400_000_000  # microseconds


def _instant(text: str, dates: bool = False, *, end_of_day: bool = False) -> int:
    """An RFC 3339 date-time, or (with ``dates``) a full date: its first microsecond (its last
    for the end of an interval)."""
    if dates and _FULL_DATE.match(text):
        try:
            start = to_micros(datetime.fromisoformat(text).replace(tzinfo=UTC))
        except ValueError:
            raise InvalidParameter("datetime", f"{text!r} is not a date") from None
        return start + _DAY - 1 if end_of_day else start
    if not _RFC3339.match(text):
        raise InvalidParameter("datetime", f"{text!r} is not an RFC 3339 date-time")
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        raise InvalidParameter("datetime", f"{text!r} is not an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_micros(moment)


def parse_limit(value: str | int | None, *, default: int, maximum: int) -> int:
    """A page size in ``1..maximum``; larger asks are capped (as the STAC API spec allows)."""
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameter("limit", f"must be a positive integer, got {value!r}") from None
    if limit < 1:
        raise InvalidParameter("limit", f"must be a positive integer, got {value!r}")
    return min(limit, maximum)


MAX_LIST_ENTRIES = 1_000  # ids, collections
MAX_ENTRY_CHARS = 1_024


def parse_list(
    name: str, value: str | list[object] | None, maximum: int = MAX_LIST_ENTRIES
) -> tuple[str, ...]:
    """A comma-separated string or a JSON array of strings: at most ``maximum`` of them, each
    at most :data:`MAX_ENTRY_CHARS` long."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        found = tuple(v.strip() for v in value.split(",") if v.strip())
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        found = tuple(str(v) for v in value)
    else:
        raise InvalidParameter(name, "expected a list of strings")
    if len(found) > maximum:
        raise InvalidParameter(name, f"has more than {maximum} entries")
    if any(len(v) > MAX_ENTRY_CHARS for v in found):
        raise InvalidParameter(name, f"has an entry longer than {MAX_ENTRY_CHARS} characters")
    return found
