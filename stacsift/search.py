"""Run searches against an opened generation: items, collections, single objects.

Pure logic over a tantivy searcher: no HTTP, no environment. Most requests run natively in
tantivy (filters as range/term clauses, one sort key on a fast field, tantivy's own paging).
Requests that need an exact test per object (``intersects``, a CQL2 ``filter``) or a sort tantivy
cannot do (several keys, a property that is not a fast field) scan the tantivy candidates in
order, test and sort them here, and page the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import cache, partial
from typing import TYPE_CHECKING, Any

import tantivy
from tantivy import FieldType, Occur, Query, SearchResult

from stacsift import grouped, id_sorted, relevance, sort_windows, window
from stacsift.clauses import (
    Clauses,
    Filters,
    alone,
    matching_collections,
    object_clauses,
    object_query,
)
from stacsift.errors import InvalidParameter, NotFound
from stacsift.index import schema as f
from stacsift.index.documents import document_key
from stacsift.index.reader import OpenIndex
from stacsift.index.stats import KindStats
from stacsift.page import (
    Hit,
    Page,
    foreign_token,
    hit_at,
    interval_stats,
    known_count,
)
from stacsift.query import freetext, pushdown, translate
from stacsift.query.params import SearchRequest, SortKey
from stacsift.query.tokens import MISSING, Missing, Value
from stacsift.settings import DEFAULT_COUNT_LIMIT
from stacsift.sorting import NATIVE_SORT, NATIVE_TYPES, TERM_SORTS, sort_objects

if TYPE_CHECKING:  # shapely is imported only by requests with a geometry
    from shapely.geometry.base import BaseGeometry

MAX_SCAN = 2_000  # candidates one request checks with the exact evaluator
FIRST_SCAN = 4  # the first candidates asked for, per result a page needs

Predicate = Callable[[dict[str, Any]], bool]


def search_items(
    index: OpenIndex,
    request: SearchRequest,
    predicates: tuple[Predicate, ...] = (),
    kind: str = f.TYPE_ITEM,
    count_limit: int = DEFAULT_COUNT_LIMIT,
) -> Page:
    """Objects matching ``request`` and every predicate, one page of them.

    Order: ``sortby`` when given; else relevance when ``q`` is given; else newest first
    (items) or by id (collections). A page token continues the search that issued it only.
    A CQL2 filter the index answers exactly (:mod:`stacsift.query.pushdown`) is one more
    clause; otherwise its pushed-down part narrows the candidates and the exact evaluator
    checks at most :data:`MAX_SCAN` of them per request. Queries are made for the format of
    the opened index (previous formats stay readable). numberMatched is exact, except for
    a page searched in time windows (:mod:`stacsift.window`) or from direct text matches
    (:mod:`stacsift.relevance`) when more than ``count_limit`` match: then it is that limit
    and ``at_least``.
    """
    with f.layout(index.manifest.format_version):
        return _search_items(index, request, predicates, kind, count_limit)


def _search_items(
    index: OpenIndex,
    request: SearchRequest,
    predicates: tuple[Predicate, ...],
    kind: str,
    count_limit: int,
) -> Page:
    search_id = request.fingerprint()
    if request.token is not None and request.token.search != search_id:
        raise foreign_token()
    pushed = pushdown.to_query(request.filter) if request.filter is not None else None
    filter_checks = () if pushed is not None and pushed.exact else _filter_predicate(request.filter)
    area = _area(request.intersects)
    checks = predicates + _intersects_predicate(area) + filter_checks
    if area is not None and request.bbox is None:
        # its bbox narrows the candidates as a bbox does (the geometry is parsed once: a
        # polygon of 200,000 vertices takes about 0.2 s)
        west, south, east, north = area.bounds
        request = replace(request, bbox=(float(west), float(south), float(east), float(north)))
    prefilter = (pushed.query,) if pushed is not None else ()
    order = _native_order(request, kind)
    if checks or order is None:
        page = _scan(index, request, checks, kind, prefilter)
    else:
        page = _ordered(index, request, kind, order, prefilter, count_limit)
    back = request.token.back if request.token is not None else None
    return replace(page, back=back, search=search_id, generation=index.manifest.generation)


def _ordered(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    order: tuple[str | None, bool],
    prefilter: Filters,
    count_limit: int,
) -> Page:
    """A page in an order tantivy can search by: by a sort key whose values objects share
    (text properties, numbers), value by value (:mod:`stacsift.grouped`); by id, among the
    generation's first ids when they hold the page (:mod:`stacsift.id_sorted`); else
    :func:`_native`."""
    field, descending = order
    if field in TERM_SORTS and field is not None:
        by = grouped.term_sorted
    elif field == f.ID:
        by = id_sorted.paged
    elif field is not None and NATIVE_TYPES.get(field) == FieldType.Float:
        by = grouped.valued
    else:
        return _native(index, request, kind, order, prefilter, count_limit)
    return by(index, request, kind, (field, descending), prefilter, count_limit, _native)


# time windows a probe searches (each four times wider than the last): the first value of a
# text sort among the matches is probed (stacsift.grouped) before they are aggregated
PROBE_WIDENINGS = 3


def _native(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    order: tuple[str | None, bool],
    prefilter: Filters,
    count_limit: int,
    probe: bool = False,
) -> Page:
    """A page tantivy finds and orders by itself: after the cursor's sort value, skipping the
    results of that value already returned (one more hit than asked tells whether more follow).
    Pages in time order are searched in time windows first (:mod:`stacsift.window`), pages by
    a numeric property in windows of its values (:mod:`stacsift.value_window`), relevance pages
    from direct matches (:mod:`stacsift.relevance`). A ``probe`` searches the first
    :data:`PROBE_WIDENINGS` time windows only: its page is empty where they do not hold it."""
    searcher = index.searcher()
    field, descending = order
    cursor = request.cursor
    if field not in NATIVE_TYPES and cursor.after is not None:
        raise foreign_token()
    stats = interval_stats(index, request, kind)
    after = []
    if field is not None and cursor.after is not None:
        complete = field in index.stats(kind).complete
        after = [(Occur.Must, _after(field, cursor.after, descending, complete))]
    # (made only when no window answers: the full query of a bbox costs more than a window's)
    clauses = cache(lambda: object_clauses(request, kind, stats, searcher, prefilter) + after)
    windows = _windows(index, request, kind, field, stats, prefilter, after)
    led = cache(lambda: sort_windows.led_clauses(index, request, (field, kind), stats, prefilter))
    within = _within(windows, led, after)

    def search(extra: list[tuple[Occur, Query]] | None = None, count: bool = False) -> SearchResult:
        return searcher.search(
            Query.boolean_query(within(extra) if extra else clauses()),
            limit=request.limit + 1,
            count=count,
            order_by_field=field,
            offset=cursor.skip,
            order=tantivy.Order.Desc if descending else tantivy.Order.Asc,
        )

    def count_all() -> int:
        result = searcher.search(Query.boolean_query(clauses()), limit=1, count=True)
        return window.count_of(result)

    known = known_count(index, request, kind)
    found = None
    if windows is not None and field is not None:
        item_stats, time_order = index.stats(kind), (field, descending)
        widenings = PROBE_WIDENINGS if probe else window.WIDENINGS
        known = known or _words_counted(index, request, kind, prefilter, count_limit)
        limits = (known, count_limit, windows[0], widenings)
        found = window.windowed(search, count_all, request, item_stats, time_order, *limits)
    elif field is None and kind == f.TYPE_ITEM:
        found = _direct(index, request, prefilter, known, count_limit)
    elif (
        field is not None
        and (share := sort_windows.paying_share(index, request, kind, field)) is not None
    ):
        # (counted once a window holds the page, not when none does)
        words = partial(_words_counted, index, request, kind, prefilter, count_limit)
        stated = (searcher, led, count_all, index.stats(kind), count_limit)
        count = partial(sort_windows.time_counted, lambda: known or words(), *stated)
        ordered = (field, descending)
        found = sort_windows.windowed(index, request, kind, ordered, share, search, count)
    if found is None and probe:
        found = [], window.Count(0)
    if found is None:
        result = search(count=known is None)
        found = result.hits, known or window.Count(window.count_of(result))
    return _page_of(searcher, request, field, found)


def _words_counted(
    index: OpenIndex, request: SearchRequest, kind: str, prefilter: Filters, count_limit: int
) -> window.Count | None:
    """How many objects match words only OR-ed, counted by the direct matches of the first
    (:func:`sort_windows.counted`) rather than in a time-ordered page's windows, which would
    count them by the union of the words and the items of matching collections (at
    2,000,000 items, ``sortby=datetime&q=lake OR glacier`` 4.5 -> 2.8 ms); None otherwise."""
    spatial = request.bbox is not None or request.intersects is not None
    if spatial or relevance.ored(request.q) is None:  # (windows in a box count in its cells)
        return None
    return sort_windows.counted(index, request, kind, prefilter, count_limit)


def _page_of(
    searcher: tantivy.Searcher, request: SearchRequest, field: str | None, found: window.Found
) -> Page:
    """The page of what a search found (a page's results and one more, and their count)."""
    results, matched = found
    pairs = results[: request.limit]
    hits = [hit_at(searcher, address) for _, address in pairs]
    keys = None
    if field in NATIVE_TYPES:
        keys = tuple(MISSING if key is None else key for key, _ in pairs)
    more = len(results) > request.limit
    cursor = request.cursor
    return Page(hits, matched.value, 0, cursor, None, keys, more, at_least=matched.at_least)


def _within(
    windows: tuple[window.Area | None, Callable[[], Clauses]] | None,
    led: Callable[[], Clauses],
    after: Clauses,
) -> Callable[[Clauses], Clauses]:
    """The clauses of a search in a window (``extra``): beside a time window's clauses
    (tantivy leads with the smallest of its terms), or before the request's clauses (``led``:
    they only check a datetime filter) for a window of a sort's values, which leads as the
    first clause: tantivy cannot tell one fast-field range's cost from another's."""
    if windows is not None:
        time_clauses = windows[1]
        return lambda extra: [*time_clauses(), *extra]
    return lambda extra: [*extra, *led(), *after]


def _windows(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    field: str | None,
    stats: KindStats | None,
    prefilter: Filters,
    after: list[tuple[Occur, Query]] | None = None,
) -> tuple[window.Area | None, Callable[[], list[tuple[Occur, Query]]]] | None:
    """Whether the request is searched in time windows (:mod:`stacsift.window`): the bbox a
    window holds (when the request has one) and the clauses a window is added to (with
    ``after``, made when first asked for), less what the window holds (the bbox, or the
    collections it distributes); None when windows do not apply."""
    if field is None or kind != f.TYPE_ITEM:
        return None
    if not window.applies(request, field, index.stats(kind), index.searcher()):
        return None
    searcher = index.searcher()
    bbox = request.bbox
    instants = stats is not None and stats.instants
    box = None if bbox is None else window.area(searcher, bbox, request.datetime, instants)
    if bbox is not None and box is None:
        return None
    # collections a window distributes are left out of the clauses it is added to
    own = replace(request, collections=()) if window.distributes(request) else request
    boxed = box is not None
    return box, cache(
        lambda: (
            object_clauses(own, kind, stats, searcher, prefilter, boxed, led=True) + (after or [])
        )
    )


def _direct(
    index: OpenIndex,
    request: SearchRequest,
    prefilter: Filters,
    known: window.Count | None,
    count_limit: int,
) -> window.Found | None:
    """A relevance page of a big index from the direct matches of its words, when they fill
    it (:mod:`stacsift.relevance`). With filters, numberMatched is the count limit (at least)
    when that many match directly, else the direct matches and those found only through their
    collection (:func:`_only_through`); when no collection the filters keep matches the words,
    the direct matches are every match: they answer every page, and are counted exactly."""
    text = relevance.disjunction(request)
    stats = index.stats(f.TYPE_ITEM)
    if text is None or stats.count < window.MIN_OBJECTS:
        return None
    node, terms = text
    searcher = index.searcher()
    if alone(replace(request, q=None)):
        pairs = relevance.direct_page(searcher, request, node, stats.count)
        if pairs is None:
            return None
        return pairs, known or sort_windows.counted(index, request, f.TYPE_ITEM, (), count_limit)
    clauses = object_clauses(request, f.TYPE_ITEM, stats, searcher, prefilter, widen=False)
    leaves = (translate.text_query(term, searcher) for term in terms)
    matching = {
        collection
        for leaf in leaves
        for collection in matching_collections(searcher, leaf, request.collections)
    }
    found = relevance.filtered_page(searcher, request, clauses, not matching)
    if found is None:
        return None
    pairs, direct = found
    if known is None and matching and direct >= count_limit:
        known = window.Count(count_limit, True)
    elif known is None:
        others = _only_through(index, request, prefilter, node, matching) if matching else 0
        known = window.Count(direct + others)
    return pairs, known


def _only_through(
    index: OpenIndex,
    request: SearchRequest,
    prefilter: Filters,
    node: freetext.Node,
    collections: set[str],
) -> int:
    """How many items pass the request's filters and match its words only through their
    ``collections`` (the words' matching ones): with the direct matches, every match. At
    200,000 items, ``q=wetland&bbox=…`` counted this way beside its direct matches took 1.5 ms
    where counting every match took 3.1."""
    searcher = index.searcher()
    stats = index.stats(f.TYPE_ITEM)
    filters = object_clauses(replace(request, q=None), f.TYPE_ITEM, stats, searcher, prefilter)
    members = translate.term_any(f.COLLECTION, sorted(collections))
    words = translate.text_query(node, searcher)
    query = Query.boolean_query([*filters, (Occur.Must, members), (Occur.MustNot, words)])
    return window.count_of(searcher.search(query, limit=1, count=True))


def _after(field: str, value: Value, descending: bool, complete: bool) -> Query:
    """Results at or after ``value`` in the order (results lacking the field come last;
    ``complete``: no object of the kind lacks it)."""
    missing = translate.lacking(field)
    if isinstance(value, Missing):
        return missing
    kind = NATIVE_TYPES.get(field)
    if kind is None or not isinstance(value, int | float) or isinstance(value, bool):
        raise foreign_token()
    bound = int(value) if kind == FieldType.Integer else float(value) + 0.0
    if not -(2**63) <= bound < 2**63:
        raise foreign_token()  # beyond any value of the field (a forged token)
    low, high = (None, bound) if descending else (bound, None)
    ranged = Query.range_query(f.schema(), field, kind, low, high)
    if complete:
        return ranged
    return Query.boolean_query([(Occur.Should, ranged), (Occur.Should, missing)])


def _native_order(request: SearchRequest, kind: str) -> tuple[str | None, bool] | None:
    """(fast field or None for relevance, descending) when tantivy can order the results."""
    if len(request.sortby) > 1:
        return None
    if request.sortby:
        key = request.sortby[0]
        field = NATIVE_SORT.get(key.field)
        return None if field is None or not f.present(field) else (field, key.descending)
    if request.q and freetext.parse(request.q) is not None:
        return None, True
    return (f.START, True) if kind == f.TYPE_ITEM else (f.ID, False)


def _scan(
    index: OpenIndex,
    request: SearchRequest,
    checks: tuple[Predicate, ...],
    kind: str,
    prefilter: Filters,
) -> Page:
    """A page of the candidates that pass ``checks``, examining at most :data:`MAX_SCAN` of
    them from the cursor on (in the best order tantivy gives; in time order, from time windows
    when they hold them). A page that ran out of budget before it was full says so
    (``partial``) and its token continues after what it examined."""
    if request.cursor.after is not None:
        raise foreign_token()
    searcher = index.searcher()
    stats = interval_stats(index, request, kind)
    query = cache(lambda: object_query(request, kind, stats, searcher, prefilter))
    if request.sortby and _native_order(request, kind) is None:
        return _sorted_scan(searcher, query(), request, checks)
    plain = SearchRequest(q=request.q, sortby=request.sortby[:1])
    order = _native_order(plain, kind) or (None, True)
    first = _candidates(index, request, kind, query, order, stats, prefilter)
    skip = request.cursor.skip
    # Most pages fill from the first few candidates: ask tantivy for those first (their order
    # is that of the MAX_SCAN best), and for all MAX_SCAN only when they do not fill the page,
    # then check only the candidates not checked yet.
    hits: list[Hit] = []
    positions: list[int] = []
    examined = 0
    for budget in dict.fromkeys((min(MAX_SCAN, FIRST_SCAN * (request.limit + 1)), MAX_SCAN)):
        candidates = first(budget)
        unchecked = enumerate(candidates[examined:], start=examined)
        full = _examine(searcher, unchecked, checks, request.limit, hits, positions)
        examined = len(candidates)
        if full or examined < budget:
            break
    if full:
        return Page(hits, None, 0, request.cursor, positions=tuple(positions), more=True)
    spent = examined == MAX_SCAN
    matched = len(hits) if skip == 0 and not spent else None
    return Page(
        hits,
        matched,
        0,
        request.cursor,
        positions=tuple(positions),
        more=spent,
        examined=MAX_SCAN if spent else None,
        partial=spent,
    )


def _candidates(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    query: Callable[[], Query],
    order: tuple[str | None, bool],
    stats: KindStats | None,
    prefilter: Filters,
) -> Callable[[int], window.Hits]:
    """The first candidates of a scan in ``order``, as many as asked after the cursor's skip:
    from a time window when one holds them (:func:`window.scanned`), else from ``query()``."""
    searcher = index.searcher()
    field, descending = order
    windows = _windows(index, request, kind, field, stats, prefilter)

    def search(budget: int, extra: list[tuple[Occur, Query]]) -> SearchResult:
        return searcher.search(
            Query.boolean_query([*windows[1](), *extra]) if windows and extra else query(),
            limit=budget,
            count=False,
            order_by_field=field,
            offset=request.cursor.skip,
            order=tantivy.Order.Desc if descending else tantivy.Order.Asc,
        )

    def first(budget: int) -> window.Hits:
        if windows is not None and field is not None:
            item_stats, time_order = index.stats(kind), (field, descending)
            hits = window.scanned(
                lambda extra, _: search(budget, extra),
                request,
                item_stats,
                time_order,
                windows[0],
                budget,
            )
            if hits is not None:
                return hits
        return search(budget, []).hits

    return first


def _examine(
    searcher: tantivy.Searcher,
    candidates: Iterable[tuple[int, Any]],
    checks: tuple[Predicate, ...],
    limit: int,
    hits: list[Hit],
    positions: list[int],
) -> bool:
    """Check the (position, candidate)s, adding those that pass to ``hits`` (and their
    ``positions``) until there are ``limit``; whether one more passes after that (the page is
    full and another follows)."""
    for position, (_, address) in candidates:
        hit = hit_at(searcher, address)
        if all(check(hit.obj) for check in checks):
            if len(hits) == limit:
                return True
            hits.append(hit)
            positions.append(position)
    return False


def _sorted_scan(
    searcher: tantivy.Searcher,
    query: Query,
    request: SearchRequest,
    checks: tuple[Predicate, ...],
) -> Page:
    """Sorting by keys the index cannot order needs every candidate: at most MAX_SCAN."""
    result = searcher.search(query, limit=MAX_SCAN + 1, count=False)
    if len(result.hits) > MAX_SCAN:
        raise InvalidParameter(
            "sortby",
            f"more than {MAX_SCAN} candidates to sort by keys the index does not order; "
            "narrow the search or sort by one indexed queryable",
        )
    hits = [
        h for h in (hit_at(searcher, a) for _, a in result.hits) if all(c(h.obj) for c in checks)
    ]
    order = sort_objects([h.obj for h in hits], request.sortby)
    hits = [hits[i] for i in order]
    skip = request.cursor.skip
    window = hits[skip : skip + request.limit]
    return Page(window, len(hits), 0, request.cursor, more=skip + len(window) < len(hits))


def _area(geometry: dict[str, Any] | None) -> BaseGeometry | None:
    """The request's ``intersects`` geometry as a shape (InvalidParameter if it is not one)."""
    if geometry is None:
        return None
    from stacsift.geometry import shape

    return shape(geometry, "intersects")


def _intersects_predicate(area: BaseGeometry | None) -> tuple[Predicate, ...]:
    if area is None:
        return ()
    from shapely import prepared

    from stacsift.geometry import try_shape

    target = prepared.prep(area)

    def intersects(obj: dict[str, Any]) -> bool:
        candidate = try_shape(obj.get("geometry"))
        return candidate is not None and bool(target.intersects(candidate))

    return (intersects,)


def _filter_predicate(expression: Any) -> tuple[Predicate, ...]:
    if expression is None:
        return ()
    from stacsift.query import cql2

    return (lambda obj: cql2.evaluate(expression, obj),)


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
    return by_term(index, f.KEY, key)


def by_term(index: OpenIndex, field: str, value: str) -> Hit | None:
    """The first object whose exact-value ``field`` (``key``, ``href``) is ``value``."""
    searcher = index.searcher()
    with f.layout(index.manifest.format_version):
        query = Query.term_query(f.schema(), field, value)
    result = searcher.search(query, limit=1)
    return hit_at(searcher, result.hits[0][1]) if result.hits else None


__all__ = ["Hit", "Page", "SortKey", "get_collection", "get_item", "search_items"]
