"""Pages ordered by a numeric property, searched in windows of its values first.

tantivy orders a page by a fast field by reading the value of every match: at 2,000,000 items
``sortby=eo:cloud_cover`` took 41 ms. A range clause over the column costs a tenth of that
when few values fall in it, and one over the terms of the values (format 7) reads only their
postings (about 0.01 ms for a few dozen). A page in ascending order is the first results of
the matches whose value is at most ``v`` once those fill it: every other match has a greater
value, or none (missing values come last in either direction). So the page is searched with
the clause ``value <= v`` first (``>= v`` descending), from the cursor's value or the lowest
(highest) value of the generation, and ``v`` moves out until the window holds the page. Ties
on ``v`` are all inside the window, so they keep tantivy's order. When the window would reach
the far end of the values, grows past :data:`WIDEST` of them, or after :data:`MAX_WINDOWS`
windows, the full search answers instead.
"""

from __future__ import annotations

from tantivy import Occur

from stacsift import window
from stacsift.query import translate

FIRST_SHARE = 4.0  # the first window is expected to hold this many times the results needed
MAX_WINDOWS = 3  # each one may read the whole column: then the full search is cheaper
WIDEST = 0.25  # windows wider than this share of the values do not pay


def windowed(
    search: window.Narrowed,
    field: str,
    bounds: tuple[float, float],
    count: int,
    start: float | None,
    descending: bool,
    need: tuple[int, int],
) -> window.Hits | None:
    """The hits ``search`` finds in windows of ``field``'s values (it counts each window's
    matches, and returns the page after skipping ``skip`` of them); None when the windows do not
    hold the page. ``field``: the sort field, or the terms of its values, which a window ranges
    over (the same values: the search orders by the sort field). ``bounds``: the lowest and
    highest value of the ``count`` objects that have one; ``start``: the value the page starts
    at (the cursor's), else the first in the order; ``need``: (results skipped, results
    returned) for the page."""
    low, high = bounds
    span = high - low
    skip, returned = need
    if count <= 0 or not span > 0:
        return None
    origin = start if start is not None else high if descending else low
    width = span * FIRST_SHARE * (skip + returned) / count
    for _ in range(MAX_WINDOWS):
        if width > span * WIDEST:
            return None
        edge = origin - width if descending else origin + width
        if edge <= low if descending else edge >= high:
            return None  # the rest of the values: the full search orders them as cheaply
        lower, upper = (edge, None) if descending else (None, edge)
        result = search([(Occur.Must, translate.float_range(field, lower, upper))])
        if len(result.hits) >= returned:
            return list(result.hits)
        found = window.count_of(result)
        width *= 2 * (skip + returned) / found if found else 32
    return None
