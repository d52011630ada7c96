"""Publish a new generation from changes: upserts and deletes of items and collections.

This is the one writer of the index, used by ``stacsift build`` (a full rebuild is the same
operation starting from an empty index) and by event-driven reindexing. Each attempt:

1. reads the manifest and links the current generation's files from the local cache into a
   work folder (downloading only files the cache lacks);
2. deletes and adds the changed documents with tantivy, which writes new segment files (and
   small ``.del`` files) beside the untouched ones;
3. rewrites the GeoParquet parts of the affected collections only (copy-on-write);
4. uploads exactly the new files, then publishes the manifest with a conditional PUT.

Losing the race for the manifest (step 4) repeats the attempt on top of the winner
(:func:`stacsift.index.publish.commit`, the one compare-and-swap loop), so two writers never
lose each other's changes. Anything failing before step 4 leaves the previous
generation as it was; its half-uploaded files are garbage for ``stacsift gc``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import tantivy

from stacsift.index import schema as f
from stacsift.index.documents import Document, parse_key, to_document
from stacsift.index.manifest import (
    TABLE_PREFIX,
    TANTIVY_PREFIX,
    CollectionSummary,
    FileEntry,
    Manifest,
    TablePart,
)
from stacsift.index.origins import ObjectState, Recheck, resolve
from stacsift.index.publish import commit, upload
from stacsift.index.reader import blob_path, cache_root, evict, link_generation
from stacsift.index.writer import gc_paused, referenced_files, write_index
from stacsift.store import Bucket
from stacsift.table import LocalPart, part_folder
from stacsift.table_shards import Rewritten, rewrite

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Changes:
    """What a new generation changes. Documents are given already built, with their keys."""

    upserts: Sequence[Document] = ()
    deletes: Sequence[str] = ()
    replace: bool = False  # start from an empty index: a full rebuild
    objects: Sequence[ObjectState] = ()  # stored objects' current states (event reindexing)
    recheck: Recheck | None = None  # asks the bucket for an object's version (see origins)
    sources: Sequence[str] = ()
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateResult:
    manifest: Manifest
    uploaded_files: int
    uploaded_bytes: int
    attempts: int
    seconds: float
    table_warnings: list[tuple[str, str]] = field(default_factory=list)
    """(collection, reason) for collections the GeoParquet writer refused: they are indexed
    and searchable, but have no table part in this generation."""


def apply_changes(
    bucket: Bucket, changes: Changes, cache_dir: Path, work_dir: Path | None = None
) -> UpdateResult:
    """Publish ``changes`` as the next generation at ``bucket`` (see the module docstring)."""
    result = apply_objects(bucket, changes, cache_dir, work_dir)
    if result is None:
        raise ValueError("object states changed nothing: use apply_objects for them")
    return result


def apply_objects(
    bucket: Bucket, changes: Changes, cache_dir: Path, work_dir: Path | None = None
) -> UpdateResult | None:
    """Like :func:`apply_changes`, for changes that include stored objects' states; returns
    ``None`` when those turn out to change nothing (every state already indexed, or older than
    what is): then nothing is published."""
    started = time.monotonic()
    cache = cache_root(bucket, cache_dir)
    staged: list[_Staged] = []
    with tempfile.TemporaryDirectory(prefix="stacsift-update-", dir=work_dir) as tmp:

        def make(previous: Manifest | None) -> Manifest | None:
            for old in staged:  # an attempt that lost the race: its files are not needed
                shutil.rmtree(old.work, ignore_errors=True)
            work = Path(tmp) / f"attempt-{len(staged) + 1}"
            work.mkdir()
            with gc_paused():
                draft = _stage(bucket, previous, changes, cache, work)
            if draft is None:
                return None
            staged.append(draft)
            seconds = round(time.monotonic() - started, 3)
            return replace(draft.manifest, stats=draft.manifest.stats | {"seconds": seconds})

        published = commit(bucket, make, replacing=changes.replace)
        if published is None:
            return None
        manifest, attempts = published
        won = staged[-1]
        _seed_cache(won.seed)
        _evict(cache, manifest)
    return UpdateResult(
        manifest, won.files, won.bytes, attempts, time.monotonic() - started, won.warnings
    )


@dataclass(frozen=True)
class _Staged:
    work: Path
    manifest: Manifest
    files: int
    bytes: int
    warnings: list[tuple[str, str]]
    seed: dict[Path, Path] = field(default_factory=dict)  # cache file → the new local file


def _stage(
    bucket: Bucket, previous: Manifest | None, requested: Changes, cache: Path, work: Path
) -> _Staged | None:
    base = None if requested.replace else previous
    build_id = uuid.uuid4().hex
    index_dir = work / "tantivy"
    index_dir.mkdir()
    if base is not None:
        link_generation(bucket, base, cache, index_dir)
    changes = _with_objects(requested, index_dir if base is not None else None)
    if requested.objects and not (changes.upserts or changes.deletes or changes.replace):
        return None
    # The table is written in a second thread: tantivy indexes in its own threads and pyarrow
    # releases the GIL for its heavy work, so the two overlap on a machine with two cores.
    with ThreadPoolExecutor(max_workers=1) as pool:
        table = pool.submit(_table, bucket, base, changes, cache, work / "table", build_id)
        write_index(index_dir, changes.upserts, deletes=changes.deletes, fresh=base is None)
        parts, replaced, summaries, warnings = table.result()
    meta_key = f"{TANTIVY_PREFIX}meta-{build_id}.json"
    kept = {PurePosixPath(e.key).name: e.key for e in base.tantivy_files} if base else {}
    entries = [
        FileEntry(kept.get(p.name) or _new_key(p.name, build_id), p.stat().st_size)
        for p in referenced_files(index_dir)
    ]
    known = set(kept.values())
    uploads = {e.key: index_dir / PurePosixPath(e.key).name for e in entries if e.key not in known}
    uploads[meta_key] = index_dir / "meta.json"
    uploads |= {key: part.path for key, (part, _, _) in parts.items()}
    sent = upload(bucket, uploads)
    manifest = Manifest(
        generation=(previous.generation + 1) if previous else 1,
        created=datetime.now(UTC).isoformat(),
        tantivy_meta=meta_key,
        tantivy_files=entries,
        table_parts=_part_list(base, parts, replaced),
        collections=summaries,
        sources=sorted({*(base.sources if base else []), *changes.sources}),
        stats=changes.stats
        | {
            "upserts": len(changes.upserts),
            "deletes": len(changes.deletes),
            "uploaded_files": len(uploads),
            "uploaded_bytes": sent,
        },
    )
    seed = {blob_path(cache, e.key): uploads[e.key] for e in entries if e.key not in known}
    seed |= {_part_cache_path(cache, key): part.path for key, (part, _, _) in parts.items()}
    return _Staged(work, manifest, len(uploads), sent, warnings, seed)


def _new_key(name: str, build_id: str) -> str:
    """Where a new tantivy file is uploaded. Segment files are named by a random segment id,
    but deletion files by segment and opstamp, which two writers starting from the same
    generation can both produce with different contents: those go under a folder of their
    build, so that a writer losing the manifest race never overwrites the winner's file."""
    if name.endswith(".del"):
        return f"{TANTIVY_PREFIX}{build_id}/{name}"
    return f"{TANTIVY_PREFIX}{name}"


