"""Property tests: no input makes the parsers raise anything but InvalidParameter("filter"), no
item makes evaluation raise, and text and JSON renderings of random filters give the same tree."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacsift.errors import InvalidParameter
from stacsift.query.cql2 import evaluate, parse, parse_json, parse_text, properties_used
from stacsift.query.cql2_ast import Not

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
NAMES = [
    "id", "collection", "geometry", "datetime", "start_datetime", "end_datetime", "gsd",
    "naip:state", "naip:year", "providers", "proj:centroid", "eo:cloud_cover", "missing",
]  # fmt: skip
OPS = [
    "and", "or", "not", "=", "<>", "<", "<=", ">", ">=", "like", "between", "in", "isNull",
    "casei", "accenti", "s_intersects", "s_within", "s_contains", "s_disjoint", "s_equals",
    "t_intersects", "t_before", "t_after", "t_during", "t_meets", "a_contains", "+", "foo",
]  # fmt: skip
WORDS = [
    "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "TRUE", "FALSE", "TIMESTAMP",
    "DATE", "INTERVAL", "CASEI", "ACCENTI", "S_INTERSECTS", "T_INTERSECTS", "POINT", "POLYGON",
    "LINESTRING", "MULTIPOINT", "GEOMETRYCOLLECTION", "BBOX", "Z", "(", ")", ",", "=", "<>",
    "<", ">=", "'x'", "'2020-01-01'", "'..'", "''", "'it''s'", "1", "-2.5", "1e3", "0 0",
    '"eo:cloud_cover"', "gsd", "geometry", "datetime", "id",
]  # fmt: skip

KEYS = [
    "op", "args", "property", "type", "coordinates", "geometries", "bbox", "interval",
    "timestamp", "date",
]  # fmt: skip

# -- arbitrary input ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(OPS + NAMES + ["2020-01-01", "2020-01-01T00:00:00Z", ".."]),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(KEYS) | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=40,
)
cql2_json_like = st.recursive(
    st.fixed_dictionaries({"property": st.sampled_from(NAMES)}) | json_values,
    lambda children: st.fixed_dictionaries(
        {"op": st.sampled_from(OPS), "args": st.lists(children, max_size=4)}
    ),
    max_leaves=30,
)


def _parses_or_is_invalid(parser: Any, value: object) -> None:
    try:
        parser(value)
    except InvalidParameter as err:
        assert err.parameter == "filter"


@FUZZ
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    _parses_or_is_invalid(parse_text, text)


@FUZZ
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=3), max_size=40), st.sampled_from(" ("))
def test_any_token_soup(words: list[str], separator: str) -> None:
    _parses_or_is_invalid(parse_text, " ".join(words))
    _parses_or_is_invalid(parse_text, separator.join(words))


@FUZZ
@given(json_values)
def test_any_json(value: object) -> None:
    _parses_or_is_invalid(parse_json, value)
    _parses_or_is_invalid(lambda v: parse(json.dumps(v), "cql2-json"), value)


@FUZZ
@given(cql2_json_like)
def test_any_cql2_shaped_json(value: object) -> None:
    _parses_or_is_invalid(parse_json, value)


GEOMETRY_TYPES = ["Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"]
coordinates = st.recursive(
    st.floats() | st.integers() | st.booleans() | st.none() | st.text(max_size=2),
    lambda children: st.lists(children, max_size=5),
    max_leaves=30,
)
geometry_like = st.recursive(
    st.fixed_dictionaries(
        {"type": st.sampled_from([*GEOMETRY_TYPES, "Circle"]), "coordinates": coordinates}
    ),
    lambda children: st.fixed_dictionaries(
        {"type": st.just("GeometryCollection"), "geometries": st.lists(children, max_size=3)}
    ),
    max_leaves=6,
)
WKT_WORDS = ["POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTIPOLYGON", "GEOMETRYCOLLECTION"]
wkt_soup = st.lists(
    st.sampled_from([*WKT_WORDS, "BBOX", "Z", "(", ")", ",", "1", "-2.5", "1e999", "0 0", "x"]),
    max_size=30,
)


@FUZZ
@given(geometry_like, coordinates)
def test_any_geometry_literal(geometry: object, bbox: object) -> None:
    for literal in (geometry, {"bbox": bbox}):
        _parses_or_is_invalid(parse_json, _op("s_intersects", {"property": "geometry"}, literal))


@FUZZ
@given(wkt_soup)
def test_any_wkt(words: list[str]) -> None:
    _parses_or_is_invalid(parse_text, "S_INTERSECTS(geometry, " + " ".join(words) + ")")


# -- valid filters, as cql2-json and rendered as cql2-text ------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
numbers = st.integers(-(10**12), 10**12) | finite
strings = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
moments = st.datetimes().map(lambda d: d.isoformat(timespec="seconds") + "Z")
days = st.dates().map(lambda d: d.isoformat())
props = st.sampled_from(NAMES).map(lambda n: {"property": n})
casei = st.builds(lambda v: {"op": "casei", "args": [v]}, props | strings)
scalars = (
    props
    | numbers
    | strings
    | st.booleans()
    | moments.map(lambda t: {"timestamp": t})
    | days.map(lambda d: {"date": d})
    | casei
)
lon, lat = st.floats(-180, 180), st.floats(-90, 90)
points = st.tuples(lon, lat).map(lambda p: {"type": "Point", "coordinates": list(p)})
boxes = st.tuples(lon, lat, lon, lat).map(
    lambda b: {"bbox": [b[0], min(b[1], b[3]), b[2], max(b[1], b[3])]}
)
triangles = st.lists(st.tuples(lon, lat), min_size=3, max_size=3).map(
    lambda ps: {"type": "Polygon", "coordinates": [[list(p) for p in [*ps, ps[0]]]]}
)
intervals = st.tuples(moments | days | st.just(".."), moments | days | st.just("..")).map(
    lambda ends: {"interval": sorted(ends, key=lambda e: (e == "..", e))}  # start <= end
)


def _op(name: str, *args: object) -> dict[str, Any]:
    return {"op": name, "args": list(args)}


predicates = st.one_of(
    st.builds(_op, st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), scalars, scalars),
    st.builds(lambda v, p: _op("like", v, p), props, strings),
    st.builds(lambda v, lo, hi: _op("between", v, lo, hi), props, numbers, numbers),
    st.builds(lambda v, os: _op("in", v, os), props, st.lists(scalars, min_size=1, max_size=4)),
    st.builds(lambda v: _op("isNull", v), props),
    st.builds(
        lambda g: _op("s_intersects", {"property": "geometry"}, g), points | boxes | triangles
    ),
    st.builds(lambda i: _op("t_intersects", {"property": "datetime"}, i), intervals),
    st.booleans(),
)
filters = st.recursive(
    predicates,
    lambda children: (
        st.builds(lambda a: _op("not", a), children)
        | st.builds(lambda a, b: _op("and", a, b), children, children)
        | st.builds(lambda a, b: _op("or", a, b), children, children)
    ),
    max_leaves=12,
)


def to_text(node: Any) -> str:
    """Render a cql2-json filter made by the strategies above as cql2-text."""
    if isinstance(node, bool):
        return "TRUE" if node else "FALSE"
    if isinstance(node, int | float):
        return repr(node)
    if isinstance(node, str):
        return "'" + node.replace("'", "''") + "'"
    if "property" in node:
        return '"' + str(node["property"]).replace('"', '""') + '"'
    if "timestamp" in node:
        return f"TIMESTAMP('{node['timestamp']}')"
    if "date" in node:
        return f"DATE('{node['date']}')"
    if "interval" in node:
        return "INTERVAL({}, {})".format(*(f"'{e}'" for e in node["interval"]))
    if "bbox" in node:
        return "BBOX(" + ", ".join(map(repr, node["bbox"])) + ")"
    if "type" in node:
        return _wkt(node)
    return _operation(
        node["op"], [to_text(a) if not isinstance(a, list) else a for a in node["args"]]
    )


def _wkt(geometry: dict[str, Any]) -> str:
    def position(p: list[float]) -> str:
        return f"{p[0]!r} {p[1]!r}"

    if geometry["type"] == "Point":
        return f"POINT({position(geometry['coordinates'])})"
    ring = ", ".join(position(p) for p in geometry["coordinates"][0])
    return f"POLYGON(({ring}))"


def _operation(op: str, args: list[Any]) -> str:
    if op in ("and", "or"):
        return "(" + f" {op.upper()} ".join(args) + ")"
    if op == "not":
        return f"NOT ({args[0]})"
    if op == "like":
        return f"{args[0]} LIKE {args[1]}"
    if op == "between":
        return f"{args[0]} BETWEEN {args[1]} AND {args[2]}"
    if op == "in":
        return f"{args[0]} IN (" + ", ".join(to_text(o) for o in args[1]) + ")"
    if op == "isNull":
        return f"{args[0]} IS NULL"
    if op in ("casei", "s_intersects", "t_intersects"):
        return f"{op.upper()}(" + ", ".join(args) + ")"
    return f"{args[0]} {op} {args[1]}"


@FUZZ
@given(filters)
def test_text_and_json_renderings_give_the_same_tree(obj: Any) -> None:
    assert parse_text(to_text(obj)) == parse_json(obj)


# -- evaluation on real and mangled items -----------------------------------------------------


@pytest.fixture(scope="module")
def naip(fixtures: Path) -> list[dict[str, Any]]:
    lines = (fixtures / "items/planetary-computer-naip/naip-items.ndjson").read_bytes()
    return [orjson.loads(line) for line in lines.splitlines()[:50]]


odd_values = (
    json_values | moments | days | points | triangles | geometry_like | st.just(float("nan"))
)


@FUZZ
@given(
    expr_json=filters,
    pick=st.integers(0, 49),
    mangle=st.dictionaries(st.sampled_from(NAMES), odd_values, max_size=4),
    top=st.dictionaries(
        st.sampled_from(["id", "collection", "geometry", "properties"]), odd_values
    ),
)
def test_evaluate_never_raises_and_not_is_consistent(
    naip: list[dict[str, Any]],
    expr_json: Any,
    pick: int,
    mangle: dict[str, Any],
    top: dict[str, Any],
) -> None:
    expr = parse_json(expr_json)
    real = naip[pick]
    mangled = {**real, "properties": {**real["properties"], **mangle}}
    for item in (real, mangled, {**mangled, **top}, top):
        chosen, rejected = evaluate(expr, item), evaluate(Not(expr), item)
        assert isinstance(chosen, bool) and isinstance(rejected, bool)
        assert not (chosen and rejected)
    assert properties_used(expr) <= set(NAMES)


def test_the_renderer_handles_awkward_literals() -> None:
    obj = _op("in", {"property": 'we"ird'}, ["it's", -0.0, 1e-300, math.pi, 10**12])
    assert parse_text(to_text(obj)) == parse_json(obj)
