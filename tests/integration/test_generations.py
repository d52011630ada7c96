"""Generations on the bucket: lossless round trip, crash safety, concurrent writers,
incremental cost, and garbage collection — on a local folder and on the S3 emulator."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow.parquet as pq
import pytest
import stac_geoparquet.arrow

from index_builder.gc import collect
from stacsift.errors import IndexUnavailable, StoreError
from stacsift.index.documents import Document, document_key, to_document
from stacsift.index.manifest import MANIFEST_KEY, Manifest
from stacsift.index.publish import HISTORY_PREFIX, current_manifest
from stacsift.index.reader import IndexReader, blob_path, cache_root
from stacsift.query.params import SearchRequest
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import Bucket, open_bucket
from stacsift.update import Changes, apply_changes
from tests.conftest import FIXTURES
from tests.support.reindexing import titled

NAIP = FIXTURES / "items/planetary-computer-naip"


def naip() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    collection = orjson.loads((NAIP / "naip-collection.json").read_bytes())
    items = [orjson.loads(x) for x in (NAIP / "naip-items.ndjson").read_bytes().splitlines() if x]
    return collection, items


def docs(objects: list[dict[str, Any]]) -> list[Document]:
    return [to_document(o) for o in objects]


@pytest.fixture(params=["local", "s3"])
def bucket(request: pytest.FixtureRequest, local_root: str) -> Bucket:
    if request.param == "s3":
        store = request.getfixturevalue("s3_store")
        return open_bucket(request.getfixturevalue("s3_root"), store)
    return open_bucket(local_root, StoreSettings(), create=True)


def read_all(bucket: Bucket, cache: Path) -> dict[str, dict[str, Any]]:
    index = IndexReader(bucket, cache, ttl_seconds=0).current()
    page = search_items(index, SearchRequest(limit=10_000))
    return {str(f["id"]): f for f in page.features}


def table_items(bucket: Bucket, manifest: Manifest, folder: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for number, part in enumerate(manifest.table_parts):
        local = folder / f"{number}.parquet"
        bucket.download(part.key, local)
        found += list(stac_geoparquet.arrow.stac_table_to_items(pq.read_table(local)))
    return found


def normalised(value: Any) -> Any:
    """Tolerate representation only: float rounding and equivalent datetime spellings."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        return value.replace("+00:00", "Z").replace(".000000", "").replace(".000Z", "Z")
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items() if v is not None}
    return value


def test_round_trip_index_and_table(bucket: Bucket, fixtures: Path, tmp_path: Path) -> None:
    collection, items = naip()
    result = apply_changes(bucket, Changes(docs([collection, *items]), replace=True), tmp_path)
    from_index = read_all(bucket, tmp_path / "read")
    from_table = {i["id"]: i for i in table_items(bucket, result.manifest, tmp_path)}
    assert len(from_index) == len(from_table) == len(items) == 1000
    for item in items:
        assert from_index[item["id"]] == item  # the index keeps the JSON exactly
        assert normalised(from_table[item["id"]]) == normalised(item)


