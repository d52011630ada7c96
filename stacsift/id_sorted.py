"""Pages sorted by id from the generation's first ids when they hold them.

tantivy-py orders a page by a text fast field by reading every match's value, and looks up
the text of each result it returns or skips in the field's dictionary (about 13 µs each): at
2,000,000 items a first page of ``sortby=id`` took 11.8 ms, and page 100 (990 results
skipped) takes 13 ms at 20,000 items and 41 ms at 2,000,000. Any match whose id is not among
the generation's first ids in the order (the list of text sorts,
:meth:`OpenIndex.terms <stacsift.index.reader.OpenIndex.terms>`; of its collection's, for a
search in one) sorts after all of them, so a page within the matches among those ids is
sorted by tantivy among them alone. Other pages
take tantivy's sort of every match: tantivy-py 0.27's range queries do not take text, so no
window of ids follows a cursor's id, and a terms aggregation of the ids in order costs more
(page 100: 34 ms at 20,000 items), its keys being looked up in the dictionary too.
"""

from __future__ import annotations

import tantivy
from tantivy import Occur, Query

from stacsift import sort_windows
from stacsift.clauses import Filters, object_query
from stacsift.grouped import Native
from stacsift.index import schema as f
from stacsift.index.reader import OpenIndex
from stacsift.index.stats import Counted
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


def paged(
    index: OpenIndex,
    request: SearchRequest,
    kind: str,
    order: tuple[str, bool],
    prefilter: Filters,
    count_limit: int,
    native: Native,
) -> Page:
    """A page of the request sorted by id (``order``: the field, and whether descending):
    among the generation's first ids when they hold it, else tantivy's page (``native``)."""
    descending = order[1]
    cursor = request.cursor
    if cursor.after is not None:
        raise foreign_token()
    searcher = index.searcher()
    query = object_query(request, kind, interval_stats(index, request, kind), searcher, prefilter)
    matched = known_count(index, request, kind)
    ids = index.terms(kind, f.ID, descending, within(request, kind))
    hits = _listed(searcher, ids, query, descending, (cursor.skip, request.limit + 1))
    if hits is None:
        return native(index, request, kind, order, prefilter, count_limit, False)
    if matched is None:
        matched = sort_windows.counted(index, request, kind, prefilter, count_limit)
    more = len(hits) > request.limit
    page = hits[: request.limit]
    return Page(page, matched.value, 0, cursor, None, None, more, at_least=matched.at_least)


def _listed(
    searcher: tantivy.Searcher,
    first: Counted,
    query: Query,
    descending: bool,
    wanted: tuple[int, int],
) -> list[Hit] | None:
    """The matches of ``query`` at the ``wanted`` positions of the order (how many it skips,
    how many it takes) when the ``first`` ids of the generation (or of the one collection the
    request is in) hold them (any other match sorts after those), ordered by tantivy among
    those ids alone; else None."""
    skip, count = wanted
    listed = translate.term_any(f.ID, [value for value, _ in first])
    found = searcher.search(
        Query.boolean_query([(Occur.Must, listed), (Occur.Must, query)]),
        limit=count,
        count=False,
        offset=skip,
        order_by_field=f.ID,
        order=tantivy.Order.Desc if descending else tantivy.Order.Asc,
    )
    if len(found.hits) < count:
        return None
    return [hit_at(searcher, address) for _, address in found.hits]
