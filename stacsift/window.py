"""Time-ordered pages of a big index without ranking every match.

Ordering every match by datetime costs a pass over all of them (milliseconds at 200,000 items,
tens at 2,000,000) although a page needs ten. Every object is posted under the day of its start
and the day of its end (format 6, :func:`stacsift.grid.day_terms`), and in the calendar months
its ``[start, end]`` touches (``long`` when too many, :func:`stacsift.grid.month_terms`), so the
newest (or oldest) few days' terms of a side hold every object whose start (or end) lies in
them; an index of format 5 has months only, and windows of months. A page is searched within
such a window at the wanted end of the index's time range: when the window's last needed result
lies in the units (days or months) the window holds completely, everything outside it sorts
after, so the window gives exactly the page of the full search. Windows widen until one does;
the caller falls back to the full search otherwise. (At 2,000,000 items over ten years a day
holds about 550 items, a month 16,700: a window of months made a page check thousands of
candidates for ten results.)

The window is one more clause beside the request's own (never a query wrapped around them):
tantivy then leads the intersection with the window's few postings, and a range clause (a
filter like ``gsd < 20``, or the cursor of a later page) only checks them.

With a bbox (or an ``intersects`` geometry's bbox), the window is the union of cell-month
terms (format 5, :func:`stacsift.grid.cell_month_terms`) of the box's cover by coarse cells,
checked like the box's own cells (border cells by range clauses on the bounds they straddle,
``big`` ones by all four), and it stands in for the box's clause (and checks the request's
datetime filter itself): a union of cells beside a window would be enumerated whole by
tantivy. Such windows are only tried when they are expected to beat the full search
(:meth:`Area.pays`).

numberMatched: the generation's per-collection counts answer a search by collections alone;
any other search counts its matches in windows too, exactly up to ``count_limit`` matches;
past that it is reported as a lower bound (:class:`Count`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import tantivy
from tantivy import Occur, Query

from stacsift import grid
from stacsift.grid import Box
from stacsift.index import schema as f
from stacsift.index.stats import KindStats
from stacsift.query import freetext, translate
from stacsift.query.params import SearchRequest

MIN_OBJECTS = 50_000  # below this a full search is as cheap (20,000 items: 0.2-0.4 ms)
WIDENINGS = 5
WIDEN_BY = 4
FILL = 2  # a first window expected to hold this many times the results a page needs
MAX_MONTHS = 1_200  # the widest window of months (as many terms)
# Windows are of days when the first is expected to hold a page in at most FIRST_DAYS days (so
# that its widenings stay within MAX_DAYS terms), else of months.
FIRST_DAYS = 7
MAX_DAYS = FIRST_DAYS * WIDEN_BY ** (WIDENINGS - 1)
CENTURY_MONTHS, CENTURY_DAYS = 1_200, 36_525
MAX_TERMS = 1_200  # the most terms of a window in a box (its months times its cells)
MAX_DISTRIBUTED = 16  # collections a window is made for one by one
COUNT_FILL = 1.25  # a counting window expected to hold this many times the count limit
ESTIMATE_CELLS = 16  # the most cells whose items estimate those of a box
# A window's candidate (range-checked) costs about this many items of a box's full search
# (2,000,000 items: 0.3 us against 0.08-0.16 us)
CHECKED_COST = 4

Clause = tuple[Occur, Query]
Search = Callable[[list[Clause], bool], tantivy.SearchResult]  # (window clauses, count)
Narrowed = Callable[[list[Clause]], tantivy.SearchResult]  # a search with clauses added


@dataclass(frozen=True)
class Count:
    """How many results a search has: exactly ``value``, or at least (``at_least``)."""

    value: int
    at_least: bool = False


Hits = list[tuple[Any, tantivy.DocAddress]]  # (sort value or score, address)
Found = tuple[Hits, Count]


def applies(
    request: SearchRequest,
    field: str | None,
    stats: KindStats,
    searcher: tantivy.Searcher,
    matches: int | None = None,
) -> bool:
    """Whether the request is ordered by ``start``/``end`` and windows may pay: on a big
    index, not with a few ids, with a bbox (or geometry) only on an index of cell-month
    terms, and not when it is known to have so few ``matches`` that the widest window would
    be expected to hold less than a page (:data:`WIDEST_SHARE`). Free text only filters a
    page in time order: its words' postings stand for its matches when fewer (items found
    through a matching collection only add to them)."""
    spatial = request.bbox is not None or request.intersects is not None
    boxed = not spatial or f.present(f.CELL_MONTHS)
    big = stats.count >= MIN_OBJECTS
    node = freetext.parse(request.q) if request.q else None
    if node is not None:
        words = translate.postings(node, searcher)
        matches = words if matches is None else min(matches, words)
    dense = matches is None or matches * WIDEST_SHARE >= stats.count
    return field in (f.START, f.END) and not request.ids and boxed and big and dense


# A window widens to this many times its first width at most: a request whose matches are a
# smaller share of the index is not expected to fill one
WIDEST_SHARE = WIDEN_BY ** (WIDENINGS - 1)


@dataclass(frozen=True)
class Area:
    """A request's bbox (and datetime interval) as windows search it: its cover by the cells
    of cell-month terms, how many items it is expected to hold and how many items those cells
    hold (:func:`area`)."""

    bbox: Box
    cover: grid.Cover
    expected: float
    candidates: int
    interval: translate.Interval | None = None
    instants: bool = False  # every item is an instant: an interval is one range on start
    long: bool = True  # some item of the cover's cells is posted in too many months

    @property
    def cells(self) -> int:
        """The cover's cells: a window of ``n`` months names ``n + 1`` terms per cell."""
        return len(self.cover.terms)

    def pays(self, need: int) -> bool:
        """Whether windows are cheaper than the full search: the candidates of the months
        expected to hold ``need`` results (each checked by range clauses) are fewer than
        :data:`CHECKED_COST` times the items of the box (which the full search goes through,
        most of them matched outright by inner cells)."""
        return need * FILL * self.candidates * CHECKED_COST < self.expected**2

    def clause(self, months: range, long: bool) -> Query:
        return translate.window_box_query(
            self.bbox, self.cover, months, long and self.long, self.interval, self.instants
        )


