"""Walk static STAC catalogs on local disk, yielding every object reachable by links.

Nothing in someone else's catalog stops the walk: a broken link, a file that is not JSON or not
STAC is recorded in the :class:`CrawlReport` and skipped. Only an unreadable root is an error.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import orjson

from stacsift.errors import SourceError

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
_FOLLOWED = {"child": "child", "item": "item", "items": "item"}


@dataclass(frozen=True)
class Crawled:
    """One STAC object found by the crawl."""

    kind: str  # "Catalog", "Collection" or "Item"
    href: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Skip:
    href: str
    reason: str


@dataclass
class CrawlReport:
    """Counts by kind and every skipped document with the reason."""

    counts: dict[str, int] = field(
        default_factory=lambda: {"Catalog": 0, "Collection": 0, "Item": 0}
    )
    skipped: list[Skip] = field(default_factory=list)

    def skip(self, href: str, reason: str) -> None:
        self.skipped.append(Skip(href, reason))


def source_url(source: str) -> str:
    """A ``file://`` URL for a catalog given as a path, folder or ``file://`` URL."""
    parsed = urlparse(source)
    if parsed.scheme not in ("", "file"):
        raise SourceError(f"{source}: only local catalogs (paths or file:// URLs) are crawled yet")
    path = Path(unquote(parsed.path) if parsed.scheme else source).expanduser().resolve()
    if path.is_dir():
        path = path / "catalog.json"
    if not path.is_file():
        raise SourceError(f"{source}: no such catalog file ({path})")
    return path.as_uri()


def crawl(source: str, report: CrawlReport) -> Iterator[Crawled]:
    """Breadth-first walk from ``source``; each document is visited once, cycles included."""
    root = source_url(source)
    data = _load(root)
    if isinstance(data, str):
        raise SourceError(f"{source}: {data}")
    queue: deque[tuple[str, dict[str, Any] | str | None, str | None]] = deque([(root, data, None)])
    seen = {root}
    while queue:
        href, loaded, parent_collection = queue.popleft()
        document = _load(href) if loaded is None else loaded
        if isinstance(document, str):
            report.skip(href, document)
            continue
        kind = stac_kind(document)
        if kind is None:
            report.skip(href, "not a STAC Catalog, Collection or Item")
            continue
        if kind == "Item" and parent_collection and not document.get("collection"):
            document["collection"] = parent_collection
        report.counts[kind] += 1
        yield Crawled(kind, href, document)
        owner = document.get("id") if kind == "Collection" else parent_collection
        for link_href in _links(document, href, report):
            if link_href not in seen:
                seen.add(link_href)
                queue.append((link_href, None, owner if isinstance(owner, str) else None))


def stac_kind(document: dict[str, Any]) -> str | None:
    kind = document.get("type")
    if kind == "Feature":
        return "Item"
    if kind in ("Catalog", "Collection"):
        return str(kind)
    if kind is None and "stac_version" in document:  # STAC < 1.0 had no type on catalogs
        return "Collection" if "extent" in document else "Catalog"
    return None


def _links(document: dict[str, Any], base: str, report: CrawlReport) -> Iterator[str]:
    links = document.get("links")
    if not isinstance(links, list):
        return
    for link in links:
        if not isinstance(link, dict) or link.get("rel") not in _FOLLOWED:
            continue
        target = link.get("href")
        if not isinstance(target, str) or not target:
            report.skip(base, f"a {link.get('rel')} link has no href")
            continue
        resolved = urljoin(base, target)
        if urlparse(resolved).scheme != "file":
            report.skip(resolved, "remote link: only local catalogs are crawled yet")
            continue
        yield resolved


def _load(href: str) -> dict[str, Any] | str:
    """The JSON object at ``href``, or the reason it cannot be used."""
    path = Path(unquote(urlparse(href).path))
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            return f"larger than {MAX_DOCUMENT_BYTES} bytes"
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return "broken link: no such file"
    except OSError as err:
        return f"cannot read: {err.strerror or err}"
    except orjson.JSONDecodeError as err:
        return f"not JSON: {err}"
    if not isinstance(data, dict):
        return "not a JSON object"
    return data
