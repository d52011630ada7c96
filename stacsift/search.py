"""Run searches against an opened generation: items, collections, single objects.

Pure logic over a tantivy searcher: no HTTP, no environment. The search function and the CLI
both call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import tantivy
from tantivy import Occur, Query

from stacsift.errors import IndexFormatError, NotFound
from stacsift.index import schema as f
from stacsift.index.documents import document_key
from stacsift.index.reader import OpenIndex
from stacsift.query import freetext, translate
from stacsift.query.params import SearchRequest

MAX_COLLECTIONS = 10_000


@dataclass(frozen=True)
class Page:
    """One page of matching STAC objects (as dicts, in result order)."""

    features: list[dict[str, Any]]
    matched: int
    next_offset: int | None


def item_query(request: SearchRequest) -> Query:
    """The tantivy query for an item search: text (scored) and filters (unscored)."""
    clauses: list[tuple[Occur, Query]] = [(Occur.Must, translate.type_is(f.TYPE_ITEM))]
    node = freetext.parse(request.q) if request.q else None
    if node is not None:
        clauses.append((Occur.Must, translate.text_query(node)))
    if request.collections:
        clauses.append((Occur.Must, translate.term_any(f.COLLECTION, request.collections)))
    if request.ids:
        clauses.append((Occur.Must, translate.term_any(f.ID, request.ids)))
    if request.bbox is not None:
        clauses.append((Occur.Must, translate.bbox_query(request.bbox)))
    if request.datetime is not None:
        clauses.append((Occur.Must, translate.interval_query(*request.datetime)))
    return Query.boolean_query(clauses)


def search_items(index: OpenIndex, request: SearchRequest) -> Page:
    """Items matching ``request``: by relevance when ``q`` is given, else newest first."""
    searcher = index.searcher()
    ranked = bool(request.q and freetext.parse(request.q))
    result = searcher.search(
        item_query(request),
        limit=request.limit,
        count=True,
        order_by_field=None if ranked else f.START,
        offset=request.offset,
        order=tantivy.Order.Desc,
    )
    features = [_stored(searcher, address) for _, address in result.hits]
    matched: int = getattr(result, "count", None) or 0  # present at run time, absent in the stub
    end = request.offset + len(features)
    return Page(features, matched, end if end < matched else None)


def list_collections(index: OpenIndex) -> list[dict[str, Any]]:
    """Every collection in the index, ordered by id."""
    searcher = index.searcher()
    result = searcher.search(translate.type_is(f.TYPE_COLLECTION), limit=MAX_COLLECTIONS)
    collections = [_stored(searcher, address) for _, address in result.hits]
    return sorted(collections, key=lambda c: str(c.get("id")))


def get_collection(index: OpenIndex, collection_id: str) -> dict[str, Any]:
    key = document_key(f.TYPE_COLLECTION, collection_id, collection_id)
    found = _by_key(index, key)
    if not found:
        raise NotFound(f"collection {collection_id!r} does not exist")
    return found[0]


def get_item(index: OpenIndex, collection_id: str, item_id: str) -> dict[str, Any]:
    """The stored item ``item_id`` of ``collection_id``, as it was crawled."""
    found = _by_key(index, document_key(f.TYPE_ITEM, collection_id, item_id))
    if not found:
        raise NotFound(f"item {item_id!r} does not exist in collection {collection_id!r}")
    return found[0]


def _by_key(index: OpenIndex, key: str) -> Sequence[dict[str, Any]]:
    searcher = index.searcher()
    result = searcher.search(Query.term_query(f.SCHEMA, f.KEY, key), limit=1)
    return [_stored(searcher, address) for _, address in result.hits]


def _stored(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> dict[str, Any]:
    raw = searcher.doc(address).get_first(f.JSON)
    if not isinstance(raw, bytes):
        raise IndexFormatError("an index document has no stored STAC JSON")
    loaded: dict[str, Any] = orjson.loads(raw)
    return loaded
