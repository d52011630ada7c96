"""Pages ordered by a sort key whose values many objects share (text properties, numbers),
each value's objects newest first: the request-level halves of :mod:`stacsift.term_groups`
and :mod:`stacsift.value_groups`, which find a value's objects with the searches of
:mod:`stacsift.search` (its ``native`` time-ordered page, passed in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache

import tantivy
from tantivy import Occur, Query

from stacsift import sort_windows, term_groups, value_groups, window
from stacsift.clauses import Filters, alone, object_clauses, object_query
from stacsift.index import schema as f
from stacsift.index import stats as index_stats
from stacsift.index.documents import start_of
from stacsift.index.reader import OpenIndex
from stacsift.index.stats import counted_terms
from stacsift.page import (
    Hit,
    Page,
    foreign_token,
    hit_at,
    interval_stats,
    known_count,
    within,
)
from stacsift.query import translate
from stacsift.query.params import SearchRequest
from stacsift.query.tokens import Cursor, Missing, Token, Value

# tantivy's page of a request in an order (stacsift.search's ``_native``): (index, request,
# kind, (sort field, descending), the pushed-down CQL2 filter, the count limit, whether it
# only probes time windows)
Native = Callable[
    [OpenIndex, SearchRequest, str, tuple[str | None, bool], Filters, int, bool], Page
]


def term_sorted(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    order: tuple[str, bool],
    prefilter: Filters,
    count_limit: int,
    native: Native,
) -> Page:
    """A page ordered by a text property, each value's objects newest first
    (:mod:`stacsift.term_groups`): from the generation's first values of the property when
    nothing filters the request and they hold the page; else, on a first page, from the first
    value's newest matches when time windows hold them (:func:`_first_filling`; counted as a
    time-ordered page is); else from the values of its matches (one terms aggregation, which
    counts them too). A page that would search more than
    :data:`term_groups.MAX_GROUPS <stacsift.term_groups.MAX_GROUPS>` values ends early."""
    field, descending = order
    searcher = index.searcher()
    cursor = request.cursor
    if cursor.after is not None:
        raise foreign_token()
    need = (cursor.skip, request.limit + 1)
    group = _newest_of(index, request, kind, prefilter, count_limit, native)
    stats = interval_stats(index, request, kind)
    query = cache(lambda: object_query(request, kind, stats, searcher, prefilter))
    matched = known_count(index, request, kind)
    found = None
    one = within(request, kind)  # a collection's first values answer a search in it alone
    if alone(request) or (one is not None and alone(replace(request, collections=()))):
        first = index.terms(kind, field, descending, one)
        found = term_groups.paged(field, first, len(first) < index_stats.FIRST_TERMS, need, group)
    elif cursor.skip == 0:
        probe = _newest_of(index, request, kind, prefilter, count_limit, native, probe=True)
        found = _first_filling(index, request, kind, order, need[1], (group, probe))
        if found is not None and matched is None:
            matched = sort_windows.counted(index, request, kind, prefilter, count_limit)
    if found is None:
        size = sum(need)  # each value has a match: so many values hold the page
        values, matches = counted_terms(searcher, query(), order, size, matched is None)
        found = term_groups.paged(field, values, len(values) < size, need, group) or ([], False)
        matched = matched or (None if matches is None else window.Count(matches))
    if matched is None:
        matched = window.Count(window.count_of(searcher.search(query(), limit=1, count=True)))
    hits, cut = found
    page = hits[: request.limit]
    more = len(hits) > request.limit or cut
    return Page(page, matched.value, 0, cursor, None, None, more, at_least=matched.at_least)


def _first_filling(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    order: tuple[str, bool],
    count: int,
    groups: tuple[term_groups.Group[Hit], term_groups.Group[Hit]],
) -> tuple[list[Hit], bool] | None:
    """The first page of a sort by a text property when the matches of the generation's first
    value fill it (that value is then the first of the matches too), without aggregating the
    matches: its ``count`` newest matches when time windows hold them (``groups``: a group's
    newest matches, and those that windows alone find); else None. In a sort by collection,
    the first value is the first of the request's collections."""
    field, descending = order
    group, probe = groups
    values = index.terms(kind, field, descending, within(request, kind))
    if not values:  # no object (of its collection) has the property: the newest matches
        lacking = translate.lacking(field)
        return group((lacking, lacking), 0, count, None), False
    kept = request.collections if field == f.COLLECTION else ()
    first = next(((v, n) for v, n in values if not kept or v in kept), None)
    if first is None:
        return None
    value, members = first
    term = translate.term_any(field, [value])
    hits = probe((term, term), 0, count, members)
    return (hits, False) if len(hits) >= count else None


