"""Relevance-ordered pages of a big index without the work that cannot change them.

A free-text search matches an item directly (a word or phrase in its text) or through its
collection (the collection's words, at score 0: :func:`stacsift.clauses._in_matching_collections`).
For a disjunction of words, prefixes and phrases, items found only through their collection score
0, below every direct match (BM25 scores are positive, and a prefix match scores at least 1), and
the direct matches keep their scores. So when the direct matches alone fill the page, the page is
theirs: one disjunction of their queries, without the widening aggregation and without the
clause that leaves out collections and catalogs (there are few; their hits are dropped here
instead). tantivy still scores every match: tantivy-py 0.27 collects top documents through a
``MultiCollector``, which never takes tantivy's pruning path (block-max WAND), so a relevance
page costs time in proportion to its matches. Filters score 0 and change no order either: with
them, the page comes from the direct matches that pass them (:func:`filtered_page`).

numberMatched is counted in time windows like a time-ordered page's
(:func:`stacsift.sort_windows.counted`): the items matching the first word, phrase or prefix
directly (unranked, a prefix by its words rather than its regex), up to the count limit, are a
lower bound. With filters, the direct
matches that pass them are counted in the search that finds the page.
"""

from __future__ import annotations

import tantivy
from tantivy import Occur, Query

from stacsift import window
from stacsift.index import schema as f
from stacsift.query import freetext, translate
from stacsift.query.freetext import Node, Or, Phrase, Word
from stacsift.query.params import SearchRequest

MAX_OTHERS = 1_000  # collections and catalogs a page may have to pass over
Clause = tuple[Occur, Query]


def disjunction(request: SearchRequest) -> tuple[Node, list[Word | Phrase]] | None:
    """The parsed text of a relevance-ordered request, and its words, prefixes and phrases,
    when they are only OR-ed (AND or NOT can rank an item found through its collection above a
    direct match, or exclude one). Its filters score 0, so they change no order."""
    return None if request.sortby else ored(request.q)


def ored(q: str | None) -> tuple[Node, list[Word | Phrase]] | None:
    """Parsed free text and its words, prefixes and phrases, when they are only OR-ed (so
    the direct matches of any one of them are some of its matches)."""
    node = freetext.parse(q) if q else None
    found: list[Word | Phrase] = []
    return (node, found) if node is not None and _disjunction(node, found) else None


def _disjunction(node: Node, found: list[Word | Phrase]) -> bool:
    if isinstance(node, Phrase | Word):
        found.append(node)
        return True
    return isinstance(node, Or) and all(_disjunction(child, found) for child in node.nodes)


def direct_page(
    searcher: tantivy.Searcher, request: SearchRequest, node: Node, items: int
) -> window.Hits | None:
    """(score, address) of the page's results and one more, from the direct matches alone;
    None when they do not fill it (or the index has too many other objects to pass over)."""
    others = searcher.num_docs - items
    if not 0 <= others <= MAX_OTHERS:
        return None
    need = request.cursor.skip + request.limit + 1
    query = translate.text_query(node, searcher)
    hits = searcher.search(query, limit=need + others, count=False).hits
    skipped = _others(searcher, others)
    kept = [(score, address) for score, address in hits if _key(address) not in skipped]
    return _filled(request, kept)


def filtered_page(
    searcher: tantivy.Searcher, request: SearchRequest, clauses: list[Clause], complete: bool
) -> tuple[window.Hits, int] | None:
    """(score, address) of the page's results and one more, from the direct matches that pass
    the request's filters (``clauses``: its words unwidened, its filters keeping items only),
    and how many there are; None when they do not fill the page, unless they are every match
    (``complete``: no collection the filters keep matches the words)."""
    skip = request.cursor.skip
    need = skip + request.limit + 1
    result = searcher.search(Query.boolean_query(clauses), limit=need, count=True)
    page = result.hits[skip:need] if complete else _filled(request, result.hits)
    return None if page is None else (page, window.count_of(result))


def _filled(request: SearchRequest, hits: window.Hits) -> window.Hits | None:
    """The page's hits and one more, when direct matches (score above 0) fill them."""
    page = hits[request.cursor.skip : request.cursor.skip + request.limit + 1]
    if len(page) <= request.limit or not page[-1][0] > 0:
        return None
    return page


def _others(searcher: tantivy.Searcher, count: int) -> set[tuple[int, int]]:
    """Where the collections and catalogs are."""
    if count == 0:
        return set()
    query = translate.term_any(f.TYPE, [f.TYPE_COLLECTION, f.TYPE_CATALOG])
    return {_key(address) for _, address in searcher.search(query, limit=count).hits}


def _key(address: tantivy.DocAddress) -> tuple[int, int]:
    return address.segment_ord, address.doc
