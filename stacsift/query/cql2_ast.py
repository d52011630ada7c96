"""The syntax tree of a CQL2 filter, shared by the text and JSON parsers and the evaluator.

The tree follows CQL2-JSON: negated forms (``NOT LIKE``, ``NOT BETWEEN``, ``NOT IN``,
``IS NOT NULL``) are a :class:`Not` around the positive predicate, ``AND``/``OR`` are flat.
Literals are plain Python values (``str``, ``int``, ``float``, ``bool``) or the small classes
below; instants are epoch microseconds like the index's ``start``/``end`` fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stacsift.errors import InvalidParameter
from stacsift.index.documents import MAX_TIME, MIN_TIME, to_micros

# Bounds that keep parsing and evaluation linear and recursion shallow, whatever the input.
MAX_TEXT_LENGTH = 100_000  # characters of cql2-text (or of cql2-json given as a string)
MAX_DEPTH = 40  # nesting of parentheses, NOT, AND/OR, CASEI/ACCENTI and geometry collections
MAX_NODES = 50_000  # tokens of cql2-text, values of cql2-json
MAX_POSITIONS = 100_000  # coordinate positions in the geometry literals of one filter

DAY = 86_400_000_000  # microseconds

COMPARISONS = ("=", "<>", "<", "<=", ">", ">=")
SPATIAL_OPS = (
    "s_intersects",
    "s_disjoint",
    "s_contains",
    "s_within",
    "s_touches",
    "s_crosses",
    "s_overlaps",
    "s_equals",
)
TEMPORAL_OPS = (
    "t_after",
    "t_before",
    "t_contains",
    "t_disjoint",
    "t_during",
    "t_equals",
    "t_finishedby",
    "t_finishes",
    "t_intersects",
    "t_meets",
    "t_metby",
    "t_overlappedby",
    "t_overlaps",
    "t_startedby",
    "t_starts",
)
FOLDS = ("casei", "accenti")


@dataclass(frozen=True)
class Property:
    """A reference to an item field: ``id``, ``collection``, ``geometry`` or a property."""

    name: str


@dataclass(frozen=True)
class Instant:
    """``TIMESTAMP(…)`` or ``DATE(…)``; a date compares by UTC calendar day."""

    micros: int
    date: bool = False


@dataclass(frozen=True)
class Interval:
    """``INTERVAL(start, end)``, both ends included; an open end (``'..'``) is MIN/MAX_TIME."""

    start: int
    end: int


@dataclass(frozen=True)
class Geometry:
    """A geometry literal (WKT, GeoJSON or a bbox) as a prepared shapely geometry."""

    shape: Any


@dataclass(frozen=True)
class Fold:
    """``CASEI(x)`` or ``ACCENTI(x)``: compare strings ignoring case or accents."""

    kind: str
    arg: Scalar


Scalar = Property | Instant | Fold | str | int | float | bool
SpatialOperand = Property | Geometry
TemporalOperand = Property | Instant | Interval


@dataclass(frozen=True)
class And:
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    arg: Expr


@dataclass(frozen=True)
class Compare:
    op: str  # one of COMPARISONS
    left: Scalar
    right: Scalar


@dataclass(frozen=True)
class Like:
    value: Scalar
    pattern: Scalar


@dataclass(frozen=True)
class Between:
    value: Scalar
    low: Scalar
    high: Scalar


@dataclass(frozen=True)
class In:
    value: Scalar
    options: tuple[Scalar, ...]


@dataclass(frozen=True)
class IsNull:
    value: Scalar


@dataclass(frozen=True)
class Spatial:
    op: str  # one of SPATIAL_OPS
    left: SpatialOperand
    right: SpatialOperand


@dataclass(frozen=True)
class Temporal:
    op: str  # one of TEMPORAL_OPS
    left: TemporalOperand
    right: TemporalOperand


@dataclass(frozen=True)
class Const:
    """A bare ``TRUE`` or ``FALSE``."""

    value: bool


Expr = And | Or | Not | Compare | Like | Between | In | IsNull | Spatial | Temporal | Const


def invalid(message: str) -> InvalidParameter:
    """The error for a malformed filter (the caller raises it)."""
    return InvalidParameter("filter", message)


def combine(kind: type[And] | type[Or], args: list[Expr]) -> Expr:
    """``AND``/``OR`` of ``args``, flattened so that text and JSON give the same tree."""
    flat: list[Expr] = []
    for arg in args:
        flat.extend(arg.args if isinstance(arg, kind) else (arg,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def instant_micros(text: str) -> int | None:
    """RFC 3339 (leniently: any case, no zone means UTC, a date alone is midnight) → µs."""
    try:
        moment = datetime.fromisoformat(text.strip().upper())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return to_micros(moment)
    except (ValueError, OverflowError):
        return None


def is_date(text: str) -> bool:
    return _DATE.fullmatch(text.strip()) is not None


def timestamp_literal(text: object) -> Instant:
    micros = instant_micros(text) if isinstance(text, str) else None
    if micros is None:
        raise invalid(f"TIMESTAMP needs an RFC 3339 date-time, got {text!r}")
    return Instant(micros)


def date_literal(text: object) -> Instant:
    micros = instant_micros(text) if isinstance(text, str) and is_date(text) else None
    if micros is None:
        raise invalid(f"DATE needs a YYYY-MM-DD date, got {text!r}")
    return Instant(micros, date=True)


def interval_literal(start: object, end: object) -> Interval:
    """``INTERVAL`` from two strings: dates, date-times or ``'..'`` for an open end."""
    low = _interval_end(start, first=True)
    high = _interval_end(end, first=False)
    if low > high:
        raise invalid("the INTERVAL's start is after its end")
    return Interval(low, high)


def _interval_end(value: object, *, first: bool) -> int:
    if value in ("..", ""):
        return MIN_TIME if first else MAX_TIME
    micros = instant_micros(value) if isinstance(value, str) else None
    if micros is None:
        raise invalid(f"an INTERVAL end must be a date, a date-time or '..', got {value!r}")
    if not first and isinstance(value, str) and is_date(value):
        micros += DAY - 1  # a date as the end of an interval includes the whole day
    return micros
