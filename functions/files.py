"""``GET``/``HEAD /files/<folder>/<path>``: the folders a local index was crawled from, read-only.

Only ``stacsift serve`` mounts it (the files are on the serving machine's disk). Single byte
ranges are answered with ``206`` (``Range: bytes=a-b``, ``a-``, ``-n``), so GDAL's ``/vsicurl/``
reads a COG's header and tiles without downloading it; which files exist is the core's
business (:class:`stacsift.files.ServedFolders`, traversal-proof).
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from functions.http import Handler, status_of
from stacsift.errors import InvalidParameter, StacsiftError
from stacsift.files import FILES_PREFIX, ServedFolders

MAX_WHOLE_BYTES = 64 * 1024 * 1024
"""Larger files are only served in ranges (a whole response is held in memory)."""
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_TYPES = {".tif": "image/tiff", ".tiff": "image/tiff", ".json": "application/json"}
_COMMON = {"accept-ranges": "bytes", "access-control-allow-origin": "*"}


def make_handler(folders: Callable[[], ServedFolders]) -> Handler:
    """A handler serving the files of ``folders()`` (asked per request: the index may change)."""

    def handle(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        method = str(event.get("requestContext", {}).get("http", {}).get("method", "GET"))
        if method == "OPTIONS":
            return _reply(204, {"access-control-allow-headers": "range"}, b"")
        if method not in ("GET", "HEAD"):
            return _error(405, "MethodNotAllowed", f"{method} is not allowed on files")
        served = str(event.get("rawPath", "")).removeprefix(FILES_PREFIX).lstrip("/")
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        try:
            path = folders().path(served)
            return _file(path, headers.get("range"), head=method == "HEAD")
        except _Unsatisfiable as err:
            return _reply(416, {"content-range": f"bytes */{err.size}"}, b"")
        except StacsiftError as err:
            status, code = status_of(err)
            return _error(status, code, str(err))

    return handle


def _file(path: Path, range_header: str | None, *, head: bool) -> dict[str, Any]:
    size = path.stat().st_size
    kind = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    headers = {"content-type": kind or "application/octet-stream"}
    wanted = _byte_range(range_header, size) if range_header else None
    if wanted is None and size > MAX_WHOLE_BYTES and not head:
        raise InvalidParameter("Range", f"the file has {size} bytes: ask for byte ranges")
    if wanted is None:
        start, end, status = 0, size, 200
    else:
        (start, end), status = wanted, 206
        headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
    headers["content-length"] = str(end - start)
    if head:
        return _reply(status, headers, b"")
    with path.open("rb") as file:
        file.seek(start)
        return _reply(status, headers, file.read(end - start))


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """``[start, end)`` of a single ``bytes=`` range; None (the whole file) for forms this
    server does not answer in part, as HTTP allows; 416 when it lies beyond the file."""
    match = _RANGE.match(header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        start, end = max(size - int(last), 0), size
    else:
        start, end = int(first), min(int(last) + 1, size) if last else size
    if start >= size or start >= end:
        raise _Unsatisfiable(size)
    return start, end


class _Unsatisfiable(StacsiftError):
    def __init__(self, size: int) -> None:
        super().__init__(f"Range: beyond the {size} bytes of the file")
        self.size = size


def _reply(status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": _COMMON | headers,
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def _error(status: int, code: str, description: str) -> dict[str, Any]:
    body = orjson.dumps({"code": code, "description": description})
    return {
        "statusCode": status,
        "headers": _COMMON | {"content-type": "application/json"},
        "body": body.decode(),
        "isBase64Encoded": False,
    }
