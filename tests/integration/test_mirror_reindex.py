"""A mirror written under a watched prefix is indexed by event reindexing, by itself.

GIVEN a LocalStack bucket that notifies a queue of every object created, and a ``stacsift
worker`` watching ``s3://bucket/stac/``, WHEN pystac's test-case-4 is mirrored into
``s3://bucket/stac/mirror``, THEN the index the worker keeps holds exactly the source's items,
and the mirror's own state under ``.stacsift-mirror/`` is ignored (not indexed, not rejected).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.support.crawling import crawl_all
from tests.support.mirroring import mirror
from tests.support.reindexing import drain, found, notifying_bucket, rejects_listing


@pytest.mark.integration
def test_a_mirror_under_a_watched_prefix_indexes_itself(
    localstack: StoreSettings, fixtures: Path, tmp_path: Path
) -> None:
    bucket, queue_url = notifying_bucket(localstack)
    source = str(fixtures / "catalogs/pystac-test-case-4")
    dest = open_bucket(f"s3://{bucket}/stac/mirror", localstack)
    report = mirror([source], dest, tmp_path / "work", store=localstack)
    assert report.mirrored["Item"] == 62

    root = f"s3://{bucket}/stac/index"
    drain(localstack, queue_url, root, bucket, tmp_path)
    crawled, _ = crawl_all(source)
    assert found(localstack, root, tmp_path) == {
        str(obj.data["id"]) for obj in crawled if obj.kind == "Item"
    }
    assert ".stacsift-mirror" not in rejects_listing(localstack, root)
