"""Presigned COG URLs end to end, checked by a server that checks them: LocalStack.

GIVEN the real COGs of ``../shared/fixtures/cogs`` and the esa-cci-lc catalog with its COG assets
uploaded to a LocalStack bucket (``S3_SKIP_SIGNATURE_VALIDATION=0``), and ``stacsift serve`` (the
search and presign handlers behind the local gateway, in its own process) signing for part of
that bucket, WHEN clients ask for signed URLs and read through them, THEN range reads, rasterio
and ``/vsicurl/`` work, LocalStack refuses expired or altered URLs, and the API refuses what is
not allow-listed.

The signing endpoint is a byte-counting proxy in front of LocalStack (it forwards the ``Host``
header untouched, so LocalStack verifies the very signature the client got).
"""

from __future__ import annotations

import calendar
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import numpy as np
import orjson
import pytest
import rasterio
from rasterio.windows import Window

from index_builder.build import build
from index_builder.crawl import Crawler
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.conftest import PROJECT
from tests.http import get, request
from tests.integration.conftest import free_port, listening, s3_client

COG = "cogs/rio-tiler__cog.tif"  # 2658 x 2667 uint16, 256 x 256 tiles, overviews
COG_KEY = "public/rio tiler/cög 100%.tif"  # a space, a non-ASCII letter and a percent sign
CATALOG = "catalogs/esa-cci-lc"
LC_ITEM = "C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1-N79W180"
NETCDF_ITEM = "C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1"
GDAL_ENV = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "GDAL_HTTP_MAX_RETRY": "0"}


@dataclass(frozen=True)
class Stack:
    api: str  # stacsift serve
    proxy: str  # the signing endpoint: counting proxy → LocalStack
    bucket: str  # public/ and esa-cci-lc/ are allow-listed, secret/ is not
    other: str  # not allow-listed at all
    fixtures: Path


