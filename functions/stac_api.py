"""Shape core results as STAC API v1.0.0 JSON with links that point into this API.

Pure functions of a base URL and core objects. The objects' own structural links (self, root,
parent, child, item, collection) point into the source catalog; they are replaced by API links so
that clients and validators following ``self`` stay inside the API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

STAC_VERSION = "1.0.0"
GEOJSON = "application/geo+json"
JSON = "application/json"
CONFORMANCE = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0-rc.1/item-search#free-text",
    "https://api.stacspec.org/v1.0.0-rc.1/item-search#advanced-free-text",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
_STRUCTURAL = frozenset({"self", "root", "parent", "child", "item", "items", "collection"})


def link(rel: str, href: str, media_type: str = JSON, **extra: Any) -> dict[str, Any]:
    return {"rel": rel, "href": href, "type": media_type, **extra}


def landing_page(base: str, collections: list[dict[str, Any]]) -> dict[str, Any]:
    links = [
        link("self", f"{base}/"),
        link("root", f"{base}/"),
        link("conformance", f"{base}/conformance"),
        link("data", f"{base}/collections"),
        link("search", f"{base}/search", GEOJSON, method="GET"),
        link("search", f"{base}/search", GEOJSON, method="POST"),
    ]
    links += [
        link("child", _collection_url(base, str(c.get("id"))), title=c.get("title"))
        for c in collections
    ]
    return {
        "type": "Catalog",
        "id": "stacsift",
        "title": "stacsift",
        "description": "Full-text STAC search over a catalog index on object storage",
        "stac_version": STAC_VERSION,
        "conformsTo": CONFORMANCE,
        "links": links,
    }


def collection_out(base: str, collection: dict[str, Any]) -> dict[str, Any]:
    url = _collection_url(base, str(collection.get("id")))
    return _with_links(
        collection,
        [
            link("self", url),
            link("root", f"{base}/"),
            link("parent", f"{base}/"),
            link("items", f"{url}/items", GEOJSON),
        ],
    )


def collections_out(base: str, collections: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "collections": [collection_out(base, c) for c in collections],
        "links": [link("self", f"{base}/collections"), link("root", f"{base}/")],
    }


def item_out(base: str, item: dict[str, Any]) -> dict[str, Any]:
    collection = item.get("collection")
    links = [link("root", f"{base}/")]
    if isinstance(collection, str) and collection:
        url = _collection_url(base, collection)
        links += [
            link("self", f"{url}/items/{quote(str(item.get('id')), safe='')}", GEOJSON),
            link("parent", url),
            link("collection", url),
        ]
    return _with_links(item, links)


def feature_collection(
    base: str,
    features: list[dict[str, Any]],
    matched: int,
    self_url: str,
    next_query: dict[str, str] | None,
    next_path: str,
) -> dict[str, Any]:
    links = [link("self", self_url, GEOJSON), link("root", f"{base}/")]
    if next_query is not None:
        links.append(link("next", f"{base}{next_path}?{urlencode(next_query)}", GEOJSON))
    return {
        "type": "FeatureCollection",
        "features": [item_out(base, f) for f in features],
        "links": links,
        "numberMatched": matched,
        "numberReturned": len(features),
    }


def _with_links(obj: dict[str, Any], api_links: list[dict[str, Any]]) -> dict[str, Any]:
    kept = [
        dict(lk)
        for lk in obj.get("links") or []
        if isinstance(lk, dict)
        and lk.get("rel") not in _STRUCTURAL
        and str(lk.get("href", "")).startswith(("http://", "https://"))
    ]
    return {**obj, "links": api_links + kept}


def _collection_url(base: str, collection_id: str) -> str:
    return f"{base}/collections/{quote(collection_id, safe='')}"
