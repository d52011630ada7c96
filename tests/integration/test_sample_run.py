"""What ``make run`` does, as a user would: sample → build → ``stacsift serve`` → curl."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_presigning_off_is_said_and_logged_once(sample_served: tuple[str, Path]) -> None:
    url, catalog = sample_served
    status, body = get(f"{url}/sign?href=s3%3A%2F%2Fbucket%2Fa.tif")
    assert (status, body["code"]) == (403, "PresigningOff")
    log = (catalog.parents[1] / "serve.log").read_text()
    assert sum("refused: s3://bucket/a.tif" in line for line in log.splitlines()) == 1


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stacsift_cli.main", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def test_search_finds_the_root_without_being_told(
    sample_served: tuple[str, Path], tmp_path: Path
) -> None:
    root = sample_served[1].parents[1] / "root"
    from_env = cli("search", "forest", "--json", cwd=tmp_path, env={"STACSIFT_ROOT": str(root)})
    (tmp_path / ".stacsift").symlink_to(root, target_is_directory=True)
    default = cli("search", "forest", "--json", cwd=tmp_path)
    assert from_env.returncode == default.returncode == 0, from_env.stderr + default.stderr
    assert orjson.loads(from_env.stdout) == orjson.loads(default.stdout)
    assert orjson.loads(default.stdout)["numberMatched"] > 0


def test_search_says_a_collection_does_not_exist(sample_served: tuple[str, Path]) -> None:
    work = sample_served[1].parents[1]
    found = cli("search", "--root", "root", "--collections", "nope", cwd=work)
    assert found.returncode == 1
    assert "collection 'nope' does not exist" in found.stderr


def test_dates_mean_whole_days_on_the_command_line(sample_served: tuple[str, Path]) -> None:
    url, catalog = sample_served
    work = catalog.parents[1]
    found = cli("search", "--root", "root", "--datetime", "2023-06-01/..", "--json", cwd=work)
    assert found.returncode == 0, found.stderr
    years = {f["id"].rsplit("_", 1)[1] for f in orjson.loads(found.stdout)["features"]}
    assert years == {"2023"}
    status, body = get(f"{url}/search?datetime=2020-12-31")
    assert (status, body["code"]) == (400, "InvalidParameterValue")  # the STAC API's rule
