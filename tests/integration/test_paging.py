"""Paging through the API: next links visit every match once in order, tokens continue on the
generation they were made on, and crafted tokens are refused with a 4xx, never a crash."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest

from stacsift.errors import GenerationGone
from stacsift.index.documents import to_document
from stacsift.index.publish import history_key
from stacsift.index.reader import IndexReader
from stacsift.query.params import SearchRequest
from stacsift.search import search_items
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from stacsift.update import Changes, apply_changes
from tests.conftest import FIXTURES
from tests.http import get, ids, request
from tests.integration.naip_api import Served, serve_naip

NAIP = FIXTURES / "items/planetary-computer-naip"


@pytest.fixture(scope="module")
def naip(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve_naip(fixtures, tmp_path_factory.mktemp("naip-paging"))


def _walk(url: str) -> list[dict[str, Any]]:
    """Every feature reached by following next links from ``url``."""
    features: list[dict[str, Any]] = []
    while url:
        status, page = get(url)
        assert status == 200, page
        features += page["features"]
        url = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), "")
    return features


@pytest.mark.parametrize(
    "query",
    [
        "",  # newest first
        "sortby=-gsd",  # three values over 1,000 items: long runs of equal keys
        "sortby=%2Bgsd",
        "sortby=eo:cloud_cover",  # no NAIP item has it: every key is missing
        "sortby=id",
        "q=pennsylvania",  # relevance
        "bbox=-80,39,-75,42&sortby=datetime",
    ],
)
def test_next_links_visit_every_match_once_in_order(naip: Served, query: str) -> None:
    # GIVEN the whole result in one page
    _, whole = get(f"{naip.url}/search?limit=1000&{query}")
    # WHEN following next links seven at a time
    walked = _walk(f"{naip.url}/search?limit=7&{query}")
    # THEN the pages together are the same result, in the same order of the sort key
    assert len(walked) == whole["numberMatched"] == len(whole["features"])
    assert len({f["id"] for f in walked}) == len(walked)
    key = query.partition("sortby=")[2].lstrip("-").replace("%2B", "").split("&")[0]
    if key in ("gsd", "datetime", "id"):
        assert [_key(f, key) for f in walked] == [_key(f, key) for f in whole["features"]]
    else:
        assert {f["id"] for f in walked} == set(ids(whole))


def _key(feature: dict[str, Any], key: str) -> Any:
    return feature["id"] if key == "id" else feature["properties"][key]


def test_tokens_of_the_issue_are_a_400_and_the_server_lives(naip: Served) -> None:
    for raw in [
        b'{"g":1,"o":1000000000}',
        b'{"g":1,"o":10000000000000000000000000000000000000000}',
    ]:
        token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        status, body = get(f"{naip.url}/search?token={token}")
        assert status == 400 and body["description"].startswith("token:")
    status, _, posted = request(f"{naip.url}/search", "POST", b'{"token": "x.y", "limit": 1}')
    assert status == 400 and posted["description"].startswith("token:")
    assert get(f"{naip.url}/search?limit=1")[0] == 200


def test_a_token_continues_only_its_own_search(naip: Served) -> None:
    _, first = get(f"{naip.url}/search?limit=5&sortby=-gsd")
    href = next(lk["href"] for lk in first["links"] if lk["rel"] == "next")
    token = href.partition("token=")[2]
    status, body = get(f"{naip.url}/search?limit=5&sortby=datetime&token={token}")
    assert status == 400 and body["description"].startswith("token:")
    # the page size is not part of the search: a client may change it between pages
    assert get(f"{naip.url}/search?limit=50&sortby=-gsd&token={token}")[0] == 200


def test_pages_stay_on_their_generation_while_it_is_kept(tmp_path: Path) -> None:
    # GIVEN generation 1 of the NAIP items, and the first page of a search on it
    collection = orjson.loads((NAIP / "naip-collection.json").read_bytes())
    items = [orjson.loads(x) for x in (NAIP / "naip-items.ndjson").read_bytes().splitlines() if x]
    bucket = open_bucket(str(tmp_path / "root"), StoreSettings(), create=True)
    apply_changes(
        bucket, Changes([to_document(o) for o in [collection, *items]], replace=True), tmp_path
    )
    reader = IndexReader(bucket, tmp_path / "cache", ttl_seconds=0)
    request_ = SearchRequest(limit=10)
    first = search_items(reader.current(), request_)
    whole = search_items(reader.current(), replace(request_, limit=20)).features
    token = first.next_token()
    assert token is not None and token.generation == first.generation
    # WHEN generation 2 deletes the first 300 items before the next page is asked for
    deleted = [to_document(i).key for i in items[:300]]
    apply_changes(bucket, Changes(deletes=deleted), tmp_path)
    assert reader.current().manifest.generation == first.generation + 1
    # THEN the next page continues on generation 1, exactly where the first page ended
    second = search_items(reader.generation(token.generation), replace(request_, token=token))
    assert [f["id"] for f in first.features + second.features] == [f["id"] for f in whole]
    # AND once generation 1 is no longer kept, its tokens are refused as gone
    bucket.delete(history_key(first.generation))
    fresh = IndexReader(bucket, tmp_path / "cache-2", ttl_seconds=0)
    with pytest.raises(GenerationGone):
        fresh.generation(token.generation)


def test_a_gone_generation_is_a_410(naip: Served) -> None:
    _, first = get(f"{naip.url}/search?limit=5")
    href = next(lk["href"] for lk in first["links"] if lk["rel"] == "next")
    body = {"limit": 5, "collections": ["naip"]}
    _, _, posted = request(f"{naip.url}/search", "POST", orjson.dumps(body))
    assert get(href)[0] == 200 and posted["links"]
    # a token made on a generation this root never had (made with the deployment's own key)
    from stacsift.query import tokens

    forged = tokens.encode(
        replace(_token_of(href, naip.settings.signing_key), generation=999),
        naip.settings.signing_key,
    )
    status, gone = get(f"{naip.url}/search?limit=5&token={quote(forged)}")
    assert status == 410 and gone["description"].startswith("token:")


def _token_of(href: str, key: bytes) -> Any:
    from urllib.parse import parse_qs, urlsplit

    from stacsift.query import tokens

    return tokens.decode(parse_qs(urlsplit(href).query)["token"][0], key)
