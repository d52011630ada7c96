"""Pages ordered by a text property: its values in byte order, each value's objects newest
first.

tantivy orders a page by a text fast field by reading the value of every match, and breaks
ties by document address, which no query can skip to: at 2,000,000 items the first value of
``platform`` or ``collection`` holds 400,000 items, all read for a page of ten (3-4 ms). Here
the objects of one value come newest first, as in a page in time order, which time windows
find without reading them all (:mod:`stacsift.window`). The value a page starts in, and how
many of its objects the page skips, are read off the values' counts (a terms aggregation
ordered by the values: once per generation for a request that nothing filters,
:func:`stats.first_terms <stacsift.index.stats.first_terms>`, else over the request's
matches); the page is then each value's newest objects from there on, value after value.
Objects that lack the property come last in either direction, newest first too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tantivy import Query

from stacsift.index.stats import Counted
from stacsift.query import translate

T = TypeVar("T")
# The newest objects of a group (its clause), after skipping some: (clause, skip, count, and
# how many the group has when known).
Group = Callable[[Query, int, int, int | None], list[T]]


def paged(
    field: str, values: Counted, complete: bool, need: tuple[int, int], group: Group[T]
) -> list[T] | None:
    """The results a page needs (``need``: how many it skips, how many it returns) of a sort
    by ``field`` whose first values, in the sort's order, are ``values`` with their counts;
    ``complete``: they are all the values of the matches, so the objects lacking one follow
    them. None when the listed values end before the page and more may follow."""
    skip, count = need
    found: list[T] = []
    for value, members in values:
        if skip >= members:
            skip -= members
            continue
        found += group(translate.term_any(field, [value]), skip, count - len(found), members)
        skip = 0
        if len(found) >= count:
            return found
    if not complete:
        return None
    return found + group(translate.lacking(field), skip, count - len(found), None)
