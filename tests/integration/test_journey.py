"""The seed's journey as a new user takes it, against a real ``stacsift serve`` over the sample:
words → collection → item → asset → pixels read by rasterio (GDAL /vsicurl/) over HTTP."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import rasterio
from rasterio.windows import Window
from rio_cogeo.cogeo import cog_validate

from tests.http import get

Served = tuple[str, Path]


def fetch(
    url: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) for ``path`` sent exactly as written (no normalising)."""
    connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_sample_cogs_are_valid_cogs(sample_served: Served) -> None:
    _, catalog = sample_served
    cogs = sorted(catalog.parent.glob("*/*/*.tif"))
    assert len(cogs) == 45
    for cog in cogs[:: len(cogs) // 5]:
        valid, errors, warnings = cog_validate(str(cog), quiet=True)
        assert (valid, errors, warnings) == (True, [], [])
        with rasterio.open(cog) as dataset:
            assert dataset.crs.to_epsg() == 4326
            assert dataset.overviews(1) == [2, 4]
            assert (dataset.block_shapes[0]) == (256, 256)


def test_from_words_to_pixels(sample_served: Served) -> None:
    url, catalog = sample_served
    # GIVEN the words a user types
    _, found = get(f"{url}/collections?q=Forest*")
    collection = found["collections"][0]
    assert "forest" in collection["title"].lower()
    # WHEN they follow the collection's items link and take the first item's asset
    items = next(lk["href"] for lk in collection["links"] if lk["rel"] == "items")
    _, page = get(f"{items}?limit=1")
    item = page["features"][0]
    href = item["assets"]["data"]["href"]
    assert href.startswith(f"{url}/files/sample/")
    # THEN rasterio opens it over HTTP and reads a window, as on disk
    window = Window(300, 200, 64, 48)
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"), rasterio.open(href) as remote:
        pixels = remote.read(1, window=window)
        overview = remote.read(1, out_shape=(110, 192))
    local = catalog.parent / str(item["collection"]) / str(item["id"]) / f"{item['id']}.tif"
    with rasterio.open(local) as on_disk:
        assert (pixels == on_disk.read(1, window=window)).all()
        assert (overview == on_disk.read(1, out_shape=(110, 192))).all()
    assert pixels.max() > pixels.min()  # real data, not an empty window


def test_files_answer_byte_ranges(sample_served: Served) -> None:
    url, catalog = sample_served
    size = (catalog.parent / "catalog.json").stat().st_size
    whole = (catalog.parent / "catalog.json").read_bytes()
    status, headers, body = fetch(url, "/files/sample/catalog.json", method="HEAD")
    assert (status, headers["content-length"], body) == (200, str(size), b"")
    assert headers["accept-ranges"] == "bytes"
    status, headers, body = fetch(url, "/files/sample/catalog.json", {"Range": "bytes=10-19"})
    assert (status, headers["content-range"], body) == (206, f"bytes 10-19/{size}", whole[10:20])
    status, _, body = fetch(url, "/files/sample/catalog.json", {"Range": "bytes=-5"})
    assert (status, body) == (206, whole[-5:])
    status, headers, _ = fetch(url, "/files/sample/catalog.json", {"Range": f"bytes={size}-"})
    assert (status, headers["content-range"]) == (416, f"bytes */{size}")
    status, _, body = fetch(url, "/files/sample/catalog.json", {"Range": "bytes=0-1,5-6"})
    assert (status, body) == (200, whole)  # several ranges: the whole file, as HTTP allows


@pytest.fixture(scope="module")
def escapes(sample_served: Served) -> Iterator[Path]:
    """A secret beside the served folder, and links inside it that lead out to it (removed
    afterwards: the served sample is shared)."""
    _, catalog = sample_served
    secret = catalog.parent.parent / "secret.txt"
    secret.write_text("not to be served")
    made = [catalog.parent / n for n in ("secret-link.txt", "up", ".hidden.json")]
    made[0].symlink_to(secret)
    made[1].symlink_to(catalog.parent.parent, target_is_directory=True)
    made[2].write_text("{}")
    yield secret
    for path in [*made, secret]:
        path.unlink()


@pytest.mark.parametrize(
    "path",
    [
        "/files/sample/../secret.txt",
        "/files/sample/%2e%2e/secret.txt",
        "/files/sample/%2E%2E%2Fsecret.txt",
        "/files/sample/%252e%252e/secret.txt",
        "/files/sample/forest.osm/../../secret.txt",
        "/files/sample/..%5csecret.txt",
        "/files/sample/secret-link.txt",
        "/files/sample/up/secret.txt",
        "/files/sample/.hidden.json",
        "/files/sample//etc/passwd",
        "/files//etc/passwd",
        "/files/etc/passwd",
        "/files/../secret.txt",
        "/files/sample/",
        "/files/sample",
    ],
)
def test_nothing_outside_the_crawled_folder(
    sample_served: Served, escapes: Path, path: str
) -> None:
    url, _ = sample_served
    status, headers, body = fetch(url, path)
    assert status == 404, body
    assert escapes.read_bytes() not in body
    assert headers["content-type"] == "application/json"


def test_files_are_read_only(sample_served: Served) -> None:
    url, _ = sample_served
    status, _, _ = fetch(url, "/files/sample/catalog.json", method="DELETE")
    assert status == 405
