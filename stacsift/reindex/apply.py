"""One batch of object events → one generation.

Each record is read as it comes (:meth:`Reindexer.read`): the object's current state is kept
for its URL (a later read of the same URL replaces an earlier one: it is never older), objects
that cannot be indexed become rejects, unwatched keys are ignored. A transient store failure
raises, so that the caller can hand that record alone back for redelivery. Then
:meth:`Reindexer.publish` applies every state of the batch in one update, which compares them
with what is indexed (:mod:`stacsift.index.origins`) and publishes with the manifest's
compare-and-swap, so concurrent batches never lose each other's changes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from stacsift.index.origins import ObjectState
from stacsift.index.rejects import Reject, record
from stacsift.reindex.objects import Prefetched, Reads, Rejected, Sources
from stacsift.reindex.watch import Watch
from stacsift.settings import ReindexSettings
from stacsift.store import Bucket, open_bucket
from stacsift.update import Changes, UpdateResult, apply_objects

logger = logging.getLogger(__name__)


@dataclass
class Batch:
    """What the records of one batch read."""

    states: dict[str, ObjectState] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    events: int = 0
    ignored: int = 0


@dataclass(frozen=True)
class Reindexer:
    """Reads watched objects and publishes batches of their states to the index at ``root``."""

    root: Bucket
    sources: Reads
    watch: Watch
    cache_dir: Path
    work_dir: Path | None = None

    def prefetched(self, urls: Sequence[str]) -> Reindexer:
        """This reindexer with the watched ``urls`` already read, concurrently."""
        watched = sorted({url for url in urls if self.watch.ignores(url) is None})
        return replace(self, sources=Prefetched(self.sources, watched))

    def read(self, url: str, batch: Batch) -> None:
        """Read the object at ``url`` into ``batch``; a store failure raises (transient)."""
        batch.events += 1
        reason = self.watch.ignores(url)
        if reason is not None:
            logger.debug("ignoring %s: %s", url, reason)
            batch.ignored += 1
            return
        try:
            read = self.sources.read(url)
        except Rejected as err:
            batch.states.pop(url, None)
            self.reject(batch, url, str(err))
            return
        batch.states[url] = read.state
        for problem in read.problems:
            self.reject(batch, url, problem)

    def publish(self, batch: Batch) -> UpdateResult | None:
        """Publish the batch's states as one generation (``None``: they changed nothing) and
        add its rejects to the list under the root."""
        record(self.root, batch.rejects)
        if not batch.states:
            return None
        changes = Changes(
            objects=list(batch.states.values()),
            recheck=self.sources.version,
            stats={"events": batch.events, "rejects": len(batch.rejects)},
        )
        result = apply_objects(self.root, changes, self.cache_dir, self.work_dir)
        if result is not None:
            stats = result.manifest.stats
            logger.info(
                "published generation %s: %s upserts, %s deletes",
                result.manifest.generation,
                stats.get("upserts"),
                stats.get("deletes"),
            )
        return result

    def reject(self, batch: Batch, url: str, reason: str) -> None:
        """Acknowledge what cannot be indexed: a structured log line and a reject in ``batch``."""
        logger.warning("rejected %s: %s", url, reason, extra={"key": url, "reason": reason})
        batch.rejects.append(Reject(url, reason))


def open_reindexer(settings: ReindexSettings) -> Reindexer:
    """The reindexer of the settings' root and watched buckets."""
    return Reindexer(
        root=open_bucket(settings.root, settings.store, create=True),
        sources=Sources(settings.store, settings.max_object_bytes),
        watch=Watch.of(settings.watch, settings.root),
        cache_dir=settings.cache_dir,
    )
