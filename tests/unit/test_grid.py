"""Cell and month terms: a query's cover (inner terms, side terms with their checks, edge terms
with the exact check) finds exactly the objects it overlaps, boundaries included, and an object
posted in an inner term always overlaps it."""

from __future__ import annotations

import calendar

from hypothesis import given
from hypothesis import strategies as st

from stacsift import grid
from stacsift.index.documents import parse_datetime

Box = tuple[float, float, float, float]

# Values on the cell bounds of every depth are where off-by-one mistakes live: draw them often
# (and the midpoints of the finest cells, which are bounds of no cell).
HALF_CELL = grid.FINEST_SIZE / 2
ALIGNED_LON = st.integers(0, int(360 / HALF_CELL)).map(lambda i: -180.0 + i * HALF_CELL)
ALIGNED_LAT = st.integers(0, int(180 / HALF_CELL)).map(lambda i: -90.0 + i * HALF_CELL)
LON = st.floats(min_value=-180, max_value=180) | ALIGNED_LON
LAT = st.floats(min_value=-90, max_value=90) | ALIGNED_LAT


def box(a: float, b: float, c: float, d: float) -> Box:
    return min(a, b), min(c, d), max(a, b), max(c, d)


BOXES = st.builds(box, LON, LON, LAT, LAT)
SMALL_BOXES = st.builds(
    lambda w, s, dx, dy: (w, s, min(180.0, w + dx), min(90.0, s + dy)),
    LON,
    LAT,
    st.floats(0, 3),
    st.floats(0, 3),
)


def overlaps(item: Box, query: Box) -> bool:
    west, south, east, north = query
    lat = item[1] <= north and item[3] >= south
    if west <= east:
        return lat and item[0] <= east and item[2] >= west
    return lat and (item[2] >= west or item[0] <= east)


def passes(item: Box, checks: grid.Checks) -> bool:
    reach = {
        "west": lambda v: item[2] >= v,
        "east": lambda v: item[0] <= v,
        "south": lambda v: item[3] >= v,
        "north": lambda v: item[1] <= v,
    }
    return all(reach[side](value) for side, value in checks)


def check_cover(item: Box, query: Box) -> None:
    cover = grid.query_cover(query)
    assert cover is not None
    terms = set(grid.item_terms(item))
    inner = bool(terms & set(cover.inner))
    sides = any(terms & set(cells) and passes(item, c) for c, cells in cover.sides.items())
    edge = bool(terms & set(cover.edge)) and overlaps(item, query)
    assert (inner or sides or edge) == overlaps(item, query)
    if inner:
        assert overlaps(item, query), "an inner term lets a disjoint object through"


@given(SMALL_BOXES | BOXES, BOXES)
def test_cover_finds_exactly_the_overlapping_objects(item: Box, query: Box) -> None:
    check_cover(item, query)


@given(SMALL_BOXES, st.builds(box, LON, LON, LAT, LAT).filter(lambda b: b[0] < b[2]))
def test_cover_across_the_antimeridian(item: Box, query: Box) -> None:
    west, south, east, north = query
    check_cover(item, (east, south, west, north))


def test_query_on_cell_bounds_touches_the_neighbours() -> None:
    # GIVEN a query whose east side is exactly a cell bound (0° is one at every depth)
    query = (-10.0, 10.0, 0.0, 20.0)
    # THEN an object starting exactly there overlaps and is found, one just beyond is not inner
    check_cover((0.0, 12.0, 1.0, 13.0), query)
    check_cover((1e-9, 12.0, 1.0, 13.0), query)
    cover = grid.query_cover(query)
    assert cover is not None
    assert not set(grid.item_terms((1e-9, 12.0, 1.0, 13.0))) & set(cover.inner)


def test_large_queries_are_mostly_inner_cells() -> None:
    cover = grid.query_cover((-180.0, -90.0, 180.0, 90.0))
    assert cover is not None
    assert cover.edge == [f"{grid.FINEST}:{grid.BIG}"]
    coarsest_cells = (2 << grid.COARSEST) * (1 << grid.COARSEST)
    assert len(cover.inner) == coarsest_cells  # nothing finer
    assert not cover.sides


