"""Documents are written in time order, a batch at a time, so that the documents of a time
window lie together in each segment (:func:`stacsift.index.writer.in_time_order`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import tantivy

from stacsift.index import schema as f
from stacsift.index.documents import Document, to_document
from stacsift.index.writer import in_time_order, write_index


def _item(n: int, hour: int) -> dict[str, Any]:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"item-{n}",
        "collection": "c",
        "geometry": None,
        "properties": {"datetime": f"2020-01-{1 + hour // 24:02d}T{hour % 24:02d}:00:00Z"},
        "links": [],
        "assets": {},
    }


def _documents(hours: list[int]) -> list[Document]:
    return [to_document(_item(n, hour)) for n, hour in enumerate(hours)]


def test_each_batch_comes_out_in_time_order() -> None:
    documents = _documents([5, 3, 9, 1, 4, 2, 8])
    ordered = list(in_time_order(documents, batch=3))
    expected = ["item-1", "item-0", "item-2", "item-3", "item-5", "item-4", "item-6"]
    assert [d.id for d in ordered] == expected
    assert sorted(d.id for d in ordered) == sorted(d.id for d in documents)


def test_a_written_segment_numbers_its_documents_in_time_order(tmp_path: Path) -> None:
    # GIVEN items written newest first
    write_index(tmp_path / "index", iter(_documents(list(range(200, 0, -1)))))
    # WHEN reading each segment's documents in the order of their numbers
    searcher = tantivy.Index.open(str(tmp_path / "index")).searcher()
    hits = searcher.search(tantivy.Query.all_query(), limit=1000).hits
    segments: dict[int, list[tuple[int, str]]] = {}
    for _, address in hits:
        raw = searcher.doc(address).get_first(f.JSON)
        assert isinstance(raw, bytes)
        stored = orjson.loads(raw)
        segments.setdefault(address.segment_ord, []).append(
            (address.doc, stored["properties"]["datetime"])
        )
    # THEN every segment has them oldest first
    assert len(hits) == 200 and max(map(len, segments.values())) > 50
    for numbered in segments.values():
        times = [moment for _, moment in sorted(numbered)]
        assert times == sorted(times)
