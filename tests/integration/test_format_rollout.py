"""Format rollout: this stacsift reads indexes of the previous formats (built with
``stacsift build --format 4``) and answers the same searches as on the current format."""

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
from tests.support.paging import pages
from tests.support.windows import windows_on_small_indexes

CATALOG = FIXTURES / "catalogs/pystac-test-case-1/catalog.json"


def _built(fixtures: Path, work: Path, version: int) -> OpenIndex:
    bucket = open_bucket(str(work / f"root-{version}"), StoreSettings(), create=True)
    with schema.layout(version):
        build_naip(fixtures, bucket, work)
    return IndexReader(bucket, work / f"cache-{version}").current()


@pytest.fixture(scope="module")
def formats(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, OpenIndex]:
    """The NAIP items in an index of each readable format."""
    work = tmp_path_factory.mktemp("rollout")
    return {version: _built(fixtures, work, version) for version in schema.READABLE_FORMATS}


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
@pytest.mark.parametrize("version", schema.READABLE_FORMATS[:-1])
def test_older_formats_answer_like_the_current_one(
    formats: dict[int, OpenIndex], version: int, request_: SearchRequest
) -> None:
    old, new = formats[version], formats[schema.FORMAT_VERSION]
    assert (old.manifest.format_version, new.manifest.format_version) == (
        version,
        schema.FORMAT_VERSION,
    )
    on_old, on_new = search_items(old, request_), search_items(new, request_)
    assert {h["id"] for h in on_old.features} == {h["id"] for h in on_new.features}
    assert on_old.matched in (on_new.matched, None)
    if request_.sortby or not request_.q:  # the same order of the sort key
        key = "gsd" if request_.sortby else "datetime"
        old_keys = [h["properties"][key] for h in on_old.features]
        assert old_keys == [h["properties"][key] for h in on_new.features]


def test_items_are_found_by_key_in_format_3(formats: dict[int, OpenIndex]) -> None:
    old = formats[3]
    first = search_items(old, SearchRequest(limit=1)).features[0]
    assert get_item(old, first["collection"], first["id"]).obj == first


def test_stacsift_build_writes_the_previous_format(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert main(["build", str(CATALOG), "--root", str(root), "--format", "4"]) == 0
    index = IndexReader(open_bucket(str(root), StoreSettings()), tmp_path / "cache").current()
    assert index.manifest.format_version == 4
    assert search_items(index, SearchRequest(limit=100)).features


# A depth-3 cell (22.5°) holding every NAIP tile, so windows are sized from all of them
NAIP_CELL = (-90.0, 22.5, -67.5, 45.0)
BOXED = [
    SearchRequest(bbox=NAIP_CELL, limit=7),
    SearchRequest(bbox=(-88.0, 30.5, -86.0, 31.0), datetime=(1_400_000_000_000_000, None), limit=7),
    SearchRequest(bbox=NAIP_CELL, sortby=(SortKey("datetime"),), limit=7),
]


@pytest.mark.parametrize("request_", BOXED, ids=lambda r: repr(r)[:60])
def test_format_4_answers_boxes_without_cell_month_windows(
    formats: dict[int, OpenIndex], monkeypatch: pytest.MonkeyPatch, request_: SearchRequest
) -> None:
    # GIVEN windows that answer on small indexes
    answered = windows_on_small_indexes(monkeypatch)
    # WHEN a format-4 index (no cell-month terms) and a format-5 one page through a box
    on_old = _paged(formats[4], request_)
    assert answered == []  # the full search answered every page
    on_new = _paged(formats[5], request_)
    # THEN windows answered on format 5, and both give the same items in the same time order
    assert any(answered)
    assert [t for t, _ in on_old] == [t for t, _ in on_new]
    assert {i for _, i in on_old} == {i for _, i in on_new}
    assert len(on_old) > 50


TIMED = [
    SearchRequest(limit=7),
    SearchRequest(sortby=(SortKey("end_datetime"),), filter=_filter("gsd < 1"), limit=7),
]


@pytest.mark.parametrize("request_", TIMED, ids=lambda r: repr(r)[:60])
def test_format_5_answers_without_day_windows(
    formats: dict[int, OpenIndex], monkeypatch: pytest.MonkeyPatch, request_: SearchRequest
) -> None:
    # GIVEN windows of days only (those of months never answer)
    answered = windows_on_small_indexes(monkeypatch, days=True)
    # WHEN a format-5 index (no day terms) and a format-6 one page in time order
    on_old = _paged(formats[5], request_)
    assert not any(answered)  # the full search answered every page
    on_new = _paged(formats[6], request_)
    # THEN windows of days answered on format 6, and both give the same items in the same order
    assert any(answered)
    assert [t for t, _ in on_old] == [t for t, _ in on_new]
    assert {i for _, i in on_old} == {i for _, i in on_new}
    assert len(on_old) > 50


def _paged(index: OpenIndex, request: SearchRequest) -> list[tuple[str, str]]:
    """(datetime, id) of every result, page after page."""
    return [
        (f["properties"]["datetime"], f["id"])
        for page in pages(index, request)
        for f in page.features
    ]
