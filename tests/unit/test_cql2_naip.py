"""Filters on the 1,000 real NAIP items, checked against selections computed in plain Python."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import shapely
from shapely.geometry import shape

from stacsift.query.cql2 import Expr, evaluate, parse_json, parse_text

Item = dict[str, Any]

# A triangle over part of the items' footprint (their union spans -88.0..-85.2, 30.2..31.0).
TRIANGLE = [(-87.6, 30.3), (-86.0, 30.6), (-87.0, 31.1), (-87.6, 30.3)]
TRIANGLE_WKT = "POLYGON((" + ", ".join(f"{x} {y}" for x, y in TRIANGLE) + "))"
BOX = (-86.5, 30.5, -85.9, 30.95)


@pytest.fixture(scope="module")
def items(fixtures: Path) -> list[Item]:
    lines = (fixtures / "items/planetary-computer-naip/naip-items.ndjson").read_bytes()
    loaded = [orjson.loads(line) for line in lines.splitlines() if line.strip()]
    assert len(loaded) == 1000
    return loaded


def _selected(expr: Expr, items: list[Item]) -> set[str]:
    return {item["id"] for item in items if evaluate(expr, item)}


def _expected(items: list[Item], keep: Callable[[Item], bool]) -> set[str]:
    return {item["id"] for item in items if keep(item)}


def _props(item: Item) -> dict[str, Any]:
    return item["properties"]  # type: ignore[no-any-return]


def _when(item: Item) -> datetime:
    return datetime.fromisoformat(_props(item)["datetime"])


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


CASES: list[tuple[str, Callable[[Item], bool]]] = [
    ("naip:state = 'al'", lambda i: _props(i)["naip:state"] == "al"),
    ("naip:state <> 'al'", lambda i: _props(i)["naip:state"] != "al"),
    ("CASEI(naip:state) = CASEI('AL')", lambda i: _props(i)["naip:state"].lower() == "al"),
    ("naip:year = '2021'", lambda i: _props(i)["naip:year"] == "2021"),
    ("naip:year = 2021", lambda i: False),  # a string is never equal to a number
    ("naip:year IN ('2011', '2013')", lambda i: _props(i)["naip:year"] in ("2011", "2013")),
    ("naip:year NOT IN ('2011', '2013')", lambda i: _props(i)["naip:year"] not in ("2011", "2013")),
    ("gsd < 0.6", lambda i: _props(i)["gsd"] < 0.6),
    ("gsd >= 0.6", lambda i: _props(i)["gsd"] >= 0.6),
    ("gsd BETWEEN 0.5 AND 0.7", lambda i: 0.5 <= _props(i)["gsd"] <= 0.7),
    ("gsd NOT BETWEEN 0.5 AND 0.7", lambda i: not 0.5 <= _props(i)["gsd"] <= 0.7),
    ("proj:epsg = 26916", lambda i: _props(i)["proj:epsg"] == 26916),
    ("providers IS NULL", lambda i: "providers" not in _props(i)),
    ("providers IS NOT NULL", lambda i: "providers" in _props(i)),
    (
        "proj:centroid IS NULL OR gsd = 1",
        lambda i: "proj:centroid" not in _props(i) or _props(i)["gsd"] == 1,
    ),
    ("id LIKE 'al\\_m\\_30085%'", lambda i: i["id"].startswith("al_m_30085")),
    (
        "id LIKE 'al_m_30085%'",
        lambda i: re.fullmatch("al.m.30085.*", i["id"], re.DOTALL) is not None,
    ),
    ("id LIKE '%\\_ne\\_%'", lambda i: "_ne_" in i["id"]),
    ("id NOT LIKE '%\\_2019____\\_%'", lambda i: not re.search("_2019...._", i["id"])),
    (
        "datetime >= TIMESTAMP('2021-01-01T00:00:00Z')",
        lambda i: _when(i) >= _at("2021-01-01T00:00:00Z"),
    ),
    (
        "datetime BETWEEN TIMESTAMP('2015-08-15T00:00:00Z') AND TIMESTAMP('2017-10-01T00:00:00Z')",
        lambda i: _at("2015-08-15T00:00:00Z") <= _when(i) <= _at("2017-10-01T00:00:00Z"),
    ),
    ("datetime < DATE('2013-09-01')", lambda i: _when(i) < _at("2013-09-01T00:00:00Z")),
    (
        "T_INTERSECTS(datetime, INTERVAL('2019-01-01', '2019-12-31'))",
        lambda i: _when(i).year == 2019,
    ),
    ("T_AFTER(datetime, INTERVAL('..', '2022-12-31'))", lambda i: _when(i).year >= 2023),
    (
        f"S_INTERSECTS(geometry, {TRIANGLE_WKT})",
        lambda i: shape(i["geometry"]).intersects(shapely.Polygon(TRIANGLE)),
    ),
    (
        f"S_WITHIN(geometry, {TRIANGLE_WKT})",
        lambda i: shape(i["geometry"]).within(shapely.Polygon(TRIANGLE)),
    ),
    (
        f"S_INTERSECTS(geometry, BBOX({', '.join(map(str, BOX))}))",
        lambda i: shape(i["geometry"]).intersects(shapely.box(*BOX)),
    ),
    (
        f"collection = 'naip' AND gsd = 1 AND S_DISJOINT(geometry, {TRIANGLE_WKT})",
        lambda i: (
            _props(i)["gsd"] == 1 and shape(i["geometry"]).disjoint(shapely.Polygon(TRIANGLE))
        ),
    ),
]


@pytest.mark.parametrize(("text", "keep"), CASES, ids=[case[0][:60] for case in CASES])
def test_filter_selects_what_plain_python_selects(
    items: list[Item], text: str, keep: Callable[[Item], bool]
) -> None:
    assert _selected(parse_text(text), items) == _expected(items, keep)


def test_cases_are_not_trivial(items: list[Item]) -> None:
    """The spatial and temporal cases select some items but not all (else they prove little)."""
    for text, keep in CASES:
        if text.startswith(("S_", "T_", "datetime", "gsd", "id")):
            assert 0 < len(_expected(items, keep)) < len(items), text


@pytest.mark.parametrize(
    ("text", "json"),
    [
        (
            f"S_INTERSECTS(geometry, {TRIANGLE_WKT}) AND naip:year = '2017'",
            {
                "op": "and",
                "args": [
                    {
                        "op": "s_intersects",
                        "args": [
                            {"property": "geometry"},
                            {"type": "Polygon", "coordinates": [[list(p) for p in TRIANGLE]]},
                        ],
                    },
                    {"op": "=", "args": [{"property": "naip:year"}, "2017"]},
                ],
            },
        ),
        (
            "id LIKE 'al_m_30086%' OR gsd < 0.5",
            {
                "op": "or",
                "args": [
                    {"op": "like", "args": [{"property": "id"}, "al_m_30086%"]},
                    {"op": "<", "args": [{"property": "gsd"}, 0.5]},
                ],
            },
        ),
        (
            "T_INTERSECTS(datetime, INTERVAL('2023-06-01T00:00:00Z', '..'))",
            {
                "op": "t_intersects",
                "args": [{"property": "datetime"}, {"interval": ["2023-06-01T00:00:00Z", ".."]}],
            },
        ),
    ],
)
def test_text_and_json_select_the_same_items(items: list[Item], text: str, json: object) -> None:
    selected = _selected(parse_text(text), items)
    assert selected == _selected(parse_json(json), items)
    assert 0 < len(selected) < len(items)


@pytest.mark.parametrize("text", [case[0] for case in CASES if "IS" not in case[0]])
def test_not_selects_the_complement_when_nothing_is_missing(items: list[Item], text: str) -> None:
    chosen = _selected(parse_text(text), items)
    rejected = _selected(parse_text(f"NOT ({text})"), items)
    if text == "naip:year = 2021":  # a type mismatch is unknown: neither side selects
        assert chosen == rejected == set()
        return
    assert chosen | rejected == {item["id"] for item in items}
    assert not chosen & rejected


def test_missing_property_is_unknown_on_both_sides(items: list[Item]) -> None:
    with_centroid = _expected(items, lambda i: "proj:centroid" in _props(i))
    assert _selected(parse_text("eo:cloud_cover < 10"), items) == set()
    assert _selected(parse_text("NOT eo:cloud_cover < 10"), items) == set()
    assert _selected(parse_text("proj:centroid = 5"), items) == set()  # an object: not comparable
    assert _selected(parse_text("proj:centroid IS NOT NULL"), items) == with_centroid
