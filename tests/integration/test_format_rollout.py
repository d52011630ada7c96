"""Format rollout: this stacsift reads an index of the previous format (built with
``stacsift build --format 3``) and answers the same searches as on the current format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stacsift.index import schema
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query import cql2
from stacsift.query.params import SearchRequest, SortKey
from stacsift.search import get_item, search_items
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from stacsift_cli.main import main
from tests.conftest import FIXTURES
from tests.support.naip import build_naip

CATALOG = FIXTURES / "catalogs/pystac-test-case-1/catalog.json"


def _built(fixtures: Path, work: Path, version: int) -> OpenIndex:
    bucket = open_bucket(str(work / f"root-{version}"), StoreSettings(), create=True)
    with schema.layout(version):
        build_naip(fixtures, bucket, work)
    return IndexReader(bucket, work / f"cache-{version}").current()


@pytest.fixture(scope="module")
def both(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[OpenIndex, OpenIndex]:
    work = tmp_path_factory.mktemp("rollout")
    return _built(fixtures, work, 3), _built(fixtures, work, 4)


def _filter(text: str) -> Any:
    return cql2.parse(text, "cql2-text")


# Every match in one page (1,000 NAIP items), so that ties (equal times, equal scores), which
# each index breaks by its own document order, do not matter.
REQUESTS = [
    SearchRequest(limit=1000),
    SearchRequest(q="pennsylvania", limit=1000),
    SearchRequest(q="Penn*", limit=1000),
    SearchRequest(bbox=(-80.0, 39.0, -75.0, 42.0), limit=1000),
    SearchRequest(datetime=(1_500_000_000_000_000, None), limit=1000),
    SearchRequest(sortby=(SortKey("gsd", True),), limit=1000),
    SearchRequest(filter=_filter("gsd < 1 AND naip:state = 'pa'"), limit=1000),
    SearchRequest(filter=_filter("naip:year IS NULL OR gsd >= 0.6"), limit=1000),
]


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: repr(r)[:60])
def test_format_3_answers_like_format_4(
    both: tuple[OpenIndex, OpenIndex], request_: SearchRequest
) -> None:
    old, new = both
    assert (old.manifest.format_version, new.manifest.format_version) == (3, 4)
    on_old, on_new = search_items(old, request_), search_items(new, request_)
    assert {h["id"] for h in on_old.features} == {h["id"] for h in on_new.features}
    assert on_old.matched in (on_new.matched, None)
    if request_.sortby or not request_.q:  # the same order of the sort key
        key = "gsd" if request_.sortby else "datetime"
        old_keys = [h["properties"][key] for h in on_old.features]
        assert old_keys == [h["properties"][key] for h in on_new.features]


def test_items_are_found_by_key_in_format_3(both: tuple[OpenIndex, OpenIndex]) -> None:
    old, _ = both
    first = search_items(old, SearchRequest(limit=1)).features[0]
    assert get_item(old, first["collection"], first["id"]).obj == first


def test_stacsift_build_writes_the_previous_format(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert main(["build", str(CATALOG), "--root", str(root), "--format", "3"]) == 0
    index = IndexReader(open_bucket(str(root), StoreSettings()), tmp_path / "cache").current()
    assert index.manifest.format_version == 3
    assert search_items(index, SearchRequest(limit=100)).features
