"""bbox and datetime filters through the cell and month terms give exactly what a brute-force
check of every item gives, and windowed newest-first pages equal a full sort.

Items are made to sit where mistakes happen: on cell bounds, spanning many cells, across the
antimeridian, beyond the world, on month bounds, open-ended, without a bbox or geometry; the
real NAIP items are added.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
import pytest
from shapely.geometry import shape

from index_builder.build import build_objects
from index_builder.crawl import Crawled, CrawlReport
from stacsift import grid, window
from stacsift.index.documents import item_bbox, item_interval, parse_datetime
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query import cql2, translate
from stacsift.query.params import SearchRequest, SortKey
from stacsift.query.tokens import Cursor, Token
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.conftest import FIXTURES
from tests.support.paging import pages
from tests.support.windows import windows_on_small_indexes

NAIP_ITEMS = FIXTURES / "items/planetary-computer-naip/naip-items.ndjson"
CELL = grid.FINEST_SIZE / 2  # multiples of it are cell bounds (every other one) or midpoints
Box = tuple[float, float, float, float]
TITLES = ("alpha", "beta", "gamma alpha", "delta")


def made_item(number: int, rng: random.Random) -> dict[str, Any]:
    kind = number % 6
    if kind == 0:  # on cell bounds
        west = -180.0 + CELL * rng.randrange(0, 128)
        south = -90.0 + CELL * rng.randrange(0, 60)
        bbox = [west, south, west + CELL * rng.choice([0, 1, 2]), south + CELL]
    elif kind == 1:  # big
        west, south = rng.uniform(-180, 100), rng.uniform(-90, 30)
        bbox = [west, south, west + rng.uniform(20, 80), south + rng.uniform(20, 60)]
    elif kind == 2 and number % 60 == 2:  # across the antimeridian, or beyond the world
        bbox = [175.0, 10.0, -175.0, 12.0] if number % 120 == 2 else [181.0, 5.0, 182.0, 6.0]
    elif kind == 5 and number % 50 == 5:  # nowhere: no bbox, no geometry
        bbox = None
    else:
        west, south = rng.uniform(-180, 179), rng.uniform(-90, 89)
        bbox = [west, south, west + rng.uniform(0, 1), south + rng.uniform(0, 1)]
    month = rng.randrange(0, 120)
    when = f"{2015 + month // 12}-{month % 12 + 1:02d}-01T00:00:00Z"
    properties: dict[str, Any] = {
        "datetime": when if number % 3 else None,
        "gsd": number % 4 * 10.0,
        "title": TITLES[number % len(TITLES)],
    }
    if number % 3 == 0:
        properties["start_datetime"] = when
        properties["end_datetime"] = None if number % 30 == 0 else "2030-01-01T00:00:00Z"
    if number % 7 == 0:
        properties["datetime"] = (
            f"2019-{rng.randrange(1, 13):02d}-{rng.randrange(1, 28):02d}T12:00Z"
        )
    if number == 1:  # far in the future: the newest window of its collection holds only it
        properties["datetime"] = "2100-01-01T00:00:00Z"
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"made-{number:05d}",
        "collection": f"made-{number % 2}",
        "bbox": bbox,
        "geometry": None,
        "properties": properties,
        "links": [],
        "assets": {},
    }


def collection(collection_id: str) -> dict[str, Any]:
    return {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": collection_id,
        "description": "made",
        "license": "CC0-1.0",
        "extent": {
            "spatial": {"bbox": [[-180, -90, 180, 90]]},
            "temporal": {"interval": [["2015-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    rng = random.Random(7)
    made = [made_item(n, rng) for n in range(4000)]
    naip = [orjson.loads(line) for line in NAIP_ITEMS.read_bytes().splitlines() if line.strip()]
    return made + naip


def built(items: list[dict[str, Any]], work: Path) -> OpenIndex:
    objects = [Crawled("Collection", "memory:c", collection(c)) for c in ("made-0", "made-1")]
    objects += [Crawled("Item", f"memory:{i['id']}", i) for i in items]
    bucket = open_bucket(str(work / "root"), StoreSettings(), create=True)
    build_objects(objects, ["memory"], bucket, CrawlReport(), work)
    return IndexReader(bucket, work / "cache").current()


@pytest.fixture(scope="module")
def index(items: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> OpenIndex:
    return built(items, tmp_path_factory.mktemp("exact"))


def is_instant(item: dict[str, Any]) -> bool:
    start, end = item_interval(item["properties"])
    return start == end


@pytest.fixture(scope="module")
def instant_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if is_instant(i)]


@pytest.fixture(scope="module")
def instant_index(
    instant_items: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> OpenIndex:
    """Only instants (like most imagery catalogs): datetime filters take one range clause."""
    return built(instant_items, tmp_path_factory.mktemp("instants"))


def overlaps_box(item: dict[str, Any], query: Box) -> bool:
    bbox = item_bbox(item)
    if bbox is None:
        return False
    west, south, east, north = query
    if not (bbox[1] <= north and bbox[3] >= south):
        return False
    if west <= east:
        return bbox[0] <= east and bbox[2] >= west
    return bbox[2] >= west or bbox[0] <= east


def overlaps_time(item: dict[str, Any], query: tuple[int | None, int | None]) -> bool:
    start, end = item_interval(item["properties"])
    low, high = query
    return (high is None or start <= high) and (low is None or end >= low)


def queries(
    rng: random.Random,
) -> Iterator[tuple[Box | None, tuple[int | None, int | None] | None]]:
    moments = [parse_datetime(f"{y}-{m:02d}-01T00:00:00Z") for y in (2016, 2019) for m in (1, 7)]
    # and bounds inside months, whose objects need an exact check of that bound
    moments += [parse_datetime(t) for t in ("2017-03-15T12:00:00Z", "2018-10-20T06:30:00Z")]
    for _ in range(40):
        if rng.random() < 0.3:
            west = -180.0 + CELL * rng.randrange(0, 120)
            south = -90.0 + CELL * rng.randrange(0, 56)
            box: Box = (west, south, west + CELL * rng.randrange(1, 9), south + CELL * 4)
        else:
            west, south = rng.uniform(-180, 170), rng.uniform(-90, 80)
            box = (west, south, min(180.0, west + rng.uniform(0, 90)), min(90.0, south + 40))
        yield box, None
        start, end = sorted(rng.sample([m for m in moments if m is not None], 2))
        yield box, (start, end - 1)
        yield None, (start, None)
        yield None, (None, end)
        yield box, (start, None)
    yield (170.0, 0.0, -170.0, 20.0), None  # across the antimeridian
    yield (-180.0, -90.0, 180.0, 90.0), None  # the whole world


def test_filters_match_a_brute_force_check(items: list[dict[str, Any]], index: OpenIndex) -> None:
    assert not index.stats("item").instants
    check_against_brute_force(items, index)


def test_filters_on_instants_match_a_brute_force_check(
    instant_items: list[dict[str, Any]], instant_index: OpenIndex
) -> None:
    assert instant_index.stats("item").instants
    check_against_brute_force(instant_items, instant_index)


def check_against_brute_force(items: list[dict[str, Any]], index: OpenIndex) -> None:
    # WHEN searching with each filter, THEN exactly the items a check of each one accepts
    # come back, and nothing else; most queries match something: the comparison is not vacuous
    assert _brute_force_checked(items, index, list(queries(random.Random(11)))) > 100


Filters = Sequence[tuple[Box | None, tuple[int | None, int | None] | None]]


def _brute_force_checked(
    items: list[dict[str, Any]],
    index: OpenIndex,
    filters: Filters,
    q: str | None = None,
    words: frozenset[str] = frozenset(),
) -> int:
    """Search with each (bbox, interval) (and ``q``), asserting that exactly the items that
    pass those filters (and have one of ``words`` in their title) match; how many searches
    found any."""
    checked = 0
    for box, interval in filters:
        request = SearchRequest(q=q, bbox=box, datetime=interval, limit=10_000)
        page = search_items(index, request)
        expected = {
            i["id"]
            for i in items
            if (q is None or words & set(i["properties"].get("title", "").split()))
            and (box is None or overlaps_box(i, box))
            and (interval is None or overlaps_time(i, interval))
        }
        got = [f["id"] for f in page.features]
        assert len(got) == len(set(got)) == page.matched, (box, interval)
        assert set(got) == expected, (box, interval, len(set(got) ^ expected))
        checked += bool(expected)
    return checked


# words searched against the titles they are in (a prefix among them)
TEXTS = [("alpha", {"alpha"}), ("delta OR gam*", {"delta", "gamma"})]


@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize(("q", "words"), TEXTS)
def test_text_in_a_box_matches_a_brute_force_check(
    items: list[dict[str, Any]],
    index: OpenIndex,
    monkeypatch: pytest.MonkeyPatch,
    q: str,
    words: set[str],
    big: bool,
) -> None:
    # GIVEN an index counted as big (pages from direct matches first) or not
    if big:
        monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    # WHEN searching words in a box (the box checks the words in its border cells)
    boxed = [(box, i) for box, i in queries(random.Random(13)) if box is not None]
    # THEN exactly the items with the words in their title, in the box and time, match
    assert _brute_force_checked(items, index, boxed, q, frozenset(words)) > 50


@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize(("q", "words"), TEXTS)
def test_text_in_an_interval_matches_a_brute_force_check(
    items: list[dict[str, Any]],
    index: OpenIndex,
    monkeypatch: pytest.MonkeyPatch,
    q: str,
    words: set[str],
    big: bool,
) -> None:
    # GIVEN an index counted as big or not, and a record of how intervals are searched
    if big:
        monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    months = _months_used(monkeypatch)
    # WHEN searching words in a datetime interval
    timed = [(b, i) for b, i in queries(random.Random(17)) if b is None and i is not None]
    # THEN exactly the items with the words in their title, in the interval, match
    assert _brute_force_checked(items, index, timed, q, frozenset(words)) > 50
    # AND the intervals holding more items than the words match were checked by range clauses
    # alone (open ones, to 2100), the others found by their months (up to 2019)
    assert True in months and False in months


def _months_used(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each datetime filter made from now on is searched by its month terms."""
    months: list[bool] = []
    real = translate.interval_query

    def spy(*args: Any, **kwargs: Any) -> Any:
        months.append(kwargs["months"])
        return real(*args, **kwargs)

    monkeypatch.setattr(translate, "interval_query", spy)
    return months


