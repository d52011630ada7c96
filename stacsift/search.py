"""Run searches against an opened generation: items, collections, single objects.

Pure logic over a tantivy searcher: no HTTP, no environment. Most requests run natively in
tantivy (filters as range/term clauses, one sort key on a fast field, tantivy's own paging).
Requests that need an exact test per object (``intersects``, a CQL2 ``filter``) or a sort tantivy
cannot do (several keys, a property that is not a fast field) scan the tantivy candidates in
order, test and sort them here, and page the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import orjson
import tantivy
from tantivy import Occur, Query

from stacsift import window
from stacsift.errors import IndexFormatError, NotFound
from stacsift.index import schema as f
from stacsift.index.documents import document_key
from stacsift.index.reader import OpenIndex
from stacsift.index.stats import KindStats
from stacsift.query import freetext, translate
from stacsift.query.params import SearchRequest, SortKey
from stacsift.sorting import sort_objects

# sortby fields that map onto one fast field of the index.
NATIVE_SORT = {
    "datetime": f.START,
    "start_datetime": f.START,
    "end_datetime": f.END,
    "id": f.ID,
    "collection": f.COLLECTION,
    "gsd": f.GSD,
    "eo:cloud_cover": f.CLOUD_COVER,
}
SCAN_BATCH = 2000

Predicate = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Hit:
    """One matching object and where it was crawled from."""

    obj: dict[str, Any]
    href: str


@dataclass(frozen=True)
class Page:
    """One page of matching STAC objects, in result order."""

    hits: list[Hit]
    matched: int
    next_offset: int | None
    prev_offset: int | None
    generation: int = 0
    offset: int = 0

    def truncated(self, count: int) -> Page:
        """The first ``count`` hits of this page, with the next page starting after them."""
        if count >= len(self.hits):
            return self
        return replace(self, hits=self.hits[:count], next_offset=self.offset + count)

    @property
    def features(self) -> list[dict[str, Any]]:
        return [h.obj for h in self.hits]


def object_query(
    request: SearchRequest, kind: str = f.TYPE_ITEM, stats: KindStats | None = None
) -> Query:
    """The tantivy query: free text (scored) and filters (unscored).

    ``stats`` of the objects of ``kind`` let open datetime intervals use the month terms (by
    their earliest start and latest end), and make the exact datetime check one range clause
    when every object is an instant.
    """
    clauses: list[tuple[Occur, Query]] = []
    node = freetext.parse(request.q) if request.q else None
    if node is not None:
        clauses.append((Occur.Must, translate.text_query(node)))
    if request.collections:
        clauses.append((Occur.Must, translate.term_any(f.COLLECTION, request.collections)))
    if request.ids:
        clauses.append((Occur.Must, translate.term_any(f.ID, request.ids)))
    bbox = request.bbox or _geometry_bbox(request.intersects)
    if bbox is not None:
        clauses.append((Occur.Must, translate.bbox_query(bbox, kind)))
    if request.datetime is not None:
        # Month terms pay off unless a bbox leads and the exact clauses only check its hits.
        interval = translate.interval_query(
            *request.datetime,
            stats.time_bounds if stats is not None else None,
            months=bbox is None,
            instants=stats is not None and stats.instants,
        )
        clauses.append((Occur.Must, interval))
    if bbox is not None:
        return Query.boolean_query(clauses)  # the bbox clause matches objects of ``kind`` only
    if not clauses:
        return translate.type_is(kind)
    return Query.boolean_query([*clauses, translate.kind_only(kind)])


def search_items(
    index: OpenIndex,
    request: SearchRequest,
    predicates: tuple[Predicate, ...] = (),
    kind: str = f.TYPE_ITEM,
) -> Page:
    """Objects matching ``request`` and every predicate, one page of them.

    Order: ``sortby`` when given; else relevance when ``q`` is given; else newest first
    (items) or by id (collections).
    """
    checks = (
        predicates + _intersects_predicate(request.intersects) + _filter_predicate(request.filter)
    )
    order = _native_order(request, kind)
    if checks or order is None:
        return _scan(index, request, checks, kind)
    searcher = index.searcher()
    field, descending = order

    def search(query: Query, count: bool = False) -> tantivy.SearchResult:
        return searcher.search(
            query,
            limit=request.limit,
            count=count,
            order_by_field=field,
            offset=request.offset,
            order=tantivy.Order.Desc if descending else tantivy.Order.Asc,
        )

    query = object_query(request, kind, _interval_stats(index, request, kind))
    found = None
    if field is not None and kind == f.TYPE_ITEM and window.applies(request, field):
        found = window.windowed(search, query, request, index.stats(kind), field, descending)
    if found is None:
        result = search(query, count=True)
        found = result, getattr(result, "count", None) or 0  # count: not in the stub
    result, matched = found
    hits = [_hit(searcher, address) for _, address in result.hits]
    return _page(hits, matched, request, index.manifest.generation)


def _interval_stats(index: OpenIndex, request: SearchRequest, kind: str) -> KindStats | None:
    """The stats a datetime filter uses (computed once per generation, on first need)."""
    return index.stats(kind) if request.datetime is not None else None


def _native_order(request: SearchRequest, kind: str) -> tuple[str | None, bool] | None:
    """(fast field or None for relevance, descending) when tantivy can order the results."""
    if len(request.sortby) > 1:
        return None
    if request.sortby:
        key = request.sortby[0]
        field = NATIVE_SORT.get(key.field)
        return None if field is None else (field, key.descending)
    if request.q and freetext.parse(request.q) is not None:
        return None, True
    return (f.START, True) if kind == f.TYPE_ITEM else (f.ID, False)


def _scan(
    index: OpenIndex, request: SearchRequest, checks: tuple[Predicate, ...], kind: str
) -> Page:
    hits = [h for h in _candidates(index, request, kind) if all(c(h.obj) for c in checks)]
    if request.sortby and _native_order(request, kind) is None:
        order = sort_objects([h.obj for h in hits], request.sortby)
        hits = [hits[i] for i in order]
    window = hits[request.offset : request.offset + request.limit]
    return _page(window, len(hits), request, index.manifest.generation)


def _candidates(index: OpenIndex, request: SearchRequest, kind: str) -> Iterator[Hit]:
    """Every object the tantivy query matches, in the best order tantivy can give."""
    searcher = index.searcher()
    query = object_query(request, kind, _interval_stats(index, request, kind))
    plain = SearchRequest(q=request.q, sortby=request.sortby[:1])
    order = _native_order(plain, kind) or (None, True)
    offset = 0
    while True:
        result = searcher.search(
            query,
            limit=SCAN_BATCH,
            count=False,
            order_by_field=order[0],
            offset=offset,
            order=tantivy.Order.Desc if order[1] else tantivy.Order.Asc,
        )
        for _, address in result.hits:
            yield _hit(searcher, address)
        if len(result.hits) < SCAN_BATCH:
            return
        offset += SCAN_BATCH


def _page(hits: list[Hit], matched: int, request: SearchRequest, generation: int) -> Page:
    end = request.offset + len(hits)
    previous = max(0, request.offset - request.limit) if request.offset > 0 else None
    return Page(hits, matched, end if end < matched else None, previous, generation, request.offset)


def _intersects_predicate(geometry: dict[str, Any] | None) -> tuple[Predicate, ...]:
    if geometry is None:
        return ()
    from shapely import prepared

    from stacsift.geometry import shape, try_shape

    target = prepared.prep(shape(geometry, "intersects"))

    def intersects(obj: dict[str, Any]) -> bool:
        candidate = try_shape(obj.get("geometry"))
        return candidate is not None and bool(target.intersects(candidate))

    return (intersects,)


def _filter_predicate(expression: Any) -> tuple[Predicate, ...]:
    if expression is None:
        return ()
    from stacsift.query import cql2

    return (lambda obj: cql2.evaluate(expression, obj),)


def _geometry_bbox(geometry: dict[str, Any] | None) -> tuple[float, float, float, float] | None:
    if geometry is None:
        return None
    from stacsift.geometry import shape

    west, south, east, north = shape(geometry, "intersects").bounds
    return float(west), float(south), float(east), float(north)


def list_collections(index: OpenIndex) -> list[dict[str, Any]]:
    """Every collection in the index, ordered by id."""
    request = SearchRequest(limit=10_000)
    return search_items(index, request, kind=f.TYPE_COLLECTION).features


def get_collection(index: OpenIndex, collection_id: str) -> Hit:
    found = _by_key(index, document_key(f.TYPE_COLLECTION, collection_id, collection_id))
    if found is None:
        raise NotFound(f"collection {collection_id!r} does not exist")
    return found


def get_item(index: OpenIndex, collection_id: str, item_id: str) -> Hit:
    found = _by_key(index, document_key(f.TYPE_ITEM, collection_id, item_id))
    if found is None:
        raise NotFound(f"item {item_id!r} does not exist in collection {collection_id!r}")
    return found


def _by_key(index: OpenIndex, key: str) -> Hit | None:
    searcher = index.searcher()
    result = searcher.search(Query.term_query(f.SCHEMA, f.KEY, key), limit=1)
    return _hit(searcher, result.hits[0][1]) if result.hits else None


def _hit(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> Hit:
    document = searcher.doc(address)
    raw = document.get_first(f.JSON)
    if not isinstance(raw, bytes):
        raise IndexFormatError("an index document has no stored STAC JSON")
    obj: dict[str, Any] = orjson.loads(raw)
    href = document.get_first(f.HREF)
    return Hit(obj, href if isinstance(href, str) else "")


__all__ = ["Hit", "Page", "SortKey", "get_collection", "get_item", "search_items"]
