"""Shape core results as STAC API v1.0.0 JSON with links that point into this API.

Pure functions of a base URL and core objects. The objects' own structural links (self, root,
parent, child, item, collection) point into the source catalog; they are replaced by API links so
that clients and validators following ``self`` stay inside the API. Where the object came from
(when a client could fetch it) is kept as a ``canonical`` link.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from stacsift.files import ServedFolders
from stacsift.query import tokens
from stacsift.query.params import Fields
from stacsift.search import Hit, Page

STAC_VERSION = "1.0.0"
GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
CONFORMANCE = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0/item-search#sort",
    "https://api.stacspec.org/v1.0.0/item-search#fields",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#sort",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#fields",
    "https://api.stacspec.org/v1.0.0-rc.1/ogcapi-features#free-text",
    "https://api.stacspec.org/v1.0.0-rc.1/ogcapi-features#advanced-free-text",
    "https://api.stacspec.org/v1.0.0-rc.2/children",
    "https://api.stacspec.org/v1.0.0-rc.1/item-search#free-text",
    "https://api.stacspec.org/v1.0.0-rc.1/item-search#advanced-free-text",
    "https://api.stacspec.org/v1.0.0-rc.1/collection-search",
    "https://api.stacspec.org/v1.0.0-rc.1/collection-search#free-text",
    "https://api.stacspec.org/v1.0.0-rc.1/collection-search#advanced-free-text",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
]
_STRUCTURAL = frozenset({"self", "root", "parent", "child", "item", "items", "collection"})
ALWAYS_KEPT = ("type", "stac_version", "id", "links")
FETCHABLE = ("http://", "https://", "s3://")  # where a client can read a source object
PARTIAL = "stacsift:partial"  # more results exist than the page's links can reach
AT_LEAST = "stacsift:matched_at_least"  # a lower bound of numberMatched (counting stopped)


def link(rel: str, href: str, media_type: str = JSON, **extra: Any) -> dict[str, Any]:
    return {"rel": rel, "href": href, "type": media_type, **{k: v for k, v in extra.items() if v}}


@dataclass(frozen=True)
class About:
    """What the landing page says about the API: its id, title and description."""

    id: str = "stacsift"
    title: str = "stacsift"
    description: str = "Full-text STAC search over a catalog index on object storage"


def landing_page(
    base: str, children: list[dict[str, Any]], conforms: list[str], about: About = About()
) -> dict[str, Any]:
    """The landing page; its ``child`` links are the top of the hierarchy (``children``)."""
    links = [
        link("self", f"{base}/", title="This landing page"),
        link("root", f"{base}/", title=about.title),
        link("conformance", f"{base}/conformance", title="Conformance classes"),
        link("data", f"{base}/collections", title="Collections"),
        link("children", f"{base}/children", title="Children"),
        link("search", f"{base}/search", GEOJSON, method="GET", title="Item search"),
        link("search", f"{base}/search", GEOJSON, method="POST", title="Item search"),
        link("service-desc", f"{base}/api", OPENAPI, title="OpenAPI definition"),
        link("service-doc", f"{base}/api.html", "text/html", title="API documentation"),
        link(QUERYABLES_REL, f"{base}/queryables", "application/schema+json", title="Queryables"),
    ]
    links += [child_link(base, c) for c in children]
    return {
        "type": "Catalog",
        "id": about.id,
        "title": about.title,
        "description": about.description,
        "stac_version": STAC_VERSION,
        "conformsTo": conforms,
        "links": links,
    }


def child_link(base: str, obj: dict[str, Any]) -> dict[str, Any]:
    """A ``child`` link to a catalog or a collection in this API."""
    object_id = str(obj.get("id"))
    url = catalog_url(base, object_id) if obj.get("type") == "Catalog" else None
    return link(
        "child", url or collection_url(base, object_id), title=obj.get("title") or object_id
    )


def catalog_out(base: str, hit: Hit, children: list[dict[str, Any]]) -> dict[str, Any]:
    """A sub-catalog of the crawled tree, linking to its children in this API."""
    catalog = hit.obj
    url = catalog_url(base, str(catalog.get("id")))
    links = [
        link("self", url, title=catalog.get("title") or catalog.get("id")),
        link("root", f"{base}/"),
        link("parent", f"{base}/"),
        link("children", f"{url}/children", title="Children"),
        *(child_link(base, c) for c in children),
    ]
    return _with_links(catalog, links, hit.href)


def children_out(base: str, self_url: str, children: list[Hit]) -> dict[str, Any]:
    """The children extension's answer: the catalogs and collections below an object."""
    return {
        "children": [
            catalog_out(base, h, []) if h.obj.get("type") == "Catalog" else collection_out(base, h)
            for h in children
        ],
        "links": [link("self", self_url), link("root", f"{base}/")],
    }


