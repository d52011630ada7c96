"""Asset hrefs → (endpoint, region, bucket, key), refusing anything that is not plainly one object.

Recognised forms:

- ``s3://bucket/key`` — signed for the default endpoint (``AWS_ENDPOINT_URL_S3`` or
  ``AWS_ENDPOINT_URL``, else AWS S3 itself);
- AWS S3 URLs, virtual-hosted (``https://bucket.s3.<region>.amazonaws.com/key``, also without a
  region, with ``s3-<region>`` or ``dualstack``) and path-style (``https://s3.<region>.amazonaws.com
  /bucket/key``);
- Wasabi, path-style (``https://s3.<region>.wasabisys.com/bucket/key``) and virtual-hosted;
- path-style URLs under any configured S3-compatible endpoint (``<endpoint>/bucket/key``).

Hrefs are URIs: percent-escapes are decoded once, in ``s3://`` hrefs as in ``https://`` ones, so
``s3://b/a%20b.tif`` and ``s3://b/a b.tif`` both name the key ``a b.tif``. Keys are refused when a
segment is ``.`` or ``..`` (also once more percent-decoded, and with ``\\`` taken as a separator),
when a segment is empty, when they end with ``/`` or hold control characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from stacsift.errors import InvalidHref, InvalidParameter

MAX_HREF_LENGTH = 4096
MAX_KEY_BYTES = 1024  # S3's own limit
AWS_HOST = re.compile(
    r"^(?:(?P<bucket>[a-z0-9][a-z0-9.\-]*)\.)?"
    r"s3(?:[.\-](?:dualstack\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2}))?\.amazonaws\.com$"
)
WASABI_HOST = re.compile(
    r"^(?:(?P<bucket>[a-z0-9][a-z0-9.\-]*)\.)?s3(?:\.(?P<region>[a-z0-9\-]+))?\.wasabisys\.com$"
)
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,61}[A-Za-z0-9]$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One object: where to sign it (``endpoint`` ``None`` is AWS S3) and which it is."""

    bucket: str
    key: str
    endpoint: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class _Endpoint:
    url: str
    scheme: str
    netloc: str
    path: str  # "" or "/base", without a trailing slash


class HrefParser:
    """Parses hrefs for one deployment: its default endpoint and the S3-compatible ones it knows.

    ``default_endpoint`` is where ``s3://`` hrefs are signed (``None``: AWS S3); it is also
    recognised in ``http(s)://`` hrefs, as is every one of ``endpoints``.
    """

    def __init__(self, default_endpoint: str | None = None, endpoints: Iterable[str] = ()) -> None:
        self.default_endpoint = default_endpoint.rstrip("/") if default_endpoint else None
        known = [default_endpoint] if default_endpoint else []
        self._endpoints = [_endpoint(url) for url in [*known, *endpoints]]

    def parse(self, href: str) -> ObjectRef:
        """The object ``href`` names; :class:`InvalidHref` says why when it names none."""
        if len(href) > MAX_HREF_LENGTH:
            raise InvalidHref(href, f"is longer than {MAX_HREF_LENGTH} characters")
        if _CONTROL.search(href):
            raise InvalidHref(href, "contains control characters")
        try:
            parts = urlsplit(href)
            return self._parse(href, parts)
        except ValueError as err:  # an unparseable netloc or port
            raise InvalidHref(href, f"is not a valid URL ({err})") from None

    def _parse(self, href: str, parts: SplitResult) -> ObjectRef:
        if parts.query or parts.fragment or href.endswith(("?", "#")):
            raise InvalidHref(href, "has a query or fragment; give the plain object URL")
        if parts.scheme == "s3":
            return self._s3(href, parts)
        if parts.scheme in ("http", "https"):
            return self._http(href, parts)
        if not parts.scheme:
            raise InvalidHref(href, "is relative; give an absolute s3:// or https:// URL")
        raise InvalidHref(href, f"scheme {parts.scheme!r} cannot be signed")

    def _s3(self, href: str, parts: SplitResult) -> ObjectRef:
        bucket = _bucket(href, parts.netloc)
        return ObjectRef(bucket, _key(href, parts.path[1:]), self.default_endpoint)

    def _http(self, href: str, parts: SplitResult) -> ObjectRef:
        if "@" in parts.netloc:
            raise InvalidHref(href, "carries user information")
        netloc = parts.netloc.lower()
        for known in self._endpoints:
            if (parts.scheme, netloc) == (known.scheme, known.netloc):
                if parts.path.startswith(f"{known.path}/"):
                    rest = parts.path[len(known.path) + 1 :]
                    return _path_style(href, rest, known.url, None)
        host = parts.hostname or ""
        if parts.scheme == "https" and parts.port is None:
            if found := AWS_HOST.match(host):
                return _hosted(href, parts.path, found, None)
            if found := WASABI_HOST.match(host):
                return _hosted(href, parts.path, found, _wasabi(found.group("region")))
        raise InvalidHref(href, "is not an object URL of S3, Wasabi or a configured endpoint")


