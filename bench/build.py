"""Build figures on generated catalogs, beside whoosh and stac-geoparquet on the same items.

For each size prints: build throughput from in-memory items (documents → tantivy + GeoParquet →
published to a local root) and end to end from a static catalog on local disk (crawl
included); index and table bytes per item; an incremental upsert of 100 items into the built
index (writer cache warm) — uploaded index bytes and time against the full build; and the
baselines: a whoosh index of the same text fields, and stac-geoparquet alone writing the
table. Usage: ``python -m bench.build [--sizes 20000,200000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import stac_geoparquet.arrow

from bench.baselines import whoosh_index
from bench.synthetic import collections, items
from bench.timing import median
from index_builder.build import build
from stacsift.index.documents import to_document
from stacsift.index.writer import write_index
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from stacsift.update import Changes, UpdateResult, apply_changes


def in_memory(objects: list[dict[str, Any]], work: Path) -> tuple[float, UpdateResult, Path]:
    root = work / "root"
    bucket = open_bucket(str(root), StoreSettings(), create=True)
    started = time.perf_counter()
    documents = [to_document(o) for o in objects]
    result = apply_changes(bucket, Changes(documents, replace=True), work / "cache", work)
    return time.perf_counter() - started, result, root


def write_catalog(objects: list[dict[str, Any]], folder: Path) -> Path:
    """A static catalog: root → collections → items, relative links."""
    by_collection: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        if obj["type"] == "Feature":
            by_collection.setdefault(obj["collection"], []).append(obj)
    root_links = [{"rel": "child", "href": f"./{c}/collection.json"} for c in by_collection]
    folder.mkdir(parents=True)
    (folder / "catalog.json").write_bytes(
        orjson.dumps(
            {
                "type": "Catalog",
                "id": "bench",
                "stac_version": "1.0.0",
                "description": "bench",
                "links": root_links,
            }
        )
    )
    for collection in (o for o in objects if o["type"] == "Collection"):
        cid = collection["id"]
        (folder / cid).mkdir()
        links = [{"rel": "item", "href": f"./{i['id']}.json"} for i in by_collection[cid]]
        (folder / cid / "collection.json").write_bytes(orjson.dumps(collection | {"links": links}))
        for item in by_collection[cid]:
            (folder / cid / f"{item['id']}.json").write_bytes(orjson.dumps(item))
    return folder / "catalog.json"


def index_only(objects: list[dict[str, Any]], folder: Path) -> float:
    """Documents and the tantivy index alone: the part whoosh does."""
    started = time.perf_counter()
    write_index(folder, (to_document(o) for o in objects))
    return time.perf_counter() - started


def end_to_end(catalog: Path, work: Path) -> float:
    bucket = open_bucket(str(work / "root-disk"), StoreSettings(), create=True)
    started = time.perf_counter()
    build([str(catalog)], bucket, work, cache_dir=work / "cache-disk")
    return time.perf_counter() - started


def incremental(root: Path, work: Path, count: int) -> UpdateResult:
    bucket = open_bucket(str(root), StoreSettings())
    changed = []
    for item in list(items(count))[:: max(1, count // 100)][:100]:
        properties = item["properties"] | {"eo:cloud_cover": 0.5, "title": "updated tile"}
        changed.append(to_document(item | {"properties": properties}))
    return apply_changes(bucket, Changes(changed), work / "cache", work)


def run(count: int, runs: int, baselines: bool) -> None:
    print(f"\n== {count:,} items ==")
    objects = collections() + list(items(count))
    builds, ends, incs, indexing, whooshes, sgps = [], [], [], [], [], []
    last: tuple[UpdateResult, UpdateResult, Path] | None = None
    with tempfile.TemporaryDirectory(prefix="stacsift-bench-") as tmp:
        catalog = write_catalog(objects, Path(tmp) / "catalog")
        for number in range(runs):  # baselines inside each run: the same machine conditions
            work = Path(tmp) / f"run{number}"
            work.mkdir()
            seconds, full, root = in_memory(objects, work)
            builds.append(seconds)
            if baselines:
                sgps.append(_geoparquet(objects, work / "baseline.parquet"))
            indexing.append(index_only(objects, work / "index-only"))
            if baselines:
                whooshes.append(_whoosh(objects, work / "whoosh"))
            ends.append(end_to_end(catalog, work))
            inc = incremental(root, work, count)
            incs.append(inc.seconds)
            last = (full, inc, root)
        assert last is not None
        full, inc, root = last
        index_bytes = sum(e.size for e in full.manifest.tantivy_files)
        table_bytes = sum(p.size for p in full.manifest.table_parts)
        new_keys = {e.key for e in inc.manifest.tantivy_files} - {
            e.key for e in full.manifest.tantivy_files
        }
        inc_index = sum(e.size for e in inc.manifest.tantivy_files if e.key in new_keys)
        build_s, end_s, inc_s = median(builds), median(ends), median(incs)
        print(
            f"  build from in-memory items: {count / build_s:9,.0f} items/s "
            f"(median {build_s:.2f} s of {runs})"
        )
        index_s = median(indexing)
        print(f"  full-text index alone:      {count / index_s:9,.0f} items/s")
        print(f"  end to end from local disk: {count / end_s:9,.0f} items/s (median {end_s:.2f} s)")
        print(f"  index {index_bytes / count:,.0f} B/item, table {table_bytes / count:,.0f} B/item")
        print(
            f"  upsert 100 items: {inc_index:,} index bytes uploaded = "
            f"{inc_index / index_bytes:.3%} of the full index; {inc.uploaded_bytes:,} bytes "
            f"with the rewritten table part; {inc_s:.2f} s = {inc_s / build_s:.1%} of a full build"
        )
        if baselines:
            whoosh_s, sgp_s = median(whooshes), median(sgps)
            print(
                f"  baseline whoosh indexing:   {count / whoosh_s:9,.0f} items/s "
                f"→ stacsift indexes {whoosh_s / index_s:.1f}x faster, and builds index and "
                f"table {whoosh_s / build_s:.1f}x faster"
            )
            ratios = sorted(w / i for w, i in zip(whooshes, indexing, strict=True))
            print(
                "  indexing vs whoosh, run by run: "
                + ", ".join(f"{r:.1f}x" for r in ratios)
                + f" (median {median(ratios):.1f}x)"
            )
            print(
                f"  baseline stac-geoparquet:   {count / sgp_s:9,.0f} items/s "
                f"(table only; stacsift does index + table at {sgp_s / build_s:.2f}x its speed)"
            )


def _whoosh(objects: list[dict[str, Any]], folder: Path) -> float:
    started = time.perf_counter()
    whoosh_index([o for o in objects if o["type"] == "Feature"], folder)
    return time.perf_counter() - started


def _geoparquet(objects: list[dict[str, Any]], path: Path) -> float:
    started = time.perf_counter()
    features = [o for o in objects if o["type"] == "Feature"]
    stac_geoparquet.arrow.parse_stac_items_to_parquet(features, output_path=path)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args()
    for count in (int(s) for s in args.sizes.split(",")):
        run(count, args.runs, not args.no_baselines)


if __name__ == "__main__":
    main()
