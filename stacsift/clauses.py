"""The tantivy clauses of a search request: its free text (scored) and its filters (unscored).

User text never reaches tantivy's query parser: words, phrases and prefixes become term and
phrase queries (:mod:`stacsift.query.translate`), widened to the items of the collections
whose own text they match; a bbox, a datetime interval, ids and collections become term and
range clauses on the index's fast fields and grid terms (docs/search.md).
"""

from __future__ import annotations

from dataclasses import replace

import tantivy
from tantivy import Occur, Query

from stacsift.index import schema as f
from stacsift.index.stats import KindStats
from stacsift.query import freetext, translate
from stacsift.query.params import SearchRequest

Clauses = list[tuple[Occur, Query]]
Filters = tuple[Query, ...]
"""Filters already made queries (the pushed-down CQL2 filter, a group's clause). Each becomes
a clause of its own: tantivy leads an intersection with its smallest clause, while a boolean
of them nested in one clause is searched through to its next match at every step (windows of
``sortby=platform&filter=platform='naip'`` that hold no ``landsat-8`` took 4.9 ms each at
2,000,000 items nested, 0.1-1.6 ms flat as they widened)."""


def object_query(
    request: SearchRequest,
    kind: str = f.TYPE_ITEM,
    stats: KindStats | None = None,
    searcher: tantivy.Searcher | None = None,
    prefilter: Filters = (),
) -> Query:
    """The tantivy query of :func:`object_clauses`."""
    return Query.boolean_query(object_clauses(request, kind, stats, searcher, prefilter))


def object_clauses(
    request: SearchRequest,
    kind: str = f.TYPE_ITEM,
    stats: KindStats | None = None,
    searcher: tantivy.Searcher | None = None,
    prefilter: Filters = (),
    window_box: bool = False,
    widen: bool = True,
    led: bool = False,
) -> Clauses:
    """The clauses of the tantivy query: free text (scored) and filters (unscored).

    ``stats`` of the objects of ``kind`` let open datetime intervals use the month terms (by
    their earliest start and latest end), and make the exact datetime check one range clause
    when every object is an instant. With the ``searcher``, prefixes are ranked like words and
    items are also found by their collection's words (:func:`_in_matching_collections`).
    ``prefilter``: the pushed-down CQL2 filter and other filters already made queries
    (:data:`Filters`). Further clauses (a page's cursor, a time window) are added beside these
    rather than around them: tantivy leads an intersection with its smallest clause only among
    clauses of one boolean query. ``window_box``: a time
    window's clause holds the bbox and the datetime filter (:mod:`stacsift.window`), so they
    are left out here. ``led``: a window's clause (of days, months or a sort's values) leads
    the search, so a datetime filter only checks its objects, by range clauses rather than
    month terms (at 2,000,000 items, ``datetime=2016-01-01T00:00:00Z/..`` newest first took
    12-16 ms with a union of its months, 1.2 ms without); objects of ``kind`` are kept by
    excluding the others even when nothing else filters them: a term of every item would cost
    tantivy less than a fast-field range and lead a value window's search (at 2,000,000 items,
    ``sortby=platform`` 5.3-5.8 -> 4.1-4.4 ms, ``gsd`` 12.3-13.6 -> 10.6-11.5). Without
    ``widen``, words match items directly only. The bbox clause checks the free text in its
    border cells too (:func:`translate.bbox_query`).
    """
    clauses: Clauses = []
    clauses.extend((Occur.Must, Query.const_score_query(query, 0.0)) for query in prefilter)
    node = freetext.parse(request.q) if request.q else None
    text = None
    widened: set[str] = set()
    if node is not None:
        wider = widen and kind == f.TYPE_ITEM
        expand = None
        if searcher is not None and wider:
            expand = _in_matching_collections(searcher, request.collections, widened)
        text = translate.text_query(node, searcher, expand)
        clauses.append((Occur.Must, text))
    if request.collections:
        clauses.append((Occur.Must, translate.term_any(f.COLLECTION, request.collections)))
    if request.ids:
        clauses.append((Occur.Must, translate.term_any(f.ID, request.ids)))
    bbox = None if window_box else request.bbox
    if bbox is not None:
        # led: the exact range clauses check the leading clause's objects (tantivy would
        # enumerate the union of the box's cells beside it)
        boxed = translate.bbox_ranges(bbox) if led else translate.bbox_query(bbox, kind, text)
        clauses.append((Occur.Must, boxed))
    if request.datetime is not None and not window_box:
        # Month terms pay off unless a bbox, a window or fewer words lead (the exact clauses
        # check them then).
        checked = bbox is not None or led
        interval = translate.interval_query(
            *request.datetime,
            stats.time_bounds if stats is not None else None,
            months=not checked and _months_pay(request.datetime, stats, searcher, node, widened),
            instants=stats is not None and stats.instants,
        )
        clauses.append((Occur.Must, interval))
    if (bbox is not None and not led) or window_box:
        return clauses  # the bbox clause (or the window's) matches objects of ``kind`` only
    if not clauses and not led:
        return [(Occur.Must, translate.type_is(kind))]
    return [*clauses, translate.kind_only(kind)]


