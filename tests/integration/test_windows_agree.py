"""Every shortcut of a search pages a request exactly as the full search does: windows of time
(in a box too), of a sort's values, of a text sort's first values, and pages from the direct
matches of words. Requests are drawn at random (words or none, a sort or none, collections, a
datetime interval, a bbox, a page size) and paged to their end on a real index counted as big,
then as small."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacsift import id_sorted, sort_windows, value_window, window
from stacsift.index import schema
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query.params import SearchRequest, SortKey
from tests.integration.test_value_windows import COLLECTIONS, _build, _pages
from tests.support.paging import recorded

SORTS = (None, "datetime", "end_datetime", "eo:cloud_cover", "gsd", "platform", "collection", "id")


@pytest.fixture(scope="module")
def spreads(tmp_path_factory: pytest.TempPathFactory) -> dict[int, OpenIndex]:
    """The value-window test items over two years, every ninth in no collection, every third
    lasting months or years, and their collections, in an index of format 7 and one of format
    6 (windows of a number's values range over its terms on 7, over its column on 6)."""
    indexes = {}
    for version in (6, 7):
        work: Path = tmp_path_factory.mktemp(f"agree-{version}")
        with schema.layout(version):
            bucket = _build(work, unfiled=9, spans=True)
        indexes[version] = IndexReader(bucket, work / "cache").current()
    return indexes


@pytest.fixture(scope="module")
def spread(spreads: dict[int, OpenIndex]) -> OpenIndex:
    return spreads[schema.FORMAT_VERSION]


FIRST_DAY = 1_577_836_800_000_000  # 2020-01-01T00:00:00Z, epoch microseconds


def _day(day: int) -> int:
    """Day ``day`` of the items' two years (1 to 730)."""
    return FIRST_DAY + (day - 1) * 86_400_000_000


# an item's text holds its id and collection: words of a collection, of all items, a prefix;
# "ocean" titles every tenth item and describes two collections, "islands" one
WORDS = ("pacific", "arctic OR atlantic", "v", "00*", "ocean", "islands OR swell")
# every item's bbox is [0, 0, 1, 1]: a box holding them, one touching their corner, one apart
BOXES = (None, (-10.0, -10.0, 10.0, 10.0), (1.0, 1.0, 30.0, 30.0), (40.0, 40.0, 50.0, 50.0))


def requests(words: st.SearchStrategy[str | None]) -> st.SearchStrategy[SearchRequest]:
    """Requests with ``words``, a sort or none, collections, an interval, a bbox, a page size."""
    return st.builds(
        lambda q, sort, descending, collections, days, bbox, limit: SearchRequest(
            q=q,
            sortby=() if sort is None else (SortKey(sort, descending),),
            collections=tuple(sorted(collections)),
            datetime=None if days is None else (_day(min(days)), _day(max(days))),
            bbox=bbox,
            limit=limit,
        ),
        words,
        st.sampled_from(SORTS),
        st.booleans(),
        st.sets(st.sampled_from((*COLLECTIONS, "", "nowhere")), max_size=2),
        st.none() | st.tuples(st.integers(1, 730), st.integers(1, 730)),
        st.sampled_from(BOXES),
        st.integers(3, 8),
    )


def _shortcuts_as_full(
    index: OpenIndex, monkeypatch: pytest.MonkeyPatch, request: SearchRequest, first_share: float
) -> None:
    """The request's pages from the full search alone (the index counted as small), then with
    windows where they pay (counted as big; a sort's first value window expected to hold
    ``first_share`` times the page): the same pages, in order, with the same counts."""
    with monkeypatch.context() as patched:
        patched.setattr(window, "MIN_OBJECTS", 10**9)
        full = _pages(index, request)
    with monkeypatch.context() as patched:
        patched.setattr(window, "MIN_OBJECTS", 1)
        patched.setattr(sort_windows, "POSTED_PAY", 0)  # as on a big index
        patched.setattr(value_window, "FIRST_SHARE", first_share)
        windowed = _pages(index, request)
    assert windowed == full
    assert sum(len(ids) for ids, _ in full) == full[0][1]


SHARES = st.sampled_from([value_window.FIRST_SHARE, 0.05])  # as is, or so narrow it widens
DRAWN = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@DRAWN
@given(request=requests(st.none()), first_share=SHARES, version=st.sampled_from((6, 7)))
def test_windows_page_as_the_full_search_does(
    spreads: dict[int, OpenIndex],
    monkeypatch: pytest.MonkeyPatch,
    request: SearchRequest,
    first_share: float,
    version: int,
) -> None:
    # GIVEN a request without words, on an index of format 6 or 7
    # WHEN it is paged with windows and without
    # THEN the pages are the same
    _shortcuts_as_full(spreads[version], monkeypatch, request, first_share)


@DRAWN
@given(request=requests(st.sampled_from(WORDS)), first_share=SHARES)
def test_direct_matches_page_as_the_full_search_does(
    spread: OpenIndex, monkeypatch: pytest.MonkeyPatch, request: SearchRequest, first_share: float
) -> None:
    # GIVEN a request with words (matching items directly, through their collection, or both)
    # WHEN it is paged from direct matches and time windows where they pay, and without
    # THEN the pages are the same
    _shortcuts_as_full(spread, monkeypatch, request, first_share)


@pytest.mark.parametrize("q", [None, "v"])
def test_the_drawn_requests_reach_value_windows(
    spread: OpenIndex, monkeypatch: pytest.MonkeyPatch, q: str | None
) -> None:
    # GIVEN an index counted as big
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    monkeypatch.setattr(sort_windows, "POSTED_PAY", 0)  # as on a big index
    answered = recorded(monkeypatch, value_window, "windowed")
    # WHEN one of the requests drawn above (a sort by a number, in a collection, with words
    # or without) is paged
    sort = (SortKey("eo:cloud_cover", True),)
    _pages(spread, SearchRequest(q=q, sortby=sort, collections=("arctic",), limit=2))
    # THEN value windows answered some of its pages: the property above covers them
    assert True in answered


@pytest.mark.parametrize("descending", [False, True])
def test_the_drawn_requests_reach_the_listed_ids(
    spread: OpenIndex, monkeypatch: pytest.MonkeyPatch, descending: bool
) -> None:
    # GIVEN an index counted as big
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    answered = recorded(monkeypatch, id_sorted, "_listed")
    # WHEN one of the requests drawn above (a sort by id, in an interval) is paged
    days = (_day(1), _day(400))
    _pages(spread, SearchRequest(sortby=(SortKey("id", descending),), datetime=days, limit=3))
    # THEN the generation's first ids answered its first pages, and not its last ones: the
    # property above covers both
    assert answered[0] and False in answered
