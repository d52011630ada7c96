"""Browsing the API as STAC Browser and pystac-client do: landing words, conformance that
tells what works, queryables from what is indexed, and the catalog tree (children extension)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from http.server import ThreadingHTTPServer
from threading import Thread
from typing import Any

import orjson
import pytest
from pystac_client import Client, ItemSearch

from functions.gateway import make_server
from functions.search import make_handler
from index_builder.build import build
from index_builder.sample import THEMES, write_sample
from stacsift.settings import SearchSettings, StoreSettings
from stacsift.store import open_bucket
from tests.conftest import FIXTURES
from tests.http import get, ids

CASE_1 = FIXTURES / "catalogs/pystac-test-case-1/catalog.json"
CASE_4 = FIXTURES / "catalogs/pystac-test-case-4/catalog.json"
Serve = Callable[..., str]


@pytest.fixture(scope="module")
def serve_built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Factory: build SOURCES into a fresh root and serve it in-process (settings optional)."""
    servers: list[ThreadingHTTPServer] = []

    def start(sources: list[str], **settings: Any) -> str:
        work = tmp_path_factory.mktemp("browse")
        build(sources, open_bucket(str(work / "root"), StoreSettings(), create=True), work)
        config = replace(
            SearchSettings(root=str(work / "root"), cache_dir=work / "cache"), **settings
        )
        server = make_server(make_handler(config), "127.0.0.1", 0)
        Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def sample_url(serve_built: Serve, tmp_path_factory: pytest.TempPathFactory) -> str:
    catalog = write_sample(tmp_path_factory.mktemp("sample") / "sample")
    return serve_built([str(catalog), str(CASE_4)])


def test_landing_page_has_the_root_catalog_words(serve_built: Serve) -> None:
    url = serve_built([str(CASE_1)])
    _, landing = get(f"{url}/")
    root = orjson.loads(CASE_1.read_bytes())
    assert (landing["id"], landing["title"], landing["description"]) == (
        "test",
        "test",
        root["description"],
    )


def test_landing_page_words_from_settings(serve_built: Serve) -> None:
    url = serve_built([str(CASE_1)], title="Land cover", description="Our layers")
    _, landing = get(f"{url}/")
    assert (landing["title"], landing["description"]) == ("Land cover", "Our layers")


def test_catalog_tree_is_browsable_with_pystac_client(serve_built: Serve) -> None:
    url = serve_built([str(CASE_1)])
    client = Client.open(f"{url}/")
    countries = list(client.get_children())
    assert sorted(c.id for c in countries) == ["country-1", "country-2"]
    areas = {a.id for country in countries for a in country.get_children()}
    assert areas == {"area-1-1", "area-1-2", "area-2-1", "area-2-2"}
    _, children = get(f"{url}/children")
    assert [c["id"] for c in children["children"]] == ["country-1", "country-2"]
    _, below = get(f"{url}/catalogs/country-2/children")
    assert [c["id"] for c in below["children"]] == ["area-2-1", "area-2-2"]
    assert get(f"{url}/catalogs/nope")[0] == 404


def test_catalogs_are_not_search_results(serve_built: Serve) -> None:
    url = serve_built([str(CASE_1)])
    _, found = get(f"{url}/search?q=country&limit=100")
    assert all(f["type"] == "Feature" for f in found["features"])
    _, collections = get(f"{url}/collections")
    assert len(collections["collections"]) == 4


def test_conformance_offers_free_text_and_sort_inside_collections(sample_url: str) -> None:
    _, conformance = get(f"{sample_url}/conformance")
    classes = set(conformance["conformsTo"])
    assert "https://api.stacspec.org/v1.0.0-rc.1/ogcapi-features#free-text" in classes
    assert "https://api.stacspec.org/v1.0.0/ogcapi-features#sort" in classes
    items = f"{sample_url}/collections/forest.coniferous.glad_30m/items"
    _, found = get(f"{items}?q=2005&limit=50")
    assert ids(found) == ["forest.coniferous.glad_30m_2005"]
    _, ordered = get(f"{items}?sortby=-start_datetime&limit=3")
    assert ids(ordered) == [f"forest.coniferous.glad_30m_{y}" for y in (2020, 2019, 2018)]


def test_queryables_come_from_what_is_indexed(sample_url: str) -> None:
    status, whole = get(f"{sample_url}/queryables")
    assert status == 200
    assert "$ref" not in orjson.dumps(whole).decode()  # nothing to fetch, offline browsers too
    properties = whole["properties"]
    assert {"title", "license", "label:type", "gsd", "platform", "geometry"} <= set(properties)
    assert "eo:cloud_cover" not in properties  # no item has it
    assert properties["platform"]["enum"] == ["landsat", "sentinel-2"]
    gsds = [t.gsd for t in THEMES]
    assert (properties["gsd"]["minimum"], properties["gsd"]["maximum"]) == (min(gsds), max(gsds))
    _, osm = get(f"{sample_url}/collections/forest.osm/queryables")
    assert "platform" not in osm["properties"]  # forest.osm's items have none
    assert osm["properties"]["gsd"] == {"type": "number", "minimum": 10.0, "maximum": 10.0}
    assert get(f"{sample_url}/collections/nope/queryables")[0] == 404


def test_filters_accept_what_queryables_list(sample_url: str) -> None:
    _, found = get(f"{sample_url}/search?filter=license%3D%27ODbL-1.0%27&limit=100")
    assert found["features"]
    assert {f["properties"]["license"] for f in found["features"]} == {"ODbL-1.0"}


def test_self_link_of_a_collection_search_keeps_q(sample_url: str) -> None:
    _, found = get(f"{sample_url}/collections?q=Forest*")
    self_href = next(lk["href"] for lk in found["links"] if lk["rel"] == "self")
    assert "q=Forest%2A" in self_href or "q=Forest*" in self_href


def test_pystac_client_searches_words_through_the_search_url(sample_url: str) -> None:
    # pystac-client's Client.search has no q: the free text goes in the search URL (GET)
    search = ItemSearch(f"{sample_url}/search?q=woodland", method="GET", datetime="2020/2021")
    found = sorted(item.id for item in search.items())
    assert found == ["forest.osm_2020", "forest.osm_2021"]
