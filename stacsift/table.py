"""The GeoParquet item table: stac-geoparquet parts, one or more per collection.

Only writers import this module (it pulls in pyarrow); the search path never does. Parts are
immutable: an update of a collection writes a new part from the old one (copy-on-write) and the
manifest swaps the part list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely
import stac_geoparquet.arrow
from stac_geoparquet.arrow._batch import StacJsonBatch

from stacsift.hilbert import hilbert_keys
from stacsift.queryables import MAX_ENUM
from stacsift.wkb import to_wkb

NO_COLLECTION = "__none__"
ROW_GROUP_ROWS = 10_000


@dataclass(frozen=True)
class LocalPart:
    """A part written locally, before upload, with the figures the manifest keeps."""

    collection: str
    path: Path
    rows: int
    bbox: list[float] | None
    interval: list[str | None]
    queryables: dict[str, dict[str, Any]] = field(default_factory=dict)


def part_folder(collection: str) -> str:
    """The folder of a collection's parts under ``table/``: its percent-encoded id.

    Not a Hive ``collection=<id>`` folder: readers would add a ``collection`` partition column
    that clashes with the column of that name in every part. A leading ``.`` is encoded too,
    so that no id names ``.``, ``..`` or a hidden folder.
    """
    name = quote(collection or NO_COLLECTION, safe="")
    return f"%2E{name[1:]}" if name.startswith(".") else name


def to_arrow(items: Sequence[dict[str, Any]]) -> pa.Table:
    """STAC items as a stac-geoparquet Arrow table.

    stac-geoparquet's own entry point deep-copies every item and converts geometries one by
    one through shapely, which dominates a build. Here geometries become WKB in Python for
    the plain cases (:mod:`stacsift.wkb`) and in one vectorized shapely call for the rest,
    and the top-level columns are converted one by one without copying the items; then
    stac-geoparquet's own batch transformation does the rest, so the result is the same.
    Items with ``proj:geometry`` take stac-geoparquet's path unchanged.
    """
    rows = list(items)
    if any(_has_proj_geometry(item) for item in rows):
        return stac_geoparquet.arrow.parse_stac_items_to_arrow(rows).read_all()
    names = list(dict.fromkeys(chain(chain.from_iterable(rows), ["geometry"])))
    columns = [
        _geometry_column(rows) if name == "geometry" else pa.array([r.get(name) for r in rows])
        for name in names
    ]
    batch = pa.RecordBatch.from_arrays(columns, names=names)
    return pa.Table.from_batches([StacJsonBatch(batch).to_arrow_batch(True).inner])


def _geometry_column(rows: Sequence[dict[str, Any]]) -> pa.Array:
    """WKB of every row's geometry (None where it has none or shapely refuses it)."""
    wkb = [to_wkb(row.get("geometry")) for row in rows]
    rest = [
        n
        for n, (w, row) in enumerate(zip(wkb, rows, strict=True))
        if w is None and row.get("geometry") is not None
    ]
    if rest:
        geometries = shapely.from_geojson(
            [orjson.dumps(rows[n]["geometry"]) for n in rest], on_invalid="ignore"
        )
        for n, value in zip(rest, shapely.to_wkb(geometries, flavor="iso"), strict=True):
            wkb[n] = value
    return pa.array(wkb, pa.binary())


def _has_proj_geometry(item: dict[str, Any]) -> bool:
    properties = item.get("properties") or {}
    assets = item.get("assets") or {}
    return "proj:geometry" in properties or any(
        isinstance(a, dict) and "proj:geometry" in a for a in assets.values()
    )


def write_part(
    directory: Path,
    collection: str,
    items: Iterable[dict[str, Any]],
    collection_json: dict[str, Any] | None = None,
) -> LocalPart | None:
    """Write one collection's items as a part; None when there are none."""
    rows = list(items)
    return write_table(directory, collection, to_arrow(rows), collection_json) if rows else None


def merge_part(
    directory: Path,
    collection: str,
    old_parts: Sequence[Path],
    drop_ids: set[str],
    new_items: Sequence[dict[str, Any]],
    collection_json: dict[str, Any] | None = None,
) -> LocalPart | None:
    """Copy-on-write: the old parts without ``drop_ids``, plus ``new_items``, as one new part."""
    tables = [_without(pq.read_table(path), drop_ids) for path in old_parts]
    if new_items:
        tables.append(to_arrow(new_items))
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return None
    try:
        combined = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Schemas too different to unify column by column: go through the items.
        items = [i for t in tables for i in stac_geoparquet.arrow.stac_table_to_items(t)]
        combined = to_arrow(items)
    return write_table(directory, collection, combined, collection_json)


