"""Evaluating filters on items: values, three-valued logic, LIKE, time and space."""

from __future__ import annotations

from typing import Any

import pytest

from stacsift.query.cql2 import evaluate, parse_json, parse_text, properties_used
from stacsift.query.cql2_like import like


def _item(**properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": "al_m_3008501_ne_16_030_20211103",
        "collection": "naip",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[-86, 31], [-85, 31], [-85, 32], [-86, 32], [-86, 31]]],
        },
        "properties": {"datetime": "2021-11-03T16:00:00Z", **properties},
    }


ITEM = _item(gsd=0.6, platform="Sentinel-2A", city="Zürich", flag=True, bands=[1, 2], cloud=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id = 'al_m_3008501_ne_16_030_20211103'", True),
        ("collection = 'naip'", True),
        ("collection <> 'naip'", False),
        ("gsd = 0.6 AND gsd < 1 AND gsd >= 0.6 AND gsd <> 1", True),
        ("gsd > 0.6", False),
        ("platform = 'Sentinel-2A'", True),
        ("platform = 'sentinel-2a'", False),
        ("CASEI(platform) = CASEI('sentinel-2a')", True),
        ("ACCENTI(city) = 'Zurich'", True),
        ("city = 'Zurich'", False),
        ("platform > 'S' AND platform < 'T'", True),
        ("flag = TRUE", True),
        ("gsd IN (0.3, 0.6)", True),
        ("gsd NOT IN (0.3, 1)", True),
        ("platform IN ('x', 'Sentinel-2A')", True),
        ("gsd BETWEEN 0.6 AND 1", True),
        ("gsd NOT BETWEEN 0 AND 0.5", True),
        ("id LIKE 'al\\_m\\_30085%'", True),
        ("id LIKE 'al_m_30085%'", True),
        ("id LIKE 'al_m_3008_01%2021110_'", True),
        ("id LIKE '%20211103'", True),
        ("id LIKE '%2021110'", False),
        ("id NOT LIKE 'x%'", True),
        ("TRUE", True),
        ("FALSE", False),
        ("NOT FALSE", True),
    ],
)
def test_values(text: str, expected: bool) -> None:
    assert evaluate(parse_text(text), ITEM) is expected


@pytest.mark.parametrize(
    "text",
    [
        "missing = 1",
        "cloud = 1",  # null
        "cloud <> 1",
        "missing IN (1, 2)",
        "missing BETWEEN 0 AND 1",
        "missing LIKE '%'",
        "gsd = '0.6'",  # a number with a string
        "gsd LIKE '0%'",
        "platform > 1",
        "flag = 1",  # a boolean with a number
        "bands = 1",  # a list
        "geometry = 'x'",
        "datetime = 5",
    ],
)
def test_unknown_matches_neither_the_predicate_nor_its_negation(text: str) -> None:
    assert evaluate(parse_text(text), ITEM) is False
    assert evaluate(parse_text(f"NOT ({text})"), ITEM) is False


def test_three_valued_and_or() -> None:
    assert evaluate(parse_text("missing = 1 OR gsd = 0.6"), ITEM) is True  # UNKNOWN or TRUE
    assert (
        evaluate(parse_text("NOT (missing = 1 AND gsd = 5)"), ITEM) is True
    )  # not(UNKNOWN and FALSE)
    assert evaluate(parse_text("NOT (missing = 1 OR gsd = 5)"), ITEM) is False  # not(UNKNOWN)
    assert evaluate(parse_text("gsd IN (5, missing)"), ITEM) is False
    assert evaluate(parse_text("NOT gsd IN (5, missing)"), ITEM) is False


def test_is_null() -> None:
    assert evaluate(parse_text("missing IS NULL AND cloud IS NULL"), ITEM)
    assert evaluate(
        parse_text("gsd IS NOT NULL AND bands IS NOT NULL AND geometry IS NOT NULL"), ITEM
    )
    assert not evaluate(parse_text("gsd IS NULL"), ITEM)