def _months_pay(
    interval: tuple[int | None, int | None],
    stats: KindStats | None,
    searcher: tantivy.Searcher | None,
    node: freetext.Node | None,
    widened: set[str],
) -> bool:
    """Whether month terms should find the objects of a datetime ``interval`` searched with
    free text (``node``, widened to the items of the collections ``widened``). A union of
    month terms reads every object of its months, while the exact range clauses only check
    the objects the words match: so not when the words are expected to match fewer objects
    than the interval holds. One search at 2,000,000 items over ten years, from 2020 on:
    ``forest`` (400,000 matches) 14 → 8.3 ms, ``123`` (2,000) 6.0 → 0.5 ms; in one month,
    ``forest`` keeps the months (0.7 ms, against 7.9 ms for the range clauses)."""
    if node is None or searcher is None or stats is None:
        return True
    held = expected_in(interval, stats)
    members = stats.matched(tuple(widened)) if widened else 0
    if held is None or members is None:
        return True
    return translate.postings(node, searcher) + members >= held


def expected_in(interval: tuple[int | None, int | None], stats: KindStats) -> int | None:
    """How many objects a datetime interval is expected to hold: the index's objects, in
    proportion to the part of their time span it covers."""
    bounds = stats.time_bounds
    if bounds is None:
        return None
    low, high = bounds
    start, end = interval
    first = low if start is None else max(low, start)
    last = high if end is None else min(high, end)
    return max(0, stats.count * (last - first + 1) // (high - low + 1))


MAX_WIDENING_COLLECTIONS = 1000


def _in_matching_collections(
    searcher: tantivy.Searcher, within: tuple[str, ...] = (), found: set[str] | None = None
) -> translate.Expand:
    """Widens a word's query to the items of the collections it matches (``q=woodland`` finds
    the items of a collection with that keyword), at score 0, so below every direct match;
    those collections are added to ``found``.

    Done at query time, so changing a collection reindexes none of its items.
    """

    def widen(leaf: Query) -> Query:
        ids = matching_collections(searcher, leaf, within)
        if found is not None:
            found.update(ids)
        if not ids:
            return leaf
        members = Query.const_score_query(translate.term_any(f.COLLECTION, ids), 0.0)
        return Query.boolean_query([(Occur.Should, leaf), (Occur.Should, members)])

    return widen


def matching_collections(
    searcher: tantivy.Searcher, leaf: Query, within: tuple[str, ...]
) -> list[str]:
    """The collections whose own text ``leaf`` matches; only those of ``within`` when it has
    any (a request's collections: the items of others are filtered out anyway)."""
    collections = Query.boolean_query(
        [(Occur.Must, leaf), (Occur.Must, translate.type_is(f.TYPE_COLLECTION))]
    )
    terms = {"ids": {"terms": {"field": f.COLLECTION, "size": MAX_WIDENING_COLLECTIONS}}}
    buckets = searcher.aggregate(collections, terms)["ids"]["buckets"]
    ids = [str(bucket["key"]) for bucket in buckets]
    kept = frozenset(within)
    return [i for i in ids if i in kept] if kept else ids


def alone(request: SearchRequest) -> bool:
    """Whether nothing narrows the request's matches (its page, order and fields aside)."""
    return replace(request, limit=10, token=None, sortby=(), fields=None) == SearchRequest()