def test_table_opens_in_duckdb_and_pyarrow_with_geo_metadata(
    fixtures: Path, tmp_path: Path
) -> None:
    collection, items = naip()
    bucket = open_bucket(str(tmp_path / "root"), StoreSettings(), create=True)
    manifest = apply_changes(
        bucket, Changes(docs([collection, *items]), replace=True), tmp_path
    ).manifest
    parts = [str(tmp_path / "root" / p.key) for p in manifest.table_parts]
    geo = orjson.loads(pq.read_schema(parts[0]).metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["columns"]["geometry"]["covering"]["bbox"]["xmin"] == ["bbox", "xmin"]
    connection = duckdb.connect()
    [(count, distinct)] = connection.execute(
        "SELECT count(*), count(DISTINCT id) FROM read_parquet(?)", [parts]
    ).fetchall()
    assert count == distinct == 1000
    west, south = items[0]["bbox"][:2]
    [(inside,)] = connection.execute(
        "SELECT count(*) FROM read_parquet(?) WHERE bbox.xmin <= ? AND bbox.xmax >= ? "
        "AND bbox.ymin <= ? AND bbox.ymax >= ?",
        [parts, west + 0.01, west, south + 0.01, south],
    ).fetchall()
    assert inside >= 1


class FaultyBucket(Bucket):
    """Fails every upload after the first ``allowed`` ones (an interrupted publish)."""

    def __init__(self, inner: Bucket, allowed: int) -> None:
        super().__init__(inner.store, inner.url, inner._local_root)
        self.allowed = allowed
        self.uploads = 0
        self.nested = False  # a local put_if writes through put: count it once

    def _count(self) -> None:
        if self.nested:
            return
        if self.uploads >= self.allowed:
            raise StoreError(f"injected fault after {self.allowed} uploads")
        self.uploads += 1

    def put(self, key: str, data: bytes) -> str | None:
        self._count()
        return super().put(key, data)

    def put_file(self, key: str, path: Path) -> None:
        self._count()
        super().put_file(key, path)

    def put_if(self, key: str, data: bytes, *, etag: str | None) -> str | None:
        self._count()
        self.nested = True
        try:
            return super().put_if(key, data, etag=etag)
        finally:
            self.nested = False


def test_interrupted_publish_leaves_the_previous_generation(
    bucket: Bucket, fixtures: Path, tmp_path: Path
) -> None:
    collection, items = naip()
    apply_changes(bucket, Changes(docs([collection, *items[:500]]), replace=True), tmp_path)
    before = read_all(bucket, tmp_path / "before")
    update = Changes(docs(items[500:520]), deletes=[f"item:naip/{items[0]['id']}"])
    # WHEN the publish is interrupted after 0, 1, 2, … completed uploads (files, then the
    # manifest) until one run gets through, THEN every interrupted run left generation 1 whole
    interrupted = 0
    for allowed in range(200):
        try:
            result = apply_changes(FaultyBucket(bucket, allowed), update, tmp_path / f"w{allowed}")
        except StoreError:
            interrupted += 1
            assert read_all(bucket, tmp_path / f"r{allowed}") == before
            continue
        break
    assert 3 <= interrupted < 200  # at least segment files, the meta file and the manifest
    after = read_all(bucket, tmp_path / "after")
    assert result.manifest.generation == 2
    assert len(after) == 500 - 1 + 20 and items[0]["id"] not in after


def test_items_of_collections_with_slashes_are_deleted_from_index_and_table(
    bucket: Bucket, tmp_path: Path
) -> None:
    _, items = naip()
    nested = [{**i, "collection": "naip/2021"} for i in items[:3]]
    result = apply_changes(bucket, Changes(docs(nested), replace=True), tmp_path)
    assert result.manifest.collections["naip/2021"].items == 3
    gone = document_key("item", "naip/2021", items[0]["id"])
    update = apply_changes(bucket, Changes(deletes=[gone]), tmp_path)
    assert set(read_all(bucket, tmp_path / "read")) == {i["id"] for i in items[1:3]}
    rows = table_items(bucket, update.manifest, tmp_path)
    assert sorted(r["id"] for r in rows) == sorted(i["id"] for i in items[1:3])


def test_corrupt_files_give_a_clear_error_and_the_old_generation_stays(
    bucket: Bucket, fixtures: Path, tmp_path: Path
) -> None:
    collection, items = naip()
    apply_changes(bucket, Changes(docs([collection, *items[:100]]), replace=True), tmp_path)
    reader = IndexReader(bucket, tmp_path / "served", ttl_seconds=0)
    served = reader.current()
    result = apply_changes(bucket, Changes(docs(items[100:110])), tmp_path)
    new_files = {e.key for e in result.manifest.tantivy_files} - {
        e.key for e in served.manifest.tantivy_files
    }
    victim = sorted(new_files)[0]
    bucket.put(victim, b"truncated")
    assert reader.current() is served  # keeps serving generation 1
    with pytest.raises(IndexUnavailable, match=r"wrong size|cannot be opened"):
        IndexReader(bucket, tmp_path / "fresh", ttl_seconds=0).current()


def test_concurrent_writers_lose_nothing(bucket: Bucket, fixtures: Path, tmp_path: Path) -> None:
    collection, items = naip()
    apply_changes(bucket, Changes(docs([collection]), replace=True), tmp_path)
    rounds = 10
    for round_number in range(rounds):
        batch = items[round_number * 20 : (round_number + 1) * 20]
        halves = [batch[:10], batch[10:]]
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_write, args=(bucket, h, tmp_path / h[0]["id"], errors))
            for h in halves
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    present = read_all(bucket, tmp_path / "read")
    assert set(present) == {i["id"] for i in items[: rounds * 20]}
    manifest, _ = current_manifest(bucket)
    assert manifest is not None and manifest.generation == 1 + 2 * rounds


