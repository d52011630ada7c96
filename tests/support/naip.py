"""The Planetary Computer NAIP fixture (1,000 items and their collection) as crawled objects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson

from index_builder.build import build_objects
from index_builder.crawl import Crawled, CrawlReport
from stacsift.store import Bucket

NAIP = "items/planetary-computer-naip"


def naip_objects(fixtures: Path) -> Iterator[Crawled]:
    folder = fixtures / NAIP
    collection = folder / "naip-collection.json"
    yield Crawled("Collection", collection.as_uri(), orjson.loads(collection.read_bytes()))
    items = folder / "naip-items.ndjson"
    for number, line in enumerate(items.read_bytes().splitlines(), start=1):
        if line.strip():
            yield Crawled("Item", f"{items.as_uri()}#{number}", orjson.loads(line))


def build_naip(fixtures: Path, bucket: Bucket, work_dir: Path | None = None) -> None:
    report = CrawlReport()
    build_objects(naip_objects(fixtures), [str(fixtures / NAIP)], bucket, report, work_dir)
