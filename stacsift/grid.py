"""Space and time buckets indexed as terms, so bbox and datetime filters rarely scan.

Range clauses on fast fields are exact but scan every document they are asked about. The index
therefore also holds, per object, the cells of a quadtree over the globe that its bbox touches
(at several depths) and the calendar months its interval touches. A query is covered by cells
(months) of three kinds:

- **inner** ones lie wholly inside the query: every object posted in them matches, no range
  check needed;
- **side** cells straddle its border: their objects are candidates, but only for the sides
  they straddle (a cell on the west border needs ``xmax >= west`` and nothing else), so most
  candidates take one range check instead of four;
- **edge** terms need the full exact check: the objects too big to be posted cell by cell
  (``big``, ``long``), and the months an interval only partly covers.

Cells are half-open (``[west, east)``, the last column and row closed at 180° and 90°), and
both an object's cells and a query's cells come from the same exact index computation, so an
object posted in an inner cell always touches the query.
"""

from __future__ import annotations

import calendar
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Literal

# Quadtree depths, finest first: a cell at depth d is 180 / 2**d degrees square
# (5.625°, 11.25°, 22.5°, 45°). Sizes are binary fractions, so cell bounds are exact floats.
# Measured at 200k items: every term a query names costs a lookup in every segment, and side
# checks make the candidates of coarser border cells cheap, so 5.625° beats 2.8125° here.
DEPTHS = (5, 4, 3, 2)
FINEST, COARSEST = DEPTHS[0], DEPTHS[-1]
FINEST_SIZE = 180.0 / (1 << FINEST)
MAX_ITEM_CELLS = 64
MAX_QUERY_TERMS = 1024
BIG = "big"

Box = tuple[float, float, float, float]
Side = Literal["west", "east", "south", "north"]
# The bounds of a query box that a border cell straddles: its objects pass when they reach
# past each of them (west: xmax >= value, east: xmin <= value, south: ymax >= value, ...).
Checks = tuple[tuple[Side, float], ...]


@dataclass(frozen=True)
class Cover:
    """The terms of a query: ``inner`` ones match outright, ``sides`` ones when their objects
    pass the checks they are listed under, ``edge`` ones when they pass the full exact check."""

    inner: list[str]
    edge: list[str]
    sides: dict[Checks, list[str]] = field(default_factory=dict)

    @property
    def terms(self) -> list[str]:
        """Every term of the cover, of whatever kind."""
        return [*self.inner, *self.edge, *(term for terms in self.sides.values() for term in terms)]


def _size(depth: int) -> float:
    return 180.0 / (1 << depth)


