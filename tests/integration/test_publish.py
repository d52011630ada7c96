"""Publishing generations: the manifest is the commit point, on a folder and on S3 alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from index_builder.build import build
from stacsift.errors import IndexFormatError, IndexUnavailable
from stacsift.index.manifest import MANIFEST_KEY, FileEntry, Manifest
from stacsift.index.publish import commit, current_manifest
from stacsift.index.reader import IndexReader
from stacsift.query.params import SearchRequest
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import Bucket, open_bucket

Build = Callable[[list[str], str, StoreSettings], Bucket]


@pytest.fixture(params=["s3", "local"])
def root(request: pytest.FixtureRequest, local_root: str) -> tuple[str, StoreSettings]:
    if request.param == "s3":
        return request.getfixturevalue("s3_root"), request.getfixturevalue("s3_store")
    return local_root, StoreSettings()


def test_builds_publish_generations_and_readers_follow(
    root: tuple[str, StoreSettings], fixtures: Path, built: Build, tmp_path: Path
) -> None:
    url, store = root
    case1, case4 = (str(fixtures / f"catalogs/pystac-test-case-{n}") for n in (1, 4))
    bucket = built([case1], url, store)
    reader = IndexReader(open_bucket(url, store), tmp_path / "cache", ttl_seconds=0)
    first = reader.current()
    built([case4], url, store)  # another source is added beside the first
    second = reader.current()
    unchanged = build([case1], bucket, tmp_path)  # nothing changed: nothing published
    replaced = build([case4], bucket, tmp_path, full=True)  # a full rebuild of one source
    third = reader.current()
    assert (first.manifest.generation, second.manifest.generation) == (1, 2)
    assert search_items(first, SearchRequest(limit=100)).matched == 8
    assert search_items(second, SearchRequest(limit=100)).matched == 8 + 62
    assert unchanged.unchanged and unchanged.manifest.generation == 2
    assert replaced.manifest is not None and third.manifest.generation == 3
    assert search_items(third, SearchRequest(limit=100)).matched == 62
    assert current_manifest(bucket)[0] == third.manifest


def test_a_writer_that_loses_the_race_retries_on_top(root: tuple[str, StoreSettings]) -> None:
    url, store = root
    bucket = open_bucket(url, store, create=True)
    seen: list[int | None] = []

    def make(previous: Manifest | None) -> Manifest:
        seen.append(previous.generation if previous else None)
        if len(seen) == 1:  # another writer publishes between our read and our write
            commit(bucket, lambda p: _manifest((p.generation + 1) if p else 1))
        return _manifest((previous.generation + 1) if previous else 1)

    winner = commit(bucket, make, pause=lambda _: None)
    assert seen == [None, 1]
    assert winner is not None and winner[0].generation == 2 and winner[1] == 2
    assert current_manifest(bucket)[0] == winner[0]


def test_nothing_to_publish_publishes_nothing(root: tuple[str, StoreSettings]) -> None:
    url, store = root
    bucket = open_bucket(url, store, create=True)
    commit(bucket, lambda _: _manifest(1))
    assert commit(bucket, lambda _: None) is None
    assert current_manifest(bucket)[0] == _manifest(1)


def test_missing_files_leave_the_previous_generation_served(
    root: tuple[str, StoreSettings], fixtures: Path, built: Build, tmp_path: Path
) -> None:
    url, store = root
    bucket = built([str(fixtures / "catalogs/pystac-test-case-1")], url, store)
    reader = IndexReader(open_bucket(url, store), tmp_path / "cache", ttl_seconds=0)
    served = reader.current()
    published = Manifest.from_json(bucket.get(MANIFEST_KEY), "m")
    missing = FileEntry("index/tantivy/00000000000000000000000000000000.idx", 10)
    broken = replace(published, generation=2, tantivy_files=[*published.tantivy_files, missing])
    commit(bucket, lambda _: broken)
    assert reader.current() is served
    fresh = IndexReader(open_bucket(url, store), tmp_path / "fresh", ttl_seconds=0)
    with pytest.raises(IndexUnavailable, match="lacks index/tantivy/0000"):
        fresh.current()


def test_table_parts_are_geoparquet_with_bbox_covering(
    fixtures: Path, built: Build, local_root: str
) -> None:
    bucket = built([str(fixtures / "catalogs/pystac-test-case-4")], local_root, StoreSettings())
    manifest, _ = current_manifest(bucket)
    assert manifest is not None
    rows = 0
    for part in manifest.table_parts:
        path = Path(local_root) / part.key
        table = pq.read_table(path)
        geo = table.schema.metadata[b"geo"]
        assert b'"covering"' in geo and b'"bbox"' in geo
        assert set(table.column("collection").to_pylist()) == {part.collection}
        rows += table.num_rows
    assert rows == sum(c.items for c in manifest.collections.values()) == 62


def _manifest(generation: int) -> Manifest:
    return Manifest(
        generation=generation,
        created=f"2026-01-01T00:00:0{generation}+00:00",
        tantivy_meta="index/tantivy/meta-x.json",
        tantivy_files=[],
        table_parts=[],
        collections={},
        sources=[],
    )


def test_an_index_of_another_format_is_refused_until_a_full_rebuild_replaces_it(
    root: tuple[str, StoreSettings], fixtures: Path, built: Build, tmp_path: Path
) -> None:
    # GIVEN a root whose current manifest is of an older index format (as after an upgrade)
    url, store = root
    case1 = str(fixtures / "catalogs/pystac-test-case-1")
    bucket = built([case1], url, store)
    raw = orjson.loads(bucket.get_with_etag(MANIFEST_KEY)[0])
    bucket.put(MANIFEST_KEY, orjson.dumps(raw | {"format_version": 1, "generation": 7}))
    reader = IndexReader(open_bucket(url, store), tmp_path / "cache", ttl_seconds=0)
    # WHEN readers and an incremental build meet it, THEN they refuse it and say how to rebuild
    for refuse in (reader.current, lambda: build([case1], bucket, tmp_path)):
        with pytest.raises(IndexFormatError, match=r"index format 1.*stacsift build --full"):
            refuse()
    # WHEN a full rebuild runs, THEN it replaces it as the next generation, readable again
    rebuilt = build([case1], bucket, tmp_path, full=True)
    assert rebuilt.manifest.generation == 8
    current = reader.current()
    assert current.manifest.generation == 8
    assert search_items(current, SearchRequest(limit=100)).matched == 8
