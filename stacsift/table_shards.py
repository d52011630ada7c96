"""A collection's GeoParquet parts, split by a hash of the item id, rewritten only where changed.

A collection's rows live in a power-of-two number of parts (shards) of about
:data:`PART_ROWS` rows; an item's part is ``crc32(id) mod shards``. An update rewrites only the
parts whose items it changes (copy-on-write), so a one-item change uploads one small part
instead of the whole collection. When a collection outgrows its shards fourfold (or shrinks
that much) it is rewritten whole into a new shard count.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from stacsift.index.manifest import TablePart
from stacsift.table import LocalPart, merge_part, write_table

PART_ROWS = 4096


def shard_of(item_id: str, shards: int) -> int:
    return zlib.crc32(item_id.encode()) % shards


def shard_count(rows: int, current: int, part_rows: int = PART_ROWS) -> int:
    """Shards for ``rows``: the power of two that gives parts of at most :data:`PART_ROWS`
    rows, but ``current`` while that is within a factor of two of it (so a collection is
    rewritten whole only when it has doubled or halved twice)."""
    wanted = 1
    while wanted * part_rows < rows:
        wanted *= 2
    return current if wanted // 2 <= current <= wanted * 2 else wanted


@dataclass
class Rewritten:
    """A collection's new parts (by shard), the old parts they replace, and whether the whole
    collection was rewritten (then its summary is exact, else it extends the previous one)."""

    parts: dict[int, LocalPart] = field(default_factory=dict)
    replaced: list[TablePart] = field(default_factory=list)
    shards: int = 1
    whole: bool = False


def rewrite(
    collection: str,
    old: Sequence[TablePart],
    drop: set[str],
    new_items: Sequence[dict[str, Any]],
    collection_json: dict[str, Any] | None,
    local: Callable[[TablePart], Path],
    work: Path,
    part_rows: int = PART_ROWS,
) -> Rewritten:
    """Rewrite the parts of ``collection`` that ``drop`` and ``new_items`` touch."""
    current = old[0].shards if old else 1
    shards = shard_count(sum(p.rows for p in old) + len(new_items), current, part_rows)
    if shards != current or shards == 1:
        return _whole(collection, old, drop, new_items, collection_json, local, work, shards)
    result = Rewritten(shards=shards)
    touched = {shard_of(i, shards) for i in drop} | {shard_of(i["id"], shards) for i in new_items}
    for shard in sorted(touched):
        replaced = [p for p in old if p.shard == shard]
        part = merge_part(
            work / f"shard-{shard}",
            collection,
            [local(p) for p in replaced],
            drop,
            [i for i in new_items if shard_of(i["id"], shards) == shard],
            collection_json,
        )
        result.replaced += replaced
        if part is not None:
            result.parts[shard] = part
    return result


def _whole(
    collection: str,
    old: Sequence[TablePart],
    drop: set[str],
    new_items: Sequence[dict[str, Any]],
    collection_json: dict[str, Any] | None,
    local: Callable[[TablePart], Path],
    work: Path,
    shards: int,
) -> Rewritten:
    result = Rewritten(replaced=list(old), shards=shards, whole=True)
    merged = merge_part(
        work / "whole", collection, [local(p) for p in old], drop, new_items, collection_json
    )
    if merged is None:
        return result
    if shards == 1:
        result.parts[0] = merged
        return result
    table = pq.read_table(merged.path)
    of_rows = pa.array([shard_of(str(i), shards) for i in table["id"].to_pylist()])
    for shard in range(shards):
        rows = table.filter(pc.equal(of_rows, shard))
        if rows.num_rows:
            result.parts[shard] = write_table(
                work / f"shard-{shard}", collection, rows, collection_json
            )
    return result