def _index(value: float, origin: float, size: float, count: int) -> int:
    """The cell of ``value`` on an axis: ``origin + i * size <= value < origin + (i+1) * size``,
    exactly (the division's rounding, at most one cell, is corrected against the exact cell
    bounds)."""
    i = int((value - origin) // size)
    if i < 0:
        return 0
    if i >= count:
        return count - 1
    if i > 0 and origin + i * size > value:
        return i - 1
    if i < count - 1 and origin + (i + 1) * size <= value:
        return i + 1
    return i


def _span(box: Box, depth: int) -> tuple[int, int, int, int]:
    """(x0, x1, y0, y1): the columns and rows of cells at ``depth`` that ``box`` touches."""
    west, south, east, north = box
    size = _size(depth)
    columns, rows = 2 << depth, 1 << depth
    return (
        _index(west, -180.0, size, columns),
        _index(east, -180.0, size, columns),
        _index(south, -90.0, size, rows),
        _index(north, -90.0, size, rows),
    )


def _in_world(box: Box) -> bool:
    west, south, east, north = box
    return -180.0 <= west <= east <= 180.0 and -90.0 <= south <= north <= 90.0


def cell_prefix(kind: str) -> str:
    """Collections' cells are terms of their own, so an item query's cells never match one."""
    return "" if kind == "item" else f"{kind}:"


def item_terms(bbox: Box, prefix: str = "") -> list[str]:
    """The cell terms of an object's bbox at every depth (or that depth's ``big`` term when it
    touches too many cells, or is not a box inside the world, NaN included)."""
    if not _in_world(bbox):
        return [f"{prefix}{depth}:{BIG}" for depth in DEPTHS]
    return list(_span_terms(prefix, *_span(bbox, FINEST)))


@lru_cache(maxsize=1 << 16)
def _span_terms(prefix: str, x0: int, x1: int, y0: int, y1: int) -> tuple[str, ...]:
    """The terms of the cells spanned by finest columns x0..x1 and rows y0..y1, at every depth.

    Objects are small next to the finest cells, so builds ask for the same few thousand spans
    over and over: they are made once."""
    terms: list[str] = []
    for depth in DEPTHS:  # cells nest exactly: a coarser cell's index is the finer one halved
        shift = FINEST - depth
        a, b, c, d = x0 >> shift, x1 >> shift, y0 >> shift, y1 >> shift
        if (b - a + 1) * (d - c + 1) > MAX_ITEM_CELLS:
            terms.append(f"{prefix}{depth}:{BIG}")
        else:
            terms += _cells(f"{prefix}{depth}", range(a, b + 1), range(c, d + 1))
    return tuple(terms)


def query_cover(bbox: Box, prefix: str = "", depths: tuple[int, ...] = DEPTHS) -> Cover | None:
    """Inner, side and edge cell terms of a query bbox (across 180° when west > east) at
    ``depths`` (finest first); the finest depth's ``big`` term is the only edge term. None when
    it would take too many terms.

    The cells inside the query form a rectangle at every depth; each depth contributes the
    part of its rectangle that the coarser depth's rectangle does not already cover, and the
    border cells are what the query touches at the finest depth outside its rectangle.
    """
    if not all(map(math.isfinite, bbox)):
        return None
    cover = Cover([], [f"{prefix}{depths[0]}:{BIG}"])
    for box in _world_parts(bbox):
        _cover_box(box, prefix, cover, depths)
        if len(cover.inner) + sum(map(len, cover.sides.values())) >= MAX_QUERY_TERMS:
            return None
    return cover


def _world_parts(bbox: Box) -> list[Box]:
    """A query bbox as boxes within the world: split at 180° when west > east, clipped."""
    west, south, east, north = bbox
    boxes = [bbox] if west <= east else [(west, south, 180.0, north), (-180.0, south, east, north)]
    return [clipped for clipped in map(_clip, boxes) if clipped is not None]


Rect = tuple[int, int, int, int]  # x0, x1, y0, y1 (inclusive; empty when x0 > x1 or y0 > y1)


def _cover_box(box: Box, prefix: str, cover: Cover, depths: tuple[int, ...]) -> None:
    coarser: Rect = (0, -1, 0, -1)
    for depth in reversed(depths):
        rect = _inside(box, depth)
        outer = (2 * coarser[0], 2 * coarser[1] + 1, 2 * coarser[2], 2 * coarser[3] + 1)
        cover.inner.extend(_frame(f"{prefix}{depth}", rect, outer))
        coarser = rect
    level = f"{prefix}{depths[0]}"
    columns, rows = _border_groups(box, depths[0])
    for column_checks, xs in columns:
        for row_checks, ys in rows:
            checks = column_checks + row_checks
            if checks and xs and ys:  # no checks: the finest inner rectangle, covered above
                cover.sides.setdefault(checks, []).extend(_cells(level, xs, ys))


def _border_groups(
    box: Box, depth: int
) -> tuple[list[tuple[Checks, range]], list[tuple[Checks, range]]]:
    """The columns and rows of cells at ``depth`` that ``box`` touches, grouped by the box
    bounds they straddle."""
    west, south, east, north = box
    x0, x1, y0, y1 = span = _span(box, depth)
    out_west, out_east, out_south, out_north = _sticking_out(box, depth, span)
    columns = _axis_groups(
        x0, x1, ("west", west) if out_west else None, ("east", east) if out_east else None
    )
    rows = _axis_groups(
        y0, y1, ("south", south) if out_south else None, ("north", north) if out_north else None
    )
    return columns, rows


def _axis_groups(
    first: int, last: int, low: tuple[Side, float] | None, high: tuple[Side, float] | None
) -> list[tuple[Checks, range]]:
    if first == last:
        return [(tuple(c for c in (low, high) if c is not None), range(first, first + 1))]
    groups: list[tuple[Checks, range]] = [
        ((), range(first + (low is not None), last - (high is not None) + 1))
    ]
    if low is not None:
        groups.append(((low,), range(first, first + 1)))
    if high is not None:
        groups.append(((high,), range(last, last + 1)))
    return groups


def _inside(box: Box, depth: int) -> Rect:
    """The cells at ``depth`` wholly inside ``box``."""
    x0, x1, y0, y1 = span = _span(box, depth)
    out_west, out_east, out_south, out_north = _sticking_out(box, depth, span)
    return x0 + out_west, x1 - out_east, y0 + out_south, y1 - out_north


def _sticking_out(box: Box, depth: int, span: Rect) -> tuple[bool, bool, bool, bool]:
    """Whether the first and last columns and rows of ``span`` reach past ``box``'s west,
    east, south and north bounds (then they straddle them)."""
    west, south, east, north = box
    size = _size(depth)
    x0, x1, y0, y1 = span
    return (
        -180.0 + x0 * size < west,
        -180.0 + (x1 + 1) * size > east,
        -90.0 + y0 * size < south,
        -90.0 + (y1 + 1) * size > north,
    )


def _frame(level: str, rect: Rect, hole: Rect) -> list[str]:
    """Terms of the cells of ``rect`` outside ``hole`` (a rectangle within it, or empty)."""
    x0, x1, y0, y1 = rect
    if x0 > x1 or y0 > y1:
        return []
    hx0, hx1, hy0, hy1 = hole
    if hx0 > hx1 or hy0 > hy1:
        return _cells(level, range(x0, x1 + 1), range(y0, y1 + 1))
    columns = range(x0, x1 + 1)
    return (
        _cells(level, columns, range(y0, hy0))
        + _cells(level, columns, range(hy1 + 1, y1 + 1))
        + _cells(level, range(x0, hx0), range(hy0, hy1 + 1))
        + _cells(level, range(hx1 + 1, x1 + 1), range(hy0, hy1 + 1))
    )


def _cells(level: str, columns: range, rows: range) -> list[str]:
    return [f"{level}:{x}:{y}" for x in columns for y in rows]


def _clip(box: Box) -> Box | None:
    west, south, east, north = box
    clipped = (max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))
    return clipped if clipped[0] <= clipped[2] and clipped[1] <= clipped[3] else None


