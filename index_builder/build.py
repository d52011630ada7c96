"""Build: crawl sources → documents → a new generation published with :mod:`stacsift.update`.

On a root that already has an index the build is incremental: each source's documents are
compared with what the index holds for that source (a content digest per document), and only
new, changed and vanished documents are written. ``full=True`` rebuilds from scratch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import tantivy

from index_builder.crawl import Crawled, CrawlReport, crawl, source_url
from stacsift.errors import SourceError
from stacsift.index import schema as f
from stacsift.index.documents import STATE_SEPARATOR, Document, Unindexable, to_document
from stacsift.index.manifest import Manifest
from stacsift.index.publish import current_manifest
from stacsift.index.reader import IndexReader
from stacsift.store import Bucket
from stacsift.update import Changes, UpdateResult, apply_changes

logger = logging.getLogger(__name__)
DEFAULT_CACHE = Path.home() / ".cache" / "stacsift"


@dataclass
class BuildResult:
    """What a build did: the published manifest (None when nothing changed) and the report."""

    manifest: Manifest | None
    report: CrawlReport
    duplicates: list[str] = field(default_factory=list)
    update: UpdateResult | None = None
    changed: int = 0
    deleted: int = 0


def build(
    sources: list[str],
    bucket: Bucket,
    work_dir: Path | None = None,
    *,
    cache_dir: Path | None = None,
    full: bool = False,
) -> BuildResult:
    """Crawl ``sources`` and publish what changed at ``bucket``."""
    report = CrawlReport()
    named = [(_source_name(s), s) for s in sources]

    def objects() -> Iterator[tuple[str, Crawled]]:
        for name, source in named:
            for obj in crawl(source, report):
                yield name, obj

    return build_objects(
        objects(), [n for n, _ in named], bucket, report, work_dir, cache_dir=cache_dir, full=full
    )


def build_objects(
    objects: Iterable[tuple[str, Crawled]] | Iterable[Crawled],
    sources: list[str],
    bucket: Bucket,
    report: CrawlReport,
    work_dir: Path | None = None,
    *,
    cache_dir: Path | None = None,
    full: bool = False,
) -> BuildResult:
    """Index crawled objects (each tagged with its source) and publish what changed.

    Duplicate objects (same collection and id) keep the first one crawled, in source order and
    breadth-first within a source; later ones are reported, never merged.
    """
    started = time.monotonic()
    cache = cache_dir or (work_dir / "cache" if work_dir else DEFAULT_CACHE)
    collector = _Collector(report)
    documents = list(collector.documents(_tagged(objects, sources)))
    previous, _ = current_manifest(bucket)
    if previous is None or full:
        changes = Changes(upserts=documents, replace=True, sources=sources)
        deleted = 0
    else:
        upserts, deletes = _diff(documents, _indexed_state(bucket, cache, sources))
        if not upserts and not deletes:
            logger.info("nothing changed at %s", bucket.url)
            return BuildResult(None, report, collector.duplicates)
        changes = Changes(upserts=upserts, deletes=deletes, sources=sources)
        deleted = len(deletes)
    changes = Changes(
        upserts=changes.upserts,
        deletes=changes.deletes,
        replace=changes.replace,
        sources=changes.sources,
        stats={
            "counts": dict(report.counts),
            "skipped": len(report.skipped),
            "duplicates": len(collector.duplicates),
            "crawl_seconds": round(time.monotonic() - started, 3),
        },
    )
    result = apply_changes(bucket, changes, cache, work_dir)
    logger.info("published generation %s to %s", result.manifest.generation, bucket.url)
    return BuildResult(
        result.manifest, report, collector.duplicates, result, len(changes.upserts), deleted
    )


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
            if obj.kind == "Catalog":
                continue
            try:
                document = to_document(obj.data, _public_href(obj.href))
            except Unindexable as err:
                self.report.skip(obj.href, f"cannot be indexed: {err}")
                continue
            if document.key in self.keys:
                self.duplicates.append(obj.href)
                self.report.skip(obj.href, f"duplicate of {document.key}; the first one is kept")
                continue
            self.keys.add(document.key)
            yield document.with_source(source)


def _public_href(href: str) -> str:
    """Where a client could fetch the source object; builder-local ``file://`` paths are not."""
    return href if href.startswith(("http://", "https://", "s3://")) else ""
