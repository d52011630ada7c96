"""STAC objects from real catalogs → index documents, leniently where catalogs deviate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from stacsift.index.documents import (
    Origin,
    Unindexable,
    document_key,
    origin_prefix,
    parse_datetime,
    parse_key,
    parse_origin,
    to_document,
)

SPEC = "catalogs/stac-spec-examples-v1.1.0"
ODSE_ITEM = (
    "catalogs/odse-fragment-2024-07/lcv_blue_landsat.glad.ard/"
    "lcv_blue_landsat.glad.ard_1999.12.02..2000.03.20/"
    "lcv_blue_landsat.glad.ard_1999.12.02..2000.03.20.json"
)


def load(fixtures: Path, relative: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((fixtures / relative).read_bytes())
    return data


def test_item_with_start_and_end(fixtures: Path) -> None:
    item = load(fixtures, f"{SPEC}/core-item.json")
    doc = to_document(item)
    assert doc.kind == "item"
    assert doc.key == document_key("item", item["collection"], item["id"])
    assert (doc.start, doc.end) == (
        parse_datetime("2020-12-11T22:38:32.125Z"),
        parse_datetime("2020-12-11T22:38:32.327Z"),
    )
    assert doc.bbox == tuple(item["bbox"])
    assert "cool_sat1" in doc.words and "cool_sensor_v1" in doc.words
    assert orjson.loads(doc.json) == item


def test_collectionless_item_indexes_provider_names(fixtures: Path) -> None:
    doc = to_document(load(fixtures, f"{SPEC}/collectionless-item.json"))
    assert doc.collection == ""
    assert "Remote Data, Inc" in doc.text


def test_date_only_interval_covers_whole_days(fixtures: Path) -> None:
    doc = to_document(load(fixtures, ODSE_ITEM))
    assert doc.start == parse_datetime("1999-12-02T00:00:00Z")
    assert doc.end == parse_datetime("2000-03-20T23:59:59.999999Z")


def test_collection_document(fixtures: Path) -> None:
    coll = load(fixtures, f"{SPEC}/collection.json")
    doc = to_document(coll)
    assert doc.kind == "collection"
    assert doc.bbox == tuple(coll["extent"]["spatial"]["bbox"][0])
    assert coll["title"] == doc.title
    assert all(k in doc.words for k in coll.get("keywords", []))


def test_null_geometry_item_has_no_bbox() -> None:
    props = {"datetime": "2020-01-01"}
    item = {"type": "Feature", "id": "x", "geometry": None, "properties": props}
    assert to_document(item).bbox is None


def test_bbox_from_geometry_when_missing() -> None:
    geometry = {"type": "Point", "coordinates": [10.0, 50.0]}
    item = {"type": "Feature", "id": "p", "geometry": geometry, "properties": {"datetime": "2020"}}
    with pytest.raises(Unindexable):
        to_document(item)  # "2020" alone is not a date-time
    item["properties"] = {"datetime": "2020-01-01T00:00:00Z"}
    assert to_document(item).bbox == (10.0, 50.0, 10.0, 50.0)


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "Feature", "properties": {"datetime": "2020-01-01T00:00:00Z"}},
        {"type": "Feature", "id": "x", "properties": {}},
        {"type": "Feature", "id": "x", "properties": {"datetime": None}},
        {"type": "Catalog"},
        {"id": "x", "type": "FeatureCollection"},
    ],
)
def test_unindexable_objects_say_why(obj: dict[str, Any]) -> None:
    with pytest.raises(Unindexable) as caught:
        to_document(obj)
    assert str(caught.value)


def test_antimeridian_item_bbox_is_widened_to_all_longitudes() -> None:
    item = {
        "type": "Feature",
        "id": "fiji",
        "bbox": [177.0, -19.0, -178.0, -16.0],
        "properties": {"datetime": "2020-01-01T00:00:00Z"},
    }
    assert to_document(item).bbox == (-180.0, -19.0, 180.0, -16.0)


@pytest.mark.parametrize(
    ("collection", "item_id"),
    [("naip", "a"), ("a/b", "c/d"), ("50%/x", "%2F"), ("ünï code", "id with spaces")],
)
def test_keys_split_back_exactly(collection: str, item_id: str) -> None:
    assert parse_key(document_key("item", collection, item_id)) == ("item", collection, item_id)
    assert parse_key(document_key("collection", item_id, item_id)) == (
        "collection",
        item_id,
        item_id,
    )


def test_origins_order_versions_and_say_when_they_cannot() -> None:
    url = "s3://bucket/a b/item+1.json"
    old, new = Origin(url, 1_000_000, '"e1"'), Origin(url, 2_000_000, '"e2"')
    same_second = Origin(url, 1_000_000, '"e3"')
    assert new.newer_than(old) is True and old.newer_than(new) is False
    assert old.newer_than(old) is False  # the same version again changes nothing
    assert same_second.newer_than(old) is None  # only the bucket can tell
    term = new.term(document_key("item", "a/b", "x"))
    assert term.startswith(origin_prefix(url))
    assert parse_origin(term) == (new, document_key("item", "a/b", "x"))


def test_catalogs_are_a_third_kind(fixtures: Path) -> None:
    catalog = load(fixtures, "catalogs/pystac-test-case-1/country-1/catalog.json")
    doc = to_document(catalog, "file:///c/country-1/catalog.json")
    assert (doc.kind, doc.key, doc.collection, doc.bbox) == (
        "catalog",
        "catalog:country-1",
        "",
        None,
    )
    assert parse_key(doc.key) == ("catalog", "", "country-1")
    children = [lk["href"] for lk in doc.stac()["links"] if lk["rel"] == "child"]
    assert children == [
        "file:///c/country-1/area-1-1/collection.json",
        "file:///c/country-1/area-1-2/collection.json",
    ]
