"""Publish a generation: upload immutable files first, then swap the manifest atomically.

The manifest is written with a conditional PUT on the ETag that was read (``If-None-Match: *``
for the first generation). A writer that loses the race re-reads the manifest and retries
(:func:`commit`, used by every writer), so readers never see half an index, a generation number
is never issued twice and concurrent writers never lose each other's changes.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from stacsift.errors import IndexFormatOutdated, NotFound, PublishConflict, StacsiftError
from stacsift.index.manifest import MANIFEST_KEY, Manifest, placeholder
from stacsift.index.schema import active
from stacsift.store import Bucket, PreconditionFailed

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 16
BACKOFF_BASE = 0.05  # seconds
BACKOFF_CAP = 2.0
UPLOADS_AT_ONCE = 8


HISTORY_PREFIX = "index/manifests/"


def upload(bucket: Bucket, files: dict[str, Path]) -> int:
    """Upload ``key → local file`` pairs, several at once (a generation is a dozen small files,
    so round trips, not bytes, make its time); keys are unique, so no file a reader uses is
    replaced. Returns the bytes uploaded.
    """
    with ThreadPoolExecutor(UPLOADS_AT_ONCE) as pool:
        list(pool.map(lambda entry: bucket.put_file(*entry), files.items()))
    return sum(path.stat().st_size for path in files.values())


def history_key(generation: int) -> str:
    """Where a published manifest is kept for garbage collection and audits."""
    return f"{HISTORY_PREFIX}{generation:012d}.json"


def record_history(bucket: Bucket, manifest: Manifest) -> None:
    """Keep a copy of a manifest that won the race (only the winner writes it).

    The generation is already published; failing to keep its copy only means garbage
    collection keeps fewer old generations, so it is logged, not raised.
    """
    try:
        bucket.put(history_key(manifest.generation), manifest.to_json())
    except StacsiftError:
        logger.warning("could not keep a copy of generation %s", manifest.generation, exc_info=True)


def current_manifest(
    bucket: Bucket, *, replacing: bool = False
) -> tuple[Manifest | None, str | None]:
    """The published manifest and its ETag, or (None, None) for an empty root.

    ``replacing`` (a full rebuild) accepts a manifest of another index format: only its
    generation number is kept (:func:`placeholder`), so the rebuild publishes the next one.
    """
    try:
        data, etag = bucket.get_with_etag(MANIFEST_KEY)
    except NotFound:
        return None, None
    try:
        where = f"{bucket.url}/{MANIFEST_KEY}"
        return Manifest.from_json(data, where, (active(),)), etag
    except IndexFormatOutdated as err:
        if not replacing:
            raise
        logger.info("replacing generation %s of another index format", err.generation)
        return placeholder(err.generation), etag


def commit(
    bucket: Bucket,
    make: Callable[[Manifest | None], Manifest | None],
    *,
    replacing: bool = False,
    pause: Callable[[float], None] = time.sleep,
) -> tuple[Manifest, int] | None:
    """Publish ``make(previous)`` as the next manifest: the one compare-and-swap loop.

    ``make`` is called with the current manifest (after uploading whatever new files its
    manifest names) and again on top of each concurrent winner; it returns ``None`` when there
    is nothing to publish on top of that manifest. Returns (manifest, attempts), or ``None``.
    Between attempts the loop waits a random, growing moment (full jitter), so that writers
    racing for the manifest spread out instead of colliding again.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        previous, etag = current_manifest(bucket, replacing=replacing)
        manifest = make(previous)
        if manifest is None:
            return None
        try:
            bucket.put_if(MANIFEST_KEY, manifest.to_json(), etag=etag)
        except PreconditionFailed:
            logger.info("manifest changed concurrently; retrying (attempt %s)", attempt)
            pause(random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)))  # noqa: S311
            continue
        record_history(bucket, manifest)
        return manifest, attempt
    raise PublishConflict(f"{bucket.url}: lost the manifest race {MAX_ATTEMPTS} times")
