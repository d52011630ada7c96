"""Every kind of window (time, in a box, a sort's values, a text sort's first values) pages a
request exactly as the full search does, for requests drawn at random: a sort (or none),
collections, a datetime interval, a bbox and a page size, on a real index counted as big or
not."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacsift import value_window, window
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query.params import SearchRequest, SortKey
from tests.integration.test_value_windows import COLLECTIONS, _build, _pages
from tests.support.paging import recorded

SORTS = (None, "datetime", "end_datetime", "eo:cloud_cover", "gsd", "platform", "collection")


@pytest.fixture(scope="module")
def spread(tmp_path_factory: pytest.TempPathFactory) -> OpenIndex:
    """The value-window test items over two years, every ninth in no collection, every third
    lasting months or years."""
    work: Path = tmp_path_factory.mktemp("agree")
    return IndexReader(_build(work, unfiled=9, spans=True), work / "cache").current()


FIRST_DAY = 1_577_836_800_000_000  # 2020-01-01T00:00:00Z, epoch microseconds


def _day(day: int) -> int:
    """Day ``day`` of the items' two years (1 to 730)."""
    return FIRST_DAY + (day - 1) * 86_400_000_000


# every item's bbox is [0, 0, 1, 1]: a box holding them, one touching their corner, one apart
BOXES = (None, (-10.0, -10.0, 10.0, 10.0), (1.0, 1.0, 30.0, 30.0), (40.0, 40.0, 50.0, 50.0))
requests = st.builds(
    lambda sort, descending, collections, days, bbox, limit: SearchRequest(
        sortby=() if sort is None else (SortKey(sort, descending),),
        collections=tuple(sorted(collections)),
        datetime=None if days is None else (_day(min(days)), _day(max(days))),
        bbox=bbox,
        limit=limit,
    ),
    st.sampled_from(SORTS),
    st.booleans(),
    st.sets(st.sampled_from((*COLLECTIONS, "", "nowhere")), max_size=2),
    st.none() | st.tuples(st.integers(1, 730), st.integers(1, 730)),
    st.sampled_from(BOXES),
    st.integers(3, 8),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(request=requests, first_share=st.sampled_from([value_window.FIRST_SHARE, 0.05]))
def test_windows_page_as_the_full_search_does(
    spread: OpenIndex, monkeypatch: pytest.MonkeyPatch, request: SearchRequest, first_share: float
) -> None:
    # GIVEN a request's pages from the full search alone (the index counted as small)
    with monkeypatch.context() as patched:
        patched.setattr(window, "MIN_OBJECTS", 10**9)
        full = _pages(spread, request)
    # WHEN the index counts as big, so that windows answer where they pay (a sort's first
    # value window expected to hold 4 times the page, or so narrow that it widens)
    with monkeypatch.context() as patched:
        patched.setattr(window, "MIN_OBJECTS", 1)
        patched.setattr(value_window, "FIRST_SHARE", first_share)
        windowed = _pages(spread, request)
    # THEN the pages are the same, in order, with the same counts
    assert windowed == full
    assert sum(len(ids) for ids, _ in full) == full[0][1]


def test_the_drawn_requests_reach_value_windows(
    spread: OpenIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an index counted as big
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    answered = recorded(monkeypatch, value_window, "windowed")
    # WHEN one of the requests drawn above (a sort by a number, in a collection) is paged
    sort = (SortKey("eo:cloud_cover", True),)
    _pages(spread, SearchRequest(sortby=sort, collections=("arctic",), limit=3))
    # THEN value windows answered some of its pages: the property above covers them
    assert True in answered
