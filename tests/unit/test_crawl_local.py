"""Crawling catalogs on local disk: the real fixture catalogs, and what goes wrong in the wild.

GIVEN the fixture catalogs read in place (and, for cases no fixture has, small catalogs written
to a temporary folder that link to them), WHEN they are crawled, THEN the counts are exact, every
document is visited once, and everything skipped is reported with its URL and reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from index_builder.crawl import CrawlOptions
from stacsift.errors import SourceError
from tests.support.crawling import counts, crawl_all, skips

ODSE = "catalogs/odse-fragment-2024-07"
ODSE_ITEM = (
    "lcv_blue_landsat.glad.ard/lcv_blue_landsat.glad.ard_1999.12.02..2000.03.20/"
    "lcv_blue_landsat.glad.ard_1999.12.02..2000.03.20.json"
)
CASE_1 = "catalogs/pystac-test-case-1"
NAIP = "items/planetary-computer-naip"


def write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document))
    return path


def catalog(links: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "Catalog",
        "stac_version": "1.1.0",
        "id": "test",
        "description": "written by the test",
        "links": [{"rel": rel, "href": href} for rel, href in links],
        **extra,
    }


# Counted by reading each fixture's files: which catalogs link which children and items.
FIXTURE_COUNTS = {
    "catalogs/esa-cci-lc": (1, 2, 2),
    "catalogs/pystac-test-case-1": (3, 4, 8),
    "catalogs/pystac-test-case-4": (1, 7, 62),
    # four more example files exist, but catalog.json does not link them
    "catalogs/stac-spec-examples-v1.1.0": (1, 3, 2),
    "catalogs/odse-fragment-2024-07": (1, 0, 0),
}


@pytest.mark.parametrize("name", sorted(FIXTURE_COUNTS))
def test_fixture_catalogs_crawl_to_exact_counts(fixtures: Path, name: str) -> None:
    found, report = crawl_all(str(fixtures / name))
    catalogs, collections, items = FIXTURE_COUNTS[name]
    assert counts(found) == {"Catalog": catalogs, "Collection": collections, "Item": items}
    assert report.counts == counts(found)
    assert len(report.skipped) == (146 if name == ODSE else 0)


def test_odse_yields_root_and_item_and_reports_each_dangling_child(fixtures: Path) -> None:
    root = fixtures / ODSE / "catalog.json"
    children = [
        link["href"] for link in orjson.loads(root.read_bytes())["links"] if link["rel"] == "child"
    ]
    found, report = crawl_all([str(root), str(fixtures / ODSE / ODSE_ITEM)])
    assert [(o.kind, o.data["id"]) for o in found] == [
        ("Catalog", "odse"),
        ("Item", "lcv_blue_landsat.glad.ard_1999.12.02..2000.03.20"),
    ]
    assert len(children) == 146
    expected = {(root.parent / href).resolve().as_uri() for href in children}
    assert skips(report) == dict.fromkeys(expected, "broken link: no such file")


def test_odse_item_is_indexed_leniently_with_warnings(fixtures: Path) -> None:
    found, report = crawl_all(str(fixtures / ODSE / ODSE_ITEM))
    props = found[0].data["properties"]
    assert props["gsd"] == 30  # was the string "30"
    # completed as the index reads them (and as the GeoParquet table needs them)
    assert props["start_datetime"] == "1999-12-02T00:00:00Z"
    assert props["end_datetime"] == "2000-03-20T23:59:59.999999Z"
    assert sorted(report.warnings) == [
        "properties.end_datetime is a date without a time; read as its last microsecond UTC",
        "properties.gsd is a string; read as a number",
        "properties.start_datetime is a date without a time; read as midnight UTC",
    ]


def test_objects_come_out_in_breadth_first_order_every_time(fixtures: Path) -> None:
    first, _ = crawl_all(str(fixtures / CASE_1))
    second, _ = crawl_all(str(fixtures / CASE_1), CrawlOptions(concurrency=1))
    ids = [o.data["id"] for o in first]
    assert ids[:7] == [
        "test",
        "country-1",
        "country-2",
        "area-1-1",
        "area-1-2",
        "area-2-1",
        "area-2-2",
    ]
    assert [o.kind for o in first] == ["Catalog"] * 3 + ["Collection"] * 4 + ["Item"] * 8
    assert ids == [o.data["id"] for o in second]


def test_cycles_and_duplicate_links_are_visited_once(fixtures: Path, tmp_path: Path) -> None:
    case = (fixtures / CASE_1).resolve()
    root = write(
        tmp_path / "catalog.json",
        catalog(
            [
                ("child", "./catalog.json"),  # itself
                ("child", str(case / "catalog.json")),  # an absolute path
                ("child", (case / "country-1/catalog.json").as_uri()),  # again, below it
                ("child", str(case / "country-1/../country-1/catalog.json")),  # and via ../
            ]
        ),
    )
    found, report = crawl_all(str(root))
    assert counts(found) == {"Catalog": 4, "Collection": 4, "Item": 8}
    assert len({o.href for o in found}) == len(found)
    assert report.skipped == []


@pytest.mark.parametrize(
    ("depth", "expected"),
    [(0, (1, 0, 0)), (1, (3, 0, 0)), (2, (3, 4, 0)), (3, (3, 4, 8)), (None, (3, 4, 8))],
)
def test_max_depth(fixtures: Path, depth: int | None, expected: tuple[int, int, int]) -> None:
    found, _ = crawl_all(str(fixtures / CASE_1), CrawlOptions(max_depth=depth))
    assert tuple(counts(found).values()) == expected


def test_max_items(fixtures: Path) -> None:
    found, report = crawl_all(str(fixtures / CASE_1), CrawlOptions(max_items=3))
    assert counts(found) == {"Catalog": 3, "Collection": 4, "Item": 3}
    assert report.truncated


@pytest.mark.parametrize(
    ("include", "exclude", "collections", "filtered"),
    [
        (("area-1-*",), (), ["area-1-1", "area-1-2"], 2),
        ((), ("*-2-2",), ["area-1-1", "area-1-2", "area-2-1"], 1),
        (("area-?-1",), ("area-2-*",), ["area-1-1"], 3),
    ],
)
def test_include_and_exclude_collections_by_pattern(
    fixtures: Path,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    collections: list[str],
    filtered: int,
) -> None:
    options = CrawlOptions(include=include, exclude=exclude)
    found, report = crawl_all(str(fixtures / CASE_1), options)
    assert [o.data["id"] for o in found if o.kind == "Collection"] == collections
    assert {o.data["collection"] for o in found if o.kind == "Item"} == set(collections)
    assert counts(found)["Item"] == 2 * len(collections)
    assert report.filtered == filtered


def test_newline_delimited_files(fixtures: Path) -> None:
    found, report = crawl_all(
        [str(fixtures / NAIP / "collections.ndjson"), str(fixtures / NAIP / "naip-items.ndjson")]
    )
    assert counts(found) == {"Catalog": 0, "Collection": 3, "Item": 1000}
    assert found[3].href == (fixtures / NAIP / "naip-items.ndjson").as_uri() + "#1"
    assert report.skipped == []


def test_an_item_collection_file(fixtures: Path, tmp_path: Path) -> None:
    lines = (fixtures / NAIP / "naip-items.ndjson").read_bytes().splitlines()[:5]
    features = [orjson.loads(line) for line in lines]
    page = write(
        tmp_path / "items.json", {"type": "FeatureCollection", "features": [*features, 42]}
    )
    found, report = crawl_all(str(page))
    assert [o.data["id"] for o in found] == [f["id"] for f in features]
    assert skips(report) == {f"{page.as_uri()}#5": "not a JSON object"}


def test_what_cannot_be_used_is_skipped_with_the_reason(fixtures: Path, tmp_path: Path) -> None:
    item = orjson.loads((fixtures / ODSE / ODSE_ITEM).read_bytes())
    timeless = {**item, "properties": {"gsd": 30}}
    nameless = {k: v for k, v in item.items() if k != "id"}
    record: dict[str, Any] = {"type": "Feature", "id": "r", "properties": {}, "links": []}
    write(tmp_path / "timeless.json", timeless)
    write(tmp_path / "nameless.json", nameless)
    write(tmp_path / "record.json", record)
    write(tmp_path / "list.json", [item])
    (tmp_path / "broken.json").write_bytes(b'{"type": "Feature", ')
    (tmp_path / "big.json").write_bytes(orjson.dumps({**item, "padding": "x" * 70_000}))
    names = ["timeless", "nameless", "record", "list", "broken", "big", "absent"]
    root = write(tmp_path / "catalog.json", catalog([("item", f"./{n}.json") for n in names]))
    found, report = crawl_all(str(root), CrawlOptions(max_document_bytes=64_000))
    assert counts(found) == {"Catalog": 1, "Collection": 0, "Item": 0}
    reasons = {href.rsplit("/", 1)[1]: reason for href, reason in skips(report).items()}
    assert reasons.pop("broken.json").startswith("not JSON:")
    assert reasons == {
        "timeless.json": "cannot be indexed: the item has neither datetime nor start/end datetimes",
        "nameless.json": "cannot be indexed: the item has no id",
        "record.json": "not STAC: no stac_version (type 'Feature')",
        "list.json": "not a JSON object",
        "big.json": "larger than 64000 bytes",
        "absent.json": "broken link: no such file",
    }


def test_null_geometry_items_and_small_deviations_are_accepted(
    fixtures: Path, tmp_path: Path
) -> None:
    item = orjson.loads((fixtures / ODSE / ODSE_ITEM).read_bytes())
    item.pop("bbox")
    item["geometry"] = None
    item["properties"]["instruments"] = "TM"
    item["stac_extensions"] = "https://stac-extensions.github.io/eo/v1.0.0/schema.json"
    found, report = crawl_all(str(write(tmp_path / "item.json", item)))
    assert found[0].data["geometry"] is None
    assert found[0].data["properties"]["instruments"] == ["TM"]
    assert found[0].data["stac_extensions"] == [
        "https://stac-extensions.github.io/eo/v1.0.0/schema.json"
    ]
    assert "properties.instruments is a string; read as a one-element list" in report.warnings
    assert report.skipped == []


def test_stac_0_8_objects_are_migrated(tmp_path: Path) -> None:
    # STAC 0.8 had no "type" on catalogs and collections
    old_collection = {
        "stac_version": "0.8.1",
        "id": "old",
        "description": "d",
        "license": "CC-BY-4.0",
        "extent": {
            "spatial": {"bbox": [[0, 0, 1, 1]]},
            "temporal": {"interval": [["2019-01-01T00:00:00Z", None]]},
        },
        "links": [{"rel": "item", "href": "./item.json"}],
    }
    old_item = {
        "type": "Feature",
        "stac_version": "0.8.1",
        "id": "old-item",
        "bbox": [0, 0, 1, 1],
        "geometry": None,
        "properties": {"datetime": "2019-05-01T00:00:00Z"},
        "links": [],
        "assets": {},
    }
    write(tmp_path / "item.json", old_item)
    root = write(tmp_path / "collection.json", old_collection)
    found, report = crawl_all(str(root))
    assert [(o.kind, o.data["type"], o.data["stac_version"]) for o in found] == [
        ("Collection", "Collection", "1.1.0"),
        ("Item", "Feature", "1.1.0"),
    ]
    assert found[1].data["collection"] == "old"  # from the collection it was found under
    assert report.warnings["STAC 0.8.1 object migrated to 1.1.0"].count == 2


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such catalog file"),
        (b"<html>", "not JSON"),
        (b'{"type": "FeatureCollection"}', "without a features list"),
        (b'{"id": "x", "links": []}', "not STAC"),
    ],
)
def test_a_root_that_cannot_be_read_fails_the_crawl(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    root = tmp_path / "catalog.json"
    if content is not None:
        root.write_bytes(content)
    with pytest.raises(SourceError, match=reason):
        crawl_all(str(root))


def test_a_missing_bbox_is_computed_from_the_geometry(fixtures: Path, tmp_path: Path) -> None:
    item = orjson.loads((fixtures / ODSE / ODSE_ITEM).read_bytes())
    published = item.pop("bbox")
    found, report = crawl_all(str(write(tmp_path / "item.json", item)))
    assert found[0].data["bbox"] == published
    assert "item has a geometry but no bbox; bbox computed from the geometry" in report.warnings