@pytest.fixture(scope="module")
def stack(
    localstack: StoreSettings,
    counting_proxy: str,
    fixtures: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("presign")
    bucket, other = (
        f"stacsift-cogs-{uuid.uuid4().hex[:8]}",
        f"stacsift-other-{uuid.uuid4().hex[:8]}",
    )
    client = s3_client(localstack)
    for name in (bucket, other):
        client.create_bucket(Bucket=name)
    for key in (COG_KEY, "secret/cog.tif"):
        client.upload_file(str(fixtures / COG), bucket, key)
    client.upload_file(str(fixtures / COG), other, "public/cog.tif")
    upload_catalog(client, fixtures / CATALOG, bucket, "esa-cci-lc")
    with Crawler(store=localstack) as crawler:  # the catalog is crawled from the bucket itself
        build(
            [f"s3://{bucket}/esa-cci-lc/catalog.json"],
            open_bucket(f"s3://{bucket}/index", localstack, create=True),
            work_dir=work,
            crawler=crawler,
        )
    port = free_port()
    env = serve_env(localstack, counting_proxy, f"{bucket}/public,{bucket}/esa-cci-lc")
    serve = [sys.executable, "-m", "stacsift_cli.main", "serve", "--root", f"s3://{bucket}/index"]
    command = [*serve, "--port", str(port), "--cache-dir", str(work / "cache")]
    with (
        (work / "serve.log").open("wb") as log,
        listening(command, port, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT),
    ):
        yield Stack(f"http://127.0.0.1:{port}", counting_proxy, bucket, other, fixtures)


def upload_catalog(client: Any, folder: Path, bucket: str, prefix: str) -> Path:
    """Every file of the catalog (JSON and COGs) to ``s3://bucket/prefix/…``, as laid out."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder).as_posix()}")
    return folder


def serve_env(store: StoreSettings, endpoint: str, allow: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STACSIFT_"))}
    return env | {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": str(store.region),
        "AWS_ACCESS_KEY_ID": str(store.access_key_id),
        "AWS_SECRET_ACCESS_KEY": str(store.secret_access_key),
        "STACSIFT_PRESIGN_ALLOW": allow,
        "STACSIFT_PRESIGN_MAX_EXPIRES": "7200",
    }


def sign(stack: Stack, href: str, extra: str = "") -> dict[str, Any]:
    status, body = get(f"{stack.api}/sign?href={quote(href, safe='')}{extra}")
    assert status == 200, body
    return dict(body)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def proxy_stats(stack: Stack) -> dict[str, Any]:
    _, body = get(f"{stack.proxy}/__proxy__/stats")
    return dict(body)


def local_window(path: Path, window: Window) -> Any:
    with rasterio.open(path) as dataset:
        return dataset.read(1, window=window)


@pytest.mark.parametrize(
    "form",
    [
        "s3://{bucket}/public/rio tiler/cög 100%.tif",  # raw, as people write them
        "s3://{bucket}/public/rio%20tiler/c%C3%B6g%20100%25.tif",  # the same as a URI
        "{proxy}/{bucket}/public/rio%20tiler/c%C3%B6g%20100%25.tif",  # path-style on the endpoint
    ],
)
def test_signed_url_answers_a_range_request_with_exactly_those_bytes(
    stack: Stack, form: str
) -> None:
    href = form.format(bucket=stack.bucket, proxy=stack.proxy)
    signed = sign(stack, href)
    status, headers, data = fetch(signed["url"], {"Range": "bytes=0-16383"})
    local = (stack.fixtures / COG).read_bytes()
    assert status == 206
    assert data == local[:16384]
    assert headers["Content-Range"] == f"bytes 0-16383/{len(local)}"


def test_rasterio_reads_a_window_fetching_a_fraction_of_the_file(stack: Stack) -> None:
    url = sign(stack, f"s3://{stack.bucket}/{COG_KEY}")["url"]
    window = Window(1024, 1024, 256, 256)
    size = (stack.fixtures / COG).stat().st_size
    before = proxy_stats(stack)
    with rasterio.Env(**GDAL_ENV), rasterio.open(url) as remote:
        data = remote.read(1, window=window)
    after = proxy_stats(stack)
    fetched = after["bytes"] - before["bytes"]
    ranged = after["range_bytes"] - before["range_bytes"]
    assert np.array_equal(data, local_window(stack.fixtures / COG, window))
    assert data.any()  # a window with data, not an empty corner
    # GDAL learns the size with a GET it drops after the headers (a HEAD does not match a GET
    # signature); the socket buffers take some of that body before the drop. Its range reads
    # (the header, then the one tile) are all the file it asks for.
    why = f"{fetched} of {size} bytes: {after['log'][-5:]}"
    assert 0 < fetched < size / 2, why
    assert 0 < ranged <= 4 * 16384, why


def test_vsicurl_follows_the_redirect_to_the_signed_url(stack: Stack) -> None:
    href = quote(f"s3://{stack.bucket}/{COG_KEY}", safe="")
    sign_url = f"{stack.api}/sign?href={href}&expires=600&redirect=true"
    window = Window(512, 768, 300, 200)
    with rasterio.Env(**GDAL_ENV), rasterio.open(f"/vsicurl/{sign_url}") as remote:
        data = remote.read(1, window=window)
        shape = (remote.width, remote.height)
    assert shape == (2658, 2667)
    assert np.array_equal(data, local_window(stack.fixtures / COG, window))


def test_redirect_is_a_307_to_the_signed_url(stack: Stack) -> None:
    href = quote(f"s3://{stack.bucket}/{COG_KEY}", safe="")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(f"{stack.api}/sign?href={href}&redirect=true", timeout=30)
    caught.value.close()
    location = caught.value.headers["Location"]
    assert caught.value.code == 307
    assert location.startswith(f"{stack.proxy}/{stack.bucket}/public/rio%20tiler/")
    assert fetch(location, {"Range": "bytes=0-3"})[2] == b"II*\x00"  # a little-endian TIFF


def test_expired_url_is_refused(stack: Stack) -> None:
    signed = sign(stack, f"s3://{stack.bucket}/{COG_KEY}", "&expires=2")
    assert fetch(signed["url"], {"Range": "bytes=0-3"})[0] == 206  # valid while it lasts
    expiry = calendar.timegm(time.strptime(signed["expiry"], "%Y-%m-%dT%H:%M:%SZ"))
    while time.time() < expiry + 1.5:  # waiting for the expiry to pass is the point here
        time.sleep(0.25)
    status, _, body = fetch(signed["url"], {"Range": "bytes=0-3"})
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body
    assert b"Request has expired" in body


def test_one_changed_signature_character_is_refused(stack: Stack) -> None:
    url = sign(stack, f"s3://{stack.bucket}/{COG_KEY}")["url"]
    signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
    changed = signature[:10] + ("0" if signature[10] != "0" else "1") + signature[11:]
    tampered = url.replace(f"X-Amz-Signature={signature}", f"X-Amz-Signature={changed}")
    assert tampered != url
    assert fetch(url, {"Range": "bytes=0-3"})[0] == 206
    status, _, body = fetch(tampered, {"Range": "bytes=0-3"})
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in body


@pytest.mark.parametrize(
    ("href", "extra", "status", "says"),
    [
        (
            "s3://{other}/public/cog.tif",
            "",
            403,
            "bucket '{other}' is not in the presign allow-list",
        ),
        ("s3://{bucket}/secret/cog.tif", "", 403, "outside the allow-listed prefixes"),
        ("s3://{bucket}/public/../secret/cog.tif", "", 400, "path traversal"),
        ("s3://{bucket}/public/%2e%2e/secret/cog.tif", "", 400, "encoded path traversal"),
        ("{proxy}/{bucket}/public/%2E%2E/secret/cog.tif", "", 400, "encoded path traversal"),
        ("s3://{bucket}/" + COG_KEY, "&expires=7201", 400, "at most 7200 seconds"),
    ],
)
def test_what_may_not_be_read_is_refused_with_json(
    stack: Stack, href: str, extra: str, status: int, says: str
) -> None:
    names = {"bucket": stack.bucket, "other": stack.other, "proxy": stack.proxy}
    target = href.format(**names)
    got, body = get(f"{stack.api}/sign?href={quote(target, safe='')}{extra}")
    assert got == status
    assert body["code"] == ("Forbidden" if status == 403 else "InvalidParameterValue")
    assert says.format(**names) in body["description"]


def test_many_hrefs_in_one_request(stack: Stack) -> None:
    hrefs = [f"s3://{stack.bucket}/{COG_KEY}", f"s3://{stack.other}/public/cog.tif"]
    status, _, body = request(f"{stack.api}/sign", "POST", orjson.dumps({"hrefs": hrefs}))
    assert status == 200
    good, refused = body["hrefs"]
    assert fetch(good["url"], {"Range": "bytes=0-3"})[:1] == (206,)
    assert (refused["status"], refused["code"]) == (403, "Forbidden")


def test_signed_item_opens_in_rasterio_asset_by_asset(stack: Stack) -> None:
    status, item = get(f"{stack.api}/sign/collections/esa-cci-lc/items/{LC_ITEM}?expires=900")
    assert status == 200
    assert item["properties"]["stacsift:expiry"].endswith("Z")
    folder = stack.fixtures / CATALOG / "esa-cci-lc" / LC_ITEM
    assert len(item["assets"]) == 5
    window = Window(2048, 1024, 512, 512)
    for name, asset in item["assets"].items():
        assert asset["href"].startswith(f"{stack.proxy}/{stack.bucket}/esa-cci-lc/esa-cci-lc/")
        assert "X-Amz-Expires=900&" in asset["href"]
        local = folder / f"{LC_ITEM}-{name}.tif"
        with rasterio.Env(**GDAL_ENV), rasterio.open(asset["href"]) as remote:
            assert np.array_equal(remote.read(1, window=window), local_window(local, window)), name


def test_assets_outside_the_allow_list_stay_as_they_are(stack: Stack) -> None:
    path = f"/collections/esa-cci-lc-netcdf/items/{NETCDF_ITEM}"
    _, searched = get(f"{stack.api}{path}")
    status, signed = get(f"{stack.api}/sign{path}")
    assert status == 200
    assert signed["assets"] == searched["assets"]  # the netCDF lies outside the bucket's folders
    assert "stacsift:expiry" not in signed["properties"]


def test_serve_answers_search_and_sign_side_by_side(stack: Stack) -> None:
    status, found = get(f"{stack.api}/search?q=land&limit=10")
    missing, body = get(f"{stack.api}/sign/collections/esa-cci-lc/items/nope")
    assert status == 200
    assert LC_ITEM in [f["id"] for f in found["features"]]
    assert (missing, body["code"]) == (404, "NotFound")
