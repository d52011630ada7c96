"""Build: crawl sources → documents → a new generation published with :mod:`stacsift.update`.

The crawl is spooled to local disk first (:mod:`index_builder.spool`). When its digest equals the
one recorded in the published manifest (same sources, same objects, byte for byte), nothing is
rebuilt or published. Otherwise the build is incremental on a root that already has an index:
each source's documents are compared with what the index holds for that source (a content digest
per document), and only new, changed and vanished documents are written. ``full`` rebuilds from
scratch.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import tantivy

from index_builder.crawl import Crawled, Crawler, CrawlReport
from index_builder.links import source_url
from index_builder.spool import Spool
from stacsift.errors import SourceError, StacsiftError
from stacsift.index import schema as f
from stacsift.index.documents import STATE_SEPARATOR, Document, Unindexable, to_document
from stacsift.index.manifest import Manifest
from stacsift.index.publish import current_manifest
from stacsift.index.reader import IndexReader
from stacsift.index.writer import gc_paused
from stacsift.store import Bucket
from stacsift.update import Changes, UpdateResult, apply_changes

logger = logging.getLogger(__name__)
DEFAULT_CACHE = Path.home() / ".cache" / "stacsift"
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
    """What a build did: the current manifest afterwards, and the crawl report."""

    manifest: Manifest
    report: CrawlReport
    duplicates: list[str] = field(default_factory=list)
    unchanged: bool = False
    """Nothing changed since ``manifest`` (the current generation): nothing was published."""
    update: UpdateResult | None = None
    changed: int = 0
    deleted: int = 0


def build(
    sources: list[str],
    bucket: Bucket,
    work_dir: Path | None = None,
    *,
    crawler: Crawler | None = None,
    strict: bool = False,
    force: bool = False,
    full: bool = False,
    cache_dir: Path | None = None,
) -> BuildResult:
    """Crawl ``sources`` and publish what changed at ``bucket``.

    ``force`` or ``full`` rebuild and publish even when nothing changed. With ``strict``, any
    skipped document raises :class:`IncompleteCrawl` before anything is published.
    """
    report = CrawlReport()
    own = crawler is None
    active = crawler or Crawler()
    names = [_source_name(s) for s in sources]
    try:
        with tempfile.TemporaryDirectory(prefix="stacsift-crawl-", dir=work_dir) as tmp:
            spools = []
            for number, source in enumerate(sources):
                spool = Spool(Path(tmp) / f"crawl-{number}.ndjson")
                spool.write(active.crawl(source, report))
                spools.append(spool)
            digest = _combined([s.digest for s in spools])
            rebuild = force or full
            previous = current_manifest(bucket, replacing=rebuild)[0]
            if previous is not None and not rebuild and _same_crawl(previous, names, digest):
                logger.info("unchanged since generation %s; nothing published", previous.generation)
                return BuildResult(previous, report, unchanged=True)
            objects = (
                (name, obj)
                for name, spool in zip(names, spools, strict=True)
                for obj in spool.read()
            )
            return build_objects(
                objects,
                names,
                bucket,
                report,
                work_dir,
                strict=strict,
                digest=digest,
                full=rebuild,
                cache_dir=cache_dir,
            )
    finally:
        if own:
            active.close()


def build_objects(
    objects: Iterable[tuple[str, Crawled]] | Iterable[Crawled],
    sources: list[str],
    bucket: Bucket,
    report: CrawlReport,
    work_dir: Path | None = None,
    *,
    strict: bool = False,
    digest: str | None = None,
    full: bool = False,
    cache_dir: Path | None = None,
) -> BuildResult:
    """Index crawled objects (each tagged with its source) and publish what changed.

    Duplicate objects (same collection and id) keep the first one crawled, in source order and
    breadth-first within a source; later ones are reported, never merged. The crawl's order
    is deterministic (see :mod:`index_builder.walk`), so the same one wins on every build.
    """
    started = time.monotonic()
    cache = cache_dir or (work_dir / "cache" if work_dir else DEFAULT_CACHE)
    collector = _Collector(report)
    with gc_paused():  # millions of short-lived containers: see gc_paused
        documents = list(collector.documents(_tagged(objects, sources)))
    if strict and report.skipped:
        raise IncompleteCrawl(report)
    previous, _ = current_manifest(bucket, replacing=full)
    deletes: list[str] = []
    if previous is None or full:
        upserts, replace = documents, True
    else:
        upserts, deletes = _diff(documents, _indexed_state(bucket, cache, sources))
        replace = False
        if not upserts and not deletes:
            logger.info("nothing changed at %s", bucket.url)
            return BuildResult(previous, report, collector.duplicates, unchanged=True)
    stats: dict[str, object] = {
        "counts": dict(report.counts),
        "skipped": len(report.skipped),
        "duplicates": len(collector.duplicates),
        "crawl_seconds": round(time.monotonic() - started, 3),
    }
    if digest is not None:
        stats["crawl_digest"] = digest
    changes = Changes(upserts, deletes, replace=replace, sources=sources, stats=stats)
    result = apply_changes(bucket, changes, cache, work_dir)
    for collection, reason in result.table_warnings:
        report.warn(f"collection:{collection}", reason)
    logger.info("published generation %s to %s", result.manifest.generation, bucket.url)
    return BuildResult(
        result.manifest, report, collector.duplicates, False, result, len(upserts), len(deletes)
    )


def _same_crawl(previous: Manifest, sources: list[str], digest: str) -> bool:
    return sorted(previous.sources) == sorted(sources) and (
        previous.stats.get("crawl_digest") == digest
    )


def _combined(digests: list[str]) -> str:
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def _tagged(
    objects: Iterable[tuple[str, Crawled]] | Iterable[Crawled], sources: list[str]
) -> Iterator[tuple[str, Crawled]]:
    default = sources[0] if sources else ""
    for entry in objects:
        yield entry if isinstance(entry, tuple) else (default, entry)


def _diff(
    documents: list[Document], indexed: dict[str, dict[str, str]]
) -> tuple[list[Document], list[str]]:
    """(documents to write, keys to delete) against the per-source state of the index."""
    upserts = []
    seen: dict[str, set[str]] = {source: set() for source in indexed}
    for document in documents:
        source, key, digest = document.state.split(STATE_SEPARATOR)
        seen.setdefault(source, set()).add(key)
        if indexed.get(source, {}).get(key) != digest:
            upserts.append(document)
    deletes = [key for source, state in indexed.items() for key in state if key not in seen[source]]
    return upserts, deletes


def _indexed_state(bucket: Bucket, cache: Path, sources: list[str]) -> dict[str, dict[str, str]]:
    """For each source, the key → digest of every document the current generation holds."""
    searcher = IndexReader(bucket, cache, ttl_seconds=0).current().searcher()
    state: dict[str, dict[str, str]] = {}
    for source in sources:
        prefix = f"{source}{STATE_SEPARATOR}"
        terms = searcher.terms_with_prefix(f.STATE, prefix, filter_query=tantivy.Query.all_query())
        state[source] = {}
        for term, _ in terms:
            _, key, digest = term.split(STATE_SEPARATOR)
            state[source][key] = digest
    return state


def _source_name(source: str) -> str:
    try:
        return source_url(source)
    except SourceError:
        return source


class _Collector:
    """Turns crawled objects into documents, skipping and reporting what cannot be indexed."""

    def __init__(self, report: CrawlReport) -> None:
        self.report = report
        self.keys: set[str] = set()
        self.duplicates: list[str] = []

    def documents(self, crawled: Iterable[tuple[str, Crawled]]) -> Iterator[Document]:
        for source, obj in crawled:
            try:
                document = to_document(obj.data, obj.href)
            except Unindexable as err:
                self.report.skip(obj.href, f"cannot be indexed: {err}")
                continue
            if document.key in self.keys:
                self.duplicates.append(obj.href)
                self.report.skip(obj.href, f"duplicate of {document.key}; the first one is kept")
                continue
            self.keys.add(document.key)
            if document.kind == "item" and obj.data.get("geometry") is None:
                self.report.warn(obj.href, NO_TABLE_ROW)
            yield document.with_source(source)
