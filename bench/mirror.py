"""Mirror throughput: JSON objects/s and asset MB/s, to disk and to S3 (moto), beside baselines.

JSON: a generated static catalog (1 root, 20 collections, ``--items`` items; the crawl
benchmark's generator) is mirrored (a) to a folder, (b) to a moto S3 bucket (a server in its own
process), by ``stacsift mirror`` (no assets) and by pystac: ``Catalog.from_file``,
``normalize_hrefs``, ``save(SELF_CONTAINED)`` — to S3 through a ``StacIO`` that writes with
obstore, since pystac writes only files — and (b') to the same bucket through a proxy in its
own process that holds each request ``--delay-ms`` (20 ms: a store's round trip, which loopback
to moto lacks). On S3 a bare concurrent obstore put of the same objects is the reference line.
Figures: objects/s, median of ``--runs`` (the contenders' runs alternate).

Assets: ``--assets`` items, each with one COG from ``../shared/fixtures/cogs`` (symlinked, read in
place), then ``--big`` items with a ``--big-mb`` MB file each (four files, built from a fixture
COG's bytes, so that streaming and multipart uploads are measured, not per-request costs),
served by a standard-library HTTP server in its own process, copied (c) to a folder and
(d) to moto by ``stacsift mirror --assets all`` (the items' JSON included), by a plain obstore
copy (HTTPStore ``get`` streamed into ``put``, same concurrency, no JSON, no checks) and — to a
folder only, since it cannot write to S3 — by stac-asset's ``download_item`` in its own
virtualenv (``.cache/stac-asset``, made by ``make bench-mirror``; it pins botocore apart from the
dev environment). The catalog the mirror and stac-asset read is on disk, its asset hrefs URLs
on that server, so the server serves all three the same files (the JSON's own cost is the JSON
benchmark's); once more, to a folder, the mirror reads the catalog from the server as well.
Figures: MB/s of asset bytes, median of ``--runs``; the runs of the contenders alternate.

Run with ``make bench-mirror``; ``--only json|assets`` and smaller counts make quicker runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urljoin

import obstore
import orjson
import pystac
from obstore.store import HTTPStore, LocalStore, ObjectStore
from pystac.stac_io import DefaultStacIO

from bench.crawl import generate, http_server, moto_bucket
from index_builder.crawl import Crawler, CrawlOptions, make_fetcher
from index_builder.mirror import Mirror, MirrorOptions
from index_builder.mirror_copy import AssetSelection
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.integration.conftest import proxied

HERE = Path(__file__).resolve().parent
COGS = HERE.parent.parent / "shared" / "fixtures" / "cogs"
STAC_ASSET = HERE.parent / ".cache" / "stac-asset" / "venv" / "bin" / "python"
CONCURRENCY = 16


# -- stacsift -------------------------------------------------------------------------------------


def stacsift_mirror(
    source: str, dest: str, store: StoreSettings, work: Path, assets: str = "none"
) -> int:
    """Mirror ``source`` into ``dest``; the number of objects written. As a user runs it:
    ``CONCURRENCY`` at once, and from one host (every file here comes from one) as many as
    ``--per-host`` allows by default (8)."""
    options = CrawlOptions(concurrency=CONCURRENCY)
    fetcher = make_fetcher(options, store)
    run_work = work / uuid.uuid4().hex
    run_work.mkdir(parents=True)
    with Crawler(options, store=store) as crawler:
        bucket = open_bucket(dest, store, create=True)
        mirror = MirrorOptions(AssetSelection.parse(assets), concurrency=CONCURRENCY)
        report = Mirror(bucket, crawler, fetcher, mirror, run_work).run([source])
    fetcher.close()
    if report.failures or report.crawl.skipped:
        raise RuntimeError(f"mirror failed: {report.failures[:3]} {report.crawl.skipped[:3]}")
    return report.total_copied


# -- pystac ---------------------------------------------------------------------------------------


class ObstoreWriter(DefaultStacIO):
    """pystac writing ``s3://bucket/…`` hrefs with obstore (pystac writes only files)."""

    def __init__(self, store: ObjectStore, bucket: str) -> None:
        super().__init__()
        self.store = store
        self.prefix = f"s3://{bucket}/"

    def write_text_to_href(self, href: str, txt: str) -> None:
        if href.startswith(self.prefix):
            obstore.put(self.store, href.removeprefix(self.prefix), txt.encode())
        else:
            super().write_text_to_href(href, txt)