def test_collection_search_by_bbox_finds_only_collections(index: OpenIndex) -> None:
    request = SearchRequest(bbox=(5.0, 5.0, 6.0, 6.0), limit=100)
    found = search_items(index, request, kind="collection").features
    assert sorted(c["id"] for c in found) == ["made-0", "made-1"]
    assert all(f["type"] == "Feature" for f in search_items(index, request).features)


@pytest.mark.parametrize(
    ("sortby", "collections", "offset", "answered"),
    [
        ((SortKey("datetime"),), ("made-0",), 0, True),
        ((), (), 0, False),  # newest first over everything: the far-future item again
        ((SortKey("end_datetime", descending=True),), ("made-0", "naip"), 5, True),
        # made-1's newest item is alone in every window short of the whole span
        ((SortKey("datetime", descending=True),), ("made-1",), 30, False),
    ],
)
def test_windowed_pages_equal_a_full_sort(
    index: OpenIndex,
    monkeypatch: pytest.MonkeyPatch,
    sortby: tuple[SortKey, ...],
    collections: tuple[str, ...],
    offset: int,
    answered: bool,
) -> None:
    # GIVEN the same requests answered by a full search and through time windows
    first = SearchRequest(sortby=sortby, collections=collections, limit=20)
    token = Token(index.manifest.generation, Cursor(None, offset), search=first.fingerprint())
    request = replace(first, token=token)
    full = search_items(index, request)
    calls = windows_on_small_indexes(monkeypatch)
    windowed = search_items(index, request)
    # THEN the window answered (or gave way to the full search), with the same page and count
    assert calls == [answered]
    field = {"end_datetime": "end"}.get(sortby[0].field if sortby else "", "start")
    assert [_time(f, field) for f in windowed.features] == [_time(f, field) for f in full.features]
    assert windowed.matched == full.matched
    assert len(windowed.features) == 20


