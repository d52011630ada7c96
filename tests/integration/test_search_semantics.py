"""Search semantics on real and purpose-made items: exact intersects, the antimeridian,
sorting, fields, collection search and paging links."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
import shapely.geometry

from index_builder.build import build_objects
from index_builder.crawl import Crawled, CrawlReport
from stacsift import search
from stacsift.index import properties
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query.params import SearchRequest, SortKey
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.conftest import FIXTURES
from tests.http import get, ids, request
from tests.integration.naip_api import Served, serve_naip

NAIP_ITEMS = FIXTURES / "items/planetary-computer-naip/naip-items.ndjson"


@pytest.fixture(scope="module")
def naip(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve_naip(fixtures, tmp_path_factory.mktemp("naip-semantics"))


def naip_items() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in NAIP_ITEMS.read_bytes().splitlines() if line.strip()]


def test_intersects_is_exact_not_bbox_only(naip: Served) -> None:
    # GIVEN a point inside an item's bbox but outside its (rotated) footprint
    items = naip_items()
    item = items[0]
    footprint = shapely.geometry.shape(item["geometry"])
    west, south = item["bbox"][:2]
    corner = shapely.geometry.Point(west + 1e-5, south + 1e-5)
    assert not footprint.contains(corner) and shapely.geometry.box(*item["bbox"]).contains(corner)
    point = {"type": "Point", "coordinates": [corner.x, corner.y]}
    # WHEN searching by intersects (GET and POST)
    _, got = get(f"{naip.url}/search?limit=1000&intersects={quote(json.dumps(point))}")
    _, _, posted = request(f"{naip.url}/search", "POST", orjson.dumps({"intersects": point}))
    # THEN exactly the items whose footprint holds the point come back
    expected = {i["id"] for i in items if shapely.geometry.shape(i["geometry"]).intersects(corner)}
    assert item["id"] not in expected
    assert set(ids(got)) == expected
    assert got["numberMatched"] == len(expected) == posted["numberMatched"]


def test_sortby_one_and_several_keys(naip: Served) -> None:
    items = naip_items()
    by_id = sorted(i["id"] for i in items)
    _, first = get(f"{naip.url}/search?sortby=id&limit=5")
    _, last = get(f"{naip.url}/search?sortby=-id&limit=5")
    _, two = get(f"{naip.url}/search?sortby=-naip:year,%2Bid&limit=1000")
    assert ids(first) == by_id[:5]
    assert ids(last) == by_id[::-1][:5]
    expected = [
        i["id"] for i in sorted(items, key=lambda i: (-int(i["properties"]["naip:year"]), i["id"]))
    ]
    assert ids(two) == expected


def test_fields_include_and_exclude(naip: Served) -> None:
    _, slim = get(f"{naip.url}/search?limit=2&fields=properties.datetime,-assets,-geometry")
    body = {"fields": {"include": ["properties.naip:state"], "exclude": ["links"]}, "limit": 1}
    _, _, posted = request(f"{naip.url}/search", "POST", orjson.dumps(body))
    feature = slim["features"][0]
    assert set(feature) == {"type", "stac_version", "id", "links", "properties"}
    assert set(feature["properties"]) == {"datetime"}
    assert set(posted["features"][0]["properties"]) == {"naip:state"}
    assert "links" in posted["features"][0]  # identity fields are always kept


def test_post_next_links_carry_method_and_body(naip: Served) -> None:
    body = {"collections": ["naip"], "limit": 400}
    seen: list[str] = []
    status, _, page = request(f"{naip.url}/search", "POST", orjson.dumps(body))
    while True:
        assert status == 200
        seen += ids(page)
        nxt = next((lk for lk in page["links"] if lk["rel"] == "next"), None)
        if nxt is None:
            break
        assert nxt["method"] == "POST"
        status, _, page = request(nxt["href"], "POST", orjson.dumps(nxt["body"]))
    assert sorted(seen) == sorted(i["id"] for i in naip_items())


def test_prev_link_returns_the_previous_page(naip: Served) -> None:
    _, first = get(f"{naip.url}/search?limit=3&sortby=id")
    second_href = next(lk["href"] for lk in first["links"] if lk["rel"] == "next")
    _, second = get(second_href)
    prev_href = next(lk["href"] for lk in second["links"] if lk["rel"] == "prev")
    _, back = get(prev_href)
    assert ids(back) == ids(first)
    assert not [lk for lk in first["links"] if lk["rel"] == "prev"]


def test_collection_search(naip: Served) -> None:
    _, hit = get(f"{naip.url}/collections?q=aerial&bbox=-90,30,-80,35")
    _, miss = get(f"{naip.url}/collections?bbox=0,0,1,1")
    status, _, bad = request(f"{naip.url}/collections?ids=naip")
    assert [c["id"] for c in hit["collections"]] == ["naip"]
    assert miss["collections"] == []
    assert status == 400 and bad["description"].startswith("ids:")


def test_canonical_links_only_for_fetchable_sources(naip: Served) -> None:
    _, item = get(f"{naip.url}/collections/naip/items/{naip_items()[0]['id']}")
    rels = [lk["rel"] for lk in item["links"]]
    assert rels.count("self") == 1
    assert "canonical" not in rels  # the fixture was read from local disk


def purpose_made(item_id: str, bbox: list[float], when: str) -> dict[str, Any]:
    west, south, east, north = bbox
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "collection": "pacific",
        "bbox": bbox,
        "geometry": shapely.geometry.mapping(shapely.geometry.box(west, south, east, north)),
        "properties": {"datetime": when},
        "links": [],
        "assets": {},
    }


@pytest.fixture(scope="module")
def pacific(tmp_path_factory: pytest.TempPathFactory) -> OpenIndex:
    work = tmp_path_factory.mktemp("pacific")
    items = [
        purpose_made("fiji-east", [178.0, -19.0, 179.5, -16.0], "2020-01-01T00:00:00Z"),
        purpose_made("samoa-west", [-179.5, -15.0, -178.0, -13.0], "2021-01-01T00:00:00Z"),
        purpose_made("greenwich", [-1.0, 50.0, 1.0, 52.0], "2022-01-01T00:00:00Z"),
    ]
    objects = [Crawled("Item", f"memory:{i['id']}", i) for i in items]
    bucket = open_bucket(str(work / "root"), StoreSettings(), create=True)
    build_objects(objects, ["memory"], bucket, CrawlReport(), work)
    return IndexReader(bucket, work / "cache").current()


def test_antimeridian_bbox_finds_both_sides(pacific: OpenIndex) -> None:
    across = SearchRequest(bbox=(170.0, -20.0, -170.0, -10.0), limit=10)
    found = {f["id"] for f in search_items(pacific, across).features}
    assert found == {"fiji-east", "samoa-west"}


def test_missing_property_sorts_last(pacific: OpenIndex) -> None:
    request_ = SearchRequest(sortby=(SortKey("gsd"), SortKey("id", descending=True)), limit=10)
    assert [f["id"] for f in search_items(pacific, request_).features] == [
        "samoa-west",
        "greenwich",
        "fiji-east",
    ]


def test_pages_stay_under_the_lambda_payload_limit(tmp_path: Path, serve: Any) -> None:
    # GIVEN items whose geometries are large (about 1 MB of JSON each)
    ring = [[10 + 0.0001 * i, 40 + 0.00001 * (i % 7)] for i in range(40_000)]
    ring.append(ring[0])
    items = []
    for n in range(9):
        item = purpose_made(f"big-{n}", [10.0, 40.0, 14.0, 41.0], "2020-01-01T00:00:00Z")
        item["geometry"] = {"type": "Polygon", "coordinates": [ring]}
        items.append(item)
    bucket = open_bucket(str(tmp_path / "root"), StoreSettings(), create=True)
    objects = [Crawled("Item", f"memory:{i['id']}", i) for i in items]
    build_objects(objects, ["memory"], bucket, CrawlReport(), tmp_path)
    url = serve(str(tmp_path / "root"), StoreSettings())
    # WHEN asking for all of them on one page, and following next links
    seen: list[str] = []
    href: str | None = f"{url}/search?limit=100"
    sizes = []
    while href:
        status, headers, page = request(href)
        assert status == 200
        sizes.append(int({k.lower(): v for k, v in headers.items()}["content-length"]))
        seen += ids(page)
        href = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None)
    # THEN every response fits in Lambda's 6 MB and nothing is skipped or repeated
    assert max(sizes) < 6 * 1024 * 1024
    assert len(sizes) > 1
    assert sorted(seen) == sorted(i["id"] for i in items)


def test_ids_with_percent_signs_and_spaces_are_decoded_once(tmp_path: Path, serve: Any) -> None:
    # GIVEN an item whose id holds a literal "%41" and a space
    item = purpose_made("tile %41 b", [10.0, 40.0, 11.0, 41.0], "2020-01-01T00:00:00Z")
    bucket = open_bucket(str(tmp_path / "root"), StoreSettings(), create=True)
    build_objects([Crawled("Item", "memory:x", item)], ["memory"], bucket, CrawlReport(), tmp_path)
    url = serve(str(tmp_path / "root"), StoreSettings())
    # WHEN it is asked for by its percent-encoded id (as its own self link says)
    status, _, page = request(f"{url}/search?limit=1")
    self_link = next(lk["href"] for lk in page["features"][0]["links"] if lk["rel"] == "self")
    status, _, found = request(self_link)
    # THEN it is found under that id, not under "tile A b"
    assert self_link.endswith("/items/tile%20%2541%20b")
    assert status == 200 and found["id"] == "tile %41 b"
    assert request(f"{url}/collections/pacific/items/tile%20A%20b")[0] == 404


def test_title_matches_rank_first(tmp_path: Path) -> None:
    # GIVEN items that mention forests in their title, in their description, or not at all
    def titled(item_id: str, title: str, description: str) -> dict[str, Any]:
        item = purpose_made(item_id, [10.0, 40.0, 11.0, 41.0], "2020-01-01T00:00:00Z")
        item["properties"] |= {"title": title, "description": description}
        return item

    items = [
        titled("described", "Land 2020", "forest"),
        titled("titled", "Forest map 2020", "land cover classes of the region, every year"),
        titled("other", "Water map 2020", "lakes and rivers over the region"),
    ]
    bucket = open_bucket(str(tmp_path / "root"), StoreSettings(), create=True)
    objects = [Crawled("Item", f"memory:{i['id']}", i) for i in items]
    build_objects(objects, ["memory"], bucket, CrawlReport(), tmp_path)
    index = IndexReader(bucket, tmp_path / "cache").current()
    # WHEN searching by words, stemmed, and by a prefix
    ranked = search_items(index, SearchRequest(q="forests", limit=10)).features
    prefixed = search_items(index, SearchRequest(q="Fores*", limit=10)).features
    # THEN the title match comes first, and the other item not at all
    assert [f["id"] for f in ranked] == ["titled", "described"]
    assert {f["id"] for f in prefixed} == {"titled", "described"}


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> OpenIndex:
    """60 items with every numeric and string queryable the index sorts: distinct values,
    every fifth missing, so a sort has one right order and a tail of missing values (strings
    in upper and lower case and with accents, which sort by code point)."""
    work = tmp_path_factory.mktemp("numbered")
    items = []
    for n in range(60):
        item = purpose_made(
            f"n-{n:02d}", [float(n % 20), 0.0, n % 20 + 1.0, 1.0], "2020-01-01T00:00:00Z"
        )
        if n % 5:
            value = (n * 37) % 61  # distinct, not in the order of the ids
            item["properties"] |= {name: value + 0.5 for name in properties.NUMERIC}
            text = f"{('Sat', 'sat', 'sät')[value % 3]}-{value:02d}"
            item["properties"] |= dict.fromkeys(properties.STRINGS, text)
        items.append(item)
    objects = [Crawled("Item", f"memory:{i['id']}", i) for i in items]
    bucket = open_bucket(str(work / "root"), StoreSettings(), create=True)
    build_objects(objects, ["memory"], bucket, CrawlReport(), work)
    return IndexReader(bucket, work / "cache").current()


@pytest.mark.parametrize("name", sorted({**properties.NUMERIC, **properties.STRINGS}))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sortable_queryable_sorts_natively_past_the_scan_budget(
    numbered: OpenIndex, name: str, descending: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a scan budget smaller than the matches (a sort in Python would be a 400)
    monkeypatch.setattr(search, "MAX_SCAN", 10)
    request_ = SearchRequest(sortby=(SortKey(name, descending),), limit=7)
    # WHEN following the pages seven at a time
    walked: list[dict[str, Any]] = []
    while True:
        page = search_items(numbered, request_)
        walked += page.features
        token = page.next_token()
        if token is None:
            break
        request_ = replace(request_, token=token)
    # THEN every item comes once, in the order of its value, the items without one last
    values = [f["properties"].get(name) for f in walked]
    present = [v for v in values if v is not None]
    assert len(walked) == len({f["id"] for f in walked}) == 60
    assert present == sorted(present, reverse=descending) and len(present) == 48
    assert values[48:] == [None] * 12
