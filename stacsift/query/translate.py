"""Free-text trees and filters → tantivy queries, built clause by clause.

User text never reaches tantivy's query parser: words are analysed with the same analyzers as the
index fields and turned into term, phrase and prefix queries directly, so ``field:`` syntax,
regexes or parser errors cannot be injected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import tantivy
from tantivy import FieldType, Occur, Query

from stacsift import grid
from stacsift.index import schema as f
from stacsift.query.freetext import And, Node, Not, Or, Phrase, Word

_STEMMED = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)
_PLAIN = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .build()
)


Expand = Callable[[Query], Query]


def text_query(
    node: Node, searcher: tantivy.Searcher | None = None, widen: Expand | None = None
) -> Query:
    """The tantivy query for a parsed ``q``.

    With a ``searcher``, prefixes are ranked like words (:func:`ranked_prefix`). ``widen``
    turns each word's or phrase's query into a wider one (items of the collections that
    match it, see :func:`stacsift.clauses.object_query`).
    """
    if isinstance(node, Not):
        inner = text_query(node.node, searcher, widen)
        return Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, inner)])
    if isinstance(node, And | Or):
        occur = Occur.Must if isinstance(node, And) else Occur.Should
        return Query.boolean_query(
            [(occur, text_query(child, searcher, widen)) for child in node.nodes]
        )
    leaf = _leaf_query(node, searcher)
    return widen(leaf) if widen is not None else leaf


def _leaf_query(node: Word | Phrase, searcher: tantivy.Searcher | None) -> Query:
    if isinstance(node, Word) and node.prefix:
        if searcher is None:
            return _prefix_query(node.text)
        return ranked_prefix(node.text, searcher)
    return _words_query(node.text)


MAX_PREFIX_TERMS = 64
"""A prefix is scored by at most this many of the words it expands to (the most frequent)."""
TITLE_TIER = 100.0
"""Above any BM25 score of a few words in this index's short texts."""


def ranked_prefix(text: str, searcher: tantivy.Searcher) -> Query:
    """A prefix that matches as :func:`_prefix_query` does and ranks like words: the words of
    the index that start with it, stemmed, as scored term queries on the text field, and a
    title match lifts an object by :data:`TITLE_TIER`, so that ``Forest*`` lists title matches
    first even where a rarer word (``forestry``) scores higher in a description."""
    words = _prefix_words(text, searcher)
    matching = _prefix_matches(text, words)
    stems = sorted(
        {stem for word in (words or [])[:MAX_PREFIX_TERMS] for stem in _STEMMED.analyze(word)}
    )
    if not stems:
        return matching
    in_text = [(Occur.Should, Query.term_query(f.schema(), f.TEXT, stem)) for stem in stems]
    ranked = [(Occur.Must, matching), (Occur.Should, Query.boolean_query(in_text))]
    if f.present(f.TITLE):  # format 3 has no title field
        in_title = [(Occur.Should, Query.term_query(f.schema(), f.TITLE, s)) for s in stems]
        title = Query.const_score_query(Query.boolean_query(in_title), TITLE_TIER)
        ranked.append((Occur.Should, title))
    return Query.boolean_query(ranked)


def postings(node: Node, searcher: tantivy.Searcher) -> int:
    """How many objects the direct query of ``node`` is expected to match, from the terms'
    document frequencies: every object where they cannot tell (a NOT, a prefix of too many
    words or of several)."""
    everything = searcher.num_docs
    if isinstance(node, Not):
        return everything
    if isinstance(node, Or):
        return min(everything, sum(postings(child, searcher) for child in node.nodes))
    if isinstance(node, And):
        return min(postings(child, searcher) for child in node.nodes)
    if isinstance(node, Word) and node.prefix:
        words = _prefix_words(node.text, searcher)
        if words is None or len(words) > MAX_PREFIX_TERMS:
            return everything
        return min(everything, sum(searcher.doc_freq(f.WORDS, word) for word in words))
    stems = _STEMMED.analyze(node.text)
    return min((searcher.doc_freq(f.TEXT, stem) for stem in stems), default=0)


