"""``s3://bucket/key`` documents on any S3-compatible service, through obstore.

Stores come from :func:`stacsift.store.open_bucket` with the project's :class:`StoreSettings`
(endpoint and credentials from the standard AWS variables, or unsigned for public buckets), one
per bucket. obstore already retries throttling and server errors with backoff inside each call,
so failures that reach this module are reported as they are rather than retried again. Cached
copies are revalidated with ``If-None-Match`` on the object's ETag.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import obstore
from obstore.exceptions import (
    BaseError,
    NotFoundError,
    NotModifiedError,
    PermissionDeniedError,
    UnauthenticatedError,
)

from index_builder.fetch import (
    STREAM_CHUNK,
    FetchFailed,
    Request,
    Response,
    Stream,
    json_content_type,
)
from stacsift.errors import StacsiftError
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket

if TYPE_CHECKING:
    from obstore import GetOptions, GetResult
    from obstore.store import ObjectStore


class S3Fetcher:
    """Fetches ``s3://`` URLs; safe to share between threads (obstore releases the GIL)."""

    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings
        self._stores: dict[str, ObjectStore] = {}
        self._lock = threading.Lock()

    def fetch(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        key = unquote(parts.path.lstrip("/"))
        store = self._store(request.url, parts.netloc)
        options: GetOptions = {}
        if request.etag:
            options["if_none_match"] = request.etag
        try:
            result = obstore.get(store, key, options=options)
            meta = result.meta
            if meta["size"] > request.max_bytes:
                raise FetchFailed(request.url, f"larger than {request.max_bytes} bytes")
            content_type = result.attributes.get("Content-Type")
            if not json_content_type(content_type):
                raise FetchFailed(request.url, f"content type {content_type} is not JSON")
            body = bytes(result.bytes())
        except NotModifiedError:
            return Response(request.url, None, request.etag, request.last_modified)
        except (BaseError, OSError, RuntimeError) as err:  # obstore raises all three
            raise _error(request.url, err) from err
        return Response(request.url, body, etag=meta.get("e_tag"), content_type=content_type)

    def open(self, request: Request) -> Stream:
        """The object in chunks; "not modified" (a conditional GET, one request like a HEAD)
        while its ETag is still ``request.etag``."""
        parts = urlsplit(request.url)
        store = self._store(request.url, parts.netloc)
        options: GetOptions = {"if_none_match": request.etag} if request.etag else {}
        try:
            result = obstore.get(store, unquote(parts.path.lstrip("/")), options=options)
        except NotModifiedError:
            return Stream(request.url, modified=False, etag=request.etag)
        except (BaseError, OSError, RuntimeError) as err:
            raise _error(request.url, err) from err
        meta = result.meta
        modified = meta.get("last_modified")
        return Stream(
            request.url,
            size=meta["size"],
            etag=meta.get("e_tag"),
            last_modified=format_datetime(modified, usegmt=True) if modified else None,
            chunks=_chunks(request.url, result),
        )

    def close(self) -> None:
        with self._lock:
            self._stores.clear()

    def _store(self, url: str, bucket: str) -> ObjectStore:
        with self._lock:
            store = self._stores.get(bucket)
            if store is None:
                try:
                    store = open_bucket(f"s3://{bucket}", self.settings).store
                except StacsiftError as err:
                    raise FetchFailed(url, str(err)) from err
                self._stores[bucket] = store
            return store


def _chunks(url: str, result: GetResult) -> Iterator[bytes]:
    try:
        for chunk in result.stream(min_chunk_size=STREAM_CHUNK):
            yield bytes(chunk)
    except (BaseError, OSError, RuntimeError) as err:
        raise FetchFailed(url, f"S3 read failed: {_first_line(err)}", transient=True) from err


def _error(url: str, err: BaseException) -> FetchFailed:
    if isinstance(err, NotFoundError | FileNotFoundError):
        return FetchFailed(url, "broken link: no such object")
    if isinstance(err, PermissionDeniedError | UnauthenticatedError | PermissionError):
        return FetchFailed(url, f"access denied: {_first_line(err)}")
    return FetchFailed(url, f"S3 error: {_first_line(err)}")


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
