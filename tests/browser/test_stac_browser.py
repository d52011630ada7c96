"""STAC Browser 4 in headless Chromium against ``stacsift serve``: a new user's journey.

Each test opens STAC Browser (built from npm) on one route of an API served from a real catalog,
waits for what a person would look at, and reads it from the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tests.browser.chromium import Page, literal
from tests.browser.conftest import Browse, Serve


def collection_titles(catalog: Path) -> list[str]:
    """The titles of the sample's collections, read from the files ``stacsift sample`` wrote."""
    collections = [orjson.loads(p.read_bytes()) for p in catalog.parent.glob("*/collection.json")]
    return sorted(str(c["title"]) for c in collections)


def sample_items(catalog: Path) -> list[dict[str, Any]]:
    return [orjson.loads(p.read_bytes()) for p in catalog.parent.glob("*/*/*.json")]


def results(page: Page, heading: str) -> list[str]:
    """The titles listed under ``heading`` ("Items", "Collections", …), once there are any."""
    titles: list[str] = page.wait_for(
        f"""(() => {{
            const headings = [...document.querySelectorAll('h2')].map(e => e.innerText.trim());
            const titles = [...document.querySelectorAll('.card-title')].map(e => e.innerText);
            return headings.includes({literal(heading)}) && titles.length && titles;
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
        assert sorted(results(page, "Catalogs")) == collection_titles(sample)
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
        assert sorted(results(page, "Collections")) == forest_collections
        # WHEN they search items for it, THEN the forest items are listed, and only they
        search_for(page, "Search for Items", "forest")
        found = results(page, "Items")
        assert sorted(found) == sorted(forest_items)
