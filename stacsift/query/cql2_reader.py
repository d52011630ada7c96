"""The tokens of cql2-text, a cursor over them, and WKT geometry literals (→ GeoJSON dicts).

WKT follows the CQL2 grammar: ``POINT (x y)``, ``LINESTRING (x y, …)``, ``POLYGON ((…), …)``,
``MULTIPOINT ((x y), …)`` (or without the inner parentheses), ``MULTILINESTRING``,
``MULTIPOLYGON``, ``GEOMETRYCOLLECTION (…)``; an optional ``Z`` after the type; a third
coordinate is read and dropped by the geometry builder.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from stacsift.errors import InvalidParameter
from stacsift.query import cql2_ast as ast
from stacsift.query.cql2_ast import invalid
from stacsift.query.cql2_geometry import MAX_COLLECTION_DEPTH

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<string>'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<word>(?:[^\W\d]|:)[\w:.]*)
    | (?P<op><>|<=|>=|[<>=(),])
    """,
    re.VERBOSE,
)

WKT_TYPES = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint",
    "MULTILINESTRING": "MultiLineString",
    "MULTIPOLYGON": "MultiPolygon",
    "GEOMETRYCOLLECTION": "GeometryCollection",
}
Position = list[float]


class Token(NamedTuple):
    kind: str  # string, quoted, number, word, op, end
    text: str
    at: int  # offset in the text


def tokenize(text: str) -> list[Token]:
    """Split cql2-text into tokens, ending with an ``end`` token."""
    tokens = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            if text[at] in "'\"":
                raise invalid(f"unterminated quote at character {at + 1}")
            raise invalid(f"unexpected character {text[at]!r} at character {at + 1}")
        if match.lastgroup != "space":
            tokens.append(Token(str(match.lastgroup), match.group(), at))
        at = match.end()
    tokens.append(Token("end", "", len(text)))
    if len(tokens) > ast.MAX_NODES:
        raise invalid(f"has more than {ast.MAX_NODES} tokens")
    return tokens


class TokenReader:
    """A cursor over tokens with the small vocabulary a recursive-descent parser needs."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    # -- navigation ----------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def at(self) -> int:
        return self.peek().at + 1

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.upper() in words

    def accept_word(self, word: str) -> bool:
        if self.at_word(word):
            self.take()
            return True
        return False

    def accept_op(self, op: str) -> bool:
        token = self.peek()
        if token.kind == "op" and token.text == op:
            self.take()
            return True
        return False

    def expect_word(self, word: str) -> None:
        if not self.accept_word(word):
            raise self.unexpected(word)

    def expect_op(self, op: str) -> None:
        if not self.accept_op(op):
            raise self.unexpected(repr(op))

    def expect_kind(self, kind: str, expected: str) -> Token:
        if self.peek().kind != kind:
            raise self.unexpected(expected)
        return self.take()

    def expect_end(self) -> None:
        if self.peek().kind != "end":
            raise self.unexpected("AND, OR or the end of the filter")

    def function_name(self) -> str | None:
        """The lower-case name when the next tokens are a word and ``(``, else None."""
        token, after = self.peek(), self.peek(1)
        if token.kind == "word" and after.kind == "op" and after.text == "(":
            return token.text.lower()
        return None

    def unexpected(self, expected: str) -> InvalidParameter:
        token = self.peek()
        found = "the end of the filter" if token.kind == "end" else repr(token.text[:40])
        return invalid(f"expected {expected} at character {self.at()}, found {found}")

    @staticmethod
    def check_depth(depth: int) -> None:
        if depth > ast.MAX_DEPTH:
            raise invalid(f"is nested more than {ast.MAX_DEPTH} levels deep")

    # -- WKT -----------------------------------------------------------------------------------

    def wkt(self, depth: int) -> dict[str, Any]:
        """A tagged WKT geometry as a GeoJSON geometry dict."""
        token = self.take()
        kind = WKT_TYPES.get(token.text.upper()) if token.kind == "word" else None
        if kind is None:
            raise invalid(f"expected a WKT geometry at character {token.at + 1}")
        self.accept_word("Z")
        if kind == "GeometryCollection":
            if depth >= MAX_COLLECTION_DEPTH:
                raise invalid("GEOMETRYCOLLECTIONs are nested too deeply")
            members = self.wkt_list(lambda: self.wkt(depth + 1))
            return {"type": kind, "geometries": members}
        return {"type": kind, "coordinates": self.coordinates(kind)}

    def coordinates(self, kind: str) -> Any:
        if kind == "Point":
            self.expect_op("(")
            position = self.position()
            self.expect_op(")")
            return position
        if kind in ("LineString", "MultiPoint"):
            return self.wkt_list(self.position if kind == "LineString" else self.multipoint_member)
        if kind in ("Polygon", "MultiLineString"):
            return self.wkt_list(lambda: self.wkt_list(self.position))
        return self.wkt_list(lambda: self.wkt_list(lambda: self.wkt_list(self.position)))

    def wkt_list(self, item: Any) -> list[Any]:
        self.expect_op("(")
        items = [item()]
        while self.accept_op(","):
            items.append(item())
        self.expect_op(")")
        return items

    def multipoint_member(self) -> Position:
        if self.accept_op("("):
            position = self.position()
            self.expect_op(")")
            return position
        return self.position()

    def position(self) -> Position:
        coords = [self.coordinate(), self.coordinate()]
        if self.peek().kind == "number":
            coords.append(self.coordinate())
        return coords

    def coordinate(self) -> float:
        return float(self.expect_kind("number", "a coordinate").text)

    def bbox_numbers(self) -> list[float]:
        """The ``(w, s, e, n)`` or ``(w, s, zmin, e, n, zmax)`` of BBOX/ENVELOPE."""
        return self.wkt_list(self.coordinate)