def area(
    searcher: tantivy.Searcher,
    bbox: Box,
    interval: translate.Interval | None = None,
    instants: bool = False,
) -> Area | None:
    """The window ``Area`` of a query bbox (None when it has no cover), within a datetime
    ``interval`` when given (then the window checks it: the caller leaves it out). The items
    it holds are estimated from the finest cells it touches at most :data:`ESTIMATE_CELLS`
    of, as if spread evenly in each (each cell's count is a lookup in every segment). Windows
    leave out the ``long`` cell-month terms when none of the cover's cells has any (they
    would cost their datetime check's range clause a scan of the ``start`` column)."""
    cover = grid.query_cover(bbox, "", (grid.WINDOW_DEPTH,))
    if cover is None:
        return None
    items = cache(lambda cell: searcher.doc_freq(f.CELLS, cell))
    fine = grid.cell_shares(bbox, grid.sharpest_depth(bbox, ESTIMATE_CELLS))
    expected = sum(items(cell) * share for cell, share in fine)
    candidates = sum(items(cell) for cell, _ in grid.cell_shares(bbox, grid.WINDOW_DEPTH))
    longs = grid.window_cover(cover, [], True).terms
    long = any(searcher.doc_freq(f.CELL_MONTHS, term) for term in longs)
    return Area(bbox, cover, expected, candidates, interval, instants, long)


@dataclass(frozen=True)
class _Span:
    """The time units a window may cover: ``first``…``last``, from the wanted end. Units are
    days when ``side`` is set (the side of the day terms, ``s`` or ``e``: format 6, no box),
    else months."""

    first: int
    last: int
    descending: bool
    per_unit: float  # objects of the index (in the area) per unit of its time range
    collections: tuple[str, ...] = ()  # each gets a window of its own (:func:`distributes`)
    area: Area | None = None  # the bbox a window holds, by cell-month terms
    side: str | None = None

    def units(self, width: int, narrower: int = 0) -> range:
        """The units of a window ``width`` wide, less those of one ``narrower``."""
        if self.descending:
            return range(self.last - width + 1, self.last - narrower + 1)
        return range(self.first + narrower, self.first + width)

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def covers(self, width: int) -> bool:
        """Whether a window ``width`` units wide holds everything (or is too wide to pay)."""
        cells = 1 if self.area is None else self.area.cells
        most = MAX_DAYS if self.side is not None else MAX_MONTHS
        return width >= self.size or width > most or width * cells > MAX_TERMS

    def clause(self, units: range, long: bool = True) -> Clause:
        """The window ``units`` as a clause (one per collection when distributed)."""
        window = self.posted(units, long) if self.area is None else self.area.clause(units, long)
        if not self.collections:
            return Occur.Must, window
        per_collection = [
            (Occur.Should, Query.boolean_query([(Occur.Must, term), (Occur.Must, window)]))
            for term in (translate.term_any(f.COLLECTION, [c]) for c in self.collections)
        ]
        return Occur.Must, Query.boolean_query(per_collection)

    def posted(self, units: range, long: bool = True) -> Query:
        """The objects posted in ``units`` (months: and those in too many to be posted,
        ``long``; an object has one day term per side)."""
        if self.side is not None:
            return translate.term_any(f.DAYS, [f"{self.side}{day}" for day in units])
        return _months(units, long)

    def holds(self, key: object, units: range) -> bool:
        """Whether every object whose sort value is ``key`` lies in the window ``units``."""
        unit = _unit_of(self.side is not None)(key) if isinstance(key, int) else None
        if unit is None:
            return False  # results lacking the field come last; the window has none of them
        return unit >= units[0] if self.descending else unit <= units[-1]