def matches_of(node: Word | Phrase, searcher: tantivy.Searcher) -> Query:
    """The objects a word, phrase or prefix matches directly, unranked: cheaper to count."""
    if isinstance(node, Word) and node.prefix:
        return _prefix_matches(node.text, _prefix_words(node.text, searcher))
    return _words_query(node.text)


def _prefix_words(text: str, searcher: tantivy.Searcher) -> list[str] | None:
    """The words of the index that start with a one-word prefix, most frequent first: all of
    them up to :data:`MAX_PREFIX_TERMS`, one more when there are more (None for a prefix of
    several words, or none)."""
    tokens = _PLAIN.analyze(text)
    if len(tokens) != 1:
        return None
    found = searcher.terms_with_prefix(f.WORDS, tokens[0], limit=MAX_PREFIX_TERMS + 1)
    return [word for word, _ in found]


def _prefix_matches(text: str, words: list[str] | None) -> Query:
    """:func:`_prefix_query`, as the disjunction of the prefix's words when they are all known:
    a regex query collects every match into a bitset first, whatever else the search asks."""
    if words is None or len(words) > MAX_PREFIX_TERMS:
        return _prefix_query(text)
    return term_any(f.WORDS, words) if words else Query.empty_query()


def _words_query(text: str) -> Query:
    """Match the stemmed words of ``text`` in order (one word: a term) in the text field.

    Titles are in that field twice (see :mod:`stacsift.index.schema`), which ranks a match in
    a title above one in a description without a second field to search.
    """
    stemmed = _STEMMED.analyze(text)
    if not stemmed:
        return Query.empty_query()
    return _sequence(f.TEXT, stemmed)


def _sequence(field: str, tokens: Sequence[str]) -> Query:
    if len(tokens) == 1:
        return Query.term_query(f.schema(), field, tokens[0])
    return Query.phrase_query(f.schema(), field, list(tokens))


def _prefix_query(text: str) -> Query:
    """Words starting with ``text``; earlier words of a multi-word prefix must match exactly."""
    tokens = _PLAIN.analyze(text)
    if not tokens:
        return Query.all_query()
    if len(tokens) > 1:
        return Query.phrase_prefix_query(f.schema(), f.WORDS, list(tokens))
    pattern = "".join(regex_literal(ch) for ch in tokens[0]) + ".*"
    return Query.const_score_query(Query.regex_query(f.schema(), f.WORDS, pattern), 1.0)


def regex_literal(ch: str) -> str:
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{ord(ch):x}}}"


# Up to this many terms a disjunction of term queries is cheaper than a term set query, whose
# every use pays a fixed cost (~0.2 ms) of its own.
MAX_DISJUNCTION_TERMS = 128


def term_any(field: str, values: Sequence[str]) -> Query:
    """``field`` equals any of ``values`` (raw, exact); unscored."""
    if len(values) > MAX_DISJUNCTION_TERMS:
        return Query.term_set_query(f.schema(), field, list(values))
    if len(values) == 1:
        return Query.const_score_query(_term(field, values[0]), 1.0)
    terms = [(Occur.Should, _term(field, value)) for value in values]
    return Query.const_score_query(Query.boolean_query(terms), 1.0)


def _term(field: str, value: str) -> Query:
    return _format_term(f.active(), field, value)


@lru_cache(maxsize=16_384)
def _format_term(version: int, field: str, value: str) -> Query:
    """One term query; queries are immutable, and filters name the same few thousand cell
    and month terms over and over, so they are made once (per index format)."""
    return Query.term_query(f.SCHEMAS[version], field, value)


def type_is(kind: str) -> Query:
    return _term(f.TYPE, kind)


def kind_only(kind: str) -> tuple[Occur, Query]:
    """The clause that keeps objects of ``kind``: excluding the few collections and catalogs
    is cheaper than intersecting with every item."""
    if kind == f.TYPE_ITEM:
        return Occur.MustNot, term_any(f.TYPE, [f.TYPE_COLLECTION, f.TYPE_CATALOG])
    return Occur.Must, type_is(kind)


