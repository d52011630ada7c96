"""The GeoParquet item table: one stac-geoparquet part per collection.

Only the builder imports this module (it pulls in pyarrow); the search path never does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import stac_geoparquet.arrow

from stacsift.hilbert import hilbert_key
from stacsift.index.documents import item_bbox

NO_COLLECTION = "__none__"
ROW_GROUP_ROWS = 10_000


@dataclass(frozen=True)
class LocalPart:
    """A part written locally, before upload."""

    collection: str
    path: Path
    rows: int


def partition_name(collection: str) -> str:
    """The Hive-style partition folder of a collection (ids are percent-encoded)."""
    return f"collection={quote(collection or NO_COLLECTION, safe='')}"


def write_part(
    directory: Path,
    collection: str,
    items: Iterable[dict[str, Any]],
    collection_json: dict[str, Any] | None = None,
) -> LocalPart:
    """Write one collection's items as a GeoParquet 1.1 file (stac-geoparquet, bbox covering).

    Rows are ordered along a Hilbert curve of their bbox centres and written in row groups of
    at most :data:`ROW_GROUP_ROWS`, so readers can skip row groups by the bbox statistics.
    """
    rows = sorted(items, key=_spatial_key)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{quote(collection or NO_COLLECTION, safe='')}.parquet"
    table = stac_geoparquet.arrow.parse_stac_items_to_arrow(rows).read_all()
    batches = table.to_batches(max_chunksize=ROW_GROUP_ROWS)
    reader = pa.RecordBatchReader.from_batches(table.schema, batches)
    collections = {collection: collection_json} if collection_json else None
    stac_geoparquet.arrow.to_parquet(reader, path, collections=collections)
    return LocalPart(collection, path, len(rows))


def _spatial_key(item: dict[str, Any]) -> int:
    bbox = item_bbox(item)
    if bbox is None:
        return -1  # items without geometry first
    west, south, east, north = bbox
    return hilbert_key((west + east) / 2, (south + north) / 2)
