"""cql2-json: the same trees as cql2-text for the same filter, and a named 400 for bad ones."""

from __future__ import annotations

from typing import Any

import pytest

from stacsift.errors import InvalidParameter
from stacsift.query.cql2 import parse_json, parse_text
from stacsift.query.cql2_ast import MAX_DEPTH, MAX_POSITIONS, Compare, Const, Property


def op(name: str, *args: object) -> dict[str, object]:
    return {"op": name, "args": list(args)}


def prop(name: str) -> dict[str, str]:
    return {"property": name}


CC = prop("eo:cloud_cover")
DT = prop("datetime")
GEOM = prop("geometry")
RING = [[43.5845, -79.5442], [43.6079, -79.4893], [43.5677, -79.4632], [43.5845, -79.5442]]
POLYGON = {"type": "Polygon", "coordinates": [RING]}
POLYGON_WKT = "POLYGON((43.5845 -79.5442, 43.6079 -79.4893, 43.5677 -79.4632, 43.5845 -79.5442))"
T1, T2 = "2020-11-11T00:00:00Z", "2020-11-12T00:00:00Z"

# (cql2-text, cql2-json) pairs that mean the same filter; many are stac-api-validator's.
SAME = [
    (
        "id='x' AND collection='naip'",
        op("and", op("=", prop("id"), "x"), op("=", prop("collection"), "naip")),
    ),
    ("eo:cloud_cover >= 5 AND eo:cloud_cover < 10", op("and", op(">=", CC, 5), op("<", CC, 10))),
    (
        "eo:cloud_cover > 50 OR eo:cloud_cover < 10"
        " OR (eo:cloud_cover IS NULL AND eo:cloud_cover IS NULL)",
        op("or", op(">", CC, 50), op("<", CC, 10), op("and", op("isNull", CC), op("isNull", CC))),
    ),
    ("eo:cloud_cover BETWEEN 0 AND 50", op("between", CC, 0, 50)),
    ("eo:cloud_cover BETWEEN 0 AND 50", op("between", CC, [0, 50])),
    ("eo:cloud_cover NOT BETWEEN 0 AND 50", op("not", op("between", CC, [0, 50]))),
    ("mission LIKE 'sentinel%'", op("like", prop("mission"), "sentinel%")),
    ("mission NOT LIKE 'sentinel%'", op("not", op("like", prop("mission"), "sentinel%"))),
    ("platform IN ('a', 'b', 3)", op("in", prop("platform"), ["a", "b", 3])),
    ("platform IS NOT NULL", op("not", op("isNull", prop("platform")))),
    ("CASEI(platform) = CASEI('A')", op("=", op("casei", prop("platform")), op("casei", "A"))),
    ("ACCENTI(city) LIKE 'Z%'", op("like", op("accenti", prop("city")), "Z%")),
    (
        "datetime >= TIMESTAMP('2021-04-08T04:39:23Z')",
        op(">=", DT, {"timestamp": "2021-04-08T04:39:23Z"}),
    ),
    ("datetime < DATE('2021-04-08')", op("<", DT, {"date": "2021-04-08"})),
    (
        f"T_INTERSECTS(datetime, INTERVAL('{T1}', '{T2}'))",
        op("t_intersects", DT, {"interval": [T1, T2]}),
    ),
    (
        "T_BEFORE(datetime, INTERVAL('..', '2020-01-01'))",
        op("t_before", DT, {"interval": ["..", "2020-01-01"]}),
    ),
    (f"T_FINISHEDBY(datetime, TIMESTAMP('{T1}'))", op("t_finishedBy", DT, {"timestamp": T1})),
    (f"S_INTERSECTS(geometry, {POLYGON_WKT})", op("s_intersects", GEOM, POLYGON)),
    (
        "S_WITHIN(geometry, BBOX(-90, 30, -80, 35))",
        op("s_within", GEOM, {"bbox": [-90, 30, -80, 35]}),
    ),
    (
        "S_INTERSECTS(geometry, POINT(-86 31))",
        op("s_intersects", GEOM, {"type": "Point", "coordinates": [-86, 31]}),
    ),
    (
        "S_CONTAINS(geometry, MULTIPOINT((-86 31), (-86.1 31)))",
        op("s_contains", GEOM, {"type": "MultiPoint", "coordinates": [[-86, 31], [-86.1, 31]]}),
    ),
    (
        "S_DISJOINT(geometry, GEOMETRYCOLLECTION(POINT(0 0), LINESTRING(0 0, 1 1)))",
        op(
            "s_disjoint",
            GEOM,
            {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Point", "coordinates": [0, 0]},
                    {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                ],
            },
        ),
    ),
    (
        "NOT (a = 1 AND (b = 2 AND c = 3))",
        op(
            "not",
            op(
                "and",
                op("=", prop("a"), 1),
                op("and", op("=", prop("b"), 2), op("=", prop("c"), 3)),
            ),
        ),
    ),
    ("TRUE", True),
]


