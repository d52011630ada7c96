"""What ``make run`` does, as a user would: sample → build → ``stacsift serve`` → curl."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from index_builder.sample import write_sample
from tests.http import get, ids
from tests.integration.conftest import free_port, wait_for_port


def sample_items(catalog: Path) -> dict[str, dict[str, object]]:
    """Every item file the sample generator wrote, by id (read back from disk)."""
    found = {}
    for path in catalog.parent.glob("*/*/*.json"):
        item = orjson.loads(path.read_bytes())
        found[item["id"]] = item
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real ``stacsift serve`` process over the freshly built sample, as ``make run`` does."""
    work = tmp_path_factory.mktemp("run")
    cli = [sys.executable, "-m", "stacsift_cli.main"]
    subprocess.run([*cli, "sample", str(work / "sample")], check=True, capture_output=True)
    subprocess.run(
        [*cli, "build", str(work / "sample/catalog.json"), "--root", str(work / "root")],
        check=True,
        capture_output=True,
    )
    port = free_port()
    with (work / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [*cli, "serve", "--root", str(work / "root"), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", work / "sample/catalog.json"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_prints_where_it_listens_and_an_example(served: tuple[str, Path]) -> None:
    url, catalog = served
    printed = (catalog.parents[1] / "serve.log").read_text()
    assert f"{url}/" in printed
    assert f"curl '{url}/search?q=forest'" in printed


def test_forest_query_returns_the_sample_forest_items(served: tuple[str, Path]) -> None:
    url, catalog = served
    forest = {i for i, item in sample_items(catalog).items() if "forest" in str(item["collection"])}
    status, body = get(f"{url}/search?q=forest&limit=1000")
    assert status == 200
    assert set(ids(body)) == forest
    assert body["numberMatched"] == len(forest)


def test_prefix_as_people_type_it(served: tuple[str, Path]) -> None:
    url, catalog = served
    forest = {i for i, item in sample_items(catalog).items() if "forest" in str(item["collection"])}
    _, body = get(f"{url}/search?q=Forest*&limit=1000")
    assert set(ids(body)) == forest


def test_stemming_and_phrases(served: tuple[str, Path]) -> None:
    url, _ = served
    _, forests = get(f"{url}/search?q=forests&limit=1000&collections=forest.osm")
    _, phrase = get(f'{url}/search?q="coniferous forest"&limit=1000'.replace(" ", "%20"))
    assert len(ids(forests)) == 6
    assert {f["collection"] for f in phrase["features"]} == {"forest.coniferous.glad_30m"}


def test_items_link_back_into_the_api(served: tuple[str, Path]) -> None:
    url, _ = served
    _, body = get(f"{url}/search?q=water&limit=1")
    item = body["features"][0]
    self_href = next(lk["href"] for lk in item["links"] if lk["rel"] == "self")
    status, again = get(self_href)
    assert status == 200
    assert again["id"] == item["id"]
    assert item["assets"]["data"]["href"].endswith(".tif")


def test_sample_generator_is_deterministic(tmp_path: Path) -> None:
    first = write_sample(tmp_path / "a")
    second = write_sample(tmp_path / "b")
    a_files = sorted(p.relative_to(first.parent) for p in first.parent.rglob("*.json"))
    b_files = sorted(p.relative_to(second.parent) for p in second.parent.rglob("*.json"))
    assert a_files == b_files
    assert all((first.parent / p).read_bytes() == (second.parent / p).read_bytes() for p in a_files)
