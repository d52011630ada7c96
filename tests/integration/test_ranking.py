"""Free-text ranking over the sample: prefixes ranked like words, and items found by the words
of their collection (below direct matches), on a real tantivy index."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from index_builder.build import build
from index_builder.sample import THEMES, write_sample
from stacsift.index.documents import to_document
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query.params import SearchRequest
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import Bucket, open_bucket
from stacsift.update import Changes, apply_changes

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
