"""CQL2 filters → tantivy queries over the indexed queryables (:mod:`stacsift.index.properties`).

:func:`to_query` gives a query that matches every item the filter accepts (a prefilter), and
says whether it matches exactly those (``exact``). An exact filter needs no evaluation at all:
tantivy filters, orders and pages by itself. Otherwise the exact evaluator checks the
prefilter's candidates (a bounded scan, see :mod:`stacsift.search`).

Three-valued logic: an item lacking a property makes a comparison UNKNOWN, which neither a
predicate nor its negation accepts. Range and term queries never match an item without the
value, so a negation is pushed down to the predicates (De Morgan) and each is negated there,
rather than excluding the positive query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tantivy import FieldType, Occur, Query

from stacsift.index import properties
from stacsift.index import schema as f
from stacsift.query import cql2_ast as ast
from stacsift.query import translate

_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATED = {"=": "<>", "<>": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_NUMERIC = properties.NUMERIC
_RAW = {"id": f.ID, "collection": f.COLLECTION}


@dataclass(frozen=True)
class Pushed:
    """A query matching at least the items a filter accepts; ``exact``: exactly those."""

    query: Query
    exact: bool


_ANY = None  # what cannot be pushed down: every item is a candidate


def to_query(expr: ast.Expr, negated: bool = False) -> Pushed | None:
    """The pushed-down form of ``expr`` (of ``NOT expr`` when ``negated``); None when the
    index cannot narrow it at all."""
    if isinstance(expr, ast.Not):
        return to_query(expr.arg, not negated)
    if isinstance(expr, ast.And | ast.Or):
        conjunction = isinstance(expr, ast.And) != negated  # De Morgan
        parts = [to_query(arg, negated) for arg in expr.args]
        return _all(parts) if conjunction else _any(parts)
    if isinstance(expr, ast.Const):
        matches = expr.value != negated
        return Pushed(Query.all_query() if matches else Query.empty_query(), True)
    if isinstance(expr, ast.Compare):
        return _compare(expr, negated)
    if isinstance(expr, ast.Between):
        return _between(expr, negated)
    if isinstance(expr, ast.In):
        options = [ast.Compare("=", expr.value, option) for option in expr.options]
        return to_query(ast.Or(tuple(options)), negated)
    if isinstance(expr, ast.IsNull):
        return _is_null(expr, negated)
    if isinstance(expr, ast.Like) and not negated:
        return _like(expr)
    if isinstance(expr, ast.Spatial) and not negated:
        return _spatial(expr)
    return _ANY


def _all(parts: list[Pushed | None]) -> Pushed | None:
    known = [p for p in parts if p is not None]
    if not known:
        return _ANY
    exact = len(known) == len(parts) and all(p.exact for p in known)
    if len(known) == 1:
        return Pushed(known[0].query, exact)
    return Pushed(Query.boolean_query([(Occur.Must, p.query) for p in known]), exact)


def _any(parts: list[Pushed | None]) -> Pushed | None:
    if not parts or any(p is None for p in parts):
        return _ANY
    known = [p for p in parts if p is not None]
    query = Query.boolean_query([(Occur.Should, p.query) for p in known])
    return Pushed(query, all(p.exact for p in known))


def _compare(expr: ast.Compare, negated: bool) -> Pushed | None:
    if isinstance(expr.right, ast.Property) and not isinstance(expr.left, ast.Property):
        expr = ast.Compare(_FLIPPED[expr.op], expr.right, expr.left)
    if not isinstance(expr.left, ast.Property):
        return _ANY
    op = _NEGATED[expr.op] if negated else expr.op
    return _leaf(expr.left.name, op, expr.right)


def _leaf(name: str, op: str, literal: Any) -> Pushed | None:
    """``name op literal`` for one property and a plain literal."""
    if _is_number(literal) and name in _NUMERIC and f.present(_NUMERIC[name]):
        return Pushed(_number(_NUMERIC[name], op, float(literal)), True)
    if name in _RAW:
        if not isinstance(literal, str) or not literal or op not in ("=", "<>"):
            return _ANY
        term = translate.term_any(_RAW[name], [literal])
        return Pushed(term if op == "=" else _without(term), True)
    if name in ("datetime", "start_datetime", "end_datetime", "geometry"):
        return _ANY
    if not f.present(f.PROPS):
        return _ANY
    if isinstance(literal, bool) or (isinstance(literal, str) and literal):
        if op not in ("=", "<>") or (isinstance(literal, str) and len(literal) > 256):
            return _ANY
        term = translate.term_any(f.PROPS, [properties.value_term(name, literal)])
        if op == "=":
            return Pushed(term, True)
        # <> holds for other values of the same type only; the evaluator tells them apart
        has = translate.term_any(f.HAS, [name])
        return Pushed(Query.boolean_query([(Occur.Must, has), (Occur.MustNot, term)]), False)
    return _ANY


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _number(field: str, op: str, value: float) -> Query:
    if op == "<>":
        return Query.boolean_query(
            [(Occur.Should, _number(field, "<", value)), (Occur.Should, _number(field, ">", value))]
        )
    low, high = (value, value) if op == "=" else (None, value) if "<" in op else (value, None)
    inclusive = op in ("=", "<=", ">=")
    return Query.range_query(
        f.schema(),
        field,
        FieldType.Float,
        low,
        high,
        include_lower=inclusive or low is None,
        include_upper=inclusive or high is None,
    )


def _between(expr: ast.Between, negated: bool) -> Pushed | None:
    low = ast.Compare(">=", expr.value, expr.low)
    high = ast.Compare("<=", expr.value, expr.high)
    return to_query(ast.And((low, high)), negated)


def _is_null(expr: ast.IsNull, negated: bool) -> Pushed | None:
    if not isinstance(expr.value, ast.Property):
        return _ANY
    name = expr.value.name
    if name in _RAW:
        return Pushed(Query.all_query() if negated else Query.empty_query(), True)
    if name == "geometry" or not f.present(f.HAS):
        return _ANY
    has = translate.term_any(f.HAS, [name])
    return Pushed(has if negated else _without(has), True)


def _like(expr: ast.Like) -> Pushed | None:
    """A literal prefix: ``name␟s:prefix.*`` (and long values, which have no term)."""
    if not isinstance(expr.value, ast.Property) or not isinstance(expr.pattern, str):
        return _ANY
    name = expr.value.name
    prefix = _literal_prefix(expr.pattern)
    if not prefix or name in _RAW or name in _NUMERIC or not f.present(f.PROPS):
        return _ANY
    term = properties.value_term(name, prefix)
    pattern = "".join(translate.regex_literal(ch) for ch in term) + ".*"
    matches = [
        (Occur.Should, Query.regex_query(f.schema(), f.PROPS, pattern)),
        (Occur.Should, translate.term_any(f.PROPS, [properties.long_term(name)])),
    ]
    return Pushed(Query.boolean_query(matches), False)


def _literal_prefix(pattern: str) -> str:
    """The characters of a LIKE pattern before its first wildcard or escape."""
    for position, ch in enumerate(pattern):
        if ch in "%_\\":
            return pattern[:position]
    return pattern


def _spatial(expr: ast.Spatial) -> Pushed | None:
    """S_INTERSECTS and S_WITHIN of the item's geometry with a literal: the grid cover of the
    literal's bbox (an item within or touching it touches that bbox)."""
    if expr.op not in ("s_intersects", "s_within"):
        return _ANY
    left, right = expr.left, expr.right
    if isinstance(left, ast.Geometry) and isinstance(right, ast.Property):
        if expr.op != "s_intersects":
            return _ANY
        left, right = right, left
    if not (isinstance(left, ast.Property) and left.name == "geometry"):
        return _ANY
    if not isinstance(right, ast.Geometry):
        return _ANY
    west, south, east, north = (float(v) for v in right.shape.bounds)
    return Pushed(translate.bbox_query((west, south, east, north)), False)


def _without(query: Query) -> Query:
    return Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, query)])
