"""Garbage collection: delete index and table files that no kept generation references.

Kept: the current manifest and the newest ``keep`` generations of the manifest history. A file
is deleted only when none of them references it and it is older than ``grace`` — so a writer
that is still uploading a generation (not yet published) never loses its files, and readers
that opened a recent generation keep theirs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from stacsift.errors import IndexUnavailable
from stacsift.index.manifest import MANIFEST_KEY, TABLE_PREFIX, TANTIVY_PREFIX, Manifest
from stacsift.index.publish import HISTORY_PREFIX, current_manifest, history_key
from stacsift.store import Bucket, ObjectInfo

logger = logging.getLogger(__name__)


@dataclass
class GcResult:
    kept_generations: list[int]
    deleted: list[str] = field(default_factory=list)
    deleted_bytes: int = 0
    too_young: int = 0


def collect(
    bucket: Bucket,
    *,
    keep: int = 3,
    grace: timedelta = timedelta(hours=1),
    now: datetime | None = None,
    dry_run: bool = False,
) -> GcResult:
    """Delete unreferenced files of ``bucket``'s index (see the module docstring)."""
    current, _ = current_manifest(bucket)
    if current is None:
        raise IndexUnavailable(f"no index at {bucket.url}: nothing to collect")
    kept = _kept_manifests(bucket, current, max(1, keep))
    referenced = {MANIFEST_KEY} | {history_key(m.generation) for m in kept}
    for manifest in kept:
        referenced |= _files(manifest)
    cutoff = (now or datetime.now(UTC)) - grace
    result = GcResult(sorted(m.generation for m in kept))
    for info in _objects(bucket):
        if info.key in referenced:
            continue
        if info.last_modified is not None and info.last_modified > cutoff:
            result.too_young += 1
            continue
        if not dry_run:
            bucket.delete(info.key)
        result.deleted.append(info.key)
        result.deleted_bytes += info.size
    logger.info("gc of %s deleted %s files", bucket.url, len(result.deleted))
    return result


def _kept_manifests(bucket: Bucket, current: Manifest, keep: int) -> list[Manifest]:
    history = sorted(
        (i.key for i in bucket.list(HISTORY_PREFIX) if i.key.endswith(".json")), reverse=True
    )
    kept = {current.generation: current}
    for key in history:
        if len(kept) >= keep:
            break
        manifest = Manifest.from_json(bucket.get(key), f"{bucket.url}/{key}")
        kept.setdefault(manifest.generation, manifest)
    return list(kept.values())


def _files(manifest: Manifest) -> set[str]:
    return (
        {manifest.tantivy_meta}
        | {e.key for e in manifest.tantivy_files}
        | {p.key for p in manifest.table_parts}
    )


def _objects(bucket: Bucket) -> list[ObjectInfo]:
    found = [*bucket.list(TANTIVY_PREFIX), *bucket.list(TABLE_PREFIX), *bucket.list(HISTORY_PREFIX)]
    return [i for i in found if not i.key.endswith(".lock")]
