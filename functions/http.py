"""What every function's HTTP edge shares: the one error → status table, JSON responses, and
the base URL of the request (for links)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any, cast

import orjson
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import snapstart
from functions.gateway import LocalContext
from stacsift.errors import (
    GenerationGone,
    IndexUnavailable,
    InvalidParameter,
    NotAllowed,
    NotFound,
    PresigningOff,
    StacsiftError,
    StoreError,
)

STATUS: dict[type[StacsiftError], tuple[int, str]] = {
    InvalidParameter: (400, "InvalidParameterValue"),
    PresigningOff: (403, "PresigningOff"),  # before NotAllowed, its base: the first match wins
    NotAllowed: (403, "Forbidden"),
    NotFound: (404, "NotFound"),
    GenerationGone: (410, "Gone"),
    IndexUnavailable: (503, "IndexUnavailable"),
    StoreError: (503, "StoreUnavailable"),
}
INTERNAL = {"code": "ServerError", "description": "internal error; see the function's logs"}


def status_of(err: StacsiftError) -> tuple[int, str]:
    """(HTTP status, error code) for a deliberate error; anything unlisted is a 500."""
    return next((v for k, v in STATUS.items() if isinstance(err, k)), (500, "ServerError"))


def json_response(
    body: dict[str, Any],
    content_type: str = "application/json",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_type,
        body=orjson.dumps(body).decode(),
        headers=headers,
    )


def error_response(err: StacsiftError, logger: Logger) -> Response[str]:
    """``{"code", "description"}`` with the status of :data:`STATUS`; 5xx are logged in full."""
    status, code = status_of(err)
    if status >= 500:
        logger.exception("request failed")
    elif status == 403:
        logger.info("refused: %s", err)
    return json_response({"code": code, "description": str(err)}, status=status)


def unexpected_response(logger: Logger) -> Response[str]:
    """A bug, not bad input: logged with its traceback, answered without one."""
    logger.exception("unexpected error")
    return json_response(INTERNAL, status=500)


# A host name or IP literal with an optional port: what links back into the API may carry.
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$")


def base_url(event: APIGatewayProxyEventV2, public_url: str | None = None) -> str:
    """``proto://host`` of the request, for links back into the API (a malformed ``host``
    header is a 400 naming it, so that it never reaches a link); ``public_url`` instead when the
    API is reached elsewhere (a custom domain with a base path, an emulator's path-style URL)."""
    if public_url:
        return public_url
    host = event.headers.get("host") or event.request_context.domain_name
    if not _HOST.match(host or ""):
        raise InvalidParameter("host", "is not a host name with an optional port")
    proto = event.headers.get("x-forwarded-proto")
    return f"{proto if proto in ('http', 'https') else 'https'}://{host}"


Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def lambda_handler(
    build_app: Callable[[], APIGatewayHttpResolver],
    logger: Logger,
    warmup: dict[str, Any] | None = None,
) -> Handler:
    """A Lambda handler that builds its app on first use (so importing it reads no settings)
    and logs with the API Gateway request id as correlation id.

    Under SnapStart the app is built, and answers ``warmup`` if given, before the snapshot, and
    is built again after a restore (:mod:`functions.snapstart`).
    """
    app = cache(build_app)

    def prime() -> None:
        built = app()
        if warmup is not None:
            built.resolve(warmup, cast(LambdaContext, LocalContext(function_name="snapstart")))

    snapstart.register(prime, app.cache_clear)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app().resolve(event, context)

    return handle
