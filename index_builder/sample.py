"""Generate stacsift's own sample catalog: a small land-cover catalog of yearly COG layers.

It looks like the land-cover catalogs data providers keep on public buckets: a root catalog,
a handful of thematic collections, one item per year, each with a Cloud-Optimized GeoTIFF asset.
The COGs are real and small (768 x 440 pixels of a made-up land-cover share, 0-100 %, tiled with
overviews; :mod:`index_builder.cog`) and sit beside their item's JSON, which names them by a
relative href, as static catalogs on disk do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from index_builder.cog import write_cog

STAC_VERSION = "1.1.0"
EUROPE = [-31.3, 27.6, 45.4, 71.5]
BBOX = (EUROPE[0], EUROPE[1], EUROPE[2], EUROPE[3])
COG_SHAPE = (440, 768)  # rows, columns: 0.1° pixels over EUROPE


@dataclass(frozen=True)
class Theme:
    id: str
    title: str
    description: str
    keywords: tuple[str, ...]
    years: range
    gsd: float
    platform: str | None


THEMES = (
    Theme(
        "forest.coniferous.glad_30m",
        "Annual coniferous forest at 30 m (2000-2020)",
        "Probability of coniferous forest cover for each year, mapped from Landsat time series "
        "with a random-forest classifier trained on field plots.",
        ("forest", "coniferous", "tree species", "land cover", "Landsat"),
        range(2000, 2021),
        30.0,
        "landsat",
    ),
    Theme(
        "forest.osm",
        "OSM Forest",
        "Forest and wood areas as mapped by OpenStreetMap contributors, rasterized yearly.",
        ("forest", "woodland", "OpenStreetMap", "volunteered geographic information"),
        range(2018, 2024),
        10.0,
        None,
    ),
    Theme(
        "urban.built_up_30m",
        "Built-up urban areas at 30 m (2000-2020)",
        "Share of built-up surface (buildings, roads, sealed soil) for each year.",
        ("urban", "built-up", "impervious surface", "settlements", "Landsat"),
        range(2000, 2021, 5),
        30.0,
        "landsat",
    ),
    Theme(
        "water.surface_occurrence",
        "Surface water occurrence (2000-2020)",
        "How often each pixel was observed as open water in a year: lakes, rivers, reservoirs "
        "and wetlands.",
        ("water", "hydrology", "lakes", "rivers", "wetlands"),
        range(2000, 2021, 4),
        30.0,
        "landsat",
    ),
    Theme(
        "cropland.annual_10m",
        "Annual cropland extent at 10 m",
        "Arable land and permanent crops for each growing season, from Sentinel-2 composites; "
        "forestry plantations are not counted as cropland.",
        ("agriculture", "cropland", "land cover", "Sentinel-2"),
        range(2017, 2024),
        10.0,
        "sentinel-2",
    ),
)


def write_sample(directory: Path) -> Path:
    """Write the sample catalog under ``directory``; returns the root ``catalog.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    root = {
        "type": "Catalog",
        "stac_version": STAC_VERSION,
        "id": "stacsift-sample",
        "title": "stacsift sample land-cover catalog",
        "description": "Yearly land-cover layers of Europe as Cloud-Optimized GeoTIFFs.",
        "links": [_link("root", "./catalog.json"), _link("self", "./catalog.json")]
        + [_link("child", f"./{t.id}/collection.json", title=t.title) for t in THEMES],
    }
    _write(directory / "catalog.json", root)
    for number, theme in enumerate(THEMES):
        _write_theme(directory / theme.id, theme, number)
    return directory / "catalog.json"


def _write_theme(folder: Path, theme: Theme, number: int) -> None:
    items = [_item(theme, year) for year in theme.years]
    collection = {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "id": theme.id,
        "title": theme.title,
        "description": theme.description,
        "keywords": list(theme.keywords),
        "license": "CC-BY-4.0",
        "providers": [{"name": "stacsift sample data", "roles": ["producer", "host"]}],
        "extent": {
            "spatial": {"bbox": [EUROPE]},
            "temporal": {
                "interval": [
                    [f"{theme.years[0]}-01-01T00:00:00Z", f"{theme.years[-1]}-12-31T23:59:59Z"]
                ]
            },
        },
        "links": [
            _link("root", "../catalog.json"),
            _link("parent", "../catalog.json"),
            _link("self", "./collection.json"),
        ]
        + [_link("item", f"./{i['id']}/{i['id']}.json", "application/geo+json") for i in items],
    }
    _write(folder / "collection.json", collection)
    for item, year in zip(items, theme.years, strict=True):
        _write(folder / item["id"] / f"{item['id']}.json", item)
        write_cog(folder / item["id"] / f"{item['id']}.tif", _pixels(number, year), BBOX)


def _pixels(number: int, year: int) -> npt.NDArray[np.uint8]:
    """A smooth made-up share (0-100 %, in steps of 10) that differs by theme and year."""
    rows, columns = np.mgrid[0 : COG_SHAPE[0], 0 : COG_SHAPE[1]]
    field = np.sin(columns / (60 + 7 * number) + 0.3 * year) + np.cos(
        rows / (45 + 5 * number) - 0.2 * year
    )
    share: npt.NDArray[np.uint8] = (np.round((field + 2) * 2.5) * 10).astype(np.uint8)
    return share


def _item(theme: Theme, year: int) -> dict[str, Any]:
    item_id = f"{theme.id}_{year}"
    west, south, east, north = EUROPE
    properties: dict[str, Any] = {
        "title": f"{theme.title.split(' (')[0]} {year}",
        "datetime": None,
        "start_datetime": f"{year}-01-01T00:00:00Z",
        "end_datetime": f"{year}-12-31T23:59:59Z",
        "gsd": theme.gsd,
    }
    if theme.platform:
        properties["platform"] = theme.platform
    return {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "id": item_id,
        "collection": theme.id,
        "bbox": EUROPE,
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[west, south], [east, south], [east, north], [west, north], [west, south]]
            ],
        },
        "properties": properties,
        "assets": {
            "data": {
                "href": f"./{item_id}.tif",
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "title": f"{properties['title']} (COG)",
                "roles": ["data"],
            }
        },
        "links": [
            _link("root", "../../catalog.json"),
            _link("parent", "../collection.json"),
            _link("collection", "../collection.json"),
            _link("self", f"./{item_id}.json", "application/geo+json"),
        ],
    }


def _link(
    rel: str, href: str, media_type: str = "application/json", **extra: Any
) -> dict[str, Any]:
    return {"rel": rel, "href": href, "type": media_type, **extra}


def _write(path: Path, obj: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(obj, option=orjson.OPT_INDENT_2))
