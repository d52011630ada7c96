"""The issue's end to end, on LocalStack (host mode) and on MiniStack, with real S3 → SQS
notifications: 8 threads upload 500 items and their collection in random order while two
``stacsift worker`` processes drain the queue; then 100 overwrites and 100 deletes. The index
ends holding exactly what the bucket holds. Also the rejects list, ``stacsift rejects`` and a
reconcile that finds nothing left to repair."""

from __future__ import annotations

import random
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest

from stacsift.index.reader import IndexReader
from stacsift.query.params import SearchRequest
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.conftest import PROJECT
from tests.integration.conftest import s3_client
from tests.support.reindexing import (
    aws_env,
    naip,
    notifying_bucket,
    rejects_listing,
    titled,
    workers,
)

ITEMS = 500
CHANGED = 100  # overwritten, and (others) deleted

Search = Callable[[str | None], tuple[set[str], int | None]]


@pytest.fixture(params=["localstack", "ministack"])
def emulator(request: pytest.FixtureRequest) -> StoreSettings:
    store: StoreSettings = request.getfixturevalue(request.param)
    return store


def _key(number: int, item: dict[str, Any]) -> str:
    """Where an item is uploaded; every tenth under a folder whose name the emulators' events
    encode (a space, ``+``, ``%``, a non-ASCII letter)."""
    folder = "naip/a b+c%25 ü" if number % 10 == 0 else "naip"
    return f"stac/{folder}/{item['id']}.json"


def _searcher(store: StoreSettings, root: str, work: Path) -> Search:
    """Searches of the index's current generation: (ids found, numberMatched)."""
    reader = IndexReader(open_bucket(root, store), work / f"read-{uuid.uuid4().hex[:6]}", 0)
    index = reader.current()

    def search(text: str | None) -> tuple[set[str], int | None]:
        page = search_items(index, SearchRequest(q=text, limit=ITEMS))
        return {str(f["id"]) for f in page.features}, page.matched

    return search


def _found_by_title(search: Search, items: Iterable[dict[str, Any]]) -> list[str]:
    """The items that a search for their title's word does not find alone (none, when right)."""
    return [i["id"] for i in items if search(i["properties"]["title"])[0] != {i["id"]}]


@pytest.mark.integration
def test_two_workers_make_the_index_hold_what_the_bucket_holds(
    emulator: StoreSettings, tmp_path: Path
) -> None:
    bucket, queue_url = notifying_bucket(emulator)
    root = f"s3://{bucket}/stac/index"  # under the watched prefix: its notifications are dropped
    collection, items = naip()
    chosen = [titled(i, f"upload{n:04d}") for n, i in enumerate(items[:ITEMS])]
    uploads = [(_key(n, i), i) for n, i in enumerate(chosen)]
    random.Random(11).shuffle(uploads)
    uploads.insert(ITEMS // 2, ("stac/naip/collection.json", collection))  # items before it too
    s3 = s3_client(emulator)

    def put(entry: tuple[str, dict[str, Any]]) -> None:
        s3.put_object(Bucket=bucket, Key=entry[0], Body=orjson.dumps(entry[1]))

    def delete(key: str) -> None:
        s3.delete_object(Bucket=bucket, Key=key)

    with workers(emulator, queue_url, root, bucket, tmp_path), ThreadPoolExecutor(8) as pool:
        list(pool.map(put, uploads))
    search = _searcher(emulator, root, tmp_path)
    assert search(None) == ({i["id"] for i in chosen}, ITEMS)
    assert _found_by_title(search, chosen) == []

    renamed = [titled(i, f"renamed{n:04d}") for n, i in enumerate(chosen[:CHANGED])]
    deleted = chosen[-CHANGED:]
    with workers(emulator, queue_url, root, bucket, tmp_path), ThreadPoolExecutor(8) as pool:
        list(pool.map(put, [(_key(n, i), i) for n, i in enumerate(renamed)]))
        list(pool.map(delete, [_key(ITEMS - CHANGED + n, i) for n, i in enumerate(deleted)]))
        s3.put_object(Bucket=bucket, Key="stac/broken.json", Body=b'{"type": "Feature"')
    search = _searcher(emulator, root, tmp_path)
    assert search(None) == ({i["id"] for i in chosen[:-CHANGED]}, ITEMS - CHANGED)
    assert _found_by_title(search, renamed) == []
    assert [i["id"] for i in chosen[:CHANGED] if search(i["properties"]["title"])[0]] == []
    assert [i["id"] for i in deleted if search(i["properties"]["title"])[0]] == []

    listed = rejects_listing(emulator, root)
    assert f"s3://{bucket}/stac/broken.json" in listed
    assert "malformed JSON" in listed
    # a reconcile finds nothing to repair (the broken upload is read again and rejected again)
    reconciled = subprocess.run(
        [
            *(sys.executable, "-m", "stacsift_cli.main", "reconcile", "--root", root),
            *("--watch", f"s3://{bucket}/stac/", "--cache-dir", str(tmp_path / "reconcile")),
        ],
        cwd=PROJECT,
        env=aws_env(emulator),
        capture_output=True,
        check=True,
    )
    assert f"{ITEMS - CHANGED + 2} watched objects; 1 new, changed or gone; nothing to publish" in (
        reconciled.stdout.decode()
    )
