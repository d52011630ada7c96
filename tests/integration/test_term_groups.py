"""Pages ordered by a text property (stacsift.term_groups) or a number (stacsift.value_groups)
on a real index: values in order (in bytes for text; items lacking one last), each value's
items newest first, every match once, counted exactly; the same pages whether time windows or
tantivy's sort find a value's items, and (text) whether the generation's first values hold
the page or the request's matches are counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from index_builder.build import build_objects
from index_builder.crawl import Crawled, CrawlReport
from stacsift import grouped, term_groups, window
from stacsift.index import stats
from stacsift.index.documents import item_interval, parse_datetime
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query import cql2
from stacsift.query.params import SearchRequest, SortKey
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import Bucket, open_bucket
from tests.integration.test_search_semantics import purpose_made
from tests.integration.test_value_windows import _build
from tests.support.paging import pages


@pytest.fixture(scope="module")
def spread(tmp_path_factory: pytest.TempPathFactory) -> Bucket:
    """Items over two years (some lasting months), every fifth without a platform."""
    work: Path = tmp_path_factory.mktemp("term-groups")
    return _build(work, spans=True)


FILTERS: list[dict[str, Any]] = [
    {},
    {"collections": ("arctic", "pacific")},
    {"collections": ("arctic",)},
    {"datetime": (parse_datetime("2020-06-01T00:00:00Z"), None)},
    {"filter": cql2.parse("eo:cloud_cover < 50", "cql2-text")},
    {"bbox": (-10.0, -10.0, 10.0, 10.0)},
    {"q": "ocean"},
]
Keyed = list[list[tuple[str, str | None, int]]]  # per page: (id, value, start) of each result


def _keyed(index: OpenIndex, request: SearchRequest, name: str) -> tuple[Keyed, int | None]:
    """Every page of the request: its results' ids, sort values and starts; and its count."""
    paged = list(pages(index, request))
    keyed = [
        [(o["id"], o.get(name) or o["properties"].get(name), _start(o)) for o in page.features]
        for page in paged
    ]
    return keyed, paged[0].matched


def _start(obj: dict[str, Any]) -> int:
    return item_interval(obj["properties"])[0]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
@pytest.mark.parametrize(
    "name", ["platform", "collection", "constellation", "gsd", "eo:cloud_cover"]
)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("listed", [64, 2])
def test_sorts_page_each_value_newest_first(
    spread: Bucket,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    filters: dict[str, Any],
    name: str,
    descending: bool,
    listed: int,
) -> None:
    # GIVEN a sort by a text property or a number, with a filter or none (text: the
    # generation's first values listed up to 64 or 2, later pages are beyond those)
    monkeypatch.setattr(stats, "FIRST_TERMS", listed)
    request = SearchRequest(sortby=(SortKey(name, descending),), limit=7, **filters)
    # WHEN it is paged to its end on an index counted as small (tantivy sorts each value's
    # items by time) and as big (time windows find them)
    found = []
    for objects in (10**9, 1):
        monkeypatch.setattr(window, "MIN_OBJECTS", objects)
        found.append(
            _keyed(IndexReader(spread, tmp_path / f"cache-{objects}").current(), request, name)
        )
    # THEN the pages are the same
    assert found[0] == found[1]
    keyed, matched = found[0]
    results = [result for page in keyed for result in page]
    # AND they hold every match once, as counted
    everything = search_items(
        IndexReader(spread, tmp_path / "cache").current(), SearchRequest(limit=1000, **filters)
    )
    assert sorted(i for i, _, _ in results) == sorted(f["id"] for f in everything.features)
    assert matched == len(results) == everything.matched
    assert results
    # AND in order: by value (in either direction; without one last), then newest first
    for (_, value, start), (_, later, later_start) in pairwise(results):
        if value is None or later is None:
            assert later is None
            if value is None:
                assert start >= later_start
        elif value == later:
            assert start >= later_start
        else:
            assert (value > later) if descending else (value < later)


def _indexed(work: Path, items: list[dict[str, Any]]) -> OpenIndex:
    objects = [Crawled("Item", f"memory:{item['id']}", item) for item in items]
    bucket = open_bucket(str(work / "root"), StoreSettings(), create=True)
    build_objects(objects, ["memory"], bucket, CrawlReport(), work)
    return IndexReader(bucket, work / "cache").current()


