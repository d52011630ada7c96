"""Event-driven reindexing figures, beside a full rebuild of the same objects.

On LocalStack (host mode) with real S3 → SQS notifications of STAC JSON under ``stac/`` (the
template's rules; the index root beside that prefix) and one ``stacsift worker`` process with
its default batching:

- upload → searchable latency p50/p95 for single uploads, one at a time;
- the same for a burst of items uploaded by 8 threads, the time until all are searchable, and
  the events per second the worker sustained;
- the baseline: a full rebuild of everything under the watched prefix (read every object,
  publish a new index), which is what making one upload searchable costs without events.

On a local folder root, for each size: bytes uploaded by a one-item change (an event for one
object) against the bytes of the whole index (tantivy files + GeoParquet parts), which a full
build uploads. Usage: ``python -m bench.reindex [--singles 20] [--burst 1000]
[--batch-size N] [--window SECONDS] [--sizes 20000,200000]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from bench.synthetic import collections, items
from bench.timing import percentile
from stacsift.errors import StacsiftError
from stacsift.index.documents import Origin, to_document
from stacsift.index.origins import ObjectState
from stacsift.index.reader import IndexReader
from stacsift.query.params import SearchRequest
from stacsift.reindex.objects import Sources
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from stacsift.update import Changes, apply_changes, apply_objects
from stacsift_cli.worker import BATCH_SIZE
from tests import localstack
from tests.integration.conftest import free_port, s3_client
from tests.support.reindexing import aws_env, notifying_bucket

PROJECT = Path(__file__).resolve().parents[1]
POLL_SECONDS = 0.05  # how often the reader looks for a new generation (a search Lambda: TTL)
# ... during the burst: each look is a request to the emulator, whose one busy core (S3 PUTs,
# notifications, the worker's reads) bounds the burst; a search Lambda looks every few seconds
BURST_POLL_SECONDS = 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--singles", type=int, default=20)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="worker's batch cap")
    parser.add_argument("--window", type=float, default=0.0, help="worker's batching window")
    parser.add_argument("--sizes", default="20000,200000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reindex-") as tmp:
        work = Path(tmp)
        latency(work, args.singles, args.burst, (args.batch_size, args.window))
        for size in (int(s) for s in args.sizes.split(",") if s):
            one_item_change(work / f"size-{size}", size)


def latency(work: Path, singles: int, burst: int, batching: tuple[int, float]) -> None:
    with localstack.running(free_port(), work / "volume", work / "localstack.log") as url:
        store = StoreSettings(
            endpoint=url,
            region="us-east-1",
            access_key_id=localstack.ACCESS_KEY,
            secret_access_key=localstack.SECRET_KEY,
        )
        stack = _Stack(store, work)
        for collection in collections():
            stack.put(f"stac/{collection['id']}/collection.json", collection)
        generated = list(items(singles + burst, seed=7))
        with stack.worker(*batching):
            stack.wait_for(set(), 0)  # the collections are in
            single = [stack.single(item) for item in generated[:singles]]
            waits, uploading, total = stack.burst(generated[singles:])
        rebuild = stack.full_rebuild()
        lines = (work / "worker.log").read_text().splitlines()
        sizes = [line.split("batch of ")[1].split()[0] for line in lines if "batch of" in line]
    print(
        f"reindex latency on LocalStack (S3 → SQS → 1 worker, batches ≤ {batching[0]} "
        f"messages, batching window {batching[1]} s)"
    )
    print(f"  single uploads ({singles}): {_p50_p95(single)}")
    print(f"  burst of {burst} (8 threads): {_p50_p95(waits)}; all searchable in {total:.2f} s")
    print(f"    (the emulator alone took {uploading:.2f} s to accept the {burst} uploads)")
    print(
        f"  events/s through one worker (burst / time until all searchable): {burst / total:,.0f}"
    )
    print(f"    worker batch sizes: {' '.join(sizes)}")
    print(f"  baseline, full rebuild of the prefix ({singles + burst} items): {rebuild:.2f} s")


def _p50_p95(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5):.2f} s  p95 {percentile(values, 0.95):.2f} s"


class _Stack:
    """A bucket notifying a queue of STAC JSON under stac/, an index root beside it, a reader."""

    def __init__(self, store: StoreSettings, work: Path) -> None:
        self.store, self.work = store, work
        self.s3 = s3_client(store)
        self.bucket, self.queue_url = notifying_bucket(store, "bench-reindex")
        self.root = f"s3://{self.bucket}/index"  # beside the watched prefix, as the template
        self.reader = IndexReader(open_bucket(self.root, store), work / "reader", ttl_seconds=0)
        self._generation, self._found = 0, set[str]()

    def put(self, key: str, obj: dict[str, Any]) -> float:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=orjson.dumps(obj))
        return time.monotonic()

    @contextmanager
    def worker(self, batch_size: int, window: float) -> Iterator[None]:
        env = {**aws_env(self.store), "POWERTOOLS_METRICS_DISABLED": "true"}
        command = [
            *(sys.executable, "-m", "stacsift_cli.main", "-v", "worker"),
            *("--queue-url", self.queue_url, "--root", self.root),
            *("--watch", f"s3://{self.bucket}/stac/", "--batch-size", str(batch_size)),
            *("--window", str(window)),
            *("--cache-dir", str(self.work / "worker-cache")),
        ]
        log = (self.work / "worker.log").open("wb")
        process = subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=log
        )
        try:
            yield
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()

    def found(self) -> set[str]:
        """The item ids the current generation finds (searched once per generation)."""
        try:
            index = self.reader.current()
        except StacsiftError:  # no generation yet
            return set()
        if index.manifest.generation != self._generation:
            page = search_items(index, SearchRequest(limit=10_000))
            self._found = {str(f["id"]) for f in page.features}
            self._generation = index.manifest.generation
        return self._found

    def wait_for(self, ids: set[str], collections_too: int = 5) -> float:
        """Poll the index until it finds ``ids``; returns when it did (monotonic)."""
        while True:
            try:
                manifest = self.reader.current().manifest
            except StacsiftError:  # no generation yet
                time.sleep(POLL_SECONDS)
                continue
            if len(manifest.collections) >= collections_too and ids <= self.found():
                return time.monotonic()
            time.sleep(POLL_SECONDS)

    def single(self, item: dict[str, Any]) -> float:
        started = time.monotonic()
        self.put(_key(item), item)
        return self.wait_for({item["id"]}) - started

    def burst(self, burst: list[dict[str, Any]]) -> tuple[list[float], float, float]:
        """Per-item upload → searchable seconds, seconds to upload them, seconds until all
        are searchable."""
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            uploaded = dict(
                zip(
                    (i["id"] for i in burst),
                    pool.map(
                        lambda i: self.put(f"stac/{i['collection']}/{i['id']}.json", i), burst
                    ),
                    strict=True,
                )
            )
        uploading = time.monotonic() - started
        seen: dict[str, float] = {}
        while len(seen) < len(burst):
            now_found = self.found() & uploaded.keys()
            now = time.monotonic()
            for item_id in now_found - seen.keys():
                seen[item_id] = now
            time.sleep(BURST_POLL_SECONDS)
        waits = [seen[i] - uploaded[i] for i in uploaded]
        return waits, uploading, max(seen.values()) - started

    def full_rebuild(self) -> float:
        """Read every object under the watched prefix and publish a fresh index of them."""
        started = time.monotonic()
        sources = Sources(self.store, 64 * 1024 * 1024)
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix="stac/"
        )
        keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
        urls = [f"s3://{self.bucket}/{k}" for k in keys]
        with ThreadPoolExecutor(16) as pool:
            reads = list(pool.map(sources.read, urls))
        documents = [d for r in reads for d in r.state.documents]
        target = open_bucket(f"s3://{self.bucket}/rebuild", self.store)
        apply_changes(target, Changes(documents, replace=True), self.work / "rebuild-cache")
        return time.monotonic() - started


def _key(item: dict[str, Any]) -> str:
    return f"stac/{item['collection']}/{item['id']}.json"


def one_item_change(work: Path, size: int) -> None:
    """Bytes a one-item change uploads, against the whole index a full build uploads."""
    bucket = open_bucket(str(work / "root"), StoreSettings(), create=True)
    objects = [*collections(), *items(size)]
    started = time.monotonic()
    full = apply_changes(
        bucket, Changes([to_document(o) for o in objects], replace=True), work / "cache", work
    )
    full_seconds = time.monotonic() - started
    index_bytes = sum(e.size for e in full.manifest.tantivy_files) + sum(
        p.size for p in full.manifest.table_parts
    )
    changed = {**objects[-1], "properties": {**objects[-1]["properties"], "title": "changed"}}
    url = f"s3://bucket/stac/{changed['id']}.json"
    origin = Origin(url, time.time_ns() // 1000, '"changed"')
    state = ObjectState(url, origin, [to_document(changed, url).with_origin(origin)])
    started = time.monotonic()
    one = apply_objects(bucket, Changes(objects=[state]), work / "cache", work)
    seconds = time.monotonic() - started
    assert one is not None
    print(
        f"{size:,} items: full build uploads {full.uploaded_bytes / 1e6:,.1f} MB in "
        f"{full_seconds:.1f} s; a one-item change uploads {one.uploaded_bytes / 1e3:,.1f} kB "
        f"in {seconds:.2f} s = {one.uploaded_bytes / index_bytes:.2%} of the index "
        f"({index_bytes / 1e6:,.1f} MB; target ≤ 1% at 200k)"
    )


if __name__ == "__main__":
    main()
