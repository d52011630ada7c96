"""The GeoParquet item table: one stac-geoparquet part per collection.

Only the builder imports this module (it pulls in pyarrow); the search path never does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import stac_geoparquet.arrow

NO_COLLECTION = "__none__"


@dataclass(frozen=True)
class LocalPart:
    """A part written locally, before upload."""

    collection: str
    path: Path
    rows: int


def partition_name(collection: str) -> str:
    """The Hive-style partition folder of a collection (ids are percent-encoded)."""
    return f"collection={quote(collection or NO_COLLECTION, safe='')}"


def write_part(directory: Path, collection: str, items: Iterable[dict[str, Any]]) -> LocalPart:
    """Write the items of one collection as a GeoParquet 1.1 file (with bbox covering)."""
    rows = list(items)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{quote(collection or NO_COLLECTION, safe='')}.parquet"
    reader = stac_geoparquet.arrow.parse_stac_items_to_arrow(rows)
    stac_geoparquet.arrow.to_parquet(reader, path)
    return LocalPart(collection, path, len(rows))
