"""Mirror STAC sources into a folder or bucket: a self-contained static catalog, its assets copied.

The crawl (:class:`~index_builder.crawl.Crawler`) finds the objects; :class:`~.mirror_tree.Tree`
places them in the best-practices layout; :mod:`~.mirror_rewrite` gives them relative structural
links; :mod:`~.mirror_copy` copies the selected assets (streamed, verified, conditional) and writes
the JSON; :class:`~.mirror_state.MirrorState` remembers what DEST holds, for incremental and
resumed runs and ``--delete``.

Order of writes: an item's JSON only after its assets (a mirrored item never points at a missing
copy: an asset that could not be copied keeps its original href), catalogs and collections after
everything below them, the root ``catalog.json`` last. Items stream through — only catalogs and
collections (and a key per object) are held until the end.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from index_builder.crawl import Crawled, Crawler
from index_builder.hosts import HostLanes
from index_builder.mirror_copy import AssetJob, AssetSelection, Copied, Transfers, Written, encode
from index_builder.mirror_paths import asset_name, folder, join, relative
from index_builder.mirror_rewrite import point_at_copy, rewrite
from index_builder.mirror_state import MirrorState, Record
from index_builder.mirror_tree import Node, Tree
from index_builder.report import KINDS, CrawlReport, Skip
from index_builder.retry import Retrying
from index_builder.threads import started_pool
from stacsift.errors import StacsiftError
from stacsift.store import Bucket

CHECKPOINT_SECONDS = 10.0
WINDOW = 4
"""Items on their way (copying, writing) at most, per unit of ``concurrency``."""


@dataclass(frozen=True)
class MirrorOptions:
    assets: AssetSelection = field(default_factory=AssetSelection)
    delete: bool = False
    """Remove from DEST what is no longer upstream (only after a crawl that skipped nothing)."""
    dry_run: bool = False
    """Crawl and compare, count what would be copied, write nothing."""
    concurrency: int = 16
    """Copies and writes at once."""
    per_host: int = 8
    """Asset downloads at once from one host."""


@dataclass
class MirrorReport:
    """What a run did; ``to_dict`` is the ``--report`` JSON."""

    crawl: CrawlReport = field(default_factory=CrawlReport)
    mirrored: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*KINDS, "Asset"), 0))
    """Objects the mirror holds after this run, by kind."""
    copied: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*KINDS, "Asset"), 0))
    """Objects written by this run, by kind (JSON whose bytes changed, assets transferred)."""
    unchanged: int = 0
    bytes: int = 0
    deleted: int = 0
    failures: list[Skip] = field(default_factory=list)
    delete_skipped: str | None = None

    @property
    def total_copied(self) -> int:
        return sum(self.copied.values())

    def to_dict(self, *, dry_run: bool = False) -> dict[str, Any]:
        return {
            "copied": self.total_copied,
            "copied_by_kind": dict(self.copied),
            "skipped_unchanged": self.unchanged,
            "bytes": self.bytes,
            "deleted": self.deleted,
            "mirrored": dict(self.mirrored),
            "failures": [{"href": f.href, "reason": f.reason} for f in self.failures],
            "delete_skipped": self.delete_skipped,
            "dry_run": dry_run,
            "crawl": self.crawl.to_dict(),
        }


Progress = Callable[[MirrorReport], None]


@dataclass
class _Pending:
    """An item on its way: its asset copies, then (once they are done) its JSON write."""

    key: str
    source: str
    document: dict[str, Any]
    assets: list[tuple[str, Future[Copied]]]
    known: str | None
    write: Future[Written] | Written | None = None
    """``None`` until the copies are done and the JSON is encoded; a :class:`Written` when
    nothing needed writing (unchanged, or a dry run)."""


class Mirror:
    """One mirroring run from ``sources`` into ``bucket``; call :meth:`run` once."""

    def __init__(
        self,
        bucket: Bucket,
        crawler: Crawler,
        fetcher: Retrying,
        options: MirrorOptions,
        work: Path,
        *,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bucket = bucket
        self.crawler = crawler
        self.options = options
        self.report = MirrorReport()
        self.state = MirrorState(bucket, work)
        self.transfers = Transfers(fetcher, bucket, dry_run=options.dry_run)
        self.progress = progress
        self.clock = clock
        self._copies = HostLanes(options.concurrency, options.per_host, "stacsift-mirror")
        self._writes = started_pool(_writers(bucket, options), "stacsift-mirror-json")
        self._pending: deque[_Pending] = deque()
        self._claims: dict[str, tuple[str, Future[Copied]]] = {}
        self._recorded: set[str] = set()
        self._containers: list[tuple[Node, list[tuple[str, Future[Copied]]]]] = []
        self._next_checkpoint = 0.0
        self.tree = Tree([])

    def run(self, sources: Sequence[str]) -> MirrorReport:
        self.tree = Tree(list(sources))
        self.state.load()
        self._next_checkpoint = self.clock() + CHECKPOINT_SECONDS
        complete = False
        try:
            for source in sources:
                self.tree.start_source()
                for crawled in self.crawler.crawl(source, self.report.crawl):
                    self._take(crawled)
            self._drain(0)
            self._write_containers()
            if self.options.delete:
                self._delete()
            complete = True
        finally:
            self._copies.shutdown()
            self._writes.shutdown(wait=True, cancel_futures=True)
            self._settle()
            if not self.options.dry_run:
                self.state.save(complete=complete)
            self.state.close()
        return self.report

    # -- taking crawled objects -----------------------------------------------------------------

    def _take(self, crawled: Crawled) -> None:
        document = rewrite(crawled.data, crawled.href, crawled.kind)
        if crawled.kind == "Item":
            self._take_item(crawled, document)
        else:
            node = self.tree.place_container(crawled.kind, crawled.href, crawled.data, document)
            self._containers.append((node, self._asset_jobs(node.key, crawled.href, document)))

    def _take_item(self, crawled: Crawled, document: dict[str, Any]) -> None:
        key, parent = self.tree.place_item(crawled.href, document)
        document["links"] = [
            *self.tree.item_links(key, parent, document.get("collection")),
            *document["links"],
        ]
        assets = self._asset_jobs(key, crawled.href, document)
        pending = _Pending(key, crawled.href, document, assets, self._known_sha(key))
        if not assets:
            self._start_write(pending)
        self._pending.append(pending)
        self._drain(WINDOW * self.options.concurrency)

    def _asset_jobs(
        self, key: str, href: str, document: dict[str, Any]
    ) -> list[tuple[str, Future[Copied]]]:
        """Start copying the selected assets of the object at ``key``; (asset key, copy)s."""
        assets = document.get("assets")
        if not self.options.assets.anything or not isinstance(assets, dict):
            return []
        jobs: list[tuple[str, Future[Copied]]] = []
        names: set[str] = set()
        for asset_key, asset in assets.items():
            source = asset.get("href")
            if not isinstance(source, str) or not source:
                continue
            name = asset_name(source, asset_key)
            if not self.options.assets.wants(asset_key, asset, name):
                continue
            claimed = self._claims.get(source)
            if claimed is None:
                if name in names:
                    name = f"{asset_key}-{name}"
                names.add(name)
                target = join(folder(key), name)
                copy = self._copies.submit(
                    source, partial(self.transfers.copy, self._job(source, target, asset))
                )
                claimed = self._claims[source] = (target, copy)
            jobs.append((asset_key, claimed[1]))
        return jobs

    def _job(self, source: str, key: str, asset: dict[str, Any]) -> AssetJob:
        known = self.state.get(key)
        if known is not None and known.source != source:
            known = None
        size = asset.get("file:size")
        checksum = asset.get("file:checksum")
        return AssetJob(
            source,
            key,
            known,
            size if isinstance(size, int) and not isinstance(size, bool) else None,
            checksum if isinstance(checksum, str) and checksum else None,
        )

    def _known_sha(self, key: str) -> str | None:
        known = self.state.get(key)
        return known.sha256 if known is not None else None

    # -- item JSON: written once its copies are done -------------------------------------------

    def _start_write(self, pending: _Pending) -> Future[Written] | Written:
        """Point the item at its copies (waiting for them), encode it, and put it unless its
        bytes are already there; only the put runs on a worker."""
        _point_at_copies(pending.key, pending.document, pending.assets)
        written, body = encode(pending.key, pending.document, pending.known)
        pending.document = {}  # encoded: the bytes are all that is needed now
        if written.written and not self.options.dry_run:
            pending.write = self._writes.submit(self._put, written, body)
        else:
            pending.write = written
        return pending.write

    def _put(self, written: Written, body: bytes) -> Written:
        self.bucket.put(written.key, body)
        return written

    def _drain(self, keep: int) -> None:
        """Start the writes of items whose copies are done; record finished items, oldest first,
        waiting for them while more than ``keep`` are on their way."""
        for pending in self._pending:
            if pending.write is None and all(copy.done() for _, copy in pending.assets):
                self._start_write(pending)
        while len(self._pending) > keep:
            head = self._pending[0]
            write = self._start_write(head) if head.write is None else head.write
            written = write.result() if isinstance(write, Future) else write
            self._record_item(self._pending.popleft(), written)  # if it raised: _settle

    def _settle(self) -> None:
        """After an interruption: record what did finish, so the next run does not redo it."""
        while self._pending:
            pending = self._pending.popleft()
            written = _finished(pending.write)
            if written is not None:
                self._record_item(pending, written)
                continue
            for _, copy in pending.assets:
                self._record_copy(copy)

    def _record_item(self, pending: _Pending, written: Written) -> None:
        for _, copy in pending.assets:
            self._record_copy(copy)
        self._record_json("Item", pending.source, written)

    def _record_copy(self, copy: Future[Copied]) -> None:
        if not copy.done() or copy.cancelled() or copy.exception() is not None:
            return
        copied = copy.result()
        if copied.job.key in self._recorded:
            return
        self._recorded.add(copied.job.key)
        if copied.record is None:
            self.report.failures.append(Skip(copied.job.source, copied.failure or "failed"))
            return
        self.report.mirrored["Asset"] += 1
        if copied.transferred:
            self.report.copied["Asset"] += 1
            self.report.bytes += copied.bytes
            self.state.record(copied.record)
        else:
            self.report.unchanged += 1
            self.state.touch(copied.job.key)
        self._tick()

    def _record_json(self, kind: str, source: str, written: Written) -> None:
        self.report.mirrored[kind] += 1
        if written.written:
            self.report.copied[kind] += 1
            self.report.bytes += written.bytes
            self.state.record(Record(written.key, source, kind, sha256=written.sha256))
        else:
            self.report.unchanged += 1
            self.state.touch(written.key)
        self._tick()

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.report)
        now = self.clock()
        if now >= self._next_checkpoint and not self.options.dry_run:
            self._next_checkpoint = now + CHECKPOINT_SECONDS
            self.state.save()

    # -- the end of a run -------------------------------------------------------------------------

    def _write_containers(self) -> None:
        """Catalogs and collections, deepest first (each after what it links to), root last."""
        for node, assets in reversed(self._containers):
            for _, copy in assets:
                copy.result()
                self._record_copy(copy)
            self._write_container(node, assets)
        root = self.tree.root
        if root is not None and not any(node is root for node, _ in self._containers):
            self._write_container(root, [])

    def _write_container(self, node: Node, assets: list[tuple[str, Future[Copied]]]) -> None:
        document = node.document
        document["links"] = [
            *self.tree.structural(node.key, node.parent),
            *node.children,
            *document["links"],
        ]
        _point_at_copies(node.key, document, assets)
        written, body = encode(node.key, document, self._known_sha(node.key))
        if written.written and not self.options.dry_run:
            self.bucket.put(node.key, body)
        self._record_json(node.kind, node.source, written)

    def _delete(self) -> None:
        incomplete = [s for s in self.report.crawl.skipped if not _gone(s.reason)]
        if incomplete or self.report.crawl.truncated:
            self.report.delete_skipped = (
                f"the crawl was incomplete ({len(incomplete)} documents could not be read)"
                if incomplete
                else "the crawl stopped at --max-items"
            )
            return
        for record in list(self.state.stale()):
            if not self.options.dry_run:
                try:
                    self.bucket.delete(record.key)
                except StacsiftError as err:
                    self.report.failures.append(Skip(record.key, f"cannot delete: {err}"))
                    continue
                self.state.forget(record.key)
            self.report.deleted += 1


def _point_at_copies(
    key: str, document: dict[str, Any], assets: list[tuple[str, Future[Copied]]]
) -> None:
    """Assets that were copied (or are unchanged copies) point at them; the others keep their
    original href."""
    for asset_key, copy in assets:
        copied = copy.result()
        if copied.record is not None:
            point_at_copy(document, asset_key, relative(key, copied.job.key))


def _finished(write: Future[Written] | Written | None) -> Written | None:
    """The item's JSON as written, if that is done (and did not fail)."""
    if write is None or isinstance(write, Written):
        return write
    if write.done() and not write.cancelled() and write.exception() is None:
        return write.result()
    return None


def _writers(bucket: Bucket, options: MirrorOptions) -> int:
    """Threads that put JSON: ``concurrency`` for a bucket (each put is a round trip); one for a
    folder, where a put is a few system calls that more threads would not make faster, only
    fight over the interpreter lock with the thread that crawls (measured: ~30% faster)."""
    return 1 if bucket.local else max(options.concurrency, 1)


def _gone(reason: str) -> bool:
    return reason.startswith("broken link")
