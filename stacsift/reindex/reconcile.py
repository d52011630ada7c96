"""Repair missed events: make the index hold exactly what the watched prefixes hold.

Lists every watched object, compares its ETag with the origin of what is indexed from it, and
reads only the objects that are new or changed; indexed objects that are no longer listed are
read too (absent → what they contributed is deleted). The states then go through the same
update as events do, so a reconcile racing with events loses nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass

import tantivy

from stacsift.errors import IndexUnavailable
from stacsift.index import schema as f
from stacsift.index.documents import parse_origin
from stacsift.index.reader import IndexReader
from stacsift.reindex.apply import Batch, Reindexer
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from stacsift.update import UpdateResult


@dataclass(frozen=True)
class Reconciled:
    listed: int
    read: int
    result: UpdateResult | None


def reconcile(reindexer: Reindexer, store: StoreSettings) -> Reconciled:
    """Read what changed under the watched prefixes since it was indexed, and publish it."""
    indexed = _indexed_etags(reindexer)
    listed: dict[str, str] = {}
    for location in reindexer.watch.locations:
        name, _, prefix = location.removeprefix("s3://").partition("/")
        for info in open_bucket(f"s3://{name}", store).list(prefix):
            url = f"s3://{name}/{info.key}"
            if reindexer.watch.ignores(url) is None:
                listed[url] = info.etag or ""
    changed = [url for url, etag in listed.items() if indexed.get(url) != etag]
    vanished = [url for url in indexed if url not in listed]
    urls = sorted({*changed, *vanished})
    batch = Batch()
    current = reindexer.prefetched(urls)
    for url in urls:
        current.read(url, batch)
    return Reconciled(len(listed), len(urls), current.publish(batch))


def _indexed_etags(reindexer: Reindexer) -> dict[str, str]:
    """Object URL → the ETag its indexed documents were read from."""
    reader = IndexReader(reindexer.root, reindexer.cache_dir / "reconcile", ttl_seconds=0)
    try:
        searcher = reader.current().searcher()
    except IndexUnavailable:
        return {}
    found: dict[str, str] = {}
    for location in reindexer.watch.locations:
        terms = searcher.terms_with_prefix(
            f.ORIGIN, location, filter_query=tantivy.Query.all_query()
        )
        for term, _ in terms:
            origin, _ = parse_origin(term)
            found[origin.url] = origin.etag
    return found
