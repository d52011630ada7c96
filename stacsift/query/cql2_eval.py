"""Evaluate a CQL2 syntax tree against a STAC Item dict, in three-valued logic.

A predicate is TRUE, FALSE or UNKNOWN (``None``). It is UNKNOWN when a value it needs is missing
or null, or when its values cannot be compared (a string with a number, a list, an unparseable
geometry). ``NOT`` keeps UNKNOWN, ``AND``/``OR`` follow SQL, and an item matches only when the
filter is TRUE: so neither ``x = 1`` nor ``NOT (x = 1)`` selects an item without ``x``.
``IS NULL`` is never UNKNOWN: it is TRUE for a missing or null value.

Property names: ``id`` and ``collection`` are the item's own fields, ``geometry`` its geometry,
every other name a key of ``properties``. ``datetime``, ``start_datetime`` and ``end_datetime``
compare as instants; in temporal predicates ``datetime`` stands for the item's whole time span
(``start_datetime``..``end_datetime`` when given). A string compared with a TIMESTAMP or DATE is
read as RFC 3339; a comparison with a DATE compares UTC calendar days.
"""

from __future__ import annotations

import operator
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import shapely
import shapely.errors

from stacsift.index.documents import MAX_TIME, MIN_TIME
from stacsift.query import cql2_ast as ast
from stacsift.query.cql2_ast import DAY
from stacsift.query.cql2_geometry import BadGeometry, shape_of
from stacsift.query.cql2_like import like

Truth = bool | None  # None is UNKNOWN

_TOP_LEVEL = frozenset({"id", "collection", "geometry"})
_INSTANT_PROPERTIES = frozenset({"datetime", "start_datetime", "end_datetime"})
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Relations of closed intervals a = (start, end) and b, after Allen; an instant is (t, t).
_TEMPORAL: dict[str, Callable[[tuple[int, int], tuple[int, int]], bool]] = {
    "t_after": lambda a, b: a[0] > b[1],
    "t_before": lambda a, b: a[1] < b[0],
    "t_contains": lambda a, b: a[0] < b[0] and b[1] < a[1],
    "t_disjoint": lambda a, b: a[1] < b[0] or a[0] > b[1],
    "t_during": lambda a, b: b[0] < a[0] and a[1] < b[1],
    "t_equals": lambda a, b: a == b,
    "t_finishedby": lambda a, b: a[0] < b[0] and a[1] == b[1],
    "t_finishes": lambda a, b: a[0] > b[0] and a[1] == b[1],
    "t_intersects": lambda a, b: a[0] <= b[1] and b[0] <= a[1],
    "t_meets": lambda a, b: a[1] == b[0],
    "t_metby": lambda a, b: a[0] == b[1],
    "t_overlappedby": lambda a, b: b[0] < a[0] < b[1] < a[1],
    "t_overlaps": lambda a, b: a[0] < b[0] < a[1] < b[1],
    "t_startedby": lambda a, b: a[0] == b[0] and a[1] > b[1],
    "t_starts": lambda a, b: a[0] == b[0] and a[1] < b[1],
}
# With a literal on the left, shapely uses its prepared form: the converse of each predicate.
_CONVERSE = {"s_contains": "s_within", "s_within": "s_contains"}


def evaluate(expr: ast.Expr, item: dict[str, Any]) -> bool:
    """Whether ``item`` matches the filter (the filter is TRUE for it). Never raises."""
    if not isinstance(item, dict):
        return False
    return truth(expr, item) is True


def truth(expr: ast.Expr, item: dict[str, Any]) -> Truth:
    """The three-valued result of ``expr`` for ``item``."""
    if isinstance(expr, ast.And):
        return _all(truth(arg, item) for arg in expr.args)
    if isinstance(expr, ast.Or):
        return _any(truth(arg, item) for arg in expr.args)
    if isinstance(expr, ast.Not):
        result = truth(expr.arg, item)
        return None if result is None else not result
    if isinstance(expr, ast.Const):
        return expr.value
    if isinstance(expr, ast.Spatial):
        return _spatial(expr, item)
    if isinstance(expr, ast.Temporal):
        return _temporal(expr, item)
    return _comparison(expr, item)


def _comparison(
    expr: ast.Compare | ast.Like | ast.Between | ast.In | ast.IsNull, item: dict[str, Any]
) -> Truth:
    if isinstance(expr, ast.IsNull):
        return value_of(expr.value, item) is None
    value = value_of(expr.value if not isinstance(expr, ast.Compare) else expr.left, item)
    if isinstance(expr, ast.Compare):
        return compare(expr.op, value, value_of(expr.right, item))
    if isinstance(expr, ast.Like):
        pattern = value_of(expr.pattern, item)
        if not isinstance(value, str) or not isinstance(pattern, str):
            return None
        return like(value, pattern)
    if isinstance(expr, ast.Between):
        low, high = value_of(expr.low, item), value_of(expr.high, item)
        return _all(iter((compare(">=", value, low), compare("<=", value, high))))
    return _any(compare("=", value, value_of(option, item)) for option in expr.options)


def _all(results: Iterator[Truth]) -> Truth:
    unknown = False
    for result in results:
        if result is False:
            return False
        unknown = unknown or result is None
    return None if unknown else True


def _any(results: Iterator[Truth]) -> Truth:
    unknown = False
    for result in results:
        if result is True:
            return True
        unknown = unknown or result is None
    return None if unknown else False


