"""The search Lambda: a STAC API v1.0.0 (core, collections, features, item search) over the index.

Thin by design: routes parse parameters with the core, call the core, and shape STAC JSON with
:mod:`functions.stac_api`. Errors map to HTTP statuses in one table (:data:`functions.http.STATUS`).
"""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response

from functions import openapi, stac_api
from functions.gateway import to_event
from functions.http import (
    Handler,
    base_url,
    error_response,
    json_response,
    lambda_handler,
    unexpected_response,
)
from stacsift import hierarchy, queryables
from stacsift.errors import (
    InvalidParameter,
    StacsiftError,
)
from stacsift.files import ServedFolders
from stacsift.index import schema
from stacsift.index.reader import IndexReader, OpenIndex, open_reader
from stacsift.query import params
from stacsift.query.request import Limits, check_body, parse_search
from stacsift.search import Hit, Page, get_collection, get_item, search_items
from stacsift.settings import SearchSettings

logger = Logger(service="stacsift-search")
logging.getLogger(logger.name).propagate = False  # its own JSON lines, not once more via root

COLLECTION_SEARCH_PARAMS = ("q", "bbox", "datetime", "limit", "token")


class _Api:
    """The routes of one index root; each reads the request, calls the core, shapes JSON."""

    def __init__(
        self, app: APIGatewayHttpResolver, settings: SearchSettings, reader: IndexReader | None
    ) -> None:
        self.app = app
        self.settings = settings
        self.reader = reader
        self.limits = Limits(settings.default_limit, settings.max_limit)
        self.key = settings.signing_key

    def index(self, request: params.SearchRequest | None = None) -> OpenIndex:
        """The current generation, or the one a page token was made on."""
        if self.reader is None:
            self.reader = open_reader(
                self.settings.root,
                self.settings.store,
                self.settings.cache_dir,
                self.settings.manifest_ttl_seconds,
            )
        if request is not None and request.token is not None:
            return self.reader.generation(request.token.generation)
        return self.reader.current()

    def parse(self, raw: dict[str, Any], *, post: bool) -> params.SearchRequest:
        return parse_search(raw, post=post, limits=self.limits, token_key=self.key)

    def base(self) -> str:
        return base_url(self.app.current_event, self.settings.public_url)

    def query(self) -> dict[str, Any]:
        return dict(self.app.current_event.query_string_parameters or {})

    def landing(self) -> Response[str]:
        index = self.index()
        top = [h.obj for h in hierarchy.top_level(index)]
        about = _about(self.settings, hierarchy.root_catalog(index))
        return json_response(stac_api.landing_page(self.base(), top, stac_api.CONFORMANCE, about))

    def children(self) -> Response[str]:
        top = [self._served(h) for h in hierarchy.top_level(self.index())]
        base = self.base()
        return json_response(stac_api.children_out(base, f"{base}/children", top))

    def catalog(self, catalog_id: str) -> Response[str]:
        index = self.index()
        found = hierarchy.get_catalog(index, catalog_id)
        below = [h.obj for h in hierarchy.children(index, found)]
        return json_response(stac_api.catalog_out(self.base(), self._served(found), below))

    def catalog_children(self, catalog_id: str) -> Response[str]:
        index = self.index()
        below = hierarchy.children(index, hierarchy.get_catalog(index, catalog_id))
        base = self.base()
        self_url = f"{stac_api.catalog_url(base, catalog_id)}/children"
        return json_response(
            stac_api.children_out(base, self_url, [self._served(h) for h in below])
        )

    def conformance(self) -> Response[str]:
        return json_response({"conformsTo": stac_api.CONFORMANCE})

    def api(self) -> Response[str]:
        return json_response(openapi.document(self.base()), stac_api.OPENAPI)

    def api_html(self) -> Response[str]:
        return Response(200, "text/html; charset=utf-8", openapi.html(self.base()))

    def queryables(self) -> Response[str]:
        summaries = self.index().manifest.collections.values()
        properties = queryables.merged(s.queryables for s in summaries)
        body = queryables.document(f"{self.base()}/queryables", properties)
        return json_response(body, "application/schema+json")

    def collection_queryables(self, collection_id: str) -> Response[str]:
        index = self.index()
        get_collection(index, collection_id)  # 404 for an unknown collection
        summary = index.manifest.collections.get(collection_id)
        url = f"{stac_api.collection_url(self.base(), collection_id)}/queryables"
        body = queryables.document(url, summary.queryables if summary else {})
        return json_response(body, "application/schema+json")

    def collections(self) -> Response[str]:
        raw = self.query()
        unknown = set(raw) - set(COLLECTION_SEARCH_PARAMS)
        if unknown:
            raise InvalidParameter(sorted(unknown)[0], "is not a collection search parameter")
        request = self.parse(raw, post=False)
        page = self._served_page(
            search_items(self.index(request), request, kind=schema.TYPE_COLLECTION)
        )
        base = self.base()
        self_url = f"{base}/collections" + (f"?{urlencode(raw)}" if raw else "")
        return json_response(stac_api.collections_out(base, page, self_url, raw, self.key))

    def collection(self, collection_id: str) -> Response[str]:
        found = get_collection(self.index(), collection_id)
        return json_response(stac_api.collection_out(self.base(), self._served(found)))

    def collection_items(self, collection_id: str) -> Response[str]:
        get_collection(self.index(), collection_id)  # 404 for an unknown collection
        raw = self.query()
        request = self.parse(raw | {"collections": collection_id}, post=False)
        path = f"/collections/{quote(collection_id, safe='')}/items"
        return self._page(request, raw, path, post=False)

    def item(self, collection_id: str, item_id: str) -> Response[str]:
        found = get_item(self.index(), collection_id, item_id)
        return json_response(stac_api.item_out(self.base(), self._served(found)), stac_api.GEOJSON)

    def search_get(self) -> Response[str]:
        raw = self.query()
        request = self.parse(raw, post=False)
        return self._page(request, raw, "/search", post=False)

    def search_post(self) -> Response[str]:
        event = self.app.current_event
        raw = event.body or ""
        body = _json_body(base64.b64decode(raw) if event.is_base64_encoded else raw.encode())
        request = self.parse(body, post=True)
        return self._page(request, body, "/search", post=True)

    def _page(
        self, request: params.SearchRequest, raw: dict[str, Any], path: str, *, post: bool
    ) -> Response[str]:
        found = search_items(self.index(request), request, count_limit=self.settings.count_limit)
        page = self._served_page(found)
        body = stac_api.item_collection(
            self.base(), path, page, raw, post=post, fields=request.fields, key=self.key
        )
        return json_response(body, stac_api.GEOJSON)

    def _served(self, hit: Hit) -> Hit:
        """``file://`` hrefs as ``/files`` URLs, when this server serves the crawled folders."""
        if not self.settings.serve_files:
            return hit
        folders = ServedFolders.of_sources(self.index().manifest.sources)
        return stac_api.with_served_files(hit, folders, self.base())

    def _served_page(self, page: Page) -> Page:
        if not self.settings.serve_files:
            return page
        return replace(page, hits=[self._served(hit) for hit in page.hits])

    def error(self, err: StacsiftError) -> Response[str]:
        return error_response(err, logger)

    def unexpected(self, _: Exception) -> Response[str]:
        return unexpected_response(logger)

    def not_found(self, _: Exception) -> Response[str]:
        path = self.app.current_event.path
        return json_response({"code": "NotFound", "description": f"no route {path}"}, status=404)


ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/", "landing"),
    ("GET", "/conformance", "conformance"),
    ("GET", "/api", "api"),
    ("GET", "/api.html", "api_html"),
    ("GET", "/queryables", "queryables"),
    ("GET", "/children", "children"),
    ("GET", "/catalogs/<catalog_id>", "catalog"),
    ("GET", "/catalogs/<catalog_id>/children", "catalog_children"),
    ("GET", "/collections", "collections"),
    ("GET", "/collections/<collection_id>", "collection"),
    ("GET", "/collections/<collection_id>/queryables", "collection_queryables"),
    ("GET", "/collections/<collection_id>/items", "collection_items"),
    ("GET", "/collections/<collection_id>/items/<item_id>", "item"),
    ("GET", "/search", "search_get"),
    ("POST", "/search", "search_post"),
]