@pytest.mark.parametrize(("text", "json"), SAME)
def test_text_and_json_give_the_same_tree(text: str, json: object) -> None:
    assert parse_text(text) == parse_json(json)


def test_operators_are_case_insensitive() -> None:
    assert parse_json({"op": "ISNULL", "args": [prop("a")]}) == parse_text("a IS NULL")
    expected = parse_text("t_intersects(datetime, DATE('2020-01-01'))")
    assert parse_json(op("T_Intersects", DT, {"date": "2020-01-01"})) == expected


def test_literals() -> None:
    assert parse_json(False) == Const(False)
    assert parse_json(op("=", prop("n"), 10**30)) == Compare("=", Property("n"), 10**30)


@pytest.mark.parametrize(
    "obj",
    [
        None,
        [],
        "a = 1",
        1,
        {},
        {"op": "="},
        {"op": "=", "args": prop("a")},
        {"op": 1, "args": []},
        {"op": "=", "args": [prop("a")]},
        {"op": "=", "args": [prop("a"), 1, 2]},
        {"op": "=", "args": [prop("a"), None]},
        {"op": "=", "args": [prop("a"), [1]]},
        {"op": "=", "args": [prop("a"), float("nan")]},
        {"op": "=", "args": [prop("a"), float("inf")]},
        {"op": "=", "args": [{"property": ""}, 1]},
        {"op": "=", "args": [{"property": 3}, 1]},
        {"op": "=", "args": [{"op": "upper", "args": ["x"]}, 1]},
        {"op": "not", "args": []},
        {"op": "not", "args": [True, False]},
        {"op": "and", "args": []},
        {"op": "and", "args": [1, 2]},
        {"op": "in", "args": [prop("a"), []]},
        {"op": "in", "args": [prop("a"), "abc"]},
        {"op": "between", "args": [prop("a"), [1]]},
        {"op": "a_contains", "args": [prop("a"), ["x"]]},
        {"op": "+", "args": [1, 2]},
        {"op": "=", "args": [DT, {"timestamp": "nope"}]},
        {"op": "=", "args": [DT, {"date": "2020-01-01T00:00:00Z"}]},
        {"op": "t_intersects", "args": [DT, {"interval": ["2020-01-01"]}]},
        {"op": "t_intersects", "args": [DT, {"interval": [1, 2]}]},
        {"op": "t_intersects", "args": [DT, {"interval": ["2021-01-01", "2020-01-01"]}]},
        {"op": "t_intersects", "args": [DT, "2020-01-01"]},
        {"op": "s_intersects", "args": [GEOM, {"type": "Point", "coordinates": [1]}]},
        {"op": "s_intersects", "args": [GEOM, {"type": "Point", "coordinates": [True, 1]}]},
        {
            "op": "s_intersects",
            "args": [GEOM, {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}],
        },
        {"op": "s_intersects", "args": [GEOM, {"type": "Circle", "coordinates": [0, 0]}]},
        {"op": "s_intersects", "args": [GEOM, {"type": "GeometryCollection"}]},
        {"op": "s_intersects", "args": [GEOM, {"bbox": [0, 0, 1]}]},
        {"op": "s_intersects", "args": [GEOM, {"bbox": [0, 1, 1, 0]}]},
        {"op": "s_intersects", "args": [GEOM, "POINT(1 2)"]},
    ],
)
def test_malformed_json_filters_are_invalid_parameters(obj: object) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_json(obj)
    assert caught.value.parameter == "filter"


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"op": "=", "args": [prop("a"), 1]}
    for _ in range(depth):
        node = {"op": "not", "args": [node]}
    return node


def test_nesting_is_bounded() -> None:
    assert parse_json(_nested(MAX_DEPTH - 1)) is not None
    with pytest.raises(InvalidParameter, match="nested"):
        parse_json(_nested(100_000))
    folds: dict[str, Any] = prop("a")
    for _ in range(100_000):
        folds = {"op": "casei", "args": [folds]}
    with pytest.raises(InvalidParameter, match="nested"):
        parse_json({"op": "=", "args": [folds, "x"]})


def test_geometry_size_is_bounded() -> None:
    ring = [[n % 7, n % 11] for n in range(MAX_POSITIONS + 1)]
    ring.append(ring[0])
    big = {"type": "Polygon", "coordinates": [ring]}
    with pytest.raises(InvalidParameter, match="too many positions"):
        parse_json({"op": "s_intersects", "args": [GEOM, big]})