def _unit_of(days: bool) -> Callable[[int], int | None]:
    return grid.day_of if days else grid.month_of


def windowed(
    search: Search,
    count_all: Callable[[], int],
    request: SearchRequest,
    stats: KindStats,
    order: tuple[str, bool],
    known: Count | None,
    count_limit: int,
    box: Area | None = None,
    widenings: int = WIDENINGS,
) -> Found | None:
    """The page from a window, with its count, or None to search everything.

    ``search`` asks for one result more than a page, so a window answers only when it also
    shows whether more results follow; ``count_all`` counts every match. ``order`` is the sort
    field and whether it is descending; ``known`` the count when the caller has it (the first
    page's, or per-collection counts). ``box``: the request's bbox, which the window then
    holds (the caller leaves it out of its clauses). Windows widen ``widenings`` times at most.
    """
    need = request.cursor.skip + request.limit + 1
    counts = need if known is not None else max(need, count_limit)  # results windows find
    span = _span(request, stats, *order, box, counts)
    if span is None or not _pays(span, counts):
        return None
    found = _first(search, span, (request.limit + 1, need), known is None, widenings)
    if found is None:
        return None
    result, width = found
    if known is not None:
        return result.hits, known
    count = _counted(search, count_all, span, width, count_of(result), count_limit)
    return result.hits, count


def scanned(
    search: Search,
    request: SearchRequest,
    stats: KindStats,
    order: tuple[str, bool],
    box: Area | None,
    budget: int,
) -> Hits | None:
    """The first ``budget`` candidates (after the cursor's skip) of a scan, from a window, or
    None to search everything: as :func:`windowed`, when ``search`` asks for ``budget``."""
    need = request.cursor.skip + budget
    span = _span(request, stats, *order, box, need)
    if span is None or not _pays(span, need):
        return None
    found = _first(search, span, (budget, need), False, WIDENINGS)
    return None if found is None else found[0].hits


def _first(
    search: Search, span: _Span, wanted: tuple[int, int], count: bool, widenings: int
) -> tuple[tantivy.SearchResult, int] | None:
    """The first window (and its width) that holds the results a search asks for (``wanted``:
    how many, the last of how many from the wanted end); windows start at the units expected
    to hold twice those and widen up to ``widenings`` times."""
    asked, need = wanted
    width = max(1, math.ceil(need * FILL / span.per_unit))
    for _ in range(widenings):
        if span.covers(width):
            return None
        units = span.units(width)
        result = search([span.clause(units)], count)
        hits = result.hits
        if len(hits) >= asked and span.holds(hits[-1][0], units):
            return result, width
        width *= WIDEN_BY
    return None


def counted(
    searcher: tantivy.Searcher,
    clauses: list[Clause],
    count_all: Callable[[], int],
    stats: KindStats,
    count_limit: int,
) -> Count:
    """How many objects match ``clauses``, counted in windows of the newest units as for a
    windowed page; every match when windows do not pay."""

    def search(extra: list[Clause], count: bool) -> tantivy.SearchResult:
        return searcher.search(Query.boolean_query([*clauses, *extra]), limit=1, count=count)

    span = _span(SearchRequest(), stats, f.START, True, None, count_limit)
    if span is None:
        return Count(count_all())
    width = max(1, math.ceil(count_limit * COUNT_FILL / span.per_unit))
    if span.covers(width):
        return Count(count_all())
    count = count_of(search([span.clause(span.units(width))], True))
    return _counted(search, count_all, span, width, count, count_limit)


