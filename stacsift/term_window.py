"""Pages ordered by a text property, searched in a window of its first values first.

tantivy orders a page by a text fast field by reading the value of every match: at 2,000,000
items ``sortby=platform`` took 28-53 ms. A page in ascending order is the first results of
the matches whose value is among the first ``k`` values (in byte order) once those fill it:
every other match has a later value, or none (missing values come last in either
direction). The first values and how many objects have each come from one terms aggregation
per generation (:func:`stacsift.index.stats.first_terms`), so the window is the fewest first
values that hold the page. It holds whole values: ties keep tantivy's order.
"""

from __future__ import annotations

from itertools import accumulate

from tantivy import Occur

from stacsift import window
from stacsift.index.stats import Counted
from stacsift.query import translate


def windowed(
    search: window.Narrowed, field: str, first: Counted, need: tuple[int, int]
) -> window.Hits | None:
    """The hits ``search`` finds among the objects with one of ``field``'s ``first`` values
    (it returns the page after skipping ``skip`` of them), when that many hold the page;
    None when the listed values do not. ``need``: (results skipped, results returned)."""
    skip, returned = need
    totals = list(accumulate(count for _, count in first))
    holding = next((k for k, total in enumerate(totals, 1) if total >= skip + returned), None)
    if holding is None:
        return None
    result = search([(Occur.Must, translate.term_any(field, [t for t, _ in first[:holding]]))])
    return list(result.hits) if len(result.hits) >= returned else None
