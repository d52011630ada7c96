"""A crawled object rewritten for the mirror: its own structural links, everything else absolute.

Structural links (``root``, ``parent``, ``child``, ``item``, ``collection``) are made anew by the
mirror, relative to where the object is written; ``self`` is dropped (a self-contained catalog has
none). Links that only make sense on a STAC API (paging, search, conformance, …) are dropped too:
the mirror is a static catalog. Every other link and every asset keeps pointing where it pointed,
resolved to an absolute URL, unless the asset is copied: then its href is the copy (relative) and
the original href is kept as an ``alternate`` (alternate-assets extension).
"""

from __future__ import annotations

from typing import Any

from index_builder.links import links_of, resolve

STRUCTURAL = frozenset({"self", "root", "parent", "child", "item", "collection"})
API_ONLY = frozenset(
    {
        "items",
        "next",
        "prev",
        "previous",
        "first",
        "last",
        "search",
        "conformance",
        "data",
        "service-desc",
        "service-doc",
        "queryables",
        "aggregate",
        "aggregations",
        "collections",
    }
)
ALTERNATE_ASSETS = "https://stac-extensions.github.io/alternate-assets/v1.2.0/schema.json"
ORIGINAL = "source"
"""The key of the original href among an asset's alternates."""


def rewrite(document: dict[str, Any], href: str, kind: str) -> dict[str, Any]:
    """A copy of ``document`` with kept links and asset hrefs absolute, structural links gone."""
    out = dict(document)
    links: list[dict[str, Any]] = []
    for link in links_of(document):
        rel, target = link.get("rel"), link.get("href")
        if rel in STRUCTURAL or rel in API_ONLY or not isinstance(target, str) or not target:
            continue
        links.append({**link, "href": absolute(href, target)})
    out["links"] = links
    assets = document.get("assets")
    if isinstance(assets, dict):
        out["assets"] = {
            key: _absolute(asset, href) for key, asset in assets.items() if isinstance(asset, dict)
        }
    if kind == "Catalog":
        out["type"] = "Catalog"
        out.pop("conformsTo", None)  # a landing page's API conformance: not true of the mirror
    return out


def _absolute(asset: dict[str, Any], base: str) -> dict[str, Any]:
    target = asset.get("href")
    if not isinstance(target, str) or not target:
        return dict(asset)
    return {**asset, "href": absolute(base, target)}


def absolute(base: str, href: str) -> str:
    """``href`` resolved against ``base``, keeping its fragment."""
    target, hash_mark, fragment = href.partition("#")
    return resolve(base, target or base) + hash_mark + fragment


def point_at_copy(document: dict[str, Any], key: str, href: str) -> None:
    """Asset ``key`` now points at ``href`` (the copy); its original href becomes an alternate."""
    asset = document["assets"][key]
    original = asset["href"]
    alternates = dict(asset.get("alternate") or {})
    alternates[ORIGINAL] = {"href": original, "title": "Where this mirror copied it from"}
    document["assets"][key] = {**asset, "href": href, "alternate": alternates}
    extensions = list(document.get("stac_extensions") or [])
    if ALTERNATE_ASSETS not in extensions:
        document["stac_extensions"] = [*extensions, ALTERNATE_ASSETS]


def link(rel: str, href: str, media_type: str, title: str | None = None) -> dict[str, Any]:
    made: dict[str, Any] = {"rel": rel, "href": href, "type": media_type}
    if title:
        made["title"] = title
    return made
