"""Fetching one document: the request and response types, the fetcher protocol, local files.

A fetcher turns a :class:`Request` into a :class:`Response` or raises :class:`FetchFailed` with a
readable reason and whether trying again could help (``transient``). Fetchers for each scheme
live in their own modules (:mod:`index_builder.http_fetch`, :mod:`index_builder.s3_fetch`);
:class:`SchemeRouter` picks one by URL, and :mod:`index_builder.retry` wraps any of them with
retries. Conditional requests carry the validators of a cached copy (``etag``,
``last_modified``); a fetcher answers them with ``Response.body is None`` (304 Not Modified).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
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


class Fetcher(Protocol):
    """Anything that fetches documents; must be safe to call from several threads at once."""

    def fetch(self, request: Request) -> Response: ...

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

    def close(self) -> None:
        return None


class SchemeRouter:
    """Dispatches each request to the fetcher for its URL scheme."""

    def __init__(self, fetchers: Mapping[str, Fetcher]) -> None:
        self._fetchers = dict(fetchers)

    def fetch(self, request: Request) -> Response:
        fetcher = self._fetchers.get(scheme_of(request.url))
        if fetcher is None:
            raise FetchFailed(request.url, f"unsupported link scheme {scheme_of(request.url)!r}")
        return fetcher.fetch(request)

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
