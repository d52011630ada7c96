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
Objects that lack the property come last in either direction, newest first too (an item
without a collection has the collection ``""``, which comes first in ascending order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tantivy import Query

from stacsift.index.stats import Counted
from stacsift.query import translate

T = TypeVar("T")
# The newest objects of a group, after skipping some: ((its clause checking a time window's
# objects, its clause leading a search), skip, count, how many the group has when known).
Group = Callable[[tuple[Query, Query], int, int, int | None], list[T]]


# values one page searches (a search each, and one for the objects lacking a value): a page
# of more ends early
MAX_GROUPS = 32


def paged(
    field: str, values: Counted, complete: bool, need: tuple[int, int], group: Group[T]
) -> tuple[list[T], bool] | None:
    """The results a page needs (``need``: how many it skips, how many it returns) of a sort
    by ``field`` whose first values, in the sort's order, are ``values`` with their counts;
    ``complete``: they are all the values of the matches, so the objects lacking one follow
    them. With whether the page ended early, after :data:`MAX_GROUPS` values (more results
    follow then). None when the listed values end before the page and more may follow."""
    skip, count = need
    found: list[T] = []
    searched = 0
    for value, members in values:
        if skip >= members:
            skip -= members
            continue
        if searched == MAX_GROUPS:
            return found, True
        term = translate.term_any(field, [value])
        found += group((term, term), skip, count - len(found), members)
        skip, searched = 0, searched + 1
        if len(found) >= count:
            return found, False
    if not complete:
        return None
    lacking = translate.lacking(field)  # (one more search, the last of the page)
    return found + group((lacking, lacking), skip, count - len(found), None), False