class RacedBucket(Bucket):
    """Before its first upload, another writer publishes (a lost race, on cue)."""

    def __init__(self, inner: Bucket, other: Callable[[], object]) -> None:
        super().__init__(inner.store, inner.url, inner._local_root)
        self.other: Callable[[], object] | None = other

    def put_file(self, key: str, path: Path) -> None:
        if self.other is not None:
            other, self.other = self.other, None
            other()
        super().put_file(key, path)


def test_writers_deleting_from_the_same_segment_keep_each_others_deletions(
    bucket: Bucket, tmp_path: Path
) -> None:
    # GIVEN one segment of items, and two writers that each replace other items of it,
    # starting from the same generation (so their deletion files have the same name)
    collection, items = naip()
    apply_changes(bucket, Changes(docs([collection, *items[:40]]), replace=True), tmp_path)
    first = [titled(i, "first writer") for i in items[:5]]
    second = [titled(i, "second writer") for i in items[5:10]]

    def winner() -> object:
        return apply_changes(bucket, Changes(docs(first)), tmp_path / "winner")

    # WHEN the second loses the manifest race to the first and redoes its update on top
    result = apply_changes(RacedBucket(bucket, winner), Changes(docs(second)), tmp_path / "loser")
    # THEN both writers' changes are there, and every reader opens the generation whole
    assert result.attempts == 2
    index = IndexReader(bucket, tmp_path / "read", ttl_seconds=0).current()
    found = search_items(index, SearchRequest(limit=100)).features
    titles = {f["id"]: f["properties"].get("title") for f in found}
    assert len(found) == len(titles) == 40  # no replaced version left beside its new one
    assert [titles[i["id"]] for i in items[:10]] == ["first writer"] * 5 + ["second writer"] * 5


def test_caches_keep_only_the_generations_they_serve(bucket: Bucket, tmp_path: Path) -> None:
    collection, items = naip()
    apply_changes(bucket, Changes(docs([collection, *items[:50]]), replace=True), tmp_path / "w")
    reader = IndexReader(bucket, tmp_path / "reader", ttl_seconds=0)
    for round_number in range(4):
        batch = [titled(i, f"round {round_number}") for i in items[:10]]
        result = apply_changes(bucket, Changes(docs(batch)), tmp_path / "w")
        previous = reader._open.manifest if reader._open else None
        served = reader.current()
        assert served.manifest == result.manifest
        assert len(search_items(served, SearchRequest(limit=100)).features) == 50
        wanted = [result.manifest, *([previous] if previous else [])]
        cached = set((reader.cache / "files").iterdir())
        assert cached == {blob_path(reader.cache, e.key) for m in wanted for e in m.tantivy_files}
        assert len(list(reader.cache.glob("gen-*"))) == len(wanted)
        writer = cache_root(bucket, tmp_path / "w")
        assert set((writer / "files").iterdir()) == {
            blob_path(writer, e.key) for e in result.manifest.tantivy_files
        }


def _write(
    bucket: Bucket, items: list[dict[str, Any]], work: Path, errors: list[BaseException]
) -> None:
    try:
        apply_changes(bucket, Changes(docs(items)), work)
    except BaseException as err:  # reported by the test
        errors.append(err)


