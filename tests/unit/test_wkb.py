"""The Python WKB writer: shapely's bytes for plain geometries, None for anything else."""

from __future__ import annotations

from typing import Any

import orjson
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from stacsift.wkb import to_wkb
from tests.conftest import FIXTURES


def shapely_wkb(geometry: Any) -> bytes | None:
    parsed = shapely.from_geojson([orjson.dumps(geometry)], on_invalid="ignore")[0]
    return None if parsed is None else bytes(shapely.to_wkb(parsed, flavor="iso"))


numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64), st.integers(-1000, 1000)
)


@st.composite
def geometries(draw: st.DrawFn) -> dict[str, Any]:
    """Plain geometries in 2D or 3D, sometimes broken: open rings, short lines, bad values."""
    dim = draw(st.sampled_from([2, 3]))
    odd: st.SearchStrategy[Any] = st.one_of(
        st.just(None), st.just(True), st.just("1"), st.just([]), numbers
    )

    def position() -> list[Any]:
        values: list[Any] = draw(st.lists(numbers, min_size=dim, max_size=dim))
        if draw(st.integers(0, 30)) == 0:  # now and then a broken position
            values = [*values[:-1], draw(odd)] if draw(st.booleans()) else values[:-1]
        return values

    def line(least: int) -> list[Any]:
        return [position() for _ in range(draw(st.integers(least, 6)))]

    def ring() -> list[Any]:
        points = line(3)
        return [*points, points[0]] if draw(st.integers(0, 10)) else points

    def polygon() -> list[Any]:
        return [ring() for _ in range(draw(st.integers(1, 3)))]

    kind = draw(st.sampled_from(["Point", "LineString", "Polygon", "Multi"]))
    if kind == "Point":
        return {"type": "Point", "coordinates": position()}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": line(1)}
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": polygon()}
    parts = st.integers(0, 3)
    multi = draw(st.sampled_from(["MultiPoint", "MultiLineString", "MultiPolygon"]))
    make = {"MultiPoint": position, "MultiLineString": lambda: line(1), "MultiPolygon": polygon}
    return {"type": multi, "coordinates": [make[multi]() for _ in range(draw(parts))]}


@settings(max_examples=400, deadline=None)
@given(geometries())
def test_plain_geometries_give_shapelys_bytes_and_others_fall_back(geometry: Any) -> None:
    # GIVEN a GeoJSON geometry, WHEN written here, THEN it is shapely's WKB or left to shapely
    written = to_wkb(geometry)
    assert written is None or written == shapely_wkb(geometry)


def test_fixture_item_geometries_are_written_here_as_shapely_would() -> None:
    lines = (FIXTURES / "items/planetary-computer-naip/naip-items.ndjson").read_bytes()
    geometries = [orjson.loads(x)["geometry"] for x in lines.splitlines() if x]
    assert all(to_wkb(g) == shapely_wkb(g) for g in geometries)


def test_unusual_geometries_are_left_to_shapely() -> None:
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    for geometry in [
        None,
        {"type": "GeometryCollection", "geometries": []},
        {"type": "Point", "coordinates": []},
        {"type": "Point", "coordinates": [1, 2, 3, 4]},
        {"type": "Polygon", "coordinates": [square[:-1]]},  # open ring
        {"type": "LineString", "coordinates": [[0, 0, 1], [1, 1]]},  # mixed dimensions
        {"type": "MultiPolygon", "coordinates": [[square], []]},
    ]:
        assert to_wkb(geometry) is None, geometry
