"""Search latency on generated indexes, every query class of the API, beside DuckDB on the
same GeoParquet table (filter and spatial classes) and whoosh (text).

Prints, for each size: index bytes per item; warm p50/p99 per query class in-process (the
Lambda handler on API Gateway v2 events) and over HTTP through ``stacsift serve`` (keep-alive),
and the median of each sample's HTTP wall time less its in-process one. Every size is served at
once, and each request is timed on all of them, both ways, back to back, so that the machine's
changing load reaches every figure alike (the ratios between sizes are the issue's target).
Then DuckDB's p50 for the classes it can answer; each class's p50 as a multiple of the first
size's; cold start (a fresh process to its first answer, index downloaded from a moto S3 server,
up to 200,000 items) and the search handler's import time. Indexes are cached in
``.cache/bench`` (:mod:`bench.corpus`).
Usage: ``python -m bench.search [--sizes 20000,200000,2000000]``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

from bench import baselines, corpus
from bench.synthetic import items
from bench.timing import median, p50_p99_ms, percentile, samples, timed
from functions.gateway import LocalContext, to_event
from functions.search import make_handler
from stacsift.settings import SearchSettings
from tests.integration.conftest import free_port, listening

REPEATS = 40
GET = dict[str, str]
POLYGON = {
    "type": "Polygon",
    "coordinates": [[[-10.0, 40.0], [20.0, 35.0], [30.0, 55.0], [0.0, 60.0], [-10.0, 40.0]]],
}
QUERIES: dict[str, list[GET | dict[str, Any]]] = {
    "text": [{"q": "forest"}, {"q": "Conifer*"}, {"q": "lake OR glacier"}],
    "text+bbox": [
        {"q": "forest", "bbox": "-20,30,40,60"},
        {"q": "wetland", "bbox": "-130,20,-60,50"},
    ],
    # words with each other filter: relevance pages from the direct matches that pass them
    # (the last: no kept collection matches the words, so the direct matches are every match)
    "text+filter": [
        {"q": "forest", "collections": "forest-layers"},
        {"q": "lake OR glacier", "datetime": "2020-01-01T00:00:00Z/.."},
        {"q": "forest", "filter": "eo:cloud_cover < 5"},
        {"q": "forest", "collections": "water-layers"},
    ],
    "bbox+datetime": [
        {"bbox": "-20,30,40,60", "datetime": "2018-01-01T00:00:00Z/2019-12-31T23:59:59Z"},
        {"bbox": "100,-10,150,20", "datetime": "2020-06-01T00:00:00Z/.."},
    ],
    # newest first in an interval: alone (open), with a collection, with a CQL2 filter
    "datetime": [
        {"datetime": "2016-01-01T00:00:00Z/.."},
        {"datetime": "2018-01-01T00:00:00Z/2019-01-01T00:00:00Z", "collections": "water-layers"},
        {"datetime": "2016-01-01T00:00:00Z/..", "filter": "eo:cloud_cover < 5"},
    ],
    "ids": [{"ids": "forest-0000000,water-0000001,urban-0000002,snow-0000004"}],
    "collections": [{"collections": "forest-layers"}, {"collections": "snow-layers,water-layers"}],
    # a bbox, time, a continuous number, a number of four values, strings, the end time
    "sortby": [
        {"sortby": "-eo:cloud_cover", "bbox": "-20,30,40,60"},
        {"sortby": "datetime"},
        {"sortby": "eo:cloud_cover"},
        {"sortby": "gsd"},
        {"sortby": "platform"},
        {"sortby": "collection"},
        {"sortby": "-end_datetime"},
        {"sortby": "id"},
    ],
    # words in an order of their own: time (windows check the words), a text property (its
    # first value's newest matches, or the values of the matches), a number (its values'
    # windows)
    "sortby+text": [
        {"sortby": "-datetime", "q": "forest"},
        {"sortby": "datetime", "q": "lake OR glacier"},
        {"sortby": "platform", "q": "forest"},
        {"sortby": "-collection", "q": "Conifer*"},
        {"sortby": "-eo:cloud_cover", "q": "forest"},
        {"sortby": "gsd", "q": "wetland"},
    ],
    # a sort other than time with filters: value windows check a wide interval and collections
    # (the third and fourth); a CQL2 filter has every match sorted; a text sort in a
    # collection counts the values of its matches (stacsift.term_groups)
    "sortby+filter": [
        {"sortby": "eo:cloud_cover", "datetime": "2020-01-01T00:00:00Z/.."},
        {"sortby": "gsd", "filter": "eo:cloud_cover < 5"},
        {"sortby": "-eo:cloud_cover", "collections": "forest-layers"},
        {
            "sortby": "eo:cloud_cover",
            "collections": "water-layers",
            "datetime": "2016-01-01T00:00:00Z/..",
        },
        {"sortby": "-platform", "collections": "forest-layers"},
        {"sortby": "-id", "collections": "forest-layers"},
    ],
    "filter gsd": [{"filter": "gsd < 20"}],
    "filter cloud": [{"filter": "eo:cloud_cover < 5"}],
    "filter platform": [{"filter": "platform = 'naip'"}],
    "intersects POST": [{"intersects": POLYGON}],
    "page 100": [
        {},
        {"q": "forest"},
        {"filter": "eo:cloud_cover < 5"},
        {"sortby": "gsd"},
        {"sortby": "platform"},
        {"sortby": "id"},
    ],
}
# DuckDB on the GeoParquet table, the same question per class (top 10, newest first).
DUCKDB = {
    "bbox+datetime": [
        "bbox.xmin <= 40 AND bbox.xmax >= -20 AND bbox.ymin <= 60 AND bbox.ymax >= 30 "
        "AND datetime BETWEEN '2018-01-01T00:00:00Z' AND '2019-12-31T23:59:59Z'",
    ],
    "datetime": ["datetime >= '2016-01-01T00:00:00Z'"],
    "filter gsd": ["gsd < 20"],
    "filter cloud": ['"eo:cloud_cover" < 5'],
    "filter platform": ["platform = 'naip'"],
    # the polygon's bbox only: DuckDB's spatial extension is not installed here (no exact
    # test, so DuckDB does less than stacsift for this class)
    "intersects POST": [
        "bbox.xmin <= 30 AND bbox.xmax >= -10 AND bbox.ymin <= 60 AND bbox.ymax >= 35"
    ],
}
Call = Callable[[str, str, bytes], dict[str, Any]]
Times = dict[str, tuple[list[float], list[float]]]  # class: (wall, CPU) seconds per sample


def _request(query: GET | dict[str, Any]) -> tuple[str, str, bytes]:
    """(method, target, body) of a bench query: a POST when it carries a geometry."""
    if "intersects" in query:
        return "POST", "/search", orjson.dumps(query | {"limit": 10})
    return "GET", f"/search?{urlencode(query | {'limit': '10'})}", b""


def _deep_target(call: Call, query: GET | dict[str, Any], page: int = 100) -> str:
    """The target of page ``page`` (10 per page), reached by following next links."""
    target = f"/search?{urlencode(query | {'limit': '10'})}"
    for _ in range(page - 1):
        body = call("GET", target, b"")
        href = next(lk["href"] for lk in body["links"] if lk["rel"] == "next")
        target = href[href.index("/search") :]
    return target


def measure(calls: dict[str, Call], repeats: int) -> dict[str, Times]:
    """(wall-clock, CPU) seconds per contender and query class: each request is timed on every
    contender in turn, back to back (warm, as a server answering it again would be)."""
    times: dict[str, Times] = {who: {} for who in calls}
    for name, queries in QUERIES.items():
        for who in calls:
            times[who][name] = ([], [])
        for query in queries:
            if name == "page 100":
                targets = {
                    who: ("GET", _deep_target(call, query), b"") for who, call in calls.items()
                }
            else:
                targets = dict.fromkeys(calls, _request(query))
            for who, call in calls.items():
                wall, cpu = timed(_bound(call, *targets[who]), repeats)
                times[who][name][0].extend(wall)
                times[who][name][1].extend(cpu)
    return times


def in_process(root: Path, work: Path) -> Call:
    handle = make_handler(SearchSettings(root=str(root), cache_dir=work / "cache-inproc"))
    context = LocalContext(aws_request_id="bench")

    def call(method: str, target: str, body: bytes) -> dict[str, Any]:
        event = to_event(method, target, {"host": "bench"}, body, "127.0.0.1")
        response = handle(event, context)  # type: ignore[arg-type]
        assert response["statusCode"] == 200, response
        parsed: dict[str, Any] = orjson.loads(response["body"])
        return parsed

    return call


def _bound(fn: Callable[..., object], *args: object) -> Callable[[], object]:
    return lambda: fn(*args)


@contextmanager
def over_http(root: Path, work: Path) -> Iterator[Call]:
    """Calls to ``stacsift serve`` in its own process, on one keep-alive connection."""
    port = free_port()
    serve = [sys.executable, "-m", "stacsift_cli.main", "serve", "--root", str(root)]
    command = [*serve, "--port", str(port), "--cache-dir", str(work / "cache-http")]
    with (
        (work / "serve.log").open("wb") as log,
        listening(command, port, stdout=log, stderr=subprocess.STDOUT),
    ):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def call(method: str, target: str, body: bytes) -> dict[str, Any]:
            headers = {"content-type": "application/json"} if body else {}
            connection.request(method, target, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            assert response.status == 200, data[:300]
            parsed: dict[str, Any] = orjson.loads(data)
            return parsed

        yield call


def duckdb_times(root: Path) -> Times:
    """DuckDB over the GeoParquet parts the manifest lists, per class it can answer (its CPU
    time counts every thread DuckDB runs)."""
    connect = baselines.duckdb_connection(root)
    times: Times = {}
    for name, wheres in DUCKDB.items():
        walls: list[float] = []
        cpus: list[float] = []
        for where in wheres:
            sql = f"SELECT id FROM items WHERE {where} ORDER BY datetime DESC LIMIT 10"
            wall, cpu = timed(_bound(lambda q: connect.execute(q).fetchall(), sql), REPEATS)
            walls += wall
            cpus += cpu
        times[name] = walls, cpus
    return times


def index_size(root: Path, count: int) -> None:
    manifest = orjson.loads((root / "index/manifest.json").read_bytes())
    tantivy_bytes = sum(e["size"] for e in manifest["tantivy_files"])
    table_bytes = sum(p["size"] for p in manifest["table_parts"])
    print(
        f"  index {tantivy_bytes / count:.0f} B/item (tantivy, all a cold start downloads: "
        f"{tantivy_bytes / count * 1e6 / 2**20:.0f} MiB per 1M items), "
        f"GeoParquet table {table_bytes / count:.0f} B/item"
    )


Figures = dict[str, Times]


def report(figures: Figures, first: dict[str, float]) -> None:
    """One line per class: in-process wall p50/p99 and CPU p50, HTTP wall p50/p99, the median
    of HTTP less in-process wall per sample, DuckDB wall and CPU p50, and the in-process CPU
    p50 as a multiple of the first size's (CPU time, as the machine may be busy with other
    work)."""
    print(
        f"  {'class':16s} {'in-process wall p50/p99':>24s} {'CPU p50':>8s} "
        f"{'HTTP wall p50/p99':>18s} {'HTTP-in':>7s} {'DuckDB wall/CPU p50':>20s} "
        f"{'CPU x first':>11s}   (ms)"
    )
    for name in QUERIES:
        wall, cpu = figures["in-process"][name]
        http_wall, _ = figures["http"][name]
        p50 = percentile(cpu, 0.5)
        first.setdefault(name, p50)
        duck = figures["duckdb"].get(name)
        duck_text = (
            ""
            if duck is None
            else f"{percentile(duck[0], 0.5) * 1e3:9.2f} /{percentile(duck[1], 0.5) * 1e3:8.2f}"
        )
        wall50, wall99 = percentile(wall, 0.5) * 1e3, percentile(wall, 0.99) * 1e3
        extra = median([h - w for h, w in zip(http_wall, wall, strict=True)]) * 1e3
        print(
            f"  {name:16s} {wall50:12.2f} /{wall99:9.2f} "
            f"{p50 * 1e3:8.2f} {percentile(http_wall, 0.5) * 1e3:8.2f} /"
            f"{percentile(http_wall, 0.99) * 1e3:8.2f} {extra:7.2f} {duck_text:>20s} "
            f"{p50 / first[name] if first[name] else 0:10.1f}x"
        )


def run_baselines(count: int, root: Path, work: Path) -> None:
    if count > 200_000:
        return  # whoosh takes too long to index millions
    whoosh_search = baselines.whoosh_index(list(items(count)), work / f"whoosh-{count}")
    times: list[float] = []
    for query in QUERIES["text"]:
        times += samples(_bound(whoosh_search, str(query["q"])), REPEATS)
    print(f"  baseline whoosh (same text fields), text, limit=10: {p50_p99_ms(times)}")


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
    parser.add_argument("--no-whoosh", action="store_true", help="skip the text baseline")
    parser.add_argument("--no-cold-start", action="store_true")
    args = parser.parse_args()
    import_time()
    roots = {count: corpus.root(count) for count in map(int, args.sizes.split(","))}
    with tempfile.TemporaryDirectory(prefix="stacsift-bench-") as tmp:
        work = Path(tmp)
        with ExitStack() as servers:
            calls: dict[str, Call] = {}
            for count, root in roots.items():
                (work / str(count)).mkdir()
                calls[f"{count} in-process"] = in_process(root, work / str(count))
                calls[f"{count} http"] = servers.enter_context(over_http(root, work / str(count)))
            times = measure(calls, REPEATS)
        first: dict[str, float] = {}
        for count, root in roots.items():
            print(f"\n== {count:,} items ==")
            index_size(root, count)
            figures = {mode: times[f"{count} {mode}"] for mode in ("in-process", "http")}
            figures["duckdb"] = duckdb_times(root)
            report(figures, first)
            if not args.no_whoosh:
                run_baselines(count, root, work / str(count))
            if not args.no_cold_start and count <= 200_000:
                cold_start(root, work / str(count))


if __name__ == "__main__":
    main()
