"""GeoJSON geometries as shapely shapes, with errors that name the parameter.

Imported lazily: shapely (and numpy) load only when a request carries a geometry.
"""

from __future__ import annotations

from typing import Any

import shapely.geometry
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from stacsift.errors import InvalidParameter


def shape(geometry: dict[str, Any], parameter: str) -> BaseGeometry:
    """A valid shapely geometry for a GeoJSON object, or InvalidParameter(parameter)."""
    try:
        result = shapely.geometry.shape(geometry)
    except (GEOSException, ValueError, TypeError, AttributeError, KeyError, IndexError) as err:
        raise InvalidParameter(parameter, f"is not a valid GeoJSON geometry: {err}") from None
    if result.is_empty:
        raise InvalidParameter(parameter, "is an empty geometry")
    return result


def try_shape(geometry: object) -> BaseGeometry | None:
    """The item's geometry as a shape, or None when it has none or it is broken."""
    if not isinstance(geometry, dict):
        return None
    try:
        return shapely.geometry.shape(geometry)
    except (GEOSException, ValueError, TypeError, AttributeError, KeyError, IndexError):
        return None
