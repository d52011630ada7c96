"""Pages ordered by a numeric property, from windows of its values.

A numeric sortby is searched in windows of its values (:mod:`stacsift.value_window`) when the
request's filters let windows pay (:func:`paying_share`): the window leads the search, and the
request's clauses only check its objects (:func:`led_clauses`). (A text sortby is paged by
:mod:`stacsift.term_groups`.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import tantivy
from tantivy import FieldType, Occur

from stacsift import relevance, value_window, window
from stacsift.clauses import Clauses, Filters, alone, expected_in, object_clauses, object_query
from stacsift.index import schema as f
from stacsift.index.reader import OpenIndex
from stacsift.index.stats import KindStats
from stacsift.page import interval_stats
from stacsift.query import freetext, translate
from stacsift.query.params import SearchRequest
from stacsift.sorting import NATIVE_TYPES


def time_counted(
    known: Callable[[], window.Count | None],
    searcher: tantivy.Searcher,
    clauses: Callable[[], Clauses],
    count_all: Callable[[], int],
    stats: KindStats,
    count_limit: int,
) -> window.Count:
    """How many objects match ``clauses()``: ``known()`` (the count made without them, when
    there is one), else counted in time windows up to the count limit
    (:func:`window.counted`)."""
    found = known()
    if found is not None:
        return found
    return window.counted(searcher, clauses(), count_all, stats, count_limit)


def counted(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    prefilter: Filters,
    count_limit: int,
) -> window.Count:
    """How many objects match the request, counted in time windows up to the count limit
    (:func:`window.counted`; the windows lead, the request's clauses check their objects),
    else all of them. Words only OR-ed are counted in windows by the direct matches of the
    first (unranked; a lower bound of their matches, as for a relevance page,
    :mod:`stacsift.relevance`): their union with the items of matching collections costs a
    window more than the window holds."""
    searcher = index.searcher()
    stats = interval_stats(index, request, kind)
    text = relevance.ored(request.q)
    if text is None:
        led = object_clauses(request, kind, stats, searcher, prefilter, led=True)
    else:
        unworded = replace(request, q=None)
        first = translate.matches_of(text[1][0], searcher)
        led = [*object_clauses(unworded, kind, stats, searcher, prefilter, led=True)]
        led.append((Occur.Must, first))
    query = object_query(request, kind, stats, searcher, prefilter)

    def count_all() -> int:
        return window.count_of(searcher.search(query, limit=1, count=True))

    return window.counted(searcher, led, count_all, index.stats(kind), count_limit)


def windowed(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    order: tuple[str, bool],
    share: float,
    search: window.Search,
    count: Callable[[], window.Count],
) -> window.Found | None:
    """A page of a big index ordered by a numeric property, from windows of its values
    (:mod:`stacsift.value_window`), when nothing but a datetime interval, collections and (over
    the terms of the values) a bbox filter it (see :func:`paying_share`), which keep ``share``
    of the objects; ``count`` counts its matches once a window holds the page. None for other
    sorts, or when the windows do not hold the page."""
    field, descending = order
    cursor = request.cursor
    need = (cursor.skip, request.limit + 1)
    hits = None
    if NATIVE_TYPES.get(field) == FieldType.Float and isinstance(cursor.after, int | float | None):
        bounds = index.bounds(kind, field)
        if bounds is None:
            return None
        start = None if cursor.after is None else float(cursor.after)
        span = (bounds.low, bounds.high)
        count_in = int(bounds.count * share)
        over = ranged(index, kind, field)
        hits = value_window.windowed(
            lambda extra: search(extra, True), over, span, count_in, start, descending, need
        )
    return None if hits is None else (hits, count())


# A window ranges over the column when one value may hold a tenth of the objects or more: its
# postings then cost more than the column (650,000 ties of 2,000,000: 9.1 against 6.3 ms)
POSTED_TIES = 10


def ranged(index: OpenIndex, kind: str, field: str) -> str:
    """The field a window of ``field``'s values ranges over: its values' terms when
    :func:`_posted`, else its column."""
    terms = f.terms_of(field)
    return terms if terms is not None and _posted(index, kind, field) else field


def _posted(index: OpenIndex, kind: str, field: str) -> bool:
    """Whether windows of ``field``'s values range over its values' terms (format 7,
    :data:`schema.NUMERIC_TERMS <stacsift.index.schema.NUMERIC_TERMS>`), whose postings a
    narrow window reads alone (28 matches of 2,000,000: 0.014 ms), rather than its column,
    which a range reads whole (1.5 ms): not when the index has no terms or so many objects may
    share one value (:data:`POSTED_TIES`) that their postings cost more."""
    if f.terms_of(field) is None:
        return False
    return index.tied(kind, field) * POSTED_TIES < index.stats(kind).count


def paying_share(index: OpenIndex, request: SearchRequest, kind: str, field: str) -> float | None:
    """The share of the objects the request's filters keep (:func:`_share`) when windows of a
    sort field's values may answer, else None. They may when the index is big (a full search
    is as cheap on a small one) and nothing filters the request (its count is known then) but,
    for a numeric sort, a datetime interval, collections and free text (its share taken from
    its words' postings), which the windows' searches only check, and (windows over the terms
    of the values) a bbox, checked by its range clauses.
    Windows over the column each read it whole, so they pay when the filters keep an eighth of
    the objects or more (:data:`WIDE`; at 2,000,000 items, ``sortby=eo:cloud_cover`` from
    2020 on took 24 ms, its window 4.2 ms); windows over the terms read only the postings of
    their values, so they pay while the first one's objects, the page over the share the
    filters keep, are fewer than the matches the full search would order (:data:`POSTED_PAY`).
    The matches are counted in time windows (:func:`window.counted`) unless collections
    alone filter them. Collections are checked beside the window (:func:`_takes_collections`).
    Other filters make windows cost more than they save."""
    stats = index.stats(kind)
    if stats.count < window.MIN_OBJECTS:
        return None
    posted = _posted(index, kind, field)
    checked = replace(request, datetime=None, collections=(), q=None)
    if not alone(replace(checked, bbox=None) if posted else checked):
        return None
    if request.collections and not _takes_collections(index, request, kind, field):
        return None
    share = _share(index, request, kind)
    node = freetext.parse(request.q) if request.q else None
    if node is not None:
        share *= min(1.0, translate.postings(node, index.searcher()) / max(stats.count, 1))
    if posted:
        need = request.cursor.skip + request.limit + 1
        pays = share * share * stats.count >= need * POSTED_PAY
    else:
        pays = share * WIDE >= 1
    return share if pays else None


# Windows over the terms of the values pay while the full search's matches are this many
# times the first window's objects or more (each is read from a posting list and checked)
POSTED_PAY = 16
WIDE = 8  # an interval holding 1/WIDE of the objects or more is wide enough for windows


def led_clauses(
    index: OpenIndex,
    request: SearchRequest,
    order: tuple[str | None, str],
    stats: KindStats | None,
    prefilter: Filters,
) -> Clauses:
    """The request's clauses in a search that a window of a sort's values leads (so they
    only check its objects: :func:`object_clauses` with ``led``); collections, beside a
    window over the column, as the exclusion of every other collection when they can
    (:func:`_excluded`). ``order``: the sort field and the kind of objects searched."""
    field, kind = order
    searcher = index.searcher()
    excluded = None
    posted = field is not None and _posted(index, kind, field)
    if request.collections and kind == f.TYPE_ITEM and not posted:
        excluded = _excluded(request, index.stats(kind))
    if excluded is None:
        return object_clauses(request, kind, stats, searcher, prefilter, led=True)
    bare = replace(request, collections=())
    return [*object_clauses(bare, kind, stats, searcher, prefilter, led=True), *excluded]


MAX_EXCLUDED = 16  # the most other collections a window excludes (each is sought per candidate)


def _excluded(request: SearchRequest, stats: KindStats) -> Clauses | None:
    """The request's collections as clauses excluding every other collection of the index
    (an item without one is posted under ``""``, one more of them), when the generation lists
    its collections and at most :data:`MAX_EXCLUDED` others exist (else None). A window of a
    sort's values leads only a clause of equal cost, and tantivy costs a term by its postings
    (400,000 for a collection at 2,000,000 items) and a fast-field range by every document:
    so a collection's term would lead the window's search and check all its items against the
    window (``-eo:cloud_cover`` in a collection at 2,000,000 items: 3.8 ms), while excluded
    collections only check the window's items (1.3 ms)."""
    counts = stats.by_collection
    if counts is None:
        return None
    kept = set(request.collections)
    if len(counts) - sum(name in counts for name in kept) > MAX_EXCLUDED:
        return None  # told before listing the others (an index may have 65,536 collections)
    others = sorted(name for name in counts if name not in kept)
    return [(Occur.MustNot, translate.term_any(f.COLLECTION, others))] if others else []


# A tie in a window, checked against the excluded collections, costs about this many items
# ordered by the full search of the collections (2.3 measured; sortby=gsd in a collection at
# 2,000,000 items: 21 ms in windows, 7.3 ms in the full search)
TIED_COST = 4


def _takes_collections(index: OpenIndex, request: SearchRequest, kind: str, field: str) -> bool:
    """Whether windows of ``field``'s values may take the request's collections: beside a
    window over the terms of the values, which leads and has each of its objects seek the
    collections' postings, or beside one over the column as the exclusion of the others
    (:func:`_excluded`); not when so many objects may share one value (all in one window,
    each checked) that the full search, which orders only the collections' items, costs less.
    Only for numeric properties: windows of other values do not take collections (counting
    the values of ``id`` for nothing took 13 ms at 2,000,000 items)."""
    if kind != f.TYPE_ITEM or NATIVE_TYPES.get(field) != FieldType.Float:
        return False
    stats = index.stats(kind)
    members = stats.matched(request.collections) or 0
    if not _posted(index, kind, field) and _excluded(request, stats) is None:
        return False
    return index.tied(kind, field) * TIED_COST < members


def _share(index: OpenIndex, request: SearchRequest, kind: str) -> float:
    """The share of the objects expected to pass the request's datetime filter, be in its
    collections and (estimated from the cells it touches) in its bbox."""
    stats = index.stats(kind)
    held = stats.count if request.datetime is None else expected_in(request.datetime, stats)
    members = stats.matched(request.collections)
    if not stats.count or members is None:
        return 0.0
    share = (held or 0) / stats.count * members / stats.count
    if request.bbox is None:
        return share
    box = window.area(index.searcher(), request.bbox)
    return 0.0 if box is None else share * min(box.expected / stats.count, 1.0)