def _with_objects(changes: Changes, index_dir: Path | None) -> Changes:
    """``changes`` with what its object states add and delete against the index being updated
    (:mod:`stacsift.index.origins`)."""
    if not changes.objects:
        return changes
    searcher = tantivy.Index.open(str(index_dir)).searcher() if index_dir else None
    resolved = resolve(searcher, changes.objects, changes.recheck or _no_recheck)
    return replace(
        changes,
        upserts=[*changes.upserts, *resolved.upserts],
        deletes=[*changes.deletes, *resolved.deletes],
        objects=(),
        stats=changes.stats | {"unchanged_objects": resolved.unchanged},
    )


def _no_recheck(url: str) -> None:
    raise ValueError(f"{url}: versions to compare, but no way to ask the bucket was given")


def _table(
    bucket: Bucket,
    base: Manifest | None,
    changes: Changes,
    cache: Path,
    work: Path,
    build_id: str,
) -> tuple[
    dict[str, tuple[LocalPart, int, int]],
    set[str],
    dict[str, CollectionSummary],
    list[tuple[str, str]],
]:
    """New parts for the affected collections (by key: the part, its shard and the shard
    count), the keys of the parts they replace, the collection summaries after the change, and
    the collections the GeoParquet writer refused (with the reason).

    Items without geometry are indexed but have no table row: stac-geoparquet needs one."""
    new_items, dropped, collection_json = _table_changes(changes)
    summaries = dict(base.collections) if base else {}
    for key in changes.deletes:
        kind, collection, _ = parse_key(key)
        if kind == f.TYPE_COLLECTION:
            summaries.pop(collection, None)
    parts: dict[str, tuple[LocalPart, int, int]] = {}  # key → (part, shard, shards)
    replaced: set[str] = set()
    warnings: list[tuple[str, str]] = []
    for collection in sorted(set(new_items) | set(dropped)):
        old = [p for p in (base.table_parts if base else []) if p.collection == collection]
        try:
            done = rewrite(
                collection,
                old,
                dropped[collection],
                new_items.get(collection, []),
                collection_json.get(collection),
                lambda p: _cached_part(bucket, p, cache),
                work / collection_key(collection),
            )
        except (pa.ArrowException, ValueError, TypeError, KeyError) as err:
            warnings.append((collection, f"the GeoParquet writer refused its items: {err}"))
            done = Rewritten(replaced=old, whole=True)
        replaced |= {p.key for p in done.replaced}
        untouched = sum(p.rows for p in old if p.key not in replaced)
        summaries[collection] = _summary(
            done, untouched, None if done.whole else summaries.get(collection)
        )
        for shard, part in done.parts.items():
            key = f"{TABLE_PREFIX}{part_folder(collection)}/part-{build_id}-{shard}.parquet"
            parts[key] = (part, shard, done.shards)
    for collection in collection_json:
        summaries.setdefault(collection, CollectionSummary(0, None, [None, None]))
    kept = {
        k: v
        for k, v in sorted(summaries.items())
        if v.items or k in collection_json or k in (base.collections if base else {})
    }
    return parts, replaced, kept, warnings


