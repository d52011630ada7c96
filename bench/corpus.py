"""Synthetic index roots for the search benchmark, built once and cached in ``.cache/bench``.

A root is named by its size and the index format, so a format change builds anew; building
2,000,000 items takes tens of minutes, so ``python -m bench.corpus 2000000`` can run ahead of
the benchmark (in the background).
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from bench.synthetic import collections, items
from index_builder.build import build_objects
from index_builder.crawl import Crawled, CrawlReport
from stacsift.index.documents import to_document
from stacsift.index.schema import FORMAT_VERSION
from stacsift.settings import StoreSettings
from stacsift.store import Bucket, open_bucket
from stacsift.update import Changes, apply_changes

CHUNK = 200_000
CACHE = Path(__file__).resolve().parent.parent / ".cache" / "bench"


def root(count: int) -> Path:
    """The cached root of ``count`` synthetic items (built when missing)."""
    folder = CACHE / f"root-{count}-format{FORMAT_VERSION}"
    if (folder / "index" / "manifest.json").is_file():
        return folder
    staging = CACHE / f".building-{count}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    started = time.perf_counter()
    bucket = open_bucket(str(staging / "root"), StoreSettings(), create=True)
    if count <= CHUNK:
        build_objects(_objects(count), ["synthetic"], bucket, CrawlReport(), staging)
    else:
        _build_in_chunks(count, bucket, staging)
    (staging / "root").rename(folder)
    shutil.rmtree(staging, ignore_errors=True)
    print(f"  built {count:,} items in {time.perf_counter() - started:.0f} s: {folder}")
    return folder


def _build_in_chunks(count: int, bucket: Bucket, work: Path) -> None:
    """Generations of :data:`CHUNK` items each: one build of millions holds them all in
    memory (2,000,000 items passed 17 GB); the index then has more segments than one build
    would give it."""
    documents = (to_document(item) for item in items(count))
    first = [to_document(c) for c in collections()]
    while chunk := first + list(islice(documents, CHUNK)):
        apply_changes(bucket, Changes(chunk, replace=bool(first)), work / "cache", work)
        first = []
        print(f"  … {bucket.url}: another {len(chunk):,} documents", flush=True)


def _objects(count: int) -> Iterator[Crawled]:
    yield from (Crawled("Collection", "memory:c", c) for c in collections())
    yield from (Crawled("Item", "memory:i", i) for i in items(count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", help="comma-separated item counts, e.g. 20000,200000,2000000")
    for count in (int(s) for s in parser.parse_args().sizes.split(",")):
        root(count)


if __name__ == "__main__":
    main()
