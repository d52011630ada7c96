"""What a crawl yields and how it may be tuned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from index_builder.api import ItemsVia
from index_builder.fetch import DEFAULT_MAX_BYTES


@dataclass(frozen=True, slots=True)
class Crawled:
    """One STAC object found by the crawl."""

    kind: str
    """``Catalog``, ``Collection`` or ``Item``."""
    href: str
    """Where it was found: its URL, or ``<page or file URL>#<id or line>`` for objects that came
    inside an API page, an item collection or a newline-delimited file."""
    data: dict[str, Any]
    version: str = ""
    """SHA-256 of the bytes it was read from (shared by the objects of one page or file)."""


@dataclass(frozen=True)
class CrawlOptions:
    """Limits and choices of a crawl; the defaults suit a public catalog on the internet."""

    max_depth: int | None = None
    """Links followed from a root at most this deep (the root is 0); ``None``: no limit."""
    max_items: int | None = None
    """Stop after this many items (catalogs and collections are still crawled)."""
    include: tuple[str, ...] = ()
    """Collection id patterns (``fnmatch``: ``sentinel-*``) to crawl; empty means all."""
    exclude: tuple[str, ...] = ()
    """Collection id patterns to leave out, with their items."""
    concurrency: int = 16
    """Documents fetched at once over the network, in all."""
    per_host: int = 8
    """Documents fetched at once from one host (or one bucket)."""
    timeout_seconds: float = 30.0
    """Per network operation (connect, each read)."""
    attempts: int = 5
    """Attempts per document, the first one included (timeouts, 429, 5xx, truncated bodies)."""
    max_document_bytes: int = DEFAULT_MAX_BYTES
    """Larger documents are skipped and reported."""
    max_ndjson_bytes: int = 1024 * 1024 * 1024
    """Size cap of a newline-delimited JSON source file."""
    page_size: int = 250
    """``limit`` asked of STAC API pages."""
    items_via: ItemsVia = "auto"
    """How to get a STAC API's items: ``auto`` (``/collections/{id}/items`` when the API
    implements OGC API Features, else ``/search``), ``items``, ``search`` (GET) or
    ``search-post``."""
