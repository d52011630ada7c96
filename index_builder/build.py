"""Build: crawl sources → tantivy index + GeoParquet parts → publish a new generation.

The crawl is spooled to local disk first (:mod:`index_builder.spool`). When its digest equals the
one recorded in the published manifest (same sources, same objects, byte for byte), nothing is
rebuilt or published: the current generation already is that catalog.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index_builder.crawl import Crawled, Crawler, CrawlReport
from index_builder.publish import commit, current_manifest, upload
from index_builder.spool import Spool
from stacsift.errors import StacsiftError
from stacsift.index.documents import Document, Unindexable, to_document
from stacsift.index.manifest import (
    TABLE_PREFIX,
    TANTIVY_PREFIX,
    CollectionSummary,
    FileEntry,
    Manifest,
    TablePart,
)
from stacsift.index.writer import generation_files, write_index
from stacsift.store import Bucket
from stacsift.table import partition_name, write_part

logger = logging.getLogger(__name__)
# What stac-geoparquet and pyarrow raise for data they cannot put in a table (mixed types,
# mixed 2D/3D boxes, …); pyarrow's own errors subclass these.
TABLE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, NotImplementedError)
NO_TABLE_ROW = (
    "item has a null geometry: indexed and searchable, but not in the GeoParquet table "
    "(stac-geoparquet needs a geometry)"
)


class IncompleteCrawl(StacsiftError):
    """``strict`` was asked for and documents were skipped: nothing was published."""

    def __init__(self, report: CrawlReport) -> None:
        super().__init__(
            f"{len(report.skipped)} documents skipped with --strict; nothing was published"
        )
        self.report = report


@dataclass
class BuildResult:
    """What a build did: the published manifest and the crawl report."""

    manifest: Manifest
    report: CrawlReport
    duplicates: list[str] = field(default_factory=list)
    unchanged: bool = False
    """Nothing changed since ``manifest`` (the current generation): nothing was published."""


def build(
    sources: list[str],
    bucket: Bucket,
    work_dir: Path | None = None,
    *,
    crawler: Crawler | None = None,
    strict: bool = False,
    force: bool = False,
) -> BuildResult:
    """Crawl ``sources`` and publish them at ``bucket`` as the next generation of its index.

    Unless ``force`` is given, a crawl identical to the one the current generation was built
    from publishes nothing (``BuildResult.unchanged``). With ``strict``, any skipped document
    raises :class:`IncompleteCrawl` before anything is published.
    """
    report = CrawlReport()
    own = crawler is None
    active = crawler or Crawler()
    try:
        with tempfile.TemporaryDirectory(prefix="stacsift-crawl-", dir=work_dir) as tmp:
            spool = Spool(Path(tmp) / "crawl.ndjson")
            digest = spool.write(active.crawl(sources, report))
            previous = None if force else current_manifest(bucket)[0]
            if previous is not None and _same_crawl(previous, sources, digest):
                logger.info("unchanged since generation %s; nothing published", previous.generation)
                return BuildResult(previous, report, unchanged=True)
            return build_objects(
                spool.read(), sources, bucket, report, work_dir, strict=strict, digest=digest
            )
    finally:
        if own:
            active.close()


def _same_crawl(previous: Manifest, sources: list[str], digest: str) -> bool:
    return previous.sources == list(sources) and previous.stats.get("crawl_digest") == digest


def build_objects(
    objects: Iterable[Crawled],
    sources: list[str],
    bucket: Bucket,
    report: CrawlReport,
    work_dir: Path | None = None,
    *,
    strict: bool = False,
    digest: str | None = None,
) -> BuildResult:
    """Index ``objects`` and publish them at ``bucket`` as the next generation of its index.

    Duplicate objects (same collection and id) keep the first one crawled, in source order and
    breadth-first within a source; later ones are reported, never merged. The crawl's order
    is deterministic (see :mod:`index_builder.walk`), so the same one wins on every build.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="stacsift-build-", dir=work_dir) as tmp:
        work = Path(tmp)
        collector = _Collector(report)
        write_index(work / "tantivy", collector.documents(objects))
        if strict and report.skipped:
            raise IncompleteCrawl(report)
        build_id = uuid.uuid4().hex
        files = _tantivy_uploads(work / "tantivy", build_id)
        parts = _table_parts(work / "table", collector.items_by_collection, build_id, report)
        upload(bucket, files | {p.key: work / "table" / _local_name(p) for p in parts})
        meta_key = f"{TANTIVY_PREFIX}meta-{build_id}.json"
        entries = [FileEntry(k, p.stat().st_size) for k, p in files.items() if k != meta_key]
        stats = {
            "counts": dict(report.counts),
            "skipped": len(report.skipped),
            "duplicates": len(collector.duplicates),
            "seconds": round(time.monotonic() - started, 3),
        }
        if digest is not None:
            stats["crawl_digest"] = digest

        def make(previous: Manifest | None) -> Manifest:
            return Manifest(
                generation=(previous.generation + 1) if previous else 1,
                created=datetime.now(UTC).isoformat(),
                tantivy_meta=meta_key,
                tantivy_files=entries,
                table_parts=parts,
                collections=collector.summaries(),
                sources=list(sources),
                stats=stats,
            )

        manifest = commit(bucket, make)
    logger.info("published generation %s to %s", manifest.generation, bucket.url)
    return BuildResult(manifest, report, collector.duplicates)


