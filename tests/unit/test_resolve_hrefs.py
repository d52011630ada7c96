"""Relative asset and link hrefs become absolute against where the object was read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from stacsift.hrefs import absolute, resolved
from stacsift.index.documents import to_document

ESA_ITEM = (
    "catalogs/esa-cci-lc/esa-cci-lc/C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1-N79W180/"
    "C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1-N79W180.json"
)
CLASS_TIF = "C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1-N79W180-lccs_class.tif"


def esa_item(fixtures: Path) -> dict[str, Any]:
    item: dict[str, Any] = orjson.loads((fixtures / ESA_ITEM).read_bytes())
    return item


def test_folder_item_assets_point_at_the_files_beside_it(fixtures: Path) -> None:
    location = (fixtures / ESA_ITEM).as_uri()
    doc = to_document(esa_item(fixtures), location)
    href = doc.stac()["assets"]["lccs_class"]["href"]
    assert href == (fixtures / ESA_ITEM).parent.joinpath(CLASS_TIF).as_uri()
    assert Path(href.removeprefix("file://")).is_file()
    parent = next(lk for lk in doc.stac()["links"] if lk["rel"] == "parent")
    collection = (fixtures / ESA_ITEM).parent.parent / "collection.json"
    assert parent["href"] == collection.as_uri()
    assert orjson.loads(doc.json)["assets"]["lccs_class"]["href"] == href  # what is stored


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://example.org/lc/item/item.json", "https://example.org/lc/item/" + CLASS_TIF),
        ("http://127.0.0.1:8000/a%20b/item.json", "http://127.0.0.1:8000/a%20b/" + CLASS_TIF),
        ("s3://bucket/lc/item/item.json", "s3://bucket/lc/item/" + CLASS_TIF),
    ],
)
def test_remote_locations(fixtures: Path, location: str, expected: str) -> None:
    doc = to_document(esa_item(fixtures), location)
    assert doc.stac()["assets"]["lccs_class"]["href"] == expected


def test_parent_folders_and_root_relative_paths() -> None:
    assert absolute("../x/a.tif", "s3://b/c/d/item.json") == "s3://b/c/x/a.tif"
    assert absolute("/x/a.tif", "https://h.org/c/item.json") == "https://h.org/x/a.tif"


def test_absolute_hrefs_stay_as_they_are(fixtures: Path) -> None:
    line = (fixtures / "items/planetary-computer-naip/naip-items.ndjson").read_bytes()
    item = orjson.loads(line.splitlines()[0])
    assert resolved(item, "file:///elsewhere/items.ndjson#0") is item


def test_objects_inside_a_page_resolve_against_their_self_link(fixtures: Path) -> None:
    item = esa_item(fixtures)
    item["links"].append({"rel": "self", "href": "https://api.example.org/c/items/x.json"})
    doc = to_document(item, "https://api.example.org/search?limit=10#x")
    href = doc.stac()["assets"]["lccs_class"]["href"]
    assert href == "https://api.example.org/c/items/" + CLASS_TIF


def test_without_a_location_nothing_changes(fixtures: Path) -> None:
    item = esa_item(fixtures)
    assert resolved(item, "") is item
    assert to_document(item).stac()["assets"]["lccs_class"]["href"] == "./" + CLASS_TIF