def pystac_save(source: str, dest: str, stac_io: pystac.StacIO | None = None) -> int:
    catalog = pystac.Catalog.from_file(source, stac_io=stac_io)
    catalog.normalize_hrefs(dest)
    catalog.save(pystac.CatalogType.SELF_CONTAINED, stac_io=stac_io)
    items = sum(1 for _ in catalog.get_items(recursive=True))
    return items + 1 + sum(1 for _ in catalog.get_children())


# -- plain obstore copy and stac-asset -----------------------------------------------------------


def obstore_copy(
    source: HTTPStore, paths: list[str], dest: ObjectStore, at_once: int = CONCURRENCY
) -> int:
    """Stream every path from ``source`` into ``dest`` (``get_async`` into ``put_async``, as
    obstore's documentation shows), ``at_once`` at a time; the bytes copied."""

    async def copy_all() -> int:
        limit = asyncio.Semaphore(at_once)

        async def one(path: str) -> int:
            async with limit:
                result = await obstore.get_async(source, path)
                await obstore.put_async(dest, path, result)
                return int(result.meta["size"])

        return sum(await asyncio.gather(*(one(path) for path in paths)))

    return asyncio.run(copy_all())


def obstore_put(objects: list[tuple[str, bytes]], dest: ObjectStore) -> int:
    """Put every (key, body) into ``dest`` (``put_async``), ``CONCURRENCY`` at once: the
    store's bare PUT rate, no reading, no JSON; the number of objects put."""

    async def put_all() -> int:
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(key: str, body: bytes) -> None:
            async with limit:
                await obstore.put_async(dest, key, body)

        await asyncio.gather(*(one(key, body) for key, body in objects))
        return len(objects)

    return asyncio.run(put_all())


def stac_asset_seconds(url: str, folder: Path) -> float:
    done = subprocess.run(
        [str(STAC_ASSET), str(HERE / "stac_asset_copy.py"), url, str(folder), str(CONCURRENCY)],
        capture_output=True,
        check=True,
    )
    return float(orjson.loads(done.stdout.splitlines()[-1])["seconds"])


# -- the asset catalog ---------------------------------------------------------------------------


