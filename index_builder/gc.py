"""Garbage collection: delete index and table files that no kept generation references.

Kept: the current manifest and the newest ``keep`` generations of the manifest history. A file
is deleted only when none of them references it and it is older than ``grace`` — so a writer
that is still uploading a generation (not yet published) never loses its files, and readers
that opened a recent generation keep theirs. Kept generations of an older index format (after
an upgrade and a full rebuild) keep their files too: their manifests are only read for the
files they list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson

from stacsift.errors import IndexFormatError, IndexFormatOutdated, IndexUnavailable
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
    kept = _kept_generations(bucket, current, max(1, keep))
    referenced = {MANIFEST_KEY} | {history_key(generation) for generation in kept}
    for files in kept.values():
        referenced |= files
    cutoff = (now or datetime.now(UTC)) - grace
    result = GcResult(sorted(kept))
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


def _kept_generations(bucket: Bucket, current: Manifest, keep: int) -> dict[int, set[str]]:
    """The files of each kept generation, by generation number."""
    history = sorted(
        (i.key for i in bucket.list(HISTORY_PREFIX) if i.key.endswith(".json")), reverse=True
    )
    kept = {current.generation: _files(current)}
    for key in history:
        if len(kept) >= keep:
            break
        generation, files = _listed(bucket.get(key), f"{bucket.url}/{key}")
        kept.setdefault(generation, files)
    return kept


def _listed(data: bytes, where: str) -> tuple[int, set[str]]:
    """(generation, files) of a kept manifest, of this index format or an outdated one."""
    try:
        manifest = Manifest.from_json(data, where)
    except IndexFormatOutdated as err:
        try:
            raw = orjson.loads(data)
            files = {str(raw["tantivy_meta"])}
            files |= {str(e["key"]) for e in raw["tantivy_files"]}
            files |= {str(p["key"]) for p in raw["table_parts"]}
        except (KeyError, TypeError, ValueError) as lost:  # ValueError: JSON, as orjson says
            raise IndexFormatError(
                f"{where}: cannot list the files of this generation of another index format "
                f"({lost!r}), so nothing is deleted; remove it from the history to collect"
            ) from err
        return err.generation, files
    return manifest.generation, _files(manifest)


def _files(manifest: Manifest) -> set[str]:
    return (
        {manifest.tantivy_meta}
        | {e.key for e in manifest.tantivy_files}
        | {p.key for p in manifest.table_parts}
    )


def _objects(bucket: Bucket) -> list[ObjectInfo]:
    found = [*bucket.list(TANTIVY_PREFIX), *bucket.list(TABLE_PREFIX), *bucket.list(HISTORY_PREFIX)]
    return [i for i in found if not i.key.endswith(".lock")]
