"""A coarse grid over the globe whose cells are indexed as terms, to prefilter bbox queries.

Range clauses on four fast fields are exact but scan every document; a term set of the grid
cells a query box covers is answered from the inverted index and drives the intersection, so
the exact range clauses only check the candidates. Objects covering many cells (continents,
the whole globe, antimeridian crossers) are indexed as one ``big`` term and always checked.
"""

from __future__ import annotations

import math
import time

LEVELS = (2.0, 16.0)  # cell sizes in degrees, finest first
MAX_ITEM_CELLS = 64
MAX_QUERY_CELLS = 2048
MAX_QUERY_FRACTION = 0.25  # larger boxes gain nothing from a prefilter
BIG = "big"


def item_terms(bbox: tuple[float, float, float, float]) -> list[str]:
    """The cell terms to index for an object's bbox: its cells at every level (or that level's
    ``big`` term when it covers too many)."""
    west, south, east, north = bbox
    if not all(map(math.isfinite, bbox)) or west > east or south > north:
        return [f"{level}:{BIG}" for level in range(len(LEVELS))]
    terms: list[str] = []
    for level, size in enumerate(LEVELS):
        columns, rows = int(360.0 / size) - 1, int(180.0 / size) - 1
        x0 = min(columns, max(0, int((west + 180.0) // size)))
        x1 = min(columns, max(0, int((east + 180.0) // size)))
        y0 = min(rows, max(0, int((south + 90.0) // size)))
        y1 = min(rows, max(0, int((north + 90.0) // size)))
        if (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_ITEM_CELLS:
            terms.append(f"{level}:{BIG}")
        else:
            terms += [f"{level}:{x}:{y}" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return terms


def query_terms(bbox: tuple[float, float, float, float]) -> list[str] | None:
    """Cell terms covering a query bbox at the finest level where they are few, plus that
    level's ``big`` term; None when even the coarsest level would not narrow anything."""
    west, south, east, north = bbox
    boxes = [bbox] if west <= east else [(west, south, 180.0, north), (-180.0, south, east, north)]
    area = sum((b[2] - b[0]) * (b[3] - b[1]) for b in boxes)
    if area > MAX_QUERY_FRACTION * 360.0 * 180.0:
        return None
    for level, size in enumerate(LEVELS):
        covers = [_cells(box, size, MAX_QUERY_CELLS) for box in boxes]
        if all(c is not None for c in covers):
            cells = [c for cover in covers for c in cover or []]
            if len(cells) <= MAX_QUERY_CELLS:
                return [f"{level}:{c}" for c in cells] + [f"{level}:{BIG}"]
    return None


def _cells(bbox: tuple[float, float, float, float], size: float, limit: int) -> list[str] | None:
    west, south, east, north = bbox
    if not all(map(math.isfinite, bbox)) or west > east or south > north:
        return None
    x0, x1 = _index(west, -180.0, size, 360.0), _index(east, -180.0, size, 360.0)
    y0, y1 = _index(south, -90.0, size, 180.0), _index(north, -90.0, size, 180.0)
    if (x1 - x0 + 1) * (y1 - y0 + 1) > limit:
        return None
    return [f"{x}:{y}" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def _index(value: float, origin: float, size: float, span: float) -> int:
    count = int(span / size)
    return min(count - 1, max(0, int((value - origin) // size)))


# Time buckets: calendar months, indexed as terms for the same reason as the cells.
MAX_ITEM_MONTHS = 36
MAX_QUERY_MONTHS = 600
LONG = "long"
_EPOCH_YEAR = 1970


def month_terms(start: int, end: int) -> list[str]:
    """Month terms of an object's [start, end] (epoch microseconds), or ``long``."""
    found = _months(start, end, MAX_ITEM_MONTHS)
    return [LONG] if found is None else found


def query_months(start: int | None, end: int | None) -> list[str] | None:
    """Month terms covering a closed query interval; None for open or very long ones."""
    if start is None or end is None:
        return None
    return _months(start, end, MAX_QUERY_MONTHS)


def _months(start: int, end: int, limit: int) -> list[str] | None:
    first, last = _month(start), _month(end)
    if first is None or last is None or last < first or last - first + 1 > limit:
        return None
    return [f"m{m}" for m in range(first, last + 1)]


def _month(micros: int) -> int | None:
    try:
        moment = time.gmtime(micros // 1_000_000)
    except (OverflowError, OSError, ValueError):
        return None
    return (moment.tm_year - _EPOCH_YEAR) * 12 + moment.tm_mon - 1
