"""Helpers for reindex tests: a watched bucket on the emulator, SQS events as Lambda delivers
them, and what the index holds afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import orjson

from functions.reindex import process
from stacsift.index.reader import IndexReader
from stacsift.query.params import SearchRequest
from stacsift.reindex.apply import Reindexer, open_reindexer
from stacsift.search import search_items
from stacsift.settings import ReindexSettings, StoreSettings
from stacsift.store import open_bucket
from tests.conftest import FIXTURES, PROJECT
from tests.integration.conftest import s3_client, sqs_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import QueueConfigurationTypeDef

NAIP = FIXTURES / "items/planetary-computer-naip"
WORKER_IDLE_SECONDS = "4"


def naip() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    collection = orjson.loads((NAIP / "naip-collection.json").read_bytes())
    lines = (NAIP / "naip-items.ndjson").read_bytes().splitlines()
    return collection, [orjson.loads(x) for x in lines if x]


def titled(item: dict[str, Any], title: str) -> dict[str, Any]:
    return {**item, "properties": {**item["properties"], "title": title}}


def s3_body(bucket: str, key: str, name: str = "ObjectCreated:Put") -> str:
    record = {
        "eventSource": "aws:s3",
        "eventTime": "2026-12-03T03:00:00.000Z",
        "eventName": name,
        "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key)}},
    }
    return orjson.dumps({"Records": [record]}).decode()


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    """An SQS event exactly as the Lambda event-source mapping delivers it."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": f"handle-{n}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:events",
                "awsRegion": "us-east-1",
            }
            for n, body in enumerate(bodies)
        ]
    }


@dataclass
class Watched:
    """A bucket watched under ``stac/``, with the index root beneath it (``stac/index``)."""

    client: S3Client
    bucket: str
    settings: ReindexSettings
    work: Path

    @property
    def root(self) -> str:
        return self.settings.root

    def put(self, key: str, obj: Any) -> None:
        body = obj if isinstance(obj, bytes) else orjson.dumps(obj)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def reindexer(self, name: str = "worker") -> Reindexer:
        return open_reindexer(
            ReindexSettings(
                self.settings.root,
                self.settings.watch,
                self.settings.store,
                self.work / f"cache-{name}",
                self.settings.max_object_bytes,
            )
        )

    def deliver(self, keys: list[str], reindexer: Reindexer | None = None) -> dict[str, Any]:
        bodies = [s3_body(self.bucket, key) for key in keys]
        return process(reindexer or self.reindexer(), sqs_event(bodies))

    def generation(self) -> int:
        reader = IndexReader(open_bucket(self.root, self.settings.store), self.work / "g", 0)
        return reader.current().manifest.generation

    def titles(self) -> dict[str, str]:
        """Item id → title of every item the current generation finds."""
        cache = self.work / f"read-{uuid.uuid4().hex[:6]}"
        index = IndexReader(open_bucket(self.root, self.settings.store), cache, 0).current()
        page = search_items(index, SearchRequest(limit=10_000))
        return {str(f["id"]): str(f["properties"].get("title", "")) for f in page.features}


def watched_bucket(client: S3Client, store: StoreSettings, work: Path) -> Watched:
    name = f"watched-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=name)
    settings = ReindexSettings(
        root=f"s3://{name}/stac/index",
        watch=(f"s3://{name}/stac/",),
        store=store,
        cache_dir=work / "cache",
        max_object_bytes=1_000_000,
    )
    return Watched(client, name, settings, work)


def aws_env(store: StoreSettings) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": str(store.endpoint),
        "AWS_ACCESS_KEY_ID": str(store.access_key_id),
        "AWS_SECRET_ACCESS_KEY": str(store.secret_access_key),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def notifying_bucket(
    store: StoreSettings, name: str | None = None, prefix: str = "stac/"
) -> tuple[str, str]:
    """A bucket that notifies a new queue (both called ``name``, else a fresh one) of every
    creation and removal of STAC JSON under ``prefix``, with the rules infra/template.yaml
    sets; returns (bucket, queue URL)."""
    name = name or f"watched-{uuid.uuid4().hex[:10]}"
    sqs = sqs_client(store)
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    s3 = s3_client(store)
    s3.create_bucket(Bucket=name)
    rules: list[QueueConfigurationTypeDef] = [
        {
            "QueueArn": arn["Attributes"]["QueueArn"],
            "Events": [event],
            "Filter": {
                "Key": {
                    "FilterRules": [
                        {"Name": "prefix", "Value": prefix},
                        {"Name": "suffix", "Value": suffix},
                    ]
                }
            },
        }
        for event in ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
        for suffix in (".json", ".geojson", ".ndjson")
    ]
    s3.put_bucket_notification_configuration(
        Bucket=name, NotificationConfiguration={"QueueConfigurations": rules}
    )
    return name, queue_url


@contextmanager
def workers(
    store: StoreSettings, queue_url: str, root: str, bucket: str, work: Path
) -> Iterator[None]:
    """Two ``stacsift worker`` processes draining the queue while the block runs; leaving it
    waits until both have found the queue idle a while and exited."""
    started = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "stacsift_cli.main", "worker"),
                *("--queue-url", queue_url, "--root", root),
                *("--watch", f"s3://{bucket}/stac/", "--until-idle", WORKER_IDLE_SECONDS),
                *("--cache-dir", str(work / f"cache-{n}")),
            ],
            cwd=PROJECT,
            env=aws_env(store),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(2)
    ]
    try:
        yield
    finally:
        outputs = [w.communicate(timeout=300) for w in started]
    for worker, (_, err) in zip(started, outputs, strict=True):
        assert worker.returncode == 0, err.decode()


def drain(store: StoreSettings, queue_url: str, root: str, bucket: str, work: Path) -> None:
    """Two workers in their own processes until the queue has been idle a while."""
    with workers(store, queue_url, root, bucket, work):
        pass


def found(store: StoreSettings, root: str, work: Path, text: str | None = None) -> set[str]:
    cache = work / f"read-{uuid.uuid4().hex[:6]}"
    index = IndexReader(open_bucket(root, store), cache, ttl_seconds=0).current()
    page = search_items(index, SearchRequest(q=text, limit=10_000))
    return {str(f["id"]) for f in page.features}


def rejects_listing(store: StoreSettings, root: str) -> str:
    """What ``stacsift rejects`` prints for ``root``."""
    listed = subprocess.run(
        [sys.executable, "-m", "stacsift_cli.main", "rejects", "--root", root],
        cwd=PROJECT,
        env=aws_env(store),
        capture_output=True,
        check=True,
    )
    return listed.stdout.decode()