def test_property_to_property() -> None:
    item = _item(low=1, high=2)
    assert evaluate(parse_text("low < high AND high BETWEEN low AND 3"), item)
    assert evaluate(
        parse_json({"op": "in", "args": [{"property": "low"}, [{"property": "high"}, 1]]}), item
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("datetime = TIMESTAMP('2021-11-03T16:00:00Z')", True),
        ("datetime = TIMESTAMP('2021-11-03T17:00:00+01:00')", True),
        ("datetime > TIMESTAMP('2021-11-03T15:59:59.999Z')", True),
        ("datetime < TIMESTAMP('2021-11-03T16:00:00Z')", False),
        ("datetime = '2021-11-03T16:00:00.000Z'", True),  # a string read as an instant
        ("datetime = DATE('2021-11-03')", True),  # by calendar day
        ("datetime <= DATE('2021-11-03')", True),
        ("datetime < DATE('2021-11-03')", False),
        ("datetime > DATE('2021-11-02')", True),
        (
            "datetime BETWEEN TIMESTAMP('2021-01-01T00:00:00Z')"
            " AND TIMESTAMP('2022-01-01T00:00:00Z')",
            True,
        ),
        ("updated > TIMESTAMP('2020-01-01T00:00:00Z')", True),  # any property holding a date-time
        ("T_INTERSECTS(datetime, INTERVAL('2021-11-03', '2021-11-03'))", True),
        ("T_INTERSECTS(datetime, DATE('2021-11-03'))", True),
        ("T_INTERSECTS(datetime, INTERVAL('..', '2021-11-02'))", False),
        ("T_AFTER(datetime, INTERVAL('..', '2021-11-02'))", True),
        ("T_BEFORE(datetime, INTERVAL('2021-11-04', '..'))", True),
        ("T_DURING(datetime, INTERVAL('2021-01-01', '2021-12-31'))", True),
        ("T_DISJOINT(datetime, INTERVAL('2021-01-01', '2021-12-31'))", False),
        ("T_EQUALS(datetime, TIMESTAMP('2021-11-03T16:00:00Z'))", True),
    ],
)
def test_time(text: str, expected: bool) -> None:
    item = _item(updated="2021-11-05T00:00:00z")
    assert evaluate(parse_text(text), item) is expected


def test_datetime_of_a_range_item_is_its_span_in_temporal_predicates() -> None:
    item = _item(start_datetime="2020-01-01T00:00:00Z", end_datetime="2020-12-31T23:59:59Z")
    item["properties"]["datetime"] = None
    assert evaluate(parse_text("T_INTERSECTS(datetime, DATE('2020-06-01'))"), item)
    assert evaluate(parse_text("T_CONTAINS(datetime, INTERVAL('2020-03-01', '2020-04-01'))"), item)
    assert evaluate(parse_text("start_datetime < TIMESTAMP('2020-06-01T00:00:00Z')"), item)
    assert not evaluate(parse_text("datetime < TIMESTAMP('2030-01-01T00:00:00Z')"), item)  # null


@pytest.mark.parametrize(
    ("relation", "interval", "expected"),
    [
        ("T_STARTS", ("2020-01-01", "2020-12-31"), False),
        ("T_STARTS", ("2020-01-01", "2021-06-01"), True),
        ("T_STARTEDBY", ("2020-01-01", "2020-06-01"), True),
        ("T_FINISHES", ("2019-01-01", "2020-12-31"), True),
        ("T_FINISHEDBY", ("2020-06-01", "2020-12-31"), True),
        ("T_OVERLAPS", ("2020-06-01", "2021-06-01"), True),
        ("T_OVERLAPPEDBY", ("2019-06-01", "2020-06-01"), True),
        ("T_MEETS", ("2020-12-31", "2021-06-01"), False),  # the end is the last µs of the day
        ("T_METBY", ("2019-06-01", "2020-01-01"), False),
        ("T_EQUALS", ("2020-01-01", "2020-12-31"), True),
    ],
)
def test_interval_relations(relation: str, interval: tuple[str, str], expected: bool) -> None:
    item = _item(start_datetime="2020-01-01T00:00:00Z", end_datetime="2020-12-31T23:59:59.999999Z")
    text = f"{relation}(datetime, INTERVAL('{interval[0]}', '{interval[1]}'))"
    assert evaluate(parse_text(text), item) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("S_INTERSECTS(geometry, POINT(-85.5 31.5))", True),
        ("S_INTERSECTS(geometry, POINT(0 0))", False),
        ("S_INTERSECTS(geometry, BBOX(-85.1, 31.9, -80, 40))", True),
        ("S_INTERSECTS(geometry, LINESTRING(-87 30, -84 33))", True),
        ("S_DISJOINT(geometry, POINT(0 0))", True),
        ("S_WITHIN(geometry, BBOX(-90, 30, -80, 40))", True),
        ("S_WITHIN(geometry, BBOX(-85.5, 30, -80, 40))", False),
        ("S_CONTAINS(geometry, POINT(-85.5 31.5))", True),
        ("S_CONTAINS(BBOX(-90, 30, -80, 40), geometry)", True),
        ("S_TOUCHES(geometry, POINT(-85 31.5))", True),
        ("S_CROSSES(geometry, LINESTRING(-87 31.5, -84 31.5))", True),
        ("S_OVERLAPS(geometry, BBOX(-85.5, 31.5, -80, 40))", True),
        ("S_EQUALS(geometry, POLYGON((-86 31, -85 31, -85 32, -86 32, -86 31)))", True),
        ("S_INTERSECTS(geometry, geometry)", True),
    ],
)
def test_space(text: str, expected: bool) -> None:
    assert evaluate(parse_text(text), ITEM) is expected


