"""The current GeoParquet table, read as it is by pyarrow, GeoPandas, DuckDB and polars.

Parts of different collections have different columns (the sample's forest.osm has no
``platform``, esa-cci-lc has classification assets), as in any real catalog.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import duckdb
import geopandas as gpd
import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from index_builder.build import build
from index_builder.sample import THEMES, write_sample
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.conftest import FIXTURES

ESA = FIXTURES / "catalogs/esa-cci-lc/catalog.json"


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The parts the manifest lists, as the README's recipe reads them."""
    work = tmp_path_factory.mktemp("table")
    catalog = write_sample(work / "sample")
    bucket = open_bucket(str(work / "root"), StoreSettings(), create=True)
    build([str(catalog), str(ESA)], bucket, work_dir=work)
    manifest = orjson.loads((work / "root/index/manifest.json").read_bytes())
    return [str(work / "root" / p["key"]) for p in manifest["table_parts"]]


def expected_rows() -> int:
    return sum(len(theme.years) for theme in THEMES) + 2  # and esa-cci-lc's two items


def test_parts_sit_in_plain_collection_folders(parts: list[str]) -> None:
    assert all("=" not in Path(p).parent.name for p in parts)
    assert {Path(p).parent.name for p in parts} >= {"forest.osm", "esa-cci-lc"}


def test_pyarrow_reads_the_parts(parts: list[str]) -> None:
    assert pq.read_table(parts).num_rows == expected_rows()
    every = pa.concat_tables([pq.read_table(p) for p in parts], promote_options="permissive")
    assert {"platform", "collection", "assets", "geometry"} <= set(every.column_names)
    assert set(every["collection"].to_pylist()) >= {"forest.osm", "esa-cci-lc"}


def test_geopandas_reads_the_parts(parts: list[str]) -> None:
    frame = gpd.read_parquet(parts)
    assert len(frame) == expected_rows()
    assert frame.geometry.name == "geometry"
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    assert set(frame["collection"]) >= {"forest.osm", "esa-cci-lc"}


def test_duckdb_reads_the_parts(parts: list[str]) -> None:
    [(rows, platforms)] = duckdb.execute(
        "SELECT count(*), count(DISTINCT platform) FROM read_parquet(?, union_by_name=true)",
        [parts],
    ).fetchall()
    assert rows == expected_rows()
    assert platforms == 2  # landsat and sentinel-2


def test_polars_reads_the_parts(parts: list[str]) -> None:
    frame = pl.concat([pl.read_parquet(p) for p in parts], how="diagonal_relaxed")
    assert frame.height == expected_rows()
    assert set(frame["collection"]) >= {"forest.osm", "esa-cci-lc"}


def test_rows_have_absolute_asset_hrefs(parts: list[str]) -> None:
    esa = pq.read_table(next(p for p in parts if "/esa-cci-lc/" in p)).to_pylist()
    cog_item = next(row for row in esa if row["assets"].get("lccs_class"))
    href = cog_item["assets"]["lccs_class"]["href"]
    assert href.startswith("file:///")
    assert Path(unquote(href.removeprefix("file://"))).is_file()
