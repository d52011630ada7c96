"""Pages ordered by a numeric property from windows of its values (stacsift.value_window)
equal the full search's, ties, missing values and later pages included, on a real index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from index_builder.build import build_objects
from index_builder.crawl import Crawled, CrawlReport
from stacsift import sort_windows, value_window, window
from stacsift.index import reader, schema
from stacsift.index.documents import parse_datetime
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query.params import SearchRequest, SortKey
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import Bucket, open_bucket
from tests.integration.test_filter_exactness import collection
from tests.integration.test_search_semantics import purpose_made
from tests.support.paging import pages, recorded

ITEMS = 300
# Values whose byte order is not their alphabetical order, in collections of a few values.
PLATFORMS = ("sentinel-2a", "Landsat-8", "landsat-9", "naip", "\u00df-sat", "Z1")
COLLECTIONS = ("pacific", "Atlantic", "arctic")


def _build(work: Path, unfiled: int = 0, spans: bool = False) -> Bucket:
    """Items with a cloud cover of distinct values, of a few tied values (gsd), and every
    seventh without either; a platform of a few values (every fifth without one), in one of
    three collections (with ``unfiled``, every ``unfiled``-th in none); some days apart, in no
    order of their values (with ``spans``, over two years instead of a month, every third
    lasting months and every ninth years, every tenth titled, and the collections' documents
    too)."""
    items = []
    for n in range(ITEMS):
        month = f"{2020 + n % 24 // 12}-{n % 12 + 1:02d}" if spans else "2020-01"
        item = purpose_made(
            f"v-{n:03d}", [0.0, 0.0, 1.0, 1.0], f"{month}-{n % 28 + 1:02d}T00:00:00Z"
        )
        if n % 7:
            item["properties"] |= {
                "eo:cloud_cover": (n * 97) % 1000 / 10,
                "gsd": (10, 30, 60)[n % 3],
            }
        if n % 5:
            item["properties"]["platform"] = PLATFORMS[(n * 7) % len(PLATFORMS)]
        item["collection"] = COLLECTIONS[(n * 11) % len(COLLECTIONS)]
        if unfiled and n % unfiled == 0:
            del item["collection"]
        if spans and n % 10 == 0:
            item["properties"]["title"] = "ocean swell"
        if spans and n % 3 == 0:
            start = item["properties"]["datetime"]
            end = f"{2022 + 5 * (n % 9 == 0)}-{n % 11 + 2:02d}-15T00:00:00Z"
            item["properties"] |= {"datetime": None, "start_datetime": start, "end_datetime": end}
        items.append(item)
    objects = [Crawled("Item", f"memory:{i['id']}", i) for i in items]
    if spans:
        objects += [_collection(name, text) for name, text in zip(COLLECTIONS, OCEANS, strict=True)]
    bucket = open_bucket(str(work / "root"), StoreSettings(), create=True)
    build_objects(objects, ["memory"], bucket, CrawlReport(), work)
    return bucket


OCEANS = ("ocean islands", "ocean", "ice")  # the collections' descriptions, with ``spans``


def _collection(name: str, description: str) -> Crawled:
    return Crawled("Collection", f"memory:{name}", collection(name) | {"description": description})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Bucket, Path]:
    work = tmp_path_factory.mktemp("valued")
    return _build(work), work


@pytest.fixture(scope="module")
def valued(built: tuple[Bucket, Path]) -> OpenIndex:
    bucket, work = built
    return IndexReader(bucket, work / "cache").current()


@pytest.fixture(scope="module")
def valued_6(tmp_path_factory: pytest.TempPathFactory) -> OpenIndex:
    """The same items in an index of format 6: windows range over the values' column."""
    work = tmp_path_factory.mktemp("valued-6")
    with schema.layout(6):
        bucket = _build(work)
    return IndexReader(bucket, work / "cache").current()


Paged = list[tuple[list[str], int | None]]


def _pages(index: OpenIndex, request: SearchRequest) -> Paged:
    return [([hit.obj["id"] for hit in page.hits], page.matched) for page in pages(index, request)]


def _windowed_as_full(
    index: OpenIndex,
    request: SearchRequest,
    monkeypatch: pytest.MonkeyPatch,
    first_share: float = value_window.FIRST_SHARE,
) -> Paged:
    """Pages the request to its end by the full search, then with value windows searched first
    (the index counted as big; a first window expected to hold ``first_share`` times the
    page): the same pages, in order, with the same counts, and windows answered pages (a sort
    by ``gsd``, three values, may have every page from its values' groups instead:
    stacsift.value_groups). Returns the pages."""
    monkeypatch.setattr(value_window, "windowed", lambda *_: None)
    full = _pages(index, request)
    monkeypatch.undo()
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    monkeypatch.setattr(sort_windows, "POSTED_PAY", 0)  # as on a big index
    monkeypatch.setattr(value_window, "FIRST_SHARE", first_share)
    answered = recorded(monkeypatch, value_window, "windowed")
    assert _pages(index, request) == full
    assert sum(len(ids) for ids, _ in full) == full[0][1]
    assert True in answered or any(key.field == "gsd" for key in request.sortby)
    return full


