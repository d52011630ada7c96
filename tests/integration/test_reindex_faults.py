"""Event-driven reindexing against a real S3 emulator, with constructed SQS events: duplicate,
late and reordered deliveries, stale reads, poison, transient store failures, deletes, ndjson."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from functions.reindex import process
from stacsift.errors import StoreError
from stacsift.index.documents import Origin, document_key
from stacsift.index.publish import current_manifest
from stacsift.index.reader import IndexReader
from stacsift.reindex.apply import Batch
from stacsift.reindex.objects import Read, Reads
from stacsift.reindex.reconcile import reconcile
from stacsift.search import by_term
from stacsift.settings import StoreSettings
from tests.integration.conftest import s3_client
from tests.support.reindexing import (
    Watched,
    naip,
    s3_body,
    sqs_event,
    titled,
    watched_bucket,
)

KEYS_TO_ESCAPE = ["stac/a b.json", "stac/c++d.json", "stac/50%25 off.json", "stac/ünï/ꙮ.json"]


@pytest.fixture
def watched(s3_store: StoreSettings, tmp_path: Path) -> Watched:
    return watched_bucket(s3_client(s3_store), s3_store, tmp_path)


def test_the_same_batch_twice_changes_nothing(watched: Watched) -> None:
    collection, items = naip()
    watched.put("stac/naip/collection.json", collection)
    keys = [f"stac/naip/{i['id']}.json" for i in items[:5]]
    for key, item in zip(keys, items, strict=False):
        watched.put(key, item)
    first = watched.deliver(["stac/naip/collection.json", *keys])
    generation = watched.generation()
    again = watched.deliver(["stac/naip/collection.json", *keys])
    assert first == again == {"batchItemFailures": []}
    assert watched.generation() == generation == 1
    assert set(watched.titles()) == {i["id"] for i in items[:5]}


def test_a_delete_delivered_before_its_put_leaves_nothing(watched: Watched) -> None:
    _, items = naip()
    watched.put("stac/keep.json", items[1])
    watched.deliver(["stac/keep.json"])
    watched.put("stac/gone.json", items[0])
    watched.delete("stac/gone.json")
    body = s3_body(watched.bucket, "stac/gone.json", "ObjectRemoved:Delete")
    process(watched.reindexer(), sqs_event([body]))  # the delete first …
    watched.deliver(["stac/gone.json"])  # … then the put it followed
    assert set(watched.titles()) == {items[1]["id"]}


def test_a_late_put_for_an_old_version_keeps_the_new_one(watched: Watched) -> None:
    _, items = naip()
    reindexer = watched.reindexer()
    watched.put("stac/item.json", titled(items[0], "first version"))
    stale = Batch()
    reindexer.read("s3://" + watched.bucket + "/stac/item.json", stale)  # read version 1 …
    watched.put("stac/item.json", titled(items[0], "second version"))
    watched.deliver(["stac/item.json"])  # … version 2 is indexed …
    assert reindexer.publish(stale) is None  # … then the stale read changes nothing
    assert watched.titles() == {items[0]["id"]: "second version"}
    watched.deliver(["stac/item.json"])  # and the late event for version 1 reads version 2
    assert watched.titles() == {items[0]["id"]: "second version"}


def test_one_poison_record_among_nine_good_ones(watched: Watched) -> None:
    _, items = naip()
    keys = [f"stac/{i['id']}.json" for i in items[:9]]
    for key, item in zip(keys, items, strict=False):
        watched.put(key, item)
    watched.put("stac/poison.json", b'{"type": "Feature", "id": ')
    watched.put("stac/not-stac.json", {"type": "FeatureCollection", "features": [{"a": 1}]})
    reindexer = watched.reindexer()
    response = watched.deliver([*keys[:4], "stac/poison.json", *keys[4:]], reindexer)
    assert response == {"batchItemFailures": []}
    assert set(watched.titles()) == {i["id"] for i in items[:9]}
    batch = Batch()
    reindexer.read(f"s3://{watched.bucket}/stac/not-stac.json", batch)
    assert [r.url for r in batch.rejects] == [f"s3://{watched.bucket}/stac/not-stac.json"]
    assert "not STAC" in batch.rejects[0].reason


class _TimingOut:
    """The store times out for one key (an injected fault); every other read is real."""

    def __init__(self, real: Reads, failing: str) -> None:
        self.real = real
        self.failing = failing

    def read(self, url: str) -> Read:
        if url.endswith(self.failing):
            raise StoreError(f"cannot use {url}: operation timed out")
        return self.real.read(url)

    def version(self, url: str) -> Origin | None:
        return self.real.version(url)


def test_a_store_timeout_fails_only_its_record(watched: Watched) -> None:
    _, items = naip()
    keys = [f"stac/{i['id']}.json" for i in items[:4]]
    for key, item in zip(keys, items, strict=False):
        watched.put(key, item)
    reindexer = watched.reindexer()
    faulty = replace(reindexer, sources=_TimingOut(reindexer.sources, keys[2]))
    event = sqs_event([s3_body(watched.bucket, key) for key in keys])
    response = process(faulty, event)
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][2]["messageId"]}]}
    assert set(watched.titles()) == {items[n]["id"] for n in (0, 1, 3)}


def test_sns_wrapped_and_eventbridge_forms(watched: Watched) -> None:
    _, items = naip()
    watched.put("stac/sns.json", items[0])
    watched.put("stac/bridge x.json", items[1])
    sns = orjson.dumps(
        {"Type": "Notification", "Message": s3_body(watched.bucket, "stac/sns.json")}
    )
    bridge = {
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": watched.bucket}, "object": {"key": "stac/bridge x.json"}},
    }
    process(watched.reindexer(), sqs_event([sns.decode(), orjson.dumps(bridge).decode()]))
    assert set(watched.titles()) == {items[0]["id"], items[1]["id"]}


def test_keys_with_spaces_plus_percent_and_unicode(watched: Watched) -> None:
    _, items = naip()
    for key, item in zip(KEYS_TO_ESCAPE, items, strict=False):
        watched.put(key, item)
    watched.deliver(KEYS_TO_ESCAPE)
    assert set(watched.titles()) == {i["id"] for i in items[:4]}
    for key in KEYS_TO_ESCAPE[:2]:
        watched.delete(key)
    watched.deliver(KEYS_TO_ESCAPE)
    assert set(watched.titles()) == {i["id"] for i in items[2:4]}


def test_the_index_root_under_the_watched_prefix_causes_no_loop(watched: Watched) -> None:
    _, items = naip()
    watched.put("stac/item.json", items[0])
    watched.deliver(["stac/item.json"])
    own = [
        o["Key"]
        for o in watched.client.list_objects_v2(Bucket=watched.bucket, Prefix="stac/index/")[
            "Contents"
        ]
    ]
    assert "stac/index/index/manifest.json" in own
    assert watched.deliver(own) == {"batchItemFailures": []}
    assert watched.generation() == 1


def test_ndjson_features_are_upserted_and_deleted_with_their_file(watched: Watched) -> None:
    _, items = naip()
    lines = b"\n".join(orjson.dumps(i) for i in items[:3])
    watched.put("stac/items.ndjson", lines)
    watched.deliver(["stac/items.ndjson"])
    assert set(watched.titles()) == {i["id"] for i in items[:3]}
    watched.put("stac/items.ndjson", b"\n".join(orjson.dumps(i) for i in items[1:3]))
    watched.deliver(["stac/items.ndjson"])
    assert set(watched.titles()) == {i["id"] for i in items[1:3]}
    watched.delete("stac/items.ndjson")
    watched.deliver(["stac/items.ndjson"])
    assert watched.titles() == {}


def test_items_before_their_collection_are_found_at_once_and_catalogs_indexed(
    watched: Watched,
) -> None:
    collection, items = naip()
    watched.put("stac/naip/item.json", items[0])
    watched.put("stac/catalog.json", {"type": "Catalog", "stac_version": "1.0.0", "id": "c"})
    watched.deliver(["stac/naip/item.json", "stac/catalog.json"])
    assert set(watched.titles()) == {items[0]["id"]}
    watched.put("stac/naip/collection.json", collection)
    watched.deliver(["stac/naip/collection.json"])
    root = watched.reindexer("check").root
    manifest, _ = current_manifest(root)
    assert manifest is not None and manifest.collections["naip"].items == 1
    assert set(watched.titles()) == {items[0]["id"]}
    index = IndexReader(root, watched.work / "catalogs", ttl_seconds=0).current()
    assert by_term(index, "key", document_key("catalog", "", "c")) is not None


def test_concurrent_invocations_lose_no_update(watched: Watched) -> None:
    _, items = naip()
    keys = [f"stac/{i['id']}.json" for i in items[:24]]
    for key, item in zip(keys, items, strict=False):
        watched.put(key, item)
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        reindexer = watched.reindexer(f"w{worker}")
        try:
            for start in range(worker * 4, 24, 12):
                watched.deliver(keys[start : start + 4], reindexer)
        except BaseException as err:  # reported by the test
            errors.append(err)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(watched.titles()) == {i["id"] for i in items[:24]}
    assert watched.generation() == 6


def test_reconcile_repairs_missed_events_and_reads_only_what_changed(watched: Watched) -> None:
    _, items = naip()
    keys = [f"stac/{i['id']}.json" for i in items[:4]]
    for key, item in zip(keys, items, strict=False):
        watched.put(key, item)
    watched.deliver(keys)
    # events missed: a new object, an overwrite and a delete
    watched.put("stac/new.json", items[4])
    watched.put(keys[0], titled(items[0], "overwritten"))
    watched.delete(keys[1])
    reindexer = watched.reindexer()
    first = reconcile(reindexer, watched.settings.store)
    assert (first.listed, first.read) == (4, 3)
    titles = watched.titles()
    assert set(titles) == {items[n]["id"] for n in (0, 2, 3, 4)}
    assert titles[items[0]["id"]] == "overwritten"
    again = reconcile(reindexer, watched.settings.store)
    assert (again.read, again.result) == (0, None)
