"""The search Lambda: a STAC API (landing, collections, items, item search) over the index.

Thin by design: routes parse parameters with the core, call the core, and shape STAC JSON.
Errors map to HTTP statuses in one table (:data:`STATUS`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import unquote

import orjson
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    CORSConfig,
    Response,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import stac_api
from stacsift.errors import (
    IndexUnavailable,
    InvalidParameter,
    NotFound,
    StacsiftError,
    StoreError,
)
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query import params
from stacsift.search import get_collection, get_item, list_collections, search_items
from stacsift.settings import SearchSettings
from stacsift.store import open_bucket

logger = Logger(service="stacsift-search")

STATUS: dict[type[StacsiftError], tuple[int, str]] = {
    InvalidParameter: (400, "InvalidParameterValue"),
    NotFound: (404, "NotFound"),
    IndexUnavailable: (503, "IndexUnavailable"),
    StoreError: (503, "StoreUnavailable"),
}


class _Api:
    """The routes of one index root; each reads the request, calls the core, shapes JSON."""

    def __init__(
        self, app: APIGatewayHttpResolver, settings: SearchSettings, reader: IndexReader | None
    ) -> None:
        self.app = app
        self.settings = settings
        self.reader = reader

    def index(self) -> OpenIndex:
        if self.reader is None:
            bucket = open_bucket(self.settings.root, self.settings.store)
            self.reader = IndexReader(
                bucket, self.settings.cache_dir, self.settings.manifest_ttl_seconds
            )
        return self.reader.current()

    def base(self) -> str:
        event = self.app.current_event
        host = event.headers.get("host") or event.request_context.domain_name
        proto = event.headers.get("x-forwarded-proto") or "https"
        return f"{proto}://{host}"

    def query(self) -> dict[str, Any]:
        return dict(self.app.current_event.query_string_parameters or {})

    def landing(self) -> Response[str]:
        return _json(stac_api.landing_page(self.base(), list_collections(self.index())))

    def conformance(self) -> Response[str]:
        return _json({"conformsTo": stac_api.CONFORMANCE})

    def collections(self) -> Response[str]:
        return _json(stac_api.collections_out(self.base(), list_collections(self.index())))

    def collection(self, collection_id: str) -> Response[str]:
        found = get_collection(self.index(), unquote(collection_id))
        return _json(stac_api.collection_out(self.base(), found))

    def collection_items(self, collection_id: str) -> Response[str]:
        cid = unquote(collection_id)
        get_collection(self.index(), cid)  # 404 for an unknown collection
        query = self.query() | {"collections": cid}
        return self.search(query, f"/collections/{collection_id}/items")

    def item(self, collection_id: str, item_id: str) -> Response[str]:
        found = get_item(self.index(), unquote(collection_id), unquote(item_id))
        return _json(stac_api.item_out(self.base(), found), stac_api.GEOJSON)

    def search_get(self) -> Response[str]:
        return self.search(self.query(), "/search")

    def search_post(self) -> Response[str]:
        return self.search(_json_body(self.app.current_event.body), "/search")

    def search(self, query: dict[str, Any], path: str) -> Response[str]:
        opened = self.index()
        page = search_items(opened, _request(query, self.settings))
        next_query = None
        if page.next_offset is not None:
            next_query = {k: _as_text(v) for k, v in query.items() if k != "token"}
            next_query["token"] = params.encode_token(opened.manifest.generation, page.next_offset)
        base = self.base()
        body = stac_api.feature_collection(
            base, page.features, page.matched, f"{base}{path}", next_query, path
        )
        return _json(body, stac_api.GEOJSON)

    def error(self, err: StacsiftError) -> Response[str]:
        status, code = next(
            (v for k, v in STATUS.items() if isinstance(err, k)), (500, "ServerError")
        )
        if status >= 500:
            logger.exception("request failed")
        return _json({"code": code, "description": str(err)}, status=status)

    def unexpected(self, _: Exception) -> Response[str]:
        logger.exception("unexpected error")
        body = {"code": "ServerError", "description": "internal error; see the function's logs"}
        return _json(body, status=500)

    def not_found(self, _: Exception) -> Response[str]:
        path = self.app.current_event.path
        return _json({"code": "NotFound", "description": f"no route {path}"}, status=404)


def create_app(
    settings: SearchSettings, reader: IndexReader | None = None
) -> APIGatewayHttpResolver:
    """The HTTP API for one index root; ``reader`` is built from ``settings`` when not given."""
    app = APIGatewayHttpResolver(cors=CORSConfig(allow_origin="*", max_age=600))
    api = _Api(app, settings, reader)
    app.get("/")(api.landing)
    app.get("/conformance")(api.conformance)
    app.get("/collections")(api.collections)
    app.get("/collections/<collection_id>")(api.collection)
    app.get("/collections/<collection_id>/items")(api.collection_items)
    app.get("/collections/<collection_id>/items/<item_id>")(api.item)
    app.get("/search")(api.search_get)
    app.post("/search")(api.search_post)
    app.exception_handler(StacsiftError)(api.error)
    app.exception_handler(Exception)(api.unexpected)
    app.not_found(api.not_found)
    return app


def _request(query: dict[str, Any], settings: SearchSettings) -> params.SearchRequest:
    token = params.decode_token(query.get("token"))
    q = query.get("q")
    if isinstance(q, list):
        q = ",".join(str(t) for t in q)
    if q is not None and not isinstance(q, str):
        raise InvalidParameter("q", "must be a string or a list of strings")
    return params.SearchRequest(
        q=q or None,
        collections=params.parse_list("collections", query.get("collections")),
        ids=params.parse_list("ids", query.get("ids")),
        bbox=params.parse_bbox(query.get("bbox")),
        datetime=params.parse_datetime(_optional_str("datetime", query.get("datetime"))),
        limit=params.parse_limit(
            query.get("limit"), default=settings.default_limit, maximum=settings.max_limit
        ),
        offset=token[1] if token else 0,
    )


def _json_body(body: str | None) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body or "{}")
    except orjson.JSONDecodeError as err:
        raise InvalidParameter("body", f"is not valid JSON: {err}") from None
    if not isinstance(parsed, dict):
        raise InvalidParameter("body", "must be a JSON object")
    return parsed


def _optional_str(name: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidParameter(name, "must be a string")


def _as_text(value: object) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _json(
    body: dict[str, Any], content_type: str = "application/json", status: int = 200
) -> Response[str]:
    return Response(status_code=status, content_type=content_type, body=orjson.dumps(body).decode())


def make_handler(
    settings: SearchSettings | None = None, reader: IndexReader | None = None
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """A Lambda handler for ``settings`` (read from the environment on first use when None).

    ``reader`` lets a local server share one opened index between functions.
    """

    @cache
    def app() -> APIGatewayHttpResolver:
        return create_app(settings or SearchSettings.from_env(os.environ), reader)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app().resolve(event, context)

    return handle


handler = make_handler()
"""The Lambda entry point: ``functions.search.handler``."""