def big_files(folder: Path, count: int, megabytes: int) -> list[Path]:
    """``count`` files of ``megabytes`` MB each: a fixture COG's bytes repeated (a byte copy
    does not care what the bytes mean; large files show streaming and multipart throughput)."""
    folder.mkdir()
    block = (COGS / "rio-tiler__cog.tif").read_bytes()
    files = []
    for i in range(count):
        path = folder / f"big-{i}.tif"
        with path.open("wb") as out:
            for _ in range(megabytes * 1_000_000 // len(block) + 1):
                out.write(block)
        files.append(path)
    return files


def asset_catalog(folder: Path, count: int, files: list[Path]) -> tuple[Path, list[str], int]:
    """``count`` items with one file each (symlinks to ``files``, in turn); (root, paths, bytes)."""
    cogs = files
    links = [{"rel": "root", "href": "./catalog.json"}]
    paths, total = [], 0
    for i in range(count):
        iid = f"scene-{i:04d}"
        cog = cogs[i % len(cogs)]
        target = folder / iid / f"{iid}.tif"
        target.parent.mkdir(parents=True)
        target.symlink_to(cog)
        paths.append(f"{iid}/{iid}.tif")
        total += cog.stat().st_size
        item = {
            "type": "Feature",
            "stac_version": "1.1.0",
            "id": iid,
            "geometry": None,
            "properties": {"datetime": "2024-01-01T00:00:00Z"},
            "links": [{"rel": "root", "href": "../catalog.json"}],
            "assets": {"data": {"href": f"./{iid}.tif", "type": "image/tiff", "roles": ["data"]}},
        }
        (folder / iid / f"{iid}.json").write_bytes(orjson.dumps(item))
        links.append({"rel": "item", "href": f"./{iid}/{iid}.json"})
    root = folder / "catalog.json"
    catalog = {"type": "Catalog", "stac_version": "1.1.0", "id": "cogs", "description": "COGs"}
    root.write_bytes(orjson.dumps({**catalog, "links": links}))
    return root, paths, total


def remote_assets(folder: Path, out: Path, base: str) -> Path:
    """The catalog in ``folder`` as JSON files in ``out``, its asset hrefs absolute URLs under
    ``base`` (``folder`` served by HTTP): the mirror reads the JSON from disk and fetches from
    the server exactly the files the plain copy fetches. Its root."""
    for document_path in folder.rglob("*.json"):
        relative = document_path.relative_to(folder)
        document = orjson.loads(document_path.read_bytes())
        for asset in document.get("assets", {}).values():
            asset["href"] = urljoin(f"{base}/{relative.as_posix()}", asset["href"])
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(orjson.dumps(document))
    return out / "catalog.json"


# -- measuring -----------------------------------------------------------------------------------


def interleaved(unit: str, runs: int, contenders: dict[str, Callable[[], float]]) -> list[float]:
    """Each contender's median over ``runs`` rounds, each round running every contender once in
    turn, so that a machine's load drifting during the benchmark weighs on all of them alike."""
    values: dict[str, list[float]] = {label: [] for label in contenders}
    for _ in range(runs):
        for label, run in contenders.items():
            values[label].append(run())
    medians = []
    for label, found in values.items():
        median = statistics.median(found)
        shown = ", ".join(f"{v:,.1f}" for v in found)
        print(f"  {label:<24} {median:>10,.1f} {unit}  (median of {runs}: {shown})", flush=True)
        medians.append(median)
    return medians


def rate(amount: Callable[[], float]) -> Callable[[], float]:
    def run() -> float:
        started = time.perf_counter()
        done = amount()
        return done / (time.perf_counter() - started)

    return run


def ratio(name: str, ours: float, theirs: float | None) -> None:
    if theirs:
        print(f"  stacsift / {name}: {ours / theirs:.2f}x ({100 * ours / theirs:.0f}%)")


def numbered(base: str) -> Callable[[], str]:
    """Fresh destination names, one per run."""
    counter = iter(range(1_000_000))
    return lambda: f"{base}/run-{next(counter)}"


# -- the benchmarks ------------------------------------------------------------------------------


def bench_json(tmp: Path, args: argparse.Namespace) -> None:
    folder = tmp / "catalog"
    root = str(generate(folder, args.items))
    objects = args.items + 21
    print(f"JSON: {objects:,} objects (1 catalog, 20 collections, {args.items:,} items)")
    local, work = StoreSettings(), tmp / "work"
    print("(a) to a folder")
    dest = numbered(str(tmp / "out"))
    ours, theirs = interleaved(
        "objects/s",
        args.runs,
        {
            "stacsift mirror": rate(lambda: stacsift_mirror(root, dest(), local, work)),
            "pystac Catalog.save": rate(lambda: pystac_save(root, dest())),
        },
    )
    ratio("pystac", ours, theirs)
    print("(b) to S3 (moto)")
    objects = [(p.relative_to(folder).as_posix(), p.read_bytes()) for p in folder.rglob("*.json")]
    with moto_bucket(tmp / "empty") as (bucket, settings, _):
        json_to_s3(root, objects, bucket, settings, work, args.s3_runs)
        print(f"(b') to S3 (moto) behind a proxy holding each request {args.delay_ms:g} ms")
        with delayed(settings, args.delay_ms) as slow:
            json_to_s3(root, objects, bucket, slow, work, args.s3_runs)


def json_to_s3(
    root: str,
    objects: list[tuple[str, bytes]],
    bucket: str,
    settings: StoreSettings,
    work: Path,
    runs: int,
) -> None:
    """JSON objects/s to ``bucket``: the mirror, pystac, and a bare put of the same objects."""
    writer = ObstoreWriter(open_bucket(f"s3://{bucket}", settings).store, bucket)
    dest = numbered(f"s3://{bucket}/{uuid.uuid4().hex[:6]}")
    ours, theirs, ceiling = interleaved(
        "objects/s",
        runs,
        {
            "stacsift mirror": rate(lambda: stacsift_mirror(root, dest(), settings, work)),
            "pystac Catalog.save": rate(lambda: pystac_save(root, dest(), writer)),
            "obstore put (ceiling)": rate(
                lambda: obstore_put(objects, _prefixed(bucket, settings))
            ),
        },
    )
    ratio("pystac", ours, theirs)
    ratio("obstore put", ours, ceiling)
    print(f"  obstore put / pystac: {ceiling / theirs:.2f}x, about the most any writer gains here")


@contextmanager
def delayed(settings: StoreSettings, delay_ms: float) -> Iterator[StoreSettings]:
    """``settings`` through a proxy in its own process that holds each request ``delay_ms``
    before forwarding it: a real store's round trip, which loopback to moto lacks."""
    with proxied(str(settings.endpoint), delay_ms) as url:
        yield replace(settings, endpoint=url)


def bench_assets(tmp: Path, args: argparse.Namespace) -> None:
    cogs = sorted(COGS.glob("*.tif"))
    sets = [("fixture COGs", args.assets, cogs)]
    if args.big:
        sets.append((f"{args.big_mb} MB files", args.big, big_files(tmp / "big", 4, args.big_mb)))
    for name, count, files in sets:
        folder = tmp / f"assets-{len(files)}-{count}"
        folder.mkdir()
        catalog = asset_catalog(folder, count, files)
        print(f"assets: {count} {name}, {catalog[2] / 1e6:,.1f} MB, over HTTP from its own process")
        copy_assets(tmp, folder, catalog, args)


def copy_assets(
    tmp: Path, folder: Path, catalog: tuple[Path, list[str], int], args: argparse.Namespace
) -> None:
    _, paths, total = catalog
    megabytes = total / 1e6
    work, local = tmp / "work", StoreSettings()
    with http_server(folder) as base:
        url = f"{base}/catalog.json"
        on_disk = str(remote_assets(folder, tmp / f"{folder.name}-json", base))
        source = HTTPStore.from_url(base, client_options={"allow_http": True})
        print("(c) to a folder")
        dest = numbered(str(tmp / f"out-{uuid.uuid4().hex[:6]}"))
        contenders = {
            "stacsift mirror": rate(
                lambda: _mirrored(stacsift_mirror(on_disk, dest(), local, work, "all"), total)
            ),
            "obstore copy": rate(lambda: obstore_copy(source, paths, _local(dest())) / 1e6),
            # the mirror's default per host: the plain copy at its best, too
            "obstore copy, 8 at once": rate(
                lambda: obstore_copy(source, paths, _local(dest()), 8) / 1e6
            ),
            "stacsift, JSON by HTTP": rate(
                lambda: _mirrored(stacsift_mirror(url, dest(), local, work, "all"), total)
            ),
        }
        if STAC_ASSET.exists():
            contenders["stac-asset"] = lambda: megabytes / stac_asset_seconds(on_disk, Path(dest()))
        else:
            print("  stac-asset             n/a: `make bench-mirror` makes its virtualenv")
        ours, plain, fewer, whole, *other = interleaved("MB/s", args.runs, contenders)
        plain = max(plain, fewer)
        ratio("obstore copy", ours, plain)
        ratio("obstore copy (the mirror reading its JSON by HTTP too)", whole, plain)
        ratio("stac-asset", ours, other[0] if other else None)
        print("(d) to S3 (moto)")
        with moto_bucket(tmp / "empty") as (bucket, settings, _):
            dest = numbered(f"s3://{bucket}")
            ours, plain = interleaved(
                "MB/s",
                args.s3_runs,
                {
                    "stacsift mirror": rate(
                        lambda: _mirrored(
                            stacsift_mirror(on_disk, dest(), settings, work, "all"), total
                        )
                    ),
                    "obstore copy": rate(
                        lambda: obstore_copy(source, paths, _prefixed(bucket, settings)) / 1e6
                    ),
                },
            )
        print("  stac-asset             n/a: it downloads to a local folder only")
        ratio("obstore copy", ours, plain)


def _mirrored(written: int, total: int) -> float:
    """The MB of assets a mirror run copied (all of them: ``total`` bytes)."""
    if written == 0:
        raise RuntimeError("nothing was copied")
    return total / 1e6


def _local(dest: str) -> LocalStore:
    Path(dest).mkdir(parents=True)
    return LocalStore(dest)


def _prefixed(bucket: str, settings: StoreSettings) -> ObjectStore:
    return open_bucket(f"s3://{bucket}/obstore-{uuid.uuid4().hex[:6]}", settings).store


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=5_000, help="items of the JSON catalog")
    parser.add_argument("--assets", type=int, default=200, help="items with a fixture COG")
    parser.add_argument("--big", type=int, default=8, help="items with a large file (0: none)")
    parser.add_argument("--big-mb", type=int, default=32, help="size of the large files")
    parser.add_argument("--runs", type=int, default=3, help="runs on disk")
    parser.add_argument("--s3-runs", type=int, default=1, help="runs on S3 (moto is slow)")
    parser.add_argument(
        "--delay-ms", type=float, default=20.0, help="a store's round trip, for the JSON run (b')"
    )
    parser.add_argument("--only", choices=["json", "assets"], action="append")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="stacsift-bench-mirror-") as tmp:
        (Path(tmp) / "empty").mkdir()
        for part in args.only or ["json", "assets"]:
            {"json": bench_json, "assets": bench_assets}[part](Path(tmp), args)


if __name__ == "__main__":
    main()
