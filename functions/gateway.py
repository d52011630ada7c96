"""A local HTTP gateway: each request becomes an API Gateway HTTP API (payload v2) event.

``stacsift serve`` runs the very handler that runs on Lambda behind this gateway, so local runs
and tests exercise the same code path as AWS.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
MAX_BODY_BYTES = 6 * 1024 * 1024  # API Gateway's own request limit is 10 MB; Lambda's is 6 MB


@dataclass
class LocalContext:
    """The attributes of a Lambda context that handlers and powertools read."""

    function_name: str = "stacsift-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:stacsift-local"
    aws_request_id: str = ""
    log_group_name: str = "/aws/lambda/stacsift-local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def to_event(
    method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str
) -> dict[str, Any]:
    """The API Gateway HTTP API v2 event for one request."""
    parts = urlsplit(target)
    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    lowered = {k.lower(): v for k, v in headers.items()}
    request_id = str(uuid.uuid4())
    text_body, is_binary = _body(body, lowered.get("content-type", ""))
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": unquote(parts.path) or "/",
        "rawQueryString": parts.query,
        "headers": lowered,
        "queryStringParameters": query or None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": lowered.get("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": unquote(parts.path) or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "body": text_body,
        "isBase64Encoded": is_binary,
    }


def _body(body: bytes, content_type: str) -> tuple[str | None, bool]:
    if not body:
        return None, False
    if "json" in content_type or content_type.startswith("text/"):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


def dispatch(prefixes: dict[str, Handler], default: Handler) -> Handler:
    """One handler for several functions: a path at or under a prefix goes to that prefix's handler.

    This stands in for API Gateway's routes locally (``/sign…`` → presign, the rest → search).
    """

    def route(event: dict[str, Any], context: Any) -> dict[str, Any]:
        path = str(event.get("rawPath") or "/")
        for prefix, handler in prefixes.items():
            if path == prefix or path.startswith(f"{prefix}/"):
                return handler(event, context)
        return default(event, context)

    return route


def _content_length(method: str, headers: dict[str, str], data: bytes) -> str:
    """The body's length; for HEAD, the length a GET would have (as the handler says)."""
    if method == "HEAD":
        given = [v for k, v in headers.items() if k.lower() == "content-length"]
        if given:
            return given[0]
    return str(len(data))


def make_server(handler: Handler, host: str, port: int) -> ThreadingHTTPServer:
    """A server (not yet serving) that passes every request to ``handler``."""

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle's algorithm on, the body waits for
        # the client's delayed ACK (~40 ms) on every keep-alive request.
        disable_nagle_algorithm = True
        # What http.server itself refuses (overlong request lines, too many headers) is
        # answered in the API's error shape too.
        error_content_type = "application/json"
        error_message_format = '{"code": "HTTP%(code)d", "description": "%(message)s"}'

        def _invoke(self) -> None:
            declared = (self.headers.get("content-length") or "0").strip()
            length = int(declared) if declared.isdigit() and len(declared) < 16 else -1
            if not 0 <= length <= MAX_BODY_BYTES:
                self.close_connection = True  # the unread body must not be taken for a request
                self._reply(
                    413 if length > MAX_BODY_BYTES else 400,
                    {"content-type": "application/json"},
                    b'{"code":"InvalidParameterValue","description":"content-length: '
                    b'must be a number of bytes up to 6 MiB"}',
                )
                return
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()}
            headers.setdefault("x-forwarded-proto", "http")
            event = to_event(self.command, self.path, headers, body, self.client_address[0])
            context = LocalContext(aws_request_id=event["requestContext"]["requestId"])
            try:
                result = handler(event, context)
            except Exception:
                logger.exception("handler raised")
                self._reply(
                    502,
                    {"content-type": "application/json"},
                    b'{"code":"BadGateway","description":"the function failed"}',
                )
                return
            payload = result.get("body") or ""
            data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
            headers_out = dict(result.get("headers") or {})
            self._reply(
                int(result.get("statusCode", 200)), headers_out, data, result.get("cookies") or []
            )

        def _reply(
            self,
            status: int,
            headers: dict[str, str],
            data: bytes,
            cookies: list[str] | None = None,
        ) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            for cookie in cookies or []:
                self.send_header("set-cookie", cookie)
            length = _content_length(self.command, headers, data)
            self.send_header("content-length", length)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _invoke

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s - %s", self.address_string(), format % args)

    server = ThreadingHTTPServer((host, port), RequestHandler)
    server.daemon_threads = True
    return server
