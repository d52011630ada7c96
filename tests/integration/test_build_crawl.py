"""``stacsift build`` with the crawler: reports, exit codes, duplicates, cheap rebuilds.

GIVEN real fixture catalogs (on disk and over a loopback HTTP server), WHEN they are built,
THEN the report file has counts by kind and every skip with URL and reason, the exit code is
non-zero only for an unreadable root or with ``--strict``, duplicate ids keep the first object
crawled, and building an unchanged catalog again transfers no bodies and publishes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from index_builder.build import build
from index_builder.cache import CrawlCache
from stacsift.index.manifest import MANIFEST_KEY
from stacsift.index.publish import current_manifest
from stacsift.index.reader import IndexReader
from stacsift.query.params import SearchRequest
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.integration.conftest import free_port
from tests.support.crawling import crawler
from tests.support.fixture_server import serve_folder

ODSE = "catalogs/odse-fragment-2024-07"
ODSE_ITEM = (
    "lcv_blue_landsat.glad.ard/lcv_blue_landsat.glad.ard_1999.12.02..2000.03.20/"
    "lcv_blue_landsat.glad.ard_1999.12.02..2000.03.20.json"
)


def stacsift(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stacsift_cli.main", *args, "--crawl-cache", str(cache)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
        check=False,
    )


def test_report_file_lists_counts_skips_and_warnings(fixtures: Path, tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    result = stacsift(
        "build",
        str(fixtures / ODSE),
        str(fixtures / ODSE / ODSE_ITEM),
        "--root",
        str(tmp_path / "root"),
        "--report",
        str(report_path),
        cache=tmp_path / "cache.sqlite",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"generation 1 published to {(tmp_path / 'root').as_uri()}: "
        "1 catalogs, 0 collections, 1 items; 146 skipped"
    )
    report = orjson.loads(report_path.read_bytes())
    assert report["counts"] == {"Catalog": 1, "Collection": 0, "Item": 1}
    assert len(report["skipped"]) == 146
    assert {s["reason"] for s in report["skipped"]} == {"broken link: no such file"}
    assert all(s["href"].endswith("/collection.json") for s in report["skipped"])
    assert {w["message"]: w["count"] for w in report["warnings"]} == {
        "properties.start_datetime is a date without a time; read as midnight UTC": 1,
        "properties.end_datetime is a date without a time; read as its last microsecond UTC": 1,
        "properties.gsd is a string; read as a number": 1,
    }


def test_strict_fails_and_publishes_nothing(fixtures: Path, tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    root = tmp_path / "root"
    result = stacsift(
        "build",
        str(fixtures / ODSE),
        "--root",
        str(root),
        "--strict",
        "--report",
        str(report_path),
        cache=tmp_path / "cache.sqlite",
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "stacsift: error: 146 documents skipped with --strict; nothing was published"
    )
    assert len(orjson.loads(report_path.read_bytes())["skipped"]) == 146
    assert not (root / MANIFEST_KEY).exists()


def test_an_unreadable_root_is_the_one_failure(fixtures: Path, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/catalog.json"
    result = stacsift(
        "build",
        str(fixtures / "catalogs/pystac-test-case-1"),
        closed,
        "--root",
        str(tmp_path / "root"),
        "--retries",
        "0",
        cache=tmp_path / "cache.sqlite",
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"stacsift: error: {closed}: connection refused"
    assert not (tmp_path / "root" / MANIFEST_KEY).exists()


def test_duplicate_ids_keep_the_first_object_crawled(fixtures: Path, tmp_path: Path) -> None:
    # The spec's example collection links three items that all have the id 20201211_223832_CS2.
    examples = fixtures / "catalogs/stac-spec-examples-v1.1.0"
    bucket = open_bucket(str(tmp_path / "root"), StoreSettings(), create=True)
    result = build([str(examples / "collection.json")], bucket, tmp_path)
    assert result.report.counts == {"Catalog": 0, "Collection": 1, "Item": 3}
    assert result.duplicates == [
        (examples / "core-item.json").as_uri(),
        (examples / "extended-item.json").as_uri(),
    ]
    reader = IndexReader(bucket, tmp_path / "cache", ttl_seconds=0)
    page = search_items(reader.current(), SearchRequest(limit=10))
    assert page.matched == 1
    kept = orjson.loads((examples / "simple-item.json").read_bytes())
    assert page.features[0]["properties"] == kept["properties"]


def test_rebuilding_an_unchanged_catalog_over_http_transfers_and_publishes_nothing(
    fixtures: Path, tmp_path: Path
) -> None:
    bucket = open_bucket(str(tmp_path / "root"), StoreSettings(), create=True)
    with (
        serve_folder(fixtures / "catalogs/pystac-test-case-4") as server,
        CrawlCache(tmp_path / "cache.sqlite") as cache,
        crawler(cache=cache) as active,
    ):
        source = [f"{server.url}/catalog.json"]
        first = build(source, bucket, tmp_path, crawler=active)
        first_requests = len(server.log)
        second = build(source, bucket, tmp_path, crawler=active)
        second_log = server.log[first_requests:]
        forced = build(source, bucket, tmp_path, crawler=active, force=True)
    assert (first.manifest.generation, first.unchanged) == (1, False)
    assert (second.manifest.generation, second.unchanged) == (1, True)
    assert {(entry.status, entry.body_bytes) for entry in second_log} == {(304, 0)}
    assert len(second_log) == first_requests == 70
    assert (
        second.report.counts == first.report.counts == {"Catalog": 1, "Collection": 7, "Item": 62}
    )
    assert (forced.manifest.generation, forced.unchanged) == (2, False)
    assert current_manifest(bucket)[0] == forced.manifest


def test_null_geometry_items_are_indexed(fixtures: Path, tmp_path: Path) -> None:
    # the ODSE item twice: as published, and with a null geometry (valid STAC) and no bbox
    item = orjson.loads((fixtures / ODSE / ODSE_ITEM).read_bytes())
    nowhere = {**item, "id": "nowhere", "geometry": None}
    nowhere.pop("bbox")
    (tmp_path / "nowhere.json").write_bytes(orjson.dumps(nowhere))
    bucket = open_bucket(str(tmp_path / "root"), StoreSettings(), create=True)
    sources = [str(fixtures / ODSE / ODSE_ITEM), str(tmp_path / "nowhere.json")]
    result = build(sources, bucket, tmp_path)
    page = search_items(
        IndexReader(bucket, tmp_path / "cache", ttl_seconds=0).current(),
        SearchRequest(limit=10),
    )
    assert sorted(f["id"] for f in page.features) == [item["id"], "nowhere"]
    assert result.report.skipped == []
    assert [p.rows for p in result.manifest.table_parts] == [1]
    assert any("null geometry" in message for message in result.report.warnings)