def test_objects_outside_the_world_are_only_big() -> None:
    outside = grid.item_terms((185.0, 0.0, 186.0, 1.0))
    assert outside == [f"{depth}:{grid.BIG}" for depth in grid.DEPTHS]
    cover = grid.query_cover((170.0, 0.0, 180.0, 1.0))
    assert cover is not None
    assert set(outside) & set(cover.edge)
    assert not set(outside) & set(cover.inner)


def test_unbounded_values_have_no_cover() -> None:
    assert grid.query_cover((float("nan"), 0.0, 1.0, 1.0)) is None


# Months: times in epoch microseconds, month bounds drawn often.
MONTH_BOUNDS = st.integers(480, 720).map(
    lambda m: calendar.timegm((1970 + m // 12, m % 12 + 1, 1, 0, 0, 0)) * 1_000_000
)
TIMES = st.integers(1_262_304_000_000_000, 1_893_456_000_000_000) | MONTH_BOUNDS
MOMENTS = TIMES | TIMES.map(lambda t: t - 1)


def interval(a: int, b: int) -> tuple[int, int]:
    return min(a, b), max(a, b)


@given(st.builds(interval, MOMENTS, MOMENTS), st.builds(interval, MOMENTS, MOMENTS))
def test_months_find_exactly_the_overlapping_objects(
    item: tuple[int, int], query: tuple[int, int]
) -> None:
    cover = grid.query_months(*query)
    assert cover is not None
    terms = set(grid.month_terms(*item))
    overlap = item[0] <= query[1] and item[1] >= query[0]
    if overlap:
        assert terms & (set(cover.inner) | set(cover.edge))
    if terms & set(cover.inner):
        assert overlap


def test_month_terms() -> None:
    start = parse_datetime("2019-12-31T23:00:00Z")
    end = parse_datetime("2020-02-01T00:00:00Z")
    assert start is not None and end is not None
    assert grid.month_terms(start, end) == ["m599", "m600", "m601", grid.SPAN]
    assert grid.month_terms(0, end) == [grid.LONG, grid.SPAN]
    assert grid.month_terms(start, start) == ["m599"]  # an instant: no span
    cover = grid.query_months(start, end)
    assert cover is not None
    assert cover.inner == ["m600"]  # all of January 2020
    assert cover.edge == [grid.LONG, "m599", "m601"]


def test_very_long_query_intervals_have_no_month_cover() -> None:
    assert grid.query_months(0, 2**62) is None


def test_cells_are_exact_where_the_division_rounds() -> None:
    # GIVEN an object just west of the bound at 0° ((-5e-324 + 180) rounds to 180.0)
    tiny = -5e-324
    item = (tiny, 10.0, tiny, 10.5)
    # THEN it is not posted east of 0°, so a query starting at 0° does not take it as inner
    check_cover(item, (0.0, 0.0, 30.0, 30.0))
    west_of_zero = (1 << grid.FINEST) - 1  # columns start at -180°: 0° begins column 2**FINEST
    row = int(100.0 // grid.FINEST_SIZE)  # 10°N is 100° north of the first row
    assert f"{grid.FINEST}:{west_of_zero}:{row}" in grid.item_terms(item)


def test_border_cells_are_checked_only_on_the_sides_they_straddle() -> None:
    # GIVEN a query whose bounds all fall inside finest cells
    size = grid.FINEST_SIZE
    query = (0.5 * size, 0.5 * size, 4.5 * size, 3.5 * size)
    cover = grid.query_cover(query)
    assert cover is not None
    # THEN corner cells are checked on two sides, other border cells on one
    assert sorted(len(checks) for checks in cover.sides) == [1, 1, 1, 1, 2, 2, 2, 2]
    west = cover.sides[(("west", query[0]),)]
    assert len(west) == 2  # the two rows between the corners
    # AND an object in a west border cell that reaches the query passes with one check
    check_cover((0.4 * size, 1.2 * size, 0.6 * size, 1.3 * size), query)
    check_cover((0.1 * size, 1.2 * size, 0.4 * size, 1.3 * size), query)