@pytest.mark.parametrize("limit", [3, 5])
@pytest.mark.parametrize("shared", [grouped.FIRST_SHARED, 0])
def test_negative_zero_sorts_as_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, shared: int
) -> None:
    # GIVEN items whose cloud cover is 0.0 or -0.0 (equal numbers, which tantivy's ranges
    # tell apart), and others
    items = []
    for n in range(20):
        item = purpose_made(f"z-{n:02d}", [0.0, 0.0, 1.0, 1.0], f"2020-01-{n + 1:02d}T00:00:00Z")
        item["properties"]["eo:cloud_cover"] = (0.0, -0.0)[n % 2] if n < 12 else float(n)
        items.append(item)
    index = _indexed(tmp_path, items)
    monkeypatch.setattr(grouped, "FIRST_SHARED", shared)  # the first value's items first, or not
    # WHEN a sort by it is paged to its end
    request = SearchRequest(sortby=(SortKey("eo:cloud_cover"),), limit=limit)
    keyed, matched = _keyed(index, request, "eo:cloud_cover")
    # THEN every item comes once, the zeros first, newest first
    ids = [i for page in keyed for i, _, _ in page]
    assert sorted(ids) == sorted(item["id"] for item in items) and matched == 20
    assert ids[:12] == [f"z-{n:02d}" for n in range(11, -1, -1)]


@pytest.mark.parametrize("name", ["platform", "collection"])
def test_a_page_of_many_values_ends_early(
    spread: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # GIVEN a sort by a text property in pages of 70 (longer than some of its values' runs),
    # paged to its end
    request = SearchRequest(sortby=(SortKey(name),), limit=70)
    index = IndexReader(spread, tmp_path / "cache").current()
    whole, matched = _keyed(index, request, name)
    # WHEN a page may search one value only
    monkeypatch.setattr(term_groups, "MAX_GROUPS", 1)
    early, _ = _keyed(index, request, name)
    # THEN its pages end early, each with one value (and items lacking one), and hold the
    # same results in order
    assert len(early) > len(whole) and all(early)
    assert all(len({value for _, value, _ in page} - {None}) <= 1 for page in early)
    results = [result for page in early for result in page]
    assert results == [result for page in whole for result in page] and len(results) == matched


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("first_matches", [0, 2, 9])
def test_a_first_value_that_does_not_fill_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, descending: bool, first_matches: int
) -> None:
    # GIVEN items of two platforms over two years, on an index that time windows search:
    # the generation's first platform (in the sort's direction) has few items of cloud cover
    # below 50, its newest (none, two, or more than a page)
    first, second = ("zeta", "alpha") if descending else ("alpha", "zeta")
    items, start = [], datetime(2019, 1, 1, tzinfo=UTC)
    for n in range(240):
        when = (start + timedelta(days=3 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        item = purpose_made(f"p-{n:03d}", [0.0, 0.0, 1.0, 1.0], when)
        firsts = n % 2 == 0
        low = not firsts or n >= 240 - 2 * first_matches
        item["properties"]["platform"] = first if firsts else second
        item["properties"]["eo:cloud_cover"] = 10.0 if low else 90.0
        items.append(item)
    index = _indexed(tmp_path, items)
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    # WHEN the items below 50 are sorted by platform in pages of 5
    cloudless = cql2.parse("eo:cloud_cover < 50", "cql2-text")
    request = SearchRequest(sortby=(SortKey("platform", descending),), limit=5, filter=cloudless)
    keyed, matched = _keyed(index, request, "platform")
    # THEN the first platform's matches come first, newest first, then the other's, all
    # counted
    results = [(i, value) for page in keyed for i, value, _ in page]
    ones = [f"p-{n:03d}" for n in range(238, -1, -2) if n >= 240 - 2 * first_matches]
    others = [f"p-{n:03d}" for n in range(239, 0, -2)]
    assert results == [(i, first) for i in ones] + [(i, second) for i in others]
    assert matched == len(ones) + len(others)


@pytest.mark.parametrize("name", ["platform", "collection", "datetime", None])
def test_words_are_counted_below_the_count_limit(
    spread: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str | None
) -> None:
    # GIVEN words matching most items (some directly, most through their collection), and a
    # count limit of one more than they match, below the index's items
    index = IndexReader(spread, tmp_path / "cache").current()
    words = SearchRequest(q="ocean", limit=1)
    matches = search_items(index, words, count_limit=10**6).matched
    items = search_items(index, SearchRequest(limit=1), count_limit=10**6).matched
    assert matches is not None and items is not None and matches + 1 < items
    # WHEN a first page sorted by a text property (by time, or by relevance) is counted on an
    # index time windows search
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    sortby = () if name is None else (SortKey(name),)
    request = SearchRequest(q="ocean", sortby=sortby, limit=5)
    page = search_items(index, request, count_limit=matches + 1)
    # THEN every match is counted, exactly
    assert (page.matched, page.at_least) == (matches, False)