def _wasabi(region: str | None) -> str:
    return f"https://s3.{region}.wasabisys.com" if region else "https://s3.wasabisys.com"


def _hosted(href: str, path: str, found: re.Match[str], endpoint: str | None) -> ObjectRef:
    """A URL on an AWS or Wasabi host: virtual-hosted when the host names the bucket."""
    region = found.group("region") or (None if endpoint is None else "us-east-1")
    if found.group("bucket"):
        return ObjectRef(
            _bucket(href, found.group("bucket")), _key(href, path[1:]), endpoint, region
        )
    return _path_style(href, path[1:], endpoint, region)


def _path_style(href: str, rest: str, endpoint: str | None, region: str | None) -> ObjectRef:
    bucket, slash, raw_key = rest.partition("/")
    if not slash:
        raise InvalidHref(href, "names a bucket but no object")
    return ObjectRef(_bucket(href, _decode(href, bucket)), _key(href, raw_key), endpoint, region)


def _bucket(href: str, name: str) -> str:
    if not _BUCKET.match(name) or ".." in name:
        raise InvalidHref(href, f"{name!r} is not a valid bucket name")
    return name


def _key(href: str, raw: str) -> str:
    """The decoded key of a URL path (without its leading slash), refused when unsafe."""
    if _traverses(raw):
        raise InvalidHref(href, "path traversal ('..' or '.') is not allowed")
    key = _decode(href, raw)
    if not key:
        raise InvalidHref(href, "names a bucket but no object")
    encoded = "%" in raw  # without escapes, the checks of the href itself covered the key
    if encoded and (_traverses(key) or _traverses(_decode(href, key))):
        raise InvalidHref(href, "encoded path traversal ('..' or '.') is not allowed")
    if key.endswith("/"):
        raise InvalidHref(href, "names a folder, not an object")
    if "//" in key or key.startswith("/"):
        raise InvalidHref(href, "has an empty path segment")
    if encoded and _CONTROL.search(key):
        raise InvalidHref(href, "contains encoded control characters")
    if len(key) * 4 > MAX_KEY_BYTES and len(key.encode()) > MAX_KEY_BYTES:
        raise InvalidHref(href, f"the key is longer than {MAX_KEY_BYTES} bytes")
    return key


def _traverses(path: str) -> bool:
    if "." not in path:
        return False
    normalized = f"/{path}/".replace("\\", "/")
    return "/./" in normalized or "/../" in normalized


def _decode(href: str, text: str) -> str:
    if "%" not in text:
        return text
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise InvalidHref(href, "percent-escapes that are not UTF-8") from None


def _endpoint(url: str) -> _Endpoint:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise InvalidParameter("endpoints", f"{url!r} is not an http:// or https:// base URL")
    return _Endpoint(
        url.strip().rstrip("/"), parts.scheme, parts.netloc.lower(), parts.path.rstrip("/")
    )
