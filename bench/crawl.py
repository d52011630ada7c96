"""Crawl throughput: stacsift's crawler next to pystac and rustac, on the same generated catalog.

Generates a static catalog (1 root, 20 collections, 20,000 items by default) in a temporary
folder, then crawls it (a) on local disk, (b) over HTTP from a standard-library file server in
its own process, (c) from an S3 bucket on a moto server in its own process, with:

- stacsift: ``Crawler.crawl`` (no crawl cache: every body is transferred);
- pystac: ``Catalog.from_file(root).get_items(recursive=True)`` (S3 through a small ``StacIO``
  that reads with obstore, since pystac reads only files and HTTP itself);
- rustac: ``rustac.walk`` over the root read with ``rustac.read``.

Figures are items per second, the median of several runs (``--runs`` for stacsift and rustac,
``--pystac-runs`` for pystac on disk; one run each over HTTP for pystac and on S3 for all, where
the emulator, not the crawler, sets the pace — ``--pystac-remote-runs``, ``--s3-runs``). Run with
``make bench-crawl``; ``--items`` and ``--only local|http|s3`` make quicker runs. rustac cannot
be measured over plain HTTP (see ``bench_http``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import obstore
import orjson
import pystac
import rustac
from obstore.store import S3Store
from pystac.stac_io import DefaultStacIO

from index_builder.crawl import Crawler, CrawlOptions, CrawlReport
from stacsift.settings import StoreSettings

COLLECTIONS = 20
HERE = Path(__file__).resolve().parent


# -- the catalog -------------------------------------------------------------------------------


def generate(folder: Path, items: int) -> Path:
    """A root catalog → COLLECTIONS collections → ``items`` items, linked relatively."""
    per = items // COLLECTIONS
    root_links = [{"rel": "root", "href": "./catalog.json", "type": "application/json"}]
    for c in range(COLLECTIONS):
        cid = f"collection-{c:02d}"
        root_links.append({"rel": "child", "href": f"./{cid}/collection.json"})
        links = [
            {"rel": "root", "href": "../catalog.json"},
            {"rel": "parent", "href": "../catalog.json"},
        ]
        for i in range(per):
            iid = f"{cid}-item-{i:05d}"
            links.append(
                {"rel": "item", "href": f"./{iid}/{iid}.json", "type": "application/geo+json"}
            )
            _write(folder / cid / iid / f"{iid}.json", _item(cid, iid, i))
        _write(folder / cid / "collection.json", _collection(cid, links))
    root = folder / "catalog.json"
    _write(
        root,
        {
            "type": "Catalog",
            "stac_version": "1.1.0",
            "id": "bench",
            "description": "Generated for the crawl benchmark",
            "links": root_links,
        },
    )
    return root


def _item(cid: str, iid: str, i: int) -> dict[str, Any]:
    x, y = -170.0 + (i % 340), -60.0 + (i % 120)
    ring = [[x, y], [x + 0.25, y], [x + 0.25, y + 0.25], [x, y + 0.25], [x, y]]
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": ["https://stac-extensions.github.io/eo/v1.1.0/schema.json"],
        "id": iid,
        "collection": cid,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "bbox": [x, y, x + 0.25, y + 0.25],
        "properties": {
            "datetime": f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z",
            "title": f"Scene {i} of {cid}",
            "platform": "sentinel-2a",
            "instruments": ["msi"],
            "gsd": 10,
            "eo:cloud_cover": i % 100,
        },
        "links": [
            {"rel": "root", "href": "../../catalog.json"},
            {"rel": "parent", "href": "../collection.json"},
            {"rel": "collection", "href": "../collection.json"},
        ],
        "assets": {
            "visual": {
                "href": f"./{iid}_TCI.tif",
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["visual"],
            },
            "thumbnail": {"href": f"./{iid}.jpg", "type": "image/jpeg", "roles": ["thumbnail"]},
        },
    }


def _collection(cid: str, links: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "type": "Collection",
        "stac_version": "1.1.0",
        "id": cid,
        "description": f"Generated collection {cid}",
        "license": "CC-BY-4.0",
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [["2020-01-01T00:00:00Z", None]]},
        },
        "links": links,
    }


def _write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


# -- the crawlers --------------------------------------------------------------------------------


def stacsift_items(source: str, store: StoreSettings | None = None) -> int:
    report = CrawlReport()
    with Crawler(CrawlOptions(), store=store) as crawler:
        for _ in crawler.crawl(source, report):
            pass
    if report.skipped:
        raise RuntimeError(f"stacsift skipped {len(report.skipped)}: {report.skipped[:3]}")
    return report.counts["Item"]


def pystac_items(source: str, stac_io: pystac.StacIO | None = None) -> int:
    catalog = pystac.Catalog.from_file(source, stac_io=stac_io)
    return sum(1 for _ in catalog.get_items(recursive=True))


class ObstoreStacIO(DefaultStacIO):
    """pystac reading ``s3://`` hrefs with obstore (pystac itself reads files and HTTP only)."""

    def __init__(self, store: S3Store, bucket: str) -> None:
        super().__init__()
        self.store = store
        self.prefix = f"s3://{bucket}/"

    def read_text_from_href(self, href: str) -> str:
        if href.startswith(self.prefix):
            return bytes(obstore.get(self.store, href.removeprefix(self.prefix)).bytes()).decode()
        return super().read_text_from_href(href)


