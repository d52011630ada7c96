"""Free-text trees and filters → tantivy queries, built clause by clause.

User text never reaches tantivy's query parser: words are analysed with the same analyzers as the
index fields and turned into term, phrase and prefix queries directly, so ``field:`` syntax,
regexes or parser errors cannot be injected.
"""

from __future__ import annotations

from collections.abc import Sequence

import tantivy
from tantivy import FieldType, Occur, Query

from stacsift import grid
from stacsift.index import schema as f
from stacsift.index.schema import SCHEMA
from stacsift.query.freetext import And, Node, Not, Phrase, Word

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
TITLE_BOOST = 2.0


def text_query(node: Node) -> Query:
    """The tantivy query for a parsed ``q``."""
    if isinstance(node, Word):
        return _prefix_query(node.text) if node.prefix else _words_query(node.text)
    if isinstance(node, Phrase):
        return _words_query(node.text)
    if isinstance(node, Not):
        return Query.boolean_query(
            [(Occur.Must, Query.all_query()), (Occur.MustNot, text_query(node.node))]
        )
    occur = Occur.Must if isinstance(node, And) else Occur.Should
    return Query.boolean_query([(occur, text_query(child)) for child in node.nodes])


def _words_query(text: str) -> Query:
    """Match the words of ``text`` in order (one word: a term) in title, text or raw words."""
    stemmed, plain = _STEMMED.analyze(text), _PLAIN.analyze(text)
    if not plain:
        return Query.empty_query()
    return Query.disjunction_max_query(
        [
            Query.boost_query(_sequence(f.TITLE, stemmed), TITLE_BOOST),
            _sequence(f.TEXT, stemmed),
            _sequence(f.WORDS, plain),
        ],
        tie_breaker=0.1,
    )


def _sequence(field: str, tokens: Sequence[str]) -> Query:
    if len(tokens) == 1:
        return Query.term_query(SCHEMA, field, tokens[0])
    return Query.phrase_query(SCHEMA, field, list(tokens))


def _prefix_query(text: str) -> Query:
    """Words starting with ``text``; earlier words of a multi-word prefix must match exactly."""
    tokens = _PLAIN.analyze(text)
    if not tokens:
        return Query.all_query()
    if len(tokens) > 1:
        return Query.phrase_prefix_query(SCHEMA, f.WORDS, list(tokens))
    pattern = "".join(_regex_literal(ch) for ch in tokens[0]) + ".*"
    return Query.const_score_query(Query.regex_query(SCHEMA, f.WORDS, pattern), 1.0)


def _regex_literal(ch: str) -> str:
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{ord(ch):x}}}"


def term_any(field: str, values: Sequence[str]) -> Query:
    """``field`` equals any of ``values`` (raw, exact)."""
    return Query.term_set_query(SCHEMA, field, list(values))


def type_is(kind: str) -> Query:
    return Query.term_query(SCHEMA, f.TYPE, kind)


def bbox_query(bbox: tuple[float, float, float, float]) -> Query:
    """Objects whose bbox intersects ``bbox``: a grid-cell prefilter, then four exact range
    clauses (two longitude ranges across 180°)."""
    exact = _bbox_ranges(bbox)
    cover = grid.query_terms(bbox)
    if cover is None:
        return exact
    prefilter = Query.term_set_query(SCHEMA, f.CELLS, cover)
    return Query.boolean_query([(Occur.Must, prefilter), (Occur.Must, exact)])


def _bbox_ranges(bbox: tuple[float, float, float, float]) -> Query:
    west, south, east, north = bbox
    lat = [
        (Occur.Must, _float_range(f.YMIN, None, north)),
        (Occur.Must, _float_range(f.YMAX, south, None)),
    ]
    if west <= east:
        lon = [
            (Occur.Must, _float_range(f.XMIN, None, east)),
            (Occur.Must, _float_range(f.XMAX, west, None)),
        ]
        return Query.boolean_query(lat + lon)
    either_side = Query.boolean_query(
        [
            (Occur.Should, _float_range(f.XMAX, west, None)),
            (Occur.Should, _float_range(f.XMIN, None, east)),
        ]
    )
    return Query.boolean_query([*lat, (Occur.Must, either_side)])


def interval_query(start: int | None, end: int | None) -> Query:
    """Objects whose [start, end] overlaps the (possibly open) interval, in epoch microseconds:
    a month-term prefilter for closed intervals, then exact range clauses."""
    clauses = []
    months = grid.query_months(start, end)
    if months is not None:
        prefilter = Query.boolean_query(
            [
                (Occur.Should, Query.term_set_query(SCHEMA, f.MONTHS, months)),
                (Occur.Should, Query.term_query(SCHEMA, f.MONTHS, grid.LONG)),
            ]
        )
        clauses.append((Occur.Must, prefilter))
    if end is not None:
        clauses.append((Occur.Must, _int_range(f.START, None, end)))
    if start is not None:
        clauses.append((Occur.Must, _int_range(f.END, start, None)))
    return Query.boolean_query(clauses) if clauses else Query.all_query()


def _float_range(field: str, low: float | None, high: float | None) -> Query:
    return Query.range_query(SCHEMA, field, FieldType.Float, low, high)


def _int_range(field: str, low: int | None, high: int | None) -> Query:
    return Query.range_query(SCHEMA, field, FieldType.Integer, low, high)
