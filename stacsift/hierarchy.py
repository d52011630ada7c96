"""The crawled catalog's tree, browsed through the index (the STAC API children extension).

Catalogs are indexed as a third kind of document, never searched: they are found by id, and
every catalog's and collection's ``child`` links (absolute since :mod:`stacsift.hrefs`) name
the objects below it by where they were read, which the index keeps (``href``). The root is the
catalog read from the index's first source.
"""

from __future__ import annotations

from stacsift.errors import NotFound
from stacsift.index import schema as f
from stacsift.index.documents import document_key
from stacsift.index.reader import OpenIndex
from stacsift.search import Hit, by_term, list_collections

MAX_CHILDREN = 1000
"""Child links followed per object (a catalog is a directory, not a search result)."""


def get_catalog(index: OpenIndex, catalog_id: str) -> Hit:
    found = by_term(index, f.KEY, document_key(f.TYPE_CATALOG, "", catalog_id))
    if found is None:
        raise NotFound(f"catalog {catalog_id!r} does not exist")
    return found


def root_catalog(index: OpenIndex) -> Hit | None:
    """The catalog read from the first source, when that source is a catalog."""
    sources = index.manifest.sources
    found = by_term(index, f.HREF, sources[0]) if sources else None
    return found if found is not None and found.obj.get("type") == "Catalog" else None


def children(index: OpenIndex, parent: Hit) -> list[Hit]:
    """The indexed catalogs and collections that ``parent``'s child links name, in link order."""
    found = []
    for link in (parent.obj.get("links") or [])[: MAX_CHILDREN * 4]:
        if isinstance(link, dict) and link.get("rel") == "child":
            child = by_term(index, f.HREF, str(link.get("href", "")))
            if child is not None and child.obj.get("type") in ("Catalog", "Collection"):
                found.append(child)
        if len(found) == MAX_CHILDREN:
            break
    return found


def top_level(index: OpenIndex) -> list[Hit]:
    """The root catalog's children; without a root catalog, every collection."""
    root = root_catalog(index)
    if root is not None:
        return children(index, root)
    return [Hit(c, "") for c in list_collections(index)]
