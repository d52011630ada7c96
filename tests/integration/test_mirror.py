"""Mirroring real catalogs into a folder and into moto S3.

GIVEN pystac's test-case-4 (1 catalog, 7 collections, 62 items) on disk, or rustac serving the
1,000 NAIP items as a STAC API, WHEN each is mirrored into a folder and into an S3 bucket, THEN a
crawl of the mirror finds exactly what a crawl of the source found (counts and ids), every
structural link in the mirror is relative, and every mirrored object is valid against the
offline STAC schemas. A second run writes nothing and says everything was unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from index_builder.crawl import Crawled
from index_builder.fetch import FetchFailed
from index_builder.mirror import MirrorOptions
from index_builder.mirror_copy import AssetSelection
from index_builder.mirror_paths import STATE_DIR
from stacsift.settings import StoreSettings
from stacsift.store import PART_BYTES, open_bucket
from stacsift_cli.main import main
from tests.support.crawling import counts, crawl_all
from tests.support.mirroring import mirror, mirrored_json, non_relative_links
from tests.support.stac_schemas import problems

TEST_CASE_4 = "catalogs/pystac-test-case-4"


def _ids(found: list[Crawled]) -> dict[str, list[str]]:
    by_kind: dict[str, list[str]] = {}
    for obj in found:
        by_kind.setdefault(obj.kind, []).append(str(obj.data.get("id")))
    return {kind: sorted(ids) for kind, ids in by_kind.items()}


@pytest.fixture(params=["folder", "s3"])
def dest(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, StoreSettings]:
    if request.param == "folder":
        return str(tmp_path / "mirror"), StoreSettings()
    store: StoreSettings = request.getfixturevalue("s3_store")
    return request.getfixturevalue("s3_root"), store


_SOURCES: dict[str, list[Crawled]] = {}


def _source(url: str) -> list[Crawled]:
    """The source as crawled, once per test session (both destinations compare with it)."""
    if url not in _SOURCES:
        found, report = crawl_all(url)
        assert report.skipped == []
        _SOURCES[url] = found
    return _SOURCES[url]


def _check_mirror(source: str, dest: tuple[str, StoreSettings], work: Path) -> None:
    root, store = dest
    bucket = open_bucket(root, store, create=True)
    first = mirror([source], bucket, work, store=store)
    found = _source(source)
    assert first.failures == [] and first.crawl.skipped == []
    assert first.total_copied == len(found)

    copy, report = crawl_all(f"{bucket.url}/catalog.json", store=store)
    assert report.skipped == []
    assert counts(copy) == counts(found)
    assert _ids(copy) == _ids(found)

    objects = dict(mirrored_json(bucket))
    assert len(objects) == len(found)
    assert {
        key: non_relative_links(obj) for key, obj in objects.items() if non_relative_links(obj)
    } == {}
    assert {key: problems(obj) for key, obj in objects.items() if problems(obj)} == {}
    assert any(info.key.startswith(f"{STATE_DIR}/") for info in bucket.list(STATE_DIR))

    if store.endpoint is None:  # the state's round trip through a bucket: test_mirror_assets
        again = mirror([source], bucket, work, store=store)
        assert (again.total_copied, again.unchanged) == (0, len(found))


def test_a_static_catalog_mirrors_whole(
    fixtures: Path, dest: tuple[str, StoreSettings], tmp_path: Path
) -> None:
    _check_mirror(str(fixtures / TEST_CASE_4), dest, tmp_path / "work")


def test_a_stac_api_becomes_a_static_catalog(
    naip_api: str, dest: tuple[str, StoreSettings], tmp_path: Path
) -> None:
    _check_mirror(naip_api, dest, tmp_path / "work")


def test_the_cli_mirrors_and_reports(fixtures: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    dest = tmp_path / "mirror"
    argv = [str(fixtures / TEST_CASE_4), "--to", str(dest), "--report", str(report)]
    assert main(["mirror", *argv, "--no-crawl-cache"]) == 0
    body = orjson.loads(report.read_bytes())
    assert (body["copied"], body["mirrored"]["Item"], body["failures"]) == (70, 62, [])
    assert main(["mirror", *argv, "--no-crawl-cache", "--dry-run"]) == 0
    again = orjson.loads(report.read_bytes())
    assert (again["copied"], again["skipped_unchanged"], again["dry_run"]) == (0, 70, True)


def test_streamed_puts_are_multipart_and_all_or_nothing(
    s3_root: str, s3_store: StoreSettings
) -> None:
    bucket = open_bucket(s3_root, s3_store)
    chunk = bytes(range(256)) * 4096  # 1 MiB
    bucket.put_stream("big.bin", (chunk for _ in range(PART_BYTES // len(chunk) * 2 + 3)))
    assert bucket.get("big.bin") == chunk * (PART_BYTES // len(chunk) * 2 + 3)
    etag = bucket.etag("big.bin")
    assert etag is not None and etag.endswith('-3"')  # three parts: a multipart upload

    def failing() -> Iterator[bytes]:
        yield from (chunk for _ in range(PART_BYTES // len(chunk) + 1))
        raise FetchFailed("http://source/big.bin", "truncated body", transient=True)

    with pytest.raises(FetchFailed):
        bucket.put_stream("half.bin", failing())
    assert bucket.etag("half.bin") is None


def test_assets_stream_from_one_bucket_into_another(
    fixtures: Path, s3_store: StoreSettings, s3_root: str, tmp_path: Path
) -> None:
    source = open_bucket(f"{s3_root}/source", s3_store)
    catalog = fixtures / "catalogs/esa-cci-lc"
    for path in catalog.rglob("*"):
        if path.is_file():
            source.put_file(path.relative_to(catalog).as_posix(), path)
    dest = open_bucket(f"{s3_root}/mirror", s3_store)
    options = MirrorOptions(assets=AssetSelection.parse("data"))
    report = mirror([f"{source.url}/catalog.json"], dest, tmp_path, options, store=s3_store)
    assert report.copied["Asset"] == 1  # only the COG with the "data" role; the netCDF …
    assert [(f.href.rsplit(".", 1)[-1], f.reason) for f in report.failures] == [
        ("nc", "broken link: no such object")  # … is missing from the fixture
    ]
    key = "esa-cci-lc/{0}/{0}-lccs_class.tif".format(
        "C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1-N79W180"
    )
    assert dest.get(key) == (catalog / key).read_bytes()
