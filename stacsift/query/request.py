"""Turn raw search parameters (an HTTP query or a POST body) into a validated SearchRequest.

GET parameters arrive as strings (lists comma-separated, JSON for ``intersects`` and cql2-json
``filter``); POST bodies arrive as JSON values. Every malformed value is an InvalidParameter
naming it, so the edge answers 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from stacsift.errors import InvalidParameter
from stacsift.query import freetext, params, tokens
from stacsift.query.params import SearchRequest, SortKey

GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)
MAX_GEOMETRY_BYTES = 1_000_000
MAX_GEOMETRY_POSITIONS = 10_000  # coordinate pairs of an intersects geometry
MAX_GEOMETRY_DEPTH = 8  # objects and arrays nested in it (a MultiPolygon needs 4)
MAX_BODY_BYTES = 1_000_000  # a POST body
MAX_SORT_KEYS = 8
MAX_FIELDS = 100
MAX_FIELD_CHARS = 200


@dataclass(frozen=True)
class Limits:
    """Page sizes allowed by the deployment."""

    default: int = 10
    maximum: int = 1000


def parse_search(
    raw: Mapping[str, Any], *, post: bool, limits: Limits, token_key: bytes
) -> SearchRequest:
    """A validated item search from GET query parameters or a POST body; ``token_key`` checks
    the signature of a page token."""
    bbox_raw = raw.get("bbox")
    if post and bbox_raw is not None and not isinstance(bbox_raw, list):
        raise InvalidParameter("bbox", "must be a JSON array of numbers in a POST body")
    intersects = parse_intersects(raw.get("intersects"), post=post)
    bbox = params.parse_bbox(bbox_raw)
    if bbox is not None and intersects is not None:
        raise InvalidParameter("intersects", "give either bbox or intersects, not both")
    token_text = _string("token", raw.get("token"))
    token = tokens.decode(token_text, token_key) if token_text else None
    return SearchRequest(
        q=parse_q(raw.get("q")),
        collections=params.parse_list("collections", raw.get("collections")),
        ids=params.parse_list("ids", raw.get("ids")),
        bbox=bbox,
        intersects=intersects,
        datetime=params.parse_datetime(_string("datetime", raw.get("datetime"))),
        limit=params.parse_limit(raw.get("limit"), default=limits.default, maximum=limits.maximum),
        token=token,
        sortby=parse_sortby(raw.get("sortby")),
        fields=parse_fields(raw.get("fields")),
        filter=parse_filter(raw.get("filter"), raw.get("filter-lang")),
    )


def parse_filter(value: object, lang: object) -> Any:
    """A CQL2 filter (text or JSON) as an expression tree, or None."""
    if value is None or value == "" or value == {}:
        return None
    if not isinstance(value, str | dict):
        raise InvalidParameter("filter", "must be CQL2 text or a CQL2 JSON object")
    from stacsift.query import cql2  # loads only when a request filters

    return cql2.parse(value, _string("filter-lang", lang))


def parse_q(value: object) -> str | None:
    """Free text: a string, or (POST) a list of terms meaning any of them."""
    if value is None or value == "":
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ",".join(f'"{v}"' if " " in v else str(v) for v in value)
    elif isinstance(value, str):
        text = value
    else:
        raise InvalidParameter("q", "must be a string or a list of strings")
    freetext.parse(text)  # refuses overlong text, too many terms, too deep nesting
    return text or None


def parse_intersects(value: object, *, post: bool) -> dict[str, Any] | None:
    """A GeoJSON geometry (JSON text in GET, an object in POST), checked for shape."""
    if value is None or value == "":
        return None
    geometry = value
    if isinstance(value, str):
        if len(value) > MAX_GEOMETRY_BYTES:
            raise InvalidParameter("intersects", "geometry is too large")
        try:
            geometry = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise InvalidParameter("intersects", "is not GeoJSON") from None
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        raise InvalidParameter("intersects", "must be a GeoJSON geometry object")
    _check_size(geometry)
    from stacsift.geometry import shape  # shapely loads only when a geometry is given

    shape(geometry, "intersects")
    return geometry


def _check_size(geometry: dict[str, Any]) -> None:
    """Refuse geometries nested too deep or with too many positions, before shapely (which
    recurses, and whose work grows with the positions) sees them."""
    stack: list[tuple[object, int]] = [(geometry, 0)]
    positions = 0
    while stack:
        value, depth = stack.pop()
        if depth > MAX_GEOMETRY_DEPTH:
            raise InvalidParameter("intersects", f"is nested more than {MAX_GEOMETRY_DEPTH} deep")
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values())
            continue
        if not isinstance(value, list):
            continue
        if value and not isinstance(value[0], dict | list):
            positions += 1
            if positions > MAX_GEOMETRY_POSITIONS:
                raise InvalidParameter(
                    "intersects", f"has more than {MAX_GEOMETRY_POSITIONS} positions"
                )
            continue
        stack.extend((child, depth + 1) for child in value)


def check_body(body: str | bytes | None) -> None:
    """Refuse POST bodies over :data:`MAX_BODY_BYTES` before they are parsed."""
    if body is not None and len(body) > MAX_BODY_BYTES:
        raise InvalidParameter("body", f"is larger than {MAX_BODY_BYTES} bytes")


def parse_sortby(value: object) -> tuple[SortKey, ...]:
    """``+a,-b`` (GET) or ``[{"field": "a", "direction": "asc"}]`` (POST)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        keys = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            descending = part.startswith("-")
            name = part.lstrip("+-").strip()
            keys.append(SortKey(_sort_field(name), descending))
        return _few_keys(tuple(keys))
    if isinstance(value, list):
        return _few_keys(tuple(_sort_object(v) for v in value[: MAX_SORT_KEYS + 1]))
    raise InvalidParameter("sortby", "must be a string or a list of {field, direction}")


def _few_keys(keys: tuple[SortKey, ...]) -> tuple[SortKey, ...]:
    if len(keys) > MAX_SORT_KEYS:
        raise InvalidParameter("sortby", f"has more than {MAX_SORT_KEYS} keys")
    return keys


def _sort_object(value: object) -> SortKey:
    if not isinstance(value, dict) or not isinstance(value.get("field"), str):
        raise InvalidParameter("sortby", "each entry needs a string field")
    direction = str(value.get("direction", "asc")).lower()
    if direction not in ("asc", "desc"):
        raise InvalidParameter("sortby", f"direction must be asc or desc, got {direction!r}")
    return SortKey(_sort_field(value["field"]), direction == "desc")


def _sort_field(name: str) -> str:
    name = name.removeprefix("properties.")
    if not name or len(name) > 200:
        raise InvalidParameter("sortby", "empty or overlong field name")
    return name


def parse_fields(value: object) -> params.Fields | None:
    """``a,-b`` (GET) or ``{"include": [...], "exclude": [...]}`` (POST)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parts = params.parse_list("fields", value, MAX_FIELDS)
        include = tuple(p.lstrip("+") for p in parts if not p.startswith("-"))
        exclude = tuple(p[1:] for p in parts if p.startswith("-"))
    elif isinstance(value, dict):
        include = params.parse_list("fields", value.get("include") or [], MAX_FIELDS)
        exclude = params.parse_list("fields", value.get("exclude") or [], MAX_FIELDS)
    else:
        raise InvalidParameter("fields", "must be a string or an object with include/exclude")
    if any(len(path) > MAX_FIELD_CHARS for path in include + exclude):
        raise InvalidParameter("fields", f"has a path longer than {MAX_FIELD_CHARS} characters")
    return params.Fields(include, exclude)


def _string(name: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidParameter(name, "must be a string")