def catalog_url(base: str, catalog_id: str) -> str:
    return f"{base}/catalogs/{quote(catalog_id, safe='')}"


def collection_out(base: str, hit: Hit) -> dict[str, Any]:
    collection = hit.obj
    url = collection_url(base, str(collection.get("id")))
    title = collection.get("title") or collection.get("id")
    links = [
        link("self", url, title=title),
        link("root", f"{base}/", title="stacsift"),
        link("parent", f"{base}/", title="stacsift"),
        link("items", f"{url}/items", GEOJSON, title="Items"),
        link(QUERYABLES_REL, f"{url}/queryables", "application/schema+json", title="Queryables"),
    ]
    return _with_links(collection, links, hit.href)


def collections_out(
    base: str, page: Page, self_url: str, query: dict[str, Any], key: bytes
) -> dict[str, Any]:
    links = [link("self", self_url), link("root", f"{base}/")]
    links += _paging_links(base, "/collections", page, query, JSON, key)
    return {
        "collections": [collection_out(base, h) for h in page.hits],
        "links": links,
        **_counts(page),
    }


def item_out(base: str, hit: Hit, fields: Fields | None = None) -> dict[str, Any]:
    item = hit.obj
    collection = item.get("collection")
    links = [link("root", f"{base}/", title="stacsift")]
    if isinstance(collection, str) and collection:
        url = collection_url(base, collection)
        links += [
            link("self", f"{url}/items/{quote(str(item.get('id')), safe='')}", GEOJSON),
            link("parent", url),
            link("collection", url),
        ]
    return apply_fields(_with_links(item, links, hit.href), fields)


MAX_FEATURE_BYTES = 5_000_000  # Lambda answers at most 6 MB; leave room for the envelope


