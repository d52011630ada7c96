"""The OpenAPI document at /api describes exactly the routes the search handler serves."""

from __future__ import annotations

import re

from functions import openapi
from functions.search import ROUTES


def test_documented_routes_are_the_served_routes() -> None:
    served = {(m.lower(), _template(p)) for m, p, _ in ROUTES}
    documented = {
        (method, path)
        for path, methods in openapi.document("http://x")["paths"].items()
        for method in methods
    }
    assert documented == served


def test_html_page_lists_every_route() -> None:
    page = openapi.html("http://x")
    assert all(f"{m} {_template(p)}" in page for m, p, _ in ROUTES)


def _template(path: str) -> str:
    """powertools' ``<collection_id>`` as OpenAPI's ``{collectionId}``."""
    return re.sub(r"<(\w+)>", _camel, path)


def _camel(match: re.Match[str]) -> str:
    head, *rest = match.group(1).split("_")
    return "{" + head + "".join(w.title() for w in rest) + "}"