def _time(item: dict[str, Any], field: str) -> int:
    start, end = item_interval(item["properties"])
    return start if field == "start" else end


UNTIL_2025 = (None, parse_datetime("2025-01-01T00:00:00Z"))  # short of the far-future item
NAIP_BOX = (-100.0, 20.0, -40.0, 60.0)  # the NAIP tiles and made items, on no cell bound
WINDOWED = [
    SearchRequest(filter=cql2.parse("gsd < 20", None), datetime=UNTIL_2025),
    SearchRequest(filter=cql2.parse("gsd >= 10 AND collection = 'made-0'", None)),
    SearchRequest(collections=("made-1",), datetime=(parse_datetime("2019-01-01T00:00:00Z"), None)),
    SearchRequest(datetime=(None, parse_datetime("2019-07-01T00:00:00Z"))),
    SearchRequest(collections=("made-0", "made-1"), filter=cql2.parse("gsd <> 10", None)),
    SearchRequest(sortby=(SortKey("datetime"),), filter=cql2.parse("gsd BETWEEN 10 AND 20", None)),
    SearchRequest(
        sortby=(SortKey("end_datetime", descending=True),),
        filter=cql2.parse("gsd >= 20", None),
        datetime=UNTIL_2025,
    ),
    # in a box, the window's cell-month terms hold the box
    SearchRequest(bbox=NAIP_BOX),
    SearchRequest(bbox=NAIP_BOX, datetime=(parse_datetime("2016-01-01T00:00:00Z"), None)),
    SearchRequest(bbox=(140.0, -90.0, -140.0, 90.0), datetime=UNTIL_2025),  # across 180°
    SearchRequest(bbox=(-180.0, -90.0, -90.0, 0.0), datetime=UNTIL_2025),  # the world's edge
    SearchRequest(bbox=(-45.0, 0.0, 45.0, 67.5), datetime=UNTIL_2025),  # on cell bounds
    SearchRequest(bbox=NAIP_BOX, sortby=(SortKey("datetime"),)),
    SearchRequest(
        bbox=NAIP_BOX, sortby=(SortKey("end_datetime", descending=True),), datetime=UNTIL_2025
    ),
    SearchRequest(bbox=(-120.0, -30.0, 30.0, 60.0), collections=("made-0", "made-1")),
    SearchRequest(bbox=NAIP_BOX, filter=cql2.parse("gsd < 20", None)),
]


