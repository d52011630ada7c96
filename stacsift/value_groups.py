"""Pages ordered by a numeric property: its values in order, each value's objects newest
first.

tantivy orders a page by a fast field by reading the value of every match, and breaks ties by
document address, which no query can skip to: at 2,000,000 items ``sortby=gsd`` (four values)
read the 500,000 items of its first value for a page of ten (9-11 ms). Here the objects of one
value come newest first, as in a page in time order, which time windows find without reading
them all (:mod:`stacsift.window`). A page continues the value its cursor is in (or, on a first
page, a value shared by many objects starts with the lowest, or highest, value) among that
value's objects; what it still needs comes from tantivy's order after that value, in which
each value's run of results that the page shows and may be out of order (several objects, or
the last run, which may go on) is replaced by that value's newest objects
(:func:`regrouped`). Objects lacking the property come last, newest first too.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from operator import itemgetter
from typing import TypeVar

from stacsift.query.tokens import Value

T = TypeVar("T")
Keyed = list[tuple[Value, T]]  # results with their sort values
# (value, count, members): the value's newest objects, when known how many it has
Group = Callable[[Value, int, int | None], list[T]]


def regrouped(found: Keyed[T], more: bool, shown: int, group: Group[T]) -> Keyed[T]:
    """``found`` (in tantivy's order: by value, ties by document address; the results a page
    shows, ``shown``, and one more; ``more``: more results follow) with each value newest
    first, up to the results shown and one more: a run of one value's results is replaced by
    that value's newest objects when the page shows some of it and it has several, or it is
    the last and may go on (a run of one shown result that ends before the next value's is
    complete, and in order)."""
    runs = [(value, list(items)) for value, items in groupby(found, key=itemgetter(0))]
    ordered: Keyed[T] = []
    for position, (value, items) in enumerate(runs, 1):
        last = position == len(runs)
        if len(ordered) < shown and (len(items) > 1 or (last and more)):
            members = None if last and more else len(items)
            ordered += [(value, item) for item in group(value, shown + 1 - len(ordered), members)]
        else:
            ordered += items
    return ordered
