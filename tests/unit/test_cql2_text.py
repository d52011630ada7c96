"""cql2-text: the syntax trees of valid filters, and a named 400 for every malformed one."""

from __future__ import annotations

import pytest
import shapely

from stacsift.errors import InvalidParameter
from stacsift.query.cql2 import parse, parse_json, parse_text
from stacsift.query.cql2_ast import (
    MAX_DEPTH,
    MAX_TEXT_LENGTH,
    And,
    Between,
    Compare,
    Const,
    Fold,
    Geometry,
    In,
    Instant,
    Interval,
    IsNull,
    Like,
    Not,
    Or,
    Property,
    Spatial,
    Temporal,
)

CC = Property("eo:cloud_cover")
JAN_1_2020 = 1_577_836_800_000_000  # µs


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("eo:cloud_cover = 10", Compare("=", CC, 10)),
        ('"eo:cloud_cover" <> 10.5', Compare("<>", CC, 10.5)),
        ("gsd<=-1e-1", Compare("<=", Property("gsd"), -0.1)),
        ("id = 'it''s'", Compare("=", Property("id"), "it's")),
        ("flag = TRUE", Compare("=", Property("flag"), True)),
        ("a > 1 AND b < 2", And((Compare(">", Property("a"), 1), Compare("<", Property("b"), 2)))),
        (
            "a = 1 OR b = 2 AND c = 3",
            Or(
                (
                    Compare("=", Property("a"), 1),
                    And((Compare("=", Property("b"), 2), Compare("=", Property("c"), 3))),
                )
            ),
        ),
        (
            "(a = 1 OR b = 2) AND c = 3",
            And(
                (
                    Or((Compare("=", Property("a"), 1), Compare("=", Property("b"), 2))),
                    Compare("=", Property("c"), 3),
                )
            ),
        ),
        ("NOT a = 1", Not(Compare("=", Property("a"), 1))),
        ("a IS NULL", IsNull(Property("a"))),
        ("a IS NOT NULL", Not(IsNull(Property("a")))),
        ("id LIKE 'al\\_m%'", Like(Property("id"), "al\\_m%")),
        ("id NOT LIKE 'x%'", Not(Like(Property("id"), "x%"))),
        ("gsd BETWEEN 0.3 AND 0.6", Between(Property("gsd"), 0.3, 0.6)),
        ("gsd NOT BETWEEN 0 AND 1", Not(Between(Property("gsd"), 0, 1))),
        ("platform IN ('a', 'b')", In(Property("platform"), ("a", "b"))),
        ("platform NOT IN ('a')", Not(In(Property("platform"), ("a",)))),
        (
            "CASEI(platform) = CASEI('A')",
            Compare("=", Fold("casei", Property("platform")), Fold("casei", "A")),
        ),
        ("ACCENTI(city) = 'Zurich'", Compare("=", Fold("accenti", Property("city")), "Zurich")),
        (
            "datetime > TIMESTAMP('2020-01-01T00:00:00Z')",
            Compare(">", Property("datetime"), Instant(JAN_1_2020)),
        ),
        (
            "datetime > DATE('2020-01-01')",
            Compare(">", Property("datetime"), Instant(JAN_1_2020, date=True)),
        ),
        ("TRUE", Const(True)),
        ("false", Const(False)),
        ("TRUE = flag", Compare("=", True, Property("flag"))),
        (
            "date = 1 AND point = 2",
            And((Compare("=", Property("date"), 1), Compare("=", Property("point"), 2))),
        ),
        ("Gsd = 1", Compare("=", Property("Gsd"), 1)),
        ('"AND" = 1', Compare("=", Property("AND"), 1)),
    ],
)
def test_syntax(text: str, tree: object) -> None:
    assert parse_text(text) == tree


