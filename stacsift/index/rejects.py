"""The rejects list under an index root: objects event-driven reindexing could not index.

Each batch with rejects writes one small immutable file, ``index/rejects/<time>-<id>.json``
(concurrent batches never contend for one object), holding ``[{"url", "reason", "time"}]``.
``stacsift rejects ROOT`` lists the newest. Files under the index root never trigger
reindexing themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import orjson

from stacsift.store import Bucket

REJECTS_PREFIX = "index/rejects/"


@dataclass(frozen=True)
class Reject:
    """An object (or part of one) that was not indexed, and why."""

    url: str
    reason: str
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


def record(bucket: Bucket, rejects: Sequence[Reject]) -> str | None:
    """Add ``rejects`` to the list at ``bucket``; returns the key written (None: nothing)."""
    if not rejects:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = f"{REJECTS_PREFIX}{stamp}-{uuid.uuid4().hex[:8]}.json"
    bucket.put(key, orjson.dumps([asdict(r) for r in rejects]))
    return key


def newest(bucket: Bucket, limit: int) -> list[Reject]:
    """The ``limit`` most recent rejects, newest first."""
    keys = sorted((info.key for info in bucket.list(REJECTS_PREFIX)), reverse=True)
    found: list[Reject] = []
    for key in keys:
        entries = orjson.loads(bucket.get(key))
        found += sorted((Reject(**e) for e in entries), key=lambda r: r.time, reverse=True)
        if len(found) >= limit:
            break
    return found[:limit]
