"""End to end on LocalStack with real S3 → SQS notifications: uploads, overwrites and deletes in
random order while two ``stacsift worker`` processes drain the queue; the index ends holding
exactly what the bucket holds. Also the rejects list and ``stacsift rejects``."""

from __future__ import annotations

import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest

from stacsift.settings import StoreSettings
from tests.conftest import PROJECT
from tests.integration.conftest import s3_client
from tests.support.reindexing import (
    aws_env,
    drain,
    found,
    naip,
    notifying_bucket,
    rejects_listing,
    titled,
)

ITEMS = 120  # the 500 run in bench/reindex.py; this keeps the tier fast


@pytest.mark.integration
def test_two_workers_make_the_index_hold_what_the_bucket_holds(
    localstack: StoreSettings, tmp_path: Path
) -> None:
    bucket, queue_url = notifying_bucket(localstack)
    root = f"s3://{bucket}/stac/index"
    collection, items = naip()
    chosen = [titled(i, f"upload{n:04d}") for n, i in enumerate(items[:ITEMS])]
    uploads = [("stac/naip/collection.json", collection)] + [
        (f"stac/naip/{i['id']}.json", i) for i in chosen
    ]
    random.Random(11).shuffle(uploads)  # items before their collection included
    s3 = s3_client(localstack)

    def put(entry: tuple[str, dict[str, Any]]) -> None:
        s3.put_object(Bucket=bucket, Key=entry[0], Body=orjson.dumps(entry[1]))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, uploads))
    drain(localstack, queue_url, root, bucket, tmp_path)
    assert found(localstack, root, tmp_path) == {i["id"] for i in chosen}
    assert found(localstack, root, tmp_path, "upload0007") == {chosen[7]["id"]}

    renamed = [titled(i, f"renamed{n:04d}") for n, i in enumerate(chosen[:20])]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, [(f"stac/naip/{i['id']}.json", i) for i in renamed]))
        keys = [f"stac/naip/{i['id']}.json" for i in chosen[-20:]]
        list(pool.map(lambda k: s3.delete_object(Bucket=bucket, Key=k), keys))
    s3.put_object(Bucket=bucket, Key="stac/broken.json", Body=b'{"type": "Feature"')
    drain(localstack, queue_url, root, bucket, tmp_path)
    assert found(localstack, root, tmp_path) == {i["id"] for i in chosen[:-20]}
    assert found(localstack, root, tmp_path, "renamed0003") == {chosen[3]["id"]}
    assert found(localstack, root, tmp_path, "upload0003") == set()

    listed = rejects_listing(localstack, root)
    assert f"s3://{bucket}/stac/broken.json" in listed
    assert "malformed JSON" in listed
    # a reconcile finds nothing to repair (the broken upload is read again and rejected again)
    reconciled = subprocess.run(
        [
            *(sys.executable, "-m", "stacsift_cli.main", "reconcile", "--root", root),
            *("--watch", f"s3://{bucket}/stac/", "--cache-dir", str(tmp_path / "reconcile")),
        ],
        cwd=PROJECT,
        env=aws_env(localstack),
        capture_output=True,
        check=True,
    )
    assert f"{ITEMS - 20 + 2} watched objects; 1 new, changed or gone; nothing to publish" in (
        reconciled.stdout.decode()
    )
