"""GeoJSON geometries and bboxes → shapely, checked first so that no input can make shapely raise.

Used for the geometry literals of a filter (where a bad geometry is a 400) and for the geometry
of each item (where it makes a spatial predicate unknown). Only x and y are kept: the spatial
predicates are two-dimensional.
"""

from __future__ import annotations

import math
from typing import Any

import shapely
import shapely.errors

MAX_COLLECTION_DEPTH = 4


class BadGeometry(ValueError):
    """The object is not a usable GeoJSON geometry; ``str(err)`` says why."""


class Budget:
    """Positions (and geometries) a filter's literals may still use, so that they stay small."""

    def __init__(self, limit: int | None = None) -> None:
        self.left = limit

    def add(self, n: int) -> None:
        if self.left is not None:
            self.left -= n
            if self.left < 0:
                raise BadGeometry("has too many positions")


def shape_of(obj: object, budget: Budget | None = None) -> Any:
    """A GeoJSON geometry object → shapely geometry; raises :class:`BadGeometry`."""
    try:
        return _geometry(obj, budget or Budget(), 0)
    except BadGeometry:
        raise
    except (ValueError, TypeError, shapely.errors.ShapelyError) as err:
        raise BadGeometry(f"shapely rejected it: {err}") from None


def prepared(shape: Any) -> Any:
    """``shape``, prepared for fast repeated predicates (a filter literal meets many items)."""
    shapely.prepare(shape)
    return shape


def bbox_shape(values: object) -> Any:
    """A bbox ``[west, south, east, north]`` (or 6 numbers with heights) → a box; a west
    greater than east crosses the antimeridian and gives two boxes."""
    if not isinstance(values, list | tuple) or len(values) not in (4, 6):
        raise BadGeometry("a bbox needs 4 or 6 numbers")
    numbers = [_number(v) for v in values]
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    if south > north:
        raise BadGeometry("a bbox's south is greater than its north")
    if west <= east:
        return shapely.box(west, south, east, north)
    return shapely.MultiPolygon(
        [shapely.box(west, south, 180.0, north), shapely.box(-180.0, south, east, north)]
    )


def _geometry(obj: object, budget: Budget, depth: int) -> Any:
    if not isinstance(obj, dict):
        raise BadGeometry("a geometry must be an object")
    budget.add(1)
    kind = obj.get("type")
    if kind == "GeometryCollection":
        members = obj.get("geometries")
        if not isinstance(members, list):
            raise BadGeometry("a GeometryCollection needs a 'geometries' array")
        if depth >= MAX_COLLECTION_DEPTH:
            raise BadGeometry("GeometryCollections are nested too deeply")
        return shapely.GeometryCollection([_geometry(m, budget, depth + 1) for m in members])
    build = _BUILDERS.get(kind) if isinstance(kind, str) else None
    if build is None:
        raise BadGeometry(f"unknown geometry type {kind!r}")
    return build(obj.get("coordinates"), budget)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadGeometry(f"{value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise BadGeometry("coordinates must be finite")
    return number


def _list(value: object, what: str, minimum: int = 0) -> list[Any]:
    if not isinstance(value, list | tuple) or len(value) < minimum:
        raise BadGeometry(f"{what} needs an array of at least {minimum} elements")
    return list(value)


def _position(value: object) -> tuple[float, float]:
    coords = _list(value, "a position", 2)
    return _number(coords[0]), _number(coords[1])


def _positions(value: object, budget: Budget, what: str, minimum: int) -> list[Any]:
    positions = _list(value, what, minimum)
    budget.add(len(positions))
    return [_position(p) for p in positions]


def _point(coords: object, budget: Budget) -> Any:
    budget.add(1)
    return shapely.Point(_position(coords))


def _line(coords: object, budget: Budget) -> Any:
    return shapely.LineString(_positions(coords, budget, "a LineString", 2))


def _polygon(coords: object, budget: Budget) -> Any:
    rings = [_positions(r, budget, "a polygon ring", 4) for r in _list(coords, "a Polygon", 1)]
    return shapely.Polygon(rings[0], rings[1:])


def _multipoint(coords: object, budget: Budget) -> Any:
    return shapely.MultiPoint(_positions(coords, budget, "a MultiPoint", 0))


def _multiline(coords: object, budget: Budget) -> Any:
    return shapely.MultiLineString([_line(c, budget) for c in _list(coords, "a MultiLineString")])


def _multipolygon(coords: object, budget: Budget) -> Any:
    return shapely.MultiPolygon([_polygon(c, budget) for c in _list(coords, "a MultiPolygon")])


_BUILDERS = {
    "Point": _point,
    "LineString": _line,
    "Polygon": _polygon,
    "MultiPoint": _multipoint,
    "MultiLineString": _multiline,
    "MultiPolygon": _multipolygon,
}