def rustac_items(source: str, env: dict[str, str] | None = None) -> float:
    """Items/s of rustac's walk, timed inside a child process: rustac 0.9.18 crashes the
    interpreter at exit (SIGSEGV) after a walk, and a child keeps that (and its object-store
    settings, which it reads from the environment) away from this process."""
    done = subprocess.run(
        [sys.executable, __file__, "--rustac-walk", source],
        capture_output=True,
        check=False,  # the child may die at exit (SIGSEGV) after printing its result
        env={**os.environ, **(env or {})},
    )
    if not done.stdout.strip():
        raise RuntimeError(f"rustac walk failed ({done.returncode}): {done.stderr[-500:]!r}")
    result = orjson.loads(done.stdout.splitlines()[0])
    return float(result["items"]) / float(result["seconds"])


def rustac_walk(source: str) -> None:
    """In the child: walk ``source`` with rustac and print the items and seconds as JSON."""

    async def walk() -> int:
        root = await rustac.read(source)
        count = 0
        async for _, _, items in rustac.walk(root):
            count += len(items)
        return count

    started = time.perf_counter()
    items = asyncio.run(walk())
    seconds = time.perf_counter() - started
    sys.stdout.write(orjson.dumps({"items": items, "seconds": seconds}).decode() + "\n")
    sys.stdout.flush()


def rustac_env(settings: StoreSettings) -> dict[str, str]:
    """The emulator's endpoint and credentials as the variables rustac's S3 store reads."""
    return {
        "AWS_ENDPOINT_URL": settings.endpoint or "",
        "AWS_ACCESS_KEY_ID": settings.access_key_id or "",
        "AWS_SECRET_ACCESS_KEY": settings.secret_access_key or "",
        "AWS_REGION": settings.region or "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }


# -- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def process(args: list[str], port: int) -> Iterator[None]:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{args[:3]} did not start") from None
                time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def http_server(folder: Path) -> Iterator[str]:
    port = free_port()
    with process([sys.executable, str(HERE / "static_server.py"), str(folder), str(port)], port):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def moto_bucket(folder: Path) -> Iterator[tuple[str, StoreSettings, S3Store]]:
    """A moto S3 server in its own process, with ``folder`` uploaded to a new bucket."""
    port = free_port()
    with process([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port):
        settings = StoreSettings(
            endpoint=f"http://127.0.0.1:{port}",
            region="us-east-1",
            access_key_id="testing",
            secret_access_key="testing",
        )
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        import boto3

        boto3.client(
            "s3",
            endpoint_url=settings.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=bucket)
        store = S3Store(
            bucket,
            config={
                "endpoint": settings.endpoint or "",
                "region": "us-east-1",
                "access_key_id": "testing",
                "secret_access_key": "testing",
            },
            client_options={"allow_http": True},
        )
        files = [p for p in folder.rglob("*.json")]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda p: obstore.put(store, p.relative_to(folder).as_posix(), p), files))
        yield bucket, settings, store


# -- measuring ---------------------------------------------------------------------------------


