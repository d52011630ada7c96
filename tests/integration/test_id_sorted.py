"""Pages sorted by id (stacsift.id_sorted) on a real index: among the generation's first ids
or by tantivy's sort of every match, the same pages, in id order (shared ids in tantivy's
order), every match once, counted."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from index_builder.build import build_objects
from index_builder.crawl import Crawled, CrawlReport
from stacsift import id_sorted
from stacsift.index import reader, stats
from stacsift.index.reader import IndexReader
from stacsift.query import cql2
from stacsift.query.params import SearchRequest, SortKey
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import Bucket, open_bucket
from tests.integration.test_search_semantics import purpose_made
from tests.support.paging import pages, recorded

COLLECTIONS = ("pacific", "arctic", "atlantic")


@pytest.fixture(scope="module")
def shared_ids(tmp_path_factory: pytest.TempPathFactory) -> Bucket:
    """90 items of three collections, over three months; 30 ids are shared by two items of
    different collections, and the ids are not in the order of the items."""
    items: list[dict[str, Any]] = []
    for n in range(90):
        item_id = f"s-{(n * 37) % 60:03d}"  # item n + 60 shares item n's id
        when = f"2020-{n % 3 + 1:02d}-{n % 28 + 1:02d}T00:00:00Z"
        item = purpose_made(item_id, [0.0, 0.0, 1.0, 1.0], when)
        item["collection"] = COLLECTIONS[n // 30]
        item["properties"]["eo:cloud_cover"] = float(n % 10 * 10)
        item["properties"]["title"] = "ocean" if n % 4 == 0 else "land"
        items.append(item)
    work = tmp_path_factory.mktemp("ids")
    objects = [Crawled("Item", f"memory:{item['id']}", item) for item in items]
    bucket = open_bucket(str(work / "root"), StoreSettings(), create=True)
    build_objects(objects, ["memory"], bucket, CrawlReport(), work)
    return bucket


FILTERS: list[dict[str, Any]] = [
    {},
    {"collections": ("arctic",)},
    {"datetime": (1_583_020_800_000_000, None)},  # from 2020-03-01
    {"filter": cql2.parse("eo:cloud_cover < 50", "cql2-text")},
    {"q": "ocean"},
]
LISTED = {"all": 64, "some": 8, "one": 1}  # first ids listed: the page within them, or not


Paged = list[list[tuple[str, str]]]  # per page: each result's id and collection


def _paged(bucket: Bucket, request: SearchRequest, cache: Path) -> tuple[Paged, int | None]:
    """Every page of the request, on a generation opened afresh in ``cache`` (its first ids
    listed anew; the folder is left to pytest: tantivy may still be writing into it)."""
    found = list(pages(IndexReader(bucket, cache).current(), request))
    paged = [[(f["id"], f["collection"]) for f in page.features] for page in found]
    return paged, found[0].matched


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("limit", [4, 7])
def test_id_pages_agree(
    shared_ids: Bucket,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    filters: dict[str, Any],
    descending: bool,
    limit: int,
) -> None:
    # GIVEN a sort by id, with a filter or none
    request = SearchRequest(sortby=(SortKey("id", descending),), limit=limit, **filters)
    # WHEN it is paged to its end with the generation's first ids listed (the pages within
    # them sorted among them), some of them, and one (every page sorted by tantivy)
    found = {}
    for mode, listed in LISTED.items():
        with monkeypatch.context() as patched:
            patched.setattr(stats, "FIRST_TERMS", listed)
            found[mode] = _paged(shared_ids, request, tmp_path / mode)
    # THEN the pages are the same
    assert found["all"] == found["some"] == found["one"]
    paged, matched = found["one"]
    ids = [i for page in paged for i, _ in page]
    # AND they hold every match once (a shared id once per item), as counted, by id
    index = IndexReader(shared_ids, tmp_path / "everything").current()
    everything = search_items(index, SearchRequest(limit=1000, **filters))
    assert sorted(ids) == sorted(f["id"] for f in everything.features)
    assert matched == len(ids) == everything.matched and ids
    assert all((a >= b) if descending else (a <= b) for a, b in pairwise(ids))
    assert len(set(ids)) < len(ids) or filters  # (unfiltered, shared ids are paged)


def test_the_first_ids_answer_first_pages(
    shared_ids: Bucket, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN a sort by id
    answered = recorded(monkeypatch, id_sorted, "_listed")
    # WHEN it is paged past the generation's 64 first ids
    _paged(shared_ids, SearchRequest(sortby=(SortKey("id"),), limit=20), tmp_path)
    # THEN those ids answered the first pages, and tantivy's sort the others: the property
    # above covers both
    assert answered[0] and not answered[-1]


def test_a_generation_keeps_the_last_collections_first_ids(
    shared_ids: Bucket, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN an opened generation that keeps two answers per question
    monkeypatch.setattr(reader, "KEPT", 2)
    index = IndexReader(shared_ids, tmp_path).current()
    # WHEN three collections' first ids are asked for, then the first collection's again
    answers = [index.terms("Item", "id", False, name) for name in COLLECTIONS]
    again = index.terms("Item", "id", False, COLLECTIONS[0])
    # THEN it keeps two lists (of the last collections asked for), and answers alike
    assert len(index._terms) == 2 and again == answers[0]
    assert {key[-1] for key in index._terms} == {COLLECTIONS[0], COLLECTIONS[2]}
    # AND each list is its collection's ids, in order
    for name, answer in zip(COLLECTIONS, answers, strict=True):
        request = SearchRequest(collections=(name,), limit=1000)
        ids = sorted(f["id"] for f in search_items(index, request).features)
        assert [value for value, _ in answer] == sorted(set(ids))[: len(answer)]