def item_collection(
    base: str,
    path: str,
    page: Page,
    query: dict[str, Any],
    *,
    post: bool,
    fields: Fields | None,
    key: bytes,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection page with self/root and next/prev links (tokens signed
    with ``key``).

    A page whose features would not fit in a Lambda response is cut short; its ``next`` link
    continues right after the last feature returned.
    """
    features = [item_out(base, h, fields) for h in page.hits]
    fitting = _fitting(features)
    page = page.truncated(fitting)
    features = features[:fitting]
    self_query = {k: _as_text(v) for k, v in query.items()} if not post else {}
    self_url = f"{base}{path}" + (f"?{urlencode(self_query)}" if self_query else "")
    links = [link("self", self_url, GEOJSON), link("root", f"{base}/")]
    if post:
        links += _post_paging_links(base, path, page, query, key)
    else:
        links += _paging_links(base, path, page, query, GEOJSON, key)
    return {"type": "FeatureCollection", "features": features, "links": links, **_counts(page)}


def _counts(page: Page) -> dict[str, Any]:
    """numberMatched when it is known exactly (else a lower bound when one is known),
    numberReturned, and whether the page is not all there is: a scan ran out of budget, or
    results follow that no link reaches."""
    counts: dict[str, Any] = {"numberReturned": len(page.hits)}
    if page.matched is not None:
        counts[AT_LEAST if page.at_least else "numberMatched"] = page.matched
    if page.capped or page.partial:
        counts[PARTIAL] = True
    return counts


def _fitting(features: list[dict[str, Any]]) -> int:
    """How many of ``features`` fit in :data:`MAX_FEATURE_BYTES` (always at least one)."""
    total = 0
    for count, feature in enumerate(features):
        total += len(orjson.dumps(feature))
        if total > MAX_FEATURE_BYTES and count > 0:
            return count
    return len(features)


def _page_tokens(page: Page, key: bytes) -> list[tuple[str, str | None]]:
    """(rel, signed token or None for the first page) of the next and previous pages."""
    found = []
    for rel, token in (("next", page.next_token()), ("prev", page.prev_token())):
        if token is not None:
            found.append((rel, None if token.cursor.at_start else tokens.encode(token, key)))
    return found


def _paging_links(
    base: str, path: str, page: Page, query: dict[str, Any], media_type: str, key: bytes
) -> list[dict[str, Any]]:
    kept = {k: _as_text(v) for k, v in query.items() if k != "token"}
    links = []
    for rel, token in _page_tokens(page, key):
        args = kept if token is None else kept | {"token": token}
        suffix = f"?{urlencode(args)}" if args else ""
        links.append(link(rel, f"{base}{path}{suffix}", media_type))
    return links


def _post_paging_links(
    base: str, path: str, page: Page, body: dict[str, Any], key: bytes
) -> list[dict[str, Any]]:
    kept = {k: v for k, v in body.items() if k != "token"}
    links = []
    for rel, token in _page_tokens(page, key):
        args = kept if token is None else kept | {"token": token}
        links.append(link(rel, f"{base}{path}", GEOJSON, method="POST", body=args))
    return links


def apply_fields(obj: dict[str, Any], fields: Fields | None) -> dict[str, Any]:
    """The fields extension: keep included dotted paths (plus identity), drop excluded ones."""
    if fields is None or not (fields.include or fields.exclude):
        return obj
    result = obj
    if fields.include:
        result = {k: obj[k] for k in ALWAYS_KEPT if k in obj}
        for path in fields.include:
            _copy_path(obj, result, path.split("."))
    for path in fields.exclude:
        if path not in fields.include and path not in ALWAYS_KEPT:
            result = _drop_path(result, path.split("."))
    return result


def _copy_path(source: dict[str, Any], target: dict[str, Any], parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if head not in source:
        return
    if not rest or not isinstance(source[head], dict):
        target[head] = source[head]
        return
    branch = target.setdefault(head, {})
    if isinstance(branch, dict):
        _copy_path(source[head], branch, rest)


def _drop_path(obj: dict[str, Any], parts: list[str]) -> dict[str, Any]:
    head, rest = parts[0], parts[1:]
    if head not in obj:
        return obj
    copy = dict(obj)
    if not rest:
        del copy[head]
    elif isinstance(copy[head], dict):
        copy[head] = _drop_path(copy[head], rest)
    return copy


def _with_links(obj: dict[str, Any], api_links: list[dict[str, Any]], href: str) -> dict[str, Any]:
    kept = [
        dict(lk)
        for lk in obj.get("links") or []
        if isinstance(lk, dict)
        and lk.get("rel") not in _STRUCTURAL
        and str(lk.get("href", "")).startswith(("http://", "https://"))
        and lk.get("rel") != "canonical"
    ]
    if href.startswith(FETCHABLE):
        media = GEOJSON if obj.get("type") == "Feature" else JSON
        kept.append(link("canonical", href, media, title="Source"))
    return {**obj, "links": api_links + kept}


def with_served_files(hit: Hit, folders: ServedFolders, base: str) -> Hit:
    """The hit with the ``file://`` hrefs (assets, links, its source) of the folders that
    ``stacsift serve`` serves replaced by their ``/files`` URLs under ``base``."""

    def served(entry: object) -> object:
        if not isinstance(entry, dict) or not isinstance(entry.get("href"), str):
            return entry
        url = folders.url(entry["href"], base)
        return entry if url is None else {**entry, "href": url}

    obj = dict(hit.obj)
    if isinstance(obj.get("assets"), dict):
        obj["assets"] = {k: served(v) for k, v in obj["assets"].items()}
    if isinstance(obj.get("links"), list):
        obj["links"] = [served(v) for v in obj["links"]]
    return replace(hit, obj=obj, href=folders.url(hit.href, base) or hit.href)


def collection_url(base: str, collection_id: str) -> str:
    return f"{base}/collections/{quote(collection_id, safe='')}"


def _as_text(value: object) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)
