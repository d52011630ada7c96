"""The newest (or oldest) objects of a big index without ranking all of them.

Ordering every item by datetime costs a pass over all of them (milliseconds at 200,000 items)
although a page needs ten. When a request filters by nothing but collections, its matches are
counted from the generation's statistics, and the page is searched within a time window at the
wanted end of the index's time range: everything outside the window sorts after everything in
it, so a window holding a full page gives exactly that page. Windows widen until one does; the
caller falls back to the full search otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import tantivy
from tantivy import FieldType, Occur, Query

from stacsift.index import schema as f
from stacsift.index.stats import KindStats
from stacsift.query.params import SearchRequest

MIN_MATCHES = 20_000  # below this a full search is as cheap
WIDENINGS = 3
WIDEN_BY = 8

Search = Callable[[Query], tantivy.SearchResult]


def applies(request: SearchRequest, field: str | None) -> bool:
    """Whether the request filters by collections at most and orders by ``start``/``end``."""
    unset = (request.bbox, request.intersects, request.datetime, request.filter)
    return (
        field in (f.START, f.END)
        and not request.q
        and not request.ids
        and all(value is None for value in unset)
    )


def windowed(
    search: Search,
    query: Query,
    request: SearchRequest,
    stats: KindStats,
    field: str,
    descending: bool,
) -> tuple[tantivy.SearchResult, int] | None:
    """(the page's result, how many match) from a window, or None to search everything.

    ``search`` asks for one hit more than a page, so a window answers only when it also shows
    whether more results follow.
    """
    matched = stats.matched(request.collections)
    span = stats.span(field)
    if matched is None or span is None or matched < MIN_MATCHES:
        return None
    low, high = span
    need = request.cursor.skip + request.limit
    width = max(1, (high - low) * 4 * need // matched)
    after = request.cursor.after
    if isinstance(after, int):  # a later page: the window begins at its cursor
        low, high = (low, min(high, after)) if descending else (max(low, after), high)
    for _ in range(WIDENINGS):
        if width >= high - low:
            return None
        bound = (high - width, None) if descending else (None, low + width)
        window = Query.range_query(f.schema(), field, FieldType.Integer, *bound)
        result = search(Query.boolean_query([(Occur.Must, query), (Occur.Must, window)]))
        if len(result.hits) > request.limit:  # a full page, and whether another follows
            return result, matched
        width *= WIDEN_BY
    return None
