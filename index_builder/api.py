"""STAC APIs: recognising a landing page, and the requests that page through one.

A root that is a landing page (a Catalog whose ``conformsTo`` names STAC API conformance
classes, or that links ``data`` or ``search``) is crawled through the API instead of its child
links: collections from ``/collections`` (following ``next``), then each collection's items from
``/collections/{id}/items`` (OGC API Features) or ``/search`` — GET or POST — again following
``next`` links wherever the server points them, with the method and body it gives (and its
``merge`` flag for POST bodies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from index_builder.fetch import Request
from index_builder.links import link_href, links_of, resolve

ItemsVia = Literal["auto", "items", "search", "search-post"]
FEATURES = "ogcapi-features"
SEARCH = "item-search"


@dataclass(frozen=True)
class Api:
    """What the landing page says about an API."""

    url: str
    conforms_to: tuple[str, ...]
    collections_url: str | None
    search_url: str | None
    search_methods: frozenset[str]

    @classmethod
    def from_landing(cls, url: str, landing: dict[str, Any]) -> Api:
        conforms = landing.get("conformsTo")
        data = link_href(landing, "data")
        search = None
        methods: set[str] = set()
        for link in links_of(landing):
            if link.get("rel") == "search" and isinstance(link.get("href"), str):
                search = search or resolve(url, link["href"])
                methods.add(str(link.get("method") or "GET").upper())
        if data is None and cls._conforms(conforms, "collections", FEATURES):
            data = url.rstrip("/") + "/collections"
        return cls(
            url=url,
            conforms_to=tuple(c for c in conforms if isinstance(c, str))
            if isinstance(conforms, list)
            else (),
            collections_url=resolve(url, data) if data else None,
            search_url=search,
            search_methods=frozenset(methods or {"GET"}),
        )

    @staticmethod
    def _conforms(conforms: object, *names: str) -> bool:
        if not isinstance(conforms, list):
            return False
        return any(isinstance(c, str) and c.rstrip("/").endswith(names) for c in conforms)

    def conforms(self, name: str) -> bool:
        return self._conforms(list(self.conforms_to), name)


def is_landing_page(document: dict[str, Any]) -> bool:
    """Whether a root document is a STAC API landing page rather than a static catalog."""
    if document.get("type") not in ("Catalog", None):
        return False
    conforms = document.get("conformsTo")
    if isinstance(conforms, list) and any(
        isinstance(c, str) and "api.stacspec.org" in c for c in conforms
    ):
        return True
    rels = {link.get("rel") for link in links_of(document)}
    return "data" in rels or {"search", "conformance"} <= rels


def collections_request(api: Api, max_bytes: int) -> Request | None:
    if api.collections_url is None:
        return None
    return Request(api.collections_url, max_bytes=max_bytes)


def items_request(
    api: Api, collection: dict[str, Any], via: ItemsVia, page_size: int, max_bytes: int
) -> Request | None:
    """The first page of a collection's items, by the route ``via`` asks for (or the best one)."""
    cid = str(collection["id"])
    if via in ("auto", "items"):
        href = link_href(collection, "items")
        if href is None and (via == "items" or api.conforms(FEATURES)):
            href = f"{api.collections_url or api.url.rstrip('/') + '/collections'}/{cid}/items"
        if href is not None:
            base = link_href(collection, "self") or api.url
            url = with_query(resolve(base, href), {"limit": str(page_size)})
            return Request(url, max_bytes=max_bytes)
    return search_request(api, [cid], via, page_size, max_bytes)


def search_request(
    api: Api, collections: list[str] | None, via: ItemsVia, page_size: int, max_bytes: int
) -> Request | None:
    """The first page of an item search, by GET unless POST is asked for or the only way."""
    if api.search_url is None:
        return None
    post = via == "search-post" or "GET" not in api.search_methods
    if post:
        body: dict[str, Any] = {"limit": page_size}
        if collections:
            body["collections"] = collections
        return Request(api.search_url, "POST", orjson.dumps(body), max_bytes=max_bytes)
    query = {"limit": str(page_size)}
    if collections:
        query["collections"] = ",".join(collections)
    return Request(with_query(api.search_url, query), max_bytes=max_bytes)


def next_request(page: dict[str, Any], current: Request) -> Request | None:
    """The request for the page after ``page``, from its ``next`` link, if there is one."""
    link = next((lk for lk in links_of(page) if lk.get("rel") == "next"), None)
    if link is None or not isinstance(link.get("href"), str) or not link["href"]:
        return None
    url = resolve(current.url, link["href"])
    method = str(link.get("method") or "GET").upper()
    if method != "POST":
        return Request(url, max_bytes=current.max_bytes)
    body = link.get("body")
    if link.get("merge") and current.body:
        previous = orjson.loads(current.body)
        if isinstance(previous, dict):
            body = {**previous, **(body if isinstance(body, dict) else {})}
    payload = orjson.dumps(body) if body is not None else current.body
    return Request(url, "POST", payload, max_bytes=current.max_bytes)


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` added to its query string unless already there."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _ in query}
    query += [(name, value) for name, value in params.items() if name not in present]
    return urlunsplit(parts._replace(query=urlencode(query, safe=",:/")))