class _Collector:
    """Turns crawled objects into documents, keeping what the table and manifest need."""

    def __init__(self, report: CrawlReport) -> None:
        self.report = report
        self.keys: set[str] = set()
        self.duplicates: list[str] = []
        self.items_by_collection: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.docs: dict[str, list[Document]] = defaultdict(list)

    def documents(self, crawled: Iterable[Crawled]) -> Iterator[Document]:
        for obj in crawled:
            if obj.kind == "Catalog":
                continue
            try:
                document = to_document(obj.data)
            except Unindexable as err:
                self.report.skip(obj.href, f"cannot be indexed: {err}")
                continue
            if document.key in self.keys:
                self.duplicates.append(obj.href)
                self.report.skip(obj.href, f"duplicate of {document.key}; the first one is kept")
                continue
            self.keys.add(document.key)
            self.docs[document.kind].append(document)
            if document.kind == "item":
                if obj.data.get("geometry") is None:
                    self.report.warn(obj.href, NO_TABLE_ROW)
                else:
                    self.items_by_collection[document.collection].append(obj.data)
            yield document

    def summaries(self) -> dict[str, CollectionSummary]:
        items: dict[str, list[Document]] = defaultdict(list)
        for document in self.docs["item"]:
            items[document.collection].append(document)
        ids = {d.id for d in self.docs["collection"]} | set(items)
        return {cid: _summary(items.get(cid, [])) for cid in sorted(ids)}


def _summary(items: list[Document]) -> CollectionSummary:
    boxes = [d.bbox for d in items if d.bbox is not None]
    bbox = (
        [
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ]
        if boxes
        else None
    )
    interval: list[str | None] = [None, None]
    if items:
        interval = [_iso(min(d.start for d in items)), _iso(max(d.end for d in items))]
    return CollectionSummary(items=len(items), bbox=bbox, interval=interval)


def _iso(micros: int) -> str | None:
    try:
        return datetime.fromtimestamp(micros / 1e6, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, ValueError, OSError):
        return None  # an open end


def _tantivy_uploads(directory: Path, build_id: str) -> dict[str, Path]:
    meta, segments = generation_files(directory)
    files = {f"{TANTIVY_PREFIX}{p.name}": p for p in segments}
    files[f"{TANTIVY_PREFIX}meta-{build_id}.json"] = meta
    return files


def _table_parts(
    directory: Path, items: dict[str, list[dict[str, Any]]], build_id: str, report: CrawlReport
) -> list[TablePart]:
    parts = []
    for collection, rows in sorted(items.items()):
        try:
            local = write_part(directory, collection, rows)
        except TABLE_ERRORS as err:  # stac-geoparquet refuses data the index took leniently
            report.warn(
                f"collection {collection}",
                f"GeoParquet part of collection {collection!r} not written "
                f"({type(err).__name__}: {str(err)[:200]}); its items are indexed",
            )
            continue
        key = f"{TABLE_PREFIX}{partition_name(collection)}/part-{build_id}.parquet"
        parts.append(TablePart(key, collection, local.rows, local.path.stat().st_size))
    return parts


def _local_name(part: TablePart) -> str:
    return part.key.split("/")[-2].removeprefix("collection=") + ".parquet"