def write_table(
    directory: Path,
    collection: str,
    table: pa.Table,
    collection_json: dict[str, Any] | None = None,
) -> LocalPart:
    """Write a GeoParquet 1.1 part (stac-geoparquet metadata, bbox covering).

    Rows are ordered along a Hilbert curve of their bbox centres and written in row groups of
    at most :data:`ROW_GROUP_ROWS`, so readers skip row groups by the bbox statistics.
    """
    table = _spatially_sorted(table)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{quote(collection or NO_COLLECTION, safe='')}.parquet"
    batches = table.to_batches(max_chunksize=ROW_GROUP_ROWS)
    reader = pa.RecordBatchReader.from_batches(table.schema, batches)
    collections = {collection: collection_json} if collection_json else None
    stac_geoparquet.arrow.to_parquet(reader, path, collections=collections)
    return LocalPart(
        collection, path, table.num_rows, _bbox(table), _interval(table), queryables_of(table)
    )


def _without(table: pa.Table, ids: set[str]) -> pa.Table:
    if not ids:
        return table
    keep = pc.invert(pc.is_in(table["id"], value_set=pa.array(sorted(ids), pa.string())))
    return table.filter(keep)


def _spatially_sorted(table: pa.Table) -> pa.Table:
    if "bbox" not in table.column_names or table.num_rows < 2:
        return table
    bbox = table["bbox"].combine_chunks()
    lon = pc.divide(pc.add(bbox.field("xmin"), bbox.field("xmax")), 2).to_numpy(
        zero_copy_only=False
    )
    lat = pc.divide(pc.add(bbox.field("ymin"), bbox.field("ymax")), 2).to_numpy(
        zero_copy_only=False
    )
    return table.take(pa.array(hilbert_keys(lon, lat).argsort(kind="stable")))


def _bbox(table: pa.Table) -> list[float] | None:
    if "bbox" not in table.column_names:
        return None
    bbox = table["bbox"].combine_chunks()
    values = [
        pc.min(bbox.field("xmin")).as_py(),
        pc.min(bbox.field("ymin")).as_py(),
        pc.max(bbox.field("xmax")).as_py(),
        pc.max(bbox.field("ymax")).as_py(),
    ]
    return None if any(v is None for v in values) else [float(v) for v in values]


def _interval(table: pa.Table) -> list[str | None]:
    starts = [c for c in ("start_datetime", "datetime") if c in table.column_names]
    ends = [c for c in ("end_datetime", "datetime") if c in table.column_names]
    low = [pc.min(table[c]).as_py() for c in starts]
    high = [pc.max(table[c]).as_py() for c in ends]
    return [
        _iso(min((v for v in low if v is not None), default=None)),
        _iso(max((v for v in high if v is not None), default=None)),
    ]


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


_NOT_PROPERTIES = frozenset(
    {"type", "stac_version", "stac_extensions", "bbox", "links", "assets", "geometry"}
)


def queryables_of(table: pa.Table) -> dict[str, dict[str, Any]]:
    """The queryables of one part: ``{name: JSON schema}`` for each property column."""
    found: dict[str, dict[str, Any]] = {}
    for name in sorted(set(table.column_names) - _NOT_PROPERTIES):
        schema = _column_schema(table[name])
        if schema is not None:
            found[name] = schema
    return found


def _column_schema(column: pa.ChunkedArray) -> dict[str, Any] | None:
    kind = column.type
    if column.null_count == len(column):
        return None
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return {"type": "string", "format": "date-time"}
    if pa.types.is_boolean(kind):
        return {"type": "boolean"}
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        low, high = pc.min_max(column).values()
        number = "integer" if pa.types.is_integer(kind) else "number"
        return {"type": number, "minimum": low.as_py(), "maximum": high.as_py()}
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        values = pc.unique(column.drop_null())
        schema: dict[str, Any] = {"type": "string"}
        if len(values) <= MAX_ENUM and len(values) < len(column):  # values that repeat
            schema["enum"] = sorted(values.to_pylist())
        return schema
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return {"type": "array"}
    if pa.types.is_struct(kind) or pa.types.is_map(kind):
        return {"type": "object"}
    return None
