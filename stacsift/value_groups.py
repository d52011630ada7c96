"""Pages ordered by a numeric property: its values in order, each value's objects newest
first.

tantivy orders a page by a fast field by reading the value of every match, and breaks ties by
document address, which no query can skip to: at 2,000,000 items ``sortby=gsd`` (four values)
read the 500,000 items of its first value for a page of ten (9-11 ms). Here the objects of one
value come newest first, as in a page in time order, which time windows find without reading
them all (:mod:`stacsift.window`). A page continues the value its cursor is in (or, on a first
page, a value shared by many objects starts with the lowest, or highest, value) among that
value's objects; what it still needs comes from tantivy's order after that value, in which
each value's run of results that the page shows is put newest first, or replaced by the
value's newest objects when it is the last and may go on (:func:`regrouped`). Objects
lacking the property come last, newest first too.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from operator import itemgetter
from typing import TypeVar

from stacsift.query.tokens import Value

T = TypeVar("T")
Keyed = list[tuple[Value, T]]  # results with their sort values
Group = Callable[[Value, int], list[T]]  # (value, count): the value's newest objects


def regrouped(
    found: Keyed[T], more: bool, shown: int, group: Group[T], newest: Callable[[list[T]], list[T]]
) -> Keyed[T]:
    """``found`` (in tantivy's order: by value, ties by document address; the results a page
    shows, ``shown``, and one more; ``more``: more results follow) with each value newest
    first, up to the results shown and one more. A run of one value's results that the page
    shows is complete unless it is the last and more follow: then it is replaced by that
    value's newest objects (``group``, one search); else it is put ``newest`` first (its
    results are in document order, which tantivy keeps for equal times, so this is the order
    of the value's own search)."""
    runs = [(value, list(items)) for value, items in groupby(found, key=itemgetter(0))]
    ordered: Keyed[T] = []
    for position, (value, items) in enumerate(runs, 1):
        if len(ordered) >= shown:
            ordered += items
        elif position == len(runs) and more:
            ordered += [(value, item) for item in group(value, shown + 1 - len(ordered))]
        else:
            ordered += [(value, item) for item in newest([item for _, item in items])]
    return ordered
