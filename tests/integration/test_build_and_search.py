"""The walking skeleton end to end: a real catalog → index on a bucket → STAC search over HTTP.

GIVEN pystac's test-case-1 catalog (3 catalogs, 4 collections, 8 items) built into an ``s3://``
root on a moto server and into a local folder, WHEN it is searched over HTTP through the local
gateway (the Lambda handler behind an API Gateway v2 event), THEN the exact items come back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stacsift.settings import StoreSettings
from stacsift.store import Bucket
from tests.http import get, ids
from tests.integration.conftest import ServeFn

IMAGERY = ["area-1-1-imagery", "area-1-2-imagery", "area-2-1-imagery", "area-2-2-imagery"]
LABELS = ["area-1-1-labels", "area-1-2-labels", "area-2-1-labels", "area-2-2-labels"]


@pytest.fixture(params=["s3", "local"])
def api(
    request: pytest.FixtureRequest,
    fixtures: Path,
    built: Callable[[list[str], str, StoreSettings], Bucket],
    serve: ServeFn,
    local_root: str,
) -> str:
    if request.param == "s3":
        store = request.getfixturevalue("s3_store")
        root = request.getfixturevalue("s3_root")
    else:
        store, root = StoreSettings(), local_root
    built([str(fixtures / "catalogs/pystac-test-case-1/catalog.json")], root, store)
    return serve(root, store)


def test_free_text_finds_exact_items(api: str) -> None:
    status, body = get(f"{api}/search?q=imagery&limit=100")
    assert status == 200
    assert sorted(ids(body)) == IMAGERY
    assert body["numberMatched"] == 4


def test_prefix_and_or_of_terms(api: str) -> None:
    _, prefix = get(f"{api}/search?q=label*&limit=100")
    _, either = get(f"{api}/search?q=imagery,labels&limit=100")
    assert sorted(ids(prefix)) == LABELS
    assert sorted(ids(either)) == sorted(IMAGERY + LABELS)


def test_collection_filter_and_exclusion(api: str) -> None:
    _, one = get(f"{api}/search?collections=area-1-1&limit=100")
    _, without = get(f"{api}/search?collections=area-1-1,area-2-2&q=area%20-labels&limit=100")
    assert sorted(ids(one)) == ["area-1-1-imagery", "area-1-1-labels"]
    assert sorted(ids(without)) == ["area-1-1-imagery", "area-2-2-imagery"]


def test_bbox_and_datetime_filters(api: str) -> None:
    inside = "-2.4,3.8,-2.0,4.2"  # the fixture items' bbox is flat, at latitude 3.8917
    _, hit = get(f"{api}/search?bbox={inside}&datetime=2019-10-04T00:00:00Z/..&limit=100")
    _, far = get(f"{api}/search?bbox=10,10,11,11&limit=100")
    _, before = get(f"{api}/search?datetime=../2019-01-01T00:00:00Z&limit=100")
    assert sorted(ids(hit)) == sorted(IMAGERY + LABELS)
    assert ids(far) == []
    assert ids(before) == []


def test_collections_and_landing_page(api: str) -> None:
    status, landing = get(f"{api}/")
    _, collections = get(f"{api}/collections")
    assert status == 200
    assert landing["type"] == "Catalog"
    assert "https://api.stacspec.org/v1.0.0/core" in landing["conformsTo"]
    assert sorted(c["id"] for c in collections["collections"]) == [
        "area-1-1",
        "area-1-2",
        "area-2-1",
        "area-2-2",
    ]
    first = collections["collections"][0]
    self_links = [lk["href"] for lk in first["links"] if lk["rel"] == "self"]
    assert self_links == [f"{api}/collections/area-1-1"]


def test_paging_follows_next_links(api: str) -> None:
    seen: list[str] = []
    url: str | None = f"{api}/search?limit=3"
    while url:
        _, page = get(url)
        seen += ids(page)
        url = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None)
    assert sorted(seen) == sorted(IMAGERY + LABELS)