def bbox_query(
    bbox: tuple[float, float, float, float], kind: str = f.TYPE_ITEM, also: Query | None = None
) -> Query:
    """Objects whose bbox intersects ``bbox``: objects in cells inside it, objects in its
    border cells that reach past the bounds those cells straddle, and big objects that four
    exact range clauses accept (two longitude ranges across 180°).

    Only objects of ``kind`` are in the cells; the cells and the exact clauses are only
    combined for them, so the query matches no object of another kind. Scored 0, so that
    filters never change the relevance order of a text query. ``also``: a query that every
    result must match besides (the free text), which the caller requires too; the border
    cells' objects are checked against it before their range clauses, which then read the
    values of fewer candidates (at 2,000,000 items, ``q=forest`` in a box of 60° by 30°:
    14 → 10 ms).
    """
    exact = bbox_ranges(bbox)
    cover = grid.query_cover(bbox, grid.cell_prefix(kind))
    if cover is None:
        return _constant(Query.boolean_query([(Occur.Must, exact), kind_only(kind)]))
    return _constant(_covered(f.CELLS, cover, exact, also))


Interval = tuple[int | None, int | None]


def window_box_query(
    bbox: tuple[float, float, float, float],
    cover: grid.Cover,
    months: range,
    long: bool,
    interval: Interval | None = None,
    instants: bool = False,
) -> Query:
    """Items of ``months`` (and, with ``long``, those posted in too many months) whose bbox
    intersects ``bbox``, from the cell-month terms of ``cover``, the box's cover at
    :data:`grid.WINDOW_DEPTH`: checked as :func:`bbox_query` checks its cells. Within a
    datetime ``interval`` too: items of the months wholly inside it match it outright; the
    others (and ``long`` ones) are checked by range clauses, as :func:`interval_query`'s
    exact part does (``instants``: one range on ``start``)."""
    exact = bbox_ranges(bbox)
    if interval is None:
        return _constant(_covered(f.CELL_MONTHS, grid.window_cover(cover, months, long), exact))
    inside = [m for m in months if grid.month_within(m, *interval)]
    edge = [m for m in months if not grid.month_within(m, *interval)]
    parts = []
    if inside:
        whole = _covered(f.CELL_MONTHS, grid.window_cover(cover, inside, False), exact)
        parts.append((Occur.Should, whole))
    # (each check is one clause around its month's cells: a range clause on ``start`` opens
    # the column in every segment, which costs more the more its values follow time order)
    for month in edge:
        in_month = _covered(f.CELL_MONTHS, grid.window_cover(cover, [month], False), exact)
        parts.append((Occur.Should, _checked(in_month, _month_check(month, *interval, instants))))
    if long:
        posted_long = _covered(f.CELL_MONTHS, grid.window_cover(cover, [], True), exact)
        parts.append((Occur.Should, _checked(posted_long, _exact_interval(*interval, instants))))
    return _constant(Query.boolean_query(parts))


def _checked(query: Query, check: Query) -> Query:
    return Query.boolean_query([(Occur.Must, query), (Occur.Must, check)])


def _covered(field: str, cover: grid.Cover, exact: Query, also: Query | None = None) -> Query:
    """The objects of the cover's terms that pass their checks (and ``also`` before them)."""
    first = [(Occur.Must, also)] if also is not None else []
    edge = term_any(field, cover.edge)
    checked = Query.boolean_query([(Occur.Must, edge), *first, (Occur.Must, exact)])
    parts = []
    if cover.inner:
        parts.append((Occur.Should, term_any(field, cover.inner)))
    for checks, terms in cover.sides.items():
        clauses = [(Occur.Must, _side(side, value)) for side, value in checks]
        in_cells = (Occur.Must, term_any(field, terms))
        parts.append((Occur.Should, Query.boolean_query([in_cells, *first, *clauses])))
    if not parts:
        return checked
    return Query.boolean_query([*parts, (Occur.Should, checked)])


def _side(side: grid.Side, value: float) -> Query:
    """An object reaches past one bound of a query box."""
    if side == "west":
        return float_range(f.XMAX, value, None)
    if side == "east":
        return float_range(f.XMIN, None, value)
    if side == "south":
        return float_range(f.YMAX, value, None)
    return float_range(f.YMIN, None, value)


