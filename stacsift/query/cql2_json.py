"""Parse cql2-json (already decoded) into the syntax tree of :mod:`stacsift.query.cql2_ast`.

Operators are matched case-insensitively (``isNull``, ``t_finishedBy``). ``between`` also takes
the older two-argument form ``[value, [low, high]]`` that some clients still send.
"""

from __future__ import annotations

import math
from typing import Any

from stacsift.query import cql2_ast as ast
from stacsift.query.cql2_ast import invalid
from stacsift.query.cql2_geometry import BadGeometry, Budget, bbox_shape, prepared, shape_of

_GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "LineString",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
    }
)


def parse_json(obj: object) -> ast.Expr:
    """A decoded cql2-json filter → syntax tree; every malformed one is InvalidParameter."""
    return _Parser().expression(obj, 0)


class _Parser:
    def __init__(self) -> None:
        self.nodes = 0
        self.budget = Budget(ast.MAX_POSITIONS)

    def count(self) -> None:
        self.nodes += 1
        if self.nodes > ast.MAX_NODES:
            raise invalid(f"has more than {ast.MAX_NODES} values")

    def expression(self, obj: object, depth: int) -> ast.Expr:
        self.count()
        if depth > ast.MAX_DEPTH:
            raise invalid(f"is nested more than {ast.MAX_DEPTH} levels deep")
        if isinstance(obj, bool):
            return ast.Const(obj)
        op, args = _operation(obj)
        if op in ("and", "or"):
            parts = [self.expression(arg, depth + 1) for arg in _arity(op, args, 1, None)]
            return ast.combine(ast.And if op == "and" else ast.Or, parts)
        if op == "not":
            (arg,) = _arity(op, args, 1, 1)
            return ast.Not(self.expression(arg, depth + 1))
        if op in ast.SPATIAL_OPS:
            left, right = _arity(op, args, 2, 2)
            return ast.Spatial(op, self.spatial(left), self.spatial(right))
        if op in ast.TEMPORAL_OPS:
            first, second = _arity(op, args, 2, 2)
            return ast.Temporal(op, self.temporal(first), self.temporal(second))
        return self.comparison(op, args, depth)

    def comparison(self, op: str, args: list[Any], depth: int) -> ast.Expr:
        if op in ast.COMPARISONS:
            left, right = _arity(op, args, 2, 2)
            return ast.Compare(op, self.scalar(left, depth), self.scalar(right, depth))
        if op == "like":
            value, pattern = _arity(op, args, 2, 2)
            return ast.Like(self.scalar(value, depth), self.scalar(pattern, depth))
        if op == "between":
            if len(args) == 2 and isinstance(args[1], list):
                args = [args[0], *args[1]]
            value, low, high = (self.scalar(a, depth) for a in _arity(op, args, 3, 3))
            return ast.Between(value, low, high)
        if op == "in":
            value, options = _arity(op, args, 2, 2)
            if not isinstance(options, list) or not options:
                raise invalid("the second argument of 'in' must be a non-empty array")
            return ast.In(self.scalar(value, depth), tuple(self.scalar(o, depth) for o in options))
        if op == "isnull":
            (value,) = _arity(op, args, 1, 1)
            return ast.IsNull(self.scalar(value, depth))
        raise invalid(f"unsupported operator {op!r}")

    def scalar(self, obj: object, depth: int) -> ast.Scalar:
        self.count()
        if isinstance(obj, str | bool):
            return obj
        if isinstance(obj, int | float):
            if isinstance(obj, float) and not math.isfinite(obj):
                raise invalid("numbers must be finite")
            return obj
        if not isinstance(obj, dict):
            raise invalid(f"expected a value, got {_describe(obj)}")
        if "property" in obj:
            return _property(obj)
        if "timestamp" in obj:
            return ast.timestamp_literal(obj["timestamp"])
        if "date" in obj:
            return ast.date_literal(obj["date"])
        op, args = _operation(obj)
        if op not in ast.FOLDS:
            raise invalid(f"'{op}' is not a value (only casei and accenti are)")
        if depth > ast.MAX_DEPTH:
            raise invalid(f"is nested more than {ast.MAX_DEPTH} levels deep")
        (arg,) = _arity(op, args, 1, 1)
        return ast.Fold(op, self.scalar(arg, depth + 1))

    def spatial(self, obj: object) -> ast.SpatialOperand:
        self.count()
        if isinstance(obj, dict) and "property" in obj:
            return _property(obj)
        try:
            if isinstance(obj, dict) and "bbox" in obj and "type" not in obj:
                return ast.Geometry(prepared(bbox_shape(obj["bbox"])))
            if isinstance(obj, dict) and obj.get("type") in _GEOMETRY_TYPES:
                return ast.Geometry(prepared(shape_of(obj, self.budget)))
        except BadGeometry as err:
            raise invalid(f"bad geometry literal: {err}") from None
        raise invalid(f"expected a property, a GeoJSON geometry or a bbox, got {_describe(obj)}")

    def temporal(self, obj: object) -> ast.TemporalOperand:
        self.count()
        if not isinstance(obj, dict):
            raise invalid(f"expected a property, timestamp, date or interval, got {_describe(obj)}")
        if "property" in obj:
            return _property(obj)
        if "timestamp" in obj:
            return ast.timestamp_literal(obj["timestamp"])
        if "date" in obj:
            return ast.date_literal(obj["date"])
        if "interval" in obj:
            ends = obj["interval"]
            if not isinstance(ends, list) or len(ends) != 2:
                raise invalid("an interval needs an array of two ends")
            return ast.interval_literal(*_interval_ends(ends))
        raise invalid(f"expected a property, timestamp, date or interval, got {_describe(obj)}")


def _operation(obj: object) -> tuple[str, list[Any]]:
    if not isinstance(obj, dict) or not isinstance(obj.get("op"), str):
        raise invalid(f"expected an object with 'op' and 'args', got {_describe(obj)}")
    args = obj.get("args")
    if not isinstance(args, list):
        raise invalid(f"'args' of {obj['op'][:40]!r} must be an array")
    return obj["op"].lower(), args


def _arity(op: str, args: list[Any], least: int, most: int | None) -> list[Any]:
    if len(args) < least or (most is not None and len(args) > most):
        count = str(least) if least == most else f"at least {least}"
        raise invalid(f"'{op}' takes {count} argument{'s' if count != '1' else ''}")
    return args


def _property(obj: dict[Any, Any]) -> ast.Property:
    name = obj["property"]
    if not isinstance(name, str) or not name:
        raise invalid("'property' must be a non-empty string")
    return ast.Property(name)


def _interval_ends(ends: list[Any]) -> tuple[object, object]:
    for end in ends:
        if not isinstance(end, str):
            raise invalid(f"an interval end must be a date, a date-time or '..', got {end!r:.40}")
    return ends[0], ends[1]


def _describe(obj: object) -> str:
    if isinstance(obj, dict):
        return "an object with keys " + ", ".join(repr(str(k)[:20]) for k in list(obj)[:5])
    if obj is None:
        return "null"
    return type(obj).__name__
