"""Mirroring a catalog with its COGs into LocalStack, then reading them back as a client would.

GIVEN the ESA CCI land-cover catalog (2 collections, 2 items, 5 COGs and one netCDF asset whose
file is not in the fixture) WHEN ``stacsift mirror --assets all --index`` copies it into a
LocalStack bucket (which checks signatures), THEN the 5 COGs in the bucket are byte-identical to
the originals (a second run, reading its state back from the bucket, copies nothing), the
missing netCDF is reported while the rest carries on, the mirrored item's
asset hrefs open (the original kept as an ``alternate``), and the index built from the mirror
gives asset hrefs in the mirror that rasterio reads a window from through a URL presigned by
stacsift's own signer.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import orjson
import pytest
import rasterio
from rasterio.windows import Window

from index_builder.links import resolve
from stacsift.settings import StoreSettings
from stacsift.signing.hrefs import HrefParser
from stacsift.signing.signer import ObstoreSigner
from stacsift_cli.main import main
from tests.integration.conftest import s3_client

CATALOG = "catalogs/esa-cci-lc"
ITEM = "C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1-N79W180"
GDAL_ENV = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "GDAL_HTTP_MAX_RETRY": "0"}


def _env(monkeypatch: pytest.MonkeyPatch, store: StoreSettings) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", str(store.endpoint))
    monkeypatch.setenv("AWS_REGION", str(store.region))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(store.access_key_id))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(store.secret_access_key))


def test_cogs_are_mirrored_verified_indexed_and_readable(
    localstack: StoreSettings,
    fixtures: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _env(monkeypatch, localstack)
    client = s3_client(localstack)
    bucket = f"stacsift-mirror-{tmp_path.name[-8:].lower().replace('_', '-')}"
    client.create_bucket(Bucket=bucket)
    report = tmp_path / "report.json"
    source = fixtures / CATALOG
    argv = [str(source), "--to", f"s3://{bucket}/mirror", "--assets", "all"]
    argv += ["--index", f"s3://{bucket}/index", "--report", str(report), "--no-crawl-cache"]
    assert main(["mirror", *argv]) == 0
    body = orjson.loads(report.read_bytes())
    assert body["copied_by_kind"] == {"Catalog": 1, "Collection": 2, "Item": 2, "Asset": 5}
    assert [f["reason"] for f in body["failures"]] == ["broken link: no such file"]
    assert body["failures"][0]["href"].endswith(".nc")

    originals = sorted((source / "esa-cci-lc" / ITEM).glob("*.tif"))
    assert len(originals) == 5
    item_key = f"mirror/esa-cci-lc/{ITEM}/{ITEM}.json"
    item = orjson.loads(client.get_object(Bucket=bucket, Key=item_key)["Body"].read())
    item_url = f"s3://{bucket}/{item_key}"
    for asset in item["assets"].values():
        key = resolve(item_url, asset["href"]).removeprefix(f"s3://{bucket}/")
        copied = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        original = Path(asset["alternate"]["source"]["href"].removeprefix("file://"))
        assert original in originals
        assert copied == original.read_bytes()

    assert main(["mirror", *argv[:5], "--report", str(report), "--no-crawl-cache"]) == 0
    again = orjson.loads(report.read_bytes())  # the state came back from the bucket
    assert (again["copied"], again["skipped_unchanged"]) == (0, 10)

    capsys.readouterr()
    assert main(["search", "--root", f"s3://{bucket}/index", "--json", "--limit", "5"]) == 0
    found = orjson.loads(capsys.readouterr().out)["features"]
    indexed = next(f for f in found if f["id"] == ITEM)
    href = indexed["assets"]["lccs_class"]["href"]
    assert href == f"s3://{bucket}/mirror/esa-cci-lc/{ITEM}/{ITEM}-lccs_class.tif"
    ref = HrefParser(default_endpoint=localstack.endpoint).parse(href)
    signed = ObstoreSigner(localstack).sign(ref, timedelta(minutes=5))
    window = Window(100, 50, 64, 32)
    with rasterio.Env(**GDAL_ENV), rasterio.open(signed) as remote:
        data = remote.read(1, window=window)
    with rasterio.open(source / "esa-cci-lc" / ITEM / f"{ITEM}-lccs_class.tif") as local:
        expected = local.read(1, window=window)
    assert np.array_equal(data, expected)
    assert data.any()