def create_app(
    settings: SearchSettings, reader: IndexReader | None = None
) -> APIGatewayHttpResolver:
    """The HTTP API for one index root; ``reader`` is built from ``settings`` when not given."""
    app = APIGatewayHttpResolver(cors=CORSConfig(allow_origin="*", max_age=600))
    api = _Api(app, settings, reader)
    for method, path, name in ROUTES:
        app.route(path, method)(getattr(api, name))
    app.exception_handler(StacsiftError)(api.error)
    app.exception_handler(Exception)(api.unexpected)
    app.not_found(api.not_found)
    return app


def _about(settings: SearchSettings, root: Hit | None) -> stac_api.About:
    """The landing page's words: the settings', else the crawled root catalog's."""
    default = stac_api.About()
    obj = root.obj if root is not None else {}
    return stac_api.About(
        id=str(obj.get("id") or default.id),
        title=settings.title or str(obj.get("title") or obj.get("id") or default.title),
        description=settings.description or str(obj.get("description") or default.description),
    )


def _json_body(body: bytes) -> dict[str, Any]:
    check_body(body)
    try:
        parsed = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError as err:
        raise InvalidParameter("body", f"is not valid JSON: {err}") from None
    if not isinstance(parsed, dict):
        raise InvalidParameter("body", "must be a JSON object")
    return parsed


def make_handler(
    settings: SearchSettings | None = None, reader: IndexReader | None = None
) -> Handler:
    """A Lambda handler for ``settings`` (read from the environment on first use when None).

    ``reader`` lets a local server share one opened index between functions.
    """
    return lambda_handler(
        lambda: create_app(settings or SearchSettings.from_env(os.environ), reader),
        logger,
        warmup=WARMUP,
    )


WARMUP = to_event("GET", "/search?limit=1", {"host": "snapstart.invalid"}, b"", "127.0.0.1")
"""Answered before a SnapStart snapshot: the index is downloaded and opened, a search imported."""


handler = make_handler()
"""The Lambda entry point: ``functions.search.handler``."""
