"""Fetching one document: the request and response types, the fetcher protocol, local files.

A fetcher turns a :class:`Request` into a :class:`Response` or raises :class:`FetchFailed` with a
readable reason and whether trying again could help (``transient``). Fetchers for each scheme
live in their own modules (:mod:`index_builder.http_fetch`, :mod:`index_builder.s3_fetch`);
:class:`SchemeRouter` picks one by URL, and :mod:`index_builder.retry` wraps any of them with
retries. Conditional requests carry the validators of a cached copy (``etag``,
``last_modified``); a fetcher answers them with ``Response.body is None`` (304 Not Modified).

:meth:`Fetcher.open` is the streaming twin of ``fetch``, for files of any size (the mirror's
assets): the body comes as chunks, never whole, with the size the source announced so that a
short read is caught. Its ``chunks`` raise :class:`FetchFailed` (transient) if the body ends early.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from index_builder.links import local_path, scheme_of
from stacsift.errors import StacsiftError

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class FetchFailed(StacsiftError):
    """A document could not be fetched; ``reason`` says why in a few words."""

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.transient = transient
        """Trying again may succeed (timeouts, 429, 5xx, truncated bodies, resets)."""
        self.retry_after = retry_after
        """Seconds the server asked us to wait (``Retry-After``), if it said."""
        self.attempts = attempts
        """How many times the document was asked for before giving up."""


@dataclass(frozen=True, slots=True)
class Request:
    """One document to fetch. ``body`` is for POST (STAC API search pages)."""

    url: str
    method: str = "GET"
    body: bytes | None = None
    etag: str | None = None
    last_modified: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES

    @property
    def key(self) -> str:
        """Identity of the request, for the visited set and the cache."""
        if self.method == "GET":
            return self.url
        return f"{self.method} {self.url} {(self.body or b'').decode('utf-8', 'replace')}"


@dataclass(frozen=True, slots=True)
class Response:
    """A fetched document. ``body`` is ``None`` when the server said 304 Not Modified."""

    url: str
    """Where the document really is, after redirects: the base for its relative links."""
    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    attempts: int = 1


STREAM_CHUNK = 1024 * 1024


def _no_chunks() -> Iterator[bytes]:
    yield from ()


def _nothing() -> None:
    return None


@dataclass(slots=True)
class Stream:
    """An opened body, read as ``chunks``; use it with ``with`` (closing frees the connection).

    ``modified`` is false when a conditional request was answered "not modified" (no body).
    """

    url: str
    modified: bool = True
    size: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    chunks: Iterator[bytes] = field(default_factory=_no_chunks)
    close: Callable[[], None] = _nothing

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class Fetcher(Protocol):
    """Anything that fetches documents; must be safe to call from several threads at once."""

    def fetch(self, request: Request) -> Response: ...

    def open(self, request: Request) -> Stream: ...

    def close(self) -> None: ...


class FileFetcher:
    """Local files. Not-modified answers are never given: reading is as cheap as a cache."""

    def fetch(self, request: Request) -> Response:
        path = local_path(request.url)
        try:
            with open(path, "rb", buffering=0) as handle:  # noqa: PTH123 - the hot path
                if os.fstat(handle.fileno()).st_size > request.max_bytes:
                    raise FetchFailed(request.url, f"larger than {request.max_bytes} bytes")
                body = handle.readall()
        except FileNotFoundError:
            raise FetchFailed(request.url, "broken link: no such file") from None
        except IsADirectoryError:
            raise FetchFailed(request.url, "is a folder, not a JSON file") from None
        except OSError as err:
            raise FetchFailed(request.url, f"cannot read: {err.strerror or err}") from err
        return Response(request.url, body)

    def open(self, request: Request) -> Stream:
        """The file as chunks; "not modified" when ``request.etag`` is still its stat ETag."""
        path = local_path(request.url)
        try:
            handle = open(path, "rb", buffering=0)  # noqa: PTH123 - closed by the Stream
        except FileNotFoundError:
            raise FetchFailed(request.url, "broken link: no such file") from None
        except OSError as err:
            raise FetchFailed(request.url, f"cannot read: {err.strerror or err}") from err
        stat = os.fstat(handle.fileno())
        etag = file_etag(stat.st_mtime_ns, stat.st_size)
        if request.etag == etag:
            handle.close()
            return Stream(request.url, modified=False, etag=etag)
        chunks = iter(lambda: handle.read(STREAM_CHUNK), b"")
        return Stream(request.url, size=stat.st_size, etag=etag, chunks=chunks, close=handle.close)

    def close(self) -> None:
        return None


def file_etag(mtime_ns: int, size: int) -> str:
    """A local file's validator: it changes whenever the file is rewritten."""
    return f'"{mtime_ns:x}-{size:x}"'


class SchemeRouter:
    """Dispatches each request to the fetcher for its URL scheme."""

    def __init__(self, fetchers: Mapping[str, Fetcher]) -> None:
        self._fetchers = dict(fetchers)

    def fetch(self, request: Request) -> Response:
        return self._fetcher(request.url).fetch(request)

    def open(self, request: Request) -> Stream:
        return self._fetcher(request.url).open(request)

    def _fetcher(self, url: str) -> Fetcher:
        fetcher = self._fetchers.get(scheme_of(url))
        if fetcher is None:
            raise FetchFailed(url, f"unsupported link scheme {scheme_of(url)!r}")
        return fetcher

    def close(self) -> None:
        for fetcher in {id(f): f for f in self._fetchers.values()}.values():
            fetcher.close()


JSON_LIKE_TYPES = frozenset(
    {"", "text/plain", "application/octet-stream", "binary/octet-stream", "text/json"}
)


def json_content_type(content_type: str | None) -> bool:
    """Whether a Content-Type may hold JSON: any ``…json…`` type, or the generic ones servers
    and buckets give files they know nothing about (``text/plain``, ``octet-stream``)."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return "json" in media or media in JSON_LIKE_TYPES
