"""Deterministic synthetic STAC items for benchmarks: varied words, places, times, queryables."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

THEMES = [
    ("forest", ["coniferous", "broadleaf", "woodland", "canopy", "tree", "cover"]),
    ("water", ["lake", "river", "reservoir", "wetland", "surface", "occurrence"]),
    ("urban", ["built-up", "settlement", "impervious", "city", "roads", "density"]),
    ("cropland", ["arable", "harvest", "wheat", "maize", "irrigated", "fields"]),
    ("snow", ["glacier", "ice", "albedo", "alpine", "melt", "seasonal"]),
]
PLATFORMS = ["landsat-8", "landsat-9", "sentinel-2a", "sentinel-2b", "naip"]
START = datetime(2015, 1, 1, tzinfo=UTC)


def collections() -> list[dict[str, Any]]:
    return [
        {
            "type": "Collection",
            "stac_version": "1.0.0",
            "id": f"{theme}-layers",
            "title": f"{theme.title()} layers",
            "description": f"Synthetic {theme} products: {', '.join(words)}.",
            "keywords": [theme, *words[:3]],
            "license": "CC-BY-4.0",
            "extent": {
                "spatial": {"bbox": [[-180.0, -60.0, 180.0, 75.0]]},
                "temporal": {"interval": [["2015-01-01T00:00:00Z", None]]},
            },
            "links": [],
        }
        for theme, words in THEMES
    ]


def items(count: int, seed: int = 42) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for number in range(count):
        theme, words = THEMES[number % len(THEMES)]
        west = rng.uniform(-179.0, 178.0)
        south = rng.uniform(-60.0, 74.0)
        east, north = west + rng.uniform(0.05, 1.0), south + rng.uniform(0.05, 1.0)
        when = START + timedelta(hours=rng.randrange(0, 24 * 365 * 10))
        picked = rng.sample(words, 3)
        yield {
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": f"{theme}-{number:07d}",
            "collection": f"{theme}-layers",
            "bbox": [west, south, east, north],
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[west, south], [east, south], [east, north], [west, north], [west, south]]
                ],
            },
            "properties": {
                "datetime": when.isoformat().replace("+00:00", "Z"),
                "title": f"{theme.title()} {picked[0]} tile {number}",
                "description": f"{' '.join(picked)} mapped over tile {number % 997}",
                "platform": rng.choice(PLATFORMS),
                "gsd": rng.choice([10.0, 20.0, 30.0, 60.0]),
                "eo:cloud_cover": round(rng.uniform(0, 100), 2),
            },
            "assets": {
                "data": {
                    "href": f"s3://bench-bucket/{theme}/{number:07d}.tif",
                    "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                    "roles": ["data"],
                }
            },
            "links": [],
        }
