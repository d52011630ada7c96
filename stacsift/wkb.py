"""GeoJSON geometries → ISO WKB for the plain cases, in Python, for the GeoParquet table.

The table stores every item's geometry as WKB. shapely's GeoJSON reader (GEOS) holds the GIL
and costs several microseconds per small polygon, the largest single cost of the table beside
the tantivy indexing in the other thread; packing the coordinates with :mod:`struct` costs a
fraction of that. Anything outside the plain cases — collections, empty parts, mixed or
unusual dimensions, open rings, non-numbers, non-finite values — gives None here, and the
caller converts it with shapely instead; for the plain cases the bytes equal shapely's
``to_wkb(from_geojson(g), flavor="iso")`` (little-endian).
"""

from __future__ import annotations

import math
import struct
from typing import Any

_CODES = {
    "Point": 1,
    "LineString": 2,
    "Polygon": 3,
    "MultiPoint": 4,
    "MultiLineString": 5,
    "MultiPolygon": 6,
}
_DEPTHS = {1: 0, 2: 1, 3: 2, 4: 1, 5: 2, 6: 3}  # list levels above a position
_NUMBERS = frozenset({int, float})
_Z = 1000  # ISO WKB: type code + 1000 for XYZ


class _Irregular(ValueError):
    """Not a plain case: the caller falls back to shapely."""


def to_wkb(geometry: object) -> bytes | None:
    """ISO WKB of a plain GeoJSON geometry, or None when shapely should convert it."""
    if not isinstance(geometry, dict):
        return None
    code = _CODES.get(geometry.get("type"))  # type: ignore[arg-type]
    coordinates = geometry.get("coordinates")
    if code is None or not isinstance(coordinates, list) or not coordinates:
        return None
    try:
        return _geometry(code, coordinates, _dimension(coordinates, _DEPTHS[code]))
    except (_Irregular, struct.error, OverflowError, TypeError):
        return None


def _dimension(coordinates: list[Any], depth: int) -> int:
    first: Any = coordinates
    for _ in range(depth):
        if not isinstance(first, list) or not first:
            raise _Irregular
        first = first[0]
    if not isinstance(first, list) or len(first) not in (2, 3):
        raise _Irregular
    return len(first)


def _geometry(code: int, coordinates: list[Any], dim: int) -> bytes:
    header = struct.pack("<BI", 1, code + (_Z if dim == 3 else 0))
    if code == 1:
        return header + _positions([coordinates], dim, count=False)
    if code == 2:
        return header + _line(coordinates, dim)
    if code == 3:
        return header + _polygon(coordinates, dim)
    parts = [_geometry(code - 3, _non_empty(part), dim) for part in coordinates]
    return header + struct.pack("<I", len(parts)) + b"".join(parts)


def _line(points: list[Any], dim: int) -> bytes:
    if len(points) < 2:
        raise _Irregular
    return _positions(points, dim)


def _polygon(rings: list[Any], dim: int) -> bytes:
    packed = [struct.pack("<I", len(rings))]
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
            raise _Irregular
        packed.append(_positions(ring, dim))
    return b"".join(packed)


def _positions(points: list[Any], dim: int, *, count: bool = True) -> bytes:
    if any(not isinstance(p, list) or len(p) != dim for p in points):
        raise _Irregular
    flat = [c for p in points for c in p]
    if not set(map(type, flat)) <= _NUMBERS or not math.isfinite(math.fsum(flat)):
        raise _Irregular
    values = struct.pack(f"<{len(flat)}d", *flat)
    return struct.pack("<I", len(points)) + values if count else values


def _non_empty(part: object) -> list[Any]:
    if not isinstance(part, list) or not part:
        raise _Irregular
    return part
