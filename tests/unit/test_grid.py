"""Grid and month terms: a query's terms always include every term of an object it overlaps."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stacsift import grid
from stacsift.index.documents import parse_datetime

LON = st.floats(min_value=-180, max_value=180)
LAT = st.floats(min_value=-90, max_value=90)


def box(a: float, b: float, c: float, d: float) -> tuple[float, float, float, float]:
    return min(a, b), min(c, d), max(a, b), max(c, d)


@given(st.tuples(LON, LON, LAT, LAT), st.tuples(LON, LON, LAT, LAT))
def test_overlapping_boxes_share_a_term(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> None:
    item, query = box(*a), box(*b)
    overlaps = not (
        item[2] < query[0] or item[0] > query[2] or item[3] < query[1] or item[1] > query[3]
    )
    terms = grid.query_terms(query)
    if overlaps and terms is not None:
        assert set(grid.item_terms(item)) & set(terms)


def test_antimeridian_query_covers_both_sides() -> None:
    terms = grid.query_terms((179.0, 0.0, -179.0, 1.0))
    assert terms is not None
    assert set(grid.item_terms((179.5, 0.2, 179.6, 0.3))) & set(terms)
    assert set(grid.item_terms((-179.5, 0.2, -179.4, 0.3))) & set(terms)


def test_huge_boxes_skip_the_prefilter() -> None:
    assert grid.query_terms((-180.0, -90.0, 180.0, 90.0)) is None


def test_months() -> None:
    start = parse_datetime("2019-12-31T23:00:00Z")
    end = parse_datetime("2020-02-01T00:00:00Z")
    assert start is not None and end is not None
    assert grid.month_terms(start, end) == ["m599", "m600", "m601"]
    assert grid.month_terms(0, end) == [grid.LONG]
    assert grid.query_months(start, None) is None