# -- values ------------------------------------------------------------------------------------


def value_of(scalar: ast.Scalar, item: dict[str, Any]) -> object:
    """A literal itself, a property's value in ``item`` (None when missing), or a fold of one."""
    if isinstance(scalar, ast.Property):
        return lookup(scalar.name, item)
    if isinstance(scalar, ast.Fold):
        return fold(scalar.kind, value_of(scalar.arg, item))
    return scalar


def lookup(name: str, item: dict[str, Any]) -> object:
    if name in _TOP_LEVEL:
        return item.get(name)
    props = item.get("properties")
    value = props.get(name) if isinstance(props, dict) else None
    if name in _INSTANT_PROPERTIES and isinstance(value, str):
        return _instant(value) or value
    return value


def fold(kind: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    if kind == "casei":
        return value.casefold()
    decomposed = unicodedata.normalize("NFD", value)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _instant(value: object) -> ast.Instant | None:
    if isinstance(value, ast.Instant):
        return value
    if not isinstance(value, str):
        return None
    micros = ast.instant_micros(value)
    return None if micros is None else ast.Instant(micros, date=ast.is_date(value))


def _kind(value: object) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int) or (isinstance(value, float) and value == value):  # not NaN
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, ast.Instant):
        return "instant"
    return None


def compare(op: str, left: object, right: object) -> Truth:
    """``left op right``, UNKNOWN when either is null or they are of different kinds."""
    left_kind, right_kind = _kind(left), _kind(right)
    if left_kind is None or right_kind is None:
        return None
    if "instant" in (left_kind, right_kind):
        return _compare_instants(op, _instant(left), _instant(right))
    if left_kind != right_kind:
        return None
    return _ORDER[op](left, right)


def _compare_instants(op: str, left: ast.Instant | None, right: ast.Instant | None) -> Truth:
    if left is None or right is None:
        return None
    if left.date or right.date:
        return _ORDER[op](left.micros // DAY, right.micros // DAY)
    return _ORDER[op](left.micros, right.micros)


# -- temporal and spatial predicates -----------------------------------------------------------


def _temporal(expr: ast.Temporal, item: dict[str, Any]) -> Truth:
    left, right = _span(expr.left, item), _span(expr.right, item)
    if left is None or right is None:
        return None
    return _TEMPORAL[expr.op](left, right)


def _span(operand: ast.TemporalOperand, item: dict[str, Any]) -> tuple[int, int] | None:
    if isinstance(operand, ast.Interval):
        return operand.start, operand.end
    if isinstance(operand, ast.Property) and operand.name == "datetime":
        return _item_span(item)
    instant = _instant(operand if isinstance(operand, ast.Instant) else lookup(operand.name, item))
    if instant is None:
        return None
    if instant.date:
        start = instant.micros - instant.micros % DAY
        return start, start + DAY - 1
    return instant.micros, instant.micros


def _item_span(item: dict[str, Any]) -> tuple[int, int] | None:
    start, end = lookup("start_datetime", item), lookup("end_datetime", item)
    single = lookup("datetime", item)
    if isinstance(start, ast.Instant) or isinstance(end, ast.Instant):
        return (
            start.micros if isinstance(start, ast.Instant) else MIN_TIME,
            end.micros if isinstance(end, ast.Instant) else MAX_TIME,
        )
    if isinstance(single, ast.Instant):
        return single.micros, single.micros
    return None


def _spatial(expr: ast.Spatial, item: dict[str, Any]) -> Truth:
    op, left, right = expr.op, expr.left, expr.right
    if isinstance(right, ast.Geometry) and not isinstance(left, ast.Geometry):
        op, left, right = _CONVERSE.get(op, op), right, left
    first, second = _shape(left, item), _shape(right, item)
    if first is None or second is None:
        return None
    try:
        return bool(getattr(shapely, op[2:])(first, second))
    except shapely.errors.ShapelyError:  # e.g. a topology error on an invalid item geometry
        return None


def _shape(operand: ast.SpatialOperand, item: dict[str, Any]) -> Any:
    if isinstance(operand, ast.Geometry):
        return operand.shape
    value = lookup(operand.name, item)
    if value is None:
        return None
    try:
        return shape_of(value)
    except BadGeometry:
        return None


def properties_used(expr: ast.Expr) -> set[str]:
    """The property names a filter refers to (``id``, ``collection``, ``eo:cloud_cover``, …)."""
    names: set[str] = set()
    _collect(expr, names)
    return names


def _collect(node: object, names: set[str]) -> None:
    if isinstance(node, ast.Property):
        names.add(node.name)
    elif isinstance(node, ast.And | ast.Or | ast.In):
        for child in node.args if not isinstance(node, ast.In) else (node.value, *node.options):
            _collect(child, names)
    elif isinstance(node, ast.Not | ast.Fold):
        _collect(node.arg, names)
    elif isinstance(node, ast.Compare | ast.Spatial | ast.Temporal):
        _collect(node.left, names)
        _collect(node.right, names)
    elif isinstance(node, ast.Like):
        _collect(node.value, names)
        _collect(node.pattern, names)
    elif isinstance(node, ast.Between):
        for child in (node.value, node.low, node.high):
            _collect(child, names)
    elif isinstance(node, ast.IsNull):
        _collect(node.value, names)
