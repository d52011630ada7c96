"""STAC Browser 4 in headless Chromium against ``stacsift serve``: a new user's journey.

Each test opens STAC Browser (built from npm) on one route of an API served from a real catalog,
waits for what a person would look at, and reads it from the page.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.browser.chromium import Page, literal
from tests.browser.conftest import Browse, Serve

ESA_ITEM = "C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1-N79W180"


def collection_titles(catalog: Path) -> list[str]:
    """The titles of the sample's collections, read from the files ``stacsift sample`` wrote."""
    collections = [orjson.loads(p.read_bytes()) for p in catalog.parent.glob("*/collection.json")]
    return sorted(str(c["title"]) for c in collections)


def sample_items(catalog: Path) -> list[dict[str, Any]]:
    return [orjson.loads(p.read_bytes()) for p in catalog.parent.glob("*/*/*.json")]


RESULTS = "[...document.querySelectorAll('.card-title a')].map(e => e.innerText)"


def results(page: Page, heading: str) -> list[str]:
    """The titles of the cards listed under ``heading`` ("Item" for "Item"/"Items", …), once
    there are any."""
    titles: list[str] = page.wait_for(
        f"""(() => {{
            const headings = [...document.querySelectorAll('h2')].map(e => e.innerText.trim());
            const titles = {RESULTS};
            return headings.some(h => h.startsWith({literal(heading)})) && titles.length && titles;
        }})()""",
        f"results under {heading!r}",
    )
    return titles


def search_for(page: Page, tab: str, words: str) -> None:
    """On the search page: pick the tab, enter the words as one search term, ask for 100 results
    a page, submit."""
    page.click(".nav-link", tab)
    page.click(".tab-pane.active .filter-freetext .multiselect")
    page.type(".tab-pane.active .filter-freetext input", words)
    page.press("Enter")
    page.type(".tab-pane.active .limit input", "100")
    page.click(".tab-pane.active form button[type=submit]")


def test_landing_page_lists_the_collections(sample: Path, serve: Serve, browse: Browse) -> None:
    with browse(serve(str(sample)), "/") as page:
        assert sorted(results(page, "Catalog")) == collection_titles(sample)
        assert page.errors() == []


def test_search_by_words_finds_collections_then_items(
    sample: Path, serve: Serve, browse: Browse
) -> None:
    # GIVEN the sample served, and what "forest" should find in it
    forest_collections = [t for t in collection_titles(sample) if "forest" in t.lower()]
    forest_items = {
        str(i["properties"]["title"]) for i in sample_items(sample) if "forest" in i["collection"]
    }
    with browse(serve(str(sample)), "/search") as page:
        # WHEN a user searches collections for the word, THEN the forest collections are listed
        search_for(page, "Search for Collections", "forest")
        assert sorted(results(page, "Collection")) == forest_collections
        # WHEN they search items for it, THEN the forest items are listed, and only they
        search_for(page, "Search for Items", "forest")
        found = results(page, "Item")
        assert sorted(found) == sorted(forest_items)


def asset_links(page: Page) -> dict[str, str]:
    """Open each asset of an item page as a person would; the href of its download link."""
    titles = page.wait_for(
        "[...document.querySelectorAll('.asset .btn-asset .title')].map(e => e.innerText)",
        "the assets",
    )
    links = {}
    for title in titles:
        page.click(".asset .btn-asset", title)
        links[title] = page.wait_for(
            f"""[...document.querySelectorAll('.asset')]
                .filter(e => e.querySelector('.btn-asset').innerText.includes({literal(title)}))
                .map(e => e.querySelector('.actions a[href]'))
                .filter(link => link && link.offsetParent)
                .map(link => link.href)[0]""",
            f"the download link of {title!r}",
        )
    return links


def first_bytes(url: str) -> tuple[int, bytes]:
    """What a download of the first KiB answers: its status and bytes."""
    request = urllib.request.Request(url, headers={"Range": "bytes=0-1023"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return response.status, response.read()


@pytest.mark.parametrize(
    ("catalog", "route"),
    [
        ("sample", "/collections/forest.osm/items/forest.osm_2020"),
        # Not via the esa-cci-lc collection page: STAC Browser 4.0.1 hangs the tab there, on the
        # collection's `license: proprietary` with three `license` links (fine without them).
        ("esa-cci-lc", f"/collections/esa-cci-lc/items/{ESA_ITEM}"),
    ],
)
def test_item_page_asset_links_open(
    catalog: str, route: str, sample: Path, fixtures: Path, serve: Serve, browse: Browse
) -> None:
    source = sample if catalog == "sample" else fixtures / "catalogs/esa-cci-lc/catalog.json"
    with browse(serve(str(source)), route) as page:
        links = asset_links(page)
    assert links
    for title, href in links.items():
        status, head = first_bytes(href)
        assert status in (200, 206), title
        assert head[:4] in (b"II*\x00", b"MM\x00*"), f"{title}: {href} is not a TIFF"