@pytest.mark.parametrize(
    "text",
    [
        "a is not null and not b like 'x' or c in (1)",
        "A IS NOT NULL AND NOT B LIKE 'x' OR C IN (1)",
        "a Is NoT nUlL aNd NoT b LiKe 'x' Or c In (1)",
    ],
)
def test_keywords_are_case_insensitive_identifiers_are_not(text: str) -> None:
    tree = parse_text(text)
    names = {"a", "b", "c"} if text[0] == "a" else {"A", "B", "C"}
    assert isinstance(tree, Or)
    assert {p.name for p in _properties(tree)} == names


def _properties(node: object) -> list[Property]:
    if isinstance(node, Property):
        return [node]
    children = getattr(node, "__dict__", {}).values()
    found = []
    for child in children:
        for part in child if isinstance(child, tuple) else (child,):
            found.extend(_properties(part))
    return found


def test_spatial_literals() -> None:
    tree = parse_text(
        "S_INTERSECTS(geometry,"
        " POLYGON((0 0, 1 0, 1 1, 0 1, 0 0), (0.2 0.2, 0.3 0.2, 0.3 0.3, 0.2 0.2)))"
    )
    assert isinstance(tree, Spatial) and tree.op == "s_intersects"
    assert tree.left == Property("geometry")
    assert isinstance(tree.right, Geometry)
    assert tree.right.shape.geom_type == "Polygon"
    assert len(tree.right.shape.interiors) == 1


@pytest.mark.parametrize(
    ("wkt", "geom_type"),
    [
        ("POINT(1 2)", "Point"),
        ("point z (1 2 3)", "Point"),
        ("LINESTRING(0 0, 1 1)", "LineString"),
        ("MULTIPOINT((0 0), (1 1))", "MultiPoint"),
        ("MULTIPOINT(0 0, 1 1)", "MultiPoint"),
        ("MULTILINESTRING((0 0, 1 1), (2 2, 3 3))", "MultiLineString"),
        ("MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))", "MultiPolygon"),
        ("GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1))", "GeometryCollection"),
        ("BBOX(-10, -5, 10, 5)", "Polygon"),
        ("ENVELOPE(-10, -5, 0, 10, 5, 100)", "Polygon"),
        ("BBOX(170, -5, -170, 5)", "MultiPolygon"),  # across the antimeridian
    ],
)
def test_wkt(wkt: str, geom_type: str) -> None:
    tree = parse_text(f"S_INTERSECTS(geometry, {wkt})")
    assert isinstance(tree, Spatial) and isinstance(tree.right, Geometry)
    assert tree.right.shape.geom_type == geom_type