def _pays(span: _Span, need: int) -> bool:
    """Whether windows finding ``need`` results (to page or to count) beat the full search:
    always without a box (:meth:`Area.pays`)."""
    return span.area is None or span.area.pays(need)


def _counted(
    search: Search,
    count_all: Callable[[], int],
    span: _Span,
    width: int,
    count: int,
    count_limit: int,
) -> Count:
    """The number of matches, ``count`` of them in the window ``width`` units wide: at least
    ``count_limit`` once a window holds that many; exact when fewer match. The window is
    widened to the units expected to hold the limit, counting only the objects of the units
    it gains; when all units are not expected to hold the limit, every match is counted."""
    while count < count_limit:
        expected = count * span.size / width
        if expected < count_limit * FILL:
            return Count(count_all())
        wider = math.ceil(width * count_limit * COUNT_FILL / max(count, 1))
        if span.covers(wider):
            return Count(count_all())
        gained = [span.clause(span.units(wider, width), long=False)]
        if span.side is None:  # an object of several months (or LONG) counts once
            gained.append((Occur.MustNot, span.posted(span.units(width))))
        count += count_of(search(gained, True))
        width = wider
    return Count(count_limit, at_least=True)


def _months(months: range, long: bool = True) -> Query:
    """The objects posted in ``months`` (and those in too many months to be posted, ``long``)."""
    terms = [*([grid.LONG] if long else []), *(f"m{month}" for month in months)]
    return translate.term_any(f.MONTHS, terms)


def distributes(request: SearchRequest) -> bool:
    """Whether a window is made per collection of the request (then the caller leaves the
    collections out of its own clauses): with several collections, their union would be
    seeked by every window candidate, which costs a pass over all its postings, while each
    collection's postings are cheap to seek."""
    return 1 < len(request.collections) <= MAX_DISTRIBUTED


def _span(
    request: SearchRequest,
    stats: KindStats,
    field: str,
    descending: bool,
    box: Area | None,
    need: int,
) -> _Span | None:
    """The units (days, or months: in a box, on an index of format 5, or when ``need`` results
    take more than :data:`FIRST_DAYS`) of the index's time range of ``field`` that may hold
    the page: from the cursor's unit on a later page, and within the
    request's datetime interval (an object in it starts before the interval's end and ends
    after its start; an instant is in it). None when windows do not pay: the index is small,
    or the page lies after the results that lack the field (none is in a window)."""
    bounds = stats.span(field)
    after = request.cursor.after
    if bounds is None or not isinstance(after, int | None) or stats.count < MIN_OBJECTS:
        return None
    low, high = request.datetime or (None, None)
    starts, ends = field == f.START or stats.instants, field == f.END or stats.instants
    uppers = [bounds[1], *([high] if high is not None and starts else [])]
    lowers = [bounds[0], *([low] if low is not None and ends else [])]
    if after is not None:
        (uppers if descending else lowers).append(after)
    days = box is None and f.present(f.DAYS) and _in_days(stats.count, bounds, need)
    unit_of = _unit_of(days)
    first, last = unit_of(max(lowers)), unit_of(min(uppers))
    units = _units(bounds, days)
    if first is None or last is None or units is None or last < first:
        return None
    objects = stats.count if box is None else max(box.expected, 1.0)
    per_unit = objects / units
    collections = request.collections if distributes(request) else ()
    side = ("s" if field == f.START else "e") if days else None
    return _Span(first, last, descending, per_unit, collections, box, side)


def _in_days(objects: int, bounds: tuple[int, int], need: int) -> bool:
    """Whether the first window is expected to hold ``need`` results within FIRST_DAYS days."""
    days = _units(bounds, True)
    return days is not None and need * FILL * days <= FIRST_DAYS * objects


def _units(bounds: tuple[int, int], days: bool) -> int | None:
    """How many days (months) the index's values span, at most a century's (a few far-future
    values must not make every unit look empty)."""
    unit_of = _unit_of(days)
    oldest, newest = unit_of(bounds[0]), unit_of(bounds[1])
    if oldest is None or newest is None:
        return None
    return min(newest - oldest + 1, CENTURY_DAYS if days else CENTURY_MONTHS)


def count_of(result: tantivy.SearchResult) -> int:
    """The number of matches a search counted (0 when it did not count)."""
    return int(getattr(result, "count", None) or 0)