def valued(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    order: tuple[str, bool],
    prefilter: Filters,
    count_limit: int,
    native: Native,
) -> Page:
    """A page ordered by a numeric property, each value's objects newest first
    (:mod:`stacsift.value_groups`): the cursor's value's objects from where it stopped (on a
    first page, those of the first value when many objects may share one; the matches are
    then counted as a time-ordered page's are), then tantivy's page after that value
    (``native``), each run of a value in it newest first."""
    field = order[0]
    cursor = request.cursor
    want = request.limit + 1
    newest = _newest_of(index, request, kind, prefilter, count_limit, native)

    # a value's clause checks a time window's objects over the column unless few objects
    # share a value (sort_windows.ranged), and leads a search over the terms when there are
    ranged = sort_windows.ranged(index, kind, field)
    leads = f.terms_of(field) or field

    def group(value: Value, skip: int, count: int) -> list[Hit]:
        members = _posted_count(index, (field, ranged), value)
        clauses = (_equal(field, value, ranged), _equal(field, value, leads))
        return newest(clauses, skip, count, members)

    known = known_count(index, request, kind)
    start = cursor.after
    if start is None:
        start = _first_shared(index, kind, order)
        if start is not None and known is None:
            known = sort_windows.counted(index, request, kind, prefilter, count_limit)
    found = [] if start is None else [(start, hit) for hit in group(start, cursor.skip, want)]
    more = len(found) > request.limit
    if len(found) < want and not isinstance(start, Missing):
        # the rest follows every object of the start value (they are all found)
        rest = Cursor(start, cursor.skip + len(found)) if start is not None else cursor
        counted = (known.value, known.at_least) if known is not None else (None, False)
        token = Token(0, rest, matched=counted[0], at_least=counted[1])
        shown = request.limit - len(found)
        # one result more than shown: a shown value's run is complete when it ends before it
        asked = replace(request, token=token, limit=shown + 1)
        following = native(index, asked, kind, order, prefilter, count_limit, False)
        known = window.Count(following.matched or 0, following.at_least)
        keyed = list(zip(following.keys or (), following.hits, strict=True))
        found += value_groups.regrouped(
            keyed, following.more, shown, lambda value, count: group(value, 0, count), _newest
        )
        more = len(found) > request.limit or following.more
    matched = known or window.Count(0)
    page = found[: request.limit]
    keys = tuple(value for value, _ in page)
    hits = [hit for _, hit in page]
    return Page(hits, matched.value, 0, cursor, None, keys, more, at_least=matched.at_least)


# A first page starts with the first value's newest objects when one value may be shared by
# this share of the objects or more
FIRST_SHARED = 100


def _newest(hits: list[Hit]) -> list[Hit]:
    """``hits`` in document order, newest first (equal starts keep their order: tantivy's,
    by document address)."""
    return sorted(hits, key=lambda hit: -start_of(hit.obj))


def _first_shared(index: OpenIndex, kind: str, order: tuple[str, bool]) -> float | None:
    """The first value of a sort by a numeric property (the lowest or highest of the
    generation), when a value may be shared by a hundredth of the objects or more (its
    objects are then likely to fill a page, found in time windows), else None."""
    field, descending = order
    if index.tied(kind, field) * FIRST_SHARED < index.stats(kind).count:
        return None
    bounds = index.bounds(kind, field)
    if bounds is None:
        return None
    return bounds.high if descending else bounds.low


def _posted_count(index: OpenIndex, fields: tuple[str, str], value: Value) -> int | None:
    """How many objects (of any kind, deleted ones included) have ``value`` in a numeric
    field, from its posting list when windows of its values range over its terms (at least as
    many as a request's matches of the value), else None. ``fields``: the field, and the one
    windows of its values range over (:func:`sort_windows.ranged`)."""
    field, ranged = fields
    if ranged == field or not isinstance(value, int | float):
        return None
    return int(index.searcher().doc_freq(ranged, float(value)))


def _equal(field: str, value: Value, over: str) -> Query:
    """The objects whose ``field`` is ``value`` (MISSING: that lack it), by a range over
    ``over``: the field's column, or the terms of its values."""
    if isinstance(value, Missing):
        return translate.lacking(field)
    if isinstance(value, str):
        raise foreign_token()
    number = float(value) + 0.0  # as indexed
    return translate.float_range(over, number, number)


def _newest_of(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    prefilter: Filters,
    count_limit: int,
    native: Native,
    probe: bool = False,
) -> term_groups.Group[Hit]:
    """The newest matches of the request that are in a group (its clause), after skipping
    some: a page in time order (in time windows when they pay), of the group's matches, not
    counted. A ``probe`` searches time windows only: none where they do not hold the page."""

    def group(
        clauses: tuple[Query, Query], skip: int, count: int, members: int | None = None
    ) -> list[Hit]:
        clause, leading = clauses
        token = Token(0, Cursor(None, skip), matched=0)  # the count is known: none is made
        newest = replace(request, sortby=(), token=token, limit=count)
        if not window.applies(newest, f.START, index.stats(kind), index.searcher(), members):
            return [] if probe else _led_newest(index, newest, kind, leading, prefilter)
        narrowed, order = (*prefilter, clause), (f.START, True)
        return native(index, newest, kind, order, narrowed, count_limit, probe).hits[:count]

    return group


def _led_newest(
    index: OpenIndex, request: SearchRequest, kind: str, clause: Query, prefilter: Filters
) -> list[Hit]:
    """The request's page in time order among the objects of ``clause``, which leads the
    search (the request's filters only check its objects, :func:`object_clauses` with
    ``led``)."""
    searcher = index.searcher()
    stats = interval_stats(index, request, kind)
    led = object_clauses(request, kind, stats, searcher, prefilter, led=True)
    result = searcher.search(
        Query.boolean_query([(Occur.Must, clause), *led]),
        limit=request.limit,
        count=False,
        order_by_field=f.START,
        offset=request.cursor.skip,
        order=tantivy.Order.Desc,
    )
    return [hit_at(searcher, address) for _, address in result.hits]