def test_incremental_update_uploads_a_sliver(fixtures: Path, tmp_path: Path) -> None:
    collection, items = naip()
    bucket = open_bucket(str(tmp_path / "root"), StoreSettings(), create=True)
    other = {**items[0], "id": "elsewhere", "collection": "other"}
    full = apply_changes(bucket, Changes(docs([collection, *items, other]), replace=True), tmp_path)
    index_bytes = sum(e.size for e in full.manifest.tantivy_files)
    changed = [{**i, "properties": {**i["properties"], "gsd": 0.25}} for i in items[:10]]
    update = apply_changes(bucket, Changes(docs(changed)), tmp_path)
    sent = {e.key for e in update.manifest.tantivy_files} - {
        e.key for e in full.manifest.tantivy_files
    }
    sent_bytes = sum(e.size for e in update.manifest.tantivy_files if e.key in sent)
    assert sent_bytes < 0.05 * index_bytes  # 10 of 1,001 documents
    old_parts = {p.collection: p.key for p in full.manifest.table_parts}
    new_parts = {p.collection: p.key for p in update.manifest.table_parts}
    assert new_parts["other"] == old_parts["other"]  # untouched collection: same part
    assert new_parts["naip"] != old_parts["naip"]
    assert update.manifest.collections["naip"].items == 1000
    rows = table_items(bucket, update.manifest, tmp_path)
    assert len(rows) == len({r["id"] for r in rows}) == 1001
    assert {r["id"]: r["properties"]["gsd"] for r in rows}[items[0]["id"]] == 0.25


class CountingBucket(Bucket):
    """Records the keys it downloads."""

    def __init__(self, inner: Bucket) -> None:
        super().__init__(inner.store, inner.url, inner._local_root)
        self.downloaded: list[str] = []

    def download(self, key: str, dest: Path) -> None:
        self.downloaded.append(key)
        super().download(key, dest)


def test_the_writer_cache_is_warm_after_a_publish(bucket: Bucket, tmp_path: Path) -> None:
    # GIVEN a full build by a writer with its cache in tmp_path
    collection, items = naip()
    full = apply_changes(bucket, Changes(docs([collection, *items]), replace=True), tmp_path)
    # WHEN the same writer updates a few items
    counting = CountingBucket(bucket)
    changed = [{**i, "properties": {**i["properties"], "gsd": 0.5}} for i in items[:5]]
    update = apply_changes(counting, Changes(docs(changed)), tmp_path)
    # THEN it downloads only the generation's meta file: segments and table parts are cached
    assert counting.downloaded == [full.manifest.tantivy_meta]
    rows = table_items(bucket, update.manifest, tmp_path)
    assert {r["id"]: r["properties"]["gsd"] for r in rows}[items[0]["id"]] == 0.5


def test_gc_deletes_only_unreferenced_files_after_the_grace(
    bucket: Bucket, fixtures: Path, tmp_path: Path
) -> None:
    collection, items = naip()
    apply_changes(bucket, Changes(docs([collection, *items[:50]]), replace=True), tmp_path)
    for n in range(3):
        apply_changes(bucket, Changes(docs(items[50 + n * 10 : 60 + n * 10])), tmp_path)
    young = collect(bucket, keep=1, grace=timedelta(hours=1))
    assert young.deleted == [] and young.too_young > 0
    result = collect(bucket, keep=1, grace=timedelta(0))
    assert result.deleted
    assert read_all(bucket, tmp_path / "after-gc").keys() == {i["id"] for i in items[:80]}
    assert bucket.etag(MANIFEST_KEY) is not None


def test_gc_after_a_format_upgrade_keeps_the_old_generations_files(
    bucket: Bucket, tmp_path: Path
) -> None:
    # GIVEN three generations written by an older index format (as before an upgrade) ...
    collection, items = naip()
    apply_changes(bucket, Changes(docs([collection, *items[:20]]), replace=True), tmp_path)
    for n in range(2):
        apply_changes(bucket, Changes(docs(items[20 + n * 10 : 30 + n * 10])), tmp_path)
    old = {}
    for info in bucket.list(HISTORY_PREFIX):
        raw = orjson.loads(bucket.get(info.key)) | {"format_version": 1}
        bucket.put(info.key, orjson.dumps(raw))
        old[raw["generation"]] = {raw["tantivy_meta"], *(e["key"] for e in raw["tantivy_files"])}
    # ... and a full rebuild by this version on top
    apply_changes(bucket, Changes(docs([collection, *items[:5]]), replace=True), tmp_path)
    # WHEN garbage is collected keeping three generations
    result = collect(bucket, keep=3, grace=timedelta(0))
    # THEN it runs: the two newest old generations keep their files, the oldest loses its own
    assert result.kept_generations == [2, 3, 4]
    left = {i.key for i in bucket.list("index/")}
    assert old[2] | old[3] <= left
    assert old[1] - old[2] - old[3] and not (old[1] - old[2] - old[3]) & left
    assert read_all(bucket, tmp_path / "after-gc").keys() == {i["id"] for i in items[:5]}
