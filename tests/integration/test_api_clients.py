"""Real clients written by others against the API: stac-api-validator, pystac-client, rustac.

GIVEN the 1,000 NAIP items served by the local gateway, WHEN each client searches, THEN it gets
exactly what a direct query of the core returns.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import rustac
from pystac_client import Client
from pystac_client.stac_api_io import StacApiIO

from stacsift.query.params import SearchRequest, parse_bbox, parse_datetime
from stacsift.search import search_items
from tests.conftest import FIXTURES
from tests.integration.naip_api import Served, serve_naip

VALIDATOR = FIXTURES.parent / "tools" / "stac_api_validate_offline.py"
BBOX = [-86.5, 30.8, -85.0, 31.5]
WINDOW = "2019-01-01T00:00:00Z/2021-12-31T23:59:59Z"


@pytest.fixture(scope="module")
def naip(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve_naip(fixtures, tmp_path_factory.mktemp("naip"))


def direct(served: Served, **kwargs: object) -> list[str]:
    request = SearchRequest(limit=10_000, **kwargs)  # type: ignore[arg-type]
    return [str(f["id"]) for f in search_items(served.index, request).features]


def test_stac_api_validator_reports_no_errors(naip: Served) -> None:
    first_item = orjson.loads(
        (FIXTURES / "items/planetary-computer-naip/naip-items.ndjson").read_bytes().split(b"\n")[0]
    )
    west, south, east, north = first_item["bbox"]
    point = {"type": "Point", "coordinates": [(west + east) / 2, (south + north) / 2]}
    conformance = ["core", "collections", "features", "item-search", "filter"]
    result = subprocess.run(
        [
            sys.executable,
            str(VALIDATOR),
            "--root-url",
            f"{naip.url}/",
            "--collection",
            "naip",
            "--geometry",
            orjson.dumps(point).decode(),
            *[arg for c in conformance for arg in ("--conformance", c)],
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = result.stdout + result.stderr
    assert "Errors: none" in report, report[-5000:]
    assert result.returncode == 0
    for validated in (
        "Features",
        "Item Search",
        "Filter Extension - CQL2-Text",
        "Filter Extension - CQL2-JSON",
        "Basic Spatial Operators",
    ):
        assert f"{validated} conformance class" in report


def test_pystac_client_filter(naip: Served) -> None:
    client = Client.open(f"{naip.url}/")
    text = "naip:state = 'al' AND gsd < 0.6"
    as_json = {
        "op": "and",
        "args": [
            {"op": "=", "args": [{"property": "naip:state"}, "al"]},
            {"op": "<", "args": [{"property": "gsd"}, 0.6]},
        ],
    }
    expected = sorted(
        i["id"]
        for i in naip_items()
        if i["properties"].get("naip:state") == "al" and i["properties"]["gsd"] < 0.6
    )
    by_text = client.search(filter=text, filter_lang="cql2-text", method="GET", limit=50)
    by_json = client.search(filter=as_json, limit=50)
    assert expected
    assert sorted(i.id for i in by_text.items()) == expected
    assert sorted(i.id for i in by_json.items()) == expected


def naip_items() -> list[dict[str, Any]]:
    path = FIXTURES / "items/planetary-computer-naip/naip-items.ndjson"
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_pystac_client_pages_through_search(naip: Served) -> None:
    client = Client.open(f"{naip.url}/")
    search = client.search(collections=["naip"], bbox=BBOX, datetime=WINDOW, limit=7)
    pages = list(search.pages_as_dicts())
    got = [item["id"] for page in pages for item in page["features"]]
    expected = direct(
        naip, collections=("naip",), bbox=parse_bbox(BBOX), datetime=parse_datetime(WINDOW)
    )
    assert len(pages) > 3
    assert got == expected
    assert search.matched() == len(expected)


def test_pystac_client_free_text(naip: Served) -> None:
    # pystac-client 0.9's Client.search has no ``q``; its API I/O pages a q search for us.
    io = StacApiIO()
    expected = direct(naip, q="al_m_30085*")
    for method in ("GET", "POST"):
        parameters = {"q": "al_m_30085*", "limit": 4}
        pages = list(io.get_pages(f"{naip.url}/search", method, parameters))
        got = [item["id"] for page in pages for item in page["features"]]
        assert got == expected
        assert len(pages) > 3


def test_pystac_client_collection_search(naip: Served) -> None:
    client = Client.open(f"{naip.url}/")
    found = [c.id for c in client.collection_search(q="imagery").collections()]
    assert found == ["naip"]
    assert [c.id for c in client.collection_search(q="landsat").collections()] == []


def test_rustac_search(naip: Served) -> None:
    async def run() -> list[dict[str, object]]:
        return await rustac.search(
            f"{naip.url}/", collections=["naip"], bbox=BBOX, datetime=WINDOW, limit=9
        )

    got = [str(item["id"]) for item in asyncio.run(run())]
    expected = direct(
        naip, collections=("naip",), bbox=parse_bbox(BBOX), datetime=parse_datetime(WINDOW)
    )
    assert got == expected
