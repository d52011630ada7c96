"""The mirrored tree: each object's place (key), its parent, and the links between them.

Objects arrive in crawl order (breadth-first: a parent before its children). A catalog or
collection registers the URLs of its ``child`` and ``item`` links, so that when an object with
such a URL arrives it is placed in that parent's folder. Objects from a STAC API, which come in
pages rather than through links, are placed by their collection id (items) or under the API's
landing page (collections). Keys are unique: a second object that would land on a taken key
(a duplicate id, an item named like a sub-catalog) gets a name with a hash of its source.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from index_builder.links import links_of, resolve
from index_builder.mirror_paths import container_key, folder, item_key, join, relative
from index_builder.mirror_rewrite import link

JSON = "application/json"
GEOJSON = "application/geo+json"
STAC_VERSION = "1.1.0"


@dataclass(eq=False)
class Node:
    """A catalog or collection of the mirror, held until its children are written."""

    kind: str
    key: str
    source: str
    document: dict[str, Any]
    parent: Node | None
    children: list[dict[str, Any]] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return folder(self.key)


class Tree:
    """Places objects; keeps the catalogs and collections (not the items) until the end."""

    def __init__(self, sources: list[str]) -> None:
        self.sources = sources
        self.root: Node | None = None
        self._parents: dict[str, Node] = {}
        self._collections: dict[str, Node] = {}
        self._source_root: Node | None = None
        self._taken: dict[str, str] = {}

    def start_source(self) -> None:
        self._source_root = None
        self._collections = {}

    def place_container(
        self, kind: str, href: str, original: dict[str, Any], document: dict[str, Any]
    ) -> Node:
        """A catalog or collection: the mirror's root, or a child of its parent."""
        first = self._source_root is None
        if first and self.root is None and len(self.sources) == 1 and kind == "Catalog":
            node = Node(kind, "catalog.json", href, document, None)
            self.root = node
        else:
            parent = self._parent_of(href, None) if not first else self._top()
            key = self._unique(container_key(parent.folder, kind, str(document["id"])), href)
            node = Node(kind, key, href, document, parent)
            parent.children.append(link("child", relative(parent.key, key), JSON, _title(node)))
        if first:
            self._source_root = node
        if kind == "Collection":
            self._collections.setdefault(str(document["id"]), node)
        for child in links_of(original):
            target = child.get("href")
            if child.get("rel") in ("child", "item") and isinstance(target, str) and target:
                self._parents.setdefault(resolve(href, target), node)
        return node

    def place_item(self, href: str, document: dict[str, Any]) -> tuple[str, Node]:
        """(key, parent) of an item; the parent's item link is added."""
        parent = self._parent_of(href, document.get("collection"))
        key = self._unique(item_key(parent.folder, str(document["id"])), href)
        parent.children.append(link("item", relative(parent.key, key), GEOJSON, None))
        return key, parent

    def item_links(self, key: str, parent: Node, collection: object) -> list[dict[str, Any]]:
        links = self.structural(key, parent)
        owner = self._collections.get(collection) if isinstance(collection, str) else None
        if owner is not None:
            links.append(link("collection", relative(key, owner.key), JSON))
        return links

    def structural(self, key: str, parent: Node | None) -> list[dict[str, Any]]:
        links = [link("root", relative(key, "catalog.json"), JSON)]
        if parent is not None:
            links.append(link("parent", relative(key, parent.key), JSON))
        return links

    def _parent_of(self, href: str, collection: object) -> Node:
        found = self._parents.pop(href, None)
        if found is not None:
            return found
        if isinstance(collection, str) and collection in self._collections:
            return self._collections[collection]
        return self._source_root or self._top()

    def _top(self) -> Node:
        if self.root is None:
            document = {
                "type": "Catalog",
                "stac_version": STAC_VERSION,
                "id": "stacsift-mirror",
                "description": "A mirror of " + ", ".join(self.sources),
                "links": [],
            }
            self.root = Node("Catalog", "catalog.json", "", document, None)
        return self.root

    def _unique(self, key: str, href: str) -> str:
        owner = self._taken.setdefault(key, href)
        if owner == href:
            return key
        digest = hashlib.sha256(href.encode()).hexdigest()[:12]
        head, _, name = key.rpartition("/")
        unique = join(f"{head}~{digest}", name)
        self._taken[unique] = href
        return unique


def _title(node: Node) -> str | None:
    title = node.document.get("title")
    return title if isinstance(title, str) else None
