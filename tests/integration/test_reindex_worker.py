"""End to end on LocalStack with real S3 → SQS notifications: uploads, overwrites and deletes in
random order while two ``stacsift worker`` processes drain the queue; the index ends holding
exactly what the bucket holds. Also the rejects list and ``stacsift rejects``."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest

from stacsift.index.reader import IndexReader
from stacsift.query.params import SearchRequest
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.conftest import PROJECT
from tests.integration.conftest import s3_client
from tests.support.reindexing import naip, titled

ITEMS = 120  # the 500 run in bench/reindex.py; this keeps the tier fast
IDLE_SECONDS = "4"


def _env(store: StoreSettings) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": str(store.endpoint),
        "AWS_ACCESS_KEY_ID": str(store.access_key_id),
        "AWS_SECRET_ACCESS_KEY": str(store.secret_access_key),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def _notifying_bucket(store: StoreSettings) -> tuple[str, str]:
    """A bucket that notifies a new queue of every object creation and removal."""
    name = f"watched-{uuid.uuid4().hex[:10]}"
    sqs = boto3.client("sqs", **_client_args(store))
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    s3 = s3_client(store)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn["Attributes"]["QueueArn"],
                    "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                }
            ]
        },
    )
    return name, queue_url


def _client_args(store: StoreSettings) -> dict[str, Any]:
    return {
        "endpoint_url": store.endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": store.access_key_id,
        "aws_secret_access_key": store.secret_access_key,
    }


def _drain(store: StoreSettings, queue_url: str, root: str, bucket: str, work: Path) -> None:
    """Two workers in their own processes until the queue has been idle a while."""
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stacsift_cli.main",
                "worker",
                "--queue-url",
                queue_url,
                "--root",
                root,
                "--watch",
                f"s3://{bucket}/stac/",
                "--until-idle",
                IDLE_SECONDS,
                "--cache-dir",
                str(work / f"cache-{n}"),
            ],
            cwd=PROJECT,
            env=_env(store),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(2)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode()


def _found(store: StoreSettings, root: str, work: Path, text: str | None = None) -> set[str]:
    cache = work / f"read-{uuid.uuid4().hex[:6]}"
    index = IndexReader(open_bucket(root, store), cache, ttl_seconds=0).current()
    page = search_items(index, SearchRequest(q=text, limit=10_000))
    return {str(f["id"]) for f in page.features}


@pytest.mark.integration
def test_two_workers_make_the_index_hold_what_the_bucket_holds(
    localstack: StoreSettings, tmp_path: Path
) -> None:
    bucket, queue_url = _notifying_bucket(localstack)
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
    _drain(localstack, queue_url, root, bucket, tmp_path)
    assert _found(localstack, root, tmp_path) == {i["id"] for i in chosen}
    assert _found(localstack, root, tmp_path, "upload0007") == {chosen[7]["id"]}

    renamed = [titled(i, f"renamed{n:04d}") for n, i in enumerate(chosen[:20])]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, [(f"stac/naip/{i['id']}.json", i) for i in renamed]))
        keys = [f"stac/naip/{i['id']}.json" for i in chosen[-20:]]
        list(pool.map(lambda k: s3.delete_object(Bucket=bucket, Key=k), keys))
    s3.put_object(Bucket=bucket, Key="stac/broken.json", Body=b'{"type": "Feature"')
    _drain(localstack, queue_url, root, bucket, tmp_path)
    assert _found(localstack, root, tmp_path) == {i["id"] for i in chosen[:-20]}
    assert _found(localstack, root, tmp_path, "renamed0003") == {chosen[3]["id"]}
    assert _found(localstack, root, tmp_path, "upload0003") == set()

    listed = subprocess.run(
        [sys.executable, "-m", "stacsift_cli.main", "rejects", "--root", root],
        cwd=PROJECT,
        env=_env(localstack),
        capture_output=True,
        check=True,
    )
    assert f"s3://{bucket}/stac/broken.json" in listed.stdout.decode()
    assert "malformed JSON" in listed.stdout.decode()
    # a reconcile finds nothing to repair (the broken upload is read again and rejected again)
    reconciled = subprocess.run(
        [
            *(sys.executable, "-m", "stacsift_cli.main", "reconcile", "--root", root),
            *("--watch", f"s3://{bucket}/stac/", "--cache-dir", str(tmp_path / "reconcile")),
        ],
        cwd=PROJECT,
        env=_env(localstack),
        capture_output=True,
        check=True,
    )
    assert f"{ITEMS - 20 + 2} watched objects; 1 new, changed or gone; nothing to publish" in (
        reconciled.stdout.decode()
    )