# each in windows of months; those without a box in windows of days (format 6) too
IN_UNITS = [(r, False) for r in WINDOWED] + [(r, True) for r in WINDOWED if r.bbox is None]


@pytest.mark.parametrize(("first", "days"), IN_UNITS)
@pytest.mark.parametrize("instants", [False, True])
def test_windows_give_the_pages_and_counts_of_a_full_search(
    index: OpenIndex,
    instant_index: OpenIndex,
    monkeypatch: pytest.MonkeyPatch,
    first: SearchRequest,
    days: bool,
    instants: bool,
) -> None:
    # GIVEN a filtered search ordered by time, with pages deep enough to span several months
    searched = instant_index if instants else index
    request = replace(first, limit=25)
    full = _pages(searched, request, 10_000)
    answered = windows_on_small_indexes(monkeypatch, days=days)
    # WHEN it is searched in time windows, counting all matches or only up to a limit
    windowed = _pages(searched, request, 10_000)
    limited = _pages(searched, request, 40)
    # THEN the pages are the full search's, and so are the counts up to the limit
    assert any(answered)  # windows answered most pages, not only the full search
    assert [ids for ids, _ in windowed] == [ids for ids, _ in limited] == [i for i, _ in full]
    assert [count for _, count in windowed] == [count for _, count in full]
    # (a window short of everything counts up to the limit; the full search counts exactly)
    counts = [count for _, count in limited]
    assert all(count in ((40, True), exact) for count, (_, exact) in zip(counts, full, strict=True))
    assert counts[0] == ((40, True) if answered[len(full)] else full[0][1])


