"""STAC objects as found in the wild: recognise them, migrate old ones, repair small deviations.

:func:`prepare` decides what a JSON object is (Catalog, Collection, Item — or not STAC at all,
like an OGC API record without ``stac_version``), migrates STAC 0.x objects to the current version
with pystac's migration (imported only when such an object shows up, so 1.x catalogs never pay
for it), refuses what cannot be indexed (no id; an item with neither ``datetime`` nor
``start_datetime``/``end_datetime``), and repairs what merely deviates from the schemas: a
number written as a string, a string where a list belongs, a date without a time (completed as
UTC midnight, or the day's last microsecond for an ``end_datetime``, which is how the index reads
it). Every repair is a warning to the caller's :class:`Warnings` (the builder's crawl report,
the reindexer's log); nothing here raises anything but :class:`NotUsable`.

It lives in the core, not in the builder, because event-driven reindexing reads the same
objects one at a time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from stacsift.errors import StacsiftError
from stacsift.index.documents import item_bbox, parse_datetime
from stacsift.index.properties import NUMERIC

# Properties the STAC extensions define as numbers; catalogs sometimes write them as strings.
# They are the index's numeric fast fields too.
NUMERIC_PROPERTIES = tuple(NUMERIC)
ITEM_LISTS = ("instruments",)
COLLECTION_LISTS = ("keywords",)
DATETIMES = ("datetime", "start_datetime", "end_datetime")


class NotUsable(StacsiftError):
    """A JSON object that is not STAC, or STAC that cannot be indexed; ``str()`` says why."""


class Warnings(Protocol):
    """Where repairs are reported (the builder's crawl report, the reindexer's log)."""

    def warn(self, href: str, message: str) -> None: ...


def kind_of(document: dict[str, Any]) -> str:
    """``Catalog``, ``Collection`` or ``Item``; raises :class:`NotUsable` for anything else."""
    version = document.get("stac_version")
    kind = document.get("type")
    if not isinstance(version, str):
        shown = f"type {kind!r}" if isinstance(kind, str) else "no type"
        raise NotUsable(f"not STAC: no stac_version ({shown})")
    if kind == "Feature":
        return "Item"
    if kind == "Catalog" or kind == "Collection":
        return str(kind)
    if kind is None:  # STAC before 1.0.0-beta.1 had no type on catalogs and collections
        return "Collection" if "extent" in document or "license" in document else "Catalog"
    raise NotUsable(f"not a STAC Catalog, Collection or Item (type {kind!r})")


def prepare(document: dict[str, Any], href: str, report: Warnings) -> tuple[str, dict[str, Any]]:
    """(kind, object ready to index): migrated, checked and leniently repaired."""
    kind = kind_of(document)
    if str(document["stac_version"]).startswith("0."):
        document = _migrate(document, href, report)
        kind = kind_of(document)
    _check_id(document, kind, href, report)
    if kind == "Item":
        _repair_item(document, href, report)
    elif kind == "Collection":
        _repair_lists(document, COLLECTION_LISTS, "", href, report)
    _repair_extensions(document, href, report)
    return kind, document


def _migrate(document: dict[str, Any], href: str, report: Warnings) -> dict[str, Any]:
    from pystac.errors import STACError
    from pystac.serialization import identify_stac_object, migrate_to_latest

    version = document["stac_version"]
    try:
        migrated = migrate_to_latest(document, identify_stac_object(document))
    except (STACError, KeyError, TypeError, ValueError, AttributeError) as err:
        raise NotUsable(f"STAC {version} object that pystac cannot migrate: {err}") from err
    report.warn(href, f"STAC {version} object migrated to {migrated.get('stac_version')}")
    return migrated


def _check_id(document: dict[str, Any], kind: str, href: str, report: Warnings) -> None:
    object_id = document.get("id")
    if isinstance(object_id, str) and object_id:
        return
    if isinstance(object_id, int | float) and not isinstance(object_id, bool):
        document["id"] = str(object_id)
        report.warn(href, "id is a number; read as a string")
        return
    if kind == "Catalog":  # catalogs are not indexed: one without an id is still followed
        report.warn(href, "catalog has no id")
        return
    raise NotUsable(f"cannot be indexed: the {kind.lower()} has no id")


def _repair_item(item: dict[str, Any], href: str, report: Warnings) -> None:
    props = item.get("properties")
    if not isinstance(props, dict):
        raise NotUsable("cannot be indexed: the item has no properties object")
    _check_datetimes(props, href, report)
    for name in NUMERIC_PROPERTIES:
        value = props.get(name)
        if isinstance(value, str):
            number = _number(value)
            if number is not None:
                props[name] = number
                report.warn(href, f"properties.{name} is a string; read as a number")
    _repair_lists(props, ITEM_LISTS, "properties.", href, report)
    if "geometry" not in item:
        item["geometry"] = None
        report.warn(href, "item has no geometry member; indexed without a location")
    elif item["geometry"] is not None and "bbox" not in item:
        bbox = item_bbox(item)
        if bbox is not None:
            item["bbox"] = list(bbox)
            report.warn(href, "item has a geometry but no bbox; bbox computed from the geometry")


def _check_datetimes(props: dict[str, Any], href: str, report: Warnings) -> None:
    """Complete date-only and zone-less values to RFC 3339 (UTC), as the index reads them and
    as the GeoParquet table needs them; drop values that are not dates at all."""
    for name in DATETIMES:
        value = props.get(name)
        if value is None:
            continue
        if parse_datetime(value) is None:
            if name == "datetime":
                props[name] = None
            else:
                del props[name]
            report.warn(href, f"properties.{name} is not an RFC 3339 date-time; dropped")
            continue
        text = value.strip()
        if len(text) == len("YYYY-MM-DD"):
            day_end = name == "end_datetime"
            props[name] = f"{text}T23:59:59.999999Z" if day_end else f"{text}T00:00:00Z"
            end = "its last microsecond" if day_end else "midnight"
            report.warn(href, f"properties.{name} is a date without a time; read as {end} UTC")
        elif datetime.fromisoformat(text).tzinfo is None:
            props[name] = f"{text}Z"
            report.warn(href, f"properties.{name} has no time zone; read as UTC")
    if not any(props.get(name) for name in DATETIMES):
        raise NotUsable("cannot be indexed: the item has neither datetime nor start/end datetimes")


def _repair_lists(
    holder: dict[str, Any], names: tuple[str, ...], where: str, href: str, report: Warnings
) -> None:
    for name in names:
        value = holder.get(name)
        if isinstance(value, str):
            holder[name] = [value]
            report.warn(href, f"{where}{name} is a string; read as a one-element list")


def _repair_extensions(document: dict[str, Any], href: str, report: Warnings) -> None:
    extensions = document.get("stac_extensions")
    if extensions is None or isinstance(extensions, list):
        if extensions and not all(isinstance(e, str) and "://" in e for e in extensions):
            report.warn(href, "stac_extensions lists something that is not a schema URL")
        return
    if isinstance(extensions, str):
        document["stac_extensions"] = [extensions]
        report.warn(href, "stac_extensions is a string; read as a one-element list")
        return
    document["stac_extensions"] = []
    report.warn(href, "stac_extensions is not a list; ignored")


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None