def test_temporal_literals() -> None:
    tree = parse_text("T_INTERSECTS(datetime, INTERVAL('2020-01-01', '..'))")
    assert isinstance(tree, Temporal)
    assert tree.right == Interval(JAN_1_2020, tree.right.end)  # type: ignore[union-attr]
    closed = parse_text("t_during(datetime, interval('2020-01-01', '2020-01-01'))")
    day = 86_400_000_000
    assert closed == Temporal(
        "t_during", Property("datetime"), Interval(JAN_1_2020, JAN_1_2020 + day - 1)
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "a =",
        "= 1",
        "a = 1 AND",
        "a = 1 b = 2",
        "(a = 1",
        "a = 1)",
        "a == 1",
        "a != 1",
        "a = 'open",
        'a = "open',
        "a = NULL",
        "a NOT = 1",
        "a IS 1",
        "a IN ()",
        "a IN (1,)",
        "a BETWEEN 1",
        "a BETWEEN 1 OR 2",
        "AND = 1",
        "a = 1e999",
        "a = " + "9" * 5000,
        "foo(a) = 1",
        "A_CONTAINS(a, ('x'))",
        "a + 1 = 2",
        "datetime > TIMESTAMP('yesterday')",
        "datetime > TIMESTAMP(1)",
        "datetime > DATE('2020-01-01T00:00:00Z')",
        "datetime > DATE('2020-02-30')",
        "T_INTERSECTS(datetime, INTERVAL('2021-01-01', '2020-01-01'))",
        "T_INTERSECTS(datetime, 'x')",
        "T_INTERSECTS(datetime)",
        "S_INTERSECTS(geometry, POINT(1))",
        "S_INTERSECTS(geometry, POINT(1 2 3 4))",
        "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 0 0)))",
        "S_INTERSECTS(geometry, LINESTRING(0 0))",
        "S_INTERSECTS(geometry, BBOX(0, 0, 1))",
        "S_INTERSECTS(geometry, BBOX(0, 5, 1, 0))",
        "S_INTERSECTS(geometry, POINT(1e999 0))",
        "S_INTERSECTS(geometry, 'POINT(1 2)')",
        "S_INTERSECTS(geometry, CIRCLE(1 2))",
        "S_INTERSECTS(geometry, " + "GEOMETRYCOLLECTION(" * 6 + "POINT(1 2)" + ")" * 7,
        "CASEI(a, b) = 'x'",
        "a = 1 ; DROP TABLE items",
        "a = `1`",
    ],
)
def test_malformed_filters_are_invalid_parameters(text: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_text(text)
    assert caught.value.parameter == "filter"


def test_error_names_the_place() -> None:
    with pytest.raises(InvalidParameter, match="character 7, found 'b'"):
        parse_text("a = 1 b = 2")


def test_nesting_is_bounded() -> None:
    deep_ok = "(" * (MAX_DEPTH - 1) + "a = 1" + ")" * (MAX_DEPTH - 1)
    assert parse_text(deep_ok) == Compare("=", Property("a"), 1)
    for too_deep in (
        "(" * 5000 + "a = 1" + ")" * 5000,
        "NOT " * 5000 + "a = 1",
        "CASEI(" * 5000 + "a" + ")" * 5000 + " = 'x'",
    ):
        with pytest.raises(InvalidParameter, match="nested"):
            parse_text(too_deep)


def test_length_is_bounded() -> None:
    with pytest.raises(InvalidParameter, match="longer"):
        parse_text("a = '" + "x" * MAX_TEXT_LENGTH + "'")


def test_long_in_lists_and_polygons_within_bounds_parse() -> None:
    options = ", ".join(f"'id-{n}'" for n in range(2000))
    tree = parse_text(f"id IN ({options})")
    assert isinstance(tree, In) and len(tree.options) == 2000
    ring = ", ".join(f"{n / 1000} {(n * 7 % 1000) / 1000}" for n in range(3000))
    polygon = parse_text(f"S_INTERSECTS(geometry, LINESTRING({ring}))")
    assert isinstance(polygon, Spatial) and isinstance(polygon.right, Geometry)
    assert shapely.get_num_coordinates(polygon.right.shape) == 3000


# -- parse(): filter + filter-lang as requests give them ------------------------------------------


def test_get_defaults_to_text_and_post_to_json() -> None:
    expected = Compare("=", Property("id"), "x")
    assert parse("id = 'x'", None) == expected
    assert parse({"op": "=", "args": [{"property": "id"}, "x"]}, None) == expected
    assert parse('{"op": "=", "args": [{"property": "id"}, "x"]}', "cql2-json") == expected
    assert parse("id = 'x'", "CQL2-TEXT") == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_filter(value: str | None) -> None:
    assert parse(value, None) is None
    assert parse(value, "cql2-json") is None


@pytest.mark.parametrize("lang", ["cql", "cql-json", "sql", "json"])
def test_unknown_language_names_filter_lang(lang: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse("id = 'x'", lang)
    assert caught.value.parameter == "filter-lang"


@pytest.mark.parametrize(
    ("value", "lang"),
    [
        ("{not json", "cql2-json"),
        ("id = 'x'", "cql2-json"),
        ({"op": "=", "args": [{"property": "id"}, "x"]}, "cql2-text"),
        ("[1, 2]", "cql2-json"),
    ],
)
def test_language_and_value_must_agree(value: str | dict[str, object], lang: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse(value, lang)
    assert caught.value.parameter == "filter"


def test_json_as_a_string_and_as_an_object_agree() -> None:
    body = {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [0, 0, 1, 1]}]}
    assert parse_json(body) == parse(
        '{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[0,0,1,1]}]}', "cql2-json"
    )
