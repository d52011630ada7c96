"""What ``make run`` does, as a user would: sample → build → ``stacsift serve`` → curl."""

from __future__ import annotations

from pathlib import Path

import orjson

from index_builder.sample import write_sample
from tests.http import get, ids


def sample_items(catalog: Path) -> dict[str, dict[str, object]]:
    """Every item file the sample generator wrote, by id (read back from disk)."""
    found = {}
    for path in catalog.parent.glob("*/*/*.json"):
        item = orjson.loads(path.read_bytes())
        found[item["id"]] = item
    return found


def test_serve_prints_where_it_listens_and_an_example(sample_served: tuple[str, Path]) -> None:
    url, catalog = sample_served
    printed = (catalog.parents[1] / "serve.log").read_text()
    assert f"{url}/" in printed
    assert f"curl '{url}/search?q=forest'" in printed


def test_forest_query_returns_the_sample_forest_items(sample_served: tuple[str, Path]) -> None:
    url, catalog = sample_served
    forest = {i for i, item in sample_items(catalog).items() if "forest" in str(item["collection"])}
    status, body = get(f"{url}/search?q=forest&limit=1000")
    assert status == 200
    assert set(ids(body)) == forest
    assert body["numberMatched"] == len(forest)


def test_prefix_as_people_type_it(sample_served: tuple[str, Path]) -> None:
    url, catalog = sample_served
    forest = {i for i, item in sample_items(catalog).items() if "forest" in str(item["collection"])}
    _, body = get(f"{url}/search?q=Forest*&limit=1000")
    found = ids(body)
    assert set(found[: len(forest)]) == forest  # then the items of cropland ("forestry")
    assert {i.split("_")[0] for i in found[len(forest) :]} == {"cropland.annual"}


def test_stemming_and_phrases(sample_served: tuple[str, Path]) -> None:
    url, _ = sample_served
    _, forests = get(f"{url}/search?q=forests&limit=1000&collections=forest.osm")
    _, phrase = get(f'{url}/search?q="coniferous forest"&limit=1000'.replace(" ", "%20"))
    assert len(ids(forests)) == 6
    assert {f["collection"] for f in phrase["features"]} == {"forest.coniferous.glad_30m"}


def test_items_link_back_into_the_api(sample_served: tuple[str, Path]) -> None:
    url, _ = sample_served
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
