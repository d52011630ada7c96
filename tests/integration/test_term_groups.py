"""Pages ordered by a text property (stacsift.term_groups) or a number (stacsift.value_groups)
on a real index: values in order (in bytes for text; items lacking one last), each value's
items newest first, every match once, counted exactly; the same pages whether time windows or
tantivy's sort find a value's items, and (text) whether the generation's first values hold
the page or the request's matches are counted."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from stacsift import window
from stacsift.index import stats
from stacsift.index.documents import item_interval, parse_datetime
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query import cql2
from stacsift.query.params import SearchRequest, SortKey
from stacsift.search import search_items
from stacsift.store import Bucket
from tests.integration.test_value_windows import _build
from tests.support.paging import pages


@pytest.fixture(scope="module")
def spread(tmp_path_factory: pytest.TempPathFactory) -> Bucket:
    """Items over two years (some lasting months), every fifth without a platform."""
    work: Path = tmp_path_factory.mktemp("term-groups")
    return _build(work, spans=True)


FILTERS: list[dict[str, Any]] = [
    {},
    {"collections": ("arctic", "pacific")},
    {"datetime": (parse_datetime("2020-06-01T00:00:00Z"), None)},
    {"filter": cql2.parse("eo:cloud_cover < 50", "cql2-text")},
    {"bbox": (-10.0, -10.0, 10.0, 10.0)},
    {"q": "ocean"},
]
Keyed = list[list[tuple[str, str | None, int]]]  # per page: (id, value, start) of each result


def _keyed(index: OpenIndex, request: SearchRequest, name: str) -> tuple[Keyed, int | None]:
    """Every page of the request: its results' ids, sort values and starts; and its count."""
    paged = list(pages(index, request))
    keyed = [
        [(o["id"], o.get(name) or o["properties"].get(name), _start(o)) for o in page.features]
        for page in paged
    ]
    return keyed, paged[0].matched


def _start(obj: dict[str, Any]) -> int:
    return item_interval(obj["properties"])[0]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
@pytest.mark.parametrize("name", ["platform", "collection", "gsd", "eo:cloud_cover"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("listed", [64, 2])
def test_sorts_page_each_value_newest_first(
    spread: Bucket,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    filters: dict[str, Any],
    name: str,
    descending: bool,
    listed: int,
) -> None:
    # GIVEN a sort by a text property or a number, with a filter or none (text: the
    # generation's first values listed up to 64 or 2, later pages are beyond those)
    monkeypatch.setattr(stats, "FIRST_TERMS", listed)
    request = SearchRequest(sortby=(SortKey(name, descending),), limit=7, **filters)
    # WHEN it is paged to its end on an index counted as small (tantivy sorts each value's
    # items by time) and as big (time windows find them)
    found = []
    for objects in (10**9, 1):
        monkeypatch.setattr(window, "MIN_OBJECTS", objects)
        found.append(
            _keyed(IndexReader(spread, tmp_path / f"cache-{objects}").current(), request, name)
        )
    # THEN the pages are the same
    assert found[0] == found[1]
    keyed, matched = found[0]
    results = [result for page in keyed for result in page]
    # AND they hold every match once, as counted
    everything = search_items(
        IndexReader(spread, tmp_path / "cache").current(), SearchRequest(limit=1000, **filters)
    )
    assert sorted(i for i, _, _ in results) == sorted(f["id"] for f in everything.features)
    assert matched == len(results) == everything.matched
    assert results
    # AND in order: by value (in either direction; without one last), then newest first
    for (_, value, start), (_, later, later_start) in pairwise(results):
        if value is None or later is None:
            assert later is None
            if value is None:
                assert start >= later_start
        elif value == later:
            assert start >= later_start
        else:
            assert (value > later) if descending else (value < later)
