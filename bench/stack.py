"""The deployed stack on MiniStack: cold start and warm latency of the search function through the
emulated HTTP API, beside ``stacsift serve`` on the same index; and upload-to-searchable time
through the deployed event chain (S3 notification → SQS → reindex Lambda → new generation).

    python -m bench.stack [--runs 3] [--requests 50]     # make bench-stack

Each run deploys infra/template.yaml as a new stack on one MiniStack (its own process on a free
loopback port), so its first search is a cold start of the packaged zip. MiniStack runs functions
as local processes: cold start here is process start + imports + the first index download, with
no Lambda sandbox or network to S3; on AWS, SnapStart restores the initialised function instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from bench.timing import median
from infra import package, stack
from tests.conftest import FIXTURES

CASE = FIXTURES / "catalogs" / "pystac-test-case-4"
QUERY = {"q": "label", "limit": "10"}
WAIT = 120.0


def until(check: Callable[[], bool], what: str) -> float:
    """Seconds until ``check()`` holds (polled every 50 ms, at most :data:`WAIT`)."""
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > WAIT:
            raise SystemExit(f"not within {WAIT:.0f} s: {what}")
        time.sleep(0.05)
    return time.perf_counter() - start


def matched(session: requests.Session, api: str, **params: str) -> int:
    answer = session.get(f"{api}search", params=params, timeout=60)
    return int(answer.json()["numberMatched"]) if answer.status_code == 200 else -1


def warm(session: requests.Session, url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        answer = session.get(url, params=QUERY, timeout=60)
        times.append(time.perf_counter() - start)
        answer.raise_for_status()
    return times


@contextlib.contextmanager
def serve(outputs: dict[str, str], env: dict[str, str]) -> Iterator[str]:
    """``stacsift serve`` on the deployed index root (the in-process baseline)."""
    port = stack.free_port()
    command = [str(Path(sys.executable).with_name("stacsift")), "serve", "--root",
               outputs["IndexRoot"], "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(
        command, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        with requests.Session() as session:
            until(lambda: _answers(session, url), "stacsift serve answering")
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _answers(session: requests.Session, url: str) -> bool:
    try:
        return session.get(f"{url}conformance", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


def indexed(s3: Any, outputs: dict[str, str]) -> int:
    """Items in the published generation, read from its manifest (not through search)."""
    key = outputs["IndexRoot"].split("/", 3)[3] + "index/manifest.json"
    try:
        body = s3.get_object(Bucket=outputs["Bucket"], Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return 0
    return sum(c["items"] for c in json.loads(body)["collections"].values())


def one_run(
    emulator: stack.Emulator, zips: dict[str, Path], work: Path, number: int, count: int
) -> dict[str, Any]:
    """One fresh stack: catalog upload→indexed, cold and warm searches, one-item update."""
    name = f"bench{number}"
    outputs = stack.deploy(emulator, zips, work / name, arch=stack.host_arch(), stack_name=name)
    api = outputs["ApiUrl"]
    s3 = stack.s3_client(outputs)
    items = len(item_files())
    start = time.perf_counter()
    stack.upload_folder(s3, CASE, outputs["Bucket"], outputs["WatchPrefix"] + "case/")
    until(lambda: indexed(s3, outputs) == items, "the catalog indexed")
    out: dict[str, Any] = {"catalog": time.perf_counter() - start}
    with requests.Session() as session:
        out["cold"] = warm(session, f"{api}search", 1)[0]  # the function's first call
        out["api"] = warm(session, f"{api}search", count)
        out["update"] = update(session, s3, outputs, number)
    with serve(outputs, emulator.env()) as url, requests.Session() as session:
        out["serve_first"] = warm(session, f"{url}search", 1)[0]
        out["serve"] = warm(session, f"{url}search", count)
    return out


def item_files() -> list[Path]:
    return [p for p in CASE.rglob("*.json") if json.loads(p.read_text())["type"] == "Feature"]


def update(session: requests.Session, s3: Any, outputs: dict[str, str], number: int) -> float:
    """One new item uploaded: seconds until a search through the API finds its unique word."""
    word = f"zebrafinch{number}x"
    document = json.loads(item_files()[0].read_text())
    document["id"] = f"{document['id']}-{word}"
    document["properties"]["title"] = word
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / f"{document['id']}.json").write_text(json.dumps(document))
        start = time.perf_counter()
        stack.upload_folder(s3, folder, outputs["Bucket"], outputs["WatchPrefix"] + "case/new/")
        until(lambda: matched(session, outputs["ApiUrl"], q=word) == 1, "the new item found")
        return time.perf_counter() - start


IMPORT = """
import sys, time
start = time.perf_counter()
sys.path.insert(0, sys.argv[1])
import functions.search
print(time.perf_counter() - start)
"""


def import_seconds(search_zip: Path, runs: int) -> list[float]:
    """Importing the search zip in a fresh ``python3.12 -I -S``: the init a snapshot saves."""
    python = package.runtime_python()
    if python is None:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(search_zip) as archive:
            archive.extractall(tmp)
        command = [str(python), "-I", "-S", "-c", IMPORT, tmp]
        return [float(subprocess.check_output(command, text=True)) for _ in range(runs)]


def ms(value: float) -> str:
    return f"{value * 1e3:8.1f} ms"


def report(runs: list[dict[str, Any]], count: int, imports: list[float]) -> None:
    def of(key: str) -> float:
        return median([t for r in runs for t in (r[key] if isinstance(r[key], list) else [r[key]])])

    print(f"search {QUERY} over pystac-test-case-4 ({len(item_files())} items), {len(runs)} runs")
    rows = [
        ("cold start through the API (first call)", ms(of("cold"))),
        ("  stacsift serve, first call (baseline)", ms(of("serve_first"))),
        ("  init a snapshot saves: import the search zip, fresh 3.12", ms(median(imports or [0]))),
        (f"warm through the API ({count} a run)", ms(of("api"))),
        (f"  stacsift serve ({count} a run, baseline)", ms(of("serve"))),
        ("upload to searchable, S3 → SQS → reindex Lambda (bound 90 s):", ""),
        ("  the whole catalog (70 JSON files)", f"{of('catalog'):8.2f} s"),
        ("  one new item until search finds it", f"{of('update'):8.2f} s"),
    ]
    for label, value in rows:
        print(f"  {label:<64} {'median ' + value if value else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stacsift-bench-stack-") as tmp:
        work = Path(tmp)
        zips = stack.build_zips(work / "dist" / "lambda")
        emulator = stack.start_ministack(work)
        try:
            runs = [one_run(emulator, zips, work, n, args.requests) for n in range(args.runs)]
        finally:
            stack.stop(emulator)
        imports = import_seconds(zips["search"], args.runs)
    report(runs, args.requests, imports)


if __name__ == "__main__":
    main()