# Time buckets: calendar months since 1970-01, covered by inner and edge terms like cells
# (an interval has no sides to check apart).
MAX_ITEM_MONTHS = 36
MAX_QUERY_MONTHS = 1200
LONG = "long"
SPAN = "span"
_EPOCH_YEAR = 1970


def month_terms(start: int, end: int) -> list[str]:
    """Month terms of an object's [start, end] (epoch microseconds), or ``long``; objects
    that are not instants also get ``span``, so that a generation knows whether it has any."""
    first = month_of(start)
    if end == start:  # an instant, the common case
        return [LONG] if first is None else [f"m{first}"]
    last = month_of(end)
    if first is None or last is None or last < first or last - first + 1 > MAX_ITEM_MONTHS:
        return [LONG, SPAN]
    return [*(f"m{m}" for m in range(first, last + 1)), SPAN]


def query_months(start: int, end: int) -> Cover | None:
    """Inner and edge month terms of a closed query interval (``long`` is an edge term);
    None for intervals too long to gain from the terms."""
    first, last = month_of(start), month_of(end)
    if first is None or last is None or last < first or last - first + 1 > MAX_QUERY_MONTHS:
        return None
    inner: list[str] = []
    edge: list[str] = [LONG]
    for month in range(first, last + 1):
        whole = month_within(month, start, end)
        (inner if whole else edge).append(f"m{month}")
    return Cover(inner, edge)


