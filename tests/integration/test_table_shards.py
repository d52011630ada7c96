"""A collection's parts split by item-id hash: a small change rewrites one small part."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from stacsift.index.manifest import TablePart
from stacsift.table_shards import Rewritten, rewrite, shard_count, shard_of
from tests.support.reindexing import naip, titled


def test_shard_counts_change_only_when_far_off() -> None:
    assert shard_count(100, 1, part_rows=128) == 1
    assert shard_count(1000, 1, part_rows=128) == 8  # 8 parts of at most 128 rows
    assert shard_count(1500, 8, part_rows=128) == 8  # within a factor of two: kept
    assert shard_count(5000, 8, part_rows=128) == 64
    assert shard_count(100, 8, part_rows=128) == 1


def _parts(done: Rewritten, collection: str) -> list[TablePart]:
    return [
        TablePart(str(p.path), collection, p.rows, p.path.stat().st_size, shard, done.shards)
        for shard, p in done.parts.items()
    ]


def test_a_one_item_change_rewrites_one_part(tmp_path: Path) -> None:
    _, items = naip()
    full = rewrite("naip", [], set(), items, None, lambda p: Path(p.key), tmp_path / "a", 128)
    assert full.whole and full.shards == 8 and len(full.parts) == 8
    for shard, part in full.parts.items():
        ids = pq.read_table(part.path, columns=["id"])["id"].to_pylist()
        assert {shard_of(i, 8) for i in ids} == {shard} and len(ids) <= 2 * 128
    assert sum(p.rows for p in full.parts.values()) == 1000
    old = _parts(full, "naip")
    changed = titled(items[0], "changed")
    one = rewrite(
        "naip", old, {changed["id"]}, [changed], None, lambda p: Path(p.key), tmp_path / "b", 128
    )
    shard = shard_of(changed["id"], 8)
    assert not one.whole and list(one.parts) == [shard]
    assert [p.shard for p in one.replaced] == [shard]
    rows = pq.read_table(one.parts[shard].path).to_pylist()
    assert len(rows) == full.parts[shard].rows
    assert [r["title"] for r in rows if r["id"] == changed["id"]] == ["changed"]