def _constant(query: Query) -> Query:
    return Query.const_score_query(query, 0.0)


def bbox_ranges(bbox: tuple[float, float, float, float]) -> Query:
    west, south, east, north = bbox
    lat = [
        (Occur.Must, float_range(f.YMIN, None, north)),
        (Occur.Must, float_range(f.YMAX, south, None)),
    ]
    if west <= east:
        lon = [
            (Occur.Must, float_range(f.XMIN, None, east)),
            (Occur.Must, float_range(f.XMAX, west, None)),
        ]
        return Query.boolean_query(lat + lon)
    either_side = Query.boolean_query(
        [
            (Occur.Should, float_range(f.XMAX, west, None)),
            (Occur.Should, float_range(f.XMIN, None, east)),
        ]
    )
    return Query.boolean_query([*lat, (Occur.Must, either_side)])


def interval_query(
    start: int | None,
    end: int | None,
    bounds: tuple[int, int] | None = None,
    *,
    months: bool = True,
    instants: bool = False,
) -> Query:
    """Objects whose [start, end] overlaps the interval (epoch microseconds, None for an open
    end): objects in months inside it, and objects in months on its edges (or ``long``) that
    exact range clauses accept. ``bounds`` (the earliest start and latest end in the index)
    close open ends, so that they are covered by months too. Without ``months`` the exact
    clauses alone are used: cheaper when a more selective filter (a bbox) leads the search
    and they only check its candidates. ``instants`` (every object's start is its end) makes
    the exact check one range on ``start``. Scored 0, like bbox filters.
    """
    if start is None and end is None:
        return Query.all_query()
    exact = _exact_interval(start, end, instants)
    low, high = bounds if bounds is not None else (None, None)
    first, last = start if start is not None else low, end if end is not None else high
    if months and first is not None and last is not None:
        cover = grid.query_months(first, last)
    else:
        cover = None
    if cover is None:
        return _constant(exact)
    parts = [(Occur.Should, term_any(f.MONTHS, cover.inner))] if cover.inner else []
    for term in cover.edge:
        check = exact if term == grid.LONG else _month_check(int(term[1:]), start, end, instants)
        parts.append((Occur.Should, _checked(term_any(f.MONTHS, [term]), check)))
    return _constant(Query.boolean_query(parts))


def _exact_interval(start: int | None, end: int | None, instants: bool) -> Query:
    """Objects whose [start, end] overlaps the interval, by range clauses (``instants``: one
    range on ``start``); every object when both ends are open."""
    if start is None and end is None:
        return Query.all_query()
    if instants:
        return _int_range(f.START, start, end)
    clauses = []
    if end is not None:
        clauses.append((Occur.Must, _int_range(f.START, None, end)))
    if start is not None:
        clauses.append((Occur.Must, _int_range(f.END, start, None)))
    return Query.boolean_query(clauses)


def _month_check(month: int, start: int | None, end: int | None, instants: bool) -> Query:
    """The exact check of the objects posted in ``month`` (one on the interval's edge): only
    the bounds that fall inside the month. An object posted in a month after the one holding
    the interval's start ends after that start, and one posted in a month before the one
    holding its end starts before that end. (One-sided checks also spare tantivy a scan: a
    range clause on a fast field reads the column from a segment's first document to its
    first match when it starts, and documents are written in time order.)"""
    bounds = grid.month_bounds(month)
    if bounds is None:  # beyond the calendar's years: check both
        return _exact_interval(start, end, instants)
    first, last = bounds
    low = start if start is not None and first < start else None
    high = end if end is not None and end < last else None
    return _exact_interval(low, high, instants)


def lacking(field: str) -> Query:
    """The objects that have no value of ``field``."""
    return Query.boolean_query(
        [(Occur.Must, Query.all_query()), (Occur.MustNot, Query.exists_query(field))]
    )


def float_range(field: str, low: float | None, high: float | None) -> Query:
    return Query.range_query(f.schema(), field, FieldType.Float, low, high)


def _int_range(field: str, low: int | None, high: int | None) -> Query:
    return Query.range_query(f.schema(), field, FieldType.Integer, low, high)
