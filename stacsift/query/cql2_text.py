"""Parse cql2-text (OGC CQL2, the subset described in :mod:`stacsift.query.cql2`).

Grammar, by precedence (keywords are case-insensitive, property names are not)::

    expr      := term ("OR" term)*
    term      := factor ("AND" factor)*
    factor    := "NOT" factor | "(" expr ")" | "TRUE" | "FALSE"
               | S_op "(" geom "," geom ")" | T_op "(" time "," time ")"
               | scalar (cmp scalar | ["NOT"] "LIKE" scalar | ["NOT"] "BETWEEN" scalar "AND" scalar
                         | ["NOT"] "IN" "(" scalar ("," scalar)* ")" | "IS" ["NOT"] "NULL")
    scalar    := 'string' | number | TRUE | FALSE | property | "property"
               | TIMESTAMP('…') | DATE('…') | CASEI(scalar) | ACCENTI(scalar)
    geom      := property | WKT (POINT, LINESTRING, POLYGON, MULTI…, GEOMETRYCOLLECTION)
               | BBOX(w, s, e, n) | ENVELOPE(…)
    time      := property | TIMESTAMP('…') | DATE('…') | INTERVAL('…' | '..', '…' | '..')

Words such as ``DATE`` or ``POINT`` are keywords only before ``(``, so they stay usable as
property names. Strings escape a quote by doubling it (``'it''s'``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from stacsift.query import cql2_ast as ast
from stacsift.query.cql2_ast import invalid
from stacsift.query.cql2_geometry import BadGeometry, bbox_shape, prepared, shape_of
from stacsift.query.cql2_reader import WKT_TYPES, TokenReader, tokenize

_RESERVED = frozenset({"AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL"})
_T = TypeVar("_T")


def parse_text(text: str) -> ast.Expr:
    """A cql2-text filter → syntax tree; every malformed input is InvalidParameter("filter")."""
    if not isinstance(text, str):
        raise invalid("cql2-text must be a string")
    if len(text) > ast.MAX_TEXT_LENGTH:
        raise invalid(f"is longer than {ast.MAX_TEXT_LENGTH} characters")
    parser = _Parser(tokenize(text))
    expr = parser.expression(0)
    parser.expect_end()
    return expr


class _Parser(TokenReader):
    # -- boolean structure -------------------------------------------------------------------

    def expression(self, depth: int) -> ast.Expr:
        self.check_depth(depth)
        terms = [self.term(depth)]
        while self.accept_word("OR"):
            terms.append(self.term(depth))
        return ast.combine(ast.Or, terms)

    def term(self, depth: int) -> ast.Expr:
        factors = [self.factor(depth)]
        while self.accept_word("AND"):
            factors.append(self.factor(depth))
        return ast.combine(ast.And, factors)

    def factor(self, depth: int) -> ast.Expr:
        if self.accept_word("NOT"):
            self.check_depth(depth + 1)
            return ast.Not(self.factor(depth + 1))
        if self.accept_op("("):
            expr = self.expression(depth + 1)
            self.expect_op(")")
            return expr
        name = self.function_name()
        if name in ast.SPATIAL_OPS:
            left, right = self.pair(self.spatial_operand)
            return ast.Spatial(name, left, right)
        if name in ast.TEMPORAL_OPS:
            first, second = self.pair(self.temporal_operand)
            return ast.Temporal(name, first, second)
        return self.predicate(depth)

    def pair(self, operand: Callable[[], _T]) -> tuple[_T, _T]:
        self.take()
        self.expect_op("(")
        first = operand()
        self.expect_op(",")
        second = operand()
        self.expect_op(")")
        return first, second

    # -- comparisons -------------------------------------------------------------------------

    def predicate(self, depth: int) -> ast.Expr:
        start = self.peek()
        left = self.scalar(depth)
        negated = self.accept_word("NOT")
        if negated and not self.at_word("LIKE", "BETWEEN", "IN"):
            raise self.unexpected("LIKE, BETWEEN or IN after NOT")
        expr = self.predicate_tail(left, depth)
        if expr is None:
            if isinstance(left, bool):
                return ast.Const(left)
            raise self.unexpected(f"a comparison after {start.text!r}")
        return ast.Not(expr) if negated else expr

    def predicate_tail(self, left: ast.Scalar, depth: int) -> ast.Expr | None:
        token = self.peek()
        if token.kind == "op" and token.text in ast.COMPARISONS:
            self.take()
            return ast.Compare(token.text, left, self.scalar(depth))
        if self.accept_word("LIKE"):
            return ast.Like(left, self.scalar(depth))
        if self.accept_word("BETWEEN"):
            low = self.scalar(depth)
            self.expect_word("AND")
            return ast.Between(left, low, self.scalar(depth))
        if self.accept_word("IN"):
            self.expect_op("(")
            options = [self.scalar(depth)]
            while self.accept_op(","):
                options.append(self.scalar(depth))
            self.expect_op(")")
            return ast.In(left, tuple(options))
        if self.accept_word("IS"):
            negated = self.accept_word("NOT")
            self.expect_word("NULL")
            return ast.Not(ast.IsNull(left)) if negated else ast.IsNull(left)
        return None

    def scalar(self, depth: int) -> ast.Scalar:
        token = self.peek()
        if token.kind == "string":
            self.take()
            return unquote(token.text)
        if token.kind == "number":
            self.take()
            return number(token.text)
        if token.kind == "quoted":
            self.take()
            return ast.Property(unquote(token.text))
        if token.kind == "word" and token.text.upper() == "NULL":
            raise invalid(f"NULL is not a value at character {self.at()}: use IS [NOT] NULL")
        if token.kind != "word" or token.text.upper() in _RESERVED:
            raise self.unexpected("a value or a property name")
        return self.word_scalar(depth)

    def word_scalar(self, depth: int) -> ast.Scalar:
        name = self.function_name()
        if name in ast.FOLDS:
            self.take()
            self.expect_op("(")
            self.check_depth(depth + 1)
            arg = self.scalar(depth + 1)
            self.expect_op(")")
            return ast.Fold(name, arg)
        if name in ("timestamp", "date"):
            return self.instant(name)
        if name is not None:
            raise invalid(f"unsupported function {self.peek().text!r} at character {self.at()}")
        token = self.take()
        upper = token.text.upper()
        if upper in ("TRUE", "FALSE"):
            return upper == "TRUE"
        return ast.Property(token.text)

    # -- temporal and spatial operands -------------------------------------------------------

    def instant(self, name: str) -> ast.Instant:
        self.take()
        self.expect_op("(")
        text = unquote(self.expect_kind("string", "a quoted date or date-time").text)
        self.expect_op(")")
        return ast.timestamp_literal(text) if name == "timestamp" else ast.date_literal(text)

    def temporal_operand(self) -> ast.TemporalOperand:
        name = self.function_name()
        if name in ("timestamp", "date"):
            return self.instant(name)
        if name == "interval":
            self.take()
            self.expect_op("(")
            start = unquote(self.expect_kind("string", "a quoted date, date-time or '..'").text)
            self.expect_op(",")
            end = unquote(self.expect_kind("string", "a quoted date, date-time or '..'").text)
            self.expect_op(")")
            return ast.interval_literal(start, end)
        return self.property_name("a property, TIMESTAMP, DATE or INTERVAL")

    def spatial_operand(self) -> ast.SpatialOperand:
        token = self.peek()
        upper = token.text.upper() if token.kind == "word" else ""
        is_wkt = upper in WKT_TYPES and self.peek(1).text.upper() in ("(", "Z")
        if upper in ("BBOX", "ENVELOPE") and self.peek(1).text == "(":
            self.take()
            numbers = self.bbox_numbers()
            return self.geometry_literal(lambda: bbox_shape(numbers))
        if is_wkt:
            geojson = self.wkt(0)
            return self.geometry_literal(lambda: shape_of(geojson))
        return self.property_name("a property, a WKT geometry or BBOX(…)")

    def geometry_literal(self, build: Callable[[], Any]) -> ast.Geometry:
        try:
            shape = build()
        except BadGeometry as err:
            raise invalid(f"bad geometry literal: {err}") from None
        return ast.Geometry(prepared(shape))

    def property_name(self, expected: str) -> ast.Property:
        token = self.peek()
        if token.kind == "quoted":
            self.take()
            return ast.Property(unquote(token.text))
        if token.kind == "word" and token.text.upper() not in _RESERVED:
            self.take()
            return ast.Property(token.text)
        raise self.unexpected(expected)


def unquote(text: str) -> str:
    """The value of a 'string' or "identifier" token: drop the quotes, undouble inner ones."""
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote)


def number(text: str) -> int | float:
    try:
        if any(c in text for c in ".eE"):
            value = float(text)
            if math.isinf(value):
                raise ValueError(text)
            return value
        return int(text)
    except ValueError:
        raise invalid(f"number {text[:40]!r} is out of range") from None