def _table_changes(
    changes: Changes,
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, set[str]], dict[str, dict[str, Any]]]:
    """(new rows, ids to drop) per collection, and the upserted collections' JSON."""
    new_items: dict[str, list[dict[str, Any]]] = defaultdict(list)
    dropped: dict[str, set[str]] = defaultdict(set)
    collection_json: dict[str, dict[str, Any]] = {}
    for document in changes.upserts:
        if document.kind == f.TYPE_ITEM:
            stac = document.stac()
            if stac.get("geometry") is not None:
                new_items[document.collection].append(stac)
            dropped[document.collection].add(document.id)
        elif document.kind == f.TYPE_COLLECTION:
            collection_json[document.id] = document.stac()
    for key in changes.deletes:
        kind, collection, item_id = parse_key(key)
        if kind == f.TYPE_ITEM:
            dropped[collection].add(item_id)
    return new_items, dropped, collection_json


def _part_list(
    base: Manifest | None, parts: dict[str, tuple[LocalPart, int, int]], replaced: set[str]
) -> list[TablePart]:
    kept = [p for p in (base.table_parts if base else []) if p.key not in replaced]
    new = [
        TablePart(key, part.collection, part.rows, part.path.stat().st_size, shard, shards)
        for key, (part, shard, shards) in parts.items()
    ]
    return sorted(kept + new, key=lambda p: (p.collection, p.key))


def _summary(
    done: Rewritten, kept_rows: int, previous: CollectionSummary | None
) -> CollectionSummary:
    """The collection's figures after a rewrite: exact when it was rewritten whole, else the
    previous extent widened by the new parts (deleted items do not shrink it until then)."""
    parts = list(done.parts.values())
    rows = kept_rows + sum(p.rows for p in parts)
    boxes = [p.bbox for p in parts] + ([previous.bbox] if previous else [])
    starts = [p.interval[0] for p in parts] + ([previous.interval[0]] if previous else [])
    ends = [p.interval[1] for p in parts] + ([previous.interval[1]] if previous else [])
    queryables = dict(previous.queryables) if previous else {}
    for part in parts:
        queryables |= part.queryables
    return CollectionSummary(
        rows,
        _union([b for b in boxes if b is not None]),
        [min((s for s in starts if s), default=None), max((e for e in ends if e), default=None)],
        queryables,
    )


def _union(boxes: list[list[float]]) -> list[float] | None:
    if not boxes:
        return None
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def _cached_part(bucket: Bucket, part: TablePart, cache: Path) -> Path:
    local = _part_cache_path(cache, part.key)
    if not local.is_file() or local.stat().st_size != part.size:
        local.parent.mkdir(parents=True, exist_ok=True)
        bucket.download(part.key, local)
    return local


def _evict(cache: Path, manifest: Manifest) -> None:
    """Keep only the published generation's files in the writer's cache (a reindex Lambda
    publishes every few seconds; its ``/tmp`` would fill otherwise)."""
    evict(cache, [manifest])
    keep = {_part_cache_path(cache, p.key) for p in manifest.table_parts}
    parts = cache / "parts"
    for path in parts.iterdir() if parts.is_dir() else ():
        if path not in keep:
            path.unlink(missing_ok=True)


def _part_cache_path(cache: Path, key: str) -> Path:
    return cache / "parts" / key.replace("/", "__")


def _seed_cache(files: dict[Path, Path]) -> None:
    """Hard-link the files just published into the writer's cache, so that its next update
    starts warm instead of downloading the whole generation it has just uploaded.

    Published files are immutable and uniquely named, so a link is as good as a download.
    Best effort: where a link is impossible (the cache on another file system, a file already
    there), the cache fills on demand as before."""
    for cached, local in files.items():
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            os.link(local, cached)
        except OSError as err:
            logger.debug("not seeding the cache with %s: %s", local, err)


def collection_key(collection: str) -> str:
    """A file-system-safe folder name for a collection's work files."""
    return part_folder(collection).replace("/", "_")


def documents(objects: Sequence[tuple[dict[str, Any], str]]) -> list[Document]:
    """Documents for (STAC object, source href) pairs; raises Unindexable for bad ones."""
    return [to_document(obj, href) for obj, href in objects]
