"""Relative hrefs made absolute against where a STAC object was read.

A static catalog's ``./a.tif`` means "beside this JSON file". Once the object is served from
somewhere else (the API, ``stacsift search --json``, a GeoParquet row) that meaning is lost, so
the builder resolves every link and asset href when it makes the document: against the object's
location (``file://``, ``http(s)://`` or ``s3://``), or, for objects that came inside an API page
or an item collection (``<page>#<id>``), against their own absolute ``self`` link when they have
one. Absolute hrefs (any scheme) are left as they are.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_JOINABLE = ("file://", "http://", "https://", "s3://")


def is_absolute(href: str) -> bool:
    """Whether ``href`` names its scheme (``s3://…``, ``https://…``, ``file:///…``)."""
    return bool(_SCHEME.match(href))


def absolute(href: str, base: str) -> str:
    """``href`` resolved against ``base``; unchanged when absolute or when ``base`` is not a
    ``file``, ``http(s)`` or ``s3`` URL."""
    if not href or is_absolute(href) or not base.startswith(_JOINABLE):
        return href
    if base.startswith("s3://"):  # urljoin knows no s3 scheme: join as http, then put it back
        return "s3://" + urljoin("http://" + base[5:], href)[7:]
    return urljoin(base, href)


def object_base(obj: dict[str, Any], location: str) -> str:
    """What the relative hrefs of ``obj``, read from ``location``, are relative to."""
    if "#" in location or not location:
        own = self_href(obj)
        if own and own.startswith(_JOINABLE):
            return own
    return location.split("#", 1)[0] if location.startswith(_JOINABLE) else ""


def self_href(obj: dict[str, Any]) -> str:
    for lk in obj.get("links") or ():
        if isinstance(lk, dict) and lk.get("rel") == "self" and isinstance(lk.get("href"), str):
            return str(lk["href"])
    return ""


def resolved(obj: dict[str, Any], location: str) -> dict[str, Any]:
    """A shallow copy of ``obj`` with absolute link and asset hrefs (``obj`` itself when nothing
    is relative)."""
    base = object_base(obj, location)
    if not base:
        return obj
    links, links_changed = _resolved_list(obj.get("links"), base)
    assets, assets_changed = _resolved_assets(obj.get("assets"), base)
    if not (links_changed or assets_changed):
        return obj
    copy = dict(obj)
    if links_changed:
        copy["links"] = links
    if assets_changed:
        copy["assets"] = assets
    return copy


def _resolved_list(values: object, base: str) -> tuple[object, bool]:
    if not isinstance(values, list):
        return values, False
    pairs = [_resolved_entry(v, base) for v in values]
    return [v for v, _ in pairs], any(changed for _, changed in pairs)


def _resolved_assets(assets: object, base: str) -> tuple[object, bool]:
    if not isinstance(assets, dict):
        return assets, False
    pairs = {k: _resolved_entry(v, base) for k, v in assets.items()}
    return {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())


def _resolved_entry(entry: object, base: str) -> tuple[object, bool]:
    if not isinstance(entry, dict) or not isinstance(entry.get("href"), str):
        return entry, False
    href = absolute(entry["href"], base)
    if href == entry["href"]:
        return entry, False
    return {**entry, "href": href}, True
