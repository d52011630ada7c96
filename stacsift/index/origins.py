"""Stored objects' current states → the documents to write and the keys to delete.

Event-driven reindexing reads each changed object and hands its state here: present (with its
version and the documents it holds) or absent. Against the generation being updated:

- an absent object deletes every document it contributed, once the bucket confirms it is
  still absent (a put may have followed the read);
- a present object replaces what it contributed: its documents are written, and documents it
  no longer holds (a feature removed from an ndjson file) are deleted;
- a version older than the one already indexed changes nothing, so late and reordered
  deliveries cannot regress the index; the same version again changes nothing either.

Versions within one second of each other cannot be ordered by Last-Modified; then the bucket
is asked which one it holds now (``recheck``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import tantivy

from stacsift.index import schema as f
from stacsift.index.documents import Document, Origin, origin_prefix, parse_origin

Recheck = Callable[[str], Origin | None]
"""The current version of the object at a URL, or ``None`` when it does not exist."""


@dataclass(frozen=True)
class ObjectState:
    """What the stored object at ``url`` held when it was read (``origin`` None: absent)."""

    url: str
    origin: Origin | None
    documents: Sequence[Document] = ()


@dataclass
class Resolved:
    """What the object states change in one generation."""

    upserts: list[Document]
    deletes: list[str]
    unchanged: int = 0
    """Objects whose state was already indexed (duplicates) or older than the indexed one."""


def resolve(
    searcher: tantivy.Searcher | None, objects: Sequence[ObjectState], recheck: Recheck
) -> Resolved:
    """Upserts and deletes that make the index hold the objects' states (see module docs)."""
    result = Resolved([], [])
    upserts: dict[str, Document] = {}
    for state in objects:
        indexed = indexed_origins(searcher, state.url) if searcher is not None else {}
        if not _applies(state, indexed, recheck):
            result.unchanged += 1
            continue
        keep = {d.key for d in state.documents}
        result.deletes += [key for key in indexed if key not in keep]
        upserts |= {d.key: d for d in state.documents}
    result.upserts = list(upserts.values())
    return result


def indexed_origins(searcher: tantivy.Searcher, url: str) -> dict[str, Origin]:
    """Document key → the version it was read from, for documents from the object at ``url``."""
    terms = searcher.terms_with_prefix(
        f.ORIGIN, origin_prefix(url), filter_query=tantivy.Query.all_query()
    )
    found: dict[str, Origin] = {}
    for term, _ in terms:
        origin, key = parse_origin(term)
        if origin.url == url:
            found[key] = origin
    return found


def _applies(state: ObjectState, indexed: dict[str, Origin], recheck: Recheck) -> bool:
    if state.origin is None:
        return bool(indexed) and recheck(state.url) is None
    if not indexed:
        return True
    newest = max(indexed.values(), key=lambda o: o.modified)
    newer = state.origin.newer_than(newest)
    if newer is None:
        current = recheck(state.url)
        return current is not None and current.etag == state.origin.etag
    return newer
