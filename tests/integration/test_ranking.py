"""Free-text ranking over the sample: prefixes ranked like words, and items found by the words
of their collection (below direct matches), on a real tantivy index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import tantivy

from index_builder.build import build
from index_builder.sample import THEMES, write_sample
from stacsift import relevance, window
from stacsift.index import schema
from stacsift.index.documents import parse_datetime, to_document
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query import cql2, freetext, translate
from stacsift.query.freetext import Word
from stacsift.query.params import SearchRequest
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import Bucket, open_bucket
from stacsift.update import Changes, apply_changes
from tests.support.paging import pages, recorded

TITLED_FOREST = {"forest.coniferous.glad_30m", "forest.osm"}  # "forest" in their titles
CROPLAND = "cropland.annual_10m"  # "forestry" in its description only


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Bucket, Path]:
    work = tmp_path_factory.mktemp("ranking")
    bucket = open_bucket(str(work / "root"), StoreSettings(), create=True)
    build([str(write_sample(work / "sample"))], bucket, work_dir=work)
    return bucket, work


def current(sample_root: tuple[Bucket, Path]) -> OpenIndex:
    bucket, work = sample_root
    return IndexReader(bucket, work / "cache", ttl_seconds=0).current()


def items_of(*collections: str) -> int:
    return sum(len(t.years) for t in THEMES if t.id in collections)


def test_prefix_ranks_title_matches_above_description_matches(
    sample_root: tuple[Bucket, Path],
) -> None:
    page = search_items(current(sample_root), SearchRequest(q="Forest*"), kind="collection")
    ids = [hit.obj["id"] for hit in page.hits]
    assert set(ids[:2]) == TITLED_FOREST
    assert ids[2:] == [CROPLAND]


def test_items_are_found_by_their_collection_words(sample_root: tuple[Bucket, Path]) -> None:
    page = search_items(current(sample_root), SearchRequest(q="woodland", limit=100))
    assert {hit.obj["collection"] for hit in page.hits} == {"forest.osm"}
    assert page.matched == items_of("forest.osm")


def test_collection_matches_rank_below_direct_matches(sample_root: tuple[Bucket, Path]) -> None:
    page = search_items(current(sample_root), SearchRequest(q="Forest*", limit=100))
    collections = [hit.obj["collection"] for hit in page.hits]
    direct = items_of(*TITLED_FOREST)  # their items have "Forest" in their own titles
    assert set(collections[:direct]) == TITLED_FOREST
    assert collections[direct:] == [CROPLAND] * items_of(CROPLAND)


def test_a_changed_collection_finds_its_items_without_reindexing_them(
    sample_root: tuple[Bucket, Path], tmp_path: Path
) -> None:
    bucket, work = sample_root
    coll_path = work / "sample" / "water.surface_occurrence" / "collection.json"
    collection = orjson.loads(coll_path.read_bytes())
    collection["keywords"].append("limnology")
    before = search_items(current(sample_root), SearchRequest(q="limnology"))
    apply_changes(bucket, Changes([to_document(collection, coll_path.as_uri())]), tmp_path)
    after = search_items(current(sample_root), SearchRequest(q="limnology", limit=100))
    assert before.matched == 0
    assert {hit.obj["collection"] for hit in after.hits} == {"water.surface_occurrence"}
    assert after.matched == items_of("water.surface_occurrence")


@pytest.mark.parametrize(
    ("q", "direct"),
    [
        ("forest", True),
        ("woodland", False),  # in collection keywords only: the full ranking answers
        ("forest OR water", True),
        ('"coniferous forest"', True),
        ("land", False),  # in collection texts only
        ("Fores*", True),
        ("conif* OR water", True),
        ("woodl*", False),
        ("coniferous-fore*", True),  # a phrase prefix
        ("*", True),  # every item, each scored 1
    ],
)
def test_pages_of_direct_matches_equal_the_full_ranking(
    sample_root: tuple[Bucket, Path], monkeypatch: pytest.MonkeyPatch, q: str, direct: bool
) -> None:
    _assert_direct_pages_equal_the_full_ranking(
        current(sample_root), SearchRequest(q=q, limit=3), monkeypatch, direct
    )


@pytest.mark.parametrize(
    "filters",
    [
        {"collections": ("forest.osm", CROPLAND, "water.surface_occurrence")},
        {"bbox": (0.0, 40.0, 20.0, 60.0)},
        {"datetime": (parse_datetime("2019-06-01T00:00:00Z"), None)},
        {"filter": cql2.parse("gsd <= 30", None)},
    ],
)
@pytest.mark.parametrize(("q", "direct"), [("forest OR water", True), ("fores*", True)])
def test_filtered_pages_of_direct_matches_equal_the_full_ranking(
    sample_root: tuple[Bucket, Path],
    monkeypatch: pytest.MonkeyPatch,
    q: str,
    direct: bool,
    filters: dict[str, Any],
) -> None:
    request = SearchRequest(q=q, limit=3, **filters)
    _assert_direct_pages_equal_the_full_ranking(current(sample_root), request, monkeypatch, direct)


@pytest.mark.parametrize(
    "filters",
    [
        {"collections": ("forest.osm", CROPLAND)},
        {
            "collections": ("forest.osm", CROPLAND),
            "datetime": (parse_datetime("2020-01-01T00:00:00Z"), None),
        },
    ],
)
def test_direct_matches_answer_every_page_when_no_kept_collection_matches_the_words(
    sample_root: tuple[Bucket, Path], monkeypatch: pytest.MonkeyPatch, filters: dict[str, Any]
) -> None:
    # GIVEN words in the items' titles (their years) but not in their collections' texts,
    # searched in those collections, paged through to the end by the full ranking
    index = current(sample_root)
    request = SearchRequest(q="2019 OR 2020 OR 2021 OR 2022 OR 2023", limit=3, **filters)
    monkeypatch.setattr(relevance, "disjunction", lambda _: None)
    full = _ranked_pages(index, request, 10_000)
    monkeypatch.undo()
    # WHEN the index counts as big
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    answered = recorded(monkeypatch, relevance, "filtered_page")
    paged = _ranked_pages(index, request, 10_000)
    limited = _ranked_pages(index, request, 2)
    # THEN the direct matches answered every page, the last (short) one too, with the same
    # results as the full ranking, and counted them exactly past the count limit
    assert paged == limited == full
    assert answered and all(answered) and len(answered) == 2 * len(full)
    assert len(full[-1][0]) < 3 and full[0][1] == (sum(len(ids) for ids, _ in full), False)


def _assert_direct_pages_equal_the_full_ranking(
    index: OpenIndex, request: SearchRequest, monkeypatch: pytest.MonkeyPatch, direct: bool
) -> None:
    # GIVEN a text search paged through to its end by the full ranking (collection words too)
    monkeypatch.setattr(relevance, "disjunction", lambda _: None)
    full = _ranked_pages(index, request, 10_000)
    monkeypatch.undo()
    # WHEN the index counts as big, so that pages come from direct matches while they fill them
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    answered = recorded(monkeypatch, relevance, "direct_page")
    recorded(monkeypatch, relevance, "filtered_page", answered)
    paged = _ranked_pages(index, request, 10_000)
    limited = _ranked_pages(index, request, 2)
    # THEN the pages are the same, in the same order, and so are the counts up to the limit
    assert [ids for ids, _ in paged] == [ids for ids, _ in limited] == [i for i, _ in full]
    assert [count for _, count in paged] == [count for _, count in full]
    exact = [count for _, count in full]
    assert all(c in ((2, True), e) for (_, c), e in zip(limited, exact, strict=True))
    assert (full[0][1][0] or 0) > 3 and (True in answered) == direct


def _ranked_pages(
    index: OpenIndex, request: SearchRequest, count_limit: int
) -> list[tuple[list[str], tuple[int | None, bool]]]:
    return [
        ([hit.obj["id"] for hit in page.hits], (page.matched, page.at_least))
        for page in pages(index, request, count_limit)
    ]


@pytest.mark.parametrize("listed", [64, 1])
@pytest.mark.parametrize("prefix", ["fores", "con", "w", "zzz", "coniferous-fo"])
def test_a_prefix_matches_what_its_regex_matches(
    sample_root: tuple[Bucket, Path], monkeypatch: pytest.MonkeyPatch, prefix: str, listed: int
) -> None:
    # GIVEN a prefix's words listed up to a limit (past it, the regex answers)
    monkeypatch.setattr(translate, "MAX_PREFIX_TERMS", listed)
    index = current(sample_root)
    searcher = index.searcher()
    with schema.layout(index.manifest.format_version):
        # WHEN its ranked query and its unranked matches are searched
        queries = [
            translate.text_query(Word(prefix, prefix=True), searcher),
            translate.matches_of(Word(prefix, prefix=True), searcher),
        ]
        found = [_addresses(searcher, query) for query in queries]
        # THEN both find exactly what the regex on the unstemmed words finds
        regex = _addresses(searcher, translate.text_query(Word(prefix, prefix=True)))
    assert found == [regex, regex]


def _addresses(searcher: tantivy.Searcher, query: tantivy.Query) -> set[tuple[int, int]]:
    hits = searcher.search(query, limit=100_000).hits
    return {(address.segment_ord, address.doc) for _, address in hits}


@pytest.mark.parametrize(
    ("q", "exact"),
    [("forest", True), ("forest OR water", False), ("fores*", False), ("-forest", False)],
)
def test_postings_bound_the_direct_matches(
    sample_root: tuple[Bucket, Path], q: str, exact: bool
) -> None:
    # GIVEN the index's direct matches of some words
    index = current(sample_root)
    searcher = index.searcher()
    node = freetext.parse(q)
    assert node is not None
    with schema.layout(index.manifest.format_version):
        query = translate.text_query(node, searcher)
        matches = window.count_of(searcher.search(query, limit=1, count=True))
        # WHEN they are estimated from the terms' document frequencies
        expected = translate.postings(node, searcher)
    # THEN a word's is its count, and a disjunction's, a prefix's or a negation's bounds it
    assert matches > 0
    assert expected == matches if exact else expected >= matches
