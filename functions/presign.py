"""The presign Lambda: presigned GET URLs for allow-listed objects, so COG readers need no keys.

Routes (errors are JSON ``{"code", "description"}`` with the status of
:data:`functions.http.STATUS`):

- ``GET /sign?href=…[&expires=…][&redirect=true]`` — one href: JSON with the URL and its expiry,
  or a ``307`` to the URL (what ``/vsicurl/`` and browsers follow);
- ``POST /sign`` with ``{"hrefs": [...], "expires": …}`` (or a bare list) — many hrefs, each
  signed or refused on its own;
- ``GET /sign/collections/{collection}/items/{item}[?expires=…]`` — the item from the index with
  every signable asset href signed and the expiry in ``properties["stacsift:expiry"]``.

Only GET URLs are ever signed. Signed URLs are never logged; the credentials never leave the
signer.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import orjson
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response

from functions import stac_api
from functions.http import (
    Handler,
    base_url,
    error_response,
    json_response,
    lambda_handler,
    status_of,
    unexpected_response,
)
from stacsift.errors import (
    IndexUnavailable,
    InvalidParameter,
    PresigningOff,
    StacsiftError,
)
from stacsift.index.reader import IndexReader, OpenIndex, open_reader
from stacsift.search import Hit, get_item
from stacsift.settings import PresignSettings
from stacsift.signing.presigner import Presigner, Signed, presigner, rfc3339

logger = Logger(service="stacsift-presign")
logging.getLogger(logger.name).propagate = False  # its own JSON lines, not once more via root

NO_STORE = {"Cache-Control": "no-store"}  # signed URLs are bearer tokens: keep them out of caches


class _Api:
    """The routes; each reads the request, calls the core, shapes JSON."""

    def __init__(
        self,
        app: APIGatewayHttpResolver,
        settings: PresignSettings,
        signing: Presigner,
        reader: IndexReader | None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.signing = signing
        self.reader = reader

    def query(self) -> dict[str, str]:
        return dict(self.app.current_event.query_string_parameters or {})

    def _require_on(self, href: str = "") -> None:
        """With an empty allow-list every route says so, instead of refusing each href."""
        if not self.settings.allow:
            raise PresigningOff(href)

    def sign_get(self) -> Response[str]:
        query = self.query()
        expires = self.signing.expires(query.get("expires"))
        href = query.get("href")
        self._require_on(href or "")
        if not href:
            raise InvalidParameter("href", "is required: the s3:// or https:// URL to sign")
        redirect = _flag("redirect", query.get("redirect"))
        signed = self.signing.sign(href, expires)
        logger.info("signed %s for %ss", href, expires)
        if redirect:
            return Response(307, headers={"Location": signed.url, **NO_STORE}, body="")
        return json_response(_signed_out(signed) | {"expires_in": expires}, headers=NO_STORE)

    def sign_post(self) -> Response[str]:
        self._require_on()
        hrefs, raw_expires = _hrefs_body(self.app.current_event.decoded_body, self.settings)
        expires = self.signing.expires(raw_expires)
        expiry, results = self.signing.sign_many(hrefs, expires)
        out = [_signed_out(r) if isinstance(r, Signed) else _refused(r) for r in results]
        refused = sum(1 for r in results if not isinstance(r, Signed))
        logger.info("signed %s of %s hrefs for %ss", len(out) - refused, len(out), expires)
        body = {"expiry": rfc3339(expiry), "expires_in": expires, "hrefs": out}
        return json_response(body, headers=NO_STORE)

    def sign_item(self, collection_id: str, item_id: str) -> Response[str]:
        self._require_on()
        expires = self.signing.expires(self.query().get("expires"))
        hit = get_item(self.index(), collection_id, item_id)
        signed = self.signing.sign_item(hit.obj, expires, source=hit.href)
        logger.info("signed %s assets of item %s for %ss", len(signed.signed), item_id, expires)
        body = stac_api.item_out(self.base(), Hit(signed.item, hit.href))
        return json_response(body, stac_api.GEOJSON, headers=NO_STORE)

    def index(self) -> OpenIndex:
        if self.reader is None:
            if not self.settings.root:
                raise IndexUnavailable("no index configured for item signing: set STACSIFT_ROOT")
            self.reader = open_reader(
                self.settings.root,
                self.settings.store,
                self.settings.cache_dir,
                self.settings.manifest_ttl_seconds,
            )
        return self.reader.current()

    def base(self) -> str:
        return base_url(self.app.current_event, self.settings.public_url)

    def error(self, err: StacsiftError) -> Response[str]:
        return error_response(err, logger)

    def unexpected(self, _: Exception) -> Response[str]:
        return unexpected_response(logger)

    def not_found(self, _: Exception) -> Response[str]:
        path = self.app.current_event.path
        if path == "/sign" or path.startswith("/sign/"):
            method = self.app.current_event.http_method
            body = {"code": "MethodNotAllowed", "description": f"{method} is not served on {path}"}
            return json_response(body, status=405, headers={"Allow": "GET, POST, OPTIONS"})
        return json_response({"code": "NotFound", "description": f"no route {path}"}, status=404)


def create_app(
    settings: PresignSettings,
    reader: IndexReader | None = None,
    signing: Presigner | None = None,
) -> APIGatewayHttpResolver:
    """The HTTP API of the presign function; the reader and presigner come from ``settings``."""
    app = APIGatewayHttpResolver(cors=CORSConfig(allow_origin="*", max_age=600))
    api = _Api(app, settings, signing or presigner(settings), reader)
    app.get("/sign")(api.sign_get)
    app.post("/sign")(api.sign_post)
    app.get("/sign/collections/<collection_id>/items/<item_id>")(api.sign_item)
    app.exception_handler(StacsiftError)(api.error)
    app.exception_handler(Exception)(api.unexpected)
    app.not_found(api.not_found)
    return app


def _signed_out(signed: Signed) -> dict[str, Any]:
    return {"href": signed.href, "url": signed.url, "expiry": rfc3339(signed.expiry)}


def _refused(err: StacsiftError) -> dict[str, Any]:
    status, code = status_of(err)
    href = getattr(err, "href", None)
    return {"href": href, "status": status, "code": code, "description": str(err)}


def _hrefs_body(body: str | None, settings: PresignSettings) -> tuple[list[str], object]:
    """``(hrefs, expires)`` from ``{"hrefs": [...], "expires": n}`` or a bare JSON list."""
    try:
        parsed = orjson.loads(body or "null")
    except orjson.JSONDecodeError as err:
        raise InvalidParameter("body", f"is not valid JSON: {err}") from None
    expires: object = None
    if isinstance(parsed, dict):
        hrefs, expires = parsed.get("hrefs"), parsed.get("expires")
    else:
        hrefs = parsed
    if not isinstance(hrefs, list) or not all(isinstance(h, str) for h in hrefs) or not hrefs:
        raise InvalidParameter("hrefs", 'must be a non-empty list of strings: {"hrefs": [...]}')
    if len(hrefs) > settings.max_hrefs:
        raise InvalidParameter("hrefs", f"at most {settings.max_hrefs} per request")
    return hrefs, expires


def _flag(name: str, value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in ("", "0", "false", "no"):
        return False
    if text in ("1", "true", "yes"):
        return True
    raise InvalidParameter(name, f"must be true or false, got {value!r}")


def make_handler(
    settings: PresignSettings | None = None, reader: IndexReader | None = None
) -> Handler:
    """A Lambda handler for ``settings`` (read from the environment on first use when None).

    ``reader`` lets a local server share one opened index with the search function.
    """
    return lambda_handler(
        lambda: create_app(settings or PresignSettings.from_env(os.environ), reader), logger
    )


handler = make_handler()
"""The Lambda entry point: ``functions.presign.handler``."""
