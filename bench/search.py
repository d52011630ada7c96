"""Search latency on generated indexes, beside whoosh (text) and DuckDB (bbox+datetime).

Prints, for each size: warm p50/p99 per query class in-process (the Lambda handler on API
Gateway v2 events) and over HTTP through ``stacsift serve``; the baselines on the same data;
cold start (a fresh process to its first answer, index downloaded from a moto S3 server) and the
search handler's import time. Usage: ``python -m bench.search [--sizes 20000,200000]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import baselines
from bench.synthetic import collections, items
from bench.timing import median, p50_p99_ms, samples
from functions.gateway import LocalContext, to_event
from functions.search import make_handler
from index_builder.build import build_objects
from index_builder.crawl import Crawled, CrawlReport
from stacsift.settings import SearchSettings, StoreSettings
from stacsift.store import open_bucket
from tests.integration.conftest import free_port, wait_for_port

REPEATS = 60
QUERIES: dict[str, list[dict[str, str]]] = {
    "text": [{"q": "forest"}, {"q": "Conifer*"}, {"q": "lake OR glacier"}],
    "text+bbox": [
        {"q": "forest", "bbox": "-20,30,40,60"},
        {"q": "wetland", "bbox": "-130,20,-60,50"},
    ],
    "bbox+datetime": [
        {"bbox": "-20,30,40,60", "datetime": "2018-01-01T00:00:00Z/2019-12-31T23:59:59Z"},
        {"bbox": "100,-10,150,20", "datetime": "2020-06-01T00:00:00Z/.."},
    ],
    "ids": [{"ids": "forest-0000000,water-0000001,urban-0000002,snow-0000004"}],
    "sortby": [{"sortby": "-eo:cloud_cover", "bbox": "-20,30,40,60"}, {"sortby": "datetime"}],
}


def build(count: int, work: Path) -> Path:
    root = work / f"root-{count}"
    objects = [Crawled("Collection", "memory:c", c) for c in collections()]
    objects += [Crawled("Item", "memory:i", i) for i in items(count)]
    started = time.perf_counter()
    build_objects(
        objects,
        ["synthetic"],
        open_bucket(str(root), StoreSettings(), create=True),
        CrawlReport(),
        work,
    )
    print(f"  built {count:,} items in {time.perf_counter() - started:.1f} s")
    return root


def in_process(root: Path, work: Path) -> None:
    handle = make_handler(SearchSettings(root=str(root), cache_dir=work / "cache-inproc"))
    print("  in-process (handler on API Gateway v2 events), limit=10:")
    for name, queries in QUERIES.items():
        times: list[float] = []
        for query in queries:
            event = to_event(
                "GET",
                f"/search?{urlencode(query | {'limit': '10'})}",
                {"host": "bench"},
                b"",
                "127.0.0.1",
            )
            times += samples(_caller(handle, event), REPEATS)
        print(f"    {name:14s} {p50_p99_ms(times)}")


def _caller(handle: Callable[..., dict[str, Any]], event: dict[str, Any]) -> Callable[[], None]:
    context = LocalContext(aws_request_id="bench")

    def call() -> None:
        assert handle(event, context)["statusCode"] == 200

    return call


def _bound(fn: Callable[..., object], *args: object) -> Callable[[], object]:
    return lambda: fn(*args)


def over_http(root: Path, work: Path) -> None:
    port = free_port()
    with (work / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stacsift_cli.main",
                "serve",
                "--root",
                str(root),
                "--port",
                str(port),
                "--cache-dir",
                str(work / "cache-http"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process)
        print("  over HTTP through `stacsift serve`, limit=10:")
        for name, queries in QUERIES.items():
            times: list[float] = []
            for query in queries:
                url = f"http://127.0.0.1:{port}/search?{urlencode(query | {'limit': '10'})}"
                times += samples(_bound(_fetch, url), REPEATS // 2)
            print(f"    {name:14s} {p50_p99_ms(times)}")
    finally:
        process.terminate()
        process.wait(timeout=10)


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
        return bytes(response.read())


def run_baselines(count: int, root: Path, work: Path) -> None:
    whoosh_search = baselines.whoosh_index(list(items(count)), work / f"whoosh-{count}")
    print("  baseline whoosh (same text fields), limit=10:")
    for name in ("text",):
        times: list[float] = []
        for query in QUERIES[name]:
            times += samples(_bound(whoosh_search, query["q"]), REPEATS)
        print(f"    {name:14s} {p50_p99_ms(times)}")
    duck = baselines.duckdb_query(root)
    print("  baseline DuckDB over the GeoParquet table, limit=10:")
    times = []
    for query in QUERIES["bbox+datetime"]:
        times += samples(_bound(duck, query["bbox"], query["datetime"]), REPEATS)
    print(f"    {'bbox+datetime':14s} {p50_p99_ms(times)}")


def cold_start(root: Path, work: Path, runs: int = 5) -> None:
    with baselines.moto_root(root) as (s3_root, env):
        script = (
            "import time; t=time.perf_counter();"
            "from functions.search import handler;"
            "from functions.gateway import to_event, LocalContext;"
            "e=to_event('GET','/search?q=forest&limit=10',{'host':'x'},b'','127.0.0.1');"
            "r=handler(e, LocalContext(aws_request_id='cold'));"
            "assert r['statusCode']==200, r; print(time.perf_counter()-t)"
        )
        walls, inside = [], []
        for run in range(runs):
            run_env = (
                os.environ
                | env
                | {
                    "STACSIFT_ROOT": s3_root,
                    "STACSIFT_CACHE_DIR": str(work / f"cold-{run}"),
                    "POWERTOOLS_LOG_LEVEL": "WARNING",
                }
            )
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", script],
                env=run_env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            walls.append(time.perf_counter() - started)
            inside.append(float(out.strip().splitlines()[-1]))
    print(
        f"  cold start (fresh process → first answer, index from moto S3): median "
        f"{median(walls) * 1e3:.0f} ms wall, {median(inside) * 1e3:.0f} ms after interpreter start"
    )


def import_time(runs: int = 7) -> None:
    def spawn(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - started

    bare = median([spawn("pass") for _ in range(runs)])
    handler = median([spawn("import functions.search") for _ in range(runs)])
    print(
        f"import functions.search: {(handler - bare) * 1e3:.0f} ms "
        f"(median of {runs}, interpreter start {bare * 1e3:.0f} ms subtracted)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args()
    import_time()
    for count in (int(s) for s in args.sizes.split(",")):
        print(f"\n== {count:,} items ==")
        with tempfile.TemporaryDirectory(prefix="stacsift-bench-") as tmp:
            work = Path(tmp)
            root = build(count, work)
            in_process(root, work)
            over_http(root, work)
            if not args.no_baselines:
                run_baselines(count, root, work)
            cold_start(root, work)


if __name__ == "__main__":
    main()
