"""Sources and links as URLs: normalising what the user gave, resolving hrefs, reading links.

Every document the crawler visits is identified by an absolute URL (``file://``, ``http(s)://``
or ``s3://``), so that cycles and duplicates are recognised whatever spelling led to them
(``./a/../b.json`` and ``b.json`` are one document). Resolution follows RFC 3986 for the cases
catalogs use — relative paths, ``../`` and absolute paths — with a fast path for them, because
it runs for every link of every object. ``urllib.parse.urljoin`` is not used for that: it is
slow and leaves ``s3://`` hrefs unresolved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from stacsift.errors import SourceError

SCHEMES = ("file", "http", "https", "s3")
ROOT_FILES = ("catalog.json", "collection.json")


def source_url(source: str) -> str:
    """An absolute URL for a source given as a path, folder, ``file://``, ``http(s)://`` or
    ``s3://`` URL. A folder means its ``catalog.json`` (or ``collection.json``)."""
    parsed = urlsplit(source)
    if parsed.scheme in ("http", "https", "s3"):
        if not parsed.netloc:
            raise SourceError(f"{source}: names no host or bucket")
        return source
    if parsed.scheme not in ("", "file") and not _windows_drive(source):
        raise SourceError(f"{source}: use a path or a file://, http(s):// or s3:// URL")
    path = Path(unquote(parsed.path) if parsed.scheme == "file" else source).expanduser()
    path = path.resolve()
    if path.is_dir():
        path = next((path / n for n in ROOT_FILES if (path / n).is_file()), path / ROOT_FILES[0])
    if not path.is_file():
        raise SourceError(f"{source}: no such catalog file ({path})")
    return path.as_uri()


def _windows_drive(source: str) -> bool:
    return len(source) > 2 and source[1] == ":" and source[0].isalpha()


def local_path(url: str) -> str:
    """The local path of a ``file://`` URL (``file:///a/b`` or ``file://localhost/a/b``)."""
    path = url[7:] if url.startswith("file://") else url
    if not path.startswith("/"):
        path = path[path.find("/") :]
    return unquote(path) if "%" in path else path


def scheme_of(url: str) -> str:
    return url[: url.find(":")].lower() if ":" in url else ""


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` (``file://`` for files, ``s3://bucket`` for S3)."""
    start = url.find("://")
    end = url.find("/", start + 3)
    return url if end < 0 else url[:end]


def resolve(base: str, href: str) -> str:
    """``href`` resolved against the URL of the document it appears in, without fragment."""
    if "?" in href or "?" in base or href.startswith("//"):
        return _urljoin(base, href)
    hash_at = href.find("#")
    if hash_at >= 0:
        href = href[:hash_at]
    if "://" in href:
        origin = origin_of(href)
        return origin + _dot_segments(href[len(origin) :] or "/")
    origin = origin_of(base)
    if href.startswith("/"):
        return origin + _dot_segments(href)
    path = base[len(origin) :] or "/"
    return origin + _dot_segments(path[: path.rfind("/") + 1] + href)


def _urljoin(base: str, href: str) -> str:
    """The general case (queries, network-path references), through the standard library."""
    scheme = scheme_of(base)
    if scheme in ("http", "https", "file"):
        return urljoin(base, href).split("#", 1)[0]
    return urljoin(base.replace(f"{scheme}://", "http://", 1), href).replace(
        "http://", f"{scheme}://", 1
    )


def _dot_segments(path: str) -> str:
    """Remove ``.`` and ``..`` segments (RFC 3986 §5.2.4); ``..`` never climbs above the root."""
    if "/." not in path and not path.startswith("."):
        return path
    out: list[str] = []
    segments = path.split("/")
    for segment in segments[1:] if path.startswith("/") else segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")
    return "/" + "/".join(out)


def links_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's links that are objects, tolerating a missing or malformed ``links``."""
    links = document.get("links")
    if not isinstance(links, list):
        return []
    return [link for link in links if isinstance(link, dict)]


def link_href(document: dict[str, Any], rel: str) -> str | None:
    """The href of the first link with relation ``rel``, if it is a non-empty string."""
    for link in links_of(document):
        if link.get("rel") == rel:
            href = link.get("href")
            return href if isinstance(href, str) and href else None
    return None