@pytest.mark.parametrize("days", [False, True])
def test_a_window_only_checks_the_datetime_filter(
    index: OpenIndex, monkeypatch: pytest.MonkeyPatch, days: bool
) -> None:
    # GIVEN a datetime filter searched newest first, paged by the full search
    request = SearchRequest(datetime=(None, parse_datetime("2019-07-01T00:00:00Z")), limit=25)
    full = _pages(index, request, 10_000)
    # WHEN time windows lead the search
    answered = windows_on_small_indexes(monkeypatch, days=days)
    months = _months_used(monkeypatch)
    windowed = _pages(index, request, 10_000)
    # THEN the pages are the same, and the windows checked the filter by its range clauses
    # rather than reading the union of its months
    assert any(answered) and windowed == full
    assert False in months


def _pages(
    index: OpenIndex, request: SearchRequest, count_limit: int, most: int = 6
) -> list[tuple[list[str], tuple[int | None, bool]]]:
    """(ids, (matched, at_least)) of the first pages, following each page's next token."""
    return [
        ([f["id"] for f in page.features], (page.matched, page.at_least))
        for page in islice(pages(index, request, count_limit), most)
    ]


# Over the NAIP tiles: about half of the candidates of its bbox lie outside it
TRIANGLE = {
    "type": "Polygon",
    "coordinates": [[[-88.1, 30.0], [-85.2, 30.0], [-88.1, 31.1], [-88.1, 30.0]]],
}


def test_scanned_pages_equal_one_scan_of_every_candidate(
    items: list[dict[str, Any]], index: OpenIndex
) -> None:
    # GIVEN every item an exact test of its geometry accepts, in one scan of all candidates
    whole = search_items(index, SearchRequest(intersects=TRIANGLE, limit=1000))
    triangle = shape(TRIANGLE)
    expected = {
        i["id"] for i in items if i["geometry"] and shape(i["geometry"]).intersects(triangle)
    }
    assert not whole.partial and {f["id"] for f in whole.features} == expected
    # WHEN paging four at a time (each page first scans a few candidates, then all it may)
    paged: list[str] = []
    request = SearchRequest(intersects=TRIANGLE, limit=4)
    while True:
        page = search_items(index, request)
        paged += [f["id"] for f in page.features]
        token = page.next_token()
        if token is None:
            break
        request = replace(request, token=token)
    # THEN the pages hold the same items in the same order
    assert paged == [f["id"] for f in whole.features]
    assert 100 < len(expected) < 1000


# Over the NAIP tiles and many made items (whose geometry is null: the exact test rejects them)
POLYGON = {
    "type": "Polygon",
    "coordinates": [[[-100.0, 25.0], [-70.0, 25.0], [-60.0, 50.0], [-100.0, 40.0], [-100.0, 25.0]]],
}
SCANNED = [
    SearchRequest(intersects=POLYGON, datetime=UNTIL_2025),
    SearchRequest(intersects=POLYGON, datetime=(None, parse_datetime("2019-07-01T00:00:00Z"))),
    SearchRequest(intersects=POLYGON, sortby=(SortKey("datetime"),)),
    SearchRequest(
        intersects=POLYGON,
        filter=cql2.parse("naip:state = 'al' OR gsd < 20", None),
        datetime=UNTIL_2025,
    ),
]


@pytest.mark.parametrize("first", SCANNED)
def test_windows_give_the_candidates_of_a_full_scan(
    index: OpenIndex, monkeypatch: pytest.MonkeyPatch, first: SearchRequest
) -> None:
    # GIVEN a search that tests each candidate exactly, ordered by time, paged deep
    request = replace(first, limit=5)
    full = _pages(index, request, 10_000, most=30)
    answered = windows_on_small_indexes(monkeypatch, "scanned")
    # WHEN its candidates come from time windows in the box of its geometry
    windowed = _pages(index, request, 10_000, most=30)
    # THEN windows gave them, and the pages and counts are those of the full scan
    assert any(answered)
    assert windowed == full
    assert sum(len(ids) for ids, _ in full) > 100  # deep enough to cross many months
