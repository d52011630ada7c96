"""Crawling catalogs from a bucket on the S3 emulator (moto server, its own process).

GIVEN the pystac fixture catalogs uploaded under ``s3://<bucket>/<name>/``, WHEN they are crawled
by ``s3://`` URL with the emulator's endpoint and credentials, THEN they crawl to the same counts
as on disk; a second crawl with the crawl cache is answered ``304 Not Modified`` throughout; a
missing object is a broken link in the report; a bucket that does not exist fails the root.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from index_builder.cache import CrawlCache
from stacsift.errors import SourceError
from stacsift.settings import StoreSettings
from tests.integration.conftest import s3_client
from tests.support.crawling import counts, crawl_all, skips

EXPECTED = {
    "pystac-test-case-1": {"Catalog": 3, "Collection": 4, "Item": 8},
    "pystac-test-case-4": {"Catalog": 1, "Collection": 7, "Item": 62},
}
ODSE = "odse-fragment-2024-07"  # a root whose 146 children all dangle


@pytest.fixture(scope="module")
def bucket(s3_store: StoreSettings, fixtures: Path) -> str:
    """A bucket holding the fixture catalogs (uploaded from ``../shared/fixtures`` as they are)."""
    name = f"catalogs-{uuid.uuid4().hex[:12]}"
    client = s3_client(s3_store)
    client.create_bucket(Bucket=name)
    for catalog in [*EXPECTED, ODSE]:
        folder = fixtures / "catalogs" / catalog
        for path in folder.rglob("*.json"):
            key = f"{catalog}/{path.relative_to(folder).as_posix()}"
            client.put_object(Bucket=name, Key=key, Body=path.read_bytes())
    client.close()
    return name


@pytest.mark.parametrize("catalog", sorted(EXPECTED))
def test_a_catalog_in_a_bucket_crawls_to_the_same_counts(
    s3_store: StoreSettings, bucket: str, catalog: str
) -> None:
    found, report = crawl_all(f"s3://{bucket}/{catalog}/catalog.json", store=s3_store)
    assert counts(found) == EXPECTED[catalog]
    assert report.skipped == []
    assert all(o.href.startswith(f"s3://{bucket}/{catalog}/") for o in found)


def test_a_recrawl_from_the_bucket_is_not_modified(
    s3_store: StoreSettings, bucket: str, tmp_path: Path
) -> None:
    root = f"s3://{bucket}/pystac-test-case-1/catalog.json"
    with CrawlCache(tmp_path / "cache.sqlite") as cache:
        first, first_report = crawl_all(root, store=s3_store, cache=cache)
        second, second_report = crawl_all(root, store=s3_store, cache=cache)
    assert (first_report.transfer.bodies, first_report.transfer.not_modified) == (15, 0)
    assert (second_report.transfer.bodies, second_report.transfer.not_modified) == (0, 15)
    assert [o.data for o in second] == [o.data for o in first]


def test_missing_objects_are_broken_links_and_a_missing_root_fails(
    s3_store: StoreSettings, bucket: str
) -> None:
    found, report = crawl_all(f"s3://{bucket}/{ODSE}/catalog.json", store=s3_store)
    assert counts(found) == {"Catalog": 1, "Collection": 0, "Item": 0}
    reasons = skips(report)
    assert len(reasons) == 146
    assert set(reasons.values()) == {"broken link: no such object"}
    assert f"s3://{bucket}/{ODSE}/lcv_landcover.312_lucas.corine.eml/collection.json" in reasons
    with pytest.raises(SourceError, match=f"s3://{bucket}/{ODSE}/absent.json"):
        crawl_all(f"s3://{bucket}/{ODSE}/absent.json", store=s3_store)
