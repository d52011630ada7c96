"""CQL2 pushdown is exact: the index's answer equals the evaluator's on every item.

Items: the 1,000 NAIP items and purpose-made ones whose properties take every shape the
pushdown must get right (numbers, numeric strings, nulls, missing, booleans, long strings,
arrays). Random filters over them (hypothesis) are answered through the index and compared
with :func:`stacsift.query.cql2.evaluate` applied to every item.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import tantivy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tantivy import Occur, Query

from index_builder.build import build_objects
from index_builder.crawl import Crawled, CrawlReport
from stacsift.index import schema as f
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query import cql2, pushdown
from stacsift.query.params import SearchRequest
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from tests.conftest import FIXTURES

NAIP = FIXTURES / "items/planetary-computer-naip"
PLATFORMS = ["sentinel-2a", "sentinel-2b", "landsat-8", "Landsat-9", "x" * 300]


def made(number: int) -> dict[str, Any]:
    props: dict[str, Any] = {"datetime": f"2020-01-{number % 28 + 1:02d}T00:00:00Z"}
    shapes: list[dict[str, Any]] = [
        {"gsd": 10 * (number % 4), "platform": PLATFORMS[number % 5]},
        {"gsd": "10", "platform": None, "eo:cloud_cover": number % 101},
        {"eo:cloud_cover": None, "platform": ["sentinel-2a"], "flag": number % 2 == 0},
        {"gsd": 0.5 * number, "view:off_nadir": number % 30, "flag": "true"},
        {"platform": number, "eo:cloud_cover": 12.5},
    ]
    props.update(shapes[number % len(shapes)])
    west, south = -100 + (number % 50), 30 + (number % 10)
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"made-{number:04d}",
        "collection": "made" if number % 11 else "naip",
        "bbox": [west, south, west + 0.5, south + 0.5],
        "geometry": {"type": "Point", "coordinates": [west + 0.25, south + 0.25]},
        "properties": props,
        "links": [],
        "assets": {},
    }


class Items(list[dict[str, Any]]):
    """The test's items (a short repr for hypothesis' reports)."""

    def __repr__(self) -> str:
        return f"<{len(self)} items>"


@pytest.fixture(scope="module")
def items() -> Items:
    naip = [orjson.loads(x) for x in (NAIP / "naip-items.ndjson").read_bytes().splitlines() if x]
    return Items(naip + [made(n) for n in range(400)])


@pytest.fixture(scope="module")
def index(items: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> OpenIndex:
    work = tmp_path_factory.mktemp("pushdown")
    collection = orjson.loads((NAIP / "naip-collection.json").read_bytes())
    objects = [Crawled("Collection", "memory:c", collection)]
    objects += [Crawled("Item", f"memory:{i['id']}", i) for i in items]
    bucket = open_bucket(str(work / "root"), StoreSettings(), create=True)
    build_objects(objects, ["memory"], bucket, CrawlReport(), work)
    return IndexReader(bucket, work / "cache").current()


NUMBER = st.sampled_from([0, 5, 10, 12.5, 20, 30, 50, 100, -1])
OP = st.sampled_from(["=", "<>", "<", "<=", ">", ">="])
TEXT = st.sampled_from(["sentinel-2a", "landsat-8", "Landsat-9", "x" * 300, "pa", "naip"])
LEAVES = st.one_of(
    st.builds(
        "{} {} {}".format, st.sampled_from(["gsd", "eo:cloud_cover", "view:off_nadir"]), OP, NUMBER
    ),
    st.builds(
        "{} {} '{}'".format,
        st.sampled_from(["platform", "naip:state", "id", "collection"]),
        st.sampled_from(["=", "<>"]),
        TEXT,
    ),
    st.builds("gsd BETWEEN {} AND {}".format, NUMBER, NUMBER),
    st.builds("platform IN ('{}', '{}')".format, TEXT, TEXT),
    st.builds("platform LIKE '{}%'".format, st.sampled_from(["sent", "Land", "x", "l"])),
    st.builds(
        "{} IS NULL".format, st.sampled_from(["platform", "eo:cloud_cover", "gsd", "flag", "id"])
    ),
    st.sampled_from(["flag = TRUE", "flag = FALSE", "TRUE", "FALSE", "id = 'made-0007'"]),
    st.builds(
        "S_INTERSECTS(geometry, BBOX({}, 30, {}, 35))".format,
        st.sampled_from([-100, -80]),
        st.sampled_from([-90, -70]),
    ),
)
FILTERS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.builds("({} AND {})".format, inner, inner),
        st.builds("({} OR {})".format, inner, inner),
        st.builds("NOT ({})".format, inner),
    ),
    max_leaves=5,
)


def expected_ids(items: list[dict[str, Any]], expression: Any) -> set[str]:
    return {i["id"] for i in items if cql2.evaluate(expression, i)}


def pushed_ids(index: OpenIndex, query: Query) -> set[str]:
    searcher = index.searcher()
    items_only = Query.boolean_query(
        [(Occur.Must, query), (Occur.Must, Query.term_query(f.SCHEMA, f.TYPE, "item"))]
    )
    result = searcher.search(items_only, limit=10_000)
    found = (searcher.doc(address).get_first(f.JSON) for _, address in result.hits)
    return {str(orjson.loads(raw)["id"]) for raw in found if isinstance(raw, bytes)}


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=FILTERS)
def test_pushed_filters_are_supersets_and_exact_when_they_say_so(
    index: OpenIndex, items: list[dict[str, Any]], text: str
) -> None:
    expression = cql2.parse(text, "cql2-text")
    assert expression is not None
    expected = expected_ids(items, expression)
    pushed = pushdown.to_query(expression)
    if pushed is not None:
        found = pushed_ids(index, pushed.query)
        assert expected <= found, text
        if pushed.exact:
            assert found == expected, text
    # and the search answers exactly, through the index and the evaluator together
    page = search_items(index, SearchRequest(filter=expression, limit=5000))
    assert {h["id"] for h in page.features} == expected, text


@pytest.mark.parametrize(
    "text",
    [
        "gsd < 20",
        "eo:cloud_cover < 5",
        "platform = 'landsat-8'",
        "naip:state = 'pa' AND gsd <= 0.6",
        "gsd BETWEEN 10 AND 30 OR platform IN ('sentinel-2a', 'sentinel-2b')",
        "NOT (eo:cloud_cover >= 5) AND platform IS NOT NULL",
    ],
)
def test_the_issues_filter_classes_are_answered_by_the_index_alone(text: str) -> None:
    expression = cql2.parse(text, "cql2-text")
    assert expression is not None
    pushed = pushdown.to_query(expression)
    assert pushed is not None and pushed.exact


def test_sortby_any_numeric_queryable(index: OpenIndex, items: list[dict[str, Any]]) -> None:
    from stacsift.query.params import SortKey

    page = search_items(index, SearchRequest(sortby=(SortKey("view:off_nadir", True),), limit=5))
    values = sorted(
        (
            i["properties"]["view:off_nadir"]
            for i in items
            if isinstance(i["properties"].get("view:off_nadir"), int | float)
        ),
        reverse=True,
    )[:5]
    assert [h["properties"]["view:off_nadir"] for h in page.features] == values
    assert isinstance(index.searcher(), tantivy.Searcher)
