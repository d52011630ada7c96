"""The manifest round-trips, and a reader refuses what it cannot open, saying why."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from stacsift.errors import IndexFormatError
from stacsift.index.manifest import CollectionSummary, FileEntry, Manifest, TablePart

MANIFEST = Manifest(
    generation=3,
    created="2026-01-01T00:00:00+00:00",
    tantivy_meta="index/tantivy/meta-abc.json",
    tantivy_files=[FileEntry("index/tantivy/abc.idx", 10)],
    table_parts=[TablePart("table/a/part-abc.parquet", "a", 2, 100)],
    collections={"a": CollectionSummary(2, [0.0, 0.0, 1.0, 1.0], ["2020-01-01T00:00:00Z", None])},
    sources=["file:///x/catalog.json"],
    stats={"seconds": 1.5},
)


def test_round_trip() -> None:
    assert Manifest.from_json(MANIFEST.to_json(), "m") == MANIFEST


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"format_version": 99}, "index format 99"),
        ({"tantivy_version": "0.1.0"}, "tantivy '0.1.0'"),
        ({"format": "something-else"}, "not a stacsift index manifest"),
    ],
)
def test_refuses_other_formats(change: dict[str, object], says: str) -> None:
    raw = orjson.loads(MANIFEST.to_json()) | change
    with pytest.raises(IndexFormatError) as caught:
        Manifest.from_json(orjson.dumps(raw), "s3://b/index/manifest.json")
    assert says in str(caught.value)
    assert "s3://b/index/manifest.json" in str(caught.value)


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b'{"format": "stacsift-index"}'])
def test_garbage_is_a_format_error(data: bytes) -> None:
    raw = data
    if data == b'{"format": "stacsift-index"}':
        raw = orjson.dumps(
            {k: v for k, v in orjson.loads(MANIFEST.to_json()).items() if k != "tantivy_files"}
        )
    with pytest.raises(IndexFormatError):
        Manifest.from_json(raw, "m")


def test_generation_is_data_not_identity() -> None:
    assert replace(MANIFEST, generation=4) != MANIFEST