def month_of(micros: int) -> int | None:
    """The calendar month (since 1970-01) of an instant in epoch microseconds, if it has one."""
    try:
        moment = time.gmtime(micros // 1_000_000)
    except (OverflowError, OSError, ValueError):
        return None
    return (moment.tm_year - _EPOCH_YEAR) * 12 + moment.tm_mon - 1


def month_within(month: int, low: int | None, high: int | None) -> bool:
    """Whether ``month`` lies wholly within the interval [low, high] (None: open); not when
    it is beyond the calendar's years."""
    bounds = month_bounds(month)
    if bounds is None:
        return False
    first, last = bounds
    return (low is None or first >= low) and (high is None or last <= high)


def month_bounds(month: int) -> tuple[int, int] | None:
    """The first and last instant of ``month`` (epoch microseconds); None beyond the
    calendar's years."""
    try:
        return month_start(month), month_start(month + 1) - 1
    except (ValueError, OverflowError):
        return None


DAY = 86_400_000_000  # microseconds


def day_terms(start: int, end: int) -> list[str]:
    """``s<day>`` and ``e<day>``: the days (since 1970-01-01) of an object's start and of its
    end, each one term however long the object lasts; a window of days in the order of either
    is the union of its days' terms of that side. None for an instant beyond the calendar."""
    sides = (("s", day_of(start)), ("e", day_of(end)))
    return [f"{side}{day}" for side, day in sides if day is not None]


def day_of(micros: int) -> int | None:
    """The day (since 1970-01-01) of an instant in epoch microseconds, when it has a month."""
    return micros // DAY if month_of(micros) is not None else None


@cache
def month_start(month: int) -> int:
    """The first instant of ``month`` (epoch microseconds)."""
    year, index = divmod(month, 12)
    return calendar.timegm((_EPOCH_YEAR + year, index + 1, 1, 0, 0, 0)) * 1_000_000


# Cell-month terms: a coarse cell and a month at once, so that the objects of a few months in
# a box are a few short postings (stacsift.window) rather than the box's cells, which hold
# every month. ``x:y`` may be ``big`` and ``mN`` may be ``long``, as in the terms above.
WINDOW_DEPTH = 3  # 22.5° cells
MAX_ITEM_CELL_MONTHS = 64


def cell_month_terms(bbox: Box, start: int, end: int) -> list[str]:
    """``<cell>@<month>`` terms of an item: every coarse cell its bbox touches with every
    month its interval touches. When that is more than :data:`MAX_ITEM_CELL_MONTHS` terms,
    the shorter side stays and the other becomes ``big`` (its cells) or ``long`` (its months)."""
    cells = list(_window_cells(bbox))
    months = [term for term in month_terms(start, end) if term != SPAN]
    if len(cells) * len(months) > MAX_ITEM_CELL_MONTHS:
        if len(cells) <= len(months):
            months = [LONG]
        else:
            cells = [f"{WINDOW_DEPTH}:{BIG}"]
    return [f"{cell}@{month}" for cell in cells for month in months]


def _window_cells(bbox: Box) -> tuple[str, ...]:
    """The cell terms of ``bbox`` at :data:`WINDOW_DEPTH` (``big`` as for ``cells``)."""
    level = f"{WINDOW_DEPTH}:"
    return tuple(term for term in item_terms(bbox) if term.startswith(level))


def window_cover(cover: Cover, months: Iterable[int], long: bool) -> Cover:
    """The cell-month terms of the months ``months`` (and ``long`` ones) of a query's cover
    at :data:`WINDOW_DEPTH` (:func:`query_cover`): each cell keeps its kind."""

    suffixes = [*(f"m{month}" for month in months), *([LONG] if long else [])]

    def terms(cells: list[str]) -> list[str]:
        return [f"{cell}@{suffix}" for cell in cells for suffix in suffixes]

    sides = {checks: terms(cells) for checks, cells in cover.sides.items()}
    return Cover(terms(cover.inner), terms(cover.edge), sides)


def cell_shares(bbox: Box, depth: int) -> list[tuple[str, float]]:
    """The cells at ``depth`` that a query bbox touches (item terms of ``cells``), each with
    the share of its area inside the box (across 180° when west > east)."""
    size = _size(depth)
    shares: list[tuple[str, float]] = []
    for box in _world_parts(bbox):
        x0, x1, y0, y1 = _span(box, depth)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                cell = (-180.0 + x * size, -90.0 + y * size)
                shares.append((f"{depth}:{x}:{y}", _overlap(box, cell, size)))
    return shares


def sharpest_depth(bbox: Box, most: int) -> int:
    """The finest depth at which ``bbox`` touches at most ``most`` cells (else the coarsest)."""
    for depth in DEPTHS:
        x0, x1, y0, y1 = _span(bbox, depth)
        columns = x1 - x0 + 1 if bbox[0] <= bbox[2] else (2 << depth) - x0 + x1 + 1
        if columns * (y1 - y0 + 1) <= most:
            return depth
    return COARSEST


def _overlap(box: Box, corner: tuple[float, float], size: float) -> float:
    """The share of the cell of ``size`` at ``corner`` (its south-west) inside ``box``."""
    west, south, east, north = box
    width = min(east, corner[0] + size) - max(west, corner[0])
    height = min(north, corner[1] + size) - max(south, corner[1])
    return max(width, 0.0) * max(height, 0.0) / (size * size)
