"""Crawling a STAC API written by others: ``rustac serve`` with 1,000 real NAIP items.

GIVEN rustac's STAC API server loaded with the Planetary Computer NAIP fixture (one collection,
1,000 items), WHEN its landing page is crawled, THEN the crawler recognises an API, lists the
collection from ``/collections`` and pages through every item — by ``/collections/naip/items``,
by GET ``/search`` and by POST ``/search`` — following the server's own ``next`` links.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from index_builder.api import ItemsVia
from index_builder.build import build
from index_builder.crawl import CrawlOptions
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.support.crawling import counts, crawl_all, crawler

NAIP = "items/planetary-computer-naip"


@pytest.fixture(scope="module")
def naip_ids(fixtures: Path) -> list[str]:
    lines = (fixtures / NAIP / "naip-items.ndjson").read_bytes().splitlines()
    return sorted(orjson.loads(line)["id"] for line in lines if line.strip())


@pytest.mark.parametrize(
    ("via", "include"),
    [
        ("auto", ()),  # /collections/naip/items: rustac implements OGC API Features
        ("items", ()),
        ("search", ()),  # one GET /search over everything, paged by GET next links
        ("search-post", ()),  # one POST /search, paged by POST next links with bodies
        ("search-post", ("naip",)),  # per collection: POST /search {"collections": ["naip"]}
    ],
)
def test_every_item_is_paged_through(
    naip_api: str, naip_ids: list[str], via: ItemsVia, include: tuple[str, ...]
) -> None:
    options = CrawlOptions(items_via=via, include=include, page_size=200)
    found, report = crawl_all(naip_api, options)
    assert counts(found) == {"Catalog": 1, "Collection": 1, "Item": 1000}
    items = [o.data for o in found if o.kind == "Item"]
    assert sorted(item["id"] for item in items) == naip_ids
    assert {item["collection"] for item in items} == {"naip"}
    assert report.skipped == []
    assert report.transfer.requests >= 2 + 1000 // 200  # landing, collections, every page


def test_max_items_stops_paging(naip_api: str) -> None:
    found, report = crawl_all(naip_api, CrawlOptions(max_items=150, page_size=100))
    assert counts(found) == {"Catalog": 1, "Collection": 1, "Item": 150}
    assert report.truncated
    assert report.transfer.requests == 4  # landing, collections, two pages of 100


def test_excluded_collections_are_not_paged(naip_api: str) -> None:
    found, report = crawl_all(naip_api, CrawlOptions(exclude=("na*",)))
    assert counts(found) == {"Catalog": 1, "Collection": 0, "Item": 0}
    assert report.filtered == 1
    assert report.transfer.requests == 2


def test_an_api_builds_into_a_searchable_index(naip_api: str, tmp_path: Path) -> None:
    bucket = open_bucket(str(tmp_path / "root"), StoreSettings(), create=True)
    with crawler(CrawlOptions(page_size=500)) as active:
        result = build([naip_api], bucket, tmp_path, crawler=active)
    assert result.manifest.collections["naip"].items == 1000
    assert result.report.skipped == []
