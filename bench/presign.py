"""Presign throughput and latency, in-process and over HTTP, beside boto3's generate_presigned_url.

Every figure is the median of several runs. Signing uses static credentials, so it is pure
computation and nothing leaves the machine; the HTTP figures go through the local gateway
(``stacsift serve``'s code path) on loopback, client and server in this one process. The item
is a real index document: a generated catalog with one 20-asset item is built into a temporary
local index first.

    make bench            # or: .venv/bin/python bench/presign.py [--runs 5]

Targets (issue 6): at least 20,000 single signatures/s in-process; item signing p50 at most 2 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import obstore
import orjson
from botocore.config import Config
from obstore.store import S3Store

from functions import presign, search
from functions.gateway import dispatch, make_server
from index_builder.build import build
from stacsift.settings import PresignSettings, SearchSettings, StoreSettings
from stacsift.signing.policy import parse_allow
from stacsift.signing.presigner import Presigner, presigner
from stacsift.store import open_bucket

BUCKET = "bench-cogs"
REGION = "eu-central-1"
STORE = StoreSettings(
    region=REGION,
    access_key_id="AKIAIOSFODNN7EXAMPLE",
    secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
)
HREFS = [f"s3://{BUCKET}/mosaic/2024/tile_{i:03d}/B{i % 12:02d}.tif" for i in range(100)]
SINGLE_CALLS = 20_000
BOTO_CALLS = 4_000
ITEM_CALLS = 1_000
HTTP_SINGLE_CALLS = 2_000
HTTP_ITEM_CALLS = 500


def rate(call: Callable[[int], object], count: int) -> float:
    """Calls per second of ``call(i)`` for i in 0..count."""
    started = time.perf_counter()
    for i in range(count):
        call(i)
    return count / (time.perf_counter() - started)


def p50_ms(call: Callable[[], object], count: int) -> float:
    """Median latency of ``call()`` in milliseconds."""
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def median_of(runs: int, measure: Callable[[], float]) -> float:
    measure()  # warm-up: caches, stores, connections
    return statistics.median(measure() for _ in range(runs))


def bench_item(assets: int = 20) -> dict[str, Any]:
    """A STAC item with ``assets`` COG assets in the allow-listed bucket."""
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": "tile-32UQD",
        "collection": "bench",
        "geometry": {"type": "Point", "coordinates": [11.5, 48.1]},
        "bbox": [11.5, 48.1, 11.5, 48.1],
        "properties": {"datetime": "2024-06-01T10:00:00Z", "title": "bench tile"},
        "links": [],
        "assets": {
            f"B{i:02d}": {
                "href": f"s3://{BUCKET}/mosaic/2024/tile-32UQD/B{i:02d}.tif",
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["data"],
            }
            for i in range(assets)
        },
    }


def boto_client() -> Any:
    return boto3.client(
        "s3",
        region_name=REGION,
        aws_access_key_id=STORE.access_key_id,
        aws_secret_access_key=STORE.secret_access_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),
    )


def boto_sign_item(client: Any, item: dict[str, Any]) -> dict[str, Any]:
    """The baseline: what signing an item looks like with boto3, one asset at a time."""
    assets = {}
    for name, asset in item["assets"].items():
        key = asset["href"].removeprefix(f"s3://{BUCKET}/")
        params = {"Bucket": BUCKET, "Key": key}
        url = client.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)
        assets[name] = {**asset, "href": url}
    return {**item, "assets": assets}


def in_process(runs: int, signing: Presigner) -> dict[str, float]:
    client = boto_client()
    keys = [h.removeprefix(f"s3://{BUCKET}/") for h in HREFS]
    store = S3Store(
        BUCKET, config={"region": REGION, "access_key_id": "A", "secret_access_key": "B"}
    )
    hour = timedelta(hours=1)
    item = bench_item()

    def boto_one(i: int) -> object:
        params = {"Bucket": BUCKET, "Key": keys[i % 100]}
        return client.generate_presigned_url("get_object", Params=params, ExpiresIn=3600)

    return {
        "single": median_of(
            runs, lambda: rate(lambda i: signing.sign(HREFS[i % 100], 3600), SINGLE_CALLS)
        ),
        "single_obstore": median_of(
            runs,
            lambda: rate(lambda i: obstore.sign(store, "GET", keys[i % 100], hour), SINGLE_CALLS),
        ),
        "single_boto": median_of(runs, lambda: rate(boto_one, BOTO_CALLS)),
        "item": median_of(runs, lambda: p50_ms(lambda: signing.sign_item(item, 3600), ITEM_CALLS)),
        "item_boto": median_of(
            runs, lambda: p50_ms(lambda: boto_sign_item(client, item), ITEM_CALLS // 4)
        ),
    }


def write_catalog(folder: Path) -> Path:
    """A catalog → collection → one 20-asset item, as files the builder crawls."""
    item = bench_item()
    collection = {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": "bench",
        "description": "presign bench",
        "license": "proprietary",
        "extent": {
            "spatial": {"bbox": [item["bbox"]]},
            "temporal": {"interval": [["2024-06-01T10:00:00Z", None]]},
        },
        "links": [{"rel": "item", "href": "./tile.json"}],
    }
    catalog = {
        "type": "Catalog",
        "stac_version": "1.0.0",
        "id": "root",
        "description": "presign bench",
        "links": [{"rel": "child", "href": "./bench/collection.json"}],
    }
    (folder / "bench").mkdir(parents=True)
    (folder / "bench/tile.json").write_bytes(orjson.dumps(item))
    (folder / "bench/collection.json").write_bytes(orjson.dumps(collection))
    (folder / "catalog.json").write_bytes(orjson.dumps(catalog))
    return folder / "catalog.json"


@contextmanager
def served(work: Path) -> Iterator[int]:
    """The search and presign handlers behind the local gateway, over a freshly built index."""
    root = str(work / "root")
    build([str(write_catalog(work / "catalog"))], open_bucket(root, StoreSettings(), create=True))
    signing = PresignSettings(
        allow=parse_allow(BUCKET).rules, store=STORE, root=root, cache_dir=work
    )
    search_settings = SearchSettings(root=root, cache_dir=work)
    handler = dispatch(
        {"/sign": presign.make_handler(signing)}, search.make_handler(search_settings)
    )
    server = make_server(handler, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def over_http(runs: int, port: int) -> dict[str, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    targets = [f"/sign?href={quote(h, safe='')}" for h in HREFS]

    def fetch(target: str) -> bytes:
        connection.request("GET", target)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{target}: {response.status} {body[:200]!r}")
        return body

    item_target = "/sign/collections/bench/items/tile-32UQD"
    return {
        "single": median_of(
            runs, lambda: rate(lambda i: fetch(targets[i % 100]), HTTP_SINGLE_CALLS)
        ),
        "item": median_of(runs, lambda: p50_ms(lambda: fetch(item_target), HTTP_ITEM_CALLS)),
    }


def quiet_function_logs() -> None:
    """Keep the functions' per-request INFO logs (their cost counts) out of the terminal."""
    sink = Path(os.devnull).open("w")  # lives as long as the process
    for logger in (presign.logger, search.logger):
        for handler in logger.handlers:
            if hasattr(handler, "setStream"):
                handler.setStream(sink)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median is printed)")
    args = parser.parse_args()
    quiet_function_logs()
    signing = presigner(PresignSettings(allow=parse_allow(BUCKET).rules, store=STORE))
    local = in_process(args.runs, signing)
    with tempfile.TemporaryDirectory(prefix="stacsift-bench-") as tmp, served(Path(tmp)) as port:
        remote = over_http(args.runs, port)
    print(f"presign bench: median of {args.runs} runs, {os.cpu_count()} CPUs")
    print(f"{'':40}{'stacsift':>16}{'boto3 baseline':>18}")
    print(
        f"{'single href, in-process':40}{local['single']:>10,.0f} sig/s"
        f"{local['single_boto']:>12,.0f} sig/s"
    )
    print(f"{'  (obstore.sign alone, no checks)':40}{local['single_obstore']:>10,.0f} sig/s")
    item_line = f"{_ms(local['item'], 16)}{_ms(local['item_boto'], 18)}"
    print(f"{'item with 20 assets, in-process':40}{item_line}")
    print(f"{'single href, over HTTP (local gateway)':40}{remote['single']:>10,.0f} req/s")
    print(f"{'item with 20 assets, over HTTP':40}{_ms(remote['item'], 16)}")
    single = "met" if local["single"] >= 20_000 else "NOT met"
    item = "met" if local["item"] <= 2.0 else "NOT met"
    print(f"targets: >= 20,000 signatures/s in-process ({single}); item p50 <= 2 ms ({item})")


def _ms(value: float, width: int) -> str:
    return f"p50 {value:.3f} ms".rjust(width)


if __name__ == "__main__":
    main()
