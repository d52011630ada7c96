"""Queryables derived from what is indexed: each property's name, JSON type, enum, range.

Computed when a collection's GeoParquet part is written (its columns are the properties of its
items, with their Arrow types: :func:`stacsift.table.queryables_of`), kept in the manifest per
collection, and merged for ``/queryables``. This module imports no pyarrow: the search function
only merges and answers. Nothing refers to a remote schema, so an offline client can read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MAX_ENUM = 10
"""A string property with at most this many distinct values lists them as an ``enum``."""
GEOMETRY = {"title": "Geometry", "type": "object", "format": "geometry-any"}


def merged(per_collection: Iterable[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The queryables of several collections: enums and ranges widened, conflicting types
    left out (any value is then accepted)."""
    found: dict[str, dict[str, Any]] = {}
    for queryables in per_collection:
        for name, schema in queryables.items():
            found[name] = _merge(found[name], schema) if name in found else dict(schema)
    return found


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    if a.get("type") != b.get("type") or a.get("format") != b.get("format"):
        return {}
    result = dict(a)
    if "minimum" in a and "minimum" in b:
        result["minimum"] = min(a["minimum"], b["minimum"])
        result["maximum"] = max(a["maximum"], b["maximum"])
    enum = sorted(set(a.get("enum", [])) | set(b.get("enum", [])))
    if "enum" in a and "enum" in b and len(enum) <= MAX_ENUM:
        result["enum"] = enum
    else:
        result.pop("enum", None)
    return result


def document(url: str, properties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The JSON Schema answered at ``url``, with the geometry every item has."""
    return {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": url,
        "type": "object",
        "title": "Queryables",
        "properties": {"geometry": GEOMETRY, **properties},
        "additionalProperties": True,
    }