@pytest.mark.parametrize("first_share", [4.0, 0.01])
@pytest.mark.parametrize("name", ["eo:cloud_cover", "gsd"])
@pytest.mark.parametrize("descending", [False, True])
def test_value_windows_page_as_the_full_search_does(
    valued: OpenIndex,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    descending: bool,
    first_share: float,
) -> None:
    # GIVEN a sort by a numeric property
    request = SearchRequest(sortby=(SortKey(name, descending),), limit=9)
    # WHEN it is paged to its end by the full search, then with value windows first (a first
    # window expected to hold 4 times the page, or so narrow that it widens)
    # THEN the pages are the same, in order, with the same counts; windows answered pages
    full = _windowed_as_full(valued, request, monkeypatch, first_share)
    assert sum(len(ids) for ids, _ in full) == ITEMS and full[0][1] == ITEMS


@pytest.mark.parametrize("name", ["eo:cloud_cover", "gsd"])
@pytest.mark.parametrize("descending", [False, True])
def test_value_windows_check_a_wide_datetime_interval(
    valued: OpenIndex, monkeypatch: pytest.MonkeyPatch, name: str, descending: bool
) -> None:
    # GIVEN a sort by a numeric property within an interval holding most items
    interval = (parse_datetime("2020-01-04T00:00:00Z"), None)
    request = SearchRequest(sortby=(SortKey(name, descending),), datetime=interval, limit=9)
    # WHEN it is paged to its end by the full search, then with value windows first
    # THEN the pages are the same, in order, with the same counts; windows answered pages
    full = _windowed_as_full(valued, request, monkeypatch)
    matched = sum(len(ids) for ids, _ in full)
    assert 0 < matched < ITEMS and full[0][1] == matched


@pytest.mark.parametrize("collections", [("pacific",), ("arctic", "pacific")])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("wide", [False, True])
@pytest.mark.parametrize("indexed", ["valued", "valued_6"])
def test_value_windows_take_collections(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    indexed: str,
    collections: tuple[str, ...],
    descending: bool,
    wide: bool,
) -> None:
    # GIVEN a sort by a property of distinct values in some collections (of an index where
    # every item has one), within an interval holding most items or not, in pages small
    # enough for windows of the few items
    index = request.getfixturevalue(indexed)
    interval = (parse_datetime("2020-01-04T00:00:00Z"), None) if wide else None
    sort = (SortKey("eo:cloud_cover", descending),)
    search = SearchRequest(sortby=sort, collections=collections, datetime=interval, limit=2)
    # WHEN it is paged with value windows, which check the collections beside a window over
    # the values' terms (format 7), or exclude the other collections beside one over their
    # column (format 6)
    # THEN the pages are the full search's
    _windowed_as_full(index, search, monkeypatch)


@pytest.mark.parametrize("version", [6, 7])
def test_value_windows_keep_items_without_a_collection_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: int
) -> None:
    # GIVEN an index where every fourth item has no collection
    with schema.layout(version):
        bucket = _build(tmp_path, unfiled=4)
    index = IndexReader(bucket, tmp_path / "cache").current()
    # WHEN a sort by a numeric property in one collection is paged with value windows
    sort = (SortKey("eo:cloud_cover", False),)
    request = SearchRequest(sortby=sort, collections=("arctic",), limit=2)
    # THEN the pages are the full search's: the items of no collection (posted under "") are
    # excluded with the other collections (format 6), or not in the one asked for (format 7)
    _windowed_as_full(index, request, monkeypatch)


@pytest.mark.parametrize("name", ["id", "platform"])
def test_only_a_numeric_sort_in_collections_counts_its_ties(
    valued: OpenIndex, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # GIVEN an index counted as big
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    counted = recorded(monkeypatch, reader, "most_tied")
    # WHEN a sort by a property other than a number is filtered by a collection
    request = SearchRequest(sortby=(SortKey(name, False),), collections=("pacific",))
    page = search_items(valued, request)
    # THEN its page comes without counting how many items share a value (no window would use
    # it)
    assert page.hits and counted == []


@pytest.mark.parametrize(
    ("name", "filters"),
    [
        ("eo:cloud_cover", {"ids": ("v-001", "v-002")}),
        (
            "eo:cloud_cover",
            {
                "datetime": (
                    parse_datetime("2020-01-02T00:00:00Z"),
                    parse_datetime("2020-01-03T00:00:00Z"),
                )
            },
        ),
        ("gsd", {"collections": ("pacific",)}),
    ],
)
def test_a_filtered_sort_is_not_windowed(
    valued: OpenIndex, monkeypatch: pytest.MonkeyPatch, name: str, filters: dict[str, Any]
) -> None:
    # GIVEN an index counted as big
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    answered = recorded(monkeypatch, value_window, "windowed")
    # WHEN a sort by a numeric property is filtered by ids, by an interval holding few of the
    # items (windows would search the filter each time, or hold too few of its matches), or
    # by a collection when a third of the items share a value of the property (every one of
    # them would be checked against the other collections in the first window)
    request = SearchRequest(sortby=(SortKey(name, False),), **filters)
    page = search_items(valued, request)
    # THEN the full search answers it
    assert page.hits and answered == []