@pytest.mark.parametrize(
    "geometry",
    [
        None,
        "POINT(1 2)",
        {"type": "Polygon"},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], ["x", 0]]]},
        {"type": "Point", "coordinates": [float("nan"), 0]},
    ],
)
def test_unusable_item_geometry_is_unknown(geometry: object) -> None:
    item = {**ITEM, "geometry": geometry}
    for op in ("S_INTERSECTS", "S_DISJOINT", "S_WITHIN", "S_OVERLAPS", "S_EQUALS"):
        expr = parse_text(f"{op}(geometry, BBOX(0.2, 0.2, 5, 5))")
        assert evaluate(expr, item) is False
        assert evaluate(parse_text(f"NOT {op}(geometry, BBOX(0.2, 0.2, 5, 5))"), item) is False


def test_invalid_item_geometry_never_raises() -> None:
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    item = {**ITEM, "geometry": bow_tie}
    for op in ("S_INTERSECTS", "S_DISJOINT", "S_WITHIN", "S_OVERLAPS", "S_EQUALS", "S_CROSSES"):
        evaluate(parse_text(f"{op}(geometry, BBOX(0.2, 0.2, 5, 5))"), item)
    assert evaluate(parse_text("S_INTERSECTS(geometry, POINT(0.1 0.5))"), item)
    assert not evaluate(parse_text("S_INTERSECTS(geometry, POINT(0.5 0.9))"), item)


def test_odd_items_never_raise() -> None:
    expr = parse_text(
        "id = 'x' OR gsd > 1 OR S_INTERSECTS(geometry, POINT(0 0))"
        " OR T_AFTER(datetime, DATE('2020-01-01'))"
    )
    for item in (
        {},
        {"properties": None},
        {"properties": [], "id": 5, "geometry": 7},
        {"properties": {"datetime": 3, "gsd": "x"}},
        {"properties": {"datetime": "0001-01-01T00:00:00+01:00"}},
        {"properties": {"end_datetime": "9999-12-31T23:59:59-01:00"}},
    ):
        assert evaluate(expr, item) is False
    assert evaluate(expr, {"properties": {"start_datetime": "9999-12-31T23:59:59-01:00"}})
    assert evaluate(expr, "not a dict") is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("abc", "abc", True),
        ("abc", "ab", False),
        ("abc", "a%", True),
        ("abc", "%c", True),
        ("abc", "%b%", True),
        ("abc", "a_c", True),
        ("abc", "a__c", False),
        ("", "%", True),
        ("", "_", False),
        ("a%c", "a\\%c", True),
        ("abc", "a\\%c", False),
        ("a_c", "a\\_c", True),
        ("abc", "a\\_c", False),
        ("a\\c", "a\\\\c", True),
        ("a.c", "a.c", True),
        ("abc", "a.c", False),
        ("a\nc", "a_c", True),
        ("aXbXc", "%b%c", True),
        ("abab", "%ab%ab", True),
        ("aab", "%ab%ab", False),
        ("(x)", "(%)", True),
        ("trailing\\", "trailing\\", True),
    ],
)
def test_like(value: str, pattern: str, expected: bool) -> None:
    assert like(value, pattern) is expected


def test_like_has_no_catastrophic_backtracking() -> None:
    value = "a" * 20_000
    assert not like(value, "%a" * 500 + "%b")
    assert not like(value, "%" + "_" * 100 + "%b")


def test_properties_used() -> None:
    expr = parse_text(
        "collection = 'naip' AND (gsd < 1 OR CASEI(platform) IN ('x', \"naip:state\"))"
        " AND S_INTERSECTS(geometry, POINT(0 0)) AND NOT T_AFTER(datetime, DATE('2020-01-01'))"
        " AND id LIKE 'x%' AND a IS NULL AND b BETWEEN c AND 1"
    )
    assert properties_used(expr) == {
        "collection",
        "gsd",
        "platform",
        "naip:state",
        "geometry",
        "datetime",
        "id",
        "a",
        "b",
        "c",
    }
    assert properties_used(parse_text("TRUE")) == set()
