"""Figures about one opened generation, computed once from its fast fields.

Queries use them to close open datetime intervals and to page the newest (or oldest) objects
without ranking every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tantivy

from stacsift import grid
from stacsift.index import schema as f

MAX_COLLECTIONS = 65_536
FIRST_TERMS = 64  # the values of a text field listed for windows of its values


@dataclass(frozen=True)
class KindStats:
    """How many objects of one kind there are, per collection, and their time ranges."""

    count: int
    by_collection: dict[str, int] | None  # None when there are too many collections to list
    start: tuple[int, int] | None  # (min, max) of ``start``, epoch microseconds
    end: tuple[int, int] | None  # (min, max) of ``end``
    instants: bool = False  # every object's start equals its end
    complete: frozenset[str] = frozenset()  # of ``start`` and ``end``, those every object has

    @property
    def time_bounds(self) -> tuple[int, int] | None:
        """(earliest start, latest end), or None when there are no objects."""
        if self.start is None or self.end is None:
            return None
        return self.start[0], self.end[1]

    def span(self, field: str) -> tuple[int, int] | None:
        return self.start if field == f.START else self.end if field == f.END else None

    def matched(self, collections: tuple[str, ...]) -> int | None:
        """How many objects are in ``collections`` (all of them when empty), if known."""
        if not collections:
            return self.count
        if self.by_collection is None:
            return None
        return sum(self.by_collection.get(c, 0) for c in set(collections))


@dataclass(frozen=True)
class Bounds:
    """The lowest and highest value of a numeric field, and how many objects have one."""

    low: float
    high: float
    count: int


Counted = tuple[tuple[str, int], ...]  # values of a text field, each with how many have it


def kind_stats(searcher: tantivy.Searcher, kind: str) -> KindStats:
    """One aggregation over the objects of ``kind``."""
    query = _of_kind(kind)
    found = searcher.aggregate(
        query,
        {
            "collections": {"terms": {"field": f.COLLECTION, "size": MAX_COLLECTIONS}},
            "start_min": {"min": {"field": f.START}},
            "start_max": {"max": {"field": f.START}},
            "end_min": {"min": {"field": f.END}},
            "end_max": {"max": {"field": f.END}},
        },
    )
    terms = found.get("collections", {})
    buckets = {str(b["key"]): int(b["doc_count"]) for b in terms.get("buckets", [])}
    complete = not terms.get("sum_other_doc_count")
    return KindStats(
        count=sum(buckets.values()) if complete else _count(searcher, query),
        by_collection=buckets if complete else None,
        start=_pair(found, "start"),
        end=_pair(found, "end"),
        instants=_count(searcher, _spans(query)) == 0,
        complete=frozenset(
            t for t in (f.START, f.END) if _count(searcher, _lacking(query, t)) == 0
        ),
    )


def _of_kind(kind: str) -> tantivy.Query:
    return tantivy.Query.term_query(f.schema(), f.TYPE, kind)


def _spans(kind: tantivy.Query) -> tantivy.Query:
    """The objects of a kind whose interval is not an instant (see ``grid.month_terms``)."""
    span = tantivy.Query.term_query(f.schema(), f.MONTHS, grid.SPAN)
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, kind), (tantivy.Occur.Must, span)])


def _lacking(kind: tantivy.Query, field: str) -> tantivy.Query:
    """The objects of a kind without a value of ``field``."""
    has = tantivy.Query.exists_query(field)
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, kind), (tantivy.Occur.MustNot, has)])


def _pair(found: dict[str, Any], name: str) -> tuple[int, int] | None:
    low = found.get(f"{name}_min", {}).get("value")
    high = found.get(f"{name}_max", {}).get("value")
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return None
    return int(low), int(high)


def _count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    result = searcher.search(query, limit=1, count=True)
    count: int = getattr(result, "count", None) or 0
    return count


def value_bounds(searcher: tantivy.Searcher, kind: str, field: str) -> Bounds | None:
    """The lowest and highest value of a numeric fast field over the objects of ``kind``, and
    how many have one; None when none has."""
    query = _of_kind(kind)
    found = searcher.aggregate(
        query,
        {
            "low": {"min": {"field": field}},
            "high": {"max": {"field": field}},
            "count": {"value_count": {"field": field}},
        },
    )
    low, high = (found.get(name, {}).get("value") for name in ("low", "high"))
    count = found.get("count", {}).get("value")
    if not all(isinstance(v, int | float) for v in (low, high, count)):
        return None
    return Bounds(float(low), float(high), int(count))


def most_tied(searcher: tantivy.Searcher, kind: str, field: str) -> int:
    """At most how many objects of ``kind`` share one value of a numeric fast field: the most
    common value's count and its error bound, from a terms aggregation of one bucket (about
    40 ms at 2,000,000 items)."""
    terms = {"terms": {"field": field, "size": 1}}
    found = searcher.aggregate(_of_kind(kind), {"values": terms})
    error = int(found.get("values", {}).get("doc_count_error_upper_bound", 0))
    return max((count for _, count in _buckets(found)), default=0) + error


def first_terms(
    searcher: tantivy.Searcher,
    kind: str,
    field: str,
    descending: bool,
    within: str | None = None,
) -> Counted:
    """The first :data:`FIRST_TERMS` values of a text fast field over the objects of ``kind``
    (of the collection ``within`` when given) in the order of a sort by it (by their bytes),
    with their counts: one terms aggregation ordered by the values (each segment's first
    values hold the index's, so the counts are exact)."""
    query = _of_kind(kind)
    if within is not None:
        member = tantivy.Query.term_query(f.schema(), f.COLLECTION, within)
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, member)]
        )
    found = searcher.aggregate(query, {"values": _ordered(field, descending, FIRST_TERMS)})
    return _buckets(found)


def counted_terms(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    order: tuple[str, bool],
    size: int,
    count: bool,
) -> tuple[Counted, int | None]:
    """The first ``size`` values of a text fast field over the matches of ``query`` in a sort
    by it (``order``: the field, and whether descending), as :func:`first_terms`, and with
    ``count`` how many objects match (each has a start), in the same pass."""
    aggregations = {"values": _ordered(*order, size)}
    if count:
        aggregations["matches"] = {"value_count": {"field": f.START}}
    found = searcher.aggregate(query, aggregations)
    matches = found.get("matches", {}).get("value") if count else None
    return _buckets(found), None if matches is None else int(matches)


def _ordered(field: str, descending: bool, size: int) -> dict[str, Any]:
    """A terms aggregation of ``field``'s first ``size`` values in a sort by it."""
    order = "desc" if descending else "asc"
    return {"terms": {"field": field, "size": size, "order": {"_key": order}}}


def _buckets(found: dict[str, Any]) -> Counted:
    buckets = found.get("values", {}).get("buckets", [])
    return tuple((str(b["key"]), int(b["doc_count"])) for b in buckets)
