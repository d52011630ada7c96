"""The OpenAPI 3 description served at ``/api``.

Written to match the routes of :mod:`functions.search`; a test checks that every route here
exists there and the other way round.
"""

from __future__ import annotations

from typing import Any

_STRING = {"type": "string"}
_INT = {"type": "integer", "minimum": 1}


def _param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or _STRING,
        "style": "form",
        "explode": False,
    }


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _STRING}


PAGING = [_param("limit", "Page size (capped)", _INT), _param("token", "Page token from a link")]
SPACE_TIME = [
    _param("bbox", "west,south,east,north (west > east crosses 180°)"),
    _param("datetime", "RFC 3339 instant or interval, open ends as '..'"),
]
TEXT = [_param("q", 'Free text: words, Prefix*, "phrases", AND/OR/-excluded, commas = any')]
SEARCH = [
    *TEXT,
    *SPACE_TIME,
    _param("intersects", "GeoJSON geometry (exact test)"),
    _param("ids", "Comma-separated item ids"),
    _param("collections", "Comma-separated collection ids"),
    _param("sortby", "+field,-field"),
    _param("fields", "field,-field (dotted paths)"),
    _param("filter", "CQL2 filter"),
    _param("filter-lang", "cql2-text (default for GET) or cql2-json"),
    *PAGING,
]


def _get(summary: str, parameters: list[dict[str, Any]], media: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": {"description": "OK", "content": {media: {"schema": {"type": "object"}}}},
            "400": {"description": "A parameter is malformed"},
            "404": {"description": "Not found"},
        },
    }


def document(base: str) -> dict[str, Any]:
    """The OpenAPI document for an API served at ``base``."""
    geo = "application/geo+json"
    json = "application/json"
    search_post = _get("Item search (JSON body)", [], geo) | {
        "requestBody": {"content": {json: {"schema": {"type": "object"}}}}
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "stacsift STAC API", "version": "1.0.0"},
        "servers": [{"url": base}],
        "paths": {
            "/": {"get": _get("Landing page", [], json)},
            "/conformance": {"get": _get("Conformance classes", [], json)},
            "/api": {"get": _get("This document", [], "application/vnd.oai.openapi+json")},
            "/api.html": {"get": _get("API documentation", [], "text/html")},
            "/queryables": {"get": _get("Queryables", [], "application/schema+json")},
            "/children": {"get": _get("The top of the catalog tree", [], json)},
            "/catalogs/{catalogId}": {"get": _get("A sub-catalog", [_path("catalogId")], json)},
            "/catalogs/{catalogId}/children": {
                "get": _get("A sub-catalog's children", [_path("catalogId")], json)
            },
            "/collections": {"get": _get("Collections (search)", TEXT + SPACE_TIME + PAGING, json)},
            "/collections/{collectionId}": {
                "get": _get("A collection", [_path("collectionId")], json)
            },
            "/collections/{collectionId}/queryables": {
                "get": _get("Queryables", [_path("collectionId")], "application/schema+json")
            },
            "/collections/{collectionId}/items": {
                "get": _get("Items of a collection", [_path("collectionId"), *SEARCH], geo)
            },
            "/collections/{collectionId}/items/{itemId}": {
                "get": _get("An item", [_path("collectionId"), _path("itemId")], geo)
            },
            "/search": {"get": _get("Item search", SEARCH, geo), "post": search_post},
        },
    }


def html(base: str) -> str:
    """A plain documentation page (no scripts from elsewhere)."""
    rows = "".join(
        f"<li><code>{method.upper()} {path}</code> — {spec['summary']}</li>"
        for path, methods in document(base)["paths"].items()
        for method, spec in methods.items()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>stacsift STAC API</title>"
        "</head><body><h1>stacsift STAC API</h1>"
        f"<p>OpenAPI definition: <a href='{base}/api'>{base}/api</a></p><ul>{rows}</ul>"
        "</body></html>"
    )