def measure(label: str, run: Callable[[], float], runs: int) -> float:
    """Median items/s of ``runs`` runs; ``run`` returns one run's items/s."""
    rates = [run() for _ in range(runs)]
    median = statistics.median(rates)
    shown = ", ".join(f"{r:,.0f}" for r in rates)
    print(f"  {label:<10} {median:>9,.0f} items/s  (median of {runs}: {shown})", flush=True)
    return median


def timed(count: Callable[[], int], expected: int) -> Callable[[], float]:
    """A run that crawls with ``count`` and returns items/s, checking it found them all."""

    def run() -> float:
        started = time.perf_counter()
        items = count()
        elapsed = time.perf_counter() - started
        if items != expected:
            raise RuntimeError(f"crawled {items} items, expected {expected}")
        return items / elapsed

    return run


def compare(rates: dict[str, float]) -> None:
    ours = rates["stacsift"]
    for other in ("pystac", "rustac"):
        if other in rates:
            print(f"  stacsift / {other}: {ours / rates[other]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of stacsift and rustac")
    parser.add_argument("--pystac-runs", type=int, default=3, help="runs of pystac on disk")
    parser.add_argument(
        "--pystac-remote-runs", type=int, default=1, help="runs of pystac over HTTP and S3"
    )
    parser.add_argument(
        "--s3-runs", type=int, default=1, help="runs per crawler on S3 (moto is slow)"
    )
    parser.add_argument("--only", choices=["local", "http", "s3"], action="append")
    parser.add_argument("--rustac-walk", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rustac_walk:
        rustac_walk(args.rustac_walk)
        return
    with tempfile.TemporaryDirectory(prefix="stacsift-bench-") as tmp:
        folder = Path(tmp) / "catalog"
        started = time.perf_counter()
        root = generate(folder, args.items)
        print(
            f"generated {args.items:,} items in {COLLECTIONS} collections "
            f"({time.perf_counter() - started:.1f}s); {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        for place in args.only or ["local", "http", "s3"]:
            PLACES[place](folder, root, args)


def bench_local(folder: Path, root: Path, args: argparse.Namespace) -> None:
    n, source = args.items, str(root)
    print("(a) local disk")
    compare(
        {
            "stacsift": measure("stacsift", timed(lambda: stacsift_items(source), n), args.runs),
            "pystac": measure("pystac", timed(lambda: pystac_items(source), n), args.pystac_runs),
            "rustac": measure("rustac", lambda: rustac_items(source), args.runs),
        }
    )


def bench_http(folder: Path, root: Path, args: argparse.Namespace) -> None:
    n = args.items
    with http_server(folder) as base:
        url = f"{base}/catalog.json"
        print("(b) HTTP: standard-library file server (HTTP/1.1 keep-alive) in its own process")
        rates = {
            "stacsift": measure("stacsift", timed(lambda: stacsift_items(url), n), args.runs),
            "pystac": measure(
                "pystac", timed(lambda: pystac_items(url), n), args.pystac_remote_runs
            ),
        }
        print(
            "  rustac     n/a: rustac 0.9's read/walk refuse http:// URLs (its object store is "
            "built without allow_http, and with an explicit HTTPStore walk takes relative hrefs "
            "as store paths)"
        )
        compare(rates)


def bench_s3(folder: Path, root: Path, args: argparse.Namespace) -> None:
    n = args.items
    with moto_bucket(folder) as (bucket, settings, store):
        url = f"s3://{bucket}/catalog.json"
        print("(c) S3: moto server in its own process")
        stac_io = ObstoreStacIO(store, bucket)
        env = rustac_env(settings)
        compare(
            {
                "stacsift": measure(
                    "stacsift", timed(lambda: stacsift_items(url, settings), n), args.s3_runs
                ),
                "pystac": measure(
                    "pystac", timed(lambda: pystac_items(url, stac_io), n), args.s3_runs
                ),
                "rustac": measure("rustac", lambda: rustac_items(url, env), args.s3_runs),
            }
        )


PLACES: dict[str, Callable[[Path, Path, argparse.Namespace], None]] = {
    "local": bench_local,
    "http": bench_http,
    "s3": bench_s3,
}


if __name__ == "__main__":
    main()
