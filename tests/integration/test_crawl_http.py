"""Crawling over HTTP from a real loopback server that misbehaves on purpose.

GIVEN the pystac fixture catalogs served over HTTP with injected 429s (with ``Retry-After``),
500s, stalls past the client timeout, redirects, truncated bodies and wrong content, WHEN they
are crawled, THEN every object that is reachable comes out and the report lists exactly the
documents that were not, each with its reason. Backoff sleeps are recorded, never waited for.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from index_builder.cache import CrawlCache
from index_builder.crawl import CrawlOptions
from tests.support.crawling import Sleeps, counts, crawl_all, skips
from tests.support.fixture_server import Script, serve_folder

CASE_1 = "catalogs/pystac-test-case-1"
CASE_4 = "catalogs/pystac-test-case-4"
# A "stall" costs one timeout per attempt in real time; 1 s is short but no healthy loopback
# answer takes that long, even on a busy machine.
FAULTY = CrawlOptions(attempts=3, timeout_seconds=1.0, concurrency=8, per_host=4)


def test_transient_faults_are_retried_and_lasting_ones_reported(fixtures: Path) -> None:
    faults = {
        # transient: each path recovers within three attempts
        "/country-1/catalog.json": Script(["429"]),
        "/country-1/area-1-1/collection.json": Script(["stall"]),
        "/country-1/area-1-2/collection.json": Script(["500", "500"]),
        "/country-1/area-1-1/area-1-1-imagery/area-1-1-imagery.json": Script(["truncate"]),
        # a catalog that moved: its relative links resolve against where it moved to
        "/country-2/catalog.json": Script(then="redirect:/_moved/country-2/catalog.json"),
        # lasting: these never answer properly
        "/_moved/country-2/area-2-2/collection.json": Script(then="500"),
        "/_moved/country-2/area-2-1/area-2-1-labels/area-2-1-labels.json": Script(then="truncate"),
        "/country-1/area-1-2/area-1-2-labels/area-1-2-labels.json": Script(then="stall"),
    }
    sleeps = Sleeps()
    with serve_folder(fixtures / CASE_1, faults) as server:
        found, report = crawl_all(f"{server.url}/catalog.json", FAULTY, sleeps=sleeps)
    base = server.url
    assert counts(found) == {"Catalog": 3, "Collection": 3, "Item": 4}
    assert sorted(o.data["id"] for o in found if o.kind == "Item") == [
        "area-1-1-imagery",
        "area-1-1-labels",
        "area-1-2-imagery",
        "area-2-1-imagery",
    ]
    reasons = skips(report)
    assert set(reasons) == {
        f"{base}/_moved/country-2/area-2-2/collection.json",
        f"{base}/_moved/country-2/area-2-1/area-2-1-labels/area-2-1-labels.json",
        f"{base}/country-1/area-1-2/area-1-2-labels/area-1-2-labels.json",
    }
    assert reasons[f"{base}/_moved/country-2/area-2-2/collection.json"] == (
        "HTTP 500 (after 3 attempts)"
    )
    truncated = reasons[f"{base}/_moved/country-2/area-2-1/area-2-1-labels/area-2-1-labels.json"]
    assert truncated.startswith("truncated body")
    assert truncated.endswith("(after 3 attempts)")
    stalled = reasons[f"{base}/country-1/area-1-2/area-1-2-labels/area-1-2-labels.json"]
    assert stalled == "timed out (after 3 attempts)"
    assert 1.0 in sleeps.seconds  # Retry-After: 1 was honoured
    # retries: 1 + 1 + 2 + 1 for the transient faults, 2 for each of the 3 lasting ones
    assert report.transfer.retries == len(sleeps.seconds) == 11


def test_content_that_is_not_stac_is_skipped_with_the_reason(fixtures: Path) -> None:
    faults = {
        "/acc/collection.json": Script(then="html"),
        "/mon/493701/493701.json": Script(then="notjson"),
        "/mon/f15272/f15272.json": Script(then="ogc"),
        "/kam/4e7c7f/4e7c7f.json": Script(then="redirect:/nowhere.json"),
    }
    with serve_folder(fixtures / CASE_4, faults) as server:
        found, report = crawl_all(f"{server.url}/catalog.json", FAULTY)
    # test-case-4: 7 collections and 62 items; acc holds 8 of them; three more items are broken
    assert counts(found) == {"Catalog": 1, "Collection": 6, "Item": 51}
    reasons = skips(report)
    assert reasons.pop(f"{server.url}/acc/collection.json") == "content type text/html is not JSON"
    assert reasons.pop(f"{server.url}/mon/493701/493701.json").startswith("not JSON:")
    assert reasons.pop(f"{server.url}/mon/f15272/f15272.json") == (
        "not STAC: no stac_version (type 'Feature')"
    )
    assert reasons.pop(f"{server.url}/kam/4e7c7f/4e7c7f.json") == "broken link: HTTP 404"
    assert reasons == {}


def test_fetches_per_host_stay_within_the_limit(fixtures: Path) -> None:
    options = CrawlOptions(concurrency=8, per_host=2)
    with serve_folder(fixtures / CASE_4) as server:
        found, report = crawl_all(f"{server.url}/catalog.json", options)
    assert counts(found) == {"Catalog": 1, "Collection": 7, "Item": 62}
    assert 1 <= server.max_active <= 2
    assert report.skipped == []


def test_gzip_bodies_are_decompressed(fixtures: Path) -> None:
    with serve_folder(fixtures / CASE_1, gzip_bodies=True) as server:
        found, _ = crawl_all(f"{server.url}/catalog.json")
    assert counts(found) == {"Catalog": 3, "Collection": 4, "Item": 8}


def test_oversize_documents_are_skipped(fixtures: Path) -> None:
    cap = 1000
    folder = fixtures / CASE_1
    too_big = {p.relative_to(folder).as_posix() for p in folder.rglob("*.json")}
    too_big = {name for name in too_big if (folder / name).stat().st_size > cap}
    with serve_folder(folder) as server:
        found, report = crawl_all(
            f"{server.url}/catalog.json", CrawlOptions(max_document_bytes=cap)
        )
    assert too_big  # the cap bites: some items are larger, the catalogs and collections are not
    assert skips(report) == {f"{server.url}/{name}": f"larger than {cap} bytes" for name in too_big}
    assert counts(found) == {"Catalog": 3, "Collection": 4, "Item": 8 - len(too_big)}


def test_a_recrawl_of_an_unchanged_catalog_transfers_no_bodies(
    fixtures: Path, tmp_path: Path
) -> None:
    with serve_folder(fixtures / CASE_4) as server, CrawlCache(tmp_path / "c.sqlite") as cache:
        first, first_report = crawl_all(f"{server.url}/catalog.json", cache=cache)
        first_log = list(server.log)
        second, second_report = crawl_all(f"{server.url}/catalog.json", cache=cache)
        second_log = server.log[len(first_log) :]
    assert len(first_log) == len(second_log) == 70  # 1 catalog, 7 collections, 62 items
    assert {entry.status for entry in first_log} == {200}
    assert {(entry.status, entry.body_bytes) for entry in second_log} == {(304, 0)}
    assert [(o.href, o.data) for o in second] == [(o.href, o.data) for o in first]
    assert (second_report.transfer.not_modified, second_report.transfer.bodies) == (70, 0)
    assert first_report.transfer.bodies == 70


@pytest.mark.parametrize("sources", [["catalog.json", "catalog.json"], ["catalog.json"]])
def test_each_document_is_crawled_once(fixtures: Path, sources: list[str]) -> None:
    with serve_folder(fixtures / CASE_1) as server:
        found, _ = crawl_all([f"{server.url}/{s}" for s in sources])
        paths = [entry.path for entry in server.log]
    assert counts(found) == {"Catalog": 3, "Collection": 4, "Item": 8}
    assert len(paths) == len(set(paths)) == 15
